"""situation drills (drills, deliveries, per-cadre schedules) and precedent reuse by other units

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "drill_schedules",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("interval_days", sa.Integer(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("next_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_sent_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_drill_schedules_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_drill_schedules")),
    )
    op.create_table(
        "drills",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("situation", sa.Text(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("correct_option", sa.Integer(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("citation", sa.Text(), nullable=False),
        sa.Column("positions", sa.JSON(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("source_kind", sa.String(length=12), nullable=False),
        sa.Column("precedent_id", sa.Integer(), nullable=True),
        sa.Column("chunk_id", sa.Integer(), nullable=True),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("published_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_drills_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_drills_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["precedent_id"],
            ["precedent_proposals.id"],
            name=op.f("fk_drills_precedent_id_precedent_proposals"),
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"], ["users.id"], name=op.f("fk_drills_published_by_id_users")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_drills_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drills")),
    )
    with op.batch_alter_table("drills", schema=None) as batch_op:
        batch_op.create_index("ix_drills_status_unit", ["status", "unit_id"], unique=False)

    op.create_table(
        "precedent_reuses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["precedent_proposals.id"],
            name=op.f("fk_precedent_reuses_proposal_id_precedent_proposals"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_precedent_reuses_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_precedent_reuses_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_precedent_reuses")),
        sa.UniqueConstraint("proposal_id", "user_id", name=op.f("uq_precedent_reuses_proposal_id")),
    )
    with op.batch_alter_table("precedent_reuses", schema=None) as batch_op:
        batch_op.create_index("ix_precedent_reuses_proposal_id", ["proposal_id"], unique=False)

    op.create_table(
        "drill_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("drill_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.String(length=200), nullable=False),
        sa.Column("scheduled_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("choice", sa.Integer(), nullable=True),
        sa.Column("free_text", sa.Text(), nullable=True),
        sa.Column("correct", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["drill_id"],
            ["drills.id"],
            name=op.f("fk_drill_deliveries_drill_id_drills"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_drill_deliveries_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_drill_deliveries_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drill_deliveries")),
        sa.UniqueConstraint("drill_id", "user_id", name=op.f("uq_drill_deliveries_drill_id")),
    )
    with op.batch_alter_table("drill_deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_drill_deliveries_user_id", ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("drill_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_drill_deliveries_user_id")

    op.drop_table("drill_deliveries")
    with op.batch_alter_table("precedent_reuses", schema=None) as batch_op:
        batch_op.drop_index("ix_precedent_reuses_proposal_id")

    op.drop_table("precedent_reuses")
    with op.batch_alter_table("drills", schema=None) as batch_op:
        batch_op.drop_index("ix_drills_status_unit")

    op.drop_table("drills")
    op.drop_table("drill_schedules")
