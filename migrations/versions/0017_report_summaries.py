"""reports: authors and moderators pre-counted, kept right by change notes from triggers

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 22:00:00

``report_author_summaries`` (per author and site) and ``report_moderator_days`` (per
moderator, local day and outcome) hold what the authors and moderators reports read
(see ``moderation/reports/summaries.py``). Triggers, written by hand per dialect as in
0005, note the author of every comment inserted, deleted or changed in status, kind,
author or article, and of every score written or removed (``report_author_changes``),
and the moderator and time of every decision added, removed or changed
(``report_decision_changes``). The summaries start empty and the state row missing,
so the first report counts everything once.

On SQLite the comment insert trigger skips imported rows, like 0006's: an import notes
its authors in one statement (``moderation/imported_rows.py``).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def _sqlite_author_note(author: str, where: str = "") -> str:
    """INSERT a note for an author unless one is already waiting (SQLite has one writer)."""
    condition = f"{where} AND " if where else ""
    return (
        f"INSERT INTO report_author_changes (author_name) SELECT {author} "
        f"WHERE {condition}NOT EXISTS "
        f"(SELECT 1 FROM report_author_changes WHERE author_name = {author});"
    )


def _sqlite_score_author_note(comment_id: str) -> str:
    return (
        "INSERT INTO report_author_changes (author_name) SELECT c.author_name "
        f"FROM comments AS c WHERE c.id = {comment_id} AND NOT EXISTS "
        "(SELECT 1 FROM report_author_changes AS r WHERE r.author_name = c.author_name);"
    )


def _sqlite_decision_note(row: str) -> str:
    return (
        "INSERT INTO report_decision_changes (moderator_id, created_at) "
        f"VALUES ({row}.moderator_id, {row}.created_at);"
    )


SQLITE_TRIGGERS = [
    f"""
    CREATE TRIGGER report_author_changes_comment_insert AFTER INSERT ON comments
    WHEN NEW.import_batch_id IS NULL BEGIN
        {_sqlite_author_note("NEW.author_name")}
    END
    """,
    f"""
    CREATE TRIGGER report_author_changes_comment_update
    AFTER UPDATE OF status, kind, author_name, article_id ON comments BEGIN
        {_sqlite_author_note("OLD.author_name")}
        {_sqlite_author_note("NEW.author_name", "NEW.author_name IS NOT OLD.author_name")}
    END
    """,
    f"""
    CREATE TRIGGER report_author_changes_comment_delete AFTER DELETE ON comments BEGIN
        {_sqlite_author_note("OLD.author_name")}
    END
    """,
    f"""
    CREATE TRIGGER report_author_changes_score_insert AFTER INSERT ON comment_scores BEGIN
        {_sqlite_score_author_note("NEW.comment_id")}
    END
    """,
    f"""
    CREATE TRIGGER report_author_changes_score_update
    AFTER UPDATE OF compound, sentiment_label, drift, comment_id ON comment_scores BEGIN
        {_sqlite_score_author_note("OLD.comment_id")}
        {_sqlite_score_author_note("NEW.comment_id")}
    END
    """,
    f"""
    CREATE TRIGGER report_author_changes_score_delete AFTER DELETE ON comment_scores BEGIN
        {_sqlite_score_author_note("OLD.comment_id")}
    END
    """,
    f"""
    CREATE TRIGGER report_decision_changes_insert AFTER INSERT ON decisions BEGIN
        {_sqlite_decision_note("NEW")}
    END
    """,
    f"""
    CREATE TRIGGER report_decision_changes_update
    AFTER UPDATE OF moderator_id, created_at, to_status, undoes_id ON decisions BEGIN
        {_sqlite_decision_note("OLD")}
        {_sqlite_decision_note("NEW")}
    END
    """,
    f"""
    CREATE TRIGGER report_decision_changes_delete AFTER DELETE ON decisions BEGIN
        {_sqlite_decision_note("OLD")}
    END
    """,
]

# Statement-level, appending notes only (as 0005's): concurrent writers never wait on
# each other's notes.
COMMENT_COLUMNS = "{0}.status, {0}.kind, {0}.author_name, {0}.article_id"
SCORE_COLUMNS = "{0}.compound, {0}.sentiment_label, {0}.drift"
DECISION_COLUMNS = "{0}.moderator_id, {0}.created_at, {0}.to_status, {0}.undoes_id"


def _postgresql_function(name: str, body: str) -> str:
    return f"""
    CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {body};
        RETURN NULL;
    END $$
    """


AUTHOR_NOTE = "INSERT INTO report_author_changes (author_name) SELECT DISTINCT author_name FROM"
DECISION_NOTE = "INSERT INTO report_decision_changes (moderator_id, created_at) SELECT"
POSTGRESQL_FUNCTIONS = {
    "report_author_changes_new_comments": f"{AUTHOR_NOTE} new_rows",
    "report_author_changes_old_comments": f"{AUTHOR_NOTE} old_rows",
    "report_author_changes_changed_comments": f"""{AUTHOR_NOTE} (
            SELECT o.author_name FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id
                WHERE ({COMMENT_COLUMNS.format("o")}) IS DISTINCT FROM ({COMMENT_COLUMNS.format("n")})
            UNION ALL
            SELECT n.author_name FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id
                WHERE ({COMMENT_COLUMNS.format("o")}) IS DISTINCT FROM ({COMMENT_COLUMNS.format("n")})
        ) AS changed""",
    "report_author_changes_new_scores": (
        f"{AUTHOR_NOTE} (SELECT c.author_name FROM new_rows AS s"
        " JOIN comments AS c ON c.id = s.comment_id) AS scored"
    ),
    "report_author_changes_old_scores": (
        f"{AUTHOR_NOTE} (SELECT c.author_name FROM old_rows AS s"
        " JOIN comments AS c ON c.id = s.comment_id) AS unscored"
    ),
    "report_author_changes_changed_scores": f"""{AUTHOR_NOTE} (
            SELECT c.author_name FROM old_rows AS o JOIN new_rows AS n ON n.comment_id = o.comment_id
            JOIN comments AS c ON c.id = n.comment_id
            WHERE ({SCORE_COLUMNS.format("o")}) IS DISTINCT FROM ({SCORE_COLUMNS.format("n")})
        ) AS rescored""",
    "report_decision_changes_new": f"{DECISION_NOTE} moderator_id, created_at FROM new_rows",
    "report_decision_changes_old": f"{DECISION_NOTE} moderator_id, created_at FROM old_rows",
    "report_decision_changes_changed": f"""{DECISION_NOTE} moderator_id, created_at FROM (
            SELECT o.moderator_id, o.created_at FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id
                WHERE ({DECISION_COLUMNS.format("o")}) IS DISTINCT FROM ({DECISION_COLUMNS.format("n")})
            UNION ALL
            SELECT n.moderator_id, n.created_at FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id
                WHERE ({DECISION_COLUMNS.format("o")}) IS DISTINCT FROM ({DECISION_COLUMNS.format("n")})
        ) AS changed""",
}
TRANSITION_TABLES = {
    "INSERT": "REFERENCING NEW TABLE AS new_rows",
    "DELETE": "REFERENCING OLD TABLE AS old_rows",
    "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
}
POSTGRESQL_TRIGGERS = {
    # trigger: (table, event, function)
    "report_author_changes_comment_insert": (
        "comments", "INSERT", "report_author_changes_new_comments"),
    "report_author_changes_comment_delete": (
        "comments", "DELETE", "report_author_changes_old_comments"),
    "report_author_changes_comment_update": (
        "comments", "UPDATE", "report_author_changes_changed_comments"),
    "report_author_changes_score_insert": (
        "comment_scores", "INSERT", "report_author_changes_new_scores"),
    "report_author_changes_score_delete": (
        "comment_scores", "DELETE", "report_author_changes_old_scores"),
    "report_author_changes_score_update": (
        "comment_scores", "UPDATE", "report_author_changes_changed_scores"),
    "report_decision_changes_insert": ("decisions", "INSERT", "report_decision_changes_new"),
    "report_decision_changes_delete": ("decisions", "DELETE", "report_decision_changes_old"),
    "report_decision_changes_update": ("decisions", "UPDATE", "report_decision_changes_changed"),
}  # fmt: skip
SQLITE_TRIGGER_NAMES = list(POSTGRESQL_TRIGGERS)


def upgrade():
    op.create_table(
        "report_author_summaries",
        sa.Column("author_name", sa.String(length=300), nullable=False),
        sa.Column("site", sa.String(length=200), nullable=False),
        *[
            sa.Column(name, sa.Integer(), nullable=False)
            for name in ("articles", "comments", "pending", "approved", "rejected", "spam",
                         "escalated", "pingbacks", "scored", "negative", "neutral", "positive")
        ],  # fmt: skip
        sa.Column("compound_sum", sa.Double(), nullable=False),
        sa.Column("off_topic", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("author_name", "site"),
    )
    op.create_table(
        "report_author_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_name", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_report_author_changes_author_name", "report_author_changes", ["author_name"]
    )
    op.create_table(
        "report_moderator_days",
        sa.Column("moderator_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("undo", sa.Boolean(), nullable=False),
        sa.Column("decisions", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["moderator_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("moderator_id", "day", "to_status", "undo"),
    )
    op.create_table(
        "report_decision_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("moderator_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "report_summary_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("off_topic_threshold", sa.Double(), nullable=True),
        sa.Column("zone", sa.String(length=100), nullable=True),
        sa.Column("refreshed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    if op.get_bind().dialect.name == "postgresql":
        for name, body in POSTGRESQL_FUNCTIONS.items():
            op.execute(_postgresql_function(name, body))
        for trigger, (table, event, function) in POSTGRESQL_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER {trigger} AFTER {event} ON {table} {TRANSITION_TABLES[event]}"
                f" FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
            )
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for trigger, (table, _event, _function) in POSTGRESQL_TRIGGERS.items():
            op.execute(f"DROP TRIGGER {trigger} ON {table}")
        for name in POSTGRESQL_FUNCTIONS:
            op.execute(f"DROP FUNCTION {name}()")
    else:
        for trigger in SQLITE_TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER {trigger}")
    op.drop_table("report_summary_state")
    op.drop_table("report_decision_changes")
    op.drop_table("report_moderator_days")
    op.drop_index("ix_report_author_changes_author_name", table_name="report_author_changes")
    op.drop_table("report_author_changes")
    op.drop_table("report_author_summaries")
