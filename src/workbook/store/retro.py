"""Retro cards, groups, votes and action items."""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import sqlalchemy as sa

from ..errors import FieldProblem, NotFoundError, ValidationError
from ..text import bad_character
from .core import StoreBase, insert_id, record, utcnow
from .models import ActionItem, Membership, RetroCard, RetroGroup
from .schema import action_items, entries, retro_cards, retro_groups, retro_votes

ACTION_STATUSES = ("open", "done", "dropped")


def _votes_used(conn: sa.Connection, session_id: int | None, voter_id: str) -> int:
    """How many votes ``voter_id`` has cast on the cards of a retro session."""
    return int(conn.execute(sa.select(sa.func.count()).select_from(retro_votes)
                            .join(retro_cards, retro_cards.c.id == retro_votes.c.card_id)
                            .where((retro_votes.c.voter_id == voter_id)
                                   & (retro_cards.c.session_id == session_id))).scalar_one())


def _cards_query() -> sa.Select[tuple[object, ...]]:
    """Cards with their entry's author, visibility and cohort, and their number of votes."""
    votes = (sa.select(sa.func.count()).select_from(retro_votes)
             .where(retro_votes.c.card_id == retro_cards.c.id).scalar_subquery())
    return (sa.select(retro_cards, entries.c.author_id, entries.c.visibility, entries.c.cohort_id,
                      votes.label("votes"))
            .join(entries, entries.c.id == retro_cards.c.entry_id))


class RetroMixin(StoreBase):
    """Verbs for running retros."""

    if TYPE_CHECKING:  # from PeopleMixin (see StoreBase)
        def get_membership(self, cohort_id: str, person_id: str) -> Membership: ...

    def find_cards(self, session_id: int) -> list[RetroCard]:
        """Cards of a retro session with author, group and vote count, most voted first."""
        q = _cards_query().where(retro_cards.c.session_id == session_id).order_by(sa.desc("votes"), retro_cards.c.id)
        with self._read() as conn:
            return [record(RetroCard, r) for r in conn.execute(q)]

    def get_card(self, card_id: int) -> RetroCard:
        """One card with its entry's author, visibility, cohort and vote count."""
        with self._read() as conn:
            row = conn.execute(_cards_query().where(retro_cards.c.id == card_id)).first()
        if row is None:
            raise NotFoundError("card", card_id)
        return record(RetroCard, row)

    def count_votes(self, session_id: int, voter_id: str) -> int:
        """How many votes a person has cast in a retro session."""
        with self._read() as conn:
            return _votes_used(conn, session_id, voter_id)

    def add_vote(self, card_id: int, voter_id: str, limit: int) -> int:
        """One vote on a card; at most one per card per person and ``limit`` per session. Returns votes left."""
        with self._write() as conn:
            card = conn.execute(sa.select(retro_cards).where(retro_cards.c.id == card_id)).first()
            if card is None:
                raise NotFoundError("card", card_id)
            used = _votes_used(conn, card.session_id, voter_id)
            dup = conn.execute(sa.select(retro_votes.c.id).where(
                (retro_votes.c.card_id == card_id) & (retro_votes.c.voter_id == voter_id))).first()
            if dup is not None:
                raise ValidationError("already voted", [FieldProblem("vote", "you already voted for this card")])
            if used >= limit:
                raise ValidationError("no votes left", [FieldProblem(
                    "vote", f"you have used all {limit} votes; remove one to vote again")])
            conn.execute(retro_votes.insert().values(card_id=card_id, voter_id=voter_id, created_at=utcnow()))
            return limit - used - 1

    def remove_vote(self, card_id: int, voter_id: str) -> None:
        """Take back one's vote on a card."""
        with self._write() as conn:
            conn.execute(retro_votes.delete().where((retro_votes.c.card_id == card_id)
                                                    & (retro_votes.c.voter_id == voter_id)))

    def add_group(self, session_id: int, title: str, card_ids: list[int]) -> int:
        """Group cards under a theme."""
        if bad_character(title):
            raise ValidationError("theme not saved", [FieldProblem("title", str(bad_character(title)))])
        with self._write() as conn:
            gid = int(insert_id(conn, retro_groups.insert().values(session_id=session_id, title=title,
                                                                created_at=utcnow())))
            conn.execute(retro_cards.update().where(retro_cards.c.id.in_(card_ids)
                                                    & (retro_cards.c.session_id == session_id)).values(group_id=gid))
        return gid

    def find_groups(self, session_id: int) -> list[RetroGroup]:
        """Themes of a retro session."""
        with self._read() as conn:
            return [record(RetroGroup, r) for r in conn.execute(
                sa.select(retro_groups).where(retro_groups.c.session_id == session_id).order_by(retro_groups.c.id))]

    def add_action_item(self, cohort_id: str, text: str, *, session_id: int | None = None,
                        owner_id: str | None = None, due: dt.date | None = None,
                        carried_from: int | None = None) -> int:
        """An action item out of a retro (owner and due date optional)."""
        if not text.strip():
            raise ValidationError("empty action item", [FieldProblem("text", "say what will be done")])
        if bad_character(text):
            raise ValidationError("action item not saved", [FieldProblem("text", str(bad_character(text)))])
        if owner_id:
            self.get_membership(cohort_id, owner_id)
        now = utcnow()
        with self._write() as conn:
            return int(insert_id(conn, action_items.insert().values(
                cohort_id=cohort_id, session_id=session_id, text=text, owner_id=owner_id, due=due, status="open",
                carried_from=carried_from, created_at=now, updated_at=now)))

    def set_action_status(self, item_id: int, status: str) -> None:
        """Mark an action item done, dropped or open again."""
        if status not in ACTION_STATUSES:
            raise ValidationError("unknown status", [FieldProblem("status", f"use one of {', '.join(ACTION_STATUSES)}")])
        with self._write() as conn:
            if conn.execute(action_items.update().where(action_items.c.id == item_id)
                            .values(status=status, updated_at=utcnow())).rowcount == 0:
                raise NotFoundError("action item", item_id)

    def get_action_item(self, item_id: int) -> ActionItem:
        """One action item by id."""
        with self._read() as conn:
            row = conn.execute(sa.select(action_items).where(action_items.c.id == item_id)).first()
        if row is None:
            raise NotFoundError("action item", item_id)
        return record(ActionItem, row)

    def find_action_items(self, cohort_id: str, *, status: str | None = None,
                          session_id: int | None = None) -> list[ActionItem]:
        """Action items of a cohort, oldest first."""
        q = sa.select(action_items).where(action_items.c.cohort_id == cohort_id).order_by(action_items.c.id)
        if status:
            q = q.where(action_items.c.status == status)
        if session_id is not None:
            q = q.where(action_items.c.session_id == session_id)
        with self._read() as conn:
            return [record(ActionItem, r) for r in conn.execute(q)]
