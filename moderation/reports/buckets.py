"""Folding UTC time buckets into local hours and days.

Comments store UTC; reports show the configured zone. Converting to a zone
inside SQL has no portable spelling (and DST makes the offset vary), so the
queries count per UTC bucket — ``GROUP BY`` whole slices of time since 1970,
an hour long for zones whose offsets are whole hours, 30 or 15 minutes for
the few that are not (India, Nepal) — and the functions here add those counts
up per local hour or day. That is a loop over buckets (at most some thousands
per year), never over comments, and exact in every zone, DST days included.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@lru_cache(maxsize=64)
def bucket_seconds(zone: ZoneInfo) -> int:
    """The longest UTC bucket that never straddles a local hour boundary in ``zone``:
    an hour, unless the zone has (had) offsets of half or quarter hours."""
    size = 3600
    moment = datetime(1970, 1, 1, tzinfo=UTC)
    while moment.year < 2040:
        offset = moment.astimezone(zone).utcoffset() or timedelta()
        size = math.gcd(size, int(offset.total_seconds()))
        moment += timedelta(days=15)
    return max(size, 60)


def bucket_start(index: int, size: int) -> datetime:
    """The UTC moment bucket ``index`` (of ``size`` seconds since 1970) begins."""
    return EPOCH + timedelta(seconds=index * size)


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    """The calendar day a UTC moment falls on in ``zone``.

    Imports keep no date near the ends of the calendar any more, but a database
    filled earlier may: there, where the zone would step off it, the UTC day.
    """
    try:
        return moment.astimezone(zone).date()
    except OverflowError:
        return moment.date()


def local_hour(moment: datetime, zone: ZoneInfo) -> datetime:
    """The local hour a UTC moment falls in, as the UTC moment it began.

    UTC keeps the two 02:00 hours of a DST change apart, as they should be;
    show it with ``.astimezone(zone)``.
    """
    local = moment.astimezone(zone)
    return moment - timedelta(
        minutes=local.minute, seconds=local.second, microseconds=local.microsecond
    )


def fold(
    rows: Iterable[Sequence],
    size: int,
    key: Callable[[datetime], Hashable],
) -> dict[Hashable, list[float]]:
    """Sum rows of ``(bucket index, number, number, ...)`` per ``key(bucket start)``.

    Returns the sums per key, in key order. Rows whose bucket is None (no time)
    are left out.
    """
    totals: dict[Hashable, list[float]] = {}
    for index, *numbers in rows:
        if index is None:
            continue
        slot = key(bucket_start(int(index), size))
        sums = totals.get(slot)
        if sums is None:
            totals[slot] = [n or 0 for n in numbers]
        else:
            for position, number in enumerate(numbers):
                sums[position] += number or 0
    return dict(sorted(totals.items(), key=lambda item: item[0]))
