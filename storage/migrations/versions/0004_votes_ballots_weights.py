"""votes ballots weights

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('question', sa.String(length=300), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('weighted', sa.Boolean(), nullable=False),
    sa.Column('approval', sa.Boolean(), nullable=False),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.Column('min_stage', sa.Integer(), nullable=False),
    sa.Column('quorum_count', sa.Integer(), nullable=True),
    sa.Column('quorum_percent', sa.Integer(), nullable=True),
    sa.Column('eligible', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('result_posted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('points_recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('discord_channel_id', sa.BigInteger(), nullable=True),
    sa.Column('discord_message_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_votes_community_id_communities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_votes'))
    )
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_votes_community_id'), ['community_id'], unique=False)
        batch_op.create_index('ix_votes_discord_message', ['community_id', 'discord_message_id'], unique=False)
        batch_op.create_index('ix_votes_due', ['status', 'closes_at'], unique=False)

    op.create_table('ballots',
    sa.Column('vote_id', sa.Integer(), nullable=False),
    sa.Column('ambassador_id', sa.Integer(), nullable=False),
    sa.Column('option', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('cast_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ambassador_id'], ['ambassadors.id'], name=op.f('fk_ballots_ambassador_id_ambassadors')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_ballots_community_id_communities')),
    sa.ForeignKeyConstraint(['vote_id'], ['votes.id'], name=op.f('fk_ballots_vote_id_votes')),
    sa.PrimaryKeyConstraint('vote_id', 'ambassador_id', 'option', name=op.f('pk_ballots'))
    )
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.create_index('ix_ballots_member', ['community_id', 'ambassador_id'], unique=False)

    op.create_table('vote_notices',
    sa.Column('vote_id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('told_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_vote_notices_community_id_communities')),
    sa.ForeignKeyConstraint(['vote_id'], ['votes.id'], name=op.f('fk_vote_notices_vote_id_votes')),
    sa.PrimaryKeyConstraint('vote_id', 'platform', 'external_id', name=op.f('pk_vote_notices'))
    )
    op.create_table('vote_weights',
    sa.Column('vote_id', sa.Integer(), nullable=False),
    sa.Column('ambassador_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('weight_milli', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['ambassador_id'], ['ambassadors.id'], name=op.f('fk_vote_weights_ambassador_id_ambassadors')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_vote_weights_community_id_communities')),
    sa.ForeignKeyConstraint(['vote_id'], ['votes.id'], name=op.f('fk_vote_weights_vote_id_votes')),
    sa.PrimaryKeyConstraint('vote_id', 'ambassador_id', name=op.f('pk_vote_weights'))
    )
    with op.batch_alter_table('ambassadors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('vote_news', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('ambassadors', schema=None) as batch_op:
        batch_op.drop_column('vote_news')

    op.drop_table('vote_weights')
    op.drop_table('vote_notices')
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.drop_index('ix_ballots_member')

    op.drop_table('ballots')
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.drop_index('ix_votes_due')
        batch_op.drop_index('ix_votes_discord_message')
        batch_op.drop_index(batch_op.f('ix_votes_community_id'))

    op.drop_table('votes')
