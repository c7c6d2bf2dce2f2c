"""near-duplicate band keys of 31 bits instead of 64

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 22:10:00

The keys are computed differently now (moderation.scoring.near_duplicates.band_keys),
so the stored ones could never match a new comment's. They are deleted with the
signatures they came from; the scorer version rises with this change, so the next
scoring run computes both again for every comment. No schema change: the column
stays a BIGINT, and SQLite stores the smaller values in 4 bytes by itself.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("DELETE FROM comment_band_keys")
    op.execute("DELETE FROM comment_signatures")


def downgrade():
    # The older code computes 64-bit keys again on its next scoring run.
    op.execute("DELETE FROM comment_band_keys")
    op.execute("DELETE FROM comment_signatures")
