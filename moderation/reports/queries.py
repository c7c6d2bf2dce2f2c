"""The report aggregations: every figure computed in SQL, on SQLite and PostgreSQL alike.

Counts, means and medians are ``GROUP BY`` queries (see :mod:`.figures` for what
they count); time series are counted per UTC bucket in SQL and folded into local
hours and days by :mod:`.buckets`. Python only turns the aggregated rows into
tables: it never loops over comments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..models import (
    Article,
    Comment,
    CommentScore,
    Decision,
    ImportBatch,
    ModerationStatus,
    ThreadSummary,
    User,
)
from ..running_imports import visible_comments
from . import buckets, rollup, summaries
from .figures import (
    FIGURE_COLUMNS,
    IN_SENTIMENT,
    READER_COMMENT,
    Figures,
    comment_time,
    figure_columns,
    figures_table,
    share,
)
from .filters import ReportFilter, local_midnight_utc
from .rollup import COUNTED_COLUMNS, ReportBucket, bucket_bounds
from .sql import count_where, epoch_bucket, floor_integer, median_of, seconds_between
from .tables import Column, ReportTable, format_duration

HISTOGRAM_BINS = 20
"""Compound runs from -1 to 1: bins 0.1 wide."""
HOURLY_DAYS = 3
"""An article's timeline is hourly for its first local days (publication day included)."""
EXTREMES_SHOWN = 5
SUBTHREADS_SHOWN = 5
EXCERPT_CHARS = 160
UTC_ZONE = ZoneInfo("UTC")

ARTICLE_SORTS = {
    "volume": "Most comments",
    "negativity": "Most negative",
    "off_topic": "Most off-topic",
    "rejection": "Highest rejection rate",
    "published": "Newest",
}
AUTHOR_SORTS = {key: label for key, label in ARTICLE_SORTS.items() if key != "published"}


def excerpt(text: str | None, limit: int = EXCERPT_CHARS) -> str:
    """The start of a comment on one line, cut at a word with an ellipsis."""
    flat = re.sub(r"\s+", " ", text or "").strip()
    if len(flat) <= limit:
        return flat
    return flat[:limit].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


def _time_conditions(moment: sa.ColumnElement, report_filter: ReportFilter, zone: ZoneInfo):
    start, end = report_filter.utc_bounds(zone)
    conditions = []
    if start is not None:
        conditions.append(moment >= start)
    if end is not None:
        conditions.append(moment < end)
    return conditions


def _scored_comments(*columns) -> sa.Select:
    """SELECT ... FROM comments LEFT JOIN comment_scores: the base of every figure query."""
    return (
        sa.select(*columns)
        .select_from(Comment)
        .outerjoin(CommentScore, CommentScore.comment_id == Comment.id)
    )


def _filtered(query: sa.Select, report_filter: ReportFilter, zone: ZoneInfo) -> sa.Select:
    """Comments posted in the filter's days, on its site (joining articles only then)."""
    query = query.where(*_time_conditions(comment_time(), report_filter, zone))
    if report_filter.site is not None:
        query = query.join(Article, Article.id == Comment.article_id).where(
            Article.site == report_filter.site
        )
    return query


def _order(sort: str, source) -> list[sa.ColumnElement]:
    """ORDER BY for a sort key over a subquery carrying the figure columns."""
    c = source.c
    decided = c.approved + c.rejected + c.spam
    shares = {
        "negativity": c.negative * 1.0 / sa.func.nullif(c.scored, 0),
        "off_topic": c.off_topic * 1.0 / sa.func.nullif(c.scored, 0),
        "rejection": (c.rejected + c.spam) * 1.0 / sa.func.nullif(decided, 0),
    }
    if sort in shares:
        return [shares[sort].desc().nulls_last(), c.comments.desc()]
    if sort == "published":
        return [c.published_at.desc().nulls_last()]
    return [c.comments.desc()]


@dataclass
class Page:
    """One page of a long table, and how many rows there are in all."""

    table: ReportTable
    total: int
    limit: int | None
    offset: int = 0


# --- Across the site ------------------------------------------------------------------


@dataclass
class SiteTotals:
    figures: Figures
    articles: int
    """Articles with at least one comment or pingback in the filter."""
    first_day: date | None
    last_day: date | None
    """The first and last local days with comments."""

    def table(self) -> ReportTable:
        return figures_table(
            "summary",
            "Site-wide figures",
            self.figures,
            extra=[
                (Column("articles", "Articles with comments", "count"), self.articles),
                (Column("first_day", "First day with comments", "date"), self.first_day),
                (Column("last_day", "Last day with comments", "date"), self.last_day),
            ],
        )


