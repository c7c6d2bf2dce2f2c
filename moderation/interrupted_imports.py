"""Imports whose process was killed: their batch row said "running" for ever.

An import commits its batch row first, then writes the file in a transaction of
its own (see :mod:`moderation.ingest`). When its process dies, the database rolls
that transaction back, so nothing of the file remains, but nobody is left to mark
the batch failed. Each batch names the machine and process importing it; the next
import (and ``moderation serve`` on start) marks failed every running batch whose
process on this machine is gone. A batch run from another machine is left to that
machine's next import: from here its process cannot be seen.
"""

from __future__ import annotations

import os
import socket

import sqlalchemy as sa
import sqlalchemy.orm as so

from .models import ImportBatch, utcnow

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
