"""staged passages: a large document's passages stored in committed steps before its import

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staged_passages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch", sa.String(length=120), nullable=False),
        sa.Column("external_id", sa.String(length=300), nullable=True),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("citation", sa.String(length=500), nullable=False),
        sa.Column("article", sa.String(length=20), nullable=True),
        sa.Column("clause", sa.String(length=20), nullable=True),
        sa.Column("point", sa.String(length=20), nullable=True),
        sa.Column("heading", sa.String(length=500), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staged_passages")),
        sa.UniqueConstraint("batch", "ordinal", name=op.f("uq_staged_passages_batch")),
    )


def downgrade() -> None:
    op.drop_table("staged_passages")
