"""Mentoring and recognition: SMART goals, comment drafts, check-in schedule, pulse, kudos audience, milestones by rule, notices, last visits.

Revision ID: 0005_mentoring
Revises: 0004_retro_live
Never edit once released; add a new revision instead.
"""
from alembic import op
import sqlalchemy as sa

revision = '0005_mentoring'
down_revision = '0004_retro_live'
branch_labels = None
depends_on = None

# Types frozen here on purpose: later changes to the live schema module must not change this revision.


def upgrade() -> None:
    op.add_column('memberships', sa.Column('coach_since', sa.DateTime(), nullable=True))
    op.add_column('goals', sa.Column('measure', sa.Text(), nullable=False, server_default=''))
    op.add_column('goals', sa.Column('proposed_by', sa.String(length=64), nullable=True))
    op.add_column('goals', sa.Column('agreed_at', sa.DateTime(), nullable=True))
    op.add_column('kudos', sa.Column('visibility', sa.String(length=16), nullable=False, server_default='receiver'))
    op.add_column('milestones', sa.Column('rule', sa.String(length=64), nullable=True))
    op.add_column('milestones', sa.Column('recorded_by', sa.String(length=64), nullable=True))
    op.add_column('milestones', sa.Column('due', sa.Date(), nullable=True))
    op.create_index('ix_milestones_rule', 'milestones', ['cohort_id', 'person_id', 'rule'], unique=True)
    # Goals before 0005 were "open" or "done": they read as agreed and reached.
    op.execute("UPDATE goals SET status = 'agreed', agreed_at = created_at, proposed_by = person_id "
               "WHERE status = 'open'")
    op.execute("UPDATE goals SET status = 'reached', agreed_at = created_at, proposed_by = person_id "
               "WHERE status = 'done'")
    # The roster's coach column counted from when the membership was made.
    op.execute("UPDATE memberships SET coach_since = created_at WHERE coach_id IS NOT NULL")
    op.create_table('checkin_plans',
    sa.Column('cohort_id', sa.String(length=64), nullable=False),
    sa.Column('coach_id', sa.String(length=64), nullable=False),
    sa.Column('mentee_id', sa.String(length=64), nullable=False),
    sa.Column('next_date', sa.Date(), nullable=False),
    sa.Column('set_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['coach_id'], ['people.id'], name=op.f('fk_checkin_plans_coach_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_checkin_plans_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['mentee_id'], ['people.id'], name=op.f('fk_checkin_plans_mentee_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('cohort_id', 'coach_id', 'mentee_id', name=op.f('pk_checkin_plans'))
    )
    op.create_table('pulses',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('cohort_id', sa.String(length=64), nullable=False),
    sa.Column('coach_id', sa.String(length=64), nullable=False),
    sa.Column('mentee_id', sa.String(length=64), nullable=False),
    sa.Column('answer', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['coach_id'], ['people.id'], name=op.f('fk_pulses_coach_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_pulses_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['mentee_id'], ['people.id'], name=op.f('fk_pulses_mentee_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pulses'))
    )
    op.create_index('ix_pulses_pair', 'pulses', ['cohort_id', 'mentee_id', 'coach_id'], unique=True)
    op.create_table('notices',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('cohort_id', sa.String(length=64), nullable=False),
    sa.Column('person_id', sa.String(length=64), nullable=False),
    sa.Column('actor_id', sa.String(length=64), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('text', sa.String(length=300), nullable=False),
    sa.Column('link_page', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('seen_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_notices_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_notices_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices'))
    )
    op.create_index('ix_notices_person', 'notices', ['cohort_id', 'person_id'], unique=False)
    op.create_table('visits',
    sa.Column('cohort_id', sa.String(length=64), nullable=False),
    sa.Column('person_id', sa.String(length=64), nullable=False),
    sa.Column('page', sa.String(length=64), nullable=False),
    sa.Column('last_at', sa.DateTime(), nullable=False),
    sa.Column('previous_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_visits_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_visits_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('cohort_id', 'person_id', 'page', name=op.f('pk_visits'))
    )


def downgrade() -> None:
    op.drop_table('visits')
    op.drop_index('ix_notices_person', table_name='notices')
    op.drop_table('notices')
    op.drop_index('ix_pulses_pair', table_name='pulses')
    op.drop_table('pulses')
    op.drop_table('checkin_plans')
    op.execute("UPDATE goals SET status = 'open' WHERE status IN ('proposed', 'agreed', 'dropped')")
    op.execute("UPDATE goals SET status = 'done' WHERE status = 'reached'")
    op.drop_index('ix_milestones_rule', table_name='milestones')
    with op.batch_alter_table('milestones') as batch:
        batch.drop_column('due')
        batch.drop_column('recorded_by')
        batch.drop_column('rule')
    with op.batch_alter_table('kudos') as batch:
        batch.drop_column('visibility')
    with op.batch_alter_table('goals') as batch:
        batch.drop_column('agreed_at')
        batch.drop_column('proposed_by')
        batch.drop_column('measure')
    with op.batch_alter_table('memberships') as batch:
        batch.drop_column('coach_since')
