"""Pre-counted authors and moderators: what the authors and moderators reports read.

Grouping a million comments by author, or every decision by moderator and day,
takes seconds; reading the groups counted in advance takes milliseconds.

- :class:`AuthorSummary` holds one author's figures per site (the counts of
  :mod:`.figures` over the author's reader comments there, and on how many
  articles). Summed over sites they are the author's figures everywhere: an
  article is on one site, so article counts add up too.
- :class:`AuthorDay` holds the same counts per local day of the report zone, for
  reports over a range of days (the articles an author commented on in a range are
  counted from the comments, for the authors shown: they do not add up over days).
- :class:`ModeratorDay` holds how many decisions (undos apart) one moderator
  made with each outcome on one local day of the report zone.

Staying right, as :mod:`.rollup` does. Triggers (migration 0017) note the
author of every comment inserted, deleted or changed in status, kind, author,
article or time (0018), and of every score written or removed, in ``report_author_changes``;
and the moderator and time of every decision added, removed or changed, in
``report_decision_changes``. :func:`refresh_authors` and
:func:`refresh_moderators` recount exactly the noted authors, and the noted
moderators' noted days, and delete the notes they read; a report calls them
before it reads, and :func:`refresh` (all report summaries at once) runs after a
scoring run. A changed off-topic threshold recounts every author once, a
changed report zone every author's days and every moderator. Refreshes take turns on the one row of
``report_summary_state``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import db
from ..models import Article, Comment, CommentScore, Decision, UTCDateTime, utcnow
from ..running_imports import visible_comments
from . import buckets, rollup
from .figures import READER_COMMENT, comment_time
from .filters import local_midnight_utc
from .rollup import COUNTED_COLUMNS, CountedFigures, counted_columns
from .sql import epoch_bucket

CHUNK = 500
"""Authors (or moderators) recounted per statement."""
FULL_RECOUNT_ABOVE = 5000
"""More noted authors, or moderator days, than this are recounted in one pass."""
NOTES_DELETED_PER_STATEMENT = 5000
INSERTED_PER_STATEMENT = 10_000


class AuthorSummary(CountedFigures, db.Model):
    """One author's figures on one site (reader comments only)."""

    __tablename__ = "report_author_summaries"

    author_name: so.Mapped[str] = so.mapped_column(sa.String(300), primary_key=True)
    site: so.Mapped[str] = so.mapped_column(sa.String(200), primary_key=True)
    articles: so.Mapped[int]


class AuthorDay(CountedFigures, db.Model):
    """One author's figures on one site and local day (of ``SummaryState.author_zone``)."""

    __tablename__ = "report_author_days"
    # SQLite keeps the rows in day order: a range of days is one stretch of the table.
    __table_args__ = {"sqlite_with_rowid": False}

    day: so.Mapped[date] = so.mapped_column(sa.Date, primary_key=True)
    author_name: so.Mapped[str] = so.mapped_column(sa.String(300), primary_key=True)
    site: so.Mapped[str] = so.mapped_column(sa.String(200), primary_key=True)


class AuthorChange(db.Model):
    """A note, written by triggers, that an author's summary needs recounting."""

    __tablename__ = "report_author_changes"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    author_name: so.Mapped[str] = so.mapped_column(sa.String(300), index=True)


class ModeratorDay(db.Model):
    """How many decisions of one outcome (or undos) a moderator made on one local day."""

    __tablename__ = "report_moderator_days"

    moderator_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    day: so.Mapped[date] = so.mapped_column(sa.Date, primary_key=True)
    to_status: so.Mapped[str] = so.mapped_column(sa.String(20), primary_key=True)
    undo: so.Mapped[bool] = so.mapped_column(primary_key=True)
    decisions: so.Mapped[int]


class DecisionChange(db.Model):
    """A note, written by triggers, that a moderator's day needs recounting."""

    __tablename__ = "report_decision_changes"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    moderator_id: so.Mapped[int]
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)


class SummaryState(db.Model):
    """One row: the threshold and zones the summaries were counted with; the last refresh."""

    __tablename__ = "report_summary_state"

    id: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=False)
    off_topic_threshold: so.Mapped[float | None]
    zone: so.Mapped[str | None] = so.mapped_column(sa.String(100))
    """The moderator days' zone."""
    author_zone: so.Mapped[str | None] = so.mapped_column(sa.String(100))
    """The author days' zone."""
    refreshed_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime)


def _take_turn(session: so.Session) -> SummaryState:
    """Lock the state row by writing it first (made if missing), and return it."""
    now = utcnow().replace(tzinfo=None)
    updated = session.execute(
        sa.update(SummaryState).where(SummaryState.id == 1).values(refreshed_at=now)
    )
    if updated.rowcount == 0:
        session.add(SummaryState(id=1, refreshed_at=now))
        session.flush()
    return session.get(SummaryState, 1, populate_existing=True)


