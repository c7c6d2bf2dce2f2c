"""A large import into a small SQLite table builds its secondary indexes at the end.

Each new comment goes into five secondary indexes (queue order, per article,
per author, thread order, parents). Filled row by row, the per-author index
above all, each insert lands on a page of its own, far from the last one. When
a file brings more comments than the table holds, dropping those indexes inside
the import's transaction and creating them again at its end (one sort each)
takes about a fifth off a million-comment import's database time.

SQLite only: its readers keep their snapshot, indexes included, until the
import commits, and a failed import's rollback restores the indexes with
everything else. On PostgreSQL, dropping an index locks the table against
readers until the transaction ends, so the queue would stall for the whole import.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

MIN_COMMENTS = 10_000
"""Below this, the import is over before the difference shows."""
BYTES_PER_COMMENT = 2_000
"""A generous size of one comment in an export, so that estimates err towards keeping
the indexes: the bench's WordPress export takes about 1,100 bytes a comment."""


def worth_deferring(session: so.Session, file_bytes: int | None, highest_id: int) -> bool:
    """True when a file of ``file_bytes`` probably brings more comments than the table holds
    (``highest_id``, the highest comment id, is at least how many it holds)."""
    if session.get_bind().dialect.name != "sqlite" or not file_bytes:
        return False
    expected = file_bytes // BYTES_PER_COMMENT
    return expected >= MIN_COMMENTS and expected > highest_id


def drop_secondary_indexes(session: so.Session) -> list[str]:
    """Drop the comments table's named indexes; return the statements that create them again.

    The unique (article, external id) index stays: it is SQLite's own, and every
    insert finds the comment's parent through it.
    """
    connection = session.connection()
    if not connection.connection.dbapi_connection.in_transaction:
        # Python's sqlite3 opens a transaction only before INSERT, UPDATE or DELETE; a DROP
        # run outside one would stay dropped when a failed import rolls back.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    indexes = session.execute(
        sa.text(
            "SELECT name, sql FROM sqlite_master"
            " WHERE type = 'index' AND tbl_name = 'comments' AND sql IS NOT NULL"
        )
    ).all()
    for name, _ in indexes:
        session.execute(sa.text(f'DROP INDEX "{name}"'))
    return [sql for _, sql in indexes]


def create_indexes(session: so.Session, statements: list[str]) -> None:
    for statement in statements:
        session.execute(sa.text(statement))
