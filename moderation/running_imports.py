"""What moderators see of an import that is still running: nothing.

An import commits its file a chunk at a time (see :mod:`moderation.ingest`), so
that moderators' decisions never wait for a whole file. Its committed comments
are in the table while it runs, but whole-or-nothing holds from the user's view:
the queue, its search and counts, bulk actions, the reports (the site-wide rollup,
the author summaries, one article's report) and the author pages leave out every
comment of a batch still running, until it succeeds; a failed one removes them
(:mod:`moderation.interrupted_imports`). Its new articles are in the table too,
without comments to show.

Usually no import is running, and the conditions below are then none at all.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from .models import Comment, ImportBatch

# Built once: every queue page asks, and building a statement cost more than running it.
_RUNNING = sa.select(ImportBatch.id, ImportBatch.status_counts).where(
    ImportBatch.status == "running"
)


@dataclass(frozen=True)
class RunningBatches:
    """The import batches running, as one statement read them: their ids, and how many of
    their committed comments have each status."""

    ids: tuple[int, ...]
    status_counts: Counter[str]


_REMEMBERED = "moderation.running_batches"


def running_batches(session: so.Session) -> RunningBatches:
    """The running batches, read once per transaction of ``session`` until it writes.

    A queue page asks three times (its rows, its counts, the counts' correction), and
    each asking was a round trip to the database. Within one transaction the answer
    read first stands, as it would have if the three had been asked at once; a write
    of this session (an import starting or ending its batch) forgets it, and so does
    the transaction's end."""
    if isinstance(session, so.scoped_session):
        session = session()  # the request's own session, whose transaction is asked for
    remembered = session.info.get(_REMEMBERED)
    # A change not flushed yet (a batch's status set) would flush before the statement.
    unflushed = session.new or session.dirty or session.deleted
    if remembered is not None and remembered[0] is session.get_transaction() and not unflushed:
        return remembered[1]
    rows = session.execute(_RUNNING).all()
    counts: Counter[str] = Counter()
    for row in rows:
        counts.update(row.status_counts or {})
    batches = RunningBatches(tuple(row.id for row in rows), counts)
    session.info[_REMEMBERED] = (session.get_transaction(), batches)
    return batches


@sa.event.listens_for(so.Session, "after_flush")
@sa.event.listens_for(so.Session, "after_transaction_end")
def _forget(session: so.Session, *_) -> None:
    session.info.pop(_REMEMBERED, None)


@sa.event.listens_for(so.Session, "do_orm_execute")
def _forget_on_write(state: so.ORMExecuteState) -> None:
    if not state.is_select:
        state.session.info.pop(_REMEMBERED, None)


def running_batch_ids(session: so.Session) -> list[int]:
    return list(running_batches(session).ids)


def visible_comments(session: so.Session) -> list[sa.ColumnElement[bool]]:
    """WHERE conditions leaving out the comments of running imports (none when none runs)."""
    running = running_batch_ids(session)
    if not running:
        return []
    return [sa.or_(Comment.import_batch_id.is_(None), Comment.import_batch_id.not_in(running))]


def running_status_counts(session: so.Session) -> Counter[str]:
    """How many committed comments of running imports have each status: what the counter
    table holds of them, which the queue's tab counts subtract."""
    return Counter(running_batches(session).status_counts)
