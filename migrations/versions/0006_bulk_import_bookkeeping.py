"""imports keep their own counts: SQLite insert triggers skip imported rows; replies found by index

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 12:40:00

On SQLite the per-row insert triggers of 0004 (status counts) and 0005 (report
change notes) cost an import two thirds of its insert time. Like the search
index trigger, they now leave rows that carry an ``import_batch_id`` to
``moderation.imported_rows``, which does the same work for a whole file in a
few statements. PostgreSQL's triggers are per statement already and stay.

``ix_comments_parent_id`` gains ``parent_external_id``, so that the replies
still waiting for their parent (``parent_id IS NULL AND parent_external_id IS
NOT NULL``) are found through the index instead of by reading every comment.
"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


STATUS_COUNT_INSERT = """
    CREATE TRIGGER comment_status_counts_insert AFTER INSERT ON comments {when}BEGIN
        INSERT INTO comment_status_counts (status, delta)
            SELECT NEW.status, 0
            WHERE NOT EXISTS (SELECT 1 FROM comment_status_counts WHERE status = NEW.status);
        UPDATE comment_status_counts SET delta = delta + 1
            WHERE id = (SELECT min(id) FROM comment_status_counts WHERE status = NEW.status);
    END
"""
REPORT_NOTE_INSERT = """
    CREATE TRIGGER report_changes_comment_insert AFTER INSERT ON comments {when}BEGIN
        INSERT INTO report_changes (article_id) SELECT NEW.article_id
        WHERE NOT EXISTS (SELECT 1 FROM report_changes WHERE article_id = NEW.article_id);
    END
"""
NOT_IMPORTED = "WHEN NEW.import_batch_id IS NULL "


def _replace_sqlite_insert_triggers(when: str) -> None:
    for name, statement in (
        ("comment_status_counts_insert", STATUS_COUNT_INSERT),
        ("report_changes_comment_insert", REPORT_NOTE_INSERT),
    ):
        op.execute(f"DROP TRIGGER {name}")
        op.execute(statement.format(when=when))


def upgrade():
    op.drop_index("ix_comments_parent_id", table_name="comments")
    op.create_index("ix_comments_parent_id", "comments", ["parent_id", "parent_external_id"])
    if op.get_bind().dialect.name == "sqlite":
        _replace_sqlite_insert_triggers(NOT_IMPORTED)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        _replace_sqlite_insert_triggers("")
    op.drop_index("ix_comments_parent_id", table_name="comments")
    op.create_index("ix_comments_parent_id", "comments", ["parent_id"])
