"""WordPress sync: each site's pull cursor, and the decisions pushed to it

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 21:40:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "wordpress_sites",
        sa.Column("site", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("last_comment_id", sa.BigInteger(), nullable=False),
        sa.Column("pulled_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("site"),
    )
    op.create_table(
        "wordpress_pushes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("site", sa.String(length=200), nullable=False),
        sa.Column("expected_status", sa.String(length=20), nullable=False),
        sa.Column("remote_status", sa.String(length=20), nullable=False),
        sa.Column("pushed_status", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["comment_id"], ["comments.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["decision_id"], ["decisions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("decision_id"),
    )
    op.create_index("ix_wordpress_pushes_comment", "wordpress_pushes", ["comment_id", "id"])


def downgrade():
    op.drop_index("ix_wordpress_pushes_comment", table_name="wordpress_pushes")
    op.drop_table("wordpress_pushes")
    op.drop_table("wordpress_sites")
