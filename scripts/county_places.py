#!/usr/bin/env python3
"""Write a county file's townships and villages from the administrative-divisions dataset (certflow/divisions.py).

    python scripts/county_places.py shizong.json

Every township and village of the file's county code, with their codes and names; a township keeps the venue the
file gives it, the others are re-assessed at their own clinic (卫生院), as Shizong's plan says.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from certflow.divisions import county_townships


def main(path: Path) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))
    venues = {t["name"]: t["venue"] for t in raw["townships"] if not t["venue"].endswith("卫生院")}
    raw["townships"] = county_townships(raw["county"]["code"], venues)
    path.write_text(json.dumps(raw, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
