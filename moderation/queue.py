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
* The comments of an import still running are left out of every view and count
  (:mod:`.running_imports`).
* Free-text search uses the database's own index, stemmed for English: FTS5 with the
  porter tokenizer on SQLite; on PostgreSQL the stored ``comments.body_search``
  (``to_tsvector('english', body)``, generated) with a GIN index (migrations 0004,
  0008 and 0020); :mod:`.search_syntax` reads the search box.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects import postgresql

from . import search_syntax
from .importers.records import DATE_RANGE, EARLIEST_DATE, LATEST_DATE
from .models import (
    Article,
    AuthorRule,
    Comment,
    CommentFlag,
    CommentScore,
    CommentStatusCount,
    ModerationStatus,
)
from .running_imports import running_status_counts, visible_comments
from .transaction_memo import remembered

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
SEARCH_FROM_MATCHES_UP_TO = 3000
"""A search matching at most this many comments starts from the matches. At 1M comments,
the page's ids from 2,518 matches took 3.7 ms against 6.6 walking the queue index; from
4,546, 7.5 against 3.2 (docs/serving.md)."""
POSTGRES_FROM_MATCHES_UP_TO = 5000
"""PostgreSQL: the same, higher: its walk of the queue index reads each row it passes."""
SEARCH_COUNT_SAMPLE = 5000
"""Filtered counts of a search look at this many matches at most."""

# Objects migrations 0004 and 0020 make by hand, which autogenerate must not propose to
# drop: the search tables (SQLite), the search column and its index (PostgreSQL).
_HAND_MADE = re.compile(r"^(comments_fts(_\w+)?|ix_comments_body_search|body_search)$")


