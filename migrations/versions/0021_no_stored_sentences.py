"""scores: per-sentence sentiment no longer stored; worked out when a comment is shown

Revision ID: 0021_no_stored_sentences
Revises: 0020_stored_search_vector
Create Date: 2026-12-08 00:30:00

``comment_scores.sentences`` held each sentence's text and share of the comment's
sentiment: on generated comments of 155 words, 940 of a score row's 3,000 bytes, a copy
of the body that no page read. Which sentence drives a comment's sentiment is now
worked out from the body when the comment is opened
(``moderation.scoring.sentiment.driving_sentence``), with the same function the scorer
used, so nothing shown changes.

SQLite rewrites the table to drop a column (about a minute at 1M comments); PostgreSQL
only marks it dropped. The space comes back to the file system with ``VACUUM``.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0021_no_stored_sentences"
down_revision = "0020_stored_search_vector"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_column("comment_scores", "sentences")


def downgrade():
    op.add_column(
        "comment_scores",
        sa.Column("sentences", sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
    )
