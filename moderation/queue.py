"""The moderation queue's queries: tabs and their counts, filters, keyset pagination, search.

Views stay thin: they turn the URL into a :class:`QueueFilter`, and this module
turns that into SQL that the indexes can serve on a million comments.

* Order: highest priority first, then oldest (``priority DESC, id ASC``), which
  ``ix_comments_queue (status, priority, id)`` serves. Unscored comments
  (priority NULL) come after the scored ones on both databases. The All tab
  lists newest first by id.
* Pages continue from a cursor (the last row's priority and id) in the range
  form ``priority <= ? AND (priority < ? OR id > ?)``, never with OFFSET, so
  page 10,000 costs what page 1 costs.
* Unfiltered tab counts come from ``comment_status_counts``, kept by triggers;
  filtered ones are counted, but only up to :data:`COUNT_CAP`.
* Free-text search uses the database's own index: FTS5 on SQLite,
  ``to_tsvector('simple', body)`` with a GIN index on PostgreSQL (migration 0004).
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from .models import (
    Article,
    Comment,
    CommentFlag,
    CommentScore,
    CommentStatusCount,
    ModerationStatus,
)

ALL = "all"
TABS: tuple[str, ...] = (
    ModerationStatus.PENDING,
    ModerationStatus.ESCALATED,
    ModerationStatus.APPROVED,
    ModerationStatus.REJECTED,
    ModerationStatus.SPAM,
    ALL,
)
SENTIMENT_LABELS = ("negative", "neutral", "positive")
PAGE_SIZE = 50
COUNT_CAP = 1000
"""Filtered counts stop here ("1000+"): exact counts of big filtered sets cost a scan."""
COMPACT_COUNTS_ABOVE = 64
"""PostgreSQL: fold the counter rows together once there are more than this many."""
MAX_SEARCH_TERMS = 16
SEARCH_FROM_MATCHES_UP_TO = 2000
"""SQLite: a search matching at most this many comments starts from the matches."""
SEARCH_COUNT_SAMPLE = 5000
"""Filtered counts of a search look at this many matches at most."""

# Objects migration 0004 creates by hand, which autogenerate must not propose to drop.
_HAND_MADE = re.compile(r"^(comments_fts(_\w+)?|ix_comments_body_search)$")


def include_in_autogenerate(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic ``include_name`` hook: hide the full-text search tables and index."""
    return not (name and _HAND_MADE.match(name))


