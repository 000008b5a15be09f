"""Live retros: phases, timers, vote budgets and caps, card edits, action-item history.

Revision ID: 0004_retro_live
Revises: 0003_erasures
Never edit once released; add a new revision instead.

- ``retro_state``: a retro's phase, timer, settings and change marker (``revision``).
- ``retro_votes``: a vote may be on a group; each vote holds a numbered slot, unique per
  (session, voter) (the budget, held by the database); several votes of one person on one card
  are allowed (the cap is a retro setting), so (card, voter) is no longer unique.
- ``action_events``: the history of an action item across retros (a carried item moves).
- Items that an older workbook *copied* into the next retro (``carried_from``) while the
  original stayed open are marked ``carried``, so no item is listed twice.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0004_retro_live'
down_revision = '0003_erasures'
branch_labels = None
depends_on = None

# Types frozen here on purpose: later changes to the live schema module must not change this revision.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table('retro_state',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('phase', sa.String(length=16), nullable=False),
    sa.Column('phase_started_at', sa.DateTime(), nullable=False),
    sa.Column('phase_ends_at', sa.DateTime(), nullable=True),
    sa.Column('settings', JSON, nullable=False),
    sa.Column('rejected', JSON, nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_retro_state_session_id_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', name=op.f('pk_retro_state'))
    )
    op.create_table('action_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['action_items.id'], name=op.f('fk_action_events_item_id_action_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_action_events_session_id_sessions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_events'))
    )
    op.create_index('ix_action_events_item', 'action_events', ['item_id'], unique=False)

    with op.batch_alter_table('retro_votes') as batch:
        batch.drop_constraint('uq_retro_votes_card_id_voter', type_='unique')
        batch.add_column(sa.Column('session_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('group_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('slot', sa.Integer(), nullable=True))
    conn = op.get_bind()
    votes = sa.table('retro_votes', sa.column('id', sa.Integer()), sa.column('card_id', sa.Integer()),
                     sa.column('voter_id', sa.String()), sa.column('session_id', sa.Integer()),
                     sa.column('slot', sa.Integer()))
    cards = sa.table('retro_cards', sa.column('id', sa.Integer()), sa.column('session_id', sa.Integer()))
    rows = conn.execute(sa.select(votes.c.id, votes.c.voter_id, cards.c.session_id)
                        .select_from(votes.join(cards, cards.c.id == votes.c.card_id))
                        .order_by(votes.c.id)).all()
    slots: dict[tuple[int, str], int] = {}
    orphans = []
    for vid, voter, session_id in rows:
        if session_id is None:  # a vote on a card of no retro session: on no board, never countable
            orphans.append(vid)
            continue
        n = slots[(session_id, voter)] = slots.get((session_id, voter), 0) + 1
        conn.execute(votes.update().where(votes.c.id == vid).values(session_id=session_id, slot=n))
    if orphans:
        conn.execute(votes.delete().where(votes.c.id.in_(orphans)))
    with op.batch_alter_table('retro_votes') as batch:
        batch.alter_column('session_id', existing_type=sa.Integer(), nullable=False)
        batch.alter_column('slot', existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key(op.f('fk_retro_votes_session_id_sessions'), 'sessions', ['session_id'], ['id'],
                                 ondelete='CASCADE')
        batch.create_foreign_key(op.f('fk_retro_votes_group_id_retro_groups'), 'retro_groups', ['group_id'], ['id'],
                                 ondelete='CASCADE')
        batch.create_unique_constraint('uq_retro_votes_session_voter_slot', ['session_id', 'voter_id', 'slot'])
        batch.create_check_constraint(op.f('ck_retro_votes_slot_positive'), 'slot >= 1')
    op.create_index('ix_retro_votes_card', 'retro_votes', ['card_id'], unique=False)
    op.create_index('ix_retro_votes_group', 'retro_votes', ['group_id'], unique=False)

    items = sa.table('action_items', sa.column('id', sa.Integer()), sa.column('status', sa.String()),
                     sa.column('carried_from', sa.Integer()))
    copied = sa.select(items.c.carried_from).where(items.c.carried_from.is_not(None)).scalar_subquery()
    conn.execute(items.update().where(items.c.id.in_(copied) & (items.c.status == 'open')).values(status='carried'))


def downgrade() -> None:
    op.drop_index('ix_retro_votes_group', table_name='retro_votes')
    op.drop_index('ix_retro_votes_card', table_name='retro_votes')
    conn = op.get_bind()
    votes = sa.table('retro_votes', sa.column('id', sa.Integer()), sa.column('card_id', sa.Integer()),
                     sa.column('voter_id', sa.String()), sa.column('group_id', sa.Integer()))
    # The old schema knows one vote per card and person, and no group votes.
    conn.execute(votes.delete().where(votes.c.group_id.is_not(None)))
    keep = (sa.select(sa.func.min(votes.c.id)).group_by(votes.c.card_id, votes.c.voter_id)).scalar_subquery()
    conn.execute(votes.delete().where(votes.c.id.not_in(keep)))
    with op.batch_alter_table('retro_votes') as batch:
        batch.drop_constraint(op.f('ck_retro_votes_slot_positive'), type_='check')
        batch.drop_constraint('uq_retro_votes_session_voter_slot', type_='unique')
        batch.drop_constraint(op.f('fk_retro_votes_group_id_retro_groups'), type_='foreignkey')
        batch.drop_constraint(op.f('fk_retro_votes_session_id_sessions'), type_='foreignkey')
        batch.drop_column('slot')
        batch.drop_column('group_id')
        batch.drop_column('session_id')
        batch.create_unique_constraint('uq_retro_votes_card_id_voter', ['card_id', 'voter_id'])
    items = sa.table('action_items', sa.column('status', sa.String()))
    conn.execute(items.update().where(items.c.status == 'carried').values(status='open'))
    op.drop_index('ix_action_events_item', table_name='action_events')
    op.drop_table('action_events')
    op.drop_table('retro_state')
