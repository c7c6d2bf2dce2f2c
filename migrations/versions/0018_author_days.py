"""reports: authors per local day, for date ranges

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 01:00:00

``report_author_days`` holds each author's figures per site and local day (in the zone
``report_summary_state.author_zone``), which the authors report adds up over a range of
days (see ``moderation/reports/summaries.py``); on SQLite WITHOUT ROWID, so that a range
of days is one stretch of the table. A comment's time now matters to its
author's summaries, so the comment update triggers of 0017 also note the author when
``posted_at`` or ``created_at`` changes. The days start empty and the zone unset, so the
first report counts every author once.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

COUNTED = ("comments", "pending", "approved", "rejected", "spam", "escalated", "pingbacks",
           "scored", "negative", "neutral", "positive")  # fmt: skip
SQLITE_TRIGGER = "report_author_changes_comment_update"
POSTGRESQL_FUNCTION = "report_author_changes_changed_comments"


def _sqlite_author_note(author: str, where: str = "") -> str:
    """As 0017's: a note for an author unless one is already waiting."""
    condition = f"{where} AND " if where else ""
    return (
        f"INSERT INTO report_author_changes (author_name) SELECT {author} "
        f"WHERE {condition}NOT EXISTS "
        f"(SELECT 1 FROM report_author_changes WHERE author_name = {author});"
    )


def _sqlite_comment_update_trigger(columns: str) -> str:
    return f"""
    CREATE TRIGGER {SQLITE_TRIGGER}
    AFTER UPDATE OF {columns} ON comments BEGIN
        {_sqlite_author_note("OLD.author_name")}
        {_sqlite_author_note("NEW.author_name", "NEW.author_name IS NOT OLD.author_name")}
    END
    """


def _postgresql_comment_update_function(columns: str) -> str:
    """As 0017's, comparing ``columns`` of the old and new rows."""
    old = ", ".join(f"o.{column}" for column in columns.split(", "))
    new = ", ".join(f"n.{column}" for column in columns.split(", "))
    changed = f"({old}) IS DISTINCT FROM ({new})"
    return f"""
    CREATE OR REPLACE FUNCTION {POSTGRESQL_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO report_author_changes (author_name) SELECT DISTINCT author_name FROM (
            SELECT o.author_name FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id
                WHERE {changed}
            UNION ALL
            SELECT n.author_name FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id
                WHERE {changed}
        ) AS changed;
        RETURN NULL;
    END $$
    """


OLD_COLUMNS = "status, kind, author_name, article_id"
NEW_COLUMNS = f"{OLD_COLUMNS}, posted_at, created_at"


def _comment_update_notes(columns: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_postgresql_comment_update_function(columns))
    else:
        op.execute(f"DROP TRIGGER {SQLITE_TRIGGER}")
        op.execute(_sqlite_comment_update_trigger(columns))


def upgrade():
    op.create_table(
        "report_author_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("author_name", sa.String(length=300), nullable=False),
        sa.Column("site", sa.String(length=200), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in COUNTED],
        sa.Column("compound_sum", sa.Double(), nullable=False),
        sa.Column("off_topic", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "author_name", "site"),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("report_summary_state") as batch:
        batch.add_column(sa.Column("author_zone", sa.String(length=100), nullable=True))
    _comment_update_notes(NEW_COLUMNS)


def downgrade():
    _comment_update_notes(OLD_COLUMNS)
    with op.batch_alter_table("report_summary_state") as batch:
        batch.drop_column("author_zone")
    op.drop_table("report_author_days")
