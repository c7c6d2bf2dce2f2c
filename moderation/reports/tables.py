"""Report tables: named, typed columns and rows of plain values.

One shape for everything a report shows as a table, so the page, the chart
beside it, the CSV and the JSON downloads all come from the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any, Literal

ColumnKind = Literal["text", "count", "number", "share", "seconds", "datetime", "date", "id"]


@dataclass(frozen=True)
class Column:
    key: str
    """Name in CSV headers and JSON keys: lower_case_with_underscores."""
    label: str
    """Heading on pages."""
    kind: ColumnKind = "text"


@dataclass
class ReportTable:
    name: str
    """Used in download file names and URLs: ``articles``, ``timeline``..."""
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""
    """What the figures count, in a sentence, for pages and exports."""

    def column(self, key: str) -> list[Any]:
        """All values of one column, top to bottom."""
        return [row.get(key) for row in self.rows]

    @property
    def keys(self) -> list[str]:
        return [column.key for column in self.columns]


def format_value(value: Any, kind: ColumnKind, zone: tzinfo | None = None) -> str:
    """A value as shown on a page or in the terminal; aware times shown in ``zone``."""
    if value is None:
        return "–"
    if kind == "share":
        return f"{value * 100:.1f}%"
    if kind == "number":
        return f"{value:+.3f}"
    if kind == "seconds":
        return format_duration(value)
    if kind == "count":
        return f"{value:,}"
    if isinstance(value, datetime):
        if zone is not None and value.tzinfo is not None:
            value = value.astimezone(zone)
        return value.strftime("%Y-%m-%d %H:%M %Z").strip()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def format_duration(seconds: float) -> str:
    """Seconds as "45 s", "12 min", "3.5 h" or "2.1 days"."""
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    if seconds < 60:
        return f"{sign}{seconds:.0f} s"
    if seconds < 3600:
        return f"{sign}{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{sign}{seconds / 3600:.1f} h"
    return f"{sign}{seconds / 86400:.1f} days"