def _bucket_sums(buckets_source=ReportBucket) -> list[sa.Label]:
    """The figure columns, added up over rollup buckets (see :mod:`.rollup`)."""
    c = buckets_source
    return [
        *[sa.func.coalesce(sa.func.sum(getattr(c, name)), 0).label(name)
          for name in COUNTED_COLUMNS if name != "compound_sum"],
        (sa.func.sum(c.compound_sum) / sa.func.nullif(sa.func.sum(c.scored), 0)).label(
            "mean_compound"
        ),
    ]  # fmt: skip


def _in_buckets(query: sa.Select, report_filter: ReportFilter, zone: ZoneInfo) -> sa.Select:
    """Buckets in the filter's days (exactly: local midnights are bucket edges), on its site."""
    first, end = bucket_bounds(*report_filter.utc_bounds(zone))
    if first is not None:
        query = query.where(ReportBucket.bucket >= first)
    if end is not None:
        query = query.where(ReportBucket.bucket < end)
    if report_filter.site is not None:
        query = query.join(Article, Article.id == ReportBucket.article_id).where(
            Article.site == report_filter.site
        )
    return query


def site_totals(
    session: so.Session,
    report_filter: ReportFilter,
    off_topic_threshold: float,
    zone: ZoneInfo = UTC_ZONE,
) -> SiteTotals:
    """Everything in the filter, added up (from the rollup, refreshed first)."""
    rollup.refresh(session, off_topic_threshold)
    query = sa.select(
        *_bucket_sums(),
        sa.func.count(sa.distinct(ReportBucket.article_id)).label("articles"),
        sa.func.min(ReportBucket.bucket).label("first_bucket"),
        sa.func.max(ReportBucket.bucket).label("last_bucket"),
    )
    row = session.execute(_in_buckets(query, report_filter, zone)).mappings().one()

    def day(bucket):
        if bucket is None:
            return None
        return buckets.local_day(buckets.bucket_start(bucket, rollup.BUCKET_SECONDS), zone)

    return SiteTotals(
        figures=Figures.from_row(row),
        articles=row["articles"] or 0,
        first_day=day(row["first_bucket"]),
        last_day=day(row["last_bucket"]),
    )


ARTICLE_TABLE_COLUMNS = [
    Column("article_id", "Id", "id"),
    Column("site", "Site"),
    Column("title", "Article"),
    Column("published_at", "Published", "datetime"),
    *FIGURE_COLUMNS,
]


