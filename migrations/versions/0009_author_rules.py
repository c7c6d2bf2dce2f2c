"""author rules (ban, premoderate, trust), their audit log, and notes on authors

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 19:20:00

The account automatic decisions are recorded under, made by watch-words since
0003 as "watch-words (automatic)", now also decides for author rules and is
renamed "system (automatic)"; its id, and so the audit log, stay as they were.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

OLD_NAME = "watch-words (automatic)"
NEW_NAME = "system (automatic)"


def _rename_system_account(old: str, new: str) -> None:
    users = sa.table("users", sa.column("username"), sa.column("role"))
    op.execute(
        users.update()
        .where(users.c.username == old, users.c.role == "system")
        .values(username=new)
    )


def upgrade():
    op.create_table(
        "author_rules",
        sa.Column("author_name", sa.String(length=300), nullable=False),
        sa.Column("rule", sa.String(length=20), nullable=False),
        sa.Column("set_by_id", sa.Integer(), nullable=False),
        sa.Column("set_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["set_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("author_name"),
    )
    op.create_table(
        "author_rule_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_name", sa.String(length=300), nullable=False),
        sa.Column("from_rule", sa.String(length=20), nullable=True),
        sa.Column("to_rule", sa.String(length=20), nullable=True),
        sa.Column("changed_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["changed_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_author_rule_changes_author", "author_rule_changes", ["author_name", "id"]
    )
    op.create_table(
        "author_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_name", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("written_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["written_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_author_notes_author", "author_notes", ["author_name", "id"])
    _rename_system_account(OLD_NAME, NEW_NAME)


def downgrade():
    _rename_system_account(NEW_NAME, OLD_NAME)
    op.drop_index("ix_author_notes_author", table_name="author_notes")
    op.drop_table("author_notes")
    op.drop_index("ix_author_rule_changes_author", table_name="author_rule_changes")
    op.drop_table("author_rule_changes")
    op.drop_table("author_rules")
