"""Writing rows as CSV or JSON, to a file or standard output: one writer for every export.

Targets, facilitators, a referral's report and session flags all leave Filature this way, so
a date is written the same (ISO 8601) and ``-`` means standard output everywhere, and
commands compose in pipes.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from filature.errors import InputError

FORMATS = ("csv", "json")


def plain(value: Any) -> Any:
    """A value as CSV and JSON can hold it: dates and times in ISO 8601."""
    return value.isoformat() if isinstance(value, datetime | date) else value


def write_table(columns: Sequence[str], rows: Sequence[Mapping[str, Any]], fmt: str,
                out: Path | None, *,
                document: Callable[[list[dict[str, Any]]], Any] | None = None,
                format_column: str | None = None) -> int:
    """Write ``rows`` (only ``columns``, in that order) as ``csv`` or ``json`` to ``out``
    (standard output when None or '-'); rows written.

    JSON is the list of rows, or whatever ``document`` builds around it (a report with its
    hits). ``format_column`` names the option in the error of an unknown format.
    """
    if fmt not in FORMATS:
        raise InputError(f"unknown format '{fmt}': choose csv or json", column=format_column)
    table = [{c: plain(row[c]) for c in columns} for row in rows]
    to_stdout = out is None or str(out) == "-"
    stream = sys.stdout if to_stdout else open(out, "w", newline="", encoding="utf-8")  # type: ignore[arg-type]
    try:
        if fmt == "csv":
            writer = csv.writer(stream)
            writer.writerow(columns)
            writer.writerows([[row[c] for c in columns] for row in table])
        else:
            json.dump(document(table) if document else table, stream, ensure_ascii=False,
                      indent=1)
            stream.write("\n")
    finally:
        if not to_stdout:
            stream.close()
    return len(table)
