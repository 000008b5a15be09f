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
    pass


def downgrade() -> None:
    pass
