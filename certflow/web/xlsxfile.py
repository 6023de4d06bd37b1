"""XLSX downloads: one or more sheets, each a header and its lines, written row by row."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import Response

from certflow.web.csvfile import cell

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Sheet:
    title: str
    header: list[str]
    lines: Iterable[Iterable[Any]]


def xlsx_download(filename: str, sheets: Iterable[Sheet]) -> Response:
    """A workbook of ``sheets``; numbers stay numbers, text is guarded like the CSV files' (``csvfile.cell``)."""
    from openpyxl import Workbook  # only the downloads need it

    workbook = Workbook(write_only=True)  # streams rows: a county's register is 11,058 lines
    for sheet in sheets:
        written = workbook.create_sheet(sheet.title)
        written.append(sheet.header)
        for line in sheet.lines:
            written.append([v if isinstance(v, int) and not isinstance(v, bool) else cell(v) for v in line])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return Response(buffer.getvalue(), mimetype=XLSX,
                    headers={"Content-Disposition": f"attachment; filename={filename}"})
