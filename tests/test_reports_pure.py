"""The reports' pure parts: time buckets, filters, tables, exports and chart text."""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import UTC, date, datetime, timedelta
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moderation.reports import buckets, charts
from moderation.reports.export import to_csv, to_json
from moderation.reports.filters import FilterError, ReportFilter, report_zone
from moderation.reports.tables import Column, ReportTable, format_duration, format_value

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    "zone, seconds",
    [("UTC", 3600), ("Europe/Berlin", 3600), ("Asia/Kolkata", 1800), ("Asia/Kathmandu", 900)],
)
def test_bucket_size_follows_the_zones_offsets(zone, seconds):
    assert buckets.bucket_seconds(ZoneInfo(zone)) == seconds


def test_local_day_and_hour():
    late = datetime(2024, 3, 10, 23, 30, tzinfo=UTC)
    assert buckets.local_day(late, BERLIN) == date(2024, 3, 11)
    assert buckets.local_day(late, ZoneInfo("UTC")) == date(2024, 3, 10)
    # A date a database may hold from before imports refused it: the UTC day, no crash.
    earliest = datetime(1, 1, 1, tzinfo=UTC)
    assert buckets.local_day(earliest, ZoneInfo("America/New_York")) == date(1, 1, 1)
    assert buckets.local_hour(late, BERLIN) == datetime(2024, 3, 10, 23, 0, tzinfo=UTC)
    # 02:30 CEST and 02:30 CET on 27 October 2024 are different hours.
    first = buckets.local_hour(datetime(2024, 10, 27, 0, 30, tzinfo=UTC), BERLIN)
    second = buckets.local_hour(datetime(2024, 10, 27, 1, 30, tzinfo=UTC), BERLIN)
    assert first != second
    assert first.astimezone(BERLIN).hour == second.astimezone(BERLIN).hour == 2


def test_fold_adds_up_per_key():
    size = 3600
    start = int(datetime(2024, 3, 10, 22, tzinfo=UTC).timestamp()) // size
    rows = [(start, 1, 0.5), (start + 1, 2, None), (start + 2, 4, 1.0), (None, 8, 8.0)]
    folded = buckets.fold(rows, size, lambda moment: buckets.local_day(moment, BERLIN))
    # 22:00 UTC is 23:00 on the 10th in Berlin; 23:00 and 00:00 UTC are on the 11th.
    assert folded == {date(2024, 3, 10): [1, 0.5], date(2024, 3, 11): [6, 1.0]}


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2037, 12, 31)),
       st.sampled_from(["Europe/Berlin", "America/St_Johns", "Asia/Kathmandu",
                        "Australia/Lord_Howe", "Pacific/Chatham"]))  # fmt: skip
def test_a_bucket_never_straddles_a_local_hour(naive, zone_name):
    zone = ZoneInfo(zone_name)
    size = buckets.bucket_seconds(zone)
    moment = naive.replace(tzinfo=UTC)
    index = int(moment.timestamp()) // size
    first = buckets.bucket_start(index, size)
    last = first + timedelta(seconds=size - 1)
    assert buckets.local_hour(first, zone) == buckets.local_hour(last, zone)
    assert buckets.local_hour(moment, zone) == buckets.local_hour(first, zone)


def test_filter_parsing_and_bounds():
    report_filter = ReportFilter.from_strings(" 2024-03-31 ", "2024-03-31", "  ")
    assert report_filter == ReportFilter(date(2024, 3, 31), date(2024, 3, 31), None)
    start, end = report_filter.utc_bounds(BERLIN)
    assert start == datetime(2024, 3, 30, 23, tzinfo=UTC)
    assert end == datetime(2024, 3, 31, 22, tzinfo=UTC)  # a 23-hour day
    assert report_filter.query_args() == {"since": "2024-03-31", "until": "2024-03-31"}
    assert ReportFilter().utc_bounds(BERLIN) == (None, None)
    assert ReportFilter().describe() == "all dates, all sites"
    for since, until, site in [
        ("2024-13-01", None, None),
        ("2024-02-02", "2024-02-01", None),
        (None, "x", None),
        (None, None, "a\x00b"),
        (None, None, "s" * 201),
        (None, "9999-12-31", None),  # the day after it is off the calendar
        ("0001-01-01", None, None),
    ]:
        with pytest.raises(FilterError):
            ReportFilter.from_strings(since, until, site)  # fmt: skip
    with pytest.raises(FilterError):
        report_zone("Mars/Olympus")
    assert report_zone(None).key == "UTC"


def test_formatting():
    assert format_value(None, "count") == "–"
    assert format_value(0.4567, "share") == "45.7%"
    assert format_value(-0.074, "number") == "-0.074"
    assert format_value(1234567, "count") == "1,234,567"
    moment = datetime(2024, 3, 10, 23, 30, tzinfo=UTC)
    assert format_value(moment, "datetime", BERLIN) == "2024-03-11 00:30 CET"
    assert [format_duration(s) for s in (42, 1500, 5400, 3 * 86400, -90)] == [
        "42 s", "25 min", "1.5 h", "3.0 days", "-2 min",
    ]  # fmt: skip


TABLE_COLUMNS = [Column("name", "Name"), Column("count", "Count", "count"),
                 Column("share", "Share", "share"), Column("day", "Day", "date")]  # fmt: skip
text = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)


@given(st.lists(st.tuples(text, st.integers(-(10**9), 10**9),
                          st.none() | st.floats(allow_nan=False, allow_infinity=False),
                          st.none() | st.dates()), max_size=20))  # fmt: skip
def test_csv_round_trip(rows):
    values = [{"name": n, "count": c, "share": s, "day": d} for n, c, s, d in rows]
    table = ReportTable("t", "T", TABLE_COLUMNS, values)
    read = list(csv.DictReader(io.StringIO(to_csv(table), newline="")))
    assert len(read) == len(rows)
    for got, (name, count, share, day) in zip(read, rows, strict=True):
        expected_name = "'" + name if name.startswith(("=", "+", "-", "@", "\t", "\r")) else name
        assert got["name"] == expected_name
        assert int(got["count"]) == count
        assert (float(got["share"]) if got["share"] else None) == share
        assert (date.fromisoformat(got["day"]) if got["day"] else None) == day


def test_json_export():
    table = ReportTable("t", "T", TABLE_COLUMNS, [
        {"name": "=x", "count": 1, "share": math.nan, "day": date(2024, 1, 2)}])  # fmt: skip
    document = json.loads(to_json(table, {"site": "a"}))
    assert document["rows"] == [{"name": "=x", "count": 1, "share": None, "day": "2024-01-02"}]
    assert document["filters"] == {"site": "a"} and document["columns"][2]["kind"] == "share"


def test_svg_title_is_escaped():
    summary = "a <b> & \"c\" 'd'"
    root = ElementTree.fromstring(charts._titled('<svg width="1"><g/></svg>', summary))
    assert root.get("aria-label") == summary and root.get("role") == "img"
    assert root.find("title").text == summary and root.find("g") is not None


def test_wall_clock_times_for_the_utc_scale():
    local = datetime(2024, 3, 11, 0, 30, tzinfo=BERLIN)
    assert charts.wall_clock(local) == "2024-03-11T00:30Z"
    assert charts.wall_clock(date(2024, 3, 11)) == "2024-03-11T00:00Z"
