"""initiatives and rubric evaluation

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('rubric_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('criteria', sa.JSON(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_rubric_versions_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rubric_versions')),
    sa.UniqueConstraint('version', name=op.f('uq_rubric_versions_version'))
    )
    op.create_table('initiatives',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('problem', sa.Text(), nullable=False),
    sa.Column('actions', sa.Text(), nullable=False),
    sa.Column('results', sa.Text(), nullable=False),
    sa.Column('evidence_text', sa.Text(), nullable=False),
    sa.Column('attachments', sa.JSON(), nullable=False),
    sa.Column('period', sa.String(length=50), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('status_seq', sa.Integer(), nullable=False),
    sa.Column('rubric_version_id', sa.Integer(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('council_decision', sa.Boolean(), nullable=False),
    sa.Column('published_document_id', sa.Integer(), nullable=True),
    sa.Column('embedding', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_initiatives_author_id_users')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_initiatives_decided_by_id_users')),
    sa.ForeignKeyConstraint(['published_document_id'], ['documents.id'], name=op.f('fk_initiatives_published_document_id_documents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['rubric_version_id'], ['rubric_versions.id'], name=op.f('fk_initiatives_rubric_version_id_rubric_versions')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_initiatives_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_initiatives')),
    sa.UniqueConstraint('number', name=op.f('uq_initiatives_number'))
    )
    with op.batch_alter_table('initiatives', schema=None) as batch_op:
        batch_op.create_index('ix_initiatives_status', ['status'], unique=False)

    op.create_table('initiative_authors',
    sa.Column('initiative_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['initiative_id'], ['initiatives.id'], name=op.f('fk_initiative_authors_initiative_id_initiatives'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_initiative_authors_user_id_users')),
    sa.PrimaryKeyConstraint('initiative_id', 'user_id', name=op.f('pk_initiative_authors'))
    )
    op.create_table('initiative_evaluations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('initiative_id', sa.Integer(), nullable=False),
    sa.Column('evaluator_id', sa.Integer(), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    sa.Column('rubric_version_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('total', sa.Float(), nullable=True),
    sa.Column('gate_failed', sa.Boolean(), nullable=True),
    sa.Column('assigned_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reminders_sent', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['users.id'], name=op.f('fk_initiative_evaluations_assigned_by_id_users')),
    sa.ForeignKeyConstraint(['evaluator_id'], ['users.id'], name=op.f('fk_initiative_evaluations_evaluator_id_users')),
    sa.ForeignKeyConstraint(['initiative_id'], ['initiatives.id'], name=op.f('fk_initiative_evaluations_initiative_id_initiatives'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rubric_version_id'], ['rubric_versions.id'], name=op.f('fk_initiative_evaluations_rubric_version_id_rubric_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_initiative_evaluations')),
    sa.UniqueConstraint('initiative_id', 'evaluator_id', name=op.f('uq_initiative_evaluations_initiative_id'))
    )
    with op.batch_alter_table('initiative_evaluations', schema=None) as batch_op:
        batch_op.create_index('ix_initiative_evaluations_evaluator_id', ['evaluator_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('initiative_evaluations', schema=None) as batch_op:
        batch_op.drop_index('ix_initiative_evaluations_evaluator_id')

    op.drop_table('initiative_evaluations')
    op.drop_table('initiative_authors')
    with op.batch_alter_table('initiatives', schema=None) as batch_op:
        batch_op.drop_index('ix_initiatives_status')

    op.drop_table('initiatives')
    op.drop_table('rubric_versions')
