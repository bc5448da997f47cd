"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    
    op.create_table('communities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('default_language', sa.String(length=8), nullable=False),
    sa.Column('last_member_number', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_communities')),
    sa.UniqueConstraint('key', name=op.f('uq_communities_key'))
    )
    op.create_table('ambassadors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('member_number', sa.Integer(), nullable=False),
    sa.Column('display_name', sa.String(length=64), nullable=True),
    sa.Column('residence_kind', sa.String(length=16), nullable=True),
    sa.Column('residence_code', sa.String(length=8), nullable=True),
    sa.Column('connection', sa.String(length=32), nullable=True),
    sa.Column('interests', sa.JSON(), nullable=False),
    sa.Column('skills', sa.JSON(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('stage', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('left_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_ambassadors_community_id_communities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ambassadors')),
    sa.UniqueConstraint('community_id', 'member_number', name=op.f('uq_ambassadors_community_id_member_number'))
    )
    with op.batch_alter_table('ambassadors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ambassadors_community_id'), ['community_id'], unique=False)

    op.create_table('conversations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('flow', sa.String(length=32), nullable=False),
    sa.Column('step', sa.String(length=32), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_conversations_community_id_communities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversations')),
    sa.UniqueConstraint('community_id', 'platform', 'external_id', name=op.f('uq_conversations_community_id_platform_external_id'))
    )
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversations_community_id'), ['community_id'], unique=False)

    op.create_table('link_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_link_codes_community_id_communities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_link_codes')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_link_codes_code_hash'))
    )
    with op.batch_alter_table('link_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_link_codes_community_id'), ['community_id'], unique=False)

    op.create_table('processed_webhook_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_processed_webhook_events_community_id_communities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_processed_webhook_events')),
    sa.UniqueConstraint('community_id', 'event_id', name=op.f('uq_processed_webhook_events_community_id_event_id'))
    )
    with op.batch_alter_table('processed_webhook_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_processed_webhook_events_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_processed_webhook_events_received_at'), ['received_at'], unique=False)

    op.create_table('audit_entries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('ambassador_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ambassador_id'], ['ambassadors.id'], name=op.f('fk_audit_entries_ambassador_id_ambassadors')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_audit_entries_community_id_communities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entries'))
    )
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entries_ambassador_id'), ['ambassador_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entries_community_id'), ['community_id'], unique=False)

    op.create_table('consent_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('ambassador_id', sa.Integer(), nullable=False),
    sa.Column('notice_version', sa.String(length=40), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('consented_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ambassador_id'], ['ambassadors.id'], name=op.f('fk_consent_records_ambassador_id_ambassadors')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_consent_records_community_id_communities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_records'))
    )
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_records_ambassador_id'), ['ambassador_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consent_records_community_id'), ['community_id'], unique=False)

    op.create_table('platform_identities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('ambassador_id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ambassador_id'], ['ambassadors.id'], name=op.f('fk_platform_identities_ambassador_id_ambassadors')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_platform_identities_community_id_communities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_platform_identities')),
    sa.UniqueConstraint('community_id', 'platform', 'external_id', name=op.f('uq_platform_identities_community_id_platform_external_id'))
    )
    with op.batch_alter_table('platform_identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_platform_identities_ambassador_id'), ['ambassador_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_platform_identities_community_id'), ['community_id'], unique=False)

    


def downgrade() -> None:
    
    with op.batch_alter_table('platform_identities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_platform_identities_community_id'))
        batch_op.drop_index(batch_op.f('ix_platform_identities_ambassador_id'))

    op.drop_table('platform_identities')
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_records_community_id'))
        batch_op.drop_index(batch_op.f('ix_consent_records_ambassador_id'))

    op.drop_table('consent_records')
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entries_community_id'))
        batch_op.drop_index(batch_op.f('ix_audit_entries_ambassador_id'))

    op.drop_table('audit_entries')
    with op.batch_alter_table('processed_webhook_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_processed_webhook_events_received_at'))
        batch_op.drop_index(batch_op.f('ix_processed_webhook_events_community_id'))

    op.drop_table('processed_webhook_events')
    with op.batch_alter_table('link_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_link_codes_community_id'))

    op.drop_table('link_codes')
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversations_community_id'))

    op.drop_table('conversations')
    with op.batch_alter_table('ambassadors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ambassadors_community_id'))

    op.drop_table('ambassadors')
    op.drop_table('communities')
    
