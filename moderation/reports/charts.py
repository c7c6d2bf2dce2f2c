"""Report charts: Vega-Altair specifications rendered to SVG on the server.

Rendering uses vl-convert (a bundled JavaScript engine, no network, no CDN).
Its first render in a process starts the engine (about half a second); later
ones take tens of milliseconds, and identical specifications are served from a
per-process cache. Charts are rendered only when asked for: pages point at them
with ``<img>`` and the browser fetches them after the page.

Every chart carries a text alternative: a one-sentence summary, put into the
SVG as ``<title>`` and ``aria-label`` and shown beside the chart as its caption,
with the chart's data table next to it.

Times: Vega shows dates in the renderer's zone, which is not the report's. The
data carry local wall-clock times written as if they were UTC, and the time
scales are UTC scales, so the axis shows the report zone's wall clock.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape, quoteattr

import vl_convert

from .figures import Figures
from .tables import ReportTable

if TYPE_CHECKING:
    import altair as alt

WIDTH = 640
HEIGHT = 220
COLOURS = {"negative": "#a4262c", "neutral": "#8a919c", "positive": "#1b6e3a"}
STATUS_COLOURS = {
    "approved": "#1b6e3a",
    "rejected": "#a4262c",
    "spam": "#6b3fa0",
    "pending": "#8a919c",
    "escalated": "#8a5a00",
}
RENDER_CACHE_SIZE = 256


@dataclass(frozen=True)
class ReportChart:
    name: str
    """The chart's file name without ``.svg``: ``histogram``, ``timeline``..."""
    title: str
    summary: str
    """The text alternative: what the chart shows, in a sentence or two."""
    build: Callable[[], alt.TopLevelMixin]
    """Makes the Altair chart: only when it is drawn (pages need just the summary)."""

    def spec(self) -> dict[str, Any]:
        """The Vega-Lite specification, data inline."""
        return self.build().properties(title=self.title, description=self.summary).to_dict()


def wall_clock(moment: datetime | date) -> str:
    """A local time as an ISO string marked UTC, for the UTC time scales (see above)."""
    if isinstance(moment, datetime):
        return moment.replace(tzinfo=None).isoformat(timespec="minutes") + "Z"
    return moment.isoformat() + "T00:00Z"


def _altair():
    """Altair, imported on first use: it takes a third of a second, which every
    command line run would pay, and only charts that are drawn need it."""
    import altair

    return altair


def _values(rows: list[dict]) -> alt.Data:
    return _altair().Data(values=rows)


# --- One article ------------------------------------------------------------------------


def histogram_chart(table: ReportTable) -> ReportChart:
    total = sum(table.column("comments"))
    if total:
        busiest = max(table.rows, key=lambda row: row["comments"])
        summary = (
            f"Histogram of the compound scores of {total} comments in bins 0.1 wide; the "
            f"most comments ({busiest['comments']}) score from {busiest['bin_start']:+.1f} "
            f"to {busiest['bin_end']:+.1f}."
        )
    else:
        summary = "Histogram of compound scores: no scored comments yet."

    def build():
        alt = _altair()
        return (
            alt.Chart(_values(table.rows))
            .mark_bar(color="#1f5fbf", binSpacing=1)
            .encode(
                x=alt.X(
                    "bin_start:Q",
                    bin="binned",
                    title="Compound score",
                    scale=alt.Scale(domain=[-1, 1]),
                ),
                x2="bin_end:Q",
                y=alt.Y("comments:Q", title="Comments"),
                tooltip=["bin_start:Q", "bin_end:Q", "comments:Q"],
            )
            .properties(width=WIDTH, height=HEIGHT)
        )

    return ReportChart("histogram", "Compound scores", summary, build)


def shares_chart(figures: Figures) -> ReportChart:
    parts = [
        {"label": label, "order": order, "share": getattr(figures, f"{label}_share") or 0.0,
         "comments": getattr(figures, label)}
        for order, label in enumerate(("negative", "neutral", "positive"))
    ]  # fmt: skip
    if figures.scored:
        summary = (
            f"Of {figures.scored} scored comments, "
            + ", ".join(f"{p['share'] * 100:.0f}% {p['label']}" for p in parts)
            + "."
        )
    else:
        summary = "Sentiment shares: no scored comments yet."
        parts = []

    def build():
        alt = _altair()
        return (
            alt.Chart(_values(parts))
            .mark_bar()
            .encode(
                x=alt.X("share:Q", title="Share of scored comments", axis=alt.Axis(format="%"),
                        stack="zero", scale=alt.Scale(domain=[0, 1])),
                color=alt.Color("label:N", title="Sentiment", scale=alt.Scale(
                    domain=list(COLOURS), range=list(COLOURS.values()))),
                order=alt.Order("order:Q"),
                tooltip=["label:N", alt.Tooltip("share:Q", format=".1%"), "comments:Q"],
            )
            .properties(width=WIDTH, height=40)
        )  # fmt: skip

    return ReportChart("shares", "Sentiment shares", summary, build)


def outcomes_chart(table: ReportTable) -> ReportChart:
    total = sum(table.column("comments"))
    if total:
        counts = ", ".join(f"{row['comments']} {row['status']}" for row in table.rows)
        summary = f"Moderation outcomes of {total} comments: {counts}."
    else:
        summary = "Moderation outcomes: no comments yet."

    def build():
        alt = _altair()
        return (
            alt.Chart(_values(table.rows if total else []))
            .mark_bar()
            .encode(
                y=alt.Y("status:N", title=None, sort=list(STATUS_COLOURS)),
                x=alt.X("comments:Q", title="Comments"),
                color=alt.Color("status:N", legend=None, scale=alt.Scale(
                    domain=list(STATUS_COLOURS), range=list(STATUS_COLOURS.values()))),
                tooltip=["status:N", "comments:Q"],
            )
            .properties(width=WIDTH, height=130)
        )  # fmt: skip

    return ReportChart("outcomes", "Moderation outcomes", summary, build)


