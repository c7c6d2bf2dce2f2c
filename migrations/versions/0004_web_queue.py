"""web queue: sign-in failures, status counts kept by triggers, full-text search index

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 10:21:15.627661

The triggers and the search index are written by hand, per dialect: Alembic's
autogenerate does not see them (``moderation.queue.include_in_autogenerate``
keeps it from proposing to drop the SQLite FTS5 tables). A later migration that
rebuilds ``comments`` in SQLite batch mode (copy and rename) drops its triggers
and must create them again.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


SQLITE_COUNT_TRIGGERS = [
    # One row per status; the INSERT makes it on first sight of a status.
    """
    CREATE TRIGGER comment_status_counts_insert AFTER INSERT ON comments BEGIN
        INSERT INTO comment_status_counts (status, delta)
            SELECT NEW.status, 0
            WHERE NOT EXISTS (SELECT 1 FROM comment_status_counts WHERE status = NEW.status);
        UPDATE comment_status_counts SET delta = delta + 1
            WHERE id = (SELECT min(id) FROM comment_status_counts WHERE status = NEW.status);
    END
    """,
    """
    CREATE TRIGGER comment_status_counts_delete AFTER DELETE ON comments BEGIN
        UPDATE comment_status_counts SET delta = delta - 1
            WHERE id = (SELECT min(id) FROM comment_status_counts WHERE status = OLD.status);
    END
    """,
    """
    CREATE TRIGGER comment_status_counts_update AFTER UPDATE OF status ON comments
    WHEN OLD.status IS NOT NEW.status BEGIN
        INSERT INTO comment_status_counts (status, delta)
            SELECT NEW.status, 0
            WHERE NOT EXISTS (SELECT 1 FROM comment_status_counts WHERE status = NEW.status);
        UPDATE comment_status_counts SET delta = delta - 1
            WHERE id = (SELECT min(id) FROM comment_status_counts WHERE status = OLD.status);
        UPDATE comment_status_counts SET delta = delta + 1
            WHERE id = (SELECT min(id) FROM comment_status_counts WHERE status = NEW.status);
    END
    """,
]

SQLITE_SEARCH = [
    # External content: the index holds only the terms; the text stays in comments.
    """
    CREATE VIRTUAL TABLE comments_fts USING fts5(
        body, content='comments', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
    )
    """,
    # Imports index their comments in one statement at the end of each file
    # (moderation.search_index), several times faster than a row at a time.
    """
    CREATE TRIGGER comments_fts_insert AFTER INSERT ON comments
    WHEN NEW.import_batch_id IS NULL BEGIN
        INSERT INTO comments_fts (rowid, body) VALUES (NEW.id, NEW.body);
    END
    """,
    """
    CREATE TRIGGER comments_fts_delete AFTER DELETE ON comments BEGIN
        INSERT INTO comments_fts (comments_fts, rowid, body) VALUES ('delete', OLD.id, OLD.body);
    END
    """,
    """
    CREATE TRIGGER comments_fts_update AFTER UPDATE OF body ON comments BEGIN
        INSERT INTO comments_fts (comments_fts, rowid, body) VALUES ('delete', OLD.id, OLD.body);
        INSERT INTO comments_fts (rowid, body) VALUES (NEW.id, NEW.body);
    END
    """,
    "INSERT INTO comments_fts (comments_fts) VALUES ('rebuild')",
]

# Statement-level triggers add one row per status and statement: concurrent
# transactions never update the same counter row, so none waits for another.
POSTGRESQL_COUNT_TRIGGERS = [
    """
    CREATE FUNCTION comment_status_counts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO comment_status_counts (status, delta)
            SELECT status, count(*) FROM new_rows GROUP BY status;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION comment_status_counts_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO comment_status_counts (status, delta)
            SELECT status, -count(*) FROM old_rows GROUP BY status;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION comment_status_counts_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO comment_status_counts (status, delta)
            SELECT status, sum(change) FROM (
                SELECT status, -1 AS change FROM old_rows
                UNION ALL
                SELECT status, 1 AS change FROM new_rows
            ) AS changes
            GROUP BY status HAVING sum(change) <> 0;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER comment_status_counts_insert AFTER INSERT ON comments
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION comment_status_counts_insert()
    """,
    """
    CREATE TRIGGER comment_status_counts_delete AFTER DELETE ON comments
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION comment_status_counts_delete()
    """,
    """
    CREATE TRIGGER comment_status_counts_update AFTER UPDATE ON comments
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION comment_status_counts_update()
    """,
]

POSTGRESQL_SEARCH = [
    "CREATE INDEX ix_comments_body_search ON comments USING gin (to_tsvector('simple', body))",
]


def upgrade():
    op.create_table('comment_status_counts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('delta', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('comment_status_counts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comment_status_counts_status'), ['status'], unique=False)

    op.create_table('sign_in_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('sign_in_failures', schema=None) as batch_op:
        batch_op.create_index('ix_sign_in_failures_address_time', ['address', 'created_at'], unique=False)
        batch_op.create_index('ix_sign_in_failures_username_time', ['username', 'created_at'], unique=False)

    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.create_index('ix_comments_article_queue', ['article_id', 'status', 'priority', 'id'], unique=False)
        batch_op.create_index('ix_comments_author_queue', ['author_name', 'status', 'priority', 'id'], unique=False)

    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bulk_id', sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f('ix_decisions_bulk_id'), ['bulk_id'], unique=False)

    op.execute(
        "INSERT INTO comment_status_counts (status, delta) "
        "SELECT status, count(*) FROM comments GROUP BY status"
    )
    if op.get_bind().dialect.name == 'postgresql':
        statements = POSTGRESQL_COUNT_TRIGGERS + POSTGRESQL_SEARCH
    else:
        statements = SQLITE_COUNT_TRIGGERS + SQLITE_SEARCH
    for statement in statements:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP INDEX ix_comments_body_search")
        for event in ('insert', 'delete', 'update'):
            op.execute(f"DROP TRIGGER comment_status_counts_{event} ON comments")
            op.execute(f"DROP FUNCTION comment_status_counts_{event}()")
    else:
        for event in ('insert', 'delete', 'update'):
            op.execute(f"DROP TRIGGER comment_status_counts_{event}")
            op.execute(f"DROP TRIGGER comments_fts_{event}")
        op.execute("DROP TABLE comments_fts")

    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decisions_bulk_id'))
        batch_op.drop_column('bulk_id')

    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index('ix_comments_author_queue')
        batch_op.drop_index('ix_comments_article_queue')

    with op.batch_alter_table('sign_in_failures', schema=None) as batch_op:
        batch_op.drop_index('ix_sign_in_failures_username_time')
        batch_op.drop_index('ix_sign_in_failures_address_time')

    op.drop_table('sign_in_failures')
    with op.batch_alter_table('comment_status_counts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comment_status_counts_status'))

    op.drop_table('comment_status_counts')
