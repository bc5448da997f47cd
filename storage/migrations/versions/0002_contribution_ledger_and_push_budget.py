"""contribution ledger and push budget

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    
    op.create_table('push_usage',
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('used', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_push_usage_community_id_communities')),
    sa.PrimaryKeyConstraint('community_id', 'month', name=op.f('pk_push_usage'))
    )
    op.create_table('ledger_entries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('ambassador_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('claimed_points', sa.Integer(), nullable=False),
    sa.Column('refers_to', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('giver_ambassador_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=300), nullable=True),
    sa.Column('occurred_on', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['ambassador_id'], ['ambassadors.id'], name=op.f('fk_ledger_entries_ambassador_id_ambassadors')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_ledger_entries_community_id_communities')),
    sa.ForeignKeyConstraint(['giver_ambassador_id'], ['ambassadors.id'], name=op.f('fk_ledger_entries_giver_ambassador_id_ambassadors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entries')),
    sa.UniqueConstraint('community_id', 'seq', name=op.f('uq_ledger_entries_community_id_seq'))
    )
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_entries_giver', ['community_id', 'giver_ambassador_id', 'created_at'], unique=False)
        batch_op.create_index('ix_ledger_entries_member', ['community_id', 'ambassador_id', 'seq'], unique=False)

    op.create_table('pending_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('claim_seq', sa.Integer(), nullable=False),
    sa.Column('ambassador_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ambassador_id'], ['ambassadors.id'], name=op.f('fk_pending_reviews_ambassador_id_ambassadors')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_pending_reviews_community_id_communities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_reviews')),
    sa.UniqueConstraint('community_id', 'claim_seq', name=op.f('uq_pending_reviews_community_id_claim_seq'))
    )
    with op.batch_alter_table('pending_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_reviews_community_id'), ['community_id'], unique=False)

    op.create_table('point_totals',
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('ambassador_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['ambassador_id'], ['ambassadors.id'], name=op.f('fk_point_totals_ambassador_id_ambassadors')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_point_totals_community_id_communities')),
    sa.PrimaryKeyConstraint('community_id', 'ambassador_id', 'month', 'category', name=op.f('pk_point_totals'))
    )
    with op.batch_alter_table('point_totals', schema=None) as batch_op:
        batch_op.create_index('ix_point_totals_board', ['community_id', 'month', 'category', 'points'], unique=False)

    with op.batch_alter_table('ambassadors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stage_manual', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('communities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ledger_seq', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('ledger_head', sa.String(length=64), server_default='0000000000000000000000000000000000000000000000000000000000000000', nullable=False))

    


def downgrade() -> None:
    
    with op.batch_alter_table('communities', schema=None) as batch_op:
        batch_op.drop_column('ledger_head')
        batch_op.drop_column('ledger_seq')

    with op.batch_alter_table('ambassadors', schema=None) as batch_op:
        batch_op.drop_column('stage_manual')

    with op.batch_alter_table('point_totals', schema=None) as batch_op:
        batch_op.drop_index('ix_point_totals_board')

    op.drop_table('point_totals')
    with op.batch_alter_table('pending_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_reviews_community_id'))

    op.drop_table('pending_reviews')
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_entries_member')
        batch_op.drop_index('ix_ledger_entries_giver')

    op.drop_table('ledger_entries')
    op.drop_table('push_usage')
    