def _over_time(rows: list[dict], time_key: str, time_title: str) -> alt.VConcatChart:
    """Comments per period (bars) above mean compound per period (line)."""
    data = [
        {"time": wall_clock(row[time_key]), "comments": row["comments"],
         "mean_compound": row["mean_compound"]}
        for row in rows
    ]  # fmt: skip
    alt = _altair()
    x = alt.X("time:T", title=time_title, scale=alt.Scale(type="utc"))
    volume = (
        alt.Chart(_values(data))
        .mark_bar(color="#1f5fbf")
        .encode(x=x, y=alt.Y("comments:Q", title="Comments"), tooltip=["time:T", "comments:Q"])
        .properties(width=WIDTH, height=140)
    )
    mood = (
        alt.Chart(_values(data))
        .mark_line(point=True, color="#a4262c")
        .encode(
            x=x,
            y=alt.Y("mean_compound:Q", title="Mean compound", scale=alt.Scale(domain=[-1, 1])),
            tooltip=["time:T", alt.Tooltip("mean_compound:Q", format="+.2f")],
        )
        .transform_filter("isValid(datum.mean_compound)")
        .properties(width=WIDTH, height=140)
    )
    return alt.vconcat(volume, mood)


def _trend_words(rows: list[dict]) -> str:
    scored = [row for row in rows if row["mean_compound"] is not None]
    if not scored:
        return "no scored comments"
    lowest = min(row["mean_compound"] for row in scored)
    highest = max(row["mean_compound"] for row in scored)
    return f"mean compound between {lowest:+.2f} and {highest:+.2f}"


def article_timeline_chart(table: ReportTable) -> ReportChart:
    rows = table.rows
    if rows:
        busiest = max(rows, key=lambda row: row["comments"])
        summary = (
            f"Comments and mean sentiment in {len(rows)} periods since publication "
            f"(hourly for the first days, then daily); the busiest {busiest['resolution']} "
            f"began {busiest['start']:%Y-%m-%d %H:%M} with {busiest['comments']} comments; "
            f"{_trend_words(rows)}."
        )
    else:
        summary = "Comments over time since publication: no comments yet."
    return ReportChart(
        "timeline", "Since publication", summary, lambda: _over_time(rows, "start", "Local time")
    )


def site_timeline_chart(table: ReportTable) -> ReportChart:
    rows = table.rows
    if rows:
        busiest = max(rows, key=lambda row: row["comments"])
        summary = (
            f"Comments and mean sentiment per day on {len(rows)} days from "
            f"{rows[0]['day']} to {rows[-1]['day']}; the busiest day was {busiest['day']} "
            f"with {busiest['comments']} comments; {_trend_words(rows)}."
        )
    else:
        summary = "Comments per day: no comments in this range."
    return ReportChart(
        "timeline",
        "Comments and sentiment per day",
        summary,
        lambda: _over_time(rows, "day", "Day"),
    )


def moderators_chart(table: ReportTable) -> ReportChart:
    rows = [
        {"day": wall_clock(row["day"]), "moderator": row["moderator"],
         "decisions": row["decisions"]}
        for row in table.rows
    ]  # fmt: skip
    if rows:
        per_moderator: dict[str, int] = {}
        for row in rows:
            per_moderator[row["moderator"]] = (
                per_moderator.get(row["moderator"], 0) + row["decisions"]
            )
        busiest = max(per_moderator.items(), key=lambda item: item[1])
        summary = (
            f"{sum(per_moderator.values())} decisions by {len(per_moderator)} moderators "
            f"on {len({row['day'] for row in rows})} days; most by {busiest[0]} "
            f"({busiest[1]})."
        )
    else:
        summary = "Moderation activity: no decisions in this range."

    def build():
        alt = _altair()
        return (
            alt.Chart(_values(rows))
            .mark_bar()
            .encode(
                x=alt.X("day:T", title="Day", scale=alt.Scale(type="utc")),
                y=alt.Y("sum(decisions):Q", title="Decisions"),
                color=alt.Color("moderator:N", title="Moderator"),
                tooltip=["day:T", "moderator:N", "decisions:Q"],
            )
            .properties(width=WIDTH, height=HEIGHT)
        )

    return ReportChart("moderators", "Decisions per day", summary, build)


# --- Rendering ------------------------------------------------------------------------


def render_svg(chart: ReportChart) -> str:
    """The chart as an SVG document, titled with its summary (cached per process)."""
    return _render(json.dumps(chart.spec(), sort_keys=True), chart.summary)


@lru_cache(maxsize=RENDER_CACHE_SIZE)
def _render(spec_json: str, summary: str) -> str:
    svg = vl_convert.vegalite_to_svg(json.loads(spec_json))
    return _titled(svg, summary)


def _titled(svg: str, summary: str) -> str:
    """Give the SVG root ``role="img"``, an ``aria-label`` and a ``<title>``, escaped."""
    head_end = svg.index(">", svg.index("<svg")) + 1
    head = svg[: head_end - 1] + f' role="img" aria-label={quoteattr(summary)}>'
    return head + f"<title>{escape(summary)}</title>" + svg[head_end:]
