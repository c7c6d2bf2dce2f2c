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
from .transaction_memo import remembered

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


def running_batches(session: so.Session) -> RunningBatches:
    """The running batches, read once per transaction of ``session`` until it writes
    (a queue page asks three times; see :mod:`moderation.transaction_memo`)."""
    return remembered(session, "running import batches", lambda: _read_running(session))


def _read_running(session: so.Session) -> RunningBatches:
    rows = session.execute(_RUNNING).all()
    counts: Counter[str] = Counter()
    for row in rows:
        counts.update(row.status_counts or {})
    return RunningBatches(tuple(row.id for row in rows), counts)


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
