"""hard tasks and commendations: the hard-task catalogue (tasks, notes, links) and commendations

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "commendations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=False),
        sa.Column("citation", sa.Text(), nullable=False),
        sa.Column("source_kind", sa.String(length=12), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["by_id"], ["users.id"], name=op.f("fk_commendations_by_id_users")),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_commendations_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_commendations_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commendations")),
        sa.UniqueConstraint(
            "user_id", "source_kind", "source_id", name=op.f("uq_commendations_user_id")
        ),
    )
    with op.batch_alter_table("commendations", schema=None) as batch_op:
        batch_op.create_index("ix_commendations_unit_id", ["unit_id"], unique=False)

    op.create_table(
        "hard_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("working_days", sa.Integer(), nullable=False),
        sa.Column("started_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("remind_50_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("remind_80_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reminded_50_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reminded_80_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("overdue_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("level_unit_id", sa.Integer(), nullable=False),
        sa.Column("next_escalation_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("escalations", sa.Integer(), nullable=False),
        sa.Column("closed_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("closing_note", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["users.id"], name=op.f("fk_hard_tasks_closed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_hard_tasks_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["level_unit_id"], ["units.id"], name=op.f("fk_hard_tasks_level_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_hard_tasks_owner_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_hard_tasks_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hard_tasks")),
    )
    with op.batch_alter_table("hard_tasks", schema=None) as batch_op:
        batch_op.create_index("ix_hard_tasks_due_at", ["due_at"], unique=False)
        batch_op.create_index("ix_hard_tasks_owner_id", ["owner_id"], unique=False)
        batch_op.create_index("ix_hard_tasks_unit_status", ["unit_id", "status"], unique=False)

    op.create_table(
        "hard_task_links",
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_hard_task_links_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["hard_tasks.id"],
            name=op.f("fk_hard_task_links_task_id_hard_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("task_id", "kind", "target_id", name=op.f("pk_hard_task_links")),
    )
    op.create_table(
        "hard_task_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_hard_task_notes_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["hard_tasks.id"],
            name=op.f("fk_hard_task_notes_task_id_hard_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hard_task_notes")),
    )
    with op.batch_alter_table("hard_task_notes", schema=None) as batch_op:
        batch_op.create_index("ix_hard_task_notes_task_id", ["task_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("hard_task_notes", schema=None) as batch_op:
        batch_op.drop_index("ix_hard_task_notes_task_id")

    op.drop_table("hard_task_notes")
    op.drop_table("hard_task_links")
    with op.batch_alter_table("hard_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_hard_tasks_unit_status")
        batch_op.drop_index("ix_hard_tasks_owner_id")
        batch_op.drop_index("ix_hard_tasks_due_at")

    op.drop_table("hard_tasks")
    with op.batch_alter_table("commendations", schema=None) as batch_op:
        batch_op.drop_index("ix_commendations_unit_id")

    op.drop_table("commendations")