def _delete_notes(session: so.Session, model, ids: list[int]) -> None:
    for start in range(0, len(ids), NOTES_DELETED_PER_STATEMENT):
        chunk = ids[start : start + NOTES_DELETED_PER_STATEMENT]
        session.execute(sa.delete(model).where(model.id.in_(chunk)))


def _has_notes(session: so.Session, model) -> bool:
    return session.scalar(sa.select(sa.exists().where(model.id.is_not(None)))) or False


# --- Authors ----------------------------------------------------------------------------


def author_recount_query(off_topic_threshold: float) -> sa.Select:
    """Each author's figures per site, counted from the comments (filter it by author)."""
    return (
        sa.select(
            Comment.author_name,
            Article.site,
            sa.func.count(sa.distinct(Comment.article_id)),
            *counted_columns(off_topic_threshold),
        )
        .select_from(Comment)
        .join(Article, Article.id == Comment.article_id)
        .outerjoin(CommentScore, CommentScore.comment_id == Comment.id)
        .where(READER_COMMENT)
        .group_by(Comment.author_name, Article.site)
    )


def _recount_authors(
    session: so.Session, names: list[str] | None, threshold: float, zone: ZoneInfo
) -> None:
    """Replace the summaries and days of ``names`` (None: of every author) with fresh counts."""
    target = ["author_name", "site", "articles", *COUNTED_COLUMNS]
    # A running import's comments stay out; its end notes their authors again.
    visible = visible_comments(session)
    query = author_recount_query(threshold).where(*visible)
    per_bucket = _author_bucket_counts(threshold, zone).where(*visible)
    if names is None:
        session.execute(sa.delete(AuthorSummary))
        session.execute(sa.insert(AuthorSummary).from_select(target, query))
        session.execute(sa.delete(AuthorDay))
        _insert_author_days(session, session.execute(per_bucket), zone)
        return
    for start in range(0, len(names), CHUNK):
        chunk = names[start : start + CHUNK]
        session.execute(sa.delete(AuthorSummary).where(AuthorSummary.author_name.in_(chunk)))
        session.execute(
            sa.insert(AuthorSummary).from_select(
                target, query.where(Comment.author_name.in_(chunk))
            )
        )
        session.execute(sa.delete(AuthorDay).where(AuthorDay.author_name.in_(chunk)))
        rows = session.execute(per_bucket.where(Comment.author_name.in_(chunk)))
        _insert_author_days(session, rows, zone)


def _author_bucket_counts(off_topic_threshold: float, zone: ZoneInfo) -> sa.Select:
    """Each author's counts per site and UTC bucket (of the zone's size: a bucket lies in
    one local day), from the comments (filter it by author)."""
    bucket = epoch_bucket(comment_time(), buckets.bucket_seconds(zone)).label("bucket")
    return (
        sa.select(Comment.author_name, Article.site, bucket, *counted_columns(off_topic_threshold))
        .select_from(Comment)
        .join(Article, Article.id == Comment.article_id)
        .outerjoin(CommentScore, CommentScore.comment_id == Comment.id)
        .where(READER_COMMENT)
        .group_by(Comment.author_name, Article.site, sa.literal_column("bucket"))
    )


def _insert_author_days(session: so.Session, rows: Iterable, zone: ZoneInfo) -> None:
    """Bucket counts added up per (author, site, local day), inserted."""
    size = buckets.bucket_seconds(zone)
    days: dict[tuple, list] = {}
    for author_name, site, bucket, *counts in rows:
        day = buckets.local_day(buckets.bucket_start(int(bucket), size), zone)
        sums = days.get((author_name, site, day))
        if sums is None:
            days[(author_name, site, day)] = list(counts)
        else:
            for index, count in enumerate(counts):
                sums[index] += count
    batch = []
    for (author_name, site, day), counts in days.items():
        batch.append(
            {"author_name": author_name, "site": site, "day": day,
             **dict(zip(COUNTED_COLUMNS, counts, strict=True))}
        )  # fmt: skip
        if len(batch) == INSERTED_PER_STATEMENT:
            session.execute(sa.insert(AuthorDay), batch)
            batch = []
    if batch:
        session.execute(sa.insert(AuthorDay), batch)


