"""imports commit in chunks: progress of a running import, and what a failed one made

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 21:45:00

An import now commits its file a chunk at a time. Its batch records how far it got
(chunks_committed, and comments_new as before) and how many of its new comments have
each status, which the queue's tab counts leave out until it finishes; an article
records the import that created it, so that a failed import can remove it again.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("import_batches") as batch:
        batch.add_column(
            sa.Column("chunks_committed", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("status_counts", sa.JSON(), nullable=True))
        batch.create_index("ix_import_batches_status", ["status"], unique=False)
    # A plain ADD COLUMN without a foreign key: on SQLite adding (or later dropping) one
    # rebuilds the table, and dropping articles there cascades into every comment.
    op.add_column("articles", sa.Column("import_batch_id", sa.Integer(), nullable=True))


def downgrade():
    op.drop_column("articles", "import_batch_id")
    with op.batch_alter_table("import_batches") as batch:
        batch.drop_index("ix_import_batches_status")
        batch.drop_column("status_counts")
        batch.drop_column("chunks_committed")
