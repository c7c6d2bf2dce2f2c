"""SQLite writers take turns on a file lock, so the next one is woken as the last commits.

SQLite lets one writer at a time; one kept waiting retries on the busy handler's timer,
sleeping longer each time (up to 100 ms), so a writer often sleeps through the moment
the database came free: at 16 clients over 2 server processes the decision POSTs' p95
was 190-290 ms for 5 ms of CPU each (issue #17, :mod:`moderation.write_turns`).

So every connection to a SQLite file (the web app's, the import's, the scoring's) takes
an exclusive ``flock`` on ``<database>.writer-lock`` just before its transaction's first
write (when the driver begins the transaction: see :func:`begins_write`) and lets it go
as the transaction commits or rolls back. A writer kept waiting blocks in the kernel,
which wakes it as the lock is let go. Reads never take it: WAL lets them read meanwhile.

The lock is taken on a file opened for that transaction (a ``flock`` belongs to an open
file, so a process and its fork each have their own) and closed after; threads of one
process queue on a ``threading.Lock`` in front of it. Waiting gives up after the
connection's busy timeout (the driver's ``timeout``, 5 s, or as ``PRAGMA busy_timeout``
set it) with SQLite's own "database is locked", which the web app answers 503 "busy" as
before (:func:`moderation.database.database_is_busy`). SQLite's own checkpoint of the WAL
runs inside a commit, under the lock, and kept every other writer waiting (p95 worse than
without the lock): these connections checkpoint after letting the lock go instead. A
writer that does not take the lock (the ``sqlite3`` shell, an older version) is still
waited for by SQLite's busy handler. PostgreSQL connections are not touched.
"""

from __future__ import annotations

import fcntl
import os
import re
import sqlite3
import threading
import time

import sqlalchemy as sa

LOCK_SUFFIX = ".writer-lock"

_BEGINS_WRITE = re.compile(
    r"\s*(INSERT|UPDATE|DELETE|REPLACE|BEGIN\s+(IMMEDIATE|EXCLUSIVE))\b", re.I
)
"""The statements the driver begins a transaction for (its "DML"), and explicit write
transactions."""


def begins_write(connection: sqlite3.Connection, statement: str) -> bool:
    """Whether ``statement`` would start a write transaction on ``connection``."""
    return not connection.in_transaction and _BEGINS_WRITE.match(statement) is not None


def lock_path(database: str) -> str | None:
    """The lock file of a database file; None for a database that is not a plain file
    (in memory, or given as a URI)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database + LOCK_SUFFIX


_process_locks: dict[str, threading.Lock] = {}
"""A lock a database file in this process, in front of the file lock: threads of one
process queue on it, so at most one of them waits in the kernel."""
_process_locks_made = threading.Lock()
# A fork has none of its parent's threads, so none of the locks they held.
os.register_at_fork(after_in_child=_process_locks.clear)


def take(path: str, timeout: float) -> int:
    """The lock, held on a file descriptor of its own (:func:`let_go` it); SQLite's
    "database is locked" after ``timeout`` seconds."""
    started = time.monotonic()
    with _process_locks_made:
        in_process = _process_locks.setdefault(path, threading.Lock())
    if not in_process.acquire(timeout=timeout):
        raise sqlite3.OperationalError("database is locked")
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return descriptor
        except BlockingIOError:
            pass
        except BaseException:
            os.close(descriptor)
            raise
        return _wait_for(descriptor, max(timeout - (time.monotonic() - started), 0.0))
    except BaseException:
        in_process.release()
        raise


def let_go(path: str, descriptor: int) -> None:
    """Let the lock :func:`take` gave go."""
    os.close(descriptor)
    _process_locks[path].release()


def _wait_for(descriptor: int, timeout: float) -> int:
    # flock has no timeout: a thread blocks in it, and this one waits for that thread up
    # to ``timeout``. A thread given up on lets the lock go as soon as it gets it.
    state = threading.Lock()
    done = threading.Event()
    failed: list[OSError] = []
    given_up = False

    def block() -> None:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        except OSError as error:
            failed.append(error)
        with state:
            if given_up:
                os.close(descriptor)
            else:
                done.set()

    threading.Thread(target=block, name="sqlite writer lock", daemon=True).start()
    done.wait(timeout)
    with state:
        if not done.is_set():
            given_up = True
            raise sqlite3.OperationalError("database is locked")
    if failed:
        os.close(descriptor)
        raise failed[0]
    return descriptor


class WriterLockCursor(sqlite3.Cursor):
    """A cursor that takes its connection's writer lock before a write begins."""

    connection: WriterLockConnection

    def execute(self, statement, *parameters):
        self.connection._before(statement)
        try:
            return super().execute(statement, *parameters)
        finally:
            self.connection._after_statement()

    def executemany(self, statement, rows):
        self.connection._before(statement)
        try:
            return super().executemany(statement, rows)
        finally:
            self.connection._after_statement()


