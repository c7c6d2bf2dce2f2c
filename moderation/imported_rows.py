"""What database triggers do for single comments, done a file at a time for imports.

Three things follow every new comment: the full-text search index, the status
counts of the queue's tabs (``comment_status_counts``) and the report change
notes (``report_changes``, ``report_author_changes``). On PostgreSQL,
statement-level triggers and an expression index keep them, whatever inserts
the rows. On SQLite, whose triggers run once per row, that costs an import about
two thirds of its insert time, so the insert triggers skip imported rows (those with an
``import_batch_id``; migrations 0004 to 0006, 0017) and :func:`account_for_imported`
does their work for a file's new comments in a few statements: at the end of
the file, or earlier when an edit in the same file needs its comment indexed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import sqlalchemy as sa
import sqlalchemy.orm as so

from .reports import summaries

NEW_ROWS = "FROM comments WHERE id > :after_id AND import_batch_id = :batch_id"


def account_for_imported(
    session: so.Session,
    batch_id: int,
    after_id: int,
    statuses: Counter[str],
    article_ids: Iterable[int],
) -> None:
    """Index and count the comments batch ``batch_id`` inserted after comment ``after_id``.

    The caller, which wrote them, says how many have each status and which articles
    they belong to: counting that again here would read every new row once more,
    body and all (the columns come after it).
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    new_rows = {"after_id": after_id, "batch_id": batch_id}
    session.execute(
        sa.text(f"INSERT INTO comments_fts (rowid, body) SELECT id, body {NEW_ROWS}"), new_rows
    )
    for status, count in statuses.items():
        # As the trigger does it: SQLite keeps one counter row per status.
        session.execute(
            sa.text(
                "INSERT INTO comment_status_counts (status, delta) SELECT :status, 0 WHERE NOT"
                " EXISTS (SELECT 1 FROM comment_status_counts WHERE status = :status)"
            ),
            {"status": status},
        )
        session.execute(
            sa.text(
                "UPDATE comment_status_counts SET delta = delta + :count WHERE id ="
                " (SELECT min(id) FROM comment_status_counts WHERE status = :status)"
            ),
            {"status": status, "count": count},
        )
    session.execute(
        sa.text(
            "INSERT INTO report_author_changes (author_name) SELECT DISTINCT author_name"
            f" {NEW_ROWS} AND NOT EXISTS (SELECT 1 FROM report_author_changes AS r"
            " WHERE r.author_name = comments.author_name)"
        ),
        new_rows,
    )
    note_report_changes(session, article_ids)


def note_report_changes(session: so.Session, article_ids: Iterable[int]) -> None:
    """Note the articles for the report rollup's next refresh, as the triggers do."""
    notes = [{"article_id": article_id} for article_id in article_ids]
    if notes:
        session.execute(
            sa.text(
                "INSERT INTO report_changes (article_id) SELECT :article_id WHERE NOT EXISTS"
                " (SELECT 1 FROM report_changes WHERE article_id = :article_id)"
            ),
            notes,
        )


def note_author_changes(session: so.Session, author_names: Iterable[str]) -> None:
    """Note the authors for the author summaries' next refresh, as the triggers do. So many
    that the refresh would recount every author anyway: ask for that instead (one row
    written, rather than a note each in the import's last transaction)."""
    notes = [{"name": name} for name in author_names]
    if len(notes) > summaries.FULL_RECOUNT_ABOVE:
        session.execute(sa.update(summaries.SummaryState).values(author_zone=None))
    elif notes:
        session.execute(
            sa.text(
                # Cast: PostgreSQL cannot tell the parameter's type from its two uses.
                "INSERT INTO report_author_changes (author_name) SELECT CAST(:name AS VARCHAR)"
                " WHERE NOT EXISTS (SELECT 1 FROM report_author_changes"
                " WHERE author_name = CAST(:name AS VARCHAR))"
            ),
            notes,
        )
