"""folded search columns: cases.question_folded and users.name_folded (accent-insensitive search)

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.text import fold

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, source column, folded twin, twin type)
TWINS = (
    ("cases", "question", "question_folded", sa.Text()),
    ("users", "full_name", "name_folded", sa.String(length=200)),
)


def upgrade() -> None:
    bind = op.get_bind()
    for table, source, twin, kind in TWINS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(twin, kind, server_default="", nullable=False))
        # Fill existing rows once; the ORM keeps the twin current from now on (core.db).
        rows = bind.execute(sa.text(f"SELECT id, {source} FROM {table}")).all()
        for row_id, value in rows:
            bind.execute(
                sa.text(f"UPDATE {table} SET {twin} = :v WHERE id = :id"),
                {"v": fold(value or ""), "id": row_id},
            )


def downgrade() -> None:
    for table, _source, twin, _kind in TWINS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(twin)