class WriterLockConnection(sqlite3.Connection):
    """A SQLite connection whose write transactions hold the database's writer lock."""

    def __init__(self, database, timeout=5.0, *args, **kwargs):
        super().__init__(database, timeout, *args, **kwargs)
        self._lock_path = lock_path(os.fsdecode(database))
        self._held: int | None = None
        if self._lock_path:
            # SQLite checkpoints the WAL inside a commit, which would keep the lock held
            # meanwhile (SQLite's own write lock is free by then): done after it instead.
            sqlite3.Connection.execute(self, "PRAGMA wal_autocheckpoint = 0")

    def cursor(self, factory=WriterLockCursor):
        return super().cursor(factory)

    def execute(self, statement, *parameters):
        return self.cursor().execute(statement, *parameters)

    def executemany(self, statement, rows):
        return self.cursor().executemany(statement, rows)

    def commit(self):
        try:
            super().commit()
        finally:
            self._after_statement()

    def rollback(self):
        try:
            super().rollback()
        finally:
            self._after_statement()

    def close(self):
        try:
            super().close()
        finally:
            self._let_go(checkpoint=False)

    def _before(self, statement) -> None:
        if self._lock_path and self._held is None and begins_write(self, statement):
            self._held = take(self._lock_path, self._busy_timeout())

    def _busy_timeout(self) -> float:
        # Read each time: the driver's ``timeout`` sets it, and a PRAGMA may change it.
        (milliseconds,) = sqlite3.Connection.execute(self, "PRAGMA busy_timeout").fetchone()
        return milliseconds / 1000

    def _after_statement(self) -> None:
        # Once no transaction is open (committed, rolled back, or the write that would
        # have begun one failed), the lock is let go.
        if self._held is not None and not self.in_transaction:
            self._let_go()

    def _let_go(self, checkpoint: bool = True) -> None:
        if self._held is not None:
            held, self._held = self._held, None
            let_go(self._lock_path, held)
            if checkpoint:
                _checkpoint_now_and_then(self)


CHECKPOINT_SECONDS = 0.5
"""How often a process checkpoints the WAL after a write, at most (SQLite's own, turned
off on these connections, checkpoints every 1000 pages written)."""
_last_checkpoint = [0.0]


def _checkpoint_now_and_then(connection: sqlite3.Connection) -> None:
    now = time.monotonic()
    if now - _last_checkpoint[0] >= CHECKPOINT_SECONDS and not connection.in_transaction:
        _last_checkpoint[0] = now
        # PASSIVE: copies what no reader still needs, waits for no one.
        sqlite3.Connection.execute(connection, "PRAGMA wal_checkpoint(PASSIVE)").fetchall()


@sa.event.listens_for(sa.engine.Engine, "do_connect")
def _use_writer_lock(dialect, connection_record, cargs, cparams) -> None:
    if dialect.name == "sqlite" and dialect.driver == "pysqlite":
        cparams.setdefault("factory", WriterLockConnection)
