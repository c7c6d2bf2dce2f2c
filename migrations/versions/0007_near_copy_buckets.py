"""near copies: the first comment of each MinHash band key

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 16:10:00

Duplicate spam with small edits is found by comparing a comment with the first
comment scored under each band key of its text (``moderation.models.NearCopyBucket``).
Scorer version 4 rescores every comment once, which fills the table.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "near_copy_buckets",
        sa.Column(
            "band_key",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("band_key"),
    )


def downgrade():
    op.drop_table("near_copy_buckets")
