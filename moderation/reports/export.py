"""CSV and JSON of any report table.

Numbers are written in full (no rounding, no percent signs): shares as
fractions, compound as it is stored, durations in seconds, times in ISO 8601
with their offset. So what a spreadsheet or script reads back are the figures
the page shows, before formatting.

Text cells are hostile input (authors' names, article titles): a CSV cell that
begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would run
as a formula in a spreadsheet, so such text cells get a leading ``'`` (OWASP's
advice). Only text columns: numbers are never changed. JSON is left as it is.
"""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import date, datetime
from typing import Any

from .tables import ReportTable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    text = str(value)
    if kind == "text" and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def to_csv(table: ReportTable) -> str:
    """The table as CSV: a header of column keys, then one line per row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.keys)
    for row in table.rows:
        writer.writerow([csv_cell(row.get(c.key), c.kind) for c in table.columns])
    return buffer.getvalue()


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN or infinity
    return value


def to_json(table: ReportTable, filters: dict[str, str] | None = None) -> str:
    """The table as a JSON document: its name, title, filters, columns and rows."""
    document = {
        "name": table.name,
        "title": table.title,
        "note": table.note,
        "filters": filters or {},
        "columns": [
            {"key": column.key, "label": column.label, "kind": column.kind}
            for column in table.columns
        ],
        "rows": [{key: _json_value(row.get(key)) for key in table.keys} for row in table.rows],
    }
    return json.dumps(document, ensure_ascii=False, indent=1, allow_nan=False)
