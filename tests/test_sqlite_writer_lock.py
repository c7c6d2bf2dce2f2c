"""SQLite writers take turns on a file lock (moderation/sqlite_writer_lock.py)."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest
import sqlalchemy as sa

from moderation import sqlite_writer_lock
from moderation.extensions import db
from moderation.models import Comment
from moderation.sqlite_writer_lock import LOCK_SUFFIX, WriterLockConnection, let_go, take

HOLD_SECONDS = 0.4

# Another process: begins a write, says so, holds it, says when it commits, commits.
OTHER_WRITER = textwrap.dedent(
    """
    import sqlite3, sys, time
    from moderation.sqlite_writer_lock import WriterLockConnection
    connection = sqlite3.connect(sys.argv[1], factory=WriterLockConnection)
    connection.execute("INSERT INTO t VALUES ('other')")
    print("writing", flush=True)
    time.sleep(float(sys.argv[2]))
    print("committing", time.monotonic(), flush=True)
    connection.commit()
    connection.close()
    """
)


def is_held(database: str) -> bool:
    """Whether some writer holds the lock now (tried without waiting)."""
    descriptor = os.open(database + LOCK_SUFFIX, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(descriptor)


@pytest.fixture
def database(tmp_path):
    path = str(tmp_path / "writers.sqlite")
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("CREATE TABLE t (writer TEXT)")
    connection.commit()
    connection.close()
    return path


def test_a_write_holds_the_lock_until_commit_and_reads_never_take_it(database):
    connection = sqlite3.connect(database, factory=WriterLockConnection)
    assert connection.execute("SELECT count(*) FROM t").fetchone() == (0,)
    assert not is_held(database)
    connection.execute("INSERT INTO t VALUES ('one')")
    assert is_held(database)
    connection.execute("SELECT count(*) FROM t")  # within the write: still held
    connection.commit()
    assert not is_held(database)
    connection.execute("UPDATE t SET writer = 'two'")
    assert is_held(database)
    connection.rollback()
    assert not is_held(database)
    connection.close()


def test_two_processes_writers_take_turns_and_the_second_wakes_at_once(database):
    other = subprocess.Popen(
        [sys.executable, "-c", OTHER_WRITER, database, str(HOLD_SECONDS)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert other.stdout.readline().strip() == "writing"
        assert is_held(database)
        mine = sqlite3.connect(database, factory=WriterLockConnection)
        started = time.monotonic()
        mine.execute("INSERT INTO t VALUES ('mine')")  # waits for the other's commit
        wrote_at = time.monotonic()
        word, committing_at = other.stdout.readline().split()
        mine.commit()
        mine.close()
    finally:
        other.wait(timeout=10)
        other.stdout.close()
    assert word == "committing"
    # Served in turn: this writer began only after the other one began to commit ...
    assert wrote_at - started > HOLD_SECONDS / 2
    assert wrote_at > float(committing_at)
    # ... and was woken at once, not on a retry's timer (up to 100 ms on SQLite's own).
    assert wrote_at - float(committing_at) < 0.05
    check = sqlite3.connect(database)
    assert check.execute("SELECT writer FROM t ORDER BY rowid").fetchall() == [
        ("other",),
        ("mine",),
    ]
    check.close()


def test_a_writer_kept_waiting_past_its_busy_timeout_gets_database_is_locked(database):
    held = take(database + LOCK_SUFFIX, 1.0)
    try:
        waiting = sqlite3.connect(database, timeout=0.2, factory=WriterLockConnection)
        started = time.monotonic()
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            waiting.execute("INSERT INTO t VALUES ('late')")
        assert 0.15 < time.monotonic() - started < 1.0
        assert not waiting.in_transaction
    finally:
        let_go(database + LOCK_SUFFIX, held)
    # The waiter given up on lets the lock go as soon as it gets it; the next one gets it.
    waiting.execute("INSERT INTO t VALUES ('later')")
    waiting.commit()
    assert not is_held(database)
    waiting.close()


def test_the_lock_timeout_is_the_busy_timeout_as_a_pragma_sets_it(database):
    held = take(database + LOCK_SUFFIX, 1.0)
    try:
        waiting = sqlite3.connect(database, factory=WriterLockConnection)  # 5 s
        waiting.execute("PRAGMA busy_timeout = 50")
        started = time.monotonic()
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            waiting.execute("INSERT INTO t VALUES ('late')")
        assert time.monotonic() - started < 1.0
        waiting.close()
    finally:
        let_go(database + LOCK_SUFFIX, held)


@pytest.mark.parametrize("app", ["sqlite"], indirect=True)
def test_a_decision_while_another_writer_holds_the_lock_says_busy(auth, scored_thread):
    """The lock's timeout answers as SQLite's own did: 503 "busy", nothing changed."""
    with db.engine.connect() as connection:
        assert isinstance(connection.connection.dbapi_connection, WriterLockConnection)
    auth.login_as("moderator")
    comment_id = scored_thread.comments[0].id
    token = auth.token()
    held = take(db.engine.url.database + LOCK_SUFFIX, 1.0)  # as another writer holds it

    def wait_briefly(dbapi_connection, record, proxy):
        dbapi_connection.execute("PRAGMA busy_timeout = 50")  # not the usual 5 s

    sa.event.listen(db.engine, "checkout", wait_briefly)
    db.session.close()  # the requests share this session: it must check a connection out
    try:
        as_json = auth.client.post(
            f"/comments/{comment_id}/approve",
            data={"csrf_token": token, "version": "1"},
            headers={"Accept": "application/json"},
        )
    finally:
        sa.event.remove(db.engine, "checkout", wait_briefly)
        let_go(db.engine.url.database + LOCK_SUFFIX, held)
    assert as_json.status_code == 503 and as_json.get_json()["category"] == "busy"
    db.session.rollback()
    assert db.session.get(Comment, comment_id).status == "pending"


def test_the_wal_is_checkpointed_after_the_lock_is_let_go_not_inside_the_commit(
    database, monkeypatch
):
    checkpointed_while_held = []
    checkpoint = sqlite_writer_lock._checkpoint_now_and_then

    def watched(connection):
        checkpointed_while_held.append(is_held(database))
        checkpoint(connection)

    monkeypatch.setattr(sqlite_writer_lock, "_checkpoint_now_and_then", watched)
    monkeypatch.setattr(sqlite_writer_lock, "_last_checkpoint", [0.0])
    connection = sqlite3.connect(database, factory=WriterLockConnection)
    assert connection.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
    connection.executemany("INSERT INTO t VALUES (?)", [("row",)] * 100)
    connection.commit()
    assert checkpointed_while_held == [False]
    # Nothing left in the WAL that was not copied into the database.
    busy, in_log, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert busy == 0 and in_log == copied
    # Within CHECKPOINT_SECONDS, the next commit does not checkpoint again.
    last = sqlite_writer_lock._last_checkpoint[0]
    assert last > 0
    connection.execute("INSERT INTO t VALUES ('again')")
    connection.commit()
    assert checkpointed_while_held == [False, False]
    assert sqlite_writer_lock._last_checkpoint[0] == last
    connection.close()


def test_closing_a_connection_in_a_write_lets_the_lock_go(database):
    connection = sqlite3.connect(database, factory=WriterLockConnection)
    connection.execute("INSERT INTO t VALUES ('unfinished')")
    assert is_held(database)
    connection.close()
    assert not is_held(database)
    other = sqlite3.connect(database, factory=WriterLockConnection)
    other.execute("INSERT INTO t VALUES ('next')")  # the process's lock was let go too
    other.commit()
    assert other.execute("SELECT writer FROM t").fetchall() == [("next",)]
    other.close()
