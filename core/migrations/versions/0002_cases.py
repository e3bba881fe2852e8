"""cases: fast-approval queue, precedents

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=30), nullable=False),
    sa.Column('asker_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.String(length=200), nullable=True),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('passages', sa.JSON(), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=True),
    sa.Column('urgency', sa.String(length=10), nullable=False),
    sa.Column('topic', sa.String(length=100), nullable=True),
    sa.Column('attachments', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('level_unit_id', sa.Integer(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('forwarded_to_id', sa.Integer(), nullable=True),
    sa.Column('window_started_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('remind_50_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('remind_80_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reminded_50_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reminded_80_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('overdue_notified_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('escalations', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('legal_basis', sa.Text(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('feedback', sa.String(length=20), nullable=True),
    sa.Column('feedback_note', sa.Text(), nullable=True),
    sa.Column('duplicate_group_id', sa.Integer(), nullable=True),
    sa.Column('embedding', sa.JSON(), nullable=True),
    sa.Column('updated_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_cases_answered_by_id_users')),
    sa.ForeignKeyConstraint(['asker_id'], ['users.id'], name=op.f('fk_cases_asker_id_users')),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_cases_assignee_id_users')),
    sa.ForeignKeyConstraint(['duplicate_group_id'], ['cases.id'], name=op.f('fk_cases_duplicate_group_id_cases')),
    sa.ForeignKeyConstraint(['forwarded_to_id'], ['users.id'], name=op.f('fk_cases_forwarded_to_id_users')),
    sa.ForeignKeyConstraint(['level_unit_id'], ['units.id'], name=op.f('fk_cases_level_unit_id_units')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_cases_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('number', name=op.f('uq_cases_number'))
    )
    op.create_index('ix_cases_asker_id', 'cases', ['asker_id'], unique=False)
    op.create_index('ix_cases_due_at', 'cases', ['due_at'], unique=False)
    op.create_index('ix_cases_duplicate_group_id', 'cases', ['duplicate_group_id'], unique=False)
    op.create_index('ix_cases_status_level', 'cases', ['status', 'level_unit_id'], unique=False)
    op.create_table('precedent_proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('legal_basis', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('proposed_by_id', sa.Integer(), nullable=False),
    sa.Column('proposed_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.Column('scope', sa.String(length=20), nullable=True),
    sa.Column('scope_unit_id', sa.Integer(), nullable=True),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_precedent_proposals_case_id_cases')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_precedent_proposals_decided_by_id_users')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_precedent_proposals_document_id_documents')),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['users.id'], name=op.f('fk_precedent_proposals_proposed_by_id_users')),
    sa.ForeignKeyConstraint(['scope_unit_id'], ['units.id'], name=op.f('fk_precedent_proposals_scope_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_precedent_proposals'))
    )
    op.create_index('ix_precedent_proposals_status', 'precedent_proposals', ['status'], unique=False)
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_at', core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_outbox_pending', ['sent_at', 'next_attempt_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_pending')
        batch_op.drop_column('failed_at')

    op.drop_index('ix_precedent_proposals_status', table_name='precedent_proposals')
    op.drop_table('precedent_proposals')
    op.drop_index('ix_cases_status_level', table_name='cases')
    op.drop_index('ix_cases_duplicate_group_id', table_name='cases')
    op.drop_index('ix_cases_due_at', table_name='cases')
    op.drop_index('ix_cases_asker_id', table_name='cases')
    op.drop_table('cases')
