"""Messages that reach people: the log of what was sent to whom (never the key).

Revision ID: 0006_mail
Revises: 0005_mentoring
Never edit once released; add a new revision instead.
"""
from alembic import op
import sqlalchemy as sa

revision = '0006_mail'
down_revision = '0005_mentoring'
branch_labels = None
depends_on = None

# Types frozen here on purpose: later changes to the live schema module must not change this revision.


def upgrade() -> None:
    op.create_table('sent_messages',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('cohort_id', sa.String(length=64), nullable=False),
    sa.Column('person_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('about', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=320), nullable=False),
    sa.Column('message_id', sa.String(length=255), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_sent_messages_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_sent_messages_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sent_messages')),
    sa.UniqueConstraint('cohort_id', 'kind', 'person_id', 'about', name='uq_sent_messages_cohort_id_kind_person_about')
    )


def downgrade() -> None:
    op.drop_table('sent_messages')
