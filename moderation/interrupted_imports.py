"""Imports that failed or whose process was killed: nothing of them may remain.

An import commits its batch row first, then its file a chunk at a time (see
:mod:`moderation.ingest`); until it succeeds, its comments are hidden
(:mod:`moderation.running_imports`). A failed import removes what it committed
(:func:`remove_batch_rows`) before it is marked failed. When its process dies,
the database rolls back only the chunk in progress, and nobody is left to
remove the rest or mark the batch failed. Each batch names the machine and
process importing it; the next import (and ``moderation serve`` on start)
removes the rows of every running batch whose process on this machine is gone,
then marks it failed. A batch run from another machine is left to that
machine's next import: from here its process cannot be seen.

Rows are removed a few thousand at a time, each in a short transaction of its
own, for the same reason they were written that way: on SQLite a writer holds
the whole database, and moderators are deciding meanwhile.
"""

from __future__ import annotations

import os
import socket
from collections import Counter

import sqlalchemy as sa
import sqlalchemy.orm as so

from .models import Article, Comment, ImportBatch, utcnow
from .write_turns import WriteTurns

REMOVE_AT_ONCE = 5000
"""Comments removed in one transaction, at most."""

INTERRUPTED = (
    "Interrupted: the import's process ({process}) stopped before it finished, so "
    "nothing of this file was kept. Import it again."
)


def this_process() -> tuple[str, int]:
    """(host name, process id): what a batch records as its runner."""
    return socket.gethostname()[:255], os.getpid()


def mark_interrupted_imports(session: so.Session) -> list[ImportBatch]:
    """Mark failed the running batches whose process is gone (committed); returns them."""
    host, _ = this_process()
    running = session.scalars(
        sa.select(ImportBatch)
        .where(ImportBatch.status == "running")
        .where(sa.or_(ImportBatch.runner_host == host, ImportBatch.runner_pid.is_(None)))
    ).all()
    interrupted = [batch for batch in running if not _process_alive(batch.runner_pid)]
    for batch in interrupted:
        remove_batch_rows(session, batch.id)
        # Only if still running: the import may have finished after the read above.
        session.execute(
            sa.update(ImportBatch)
            .where(ImportBatch.id == batch.id, ImportBatch.status == "running")
            .values(
                status="failed",
                error=INTERRUPTED.format(process=_describe(batch)),
                finished_at=utcnow(),
            ),
            execution_options={"synchronize_session": False},
        )
    session.commit()
    return interrupted


def _process_alive(pid: int | None) -> bool:
    """Whether a process of this id exists (None: a batch from before runners were
    recorded, whose import cannot still be running after the upgrade)."""
    if pid is None:
        return False
    try:
        os.kill(pid, 0)  # signal 0: nothing is sent, the process is only looked up
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _describe(batch: ImportBatch) -> str:
    if batch.runner_pid is None:
        return "unknown"
    return f"process {batch.runner_pid} on {batch.runner_host}"


def remove_batch_rows(session: so.Session, batch_id: int) -> int:
    """Delete the comments batch ``batch_id`` committed, then the articles it created that
    have no comments left, a few thousand rows a transaction; returns the comments deleted.

    Scores, flags, signatures and revisions of those comments go with them (ON DELETE
    CASCADE), and the triggers take them out of the search index, the tab counts and
    the reports. The batch's rows are found in id order, reading, outside the deletes.
    """
    deleted, after = 0, 0
    batch = session.get(ImportBatch, batch_id)
    left = Counter(batch.status_counts or {})
    # SQLite: deletes in turns of about 0.2 s, as an import writes (their triggers cost).
    turns = WriteTurns(session.get_bind().dialect.name == "sqlite", REMOVE_AT_ONCE)
    while True:
        turns.start()
        rows = session.execute(
            sa.select(Comment.id, Comment.status)
            .where(Comment.id > after, Comment.import_batch_id == batch_id)
            .order_by(Comment.id)
            .limit(turns.size)
        ).all()
        session.commit()  # the read's snapshot ends here, so that the delete starts afresh
        if not rows:
            break
        ids = [row.id for row in rows]
        session.execute(
            sa.delete(Comment).where(Comment.id.in_(ids)),
            execution_options={"synchronize_session": False},
        )
        # What the queue's counts leave out of the counter table shrinks with it.
        left.subtract(Counter(row.status for row in rows))
        session.execute(
            sa.update(ImportBatch)
            .where(ImportBatch.id == batch_id)
            .values(
                comments_new=ImportBatch.comments_new - len(ids),
                status_counts={status: n for status, n in left.items() if n > 0},
            ),
            execution_options={"synchronize_session": False},
        )
        session.commit()
        turns.committed()
        deleted += len(ids)
        after = ids[-1]
    session.execute(
        sa.delete(Article).where(
            Article.import_batch_id == batch_id,
            ~sa.exists().where(Comment.article_id == Article.id),
        ),
        execution_options={"synchronize_session": False},
    )
    session.commit()
    return deleted