def include_in_autogenerate(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic ``include_name`` hook: hide the full-text search tables and index."""
    return not (name and _HAND_MADE.match(name))


@dataclass(frozen=True)
class FilterProblem:
    """A value in the queue's URL that it cannot use: shown on the page, then left out."""

    name: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"{self.name}={self.value[:40]!r} {self.reason}."


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
        """A filter from request args, leaving out any value it cannot use (see :meth:`read`)."""
        return cls.read(args)[0]

    @classmethod
    def read(
        cls, args, flags: Collection[str] | None = None
    ) -> tuple[QueueFilter, list[FilterProblem]]:
        """A filter from request args, and a problem for each value it cannot use, which
        the filter then leaves out. With ``flags``, a flag must be one of them. Empty
        values mean "not set", as an empty form field sends them."""
        problems: list[FilterProblem] = []

        def value_of(name: str, convert):
            value = args.get(name) or ""
            if not value.strip():
                return None
            try:
                return convert(value.strip())
            except ValueError as error:
                problems.append(FilterProblem(name, value, str(error)))
                return None

        view = cls(
            tab=value_of("tab", _one_of(TABS, "tab")) or ModerationStatus.PENDING,
            article=value_of("article", _article_id),
            sentiment=value_of("sentiment", _one_of(SENTIMENT_LABELS, "sentiment")),
            min_drift=value_of("min_drift", _drift),
            flag=value_of("flag", _text(30) if flags is None else _one_of(flags, "flag in use")),
            author=value_of("author", _text(300)),
            posted_from=value_of("posted_from", _day),
            posted_to=value_of("posted_to", _day),
            q=value_of("q", _text(500)),
        )
        if view.posted_from and view.posted_to and view.posted_to < view.posted_from:
            problems.append(FilterProblem("posted_to", args["posted_to"], "is before posted_from"))
            view = replace(view, posted_to=None)
        return view, problems

    def to_args(self, **changes) -> dict[str, str]:
        """The query-string arguments for this filter (with ``changes``), defaults left out."""
        # Not dataclasses.asdict, which deep-copies every value: a queue page asks this
        # about ten times (its tabs, its forms, its pager).
        values = {field.name: getattr(self, field.name) for field in fields(self)}
        if not changes.keys() <= values.keys():
            raise TypeError(f"not a filter field: {sorted(changes.keys() - values.keys())}")
        values.update(changes)
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
    items: list
    """:class:`QueueItem` from :func:`queue_page`; rows of :data:`ROW_COLUMNS` from
    :func:`queue_row_page`."""
    next_cursor: Cursor | None


@dataclass(frozen=True)
class TabCount:
    tab: str
    count: int
    capped: bool = False

    def __str__(self) -> str:
        return f"{self.count}+" if self.capped else str(self.count)


# Pages -------------------------------------------------------------------------


ROW_COLUMNS = (
    Comment.id,
    Comment.version,
    Comment.status,
    Comment.author_name,
    Comment.body,
    Comment.posted_at,
    Comment.priority,
    CommentScore.comment_id.label("scored"),
    CommentScore.sentiment_label,
    CommentScore.compound,
    CommentScore.drift,
    sa.cast(CommentScore.flags, sa.Text).label("flags"),
    CommentScore.priority.label("score_priority"),
    AuthorRule.rule.label("author_rule"),
)
"""What a queue row shows: the comment, the rule in force for its author (None: none),
and of its score the signals (``scored`` is None for a comment not scored yet; the flags
as their JSON text, so that a row is hashable: see :mod:`moderation.web.queue_rows`). The
rest, mostly JSON, is read when a row is opened (``/queue/rows/<id>/details``)."""


def queue_page(
    session: so.Session, view: QueueFilter, cursor: Cursor | None = None, limit: int = PAGE_SIZE
) -> QueuePage:
    """One page of comments in queue order, starting after ``cursor``, as
    :class:`QueueItem` (each comment, its article's title and its score)."""
    query = (
        sa.select(Comment, Article.title, CommentScore)
        .join(Article, Article.id == Comment.article_id)
        .outerjoin(CommentScore, CommentScore.comment_id == Comment.id)
    )
    rows, next_cursor = _page(session, view, query, cursor, limit, lambda row: row[0])
    return QueuePage([QueueItem(row[0], row[1], row[2]) for row in rows], next_cursor)


def queue_row_page(
    session: so.Session, view: QueueFilter, cursor: Cursor | None = None, limit: int = PAGE_SIZE
) -> QueuePage:
    """The same page as :func:`queue_page`, as rows of :data:`ROW_COLUMNS`: what the
    queue's web page shows, read without building an object a comment and a score
    (a third of the CPU of reading a 50-row page that way). The author rules come in the
    same query: one probe of their primary key a row, not a query of their own."""
    query = (
        sa.select(*ROW_COLUMNS)
        .select_from(Comment)
        .outerjoin(CommentScore, CommentScore.comment_id == Comment.id)
        .outerjoin(AuthorRule, AuthorRule.author_name == Comment.author_name)
    )
    return QueuePage(*_page(session, view, query, cursor, limit, lambda row: row))


def _page(session, view: QueueFilter, base: sa.Select, cursor, limit: int, comment_of):
    """Up to ``limit`` rows of ``base`` in queue order after ``cursor``, and the cursor
    of the next page (None on the last); ``comment_of(row)`` has its id and priority."""
    conditions = _conditions(session, view)[0]

    def rows_of(order: tuple, *where: sa.ColumnElement[bool], count: int) -> list:
        if view.q:
            # A search that starts from its matches sorts all of them (1,536 pending at 1M):
            # its page's ids are picked first and only those rows joined to what they show.
            # Joining every match to its score before the sort was a third of that
            # statement's time on PostgreSQL. Elsewhere the order comes from an index and
            # the pick would only add a probe a row.
            ids = (
                sa.select(Comment.id)
                .select_from(Comment)
                .outerjoin(CommentScore, CommentScore.comment_id == Comment.id)
                .where(*conditions, *where)
                .order_by(*order)
                .limit(count)
            )
            query = base.where(Comment.id.in_(ids))
        else:
            query = base.where(*conditions, *where).limit(count)
        return session.execute(query.order_by(*order)).all()

    if view.tab == ALL:
        after = (Comment.id < cursor.id,) if cursor is not None else ()
        rows = rows_of((Comment.id.desc(),), *after, count=limit + 1)
    else:
        rows = []
        if cursor is None or cursor.priority is not None:
            after = ()
            if cursor is not None:
                after = (
                    Comment.priority <= cursor.priority,
                    sa.or_(Comment.priority < cursor.priority, Comment.id > cursor.id),
                )
            order = (Comment.priority.desc(), Comment.id.asc())
            rows = rows_of(order, Comment.priority.is_not(None), *after, count=limit + 1)
        if len(rows) <= limit:
            after = ()
            if cursor is not None and cursor.priority is None:
                after = (Comment.id > cursor.id,)
            rows += rows_of(
                (Comment.id.asc(),),
                Comment.priority.is_(None),
                *after,
                count=limit + 1 - len(rows),
            )

    next_cursor = None
    if len(rows) > limit:
        last = comment_of(rows[limit - 1])
        next_cursor = Cursor(None if view.tab == ALL else last.priority, last.id)
    return rows[:limit], next_cursor


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


def matching_count(session: so.Session, view: QueueFilter) -> int:
    """The exact number of comments matching the view (no cap: a bulk action names it)."""
    query = (
        sa.select(sa.func.count())
        .select_from(Comment)
        .outerjoin(CommentScore, CommentScore.comment_id == Comment.id)
        .where(*_conditions(session, view)[0])
    )
    return session.scalar(query)


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
    rows = session.execute(_STATUS_COUNTS).all()
    if sum(row[2] for row in rows) > COMPACT_COUNTS_ABOVE:
        compact_status_counts(session)
    counts = {row[0]: int(row[1]) for row in rows if row[1]}
    for status, hidden in running_status_counts(session).items():
        counts[status] = counts.get(status, 0) - hidden
    return {status: count for status, count in counts.items() if count}


_STATUS_COUNTS = sa.select(
    CommentStatusCount.status, sa.func.sum(CommentStatusCount.delta), sa.func.count()
).group_by(CommentStatusCount.status)
"""Built once: every queue page asks it, and building it cost more than running it."""


def compact_status_counts(session: so.Session) -> None:
    """Fold the counter rows into one per status, on a connection of its own.

    One statement, so concurrent compactions and trigger inserts stay correct:
    each row is deleted (and its delta re-added) by exactly one compaction.
    """
    engine = session.get_bind()
    if engine.dialect.name != "postgresql":
        return  # SQLite's triggers keep one row per status already
    with engine.begin() as connection:
        connection.execute(FOLD_STATUS_COUNTS)


FOLD_STATUS_COUNTS = sa.text(
    "WITH gone AS (DELETE FROM comment_status_counts RETURNING status, delta) "
    "INSERT INTO comment_status_counts (status, delta) "
    "SELECT status, sum(delta) FROM gone GROUP BY status"
)
"""PostgreSQL: the counter rows folded into one per status (see compact_status_counts)."""


def flag_codes(session: so.Session) -> list[str]:
    """The flag codes present, for the filter's choices."""
    return list(session.scalars(_flag_codes_query()))


@functools.cache  # built once: building the recursive query cost more than running it
def _flag_codes_query() -> sa.Select:
    """One index probe per code (a recursive query: each the smallest code above the last),
    not SELECT DISTINCT, which PostgreSQL answers by reading the whole flag index (20 ms
    a queue page at 1M comments)."""
    codes = sa.select(sa.func.min(CommentFlag.code).label("code")).cte("codes", recursive=True)
    later = so.aliased(CommentFlag)
    codes = codes.union_all(
        sa.select(
            sa.select(sa.func.min(later.code)).where(later.code > codes.c.code).scalar_subquery()
        ).where(codes.c.code.is_not(None))
    )
    return sa.select(codes.c.code).where(codes.c.code.is_not(None))


# Conditions --------------------------------------------------------------------


def _conditions(
    session: so.Session, view: QueueFilter, search_sample: int | None = None
) -> tuple[list[sa.ColumnElement[bool]], bool]:
    """The WHERE conditions of a view, and whether a search was cut to ``search_sample``."""
    conditions = visible_comments(session)
    if view.tab != ALL:
        conditions.append(Comment.status == view.tab)
    if view.article is not None:
        conditions.append(Comment.article_id == view.article)
    if view.author:
        conditions.append(Comment.author_name == view.author)
    if view.posted_from:
        conditions.append(Comment.posted_at >= _start_of(view.posted_from))
    if view.posted_to:
        conditions.append(Comment.posted_at < _start_of(view.posted_to + timedelta(days=1)))
    # The conditions on the comment's own columns, so far: a search's matches are taken
    # within them (see search_condition).
    own_columns = list(conditions)
    if view.sentiment:
        conditions.append(CommentScore.sentiment_label == view.sentiment)
    if view.min_drift is not None:
        conditions.append(CommentScore.drift >= view.min_drift)
    if view.flag:
        # IN, not a correlated EXISTS: the planner may start from the (indexed) flag rows.
        conditions.append(
            Comment.id.in_(sa.select(CommentFlag.comment_id).where(CommentFlag.code == view.flag))
        )
    truncated = False
    if view.q:
        condition, truncated = search_condition(
            session, view.q, sample=search_sample, within=own_columns
        )
        conditions.append(condition)
    return conditions, truncated


def search_condition(
    session: so.Session,
    text: str,
    sample: int | None = None,
    within: Sequence[sa.ColumnElement[bool]] = (),
) -> tuple[sa.ColumnElement[bool], bool]:
    """Comments whose body has every term of ``text`` (words, "phrases", prefix*; see
    :mod:`moderation.search_syntax`), through the full-text index.

    With ``sample``, only the first ``sample`` matches (for counting); the second value
    says whether there were more. ``within``: conditions on the comments' own columns
    that the caller applies too (PostgreSQL takes a page's matches within them).
    PostgreSQL's planner weighs the GIN index against the queue index itself; SQLite's
    cannot, so it is told (see below).
    """
    terms = search_syntax.parse(text)
    if not terms:
        return sa.false(), False
    if session.get_bind().dialect.name == "postgresql":
        # Stored (migration 0020): reading it costs what reading any column costs.
        vector = sa.literal_column("comments.body_search")
        matching = vector.bool_op("@@")(search_syntax.tsquery(terms))
        if sample is not None:
            return matching, False  # counting: the planner starts from the GIN index
        # The planner prices the walk of the queue index too low: for a term in 0.25% of
        # 1M comments it walked 60,000 rows (0.8 s when each computed its to_tsvector,
        # before 0020). Few matches: taken from the GIN index first, and the page picked
        # from those by id. Many: walking the queue index finds a page soon, as it should.
        # Within the view's own-column conditions (its tab, article, author, days): the
        # heap rows are read to check visibility anyway, and the page then probes only
        # the matches it can show (pending: 1,528 of 2,518 in the bench's search).
        ids = session.scalars(
            sa.select(Comment.id).where(matching, *within).limit(POSTGRES_FROM_MATCHES_UP_TO + 1)
        ).all()
        if len(ids) <= POSTGRES_FROM_MATCHES_UP_TO:
            # One array parameter, not thousands of them (each adapted and bound), as a
            # set of rows: "id = ANY(array)" is a filter the planner still put on the
            # walk (2,518 matches at 1M: 19,000 rows walked, 15,000 pages read, 70-200
            # ms); "id IN (unnest)" it joins by primary key (2,518 probes, 24-42 ms).
            array = sa.literal(ids, postgresql.ARRAY(sa.Integer))
            return Comment.id.in_(sa.select(sa.func.unnest(array))), False
        return matching, False
    query = search_syntax.fts5_query(terms)
    # Counted once a request, for its rows and its counts alike (as far as either looks).
    enough = max(sample or 0, SEARCH_COUNT_SAMPLE, SEARCH_FROM_MATCHES_UP_TO) + 1
    matches = remembered(
        session, ("search matches", query, enough), lambda: _count_matches(session, query, enough)
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


def _count_matches(session: so.Session, query: str, enough: int) -> int:
    """How many comments match the FTS5 ``query``, counted up to ``enough``."""
    matches = sa.text(
        "SELECT rowid FROM comments_fts WHERE comments_fts MATCH :search LIMIT :enough"
    ).columns(sa.column("rowid"))
    counted = sa.select(sa.func.count()).select_from(matches.subquery())
    return session.scalar(counted, {"search": query, "enough": enough})


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


# Readers of filter values: each returns the value or raises ValueError saying why not.


def _one_of(allowed: Collection[str], what: str):
    def convert(value: str) -> str:
        if value not in allowed:
            choices = ", ".join(sorted(allowed))
            raise ValueError(
                f"is not a {what}: " + (f"use one of {choices}" if choices else "none yet")
            )
        return value

    return convert


def _text(length: int):
    def convert(value: str) -> str:
        # NUL is refused by PostgreSQL in any string, so it never reaches a query.
        value = value.replace("\x00", "").strip()
        if len(value) > length:
            raise ValueError(f"is longer than {length} characters")
        return value or None

    return convert


def _article_id(value: str) -> int:
    # Beyond a 32-bit id nothing exists, and PostgreSQL would refuse the comparison.
    if not (value.isascii() and value.isdigit() and len(value) <= 10 and 0 < int(value) < 2**31):
        raise ValueError("is not an article id (a whole number from 1)")
    return int(value)


def _drift(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not 0 <= number <= 1:  # NaN too
        raise ValueError("is not an off-topic score (a number from 0 to 1, like 0.5)")
    return number


def _day(value: str) -> date:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValueError("is not a date like 2024-03-31") from None
    # Imports keep only dates in this range (moderation.importers.records).
    if not EARLIEST_DATE.date() <= day < LATEST_DATE.date():
        raise ValueError(f"is not a date in the years {DATE_RANGE}")
    return day
