"""near-duplicate spam: MinHash signatures, campaigns and LSH band keys per comment

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 19:20:00

Both tables are filled by the scoring runner; the scorer version rises with them, so
the next scoring run computes signatures for the comments already in the database.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "comment_signatures",
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("signature", sa.LargeBinary(length=128), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["comment_id"], ["comments.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("comment_id"),
    )
    op.create_index(
        "ix_comment_signatures_campaign_id", "comment_signatures", ["campaign_id"], unique=False
    )
    op.create_table(
        "comment_band_keys",
        sa.Column("band_key", sa.BigInteger(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["comment_id"], ["comments.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("band_key", "comment_id"),
        sqlite_with_rowid=False,
    )


def downgrade():
    op.drop_table("comment_band_keys")
    op.drop_index("ix_comment_signatures_campaign_id", table_name="comment_signatures")
    op.drop_table("comment_signatures")
