"""``moderation report``: the reports in the terminal, or as one HTML file to mail."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext

from ..database import ensure_schema
from ..extensions import db
from ..import_summary import format_table
from . import queries, standalone
from .context import ReportContext, current_context
from .filters import FilterError, ReportFilter
from .tables import ReportTable, format_value

TOP_ARTICLES = 10
TITLE_CHARS = 50


def figures_rows(table: ReportTable, zone) -> list[list[str]]:
    """A figure-per-row table (``label``, ``value``, ``kind``) as terminal rows."""
    return [[row["label"], format_value(row["value"], row["kind"], zone)] for row in table.rows]


def top_articles_rows(table: ReportTable) -> list[list[str]]:
    rows = []
    for row in table.rows:
        title = row["title"] or "(untitled)"
        if len(title) > TITLE_CHARS:
            title = title[: TITLE_CHARS - 1] + "…"
        rows.append([
            str(row["article_id"]), row["site"] or "-", title,
            format_value(row["comments"], "count"), format_value(row["approved"], "count"),
            format_value(row["negative_share"], "share"),
            format_value(row["mean_compound"], "number"),
            format_value(row["off_topic_share"], "share"),
            format_value(row["rejection_rate"], "share"),
        ])  # fmt: skip
    return rows


TOP_HEADER = ["id", "site", "title", "comments", "approved", "negative", "mean", "off-topic",
              "rejected"]  # fmt: skip


def print_site(report_filter: ReportFilter, context: ReportContext) -> None:
    session = db.session
    totals = queries.site_totals(session, report_filter, context.off_topic_threshold, context.zone)
    click.echo(f"Site-wide: {standalone.describe(report_filter, context.zone)}")
    click.echo(format_table(["figure", "value"], figures_rows(totals.table(), context.zone)))
    top = queries.article_rows(
        session, report_filter, context.off_topic_threshold, "volume", TOP_ARTICLES,
        zone=context.zone,
    )  # fmt: skip
    click.echo("")
    click.echo(f"Top {len(top.table.rows)} of {top.total} articles by comments")
    if top.table.rows:
        click.echo(format_table(TOP_HEADER, top_articles_rows(top.table)))


def print_article(report: queries.ArticleReport, context: ReportContext) -> None:
    click.echo(f"Article #{report.article.id}: {report.article.title or '(untitled)'}")
    click.echo(format_table(["figure", "value"], figures_rows(report.summary(), context.zone)))


def _write(path: Path, html: str) -> None:
    try:
        path.write_text(html, encoding="utf-8")
    except OSError as error:
        raise click.ClickException(f"cannot write {path}: {error.strerror or error}") from None


def write_site_html(path: Path, report_filter: ReportFilter, context: ReportContext) -> None:
    session, threshold, zone = db.session, context.off_topic_threshold, context.zone
    sections = standalone.site_sections(
        totals=queries.site_totals(session, report_filter, threshold, zone),
        timeline=queries.site_timeline(session, report_filter, zone, threshold),
        top_articles=queries.article_rows(
            session, report_filter, threshold, "volume", standalone.TABLE_ROWS, zone=zone
        ),
        authors=queries.author_rows(
            session, report_filter, threshold, "volume", standalone.TABLE_ROWS, zone=zone
        ),
        moderators=queries.moderator_activity(session, report_filter, zone),
        threshold=threshold,
    )
    html = standalone.render_document(
        "Comment sentiment report",
        standalone.describe(report_filter, zone),
        sections,
        zone,
        datetime.now(UTC),
    )
    _write(path, html)


def write_article_html(path: Path, report: queries.ArticleReport, context: ReportContext) -> None:
    sections = standalone.article_sections(report, context.off_topic_threshold)
    html = standalone.render_document(
        report.article.title or f"Article #{report.article.id}",
        f"Comment report for article #{report.article.id}; times in {context.zone.key}",
        sections,
        context.zone,
        datetime.now(UTC),
    )
    _write(path, html)


@click.command("report")
@with_appcontext
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write one self-contained HTML file (charts inside) instead.",
)
@click.option(
    "--article",
    "article_id",
    type=click.IntRange(1, 2**31 - 1),
    help="One article's report (dates and site are then ignored).",
)
@click.option("--since", help="First day (YYYY-MM-DD, in REPORT_TIMEZONE).")
@click.option("--until", help="Last day, included.")
@click.option("--site", help="Only this site's articles.")
def report_command(html_path, article_id, since, until, site):  # fmt: skip
    """Sentiment and moderation figures: site-wide and top articles, or one article."""
    ensure_schema()
    try:
        report_filter = ReportFilter.from_strings(since, until, site)
        context = current_context(db.session)
    except FilterError as error:
        raise click.BadParameter(str(error)) from None
    if article_id is not None:
        report = queries.article_report(
            db.session, article_id, context.off_topic_threshold, context.zone
        )
        if report is None:
            raise click.ClickException(f"no article #{article_id}")
        if html_path:
            write_article_html(html_path, report, context)
        else:
            print_article(report, context)
    elif html_path:
        write_site_html(html_path, report_filter, context)
    else:
        print_site(report_filter, context)
    if html_path:
        click.echo(f"wrote {html_path}")


def init_app(app: Flask) -> None:
    app.cli.add_command(report_command)
