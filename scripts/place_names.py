#!/usr/bin/env python3
"""Write certflow/place_names.json, the served counties' and townships' names, from the divisions dataset.

    python scripts/place_names.py

The portal's county → township → village choice names them from this file, which is installed with the package
(the dataset is not); tests/test_places.py checks that it is what the dataset derives.
"""

from __future__ import annotations

import json

from certflow.divisions import PLACE_NAMES, place_names


def main() -> None:
    PLACE_NAMES.write_text(json.dumps(place_names(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
