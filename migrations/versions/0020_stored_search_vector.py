"""search index, PostgreSQL: each body's tsvector stored in the row, not recomputed per read

Revision ID: 0020_stored_search_vector
Revises: 0019
Create Date: 2026-12-07 03:30:00

PostgreSQL: ``comments.body_search`` is a stored generated column,
``to_tsvector('english', body)``, and ``ix_comments_body_search`` (same name) a GIN
index on it instead of on the expression. The index found matches before too, but
every other reader of the vector computed it again from the body: a search whose
page walks the queue index and keeps the matching rows (many matches) ran the
parser on each row it passed, as did each recheck of a heap row. The column costs
the row its vector's bytes, and writes compute it once, as the expression index did.
Only a change of ``body`` recomputes it (PostgreSQL recomputes a generated column
when a column it depends on is updated; see ``tests/test_search.py``).

Adding the column rewrites the table and its indexes once, holding it locked: at
1M comments about a minute here.

SQLite: nothing changes; FTS5 already stores its index apart from the rows.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0020_stored_search_vector"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_comments_body_search")
    op.execute(
        "ALTER TABLE comments ADD COLUMN body_search tsvector"
        " GENERATED ALWAYS AS (to_tsvector('english', body)) STORED"
    )
    op.execute("CREATE INDEX ix_comments_body_search ON comments USING gin (body_search)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_comments_body_search")
    op.execute("ALTER TABLE comments DROP COLUMN body_search")
    op.execute(
        "CREATE INDEX ix_comments_body_search ON comments"
        " USING gin (to_tsvector('english', body))"
    )
