"""CSV downloads that Excel opens with the Chinese intact, written while the rows are read."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from flask import Response

from certflow.web.scoping import streamed

# Excel runs a cell that starts like a formula; applicants' names come from the public portal.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    """A value as text a spreadsheet shows and never runs."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _line(values: Iterable[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([cell(v) for v in values])
    return buffer.getvalue()


def csv_download(filename: str, header: list[str], lines: Iterable[Iterable[Any]]) -> Response:
    """A UTF-8 CSV file with a byte-order mark (without it Excel reads the file in the local code page)."""
    def chunks() -> Iterator[str]:
        yield "\ufeff" + _line(header)
        for line in lines:
            yield _line(line)

    return Response(streamed(chunks()), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})
