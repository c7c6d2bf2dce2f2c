"""One self-contained HTML file of a report, for an editor to mail on.

Everything is inside the file: a small stylesheet of its own, and the charts as
``data:`` URIs of their SVG (in ``<img>``, so nothing in them could run even if it
tried). All text from the database goes through Jinja's autoescaping. No
Flask here: the template is read from the package and rendered directly.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2

from . import charts
from .filters import ReportFilter
from .queries import ArticleReport, Page, SiteTotals
from .tables import ReportTable, format_value

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "reports"
TABLE_ROWS = 50


@dataclass
class Section:
    heading: str
    lines: list[tuple[str, str]] = field(default_factory=list)
    """A summary list: (label, value as text)."""
    chart: charts.ReportChart | None = None
    table: ReportTable | None = None
    table_limit: int | None = TABLE_ROWS


def chart_data_uri(chart: charts.ReportChart, render: Callable = charts.render_svg) -> str:
    svg = render(chart).encode("utf-8")
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters["report_value"] = format_value
    return environment


def render_document(
    title: str,
    subtitle: str,
    sections: list[Section],
    zone: ZoneInfo,
    generated_at: datetime,
    render: Callable = charts.render_svg,
) -> str:
    """The HTML file's text. ``render`` draws a chart's SVG (replaceable in tests)."""
    with_images = [
        (section, chart_data_uri(section.chart, render) if section.chart is not None else None)
        for section in sections
    ]
    return (
        _environment()
        .get_template("standalone.html")
        .render(
            title=title,
            subtitle=subtitle,
            sections=with_images,
            zone=zone,
            generated_at=generated_at.astimezone(zone),
        )
    )


def _figure_lines(figures, threshold: float) -> list[tuple[str, str]]:
    def pct(value):
        return format_value(value, "share")

    return [
        ("Comments", f"{figures.approved:,} approved of {figures.comments:,}; pingbacks and "
                     f"trackbacks counted apart: {figures.pingbacks:,}"),
        ("Sentiment", f"{pct(figures.negative_share)} negative · {pct(figures.neutral_share)} "
                      f"neutral · {pct(figures.positive_share)} positive, of {figures.scored:,} "
                      "scored"),
        ("Mean compound", format_value(figures.mean_compound, "number")),
        ("Off-topic", f"{pct(figures.off_topic_share)} (drift ≥ {threshold:.2f})"),
        ("Outcomes", f"{figures.approved} approved · {figures.rejected} rejected · "
                     f"{figures.spam} spam · {figures.pending} pending · "
                     f"{figures.escalated} escalated; rejection rate "
                     f"{pct(figures.rejection_rate)}"),
    ]  # fmt: skip


def site_sections(
    totals: SiteTotals,
    timeline: ReportTable,
    top_articles: Page,
    authors: Page,
    moderators: ReportTable,
    threshold: float,
) -> list[Section]:
    """The site report's sections, from the query results."""
    lines = [("Articles with comments", f"{totals.articles:,}")]
    lines += _figure_lines(totals.figures, threshold)
    return [
        Section("Site-wide figures", lines=lines, chart=charts.shares_chart(totals.figures)),
        Section("Over time", chart=charts.site_timeline_chart(timeline), table=timeline),
        Section(top_articles.table.title, table=top_articles.table),
        Section("Authors with the most comments", table=authors.table),
        Section(
            "Moderation activity",
            chart=charts.moderators_chart(moderators),
            table=moderators,
        ),
    ]


def article_sections(report: ArticleReport, threshold: float) -> list[Section]:
    lines = _figure_lines(report.figures, threshold)
    lines.insert(3, ("Median compound", format_value(report.median_compound, "number")))
    if report.derail:
        lines.append(("Derails", f"at comment #{report.derail.comment_id} by "
                                 f"{report.derail.author or '(anonymous)'}"))  # fmt: skip
    lines.append(("Time to decision", report.decision_time))
    return [
        Section("Figures", lines=lines, chart=charts.shares_chart(report.figures)),
        Section("Compound scores", chart=charts.histogram_chart(report.histogram),
                table=report.histogram),
        Section("Since publication", chart=charts.article_timeline_chart(report.timeline),
                table=report.timeline),
        Section("Moderation outcomes", chart=charts.outcomes_chart(report.outcomes),
                table=report.outcomes),
        Section(report.most_negative.title, table=report.most_negative),
        Section(report.most_positive.title, table=report.most_positive),
        Section(report.subthreads.title, table=report.subthreads),
    ]  # fmt: skip


def describe(report_filter: ReportFilter, zone: ZoneInfo) -> str:
    return f"{report_filter.describe()}; times in {zone.key}"
