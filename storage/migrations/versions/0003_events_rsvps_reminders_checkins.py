"""events rsvps reminders checkins

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=True),
    sa.Column('online_url', sa.String(length=300), nullable=True),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('checkin_code', sa.String(length=8), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cancel_reason', sa.String(length=300), nullable=True),
    sa.Column('discord_channel_id', sa.BigInteger(), nullable=True),
    sa.Column('discord_message_id', sa.BigInteger(), nullable=True),
    sa.Column('discord_scheduled_event_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_events_community_id_communities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events')),
    sa.UniqueConstraint('community_id', 'checkin_code', name=op.f('uq_events_community_id_checkin_code'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_upcoming', ['community_id', 'status', 'starts_at'], unique=False)

    op.create_table('event_checkins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('ambassador_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('ledger_seq', sa.Integer(), nullable=True),
    sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ambassador_id'], ['ambassadors.id'], name=op.f('fk_event_checkins_ambassador_id_ambassadors')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_event_checkins_community_id_communities')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_checkins_event_id_events')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_checkins')),
    sa.UniqueConstraint('event_id', 'ambassador_id', name=op.f('uq_event_checkins_event_id_ambassador_id'))
    )
    with op.batch_alter_table('event_checkins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_checkins_community_id'), ['community_id'], unique=False)

    op.create_table('deliveries',
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('ambassador_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ambassador_id'], ['ambassadors.id'], name=op.f('fk_deliveries_ambassador_id_ambassadors')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_deliveries_community_id_communities')),
    sa.PrimaryKeyConstraint('kind', 'item_id', 'ambassador_id', name=op.f('pk_deliveries'))
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deliveries_community_id'), ['community_id'], unique=False)

    op.create_table('event_rsvps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('ambassador_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('waitlisted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['ambassador_id'], ['ambassadors.id'], name=op.f('fk_event_rsvps_ambassador_id_ambassadors')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_event_rsvps_community_id_communities')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_rsvps_event_id_events')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_rsvps')),
    sa.UniqueConstraint('event_id', 'ambassador_id', name=op.f('uq_event_rsvps_event_id_ambassador_id'))
    )
    with op.batch_alter_table('event_rsvps', schema=None) as batch_op:
        batch_op.create_index('ix_event_rsvps_member', ['community_id', 'ambassador_id'], unique=False)
        batch_op.create_index('ix_event_rsvps_waitlist', ['event_id', 'status', 'waitlisted_at'], unique=False)

    op.create_table('reminders',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('ambassador_id', sa.Integer(), nullable=False),
    sa.Column('offset_minutes', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('settled_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['ambassador_id'], ['ambassadors.id'], name=op.f('fk_reminders_ambassador_id_ambassadors')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_reminders_community_id_communities')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_reminders_event_id_events')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminders')),
    sa.UniqueConstraint('event_id', 'ambassador_id', 'offset_minutes', name=op.f('uq_reminders_event_id_ambassador_id_offset_minutes'))
    )
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.create_index('ix_reminders_due', ['status', 'due_at'], unique=False)

    with op.batch_alter_table('ambassadors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event_news', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('ambassadors', schema=None) as batch_op:
        batch_op.drop_column('event_news')

    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.drop_index('ix_reminders_due')

    op.drop_table('reminders')
    with op.batch_alter_table('event_rsvps', schema=None) as batch_op:
        batch_op.drop_index('ix_event_rsvps_waitlist')
        batch_op.drop_index('ix_event_rsvps_member')

    op.drop_table('event_rsvps')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deliveries_community_id'))

    op.drop_table('deliveries')
    with op.batch_alter_table('event_checkins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_checkins_community_id'))

    op.drop_table('event_checkins')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_upcoming')

    op.drop_table('events')
