"""reports: comments pre-counted per article and quarter hour, kept right by triggers

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 11:30:00

``report_buckets`` holds the counts the site-wide reports add up (see
``moderation/reports/rollup.py``). Triggers, written by hand per dialect, note
in ``report_changes`` the article of every comment inserted, deleted or changed
in status, kind or time, and of every score written or removed; the reports
recount those articles before they read. The buckets start empty and the state
row missing, so the first report counts everything once.

Like 0004's, these triggers are on ``comments``: a later migration that rebuilds
that table in SQLite batch mode drops them and must create them again.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def _sqlite_note(article_expression: str, where: str = "") -> str:
    """INSERT a note for an article unless one is already waiting (SQLite has one writer)."""
    condition = f"{where} AND " if where else ""
    return (
        f"INSERT INTO report_changes (article_id) SELECT {article_expression} "
        f"WHERE {condition}NOT EXISTS "
        f"(SELECT 1 FROM report_changes WHERE article_id = {article_expression});"
    )


def _sqlite_score_note(comment_id: str) -> str:
    return (
        "INSERT INTO report_changes (article_id) SELECT c.article_id FROM comments AS c "
        f"WHERE c.id = {comment_id} AND NOT EXISTS "
        "(SELECT 1 FROM report_changes AS r WHERE r.article_id = c.article_id);"
    )


SQLITE_TRIGGERS = [
    f"""
    CREATE TRIGGER report_changes_comment_insert AFTER INSERT ON comments BEGIN
        {_sqlite_note("NEW.article_id")}
    END
    """,
    f"""
    CREATE TRIGGER report_changes_comment_update
    AFTER UPDATE OF status, kind, posted_at, created_at, article_id ON comments BEGIN
        {_sqlite_note("OLD.article_id")}
        {_sqlite_note("NEW.article_id", "NEW.article_id IS NOT OLD.article_id")}
    END
    """,
    f"""
    CREATE TRIGGER report_changes_comment_delete AFTER DELETE ON comments BEGIN
        {_sqlite_note("OLD.article_id")}
    END
    """,
    f"""
    CREATE TRIGGER report_changes_score_insert AFTER INSERT ON comment_scores BEGIN
        {_sqlite_score_note("NEW.comment_id")}
    END
    """,
    f"""
    CREATE TRIGGER report_changes_score_update
    AFTER UPDATE OF compound, sentiment_label, drift, comment_id ON comment_scores BEGIN
        {_sqlite_score_note("OLD.comment_id")}
        {_sqlite_score_note("NEW.comment_id")}
    END
    """,
    f"""
    CREATE TRIGGER report_changes_score_delete AFTER DELETE ON comment_scores BEGIN
        {_sqlite_score_note("OLD.comment_id")}
    END
    """,
]

# Statement-level, appending one note per article and statement: no row is ever
# updated, so concurrent writers never wait on (or deadlock over) each other's notes.
COMMENT_COLUMNS = "{0}.status, {0}.kind, {0}.posted_at, {0}.created_at, {0}.article_id"
SCORE_COLUMNS = "{0}.compound, {0}.sentiment_label, {0}.drift"

POSTGRESQL_TRIGGERS = [
    """
    CREATE FUNCTION report_changes_new_comments() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO report_changes (article_id) SELECT DISTINCT article_id FROM new_rows;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION report_changes_old_comments() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO report_changes (article_id) SELECT DISTINCT article_id FROM old_rows;
        RETURN NULL;
    END $$
    """,
    f"""
    CREATE FUNCTION report_changes_changed_comments() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO report_changes (article_id)
            SELECT DISTINCT article_id FROM (
                SELECT o.article_id FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id
                    WHERE ({COMMENT_COLUMNS.format('o')}) IS DISTINCT FROM ({COMMENT_COLUMNS.format('n')})
                UNION ALL
                SELECT n.article_id FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id
                    WHERE ({COMMENT_COLUMNS.format('o')}) IS DISTINCT FROM ({COMMENT_COLUMNS.format('n')})
            ) AS changed;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION report_changes_new_scores() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO report_changes (article_id)
            SELECT DISTINCT c.article_id FROM new_rows AS s JOIN comments AS c ON c.id = s.comment_id;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION report_changes_old_scores() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO report_changes (article_id)
            SELECT DISTINCT c.article_id FROM old_rows AS s JOIN comments AS c ON c.id = s.comment_id;
        RETURN NULL;
    END $$
    """,
    f"""
    CREATE FUNCTION report_changes_changed_scores() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO report_changes (article_id)
            SELECT DISTINCT c.article_id
            FROM old_rows AS o JOIN new_rows AS n ON n.comment_id = o.comment_id
            JOIN comments AS c ON c.id = n.comment_id
            WHERE ({SCORE_COLUMNS.format('o')}) IS DISTINCT FROM ({SCORE_COLUMNS.format('n')});
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER report_changes_comment_insert AFTER INSERT ON comments
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION report_changes_new_comments()
    """,
    """
    CREATE TRIGGER report_changes_comment_delete AFTER DELETE ON comments
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION report_changes_old_comments()
    """,
    """
    CREATE TRIGGER report_changes_comment_update AFTER UPDATE ON comments
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION report_changes_changed_comments()
    """,
    """
    CREATE TRIGGER report_changes_score_insert AFTER INSERT ON comment_scores
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION report_changes_new_scores()
    """,
    """
    CREATE TRIGGER report_changes_score_delete AFTER DELETE ON comment_scores
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION report_changes_old_scores()
    """,
    """
    CREATE TRIGGER report_changes_score_update AFTER UPDATE ON comment_scores
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION report_changes_changed_scores()
    """,
]
TRIGGERS = {
    "report_changes_comment_insert": ("comments", "report_changes_new_comments"),
    "report_changes_comment_delete": ("comments", "report_changes_old_comments"),
    "report_changes_comment_update": ("comments", "report_changes_changed_comments"),
    "report_changes_score_insert": ("comment_scores", "report_changes_new_scores"),
    "report_changes_score_delete": ("comment_scores", "report_changes_old_scores"),
    "report_changes_score_update": ("comment_scores", "report_changes_changed_scores"),
}


def upgrade():
    op.create_table('report_buckets',
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('bucket', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('comments', sa.Integer(), nullable=False),
    sa.Column('pending', sa.Integer(), nullable=False),
    sa.Column('approved', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('spam', sa.Integer(), nullable=False),
    sa.Column('escalated', sa.Integer(), nullable=False),
    sa.Column('pingbacks', sa.Integer(), nullable=False),
    sa.Column('scored', sa.Integer(), nullable=False),
    sa.Column('negative', sa.Integer(), nullable=False),
    sa.Column('neutral', sa.Integer(), nullable=False),
    sa.Column('positive', sa.Integer(), nullable=False),
    sa.Column('compound_sum', sa.Double(), nullable=False),
    sa.Column('off_topic', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('article_id', 'bucket')
    )
    op.create_table('report_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('report_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_changes_article_id'), ['article_id'], unique=False)

    op.create_table('report_rollup_state',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('off_topic_threshold', sa.Double(), nullable=True),
    sa.Column('refreshed_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    if op.get_bind().dialect.name == 'postgresql':
        statements = POSTGRESQL_TRIGGERS
    else:
        statements = SQLITE_TRIGGERS
    for statement in statements:
        op.execute(statement)


def downgrade():
    postgresql = op.get_bind().dialect.name == 'postgresql'
    for trigger, (table, function) in TRIGGERS.items():
        op.execute(f"DROP TRIGGER {trigger} ON {table}" if postgresql else f"DROP TRIGGER {trigger}")
        if postgresql:
            op.execute(f"DROP FUNCTION {function}()")
    op.drop_table('report_rollup_state')
    with op.batch_alter_table('report_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_changes_article_id'))

    op.drop_table('report_changes')
    op.drop_table('report_buckets')
