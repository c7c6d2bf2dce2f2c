"""Pre-counted comments per article and quarter hour: what the site-wide reports add up.

Counting a million comments joined to their scores takes SQLite seconds; adding
up their counts per article and 15-minute slice of UTC time takes a fraction of
that, and the slices fold exactly into local days of any zone (every zone's
offset is a whole number of quarter hours). One :class:`ReportBucket` row holds
the same figures :mod:`.figures` counts, for the comments of one article posted
in one slice.

Staying right. Database triggers (migration 0005) note the article of every
comment inserted, deleted, or changed in status, kind or time, and of every
score written or removed, in ``report_changes``; so every writer — imports,
scoring, decisions, anything else — is seen. Before a site-wide report,
:func:`refresh` recounts the buckets of exactly the noted articles and deletes
exactly the notes it read. A change committed meanwhile leaves a note that the
next refresh handles. Refreshes take turns: each starts by updating the one row
of ``report_rollup_state``, which locks it (PostgreSQL) or takes the write lock
(SQLite). The off-topic count depends on the threshold, so a changed threshold
recounts everything once.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import db
from ..models import Comment, CommentKind, CommentScore, utcnow
from ..running_imports import visible_comments
from .figures import IN_SENTIMENT, READER_COMMENT, STATUSES, comment_time
from .sql import count_where, epoch_bucket

BUCKET_SECONDS = 900
"""A quarter hour: every zone's offset from UTC is a whole number of these."""
FULL_RECOUNT_ABOVE = 500
"""More changed articles than this are recounted in one pass over everything."""


class CountedFigures:
    """The counted columns (COUNTED_COLUMNS) of a summary table, as a mixin."""

    comments: so.Mapped[int]
    pending: so.Mapped[int]
    approved: so.Mapped[int]
    rejected: so.Mapped[int]
    spam: so.Mapped[int]
    escalated: so.Mapped[int]
    pingbacks: so.Mapped[int]
    scored: so.Mapped[int]
    negative: so.Mapped[int]
    neutral: so.Mapped[int]
    positive: so.Mapped[int]
    compound_sum: so.Mapped[float]
    off_topic: so.Mapped[int]


class ReportBucket(CountedFigures, db.Model):
    """The figures of one article's comments posted in one quarter hour (UTC)."""

    __tablename__ = "report_buckets"

    article_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    bucket: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=False)
    """Quarter hours since 1970-01-01 UTC."""


class ReportChange(db.Model):
    """A note, written by triggers, that an article's buckets need recounting."""

    __tablename__ = "report_changes"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    article_id: so.Mapped[int] = so.mapped_column(index=True)


class ReportRollupState(db.Model):
    """One row: the threshold the buckets were counted with, and the last refresh."""

    __tablename__ = "report_rollup_state"

    id: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=False)
    off_topic_threshold: so.Mapped[float | None]
    refreshed_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime)


COUNTED_COLUMNS = [
    "comments", *STATUSES, "pingbacks", "scored", "negative", "neutral", "positive",
    "compound_sum", "off_topic",
]  # fmt: skip


def counted_columns(off_topic_threshold: float) -> list[sa.ColumnElement]:
    """The aggregates behind :data:`COUNTED_COLUMNS`, in order, over comments outer-joined
    to their scores: the same counts as :mod:`.figures`, with a sum in place of the mean."""
    return [
        count_where(READER_COMMENT),
        *[count_where(sa.and_(READER_COMMENT, Comment.status == s)) for s in STATUSES],
        count_where(Comment.kind != CommentKind.COMMENT),
        count_where(IN_SENTIMENT),
        *[
            count_where(sa.and_(IN_SENTIMENT, CommentScore.sentiment_label == label))
            for label in ("negative", "neutral", "positive")
        ],  # fmt: skip
        sa.func.coalesce(sa.func.sum(sa.case((IN_SENTIMENT, CommentScore.compound))), 0.0),
        count_where(sa.and_(IN_SENTIMENT, CommentScore.drift >= off_topic_threshold)),
    ]


