"""subcommittees and projects

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('subcommittees',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('name_key', sa.String(length=40), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('lead_ambassador_id', sa.Integer(), nullable=True),
    sa.Column('discord_channel_id', sa.BigInteger(), nullable=True),
    sa.Column('discord_role_id', sa.BigInteger(), nullable=True),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('digest_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_subcommittees_community_id_communities')),
    sa.ForeignKeyConstraint(['lead_ambassador_id'], ['ambassadors.id'], name=op.f('fk_subcommittees_lead_ambassador_id_ambassadors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subcommittees')),
    sa.UniqueConstraint('community_id', 'name_key', name=op.f('uq_subcommittees_community_id_name_key'))
    )
    with op.batch_alter_table('subcommittees', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subcommittees_community_id'), ['community_id'], unique=False)

    op.create_table('projects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('needs', sa.Text(), nullable=False),
    sa.Column('skills', sa.JSON(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=True),
    sa.Column('online', sa.Boolean(), nullable=False),
    sa.Column('deadline', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('subcommittee_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('discord_thread_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_projects_community_id_communities')),
    sa.ForeignKeyConstraint(['subcommittee_id'], ['subcommittees.id'], name=op.f('fk_projects_subcommittee_id_subcommittees')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_projects'))
    )
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.create_index('ix_projects_open', ['community_id', 'status', 'deadline'], unique=False)

    op.create_table('subcommittee_members',
    sa.Column('subcommittee_id', sa.Integer(), nullable=False),
    sa.Column('ambassador_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ambassador_id'], ['ambassadors.id'], name=op.f('fk_subcommittee_members_ambassador_id_ambassadors')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_subcommittee_members_community_id_communities')),
    sa.ForeignKeyConstraint(['subcommittee_id'], ['subcommittees.id'], name=op.f('fk_subcommittee_members_subcommittee_id_subcommittees')),
    sa.PrimaryKeyConstraint('subcommittee_id', 'ambassador_id', name=op.f('pk_subcommittee_members'))
    )
    with op.batch_alter_table('subcommittee_members', schema=None) as batch_op:
        batch_op.create_index('ix_subcommittee_members_member', ['community_id', 'ambassador_id'], unique=False)

    op.create_table('project_applications',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('ambassador_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=80), nullable=True),
    sa.ForeignKeyConstraint(['ambassador_id'], ['ambassadors.id'], name=op.f('fk_project_applications_ambassador_id_ambassadors')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_project_applications_community_id_communities')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_applications_project_id_projects')),
    sa.PrimaryKeyConstraint('project_id', 'ambassador_id', name=op.f('pk_project_applications'))
    )
    with op.batch_alter_table('project_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_applications_community_id'), ['community_id'], unique=False)

    with op.batch_alter_table('ambassadors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('project_news', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subcommittee_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_events_subcommittee_id_subcommittees'), 'subcommittees', ['subcommittee_id'], ['id'])

    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subcommittee_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_votes_subcommittee_id_subcommittees'), 'subcommittees', ['subcommittee_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_votes_subcommittee_id_subcommittees'), type_='foreignkey')
        batch_op.drop_column('subcommittee_id')

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_events_subcommittee_id_subcommittees'), type_='foreignkey')
        batch_op.drop_column('subcommittee_id')

    with op.batch_alter_table('ambassadors', schema=None) as batch_op:
        batch_op.drop_column('project_news')

    with op.batch_alter_table('project_applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_applications_community_id'))

    op.drop_table('project_applications')
    with op.batch_alter_table('subcommittee_members', schema=None) as batch_op:
        batch_op.drop_index('ix_subcommittee_members_member')

    op.drop_table('subcommittee_members')
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_index('ix_projects_open')

    op.drop_table('projects')
    with op.batch_alter_table('subcommittees', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subcommittees_community_id'))

    op.drop_table('subcommittees')
