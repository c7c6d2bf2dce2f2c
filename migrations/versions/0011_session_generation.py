"""users.session_generation: sessions revoked server-side

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-06 19:20:00

Every session names the account's generation; signing out, a new password, a
new role or an admin's "sign out everywhere" raise it, and sessions naming an
older one are signed out. Existing accounts start at 0.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(
            sa.Column("session_generation", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("session_generation")
