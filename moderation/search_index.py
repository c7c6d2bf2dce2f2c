"""Keeping the full-text search index in step with imports.

On PostgreSQL the index is an expression index on ``comments.body`` that the
database maintains itself. On SQLite it is the FTS5 table ``comments_fts``
(migration 0004): a trigger indexes comments inserted one by one, but leaves
imported ones (those with an ``import_batch_id``) to :func:`index_imported`,
which indexes a file's new comments in one statement at the end of the file (or
earlier, before an edit in the same file needs its comment indexed): several
times faster than a row at a time.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so


def index_imported(session: so.Session, batch_id: int, after_id: int) -> None:
    """Index the comments import batch ``batch_id`` inserted after comment ``after_id``."""
    if session.get_bind().dialect.name != "sqlite":
        return
    session.execute(
        sa.text(
            "INSERT INTO comments_fts (rowid, body) SELECT id, body FROM comments"
            " WHERE id > :after_id AND import_batch_id = :batch_id"
        ),
        {"after_id": after_id, "batch_id": batch_id},
    )