@dataclass(frozen=True)
class QueueFilter:
    """One view of the queue, as it lives in the URL's query string."""

    tab: str = ModerationStatus.PENDING
    article: int | None = None
    sentiment: str | None = None
    min_drift: float | None = None
    flag: str | None = None
    author: str | None = None
    posted_from: date | None = None
    posted_to: date | None = None
    q: str | None = None

    @classmethod
    def from_args(cls, args) -> QueueFilter:
        """Read a filter from request args; anything unreadable is ignored, never an error."""

        def text(name: str, length: int) -> str | None:
            # NUL is refused by PostgreSQL in any string, so it never reaches a query.
            return (args.get(name) or "").replace("\x00", "").strip()[:length] or None

        tab = args.get("tab", ModerationStatus.PENDING)
        sentiment = args.get("sentiment") or None
        return cls(
            tab=tab if tab in TABS else ModerationStatus.PENDING,
            article=_int_or_none(args.get("article")),
            sentiment=sentiment if sentiment in SENTIMENT_LABELS else None,
            min_drift=_float_or_none(args.get("min_drift")),
            flag=text("flag", 30),
            author=text("author", 300),
            posted_from=_date_or_none(args.get("posted_from")),
            posted_to=_date_or_none(args.get("posted_to")),
            q=text("q", 500),
        )

    def to_args(self, **changes) -> dict[str, str]:
        """The query-string arguments for this filter (with ``changes``), defaults left out."""
        values = asdict(replace(self, **changes))
        return {
            key: value.isoformat() if isinstance(value, date) else str(value)
            for key, value in values.items()
            if value is not None and not (key == "tab" and value == ModerationStatus.PENDING)
        }

    @property
    def narrowed(self) -> bool:
        """True when anything beyond the tab narrows the view."""
        return any(getattr(self, f.name) is not None for f in fields(self) if f.name != "tab")


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: after the row with this priority (None: unscored) and id."""

    priority: float | None
    id: int

    def encode(self) -> str:
        return f"{'n' if self.priority is None else repr(self.priority)}_{self.id}"

    @classmethod
    def decode(cls, text: str | None) -> Cursor | None:
        """None for a missing or malformed cursor (which then means page 1)."""
        if not text:
            return None
        priority_text, _, id_text = text.partition("_")
        try:
            priority = None if priority_text == "n" else float(priority_text)
            comment_id = int(id_text)
        except ValueError:
            return None
        if (priority is not None and not math.isfinite(priority)) or not 0 <= comment_id < 2**31:
            return None
        return cls(priority, comment_id)


@dataclass
class QueueItem:
    comment: Comment
    article_title: str
    score: CommentScore | None


@dataclass
class QueuePage:
    items: list[QueueItem]
    next_cursor: Cursor | None


@dataclass(frozen=True)
class TabCount:
    tab: str
    count: int
    capped: bool = False

    def __str__(self) -> str:
        return f"{self.count}+" if self.capped else str(self.count)


# Pages -------------------------------------------------------------------------


def queue_page(
    session: so.Session, view: QueueFilter, cursor: Cursor | None = None, limit: int = PAGE_SIZE
) -> QueuePage:
    """One page of comments in queue order, starting after ``cursor``."""
    base = sa.select(Comment, Article.title, CommentScore).join(
        Article, Article.id == Comment.article_id
    )
    base = base.outerjoin(CommentScore, CommentScore.comment_id == Comment.id)
    base = base.where(*_conditions(session, view)[0])

    if view.tab == ALL:
        query = base.order_by(Comment.id.desc())
        if cursor is not None:
            query = query.where(Comment.id < cursor.id)
        rows = session.execute(query.limit(limit + 1)).all()
    else:
        rows = []
        if cursor is None or cursor.priority is not None:
            scored = base.where(Comment.priority.is_not(None)).order_by(
                Comment.priority.desc(), Comment.id.asc()
            )
            if cursor is not None:
                scored = scored.where(
                    Comment.priority <= cursor.priority,
                    sa.or_(Comment.priority < cursor.priority, Comment.id > cursor.id),
                )
            rows = session.execute(scored.limit(limit + 1)).all()
        if len(rows) <= limit:
            unscored = base.where(Comment.priority.is_(None)).order_by(Comment.id.asc())
            if cursor is not None and cursor.priority is None:
                unscored = unscored.where(Comment.id > cursor.id)
            rows += session.execute(unscored.limit(limit + 1 - len(rows))).all()

    items = [QueueItem(row[0], row[1], row[2]) for row in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1].comment
        next_cursor = Cursor(None if view.tab == ALL else last.priority, last.id)
    return QueuePage(items, next_cursor)


def matching_targets(session: so.Session, view: QueueFilter, limit: int) -> list[tuple[int, int]]:
    """``(id, version)`` of up to ``limit`` comments matching the view, in queue order:
    what a bulk action on "all matching the current filter" applies to."""
    query = (
        sa.select(Comment.id, Comment.version)
        .select_from(Comment)
        .outerjoin(CommentScore, CommentScore.comment_id == Comment.id)
        .where(*_conditions(session, view)[0])
        .order_by(Comment.priority.desc().nulls_last(), Comment.id)
        .limit(limit)
    )
    return [(row.id, row.version) for row in session.execute(query)]


# Counts ------------------------------------------------------------------------


def tab_counts(session: so.Session, view: QueueFilter) -> list[TabCount]:
    """Each tab's count for this view: exact from the counter table when nothing narrows
    the view; otherwise counted over at most :data:`COUNT_CAP` + 1 matching comments,
    and marked capped (a lower bound, shown "n+") when there were more."""
    if not view.narrowed:
        counts = status_counts(session)
        result = [TabCount(tab, counts.get(tab, 0)) for tab in TABS if tab != ALL]
        return [*result, TabCount(ALL, sum(counts.values()))]
    conditions, truncated = _conditions(
        session, replace(view, tab=ALL), search_sample=SEARCH_COUNT_SAMPLE
    )
    sample = (
        sa.select(Comment.status)
        .select_from(Comment)
        .outerjoin(CommentScore, CommentScore.comment_id == Comment.id)
        .where(*conditions)
        .limit(COUNT_CAP + 1)
        .subquery()
    )
    counts = dict(
        session.execute(sa.select(sample.c.status, sa.func.count()).group_by(sample.c.status)).all()
    )
    total = sum(counts.values())
    capped = truncated or total > COUNT_CAP
    result = [TabCount(tab, counts.get(tab, 0), capped) for tab in TABS if tab != ALL]
    return [*result, TabCount(ALL, min(total, COUNT_CAP), capped)]


def status_counts(session: so.Session) -> dict[str, int]:
    """How many comments have each status, from the trigger-kept counter table."""
    rows = session.execute(
        sa.select(
            CommentStatusCount.status,
            sa.func.sum(CommentStatusCount.delta),
            sa.func.count(),
        ).group_by(CommentStatusCount.status)
    ).all()
    if sum(row[2] for row in rows) > COMPACT_COUNTS_ABOVE:
        compact_status_counts(session)
    return {row[0]: int(row[1]) for row in rows if row[1]}


def compact_status_counts(session: so.Session) -> None:
    """Fold the counter rows into one per status, on a connection of its own.

    One statement, so concurrent compactions and trigger inserts stay correct:
    each row is deleted (and its delta re-added) by exactly one compaction.
    """
    engine = session.get_bind()
    if engine.dialect.name != "postgresql":
        return  # SQLite's triggers keep one row per status already
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "WITH gone AS (DELETE FROM comment_status_counts RETURNING status, delta) "
                "INSERT INTO comment_status_counts (status, delta) "
                "SELECT status, sum(delta) FROM gone GROUP BY status"
            )
        )


def flag_codes(session: so.Session) -> list[str]:
    """The flag codes present, for the filter's choices."""
    return list(session.scalars(sa.select(CommentFlag.code).distinct().order_by(CommentFlag.code)))


