"""staff console

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('broadcasts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('segment', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('discord_recipients', sa.Integer(), nullable=False),
    sa.Column('line_recipients', sa.Integer(), nullable=False),
    sa.Column('line_sent', sa.Integer(), nullable=False),
    sa.Column('discord_message_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_broadcasts_community_id_communities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_broadcasts'))
    )
    with op.batch_alter_table('broadcasts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_broadcasts_community_id'), ['community_id'], unique=False)

    op.create_table('held_messages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('ambassador_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['ambassador_id'], ['ambassadors.id'], name=op.f('fk_held_messages_ambassador_id_ambassadors')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_held_messages_community_id_communities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_held_messages'))
    )
    with op.batch_alter_table('held_messages', schema=None) as batch_op:
        batch_op.create_index('ix_held_messages_member', ['community_id', 'ambassador_id', 'released_at'], unique=False)

    with op.batch_alter_table('ambassadors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('digest_opt_out', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('private_fields', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('suspended_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('actor', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('reason', sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f('ix_audit_entries_created_at'), ['created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entries_created_at'))
        batch_op.drop_column('reason')
        batch_op.drop_column('actor')

    with op.batch_alter_table('ambassadors', schema=None) as batch_op:
        batch_op.drop_column('suspended_at')
        batch_op.drop_column('private_fields')
        batch_op.drop_column('digest_opt_out')

    with op.batch_alter_table('held_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_held_messages_member')

    op.drop_table('held_messages')
    with op.batch_alter_table('broadcasts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_broadcasts_community_id'))

    op.drop_table('broadcasts')
