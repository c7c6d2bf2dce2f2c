"""sessions revoked server-side; imports name their process; scores their analysis hash

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 19:20:00

Every session names the account's generation; signing out, a new password, a
new role or an admin's "sign out everywhere" raise it, and sessions naming an
older one are signed out. Existing accounts start at 0.

``import_batches.runner_host`` and ``runner_pid``: the process importing a batch,
so that a later import can mark a batch whose process was killed as failed
instead of running for ever.

``comment_scores.analysis_hash``: the scoring configuration but its priority
weights, so that a weight change recomputes priorities only. Scores from before
have none and are rescored once in full.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(
            sa.Column("session_generation", sa.Integer(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("import_batches") as batch_op:
        batch_op.add_column(sa.Column("runner_host", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("runner_pid", sa.Integer(), nullable=True))
    op.add_column("comment_scores", sa.Column("analysis_hash", sa.String(length=64)))


def downgrade():
    # Not a batch operation: on SQLite that rebuilds the table, losing its triggers (0005).
    op.execute("ALTER TABLE comment_scores DROP COLUMN analysis_hash")
    with op.batch_alter_table("import_batches") as batch_op:
        batch_op.drop_column("runner_pid")
        batch_op.drop_column("runner_host")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("session_generation")