def _recount_query(off_topic_threshold: float) -> sa.Select:
    """SELECT the buckets of comments (filter it by article): the same counts as figures."""
    bucket = epoch_bucket(comment_time(), BUCKET_SECONDS)
    return (
        sa.select(Comment.article_id, bucket.label("bucket"), *counted_columns(off_topic_threshold))
        .select_from(Comment)
        .outerjoin(CommentScore, CommentScore.comment_id == Comment.id)
        .where(comment_time().is_not(None))
        .group_by(Comment.article_id, sa.literal_column("bucket"))
    )


def _recount(session: so.Session, article_ids: list[int] | None, threshold: float) -> None:
    """Replace the buckets of ``article_ids`` (None: of every article) with fresh counts."""
    target = ["article_id", "bucket", *COUNTED_COLUMNS]
    # Not the comments of an import still running: it notes its articles again when it ends.
    query = _recount_query(threshold).where(*visible_comments(session))
    if article_ids is None:
        session.execute(sa.delete(ReportBucket))
        session.execute(sa.insert(ReportBucket).from_select(target, query))
        return
    for start in range(0, len(article_ids), FULL_RECOUNT_ABOVE):
        chunk = article_ids[start : start + FULL_RECOUNT_ABOVE]
        session.execute(sa.delete(ReportBucket).where(ReportBucket.article_id.in_(chunk)))
        session.execute(
            sa.insert(ReportBucket).from_select(target, query.where(Comment.article_id.in_(chunk)))
        )


def _take_turn(session: so.Session) -> ReportRollupState:
    """Lock the state row by writing it first (made if missing), and return it."""
    now = utcnow().replace(tzinfo=None)
    updated = session.execute(
        sa.update(ReportRollupState).where(ReportRollupState.id == 1).values(refreshed_at=now)
    )
    if updated.rowcount == 0:
        session.add(ReportRollupState(id=1, off_topic_threshold=None, refreshed_at=now))
        session.flush()
    return session.get(ReportRollupState, 1, populate_existing=True)


def pending_changes(session: so.Session) -> bool:
    return session.scalar(sa.select(sa.exists().where(ReportChange.id.is_not(None)))) or False


def refresh(session: so.Session, off_topic_threshold: float) -> int:
    """Bring the buckets up to date (committed); returns how many articles were recounted.

    Cheap when nothing changed: one look at ``report_changes`` and the state row.
    """
    state = session.get(ReportRollupState, 1)
    threshold_changed = state is None or state.off_topic_threshold != off_topic_threshold
    if not threshold_changed and not pending_changes(session):
        return 0
    # End any transaction these reads began: the turn must start with a write, so that
    # SQLite takes its write lock before reading the notes.
    session.commit()
    try:
        state = _take_turn(session)
        notes = session.execute(sa.select(ReportChange.id, ReportChange.article_id)).all()
        if state.off_topic_threshold != off_topic_threshold:
            recounted = None
        else:
            recounted = sorted({note.article_id for note in notes})
        if recounted is None or len(recounted) > FULL_RECOUNT_ABOVE:
            _recount(session, None, off_topic_threshold)
        else:
            _recount(session, recounted, off_topic_threshold)
        note_ids = [note.id for note in notes]
        for start in range(0, len(note_ids), 5000):
            session.execute(
                sa.delete(ReportChange).where(ReportChange.id.in_(note_ids[start : start + 5000]))
            )
        state.off_topic_threshold = off_topic_threshold
        session.commit()
    except Exception:
        session.rollback()
        raise
    return len(recounted) if recounted is not None else -1


def bucket_bounds(start: datetime | None, end: datetime | None) -> tuple[int | None, int | None]:
    """``[start, end)`` in UTC as bucket numbers (local midnights fall on bucket edges)."""

    def number(moment):
        return None if moment is None else int(moment.timestamp()) // BUCKET_SECONDS

    return number(start), number(end)
