"""search index: English stemming, so that "sanction" finds "sanctions" and "sanctioned"

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 14:00:00

SQLite: FTS5 fixes a table's tokenizer when it is created, so ``comments_fts`` is
made again with ``porter`` in front of the same ``unicode61`` tokenizer, with the
``hashsize`` of 0007, and rebuilt from ``comments`` (external content: the index
is the only thing lost, and everything in it comes back). The triggers of 0004
name the table, not its definition, and keep working. A rebuild reads every
comment once: about 0.7 s per 100,000 comments of 270 characters here.

PostgreSQL: the expression index on ``to_tsvector('simple', body)`` becomes one on
``to_tsvector('english', body)`` under the same name, the expression
``moderation.queue.search_condition`` now queries with.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

HASH_SIZE = 16 * 1024 * 1024  # as migration 0007 set it
STEMMED = "porter unicode61 remove_diacritics 2"
UNSTEMMED = "unicode61 remove_diacritics 2"


def _rebuild_sqlite_index(tokenize: str) -> None:
    op.execute("DROP TABLE comments_fts")
    op.execute(
        "CREATE VIRTUAL TABLE comments_fts USING fts5("
        f"body, content='comments', content_rowid='id', tokenize='{tokenize}')"
    )
    # Before the rebuild, so that it writes large segments too.
    op.execute(f"INSERT INTO comments_fts (comments_fts, rank) VALUES ('hashsize', {HASH_SIZE})")
    op.execute("INSERT INTO comments_fts (comments_fts) VALUES ('rebuild')")


def _replace_postgresql_index(configuration: str) -> None:
    op.execute("DROP INDEX ix_comments_body_search")
    op.execute(
        "CREATE INDEX ix_comments_body_search ON comments"
        f" USING gin (to_tsvector('{configuration}', body))"
    )


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        _replace_postgresql_index("english")
    else:
        _rebuild_sqlite_index(STEMMED)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        _replace_postgresql_index("simple")
    else:
        _rebuild_sqlite_index(UNSTEMMED)