# Conditions --------------------------------------------------------------------


def _conditions(
    session: so.Session, view: QueueFilter, search_sample: int | None = None
) -> tuple[list[sa.ColumnElement[bool]], bool]:
    """The WHERE conditions of a view, and whether a search was cut to ``search_sample``."""
    conditions: list[sa.ColumnElement[bool]] = []
    if view.tab != ALL:
        conditions.append(Comment.status == view.tab)
    if view.article is not None:
        conditions.append(Comment.article_id == view.article)
    if view.sentiment:
        conditions.append(CommentScore.sentiment_label == view.sentiment)
    if view.min_drift is not None:
        conditions.append(CommentScore.drift >= view.min_drift)
    if view.flag:
        # IN, not a correlated EXISTS: the planner may start from the (indexed) flag rows.
        conditions.append(
            Comment.id.in_(sa.select(CommentFlag.comment_id).where(CommentFlag.code == view.flag))
        )
    if view.author:
        conditions.append(Comment.author_name == view.author)
    if view.posted_from:
        conditions.append(Comment.posted_at >= _start_of(view.posted_from))
    if view.posted_to:
        conditions.append(Comment.posted_at < _start_of(view.posted_to + timedelta(days=1)))
    truncated = False
    if view.q:
        condition, truncated = search_condition(session, view.q, sample=search_sample)
        conditions.append(condition)
    return conditions, truncated


def search_condition(
    session: so.Session, text: str, sample: int | None = None
) -> tuple[sa.ColumnElement[bool], bool]:
    """Comments whose body contains every word of ``text``, through the full-text index.

    With ``sample``, only the first ``sample`` matches (for counting); the second value
    says whether there were more. PostgreSQL's planner weighs the GIN index against the
    queue index itself; SQLite's cannot, so it is told (see below).
    """
    if session.get_bind().dialect.name == "postgresql":
        condition = sa.text(
            "to_tsvector('simple', comments.body) @@ websearch_to_tsquery('simple', :search)"
        ).bindparams(search=text)
        return condition, False
    query = fts5_query(text)
    if not query:
        return sa.false(), False
    matches = session.scalar(
        sa.text(
            "SELECT count(*) FROM (SELECT rowid FROM comments_fts"
            " WHERE comments_fts MATCH :search LIMIT :enough)"
        ),
        {"search": query, "enough": max(sample or 0, SEARCH_FROM_MATCHES_UP_TO) + 1},
    )
    if sample is not None:
        condition = sa.text(
            "comments.id IN (SELECT rowid FROM comments_fts"
            " WHERE comments_fts MATCH :search LIMIT :sample)"
        ).bindparams(search=query, sample=sample)
        return condition, matches > sample
    # Few matches: start from them (by id) and sort those. Many: walk the queue index in
    # order and keep the comments that match; they are common, so a page fills quickly.
    # The unary + stops SQLite from using comments.id to start from the matches.
    column = "comments.id" if matches <= SEARCH_FROM_MATCHES_UP_TO else "+comments.id"
    condition = sa.text(
        f"{column} IN (SELECT rowid FROM comments_fts WHERE comments_fts MATCH :search)"
    ).bindparams(search=query)
    return condition, False


def fts5_query(text: str) -> str:
    """User text as an FTS5 query that cannot be a syntax error: every word a quoted
    phrase (so AND, NEAR, * and quotes are plain words), all of them required."""
    words = [word for word in re.split(r"\s+", text) if re.search(r"\w", word)]
    return " ".join('"' + word.replace('"', '""') + '"' for word in words[:MAX_SEARCH_TERMS])


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _int_or_none(value: str | None) -> int | None:
    try:
        number = int(value) if value else None
    except ValueError:
        return None
    # Beyond a 32-bit id nothing exists, and PostgreSQL would refuse the comparison.
    return number if number is not None and 0 < number < 2**31 else None


def _float_or_none(value: str | None) -> float | None:
    try:
        number = float(value) if value else None
    except ValueError:
        return None
    return number if number is not None and abs(number) < 1e9 else None


def _date_or_none(value: str | None) -> date | None:
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return day if day is not None and date.min < day < date.max else None
