"""What a report covers: a range of local calendar days and, optionally, one site."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..importers.records import DATE_RANGE, EARLIEST_DATE, LATEST_DATE

MAX_SITE_LENGTH = 200


class FilterError(ValueError):
    """A filter value that cannot be read (a malformed date, an unknown time zone)."""


def report_zone(name: str | None) -> ZoneInfo:
    """The zone reports are shown in (config ``REPORT_TIMEZONE``); FilterError if unknown."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise FilterError(f"unknown time zone {name!r} in REPORT_TIMEZONE") from error


def _parse_day(value: str | None, name: str) -> date | None:
    if value is None or not value.strip():
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise FilterError(f"{name} must be a date like 2024-03-31, not {value[:40]!r}") from None
    # Imports keep only dates in this range; beyond it, time zones fall off the calendar.
    if not EARLIEST_DATE.date() <= day < LATEST_DATE.date():
        raise FilterError(f"{name} must be a date in the years {DATE_RANGE}, not {day}")
    return day


def local_midnight_utc(day: date, zone: ZoneInfo) -> datetime:
    """The UTC moment a local calendar day begins."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class ReportFilter:
    """Comments posted from ``since`` through ``until`` (local days, both included) on
    ``site``; None means no limit."""

    since: date | None = None
    until: date | None = None
    site: str | None = None

    @classmethod
    def from_strings(
        cls, since: str | None = None, until: str | None = None, site: str | None = None
    ) -> ReportFilter:
        """From a form or the command line; FilterError for malformed values."""
        first, last = _parse_day(since, "since"), _parse_day(until, "until")
        if first and last and first > last:
            raise FilterError("since must not be after until")
        site = (site or "").strip() or None
        if site is not None and (len(site) > MAX_SITE_LENGTH or "\x00" in site):
            raise FilterError("site is not a site name")
        return cls(first, last, site)

    def utc_bounds(self, zone: ZoneInfo) -> tuple[datetime | None, datetime | None]:
        """``[start, end)`` in UTC: local midnight of ``since`` to that after ``until``."""
        start = local_midnight_utc(self.since, zone) if self.since else None
        end = local_midnight_utc(self.until + timedelta(days=1), zone) if self.until else None
        return start, end

    @property
    def is_dated(self) -> bool:
        return self.since is not None or self.until is not None

    def query_args(self) -> dict[str, str]:
        """The filter as URL query arguments (only those set)."""
        args = {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "site": self.site,
        }
        return {key: value for key, value in args.items() if value}

    def describe(self) -> str:
        """In words, for headings and exports: "all dates, all sites"."""
        if self.since and self.until:
            dates = f"{self.since.isoformat()} to {self.until.isoformat()}"
        elif self.since:
            dates = f"from {self.since.isoformat()}"
        elif self.until:
            dates = f"until {self.until.isoformat()}"
        else:
            dates = "all dates"
        return f"{dates}, {'site ' + self.site if self.site else 'all sites'}"
