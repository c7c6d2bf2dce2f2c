"""A large import into a small SQLite table builds the per-author index at its end.

New comments arrive in article and thread order, so most of the comments
table's indexes (by article, by status, by parent) grow at their ends, which is
cheap. The per-author index (``ix_comments_author_queue``, the queue's author
filter) is the exception: author names come in no order, so each insert lands
on a page of its own, far from the last one. When a file brings more comments
than the table holds, dropping that index inside the import's transaction and
creating it again at its end (one sort) saves about a fifth of a
million-comment import's insert time. The other indexes were measured the same
way: building them at the end cost more than filling them as rows arrive.

SQLite only: its readers keep their snapshot, indexes included, until the
import commits, and a failed import's rollback restores the index with
everything else. On PostgreSQL, dropping an index locks the table against
readers until the transaction ends, so the queue would stall for the whole import.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

DEFERRED = ("ix_comments_author_queue",)
MIN_COMMENTS = 10_000
"""Below this, the import is over before the difference shows."""
BYTES_PER_COMMENT = 2_000
"""A generous size of one comment in an export, so that estimates err towards keeping
the index: the bench's WordPress export takes about 1,100 bytes a comment."""


def worth_deferring(session: so.Session, file_bytes: int | None, highest_id: int) -> bool:
    """True when a file of ``file_bytes`` probably brings more comments than the table holds
    (``highest_id``, the highest comment id, is at least how many it holds)."""
    if session.get_bind().dialect.name != "sqlite" or not file_bytes:
        return False
    expected = file_bytes // BYTES_PER_COMMENT
    return expected >= MIN_COMMENTS and expected > highest_id


def drop_deferred_indexes(session: so.Session) -> list[str]:
    """Drop the indexes in DEFERRED; return the statements that create them again."""
    connection = session.connection()
    if not connection.connection.dbapi_connection.in_transaction:
        # Python's sqlite3 opens a transaction only before INSERT, UPDATE or DELETE; a DROP
        # run outside one would stay dropped when a failed import rolls back.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    statements = []
    for name in DEFERRED:
        sql = session.execute(
            sa.text("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :name"),
            {"name": name},
        ).scalar()
        if sql:  # as the migrations made it, whatever they made
            session.execute(sa.text(f'DROP INDEX "{name}"'))
            statements.append(sql)
    return statements


def create_indexes(session: so.Session, statements: list[str]) -> None:
    for statement in statements:
        session.execute(sa.text(statement))
