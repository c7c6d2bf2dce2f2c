"""scores: per-sentence sentiment no longer stored; worked out when a comment is shown

Revision ID: 0021_no_stored_sentences
Revises: 0020_stored_search_vector
Create Date: 2026-12-08 00:30:00

``comment_scores.sentences`` held each sentence's text and share of the comment's
sentiment: a copy of the body, which no page read. On 20,000 generated comments of 155
words it was 940 of a score row's 2,100 bytes, and rows that long left SQLite's 4 kB
pages part-empty: the table took 59.7 MB, 27.2 MB without the column. Which sentence
drives a comment's sentiment is now worked out from the body when the comment is opened
(``moderation.scoring.sentiment.driving_sentence``), with the function the scorer used.

SQLite rewrites each row without the column (1.6 s for those 20,000 scores; 3.3 s for
the million of ``bench_load.py``'s database, whose made-up scores hold empty lists) but
keeps the pages: ``VACUUM`` gives the space back (59.7 → 27.3 MB there). PostgreSQL only
marks the column dropped.
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