def article_rows(
    session: so.Session,
    report_filter: ReportFilter,
    off_topic_threshold: float,
    sort: str = "volume",
    limit: int | None = None,
    offset: int = 0,
    zone: ZoneInfo = UTC_ZONE,
) -> Page:
    """The articles table: each article's figures, sorted (see :data:`ARTICLE_SORTS`).

    Without dates every article is listed, commented or not; with dates, those
    published in the range or commented on in it. Counted from the rollup.
    """
    rollup.refresh(session, off_topic_threshold)
    per_article = (
        _in_buckets(
            sa.select(ReportBucket.article_id, *_bucket_sums()),
            ReportFilter(report_filter.since, report_filter.until),
            zone,
        )
        .group_by(ReportBucket.article_id)
        .subquery("in_range")
    )
    counted = [
        sa.func.coalesce(per_article.c[name], 0).label(name)
        for name in COUNTED_COLUMNS if name != "compound_sum"
    ]  # fmt: skip
    grouped = (
        sa.select(
            Article.id.label("article_id"),
            Article.site,
            Article.title,
            Article.published_at,
            *counted,
            per_article.c.mean_compound,
        )
        .select_from(Article)
        .outerjoin(per_article, per_article.c.article_id == Article.id)
    )
    if report_filter.site is not None:
        grouped = grouped.where(Article.site == report_filter.site)
    if report_filter.is_dated:
        published = sa.and_(*_time_conditions(Article.published_at, report_filter, zone))
        grouped = grouped.where(sa.or_(per_article.c.article_id.is_not(None), published))
    grouped = grouped.subquery("per_article")
    query = (
        sa.select(grouped, sa.func.count().over().label("matching"))
        .order_by(*_order(sort, grouped), grouped.c.article_id)
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    result = session.execute(query).mappings().all()
    rows = [
        {
            "article_id": row["article_id"],
            "site": row["site"],
            "title": row["title"],
            "published_at": row["published_at"],
            **Figures.from_row(row).as_row(),
        }
        for row in result
    ]
    total = result[0]["matching"] if result else _count_articles(session, report_filter, offset)
    table = ReportTable(
        "articles",
        f"Articles: {ARTICLE_SORTS.get(sort, ARTICLE_SORTS['volume']).lower()}",
        ARTICLE_TABLE_COLUMNS,
        rows,
        note="Sentiment and off-topic shares are of scored reader comments, spam left out.",
    )
    return Page(table, total, limit, offset)


def _count_articles(session: so.Session, report_filter: ReportFilter, offset: int) -> int:
    """The total when a page past the end came back empty (else it is in every row)."""
    if offset == 0:
        return 0
    query = sa.select(sa.func.count()).select_from(Article)
    if report_filter.site is not None:
        query = query.where(Article.site == report_filter.site)
    return session.scalar(query) or 0


_FIGURE_COLUMN = {column.key: column for column in FIGURE_COLUMNS}
AUTHOR_TABLE_COLUMNS = [
    Column("author", "Author"),
    Column("articles", "Articles", "count"),
    *(_FIGURE_COLUMN[key] for key in ("comments", "scored", "mean_compound", "negative_share",
                                      "off_topic_share", "rejected", "spam", "rejection_rate")),
]  # fmt: skip


def author_rows(
    session: so.Session,
    report_filter: ReportFilter,
    off_topic_threshold: float,
    sort: str = "volume",
    limit: int | None = None,
    offset: int = 0,
    zone: ZoneInfo = UTC_ZONE,
) -> Page:
    """Per author (by name): volume, mean sentiment, off-topic share, rejection rate.

    Added up from the author summaries (refreshed first): without dates, from the
    per-site ones; with dates, from the days in the range, and the articles of the
    authors shown counted from their comments (they do not add up over days).
    """
    summaries.refresh_authors(session, off_topic_threshold, zone)
    if report_filter.is_dated:
        grouped = summed_author_days(report_filter)
    else:
        grouped = summed_authors(report_filter.site)
    grouped = grouped.subquery("per_author")
    query = (
        sa.select(grouped, sa.func.count().over().label("matching"))
        .order_by(*_order(sort if sort in AUTHOR_SORTS else "volume", grouped), grouped.c.author)
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    result = session.execute(query).mappings().all()
    if report_filter.is_dated:
        articles = authors_articles(session, [row["author"] for row in result], report_filter, zone)
    else:
        articles = {row["author"]: row["articles"] for row in result}
    rows = []
    for row in result:
        figures = Figures.from_row(row)
        values = {"author": row["author"], "articles": articles[row["author"]], **figures.as_row()}
        rows.append({column.key: values[column.key] for column in AUTHOR_TABLE_COLUMNS})
    table = ReportTable(
        "authors",
        "Authors",
        AUTHOR_TABLE_COLUMNS,
        rows,
        note="Reader comments only. Authors are told apart by the name they gave.",
    )
    return Page(table, result[0]["matching"] if result else 0, limit, offset)


def counted_authors(
    report_filter: ReportFilter, off_topic_threshold: float, zone: ZoneInfo
) -> sa.Select:
    """Per author, the figures of their reader comments in the filter, counted from the
    comments: what :func:`summed_authors` and :func:`summed_author_days` add up from the
    summaries, and the reference the tests hold them to (no page reads it any more)."""
    grouped = _filtered(
        _scored_comments(
            Comment.author_name.label("author"),
            sa.func.count(sa.distinct(Comment.article_id)).label("articles"),
            *figure_columns(off_topic_threshold),
        ),
        report_filter,
        zone,
    )
    return grouped.where(READER_COMMENT).group_by(Comment.author_name)


def summed_authors(site: str | None) -> sa.Select:
    """Per author, the same figures (every date) added up from the author summaries."""
    s = summaries.AuthorSummary
    query = sa.select(
        s.author_name.label("author"), sa.func.sum(s.articles).label("articles"), *_bucket_sums(s)
    ).group_by(s.author_name)
    return query if site is None else query.where(s.site == site)


def summed_author_days(report_filter: ReportFilter) -> sa.Select:
    """Per author, the figures but articles of their reader comments in the filter's days,
    added up from the author days (local days of the zone they were counted in)."""
    d = summaries.AuthorDay
    query = sa.select(d.author_name.label("author"), *_bucket_sums(d)).group_by(d.author_name)
    if report_filter.since is not None:
        query = query.where(d.day >= report_filter.since)
    if report_filter.until is not None:
        query = query.where(d.day <= report_filter.until)
    return query if report_filter.site is None else query.where(d.site == report_filter.site)


def authors_articles(
    session: so.Session, authors: list[str], report_filter: ReportFilter, zone: ZoneInfo
) -> dict[str, int]:
    """On how many articles each of ``authors`` has reader comments in the filter."""
    articles = dict.fromkeys(authors, 0)
    for start in range(0, len(authors), summaries.CHUNK):
        chunk = authors[start : start + summaries.CHUNK]
        query = _filtered(
            sa.select(Comment.author_name, sa.func.count(sa.distinct(Comment.article_id))),
            report_filter,
            zone,
        )
        query = query.where(READER_COMMENT, Comment.author_name.in_(chunk))
        articles.update(tuple(row) for row in session.execute(query.group_by(Comment.author_name)))
    return articles


def _bucket_columns(moment: sa.ColumnElement, size: int) -> list:
    """Per UTC bucket: comments, scored, sum of compound, negatives, positives."""
    return [
        epoch_bucket(moment, size).label("bucket"),
        count_where(READER_COMMENT).label("comments"),
        count_where(IN_SENTIMENT).label("scored"),
        sa.func.sum(sa.case((IN_SENTIMENT, CommentScore.compound))).label("compound_sum"),
        count_where(sa.and_(IN_SENTIMENT, CommentScore.sentiment_label == "negative")).label(
            "negative"
        ),
        count_where(sa.and_(IN_SENTIMENT, CommentScore.sentiment_label == "positive")).label(
            "positive"
        ),
    ]


def _timeline_row(sums: list[float]) -> dict:
    comments, scored, compound_sum, negative, positive = sums
    return {
        "comments": int(comments),
        "scored": int(scored),
        "mean_compound": compound_sum / scored if scored else None,
        "negative_share": share(int(negative), int(scored)),
        "positive_share": share(int(positive), int(scored)),
    }


TIMELINE_VALUE_COLUMNS = [
    Column("comments", "Comments", "count"),
    Column("scored", "Scored", "count"),
    Column("mean_compound", "Mean compound", "number"),
    Column("negative_share", "Negative", "share"),
    Column("positive_share", "Positive", "share"),
]


def site_timeline(
    session: so.Session, report_filter: ReportFilter, zone: ZoneInfo, off_topic_threshold: float
) -> ReportTable:
    """Volume and sentiment per local day across the site (days without comments left out)."""
    rollup.refresh(session, off_topic_threshold)
    b = ReportBucket
    query = sa.select(
        b.bucket, sa.func.sum(b.comments), sa.func.sum(b.scored), sa.func.sum(b.compound_sum),
        sa.func.sum(b.negative), sa.func.sum(b.positive),
    ).group_by(b.bucket)  # fmt: skip
    rows = session.execute(_in_buckets(query, report_filter, zone)).all()
    folded = buckets.fold(rows, rollup.BUCKET_SECONDS, lambda start: buckets.local_day(start, zone))
    return ReportTable(
        "timeline",
        "Comments and sentiment per day",
        [Column("day", "Day", "date"), *TIMELINE_VALUE_COLUMNS],
        [{"day": day, **_timeline_row(sums)} for day, sums in folded.items() if sums[0]],
        note=f"Days in {zone.key}. Sentiment is of scored reader comments, spam left out.",
    )


MODERATOR_COLUMNS = [
    Column("day", "Day", "date"),
    Column("moderator", "Moderator"),
    *[
        Column(status.value, status.value.capitalize(), "count")
        for status in ModerationStatus
        if status != ModerationStatus.PENDING
    ],  # fmt: skip
    Column("undos", "Undos", "count"),
    Column("decisions", "All decisions", "count"),
]


def moderator_activity(
    session: so.Session, report_filter: ReportFilter, zone: ZoneInfo
) -> ReportTable:
    """Decisions per moderator and local day (newest day first), from the audit log.

    On every site, added up from the moderator days (refreshed first); on one site,
    counted from the decisions there.
    """
    if report_filter.site is None:
        summaries.refresh_moderators(session, zone)
        counts = summed_moderator_days(report_filter)
    else:
        counts = counted_moderator_days(report_filter, zone)
    cells: dict[tuple, dict[str, int]] = {}
    for day, username, to_status, undo, count in counts(session):
        cell = cells.setdefault((day, username), {})
        column = "undos" if undo else to_status
        cell[column] = cell.get(column, 0) + count
        cell["decisions"] = cell.get("decisions", 0) + count
    newest_first = sorted(cells.items(), key=lambda item: (-item[0][0].toordinal(), item[0][1]))
    rows = [
        {"day": day, "moderator": username,
         **{c.key: cell.get(c.key, 0) for c in MODERATOR_COLUMNS[2:]}}
        for (day, username), cell in newest_first
    ]  # fmt: skip
    return ReportTable(
        "moderators",
        "Moderation activity per moderator and day",
        MODERATOR_COLUMNS,
        rows,
        note=f"Days in {zone.key}. Undos put a comment back; they count apart.",
    )


def counted_moderator_days(report_filter: ReportFilter, zone: ZoneInfo):
    """(day, moderator, outcome, undo, decisions) rows in the filter, from the decisions."""
    size = buckets.bucket_seconds(zone)
    is_undo = Decision.undoes_id.is_not(None).label("is_undo")
    bucket = epoch_bucket(Decision.created_at, size).label("bucket")
    query = (
        sa.select(bucket, User.username, Decision.to_status, is_undo, sa.func.count())
        .join(User, User.id == Decision.moderator_id)
        .where(*_time_conditions(Decision.created_at, report_filter, zone))
        .group_by(sa.literal_column("bucket"), User.username, Decision.to_status, is_undo)
    )
    if report_filter.site is not None:
        query = (
            query.join(Comment, Comment.id == Decision.comment_id)
            .join(Article, Article.id == Comment.article_id)
            .where(Article.site == report_filter.site)
        )

    def rows(session: so.Session):
        for index, username, to_status, undo, count in session.execute(query):
            day = buckets.local_day(buckets.bucket_start(index, size), zone)
            yield day, username, to_status, undo, count

    return rows


def summed_moderator_days(report_filter: ReportFilter):
    """The same rows, from the moderator days (local days of the zone they were counted in)."""
    d = summaries.ModeratorDay
    query = (
        sa.select(d.day, User.username, d.to_status, d.undo, d.decisions)
        .join(User, User.id == d.moderator_id)
    )  # fmt: skip
    if report_filter.since is not None:
        query = query.where(d.day >= report_filter.since)
    if report_filter.until is not None:
        query = query.where(d.day <= report_filter.until)
    return lambda session: session.execute(query)


# --- One article ------------------------------------------------------------------------


@dataclass
class DerailPoint:
    comment_id: int
    author: str
    posted_at: datetime | None
    position: int
    mean_drift: float | None


@dataclass(frozen=True)
class ArticleInfo:
    """The article a report is about (plain values: reports are cached across sessions)."""

    id: int
    site: str
    title: str
    url: str | None
    author: str | None
    published_at: datetime | None


@dataclass
class ArticleReport:
    article: ArticleInfo
    figures: Figures
    median_compound: float | None
    decided_comments: int
    """Reader comments with a decision in the audit log (undone ones left out)."""
    timed_decisions: int
    """Those of them whose source gave a posting time: the median is over these only."""
    median_decision_seconds: float | None
    derail: DerailPoint | None
    mean_drift: float | None
    histogram: ReportTable
    timeline: ReportTable
    outcomes: ReportTable
    most_negative: ReportTable
    most_positive: ReportTable
    subthreads: ReportTable
    tables: dict[str, ReportTable] = field(default_factory=dict)

    def __post_init__(self):
        for table in (self.summary(), self.histogram, self.timeline, self.outcomes,
                      self.most_negative, self.most_positive, self.subthreads):  # fmt: skip
            self.tables[table.name] = table

    @property
    def decision_time(self) -> str:
        """The time to decision in words, saying which comments it could be measured on."""
        if not self.decided_comments:
            return "no decisions yet"
        if not self.timed_decisions:
            return (
                f"not known: none of the {self.decided_comments} decided comments "
                "has a posting time in its source"
            )
        untimed = self.decided_comments - self.timed_decisions
        return (
            f"median {format_duration(self.median_decision_seconds)} from posting to the "
            f"first decision that stood, over {self.timed_decisions} decided "
            f"comment{'s' if self.timed_decisions != 1 else ''}"
            + (f" ({untimed} without a posting time left out)" if untimed else "")
        )

    def summary(self) -> ReportTable:
        return figures_table(
            "summary",
            "Figures",
            self.figures,
            extra=[
                (Column("median_compound", "Median compound", "number"), self.median_compound),
                (Column("decided_comments", "Comments decided", "count"), self.decided_comments),
                (
                    Column("timed_decisions", "Decided comments with a posting time", "count"),
                    self.timed_decisions,
                ),
                (
                    Column("median_decision_seconds", "Median time to decision", "seconds"),
                    self.median_decision_seconds,
                ),
                (
                    Column("derail_comment_id", "Derails at comment", "id"),
                    self.derail.comment_id if self.derail else None,
                ),
                (Column("mean_drift", "Mean drift", "number"), self.mean_drift),
            ],
        )


def article_report(
    session: so.Session, article_id: int, off_topic_threshold: float, zone: ZoneInfo
) -> ArticleReport | None:
    """Everything about one article's thread (None if there is no such article)."""
    found = session.execute(
        sa.select(
            Article.id, Article.site, Article.title, Article.url, Article.author,
            Article.published_at,
        ).where(Article.id == article_id)
    ).first()  # fmt: skip
    if found is None:
        return None
    article = ArticleInfo(**found._mapping)
    # The comments of a running import stay out, as everywhere else.
    in_article = sa.and_(Comment.article_id == article_id, *visible_comments(session))
    figures = Figures.from_row(
        session.execute(_scored_comments(*figure_columns(off_topic_threshold)).where(in_article))
        .mappings()
        .one()
    )
    median_compound = session.scalar(
        median_of(_scored_comments(CommentScore.compound).where(in_article, IN_SENTIMENT))
    )
    decided, timed, median_seconds = _decision_times(session, in_article)
    derail, mean_drift = _derail_point(session, article_id)
    return ArticleReport(
        article=article,
        figures=figures,
        median_compound=None if median_compound is None else float(median_compound),
        decided_comments=decided,
        timed_decisions=timed,
        median_decision_seconds=median_seconds,
        derail=derail,
        mean_drift=mean_drift,
        histogram=_histogram(session, in_article),
        timeline=_article_timeline(session, article, zone, in_article),
        outcomes=_outcomes(figures),
        most_negative=_extremes(session, in_article, negative=True),
        most_positive=_extremes(session, in_article, negative=False),
        subthreads=_subthreads(session, in_article),
    )


def _decision_times(session: so.Session, in_article) -> tuple[int, int, float | None]:
    """How many comments were decided, how many of those have a posting time, and the
    median time from posting to the first decision that stood, over those only
    (undone decisions and the undos themselves left out). A comment without a
    posting time has only its import time, which says nothing of how long it waited."""
    per_comment = (
        sa.select(
            seconds_between(sa.func.min(Decision.created_at), Comment.posted_at).label("seconds")
        )
        .select_from(Comment)
        .join(Decision, Decision.comment_id == Comment.id)
        .where(
            in_article,
            READER_COMMENT,
            Decision.undone_by_id.is_(None),
            Decision.undoes_id.is_(None),
        )
        .group_by(Comment.id, Comment.posted_at)
    )
    counts = per_comment.subquery()
    decided, timed = session.execute(
        sa.select(sa.func.count(), sa.func.count(counts.c.seconds))
    ).one()
    timed_only = per_comment.where(Comment.posted_at.is_not(None))
    median = session.scalar(median_of(timed_only)) if timed else None
    return decided or 0, timed or 0, None if median is None else float(median)


def _derail_point(session: so.Session, article_id: int) -> tuple[DerailPoint | None, float | None]:
    row = session.execute(
        sa.select(
            ThreadSummary.mean_drift,
            Comment.id,
            Comment.author_name,
            Comment.posted_at,
            Comment.position,
        )
        .outerjoin(Comment, Comment.id == ThreadSummary.derail_comment_id)
        .where(ThreadSummary.article_id == article_id)
    ).first()
    if row is None:
        return None, None
    mean_drift = None if row.mean_drift is None else float(row.mean_drift)
    if row.id is None:
        return None, mean_drift
    point = DerailPoint(row.id, row.author_name, row.posted_at, row.position, mean_drift)
    return point, mean_drift


def _histogram(session: so.Session, in_article) -> ReportTable:
    width = 2 / HISTOGRAM_BINS
    raw = floor_integer((CommentScore.compound + 1) * (HISTOGRAM_BINS / 2))
    # compound = 1 exactly belongs in the last bin, not one past it.
    bin_index = sa.case(
        (CommentScore.compound >= 1, HISTOGRAM_BINS - 1),
        (CommentScore.compound < -1, 0),
        else_=raw,
    ).label("bin")
    counts = dict(
        session.execute(
            _scored_comments(bin_index, sa.func.count())
            .where(in_article, IN_SENTIMENT)
            .group_by(sa.literal_column("bin"))
        ).all()
    )
    rows = [
        {
            "bin_start": round(-1 + index * width, 2),
            "bin_end": round(-1 + (index + 1) * width, 2),
            "comments": counts.get(index, 0),
        }
        for index in range(HISTOGRAM_BINS)
    ]
    return ReportTable(
        "histogram",
        "Compound scores",
        [
            Column("bin_start", "From", "number"),
            Column("bin_end", "Below", "number"),
            Column("comments", "Comments", "count"),
        ],
        rows,
        note="Scored reader comments, spam left out; the last bin includes +1.",
    )


def _article_timeline(
    session: so.Session, article: ArticleInfo, zone: ZoneInfo, in_article
) -> ReportTable:
    """Hourly for the first :data:`HOURLY_DAYS` local days from publication, then daily."""
    size = buckets.bucket_seconds(zone)
    rows = session.execute(
        _scored_comments(*_bucket_columns(comment_time(), size))
        .where(in_article, READER_COMMENT)
        .group_by(sa.literal_column("bucket"))
    ).all()
    columns = [
        Column("start", "From", "datetime"),
        Column("resolution", "Per"),
        Column("hours_after_publication", "Hours after publication", "number"),
        *TIMELINE_VALUE_COLUMNS,
    ]
    title = "Comments and sentiment since publication"
    note = f"Hourly for the first {HOURLY_DAYS} days, then daily; times in {zone.key}."
    known = [row.bucket for row in rows if row.bucket is not None]
    if not known:
        return ReportTable("timeline", title, columns, [], note=note)
    published = article.published_at or buckets.bucket_start(min(known), size)
    cutoff = local_midnight_utc(
        buckets.local_day(published, zone) + timedelta(days=HOURLY_DAYS), zone
    )

    def key(start: datetime):
        if start < cutoff:
            return (0, buckets.local_hour(start, zone))
        return (1, local_midnight_utc(buckets.local_day(start, zone), zone))

    folded = buckets.fold(rows, size, key)
    table_rows = [
        {
            "start": start.astimezone(zone),
            "resolution": "hour" if hourly == 0 else "day",
            "hours_after_publication": round((start - published).total_seconds() / 3600, 2),
            **_timeline_row(sums),
        }
        for (hourly, start), sums in folded.items()
    ]
    return ReportTable("timeline", title, columns, table_rows, note=note)


def _outcomes(figures: Figures) -> ReportTable:
    statuses = ["approved", "rejected", "spam", "pending", "escalated"]
    return ReportTable(
        "outcomes",
        "Moderation outcomes",
        [
            Column("status", "Status"),
            Column("comments", "Comments", "count"),
            Column("share", "Share", "share"),
        ],  # fmt: skip
        [
            {
                "status": status,
                "comments": getattr(figures, status),
                "share": share(getattr(figures, status), figures.comments),
            }
            for status in statuses
        ],  # fmt: skip
        note="Reader comments by their current status.",
    )


EXTREME_COLUMNS = [
    Column("comment_id", "Comment", "id"),
    Column("author", "Author"),
    Column("posted_at", "Posted", "datetime"),
    Column("compound", "Compound", "number"),
    Column("excerpt", "Excerpt"),
]


def _extremes(session: so.Session, in_article, negative: bool) -> ReportTable:
    """The approved comments scored most negative (below 0) or most positive (above 0):
    an article with few negative ones lists only those, not its neutral or positive ones."""
    compound = CommentScore.compound
    order, side = (compound.asc(), compound < 0) if negative else (compound.desc(), compound > 0)
    rows = session.execute(
        sa.select(Comment.id, Comment.author_name, Comment.posted_at, compound, Comment.body)
        .join(CommentScore, CommentScore.comment_id == Comment.id)
        .where(in_article, READER_COMMENT, Comment.status == ModerationStatus.APPROVED, side)
        .order_by(order, Comment.id)
        .limit(EXTREMES_SHOWN)
    ).all()
    which = "negative" if negative else "positive"
    return ReportTable(
        f"most-{which}",
        f"Most {which} approved comments",
        EXTREME_COLUMNS,
        [
            {
                "comment_id": r.id,
                "author": r.author_name,
                "posted_at": r.posted_at,
                "compound": r.compound,
                "excerpt": excerpt(r.body),
            }
            for r in rows
        ],  # fmt: skip
        note=f"Approved reader comments scored {'below' if negative else 'above'} 0, "
        f"most {which} first.",
    )


def _subthreads(session: so.Session, in_article) -> ReportTable:
    """Top-level comments with their replies (at any depth), most negative mean first."""
    thread = (
        sa.select(Comment.id.label("root_id"), Comment.id.label("id"))
        # "coalesce(parent_id, 0) = 0" rather than "parent_id IS NULL": the same rows, but
        # SQLite would otherwise walk the parent index through every top-level comment
        # of the site instead of the article's few.
        .where(
            in_article,
            sa.func.coalesce(Comment.parent_id, 0) == 0,
            READER_COMMENT,
        )
        .cte("thread", recursive=True)
    )
    reply = so.aliased(Comment, name="reply")
    # UNION, not UNION ALL: a (corrupt) cycle of replies repeats rows, which ends it.
    thread = thread.union(
        sa.select(thread.c.root_id, reply.id).join(reply, reply.parent_id == thread.c.id)
    )
    mean = sa.func.avg(sa.case((IN_SENTIMENT, CommentScore.compound)))
    per_root = (
        sa.select(
            thread.c.root_id,
            count_where(READER_COMMENT).label("comments"),
            count_where(IN_SENTIMENT).label("scored"),
            mean.label("mean_compound"),
        )
        .select_from(thread)
        .join(Comment, Comment.id == thread.c.id)
        .outerjoin(CommentScore, CommentScore.comment_id == Comment.id)
        .where(in_article)
        .group_by(thread.c.root_id)
        .having(count_where(READER_COMMENT) >= 2, mean.is_not(None))
        .subquery("per_root")
    )
    root = so.aliased(Comment, name="root")
    rows = session.execute(
        sa.select(per_root, root.author_name, root.body, root.posted_at)
        .join(root, root.id == per_root.c.root_id)
        .order_by(per_root.c.mean_compound, per_root.c.root_id)
        .limit(SUBTHREADS_SHOWN)
    ).all()
    return ReportTable(
        "subthreads",
        "Most negative sub-threads",
        [
            Column("comment_id", "Top comment", "id"),
            Column("author", "Author"),
            Column("comments", "Comments", "count"),
            Column("scored", "Scored", "count"),
            Column("mean_compound", "Mean compound", "number"),
            Column("excerpt", "Top comment begins"),
        ],
        [
            {
                "comment_id": r.root_id,
                "author": r.author_name,
                "comments": r.comments,
                "scored": r.scored,
                "mean_compound": float(r.mean_compound),
                "excerpt": excerpt(r.body),
            }
            for r in rows
        ],  # fmt: skip
        note="A top-level comment with all its replies; threads of two or more comments.",
    )


def data_version(session: so.Session) -> tuple:
    """Changes whenever the app changes what reports count: a new comment (import), a
    decision (or undo), a scoring run (it rewrites thread summaries) or an import.

    Cheap: primary-key maxima and one small table. Used to keep cached results.
    """
    return tuple(
        session.execute(
            sa.select(
                sa.select(sa.func.max(Comment.id)).scalar_subquery(),
                sa.select(sa.func.max(Decision.id)).scalar_subquery(),
                sa.select(sa.func.max(ThreadSummary.scored_at)).scalar_subquery(),
                sa.select(sa.func.count()).select_from(ThreadSummary).scalar_subquery(),
                sa.select(sa.func.max(ImportBatch.id)).scalar_subquery(),
            )
        ).one()
    )


def site_names(session: so.Session) -> list[str]:
    """Every site with articles, for the site filter."""
    return list(session.scalars(sa.select(Article.site).distinct().order_by(Article.site)))
