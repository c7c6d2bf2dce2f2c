"""Sentiment reports: the site overview, the articles, authors and moderators tables, one
article's report, their charts (SVG images) and their downloads (CSV and JSON).

Every page needs a signed-in account (analysts, moderators and admins all read
reports). Charts are separate ``image/svg+xml`` responses shown with ``<img>``:
a browser runs no script inside an image, and templates never mark anything safe.
Every filter in the query string (``since``, ``until``, ``site``, ``sort``) applies
alike to a page, its charts and its downloads.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, render_template, request

from ..extensions import db
from ..reports import charts, queries
from ..reports.cache import ResultCache
from ..reports.context import ReportContext, current_context
from ..reports.export import to_csv, to_json
from ..reports.filters import FilterError, ReportFilter
from ..reports.tables import ReportTable, format_value
from .access import EVERYONE, requires
from .text import http_url

bp = Blueprint(
    "reports",
    __name__,
    url_prefix="/reports",
    static_folder=str(Path(__file__).resolve().parent.parent / "reports" / "static"),
    static_url_path="/static",
)

PAGE_SIZE = 100
OVERVIEW_TOP = 10
MODERATOR_ROWS_SHOWN = 400
SITE_CHARTS = ("timeline", "shares", "moderators")
ARTICLE_CHARTS = ("histogram", "timeline", "shares", "outcomes")
SITE_TABLES = ("summary", "timeline", "articles", "authors", "moderators")


@bp.app_template_filter("report_value")
def report_value(value, kind: str = "text", zone=None) -> str:
    return format_value(value, kind, zone)


def _cache() -> ResultCache:
    return current_app.extensions.setdefault("reports_cache", ResultCache())


def cached(name: str, *args, compute: Callable):
    """A report result, reused while the data (and settings) stay the same."""
    key = (name, args, queries.data_version(db.session), db.engine.url.render_as_string())
    return _cache().get(key, compute)


class Request:
    """What one request asks for: the filter, the sort and page, and the settings."""

    def __init__(self):
        self.context: ReportContext = current_context(db.session)
        self.error: str | None = None
        try:
            self.filter = ReportFilter.from_strings(
                request.args.get("since"), request.args.get("until"), request.args.get("site")
            )
        except FilterError as error:
            self.error = str(error)
            self.filter = ReportFilter()
        self.sort = request.args.get("sort", "volume")
        if self.sort not in queries.ARTICLE_SORTS:
            self.sort = "volume"
        try:
            self.page = max(1, min(int(request.args.get("page", 1)), 100_000))
        except ValueError:
            self.page = 1

    @property
    def key(self) -> tuple:
        return (self.filter, self.context)

    def args(self, **extra) -> dict[str, str]:
        """The query string for links that keep this filter (and ``extra``)."""
        return {**self.filter.query_args(), **{k: v for k, v in extra.items() if v}}

    # The aggregations, cached ----------------------------------------------------------

    def totals(self) -> queries.SiteTotals:
        def compute():
            return queries.site_totals(
                db.session, self.filter, self.context.off_topic_threshold, self.context.zone
            )

        return cached("totals", *self.key, compute=compute)

    def timeline(self) -> ReportTable:
        def compute():
            return queries.site_timeline(
                db.session, self.filter, self.context.zone, self.context.off_topic_threshold
            )

        return cached("timeline", *self.key, compute=compute)

    def moderators(self) -> ReportTable:
        def compute():
            return queries.moderator_activity(db.session, self.filter, self.context.zone)

        return cached("moderators", *self.key, compute=compute)

    def articles(self, limit: int | None, offset: int = 0) -> queries.Page:
        def compute():
            return queries.article_rows(
                db.session, self.filter, self.context.off_topic_threshold,
                self.sort, limit, offset, self.context.zone,
            )  # fmt: skip

        return cached("articles", *self.key, self.sort, limit, offset, compute=compute)

    def authors(self, limit: int | None, offset: int = 0) -> queries.Page:
        sort = self.sort if self.sort in queries.AUTHOR_SORTS else "volume"

        def compute():
            return queries.author_rows(
                db.session, self.filter, self.context.off_topic_threshold,
                sort, limit, offset, self.context.zone,
            )  # fmt: skip

        return cached("authors", *self.key, sort, limit, offset, compute=compute)

    def article(self, article_id: int) -> queries.ArticleReport:
        def compute():
            return queries.article_report(
                db.session, article_id, self.context.off_topic_threshold, self.context.zone
            )

        report = cached("article", article_id, self.context, compute=compute)
        if report is None:
            abort(404)
        return report

    def site_table(self, name: str) -> ReportTable:
        tables = {
            "summary": lambda: self.totals().table(),
            "timeline": self.timeline,
            "articles": lambda: self.articles(None).table,
            "authors": lambda: self.authors(None).table,
            "moderators": self.moderators,
        }
        return tables[name]()

    def site_chart(self, name: str) -> charts.ReportChart:
        makers = {
            "timeline": lambda: charts.site_timeline_chart(self.timeline()),
            "shares": lambda: charts.shares_chart(self.totals().figures),
            "moderators": lambda: charts.moderators_chart(self.moderators()),
        }
        return makers[name]()


def article_charts(report: queries.ArticleReport) -> dict[str, charts.ReportChart]:
    return {
        "histogram": charts.histogram_chart(report.histogram),
        "timeline": charts.article_timeline_chart(report.timeline),
        "shares": charts.shares_chart(report.figures),
        "outcomes": charts.outcomes_chart(report.outcomes),
    }


def _page(template: str, wanted: Request, status: int = 200, **values):
    values.setdefault("sites", queries.site_names(db.session))
    html = render_template(
        template,
        wanted=wanted,
        report_filter=wanted.filter,
        zone=wanted.context.zone,
        sorts=queries.ARTICLE_SORTS,
        **values,
    )
    return html, 400 if wanted.error else status


# --- Pages ----------------------------------------------------------------------------


@bp.route("/")
@requires(EVERYONE)
def site():
    wanted = Request()
    if wanted.error:
        return _page("reports/site.html", wanted, totals=None)
    totals = wanted.totals()
    timeline = wanted.timeline()
    return _page(
        "reports/site.html",
        wanted,
        totals=totals,
        timeline=timeline,
        top=wanted.articles(OVERVIEW_TOP),
        charts={name: wanted.site_chart(name) for name in ("timeline", "shares")},
    )


@bp.route("/articles")
@requires(EVERYONE)
def articles():
    wanted = Request()
    page = None if wanted.error else wanted.articles(PAGE_SIZE, (wanted.page - 1) * PAGE_SIZE)
    return _page("reports/articles.html", wanted, page=page, page_size=PAGE_SIZE)


@bp.route("/authors")
@requires(EVERYONE)
def authors():
    wanted = Request()
    page = None if wanted.error else wanted.authors(PAGE_SIZE, (wanted.page - 1) * PAGE_SIZE)
    return _page(
        "reports/authors.html",
        wanted,
        page=page,
        page_size=PAGE_SIZE,
        author_sorts=queries.AUTHOR_SORTS,
    )


@bp.route("/moderators")
@requires(EVERYONE)
def moderators():
    wanted = Request()
    table = None if wanted.error else wanted.moderators()
    return _page(
        "reports/moderators.html",
        wanted,
        table=table,
        shown=MODERATOR_ROWS_SHOWN,
        chart=None if table is None else wanted.site_chart("moderators"),
    )


@bp.route("/articles/<id:article_id>")
@requires(EVERYONE)
def article(article_id: int):
    wanted = Request()
    report = wanted.article(article_id)
    return _page(
        "reports/article.html",
        wanted,
        report=report,
        charts=article_charts(report),
        original_url=http_url(report.article.url),
    )


# --- Charts and downloads -----------------------------------------------------------------


def _svg(chart: charts.ReportChart) -> Response:
    response = Response(charts.render_svg(chart), mimetype="image/svg+xml")
    # Belt and braces: even opened on its own, the image may run nothing.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response.headers["Cache-Control"] = "private, max-age=60"
    return response


def _download(table: ReportTable, fmt: str, filename: str, wanted: Request) -> Response:
    if fmt == "csv":
        response = Response(to_csv(table), mimetype="text/csv")
    else:
        filters = {**wanted.filter.query_args(), "timezone": wanted.context.zone.key}
        response = Response(to_json(table, filters), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


def _refused(reason: str) -> Response:
    """A download or chart asked for with a malformed filter: the reason, as plain text."""
    return Response(f"{reason}\n", status=400, mimetype="text/plain")


@bp.route("/<any(timeline, shares, moderators):name>.svg")
@requires(EVERYONE)
def site_chart(name: str):
    wanted = Request()
    if wanted.error:
        return _refused(wanted.error)
    return _svg(wanted.site_chart(name))


@bp.route("/articles/<id:article_id>/<any(histogram, timeline, shares, outcomes):name>.svg")
@requires(EVERYONE)
def article_chart(article_id: int, name: str):
    return _svg(article_charts(Request().article(article_id))[name])


@bp.route("/<any(summary, timeline, articles, authors, moderators):name>.<any(csv, json):fmt>")
@requires(EVERYONE)
def site_download(name: str, fmt: str):
    wanted = Request()
    if wanted.error:
        return _refused(wanted.error)
    return _download(wanted.site_table(name), fmt, f"report-{name}", wanted)


@bp.route("/articles/<id:article_id>/<name>.<any(csv, json):fmt>")
@requires(EVERYONE)
def article_download(article_id: int, name: str, fmt: str):
    wanted = Request()
    table = wanted.article(article_id).tables.get(name)
    if table is None:
        abort(404)
    return _download(table, fmt, f"article-{article_id}-{name}", wanted)
