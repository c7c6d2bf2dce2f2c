"""sessions: one row per signed-in browser, so that signing out ends that one only

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 01:00:00

Session cookies made before this name no row and are signed out once.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "signed_in_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("secret_hash"),
    )
    op.create_index("ix_signed_in_sessions_user_id", "signed_in_sessions", ["user_id"])


def downgrade():
    op.drop_index("ix_signed_in_sessions_user_id", table_name="signed_in_sessions")
    op.drop_table("signed_in_sessions")