def refresh_authors(session: so.Session, off_topic_threshold: float, zone: ZoneInfo) -> int:
    """Bring the author summaries and days (in ``zone``) up to date (committed); returns how
    many authors were recounted, -1 for all. Cheap when nothing changed: a look at the
    notes and the state."""
    state = session.get(SummaryState, 1)
    if (
        state is not None
        and state.off_topic_threshold == off_topic_threshold
        and state.author_zone == zone.key
        and not _has_notes(session, AuthorChange)
    ):
        return 0
    # The turn must start with a write, so that SQLite takes its write lock first.
    session.commit()
    try:
        state = _take_turn(session)
        notes = session.execute(sa.select(AuthorChange.id, AuthorChange.author_name)).all()
        names = sorted({note.author_name for note in notes})
        if (
            state.off_topic_threshold != off_topic_threshold
            or state.author_zone != zone.key
            or len(names) > FULL_RECOUNT_ABOVE
        ):
            _recount_authors(session, None, off_topic_threshold, zone)
            recounted = -1
        else:
            _recount_authors(session, names, off_topic_threshold, zone)
            recounted = len(names)
        _delete_notes(session, AuthorChange, [note.id for note in notes])
        state.off_topic_threshold = off_topic_threshold
        state.author_zone = zone.key
        session.commit()
    except Exception:
        session.rollback()
        raise
    return recounted


# --- Moderators -------------------------------------------------------------------------


def _decision_counts(zone: ZoneInfo) -> sa.Select:
    """Decisions per moderator, UTC bucket, outcome and undo (filter it by moderator)."""
    size = buckets.bucket_seconds(zone)
    is_undo = Decision.undoes_id.is_not(None).label("is_undo")
    bucket = epoch_bucket(Decision.created_at, size).label("bucket")
    return sa.select(
        Decision.moderator_id, bucket, Decision.to_status, is_undo, sa.func.count()
    ).group_by(Decision.moderator_id, sa.literal_column("bucket"), Decision.to_status, is_undo)


def _fold_into_days(rows: Iterable, zone: ZoneInfo) -> dict[tuple, int]:
    """Bucket counts added up per (moderator, local day, outcome, undo)."""
    size = buckets.bucket_seconds(zone)
    days: dict[tuple, int] = defaultdict(int)
    for moderator_id, bucket, to_status, undo, count in rows:
        day = buckets.local_day(buckets.bucket_start(int(bucket), size), zone)
        days[(moderator_id, day, to_status, bool(undo))] += count
    return days


def _insert_days(session: so.Session, days: dict[tuple, int]) -> None:
    keys = ("moderator_id", "day", "to_status", "undo")
    rows = [{**dict(zip(keys, key, strict=True)), "decisions": n} for key, n in days.items()]
    if rows:
        session.execute(sa.insert(ModeratorDay), rows)


def _recount_moderator_days(
    session: so.Session, wanted: dict[int, set[date]] | None, zone: ZoneInfo
) -> None:
    """Replace the days of ``wanted`` (moderator: days; None: everything) with fresh counts."""
    if wanted is None:
        session.execute(sa.delete(ModeratorDay))
        _insert_days(session, _fold_into_days(session.execute(_decision_counts(zone)), zone))
        return
    for moderator_id, days in wanted.items():
        days = sorted(days)
        for start in range(0, len(days), CHUNK):
            chunk = days[start : start + CHUNK]
            in_days = sa.or_(
                *[
                    sa.and_(
                        Decision.created_at >= local_midnight_utc(day, zone),
                        Decision.created_at < local_midnight_utc(day + timedelta(days=1), zone),
                    )
                    for day in chunk
                ]
            )
            session.execute(
                sa.delete(ModeratorDay).where(
                    ModeratorDay.moderator_id == moderator_id, ModeratorDay.day.in_(chunk)
                )
            )
            rows = session.execute(
                _decision_counts(zone).where(Decision.moderator_id == moderator_id, in_days)
            )
            _insert_days(session, _fold_into_days(rows, zone))


def refresh_moderators(session: so.Session, zone: ZoneInfo) -> int:
    """Bring the moderator days up to date (committed); returns how many moderator days
    were recounted, -1 for all. Cheap when nothing changed."""
    state = session.get(SummaryState, 1)
    if state is not None and state.zone == zone.key and not _has_notes(session, DecisionChange):
        return 0
    session.commit()
    try:
        state = _take_turn(session)
        notes = session.execute(
            sa.select(DecisionChange.id, DecisionChange.moderator_id, DecisionChange.created_at)
        ).all()
        wanted: dict[int, set[date]] = defaultdict(set)
        for note in notes:
            wanted[note.moderator_id].add(buckets.local_day(note.created_at, zone))
        recounted = sum(len(days) for days in wanted.values())
        if state.zone != zone.key or recounted > FULL_RECOUNT_ABOVE:
            _recount_moderator_days(session, None, zone)
            recounted = -1
        else:
            _recount_moderator_days(session, wanted, zone)
        _delete_notes(session, DecisionChange, [note.id for note in notes])
        state.zone = zone.key
        session.commit()
    except Exception:
        session.rollback()
        raise
    return recounted


def refresh(session: so.Session, off_topic_threshold: float, zone: ZoneInfo) -> None:
    """Bring every report summary up to date: the article buckets, authors, moderators."""
    rollup.refresh(session, off_topic_threshold)
    refresh_authors(session, off_topic_threshold, zone)
    refresh_moderators(session, zone)
