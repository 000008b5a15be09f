"""Privacy: the erasure record, the exports log and the per-cohort key of xAPI pseudonyms.

Revision ID: 0003_erasures
Revises: 0002_mentoring_retro
Never edit once released; add a new revision instead.
"""
from alembic import op
import sqlalchemy as sa

revision = '0003_erasures'
down_revision = '0002_mentoring_retro'
branch_labels = None
depends_on = None

# Types frozen here on purpose: later changes to the live schema module must not change this revision.


def upgrade() -> None:
    op.create_table('erasures',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('cohort_id', sa.String(length=64), nullable=False),
    sa.Column('person_hash', sa.String(length=64), nullable=False),
    sa.Column('erased_by', sa.String(length=200), nullable=True),
    sa.Column('erased_at', sa.DateTime(), nullable=False),
    sa.Column('readmitted_by', sa.String(length=200), nullable=True),
    sa.Column('readmitted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_erasures_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erasures'))
    )
    op.create_index('ix_erasures_person', 'erasures', ['cohort_id', 'person_hash'], unique=False)
    op.create_table('exports',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('cohort_id', sa.String(length=64), nullable=False),
    sa.Column('format', sa.String(length=16), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.Column('person_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_exports_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exports'))
    )
    op.create_index('ix_exports_cohort', 'exports', ['cohort_id', 'created_at'], unique=False)
    op.create_table('pseudonym_keys',
    sa.Column('cohort_id', sa.String(length=64), nullable=False),
    sa.Column('secret', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_pseudonym_keys_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('cohort_id', name=op.f('pk_pseudonym_keys'))
    )


def downgrade() -> None:
    op.drop_table('pseudonym_keys')
    op.drop_index('ix_exports_cohort', table_name='exports')
    op.drop_table('exports')
    op.drop_index('ix_erasures_person', table_name='erasures')
    op.drop_table('erasures')
