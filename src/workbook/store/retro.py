"""Retro sessions, their state (phase, timer, settings, change marker), cards, groups, votes and
action items with their history.

Every change to a retro bumps ``retro_state.revision`` in the same transaction, and does so first:
on PostgreSQL the UPDATE locks the retro's state row until the commit, so the writers of one retro
queue up behind each other (a vote counts the votes committed before it); on SQLite the write
transaction (BEGIN IMMEDIATE) already holds the database's write lock. On top of that each vote
takes a numbered slot, unique per (session, voter) and never above the budget, so the database
itself refuses a vote that would overspend even if two writers ever raced.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ..errors import FieldProblem, NotFoundError, ValidationError
from ..text import bad_character
from .core import StoreBase, insert_id, record, utcnow
from .models import (ActionEvent, ActionItem, Membership, RetroCard, RetroGroup, RetroStateRow, RetroVote,
                     Session)
from .schema import (action_events, action_items, cohorts, entries, entry_revisions, exercise_snapshots,
                     retro_cards, retro_groups, retro_state, retro_votes, sessions)

if TYPE_CHECKING:
    from ..exercises import Exercise

#: Status of an action item. "carried" marks an item an older workbook copied into a later retro.
ACTION_STATUSES = ("open", "done", "dropped", "carried")
#: What may happen to an earlier retro's open item when it is reviewed.
REVIEW_OUTCOMES = ("done", "carried", "dropped")
#: The phase a retro with no stored state is in (one opened before live retros, or by add_session).
DEFAULT_PHASE = "write"
#: Passed for "leave as is" where None means "clear" (an action item's owner or due date).
UNSET: Any = object()


def _votes_used(conn: sa.Connection, session_id: int | None, voter_id: str) -> int:
    """How many votes ``voter_id`` has cast in a retro session (on cards and groups)."""
    return int(conn.execute(sa.select(sa.func.count()).select_from(retro_votes)
                            .where((retro_votes.c.voter_id == voter_id)
                                   & (retro_votes.c.session_id == session_id))).scalar_one())


def _cards_query() -> sa.Select[tuple[object, ...]]:
    """Cards with their entry's author, visibility and cohort, and their number of votes (on the card itself)."""
    votes = (sa.select(sa.func.count()).select_from(retro_votes)
             .where((retro_votes.c.card_id == retro_cards.c.id) & retro_votes.c.group_id.is_(None))
             .scalar_subquery())
    return (sa.select(retro_cards, entries.c.author_id, entries.c.visibility, entries.c.cohort_id,
                      votes.label("votes"))
            .join(entries, entries.c.id == retro_cards.c.entry_id))


def _problem(summary: str, field: str, message: str) -> ValidationError:
    return ValidationError(summary, [FieldProblem(field, message)])


def _state_row(row: Any) -> RetroStateRow:
    return RetroStateRow(session_id=row.session_id, phase=row.phase, phase_started_at=row.phase_started_at,
                         phase_ends_at=row.phase_ends_at, settings=dict(row.settings or {}),
                         rejected=[list(r) for r in (row.rejected or [])], revision=int(row.revision))


def _insert_state_if_missing(conn: sa.Connection, session_id: int, phase: str = DEFAULT_PHASE,
                             settings: Mapping[str, Any] | None = None) -> None:
    now = utcnow()
    values = dict(session_id=session_id, phase=phase, phase_started_at=now, phase_ends_at=None,
                  settings=dict(settings or {}), rejected=[], revision=0, updated_at=now)
    dialect = conn.dialect.name
    if dialect == "postgresql":
        conn.execute(postgresql.insert(retro_state).values(**values).on_conflict_do_nothing(
            index_elements=["session_id"]))
    elif dialect == "sqlite":
        conn.execute(sqlite.insert(retro_state).values(**values).on_conflict_do_nothing(
            index_elements=["session_id"]))
    else:  # pragma: no cover - the two backends we support are above
        if conn.execute(sa.select(retro_state.c.session_id).where(retro_state.c.session_id == session_id)).first() is None:
            conn.execute(retro_state.insert().values(**values))


def bump(conn: sa.Connection, session_id: int) -> int:
    """Move a retro's change marker on, locking its state row until the commit; returns the new marker.

    Called first in every write transaction that changes a retro (see the module's docstring).
    """
    stmt = (retro_state.update().where(retro_state.c.session_id == session_id)
            .values(revision=retro_state.c.revision + 1, updated_at=utcnow()).returning(retro_state.c.revision))
    rev = conn.execute(stmt).scalar()
    if rev is None:
        if conn.execute(sa.select(sessions.c.id).where(sessions.c.id == session_id)).first() is None:
            raise NotFoundError("session", session_id, "ask your facilitator for a current link")
        _insert_state_if_missing(conn, session_id)
        rev = conn.execute(stmt).scalar_one()
    return int(rev)


def _tidy_groups(conn: sa.Connection, session_id: int) -> None:
    """After cards moved: a group left without cards goes (with the votes on it); a vote on a group
    points at a card still in that group."""
    for gid in conn.execute(sa.select(retro_groups.c.id).where(retro_groups.c.session_id == session_id)).scalars():
        first = conn.execute(sa.select(sa.func.min(retro_cards.c.id)).where(retro_cards.c.group_id == gid)).scalar()
        if first is None:
            conn.execute(retro_groups.delete().where(retro_groups.c.id == gid))
            continue
        in_group = sa.select(retro_cards.c.id).where(retro_cards.c.group_id == gid)
        conn.execute(retro_votes.update().where((retro_votes.c.group_id == gid)
                                                & retro_votes.c.card_id.not_in(in_group)).values(card_id=first))


def _check_title(title: str, what: str = "group") -> str:
    title = title.strip()
    if not title:
        raise _problem(f"the {what} needs a title", "title", f"name the {what}")
    if bad_character(title):
        raise _problem(f"{what} not saved", "title", str(bad_character(title)))
    if len(title) > 200:
        raise _problem(f"{what} not saved", "title", f"at most 200 characters ({len(title)} given)")
    return title


class RetroMixin(StoreBase):
    """Verbs for running retros."""

    if TYPE_CHECKING:  # from PeopleMixin and EntriesMixin (see StoreBase)
        def get_membership(self, cohort_id: str, person_id: str) -> Membership: ...
        def get_session(self, session_id: int) -> Session: ...
        def exercise(self, exercise_id: str, cohort_id: str | None = None) -> "Exercise": ...
        def _snapshot_id(self, conn: sa.Connection, exercise: "Exercise") -> int: ...

    # --- sessions and their state -----------------------------------------------------------
    def open_retro_session(self, cohort_id: str, exercise_id: str, title: str | None, *,
                           facilitator_id: str | None, phase: str, settings: Mapping[str, Any],
                           closes_at: dt.datetime | None = None, force: bool = False,
                           now: dt.datetime | None = None) -> Session:
        """Open a retro session and its state in one transaction.

        Unless ``force``, refuses (ValidationError) while a retro of the same template is running in
        the cohort; two facilitators opening at once are serialised on the cohort's row.
        """
        ex = self.exercise(exercise_id, cohort_id)
        if title is not None:
            title = _check_title(title, "retro")
        now = now or utcnow()
        if closes_at is not None and closes_at <= now:
            raise _problem("the retro would close before it opens", "closes_at", "pick a time in the future")
        with self._write() as conn:
            conn.execute(sa.select(cohorts.c.id).where(cohorts.c.id == cohort_id).with_for_update())
            if not force:
                running = conn.execute(
                    sa.select(sessions.c.id, sessions.c.title)
                    .select_from(sessions.outerjoin(retro_state, retro_state.c.session_id == sessions.c.id))
                    .where((sessions.c.cohort_id == cohort_id) & (sessions.c.exercise_id == ex.id)
                           & (sessions.c.opens_at <= now)
                           & (sessions.c.closes_at.is_(None) | (sessions.c.closes_at > now))
                           & (retro_state.c.phase.is_(None) | (retro_state.c.phase != "closed")))
                    .order_by(sessions.c.id.desc())).first()
                if running is not None:
                    raise _problem("a retro of this template is already running", "exercise",
                                   f"session {running.id} ({running.title!r}) is still open: close it first, "
                                   "or open another one on purpose (force)")
            sid = insert_id(conn, sessions.insert().values(
                cohort_id=cohort_id, exercise_id=ex.id, snapshot_id=self._snapshot_id(conn, ex),
                title=title or ex.title, facilitator_id=facilitator_id, opens_at=now, closes_at=closes_at,
                created_at=now))
            conn.execute(retro_state.insert().values(
                session_id=sid, phase=phase, phase_started_at=now, phase_ends_at=None, settings=dict(settings),
                rejected=[], revision=1, updated_at=now))
        return self.get_session(sid)

    def retro_session_ids(self, cohort_id: str) -> list[int]:
        """Ids of the cohort's sessions of a retro template (by the snapshot it was opened with), oldest first."""
        q = (sa.select(sessions.c.id).join(exercise_snapshots, exercise_snapshots.c.id == sessions.c.snapshot_id)
             .where((sessions.c.cohort_id == cohort_id) & (exercise_snapshots.c.kind == "retro"))
             .order_by(sessions.c.opens_at, sessions.c.id))
        with self._read() as conn:
            return [int(i) for i in conn.execute(q).scalars()]

    def get_retro_state(self, session_id: int) -> RetroStateRow | None:
        """A retro's stored state; None for a session that has none yet (it is then in :data:`DEFAULT_PHASE`)."""
        with self._read() as conn:
            row = conn.execute(sa.select(retro_state).where(retro_state.c.session_id == session_id)).first()
        return _state_row(row) if row is not None else None

    def retro_states(self, session_ids: Iterable[int]) -> dict[int, RetroStateRow]:
        """The stored states of several retros at once."""
        ids = list(session_ids)
        if not ids:
            return {}
        with self._read() as conn:
            return {r.session_id: _state_row(r) for r in conn.execute(
                sa.select(retro_state).where(retro_state.c.session_id.in_(ids)))}

    def retro_revision(self, session_id: int) -> int:
        """The change marker of a retro: one primary-key lookup (0 for a retro that never changed)."""
        with self._read() as conn:
            rev = conn.execute(sa.select(retro_state.c.revision)
                               .where(retro_state.c.session_id == session_id)).scalar()
        return int(rev or 0)

    def save_retro_state(self, session_id: int, *, phase: str | None = None,
                         phase_started_at: dt.datetime | None = None, phase_ends_at: Any = UNSET,
                         settings: Mapping[str, Any] | None = None,
                         rejected: Sequence[Sequence[int]] | None = None, reopen: bool = False) -> RetroStateRow:
        """Change a retro's phase, timer, settings or rejected suggestions (what is given), bumping its
        marker; ``reopen`` also clears the session's closing time (a closed retro goes on)."""
        values: dict[str, Any] = {}
        if phase is not None:
            values["phase"] = phase
        if phase_started_at is not None:
            values["phase_started_at"] = phase_started_at
        if phase_ends_at is not UNSET:
            values["phase_ends_at"] = phase_ends_at
        if settings is not None:
            values["settings"] = dict(settings)
        if rejected is not None:
            values["rejected"] = [list(r) for r in rejected]
        with self._write() as conn:
            bump(conn, session_id)
            if values:
                conn.execute(retro_state.update().where(retro_state.c.session_id == session_id).values(**values))
            if reopen:
                conn.execute(sessions.update().where(sessions.c.id == session_id).values(closes_at=None))
            row = conn.execute(sa.select(retro_state).where(retro_state.c.session_id == session_id)).one()
        return _state_row(row)

    def close_retro_session(self, session_id: int, at: dt.datetime | None = None) -> RetroStateRow:
        """Phase closed, timer off and the session closed for entries, in one transaction."""
        at = at or utcnow()
        with self._write() as conn:
            bump(conn, session_id)
            conn.execute(retro_state.update().where(retro_state.c.session_id == session_id).values(
                phase="closed", phase_started_at=at, phase_ends_at=None))
            conn.execute(sessions.update().where((sessions.c.id == session_id)
                                                 & (sessions.c.closes_at.is_(None) | (sessions.c.closes_at > at)))
                         .values(closes_at=at))
            row = conn.execute(sa.select(retro_state).where(retro_state.c.session_id == session_id)).one()
        return _state_row(row)

    # --- cards ------------------------------------------------------------------------------
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

    def add_retro_card(self, session_id: int, author_id: str, column_id: str, text: str,
                       visibility: str) -> int:
        """One card, written on its own: an entry of the retro (so privacy and erasure see it) with one card."""
        now = utcnow()
        with self._write() as conn:
            bump(conn, session_id)
            s = conn.execute(sa.select(sessions).where(sessions.c.id == session_id)).one()
            eid = insert_id(conn, entries.insert().values(
                cohort_id=s.cohort_id, author_id=author_id, exercise_id=s.exercise_id, kind="retro",
                snapshot_id=s.snapshot_id, session_id=session_id, visibility=visibility,
                answers={column_id: [text]}, mood=None, client_id=None, revision=1, created_at=now, updated_at=now))
            return insert_id(conn, retro_cards.insert().values(
                entry_id=eid, session_id=session_id, column_id=column_id, position=0, text=text))

    def edit_retro_card(self, card_id: int, editor_id: str, text: str) -> None:
        """Change a card's text; its entry follows (the previous answers kept as a revision)."""
        now = utcnow()
        card = self.get_card(card_id)
        with self._write() as conn:
            if card.session_id is not None:
                bump(conn, card.session_id)
            row = conn.execute(sa.select(entries).where(entries.c.id == card.entry_id)).one()
            answers = {k: (list(v) if isinstance(v, list) else v) for k, v in dict(row.answers).items()}
            items = answers.setdefault(card.column_id, [])
            if card.position < len(items):
                items[card.position] = text
            else:
                items.append(text)
            conn.execute(entry_revisions.insert().values(
                entry_id=row.id, revision=row.revision, answers=row.answers, visibility=row.visibility,
                edited_by=editor_id, created_at=row.updated_at))
            conn.execute(entries.update().where(entries.c.id == row.id).values(
                answers=answers, revision=row.revision + 1, updated_at=now))
            conn.execute(retro_cards.update().where(retro_cards.c.id == card_id).values(text=text))

    def delete_retro_card(self, card_id: int) -> None:
        """Remove a card (and the votes on it); an entry left with no card goes with it."""
        card = self.get_card(card_id)
        with self._write() as conn:
            if card.session_id is not None:
                bump(conn, card.session_id)
            row = conn.execute(sa.select(entries).where(entries.c.id == card.entry_id)).one()
            others = conn.execute(sa.select(sa.func.count()).select_from(retro_cards).where(
                (retro_cards.c.entry_id == row.id) & (retro_cards.c.id != card_id))).scalar_one()
            if not others:
                conn.execute(entries.delete().where(entries.c.id == row.id))  # cascades: card, votes, revisions
            else:  # a card of a whole retro form: the entry keeps its other cards
                answers = {k: (list(v) if isinstance(v, list) else v) for k, v in dict(row.answers).items()}
                items = answers.get(card.column_id) or []
                if card.position < len(items):
                    del items[card.position]
                conn.execute(entry_revisions.insert().values(
                    entry_id=row.id, revision=row.revision, answers=row.answers, visibility=row.visibility,
                    edited_by=row.author_id, created_at=row.updated_at))
                conn.execute(entries.update().where(entries.c.id == row.id).values(
                    answers=answers, revision=row.revision + 1, updated_at=utcnow()))
                conn.execute(retro_cards.delete().where(retro_cards.c.id == card_id))
                conn.execute(retro_cards.update().where(
                    (retro_cards.c.entry_id == row.id) & (retro_cards.c.column_id == card.column_id)
                    & (retro_cards.c.position > card.position)).values(position=retro_cards.c.position - 1))
            if card.session_id is not None:
                _tidy_groups(conn, card.session_id)

    # --- votes ------------------------------------------------------------------------------
    def find_votes(self, session_id: int) -> list[RetroVote]:
        """Every vote of a retro session (card and group votes)."""
        with self._read() as conn:
            return [record(RetroVote, r) for r in conn.execute(
                sa.select(retro_votes).where(retro_votes.c.session_id == session_id).order_by(retro_votes.c.id))]

    def count_votes(self, session_id: int, voter_id: str) -> int:
        """How many votes a person has cast in a retro session."""
        with self._read() as conn:
            return _votes_used(conn, session_id, voter_id)

    def cast_vote(self, session_id: int, voter_id: str, *, card_id: int | None = None, group_id: int | None = None,
                  budget: int, cap: int) -> int:
        """One vote on a card or a group within ``budget`` votes per person and retro and ``cap`` per
        card or group; returns the votes left. Refused (ValidationError, nothing written) beyond either."""
        if (card_id is None) == (group_id is None):
            raise _problem("vote on one card or one group", "vote", "name a card or a group")
        with self._write() as conn:
            bump(conn, session_id)
            used = set(conn.execute(sa.select(retro_votes.c.slot).where(
                (retro_votes.c.session_id == session_id) & (retro_votes.c.voter_id == voter_id))).scalars())
            if group_id is not None:
                target = (retro_votes.c.group_id == group_id)
                what = "group"
                card_id = conn.execute(sa.select(sa.func.min(retro_cards.c.id)).where(
                    (retro_cards.c.group_id == group_id) & (retro_cards.c.session_id == session_id))).scalar()
                if card_id is None:
                    raise NotFoundError("group", group_id)
            else:
                target = (retro_votes.c.card_id == card_id) & retro_votes.c.group_id.is_(None)
                what = "card"
                if conn.execute(sa.select(retro_cards.c.id).where(
                        (retro_cards.c.id == card_id) & (retro_cards.c.session_id == session_id))).first() is None:
                    raise NotFoundError("card", card_id)
            on_target = conn.execute(sa.select(sa.func.count()).select_from(retro_votes).where(
                target & (retro_votes.c.voter_id == voter_id))).scalar_one()
            if on_target >= cap:
                raise _problem("already voted" if cap == 1 else "vote cap reached", "vote",
                               f"you already voted for this {what}" if cap == 1 else
                               f"at most {cap} votes per {what}; this one has {on_target} of yours")
            free = [n for n in range(1, budget + 1) if n not in used]
            if not free:
                raise _problem("no votes left", "vote",
                               f"you have used all {budget} votes; remove one to vote again")
            conn.execute(retro_votes.insert().values(session_id=session_id, card_id=card_id, group_id=group_id,
                                                     voter_id=voter_id, slot=free[0], created_at=utcnow()))
            return max(0, budget - len(used) - 1)

    def retract_vote(self, session_id: int, voter_id: str, *, card_id: int | None = None,
                     group_id: int | None = None) -> int:
        """Take back one of one's votes on a card or group; returns how many votes one has cast after it."""
        if (card_id is None) == (group_id is None):
            raise _problem("take back a vote on one card or one group", "vote", "name a card or a group")
        target = ((retro_votes.c.group_id == group_id) if group_id is not None
                  else (retro_votes.c.card_id == card_id) & retro_votes.c.group_id.is_(None))
        with self._write() as conn:
            bump(conn, session_id)
            vid = conn.execute(sa.select(retro_votes.c.id).where(
                target & (retro_votes.c.voter_id == voter_id) & (retro_votes.c.session_id == session_id))
                .order_by(retro_votes.c.slot.desc())).scalar()
            if vid is None:
                raise _problem("no vote to take back", "vote",
                               f"you have no vote on this {'group' if group_id is not None else 'card'}")
            conn.execute(retro_votes.delete().where(retro_votes.c.id == vid))
            return _votes_used(conn, session_id, voter_id)

    def add_vote(self, card_id: int, voter_id: str, limit: int) -> int:
        """One vote on a card; at most one per card per person and ``limit`` per session. Returns votes left."""
        card = self.get_card(card_id)
        if card.session_id is None:
            raise _problem("this card is on no retro board", "vote", "vote on a card of a retro session")
        return self.cast_vote(card.session_id, voter_id, card_id=card_id, budget=limit, cap=1)

    def remove_vote(self, card_id: int, voter_id: str) -> None:
        """Take back one's vote(s) on a card."""
        card = self.get_card(card_id)
        with self._write() as conn:
            if card.session_id is not None:
                bump(conn, card.session_id)
            conn.execute(retro_votes.delete().where((retro_votes.c.card_id == card_id)
                                                    & retro_votes.c.group_id.is_(None)
                                                    & (retro_votes.c.voter_id == voter_id)))

    # --- groups -----------------------------------------------------------------------------
    def add_group(self, session_id: int, title: str, card_ids: Iterable[int]) -> int:
        """Group cards of a session under a title; cards leave the group they were in."""
        title = _check_title(title)
        ids = sorted(set(card_ids))
        with self._write() as conn:
            found = set(conn.execute(sa.select(retro_cards.c.id).where(
                retro_cards.c.id.in_(ids) & (retro_cards.c.session_id == session_id))).scalars()) if ids else set()
            if not found:
                raise _problem("a group needs cards", "card_ids", "select at least one card of this retro")
            if found != set(ids):
                raise _problem("not cards of this retro", "card_ids",
                               f"cards {', '.join(map(str, sorted(set(ids) - found)))} are not on this board")
            bump(conn, session_id)
            gid = insert_id(conn, retro_groups.insert().values(session_id=session_id, title=title,
                                                                created_at=utcnow()))
            conn.execute(retro_cards.update().where(retro_cards.c.id.in_(ids)).values(group_id=gid))
            _tidy_groups(conn, session_id)
        return gid

    def get_group(self, group_id: int) -> RetroGroup:
        """One group by id."""
        with self._read() as conn:
            row = conn.execute(sa.select(retro_groups).where(retro_groups.c.id == group_id)).first()
        if row is None:
            raise NotFoundError("group", group_id)
        return record(RetroGroup, row)

    def find_groups(self, session_id: int) -> list[RetroGroup]:
        """Themes of a retro session."""
        with self._read() as conn:
            return [record(RetroGroup, r) for r in conn.execute(
                sa.select(retro_groups).where(retro_groups.c.session_id == session_id).order_by(retro_groups.c.id))]

    def rename_group(self, group_id: int, title: str) -> None:
        """Give a group another title."""
        title = _check_title(title)
        group = self.get_group(group_id)
        with self._write() as conn:
            bump(conn, group.session_id)
            conn.execute(retro_groups.update().where(retro_groups.c.id == group_id).values(title=title))

    def merge_groups(self, group_ids: Sequence[int], title: str | None = None) -> int:
        """Merge groups of one session into the first (cards and votes follow); returns its id."""
        ids = list(dict.fromkeys(group_ids))
        if len(ids) < 2:
            raise _problem("pick two groups or more to merge", "group_ids", "select at least two groups")
        if title is not None:
            title = _check_title(title)
        groups = [self.get_group(g) for g in ids]
        if len({g.session_id for g in groups}) != 1:
            raise _problem("groups of different retros", "group_ids", "merge groups of one retro only")
        keep, rest = ids[0], ids[1:]
        with self._write() as conn:
            bump(conn, groups[0].session_id)
            conn.execute(retro_cards.update().where(retro_cards.c.group_id.in_(rest)).values(group_id=keep))
            conn.execute(retro_votes.update().where(retro_votes.c.group_id.in_(rest)).values(group_id=keep))
            conn.execute(retro_groups.delete().where(retro_groups.c.id.in_(rest)))
            if title:
                conn.execute(retro_groups.update().where(retro_groups.c.id == keep).values(title=title))
            _tidy_groups(conn, groups[0].session_id)
        return keep

    def ungroup_cards(self, session_id: int, card_ids: Iterable[int]) -> None:
        """Cards leave their group; a group left empty goes (with the votes on it)."""
        ids = list(card_ids)
        with self._write() as conn:
            bump(conn, session_id)
            conn.execute(retro_cards.update().where(retro_cards.c.id.in_(ids)
                                                    & (retro_cards.c.session_id == session_id)).values(group_id=None))
            _tidy_groups(conn, session_id)

    # --- action items -----------------------------------------------------------------------
    def add_action_item(self, cohort_id: str, text: str, *, session_id: int | None = None,
                        owner_id: str | None = None, due: dt.date | None = None,
                        carried_from: int | None = None) -> int:
        """An action item out of a retro (owner and due date optional)."""
        text = text.strip()
        if not text:
            raise _problem("empty action item", "text", "say what will be done")
        if bad_character(text):
            raise _problem("action item not saved", "text", str(bad_character(text)))
        if owner_id:
            self.get_membership(cohort_id, owner_id)
        now = utcnow()
        with self._write() as conn:
            if session_id is not None:
                bump(conn, session_id)
            iid = insert_id(conn, action_items.insert().values(
                cohort_id=cohort_id, session_id=session_id, text=text, owner_id=owner_id, due=due, status="open",
                carried_from=carried_from, created_at=now, updated_at=now))
            conn.execute(action_events.insert().values(item_id=iid, session_id=session_id, kind="created",
                                                       created_at=now))
            return iid

    def update_action_item(self, item_id: int, *, text: str | None = None, owner_id: Any = UNSET,
                           due: Any = UNSET, status: str | None = None, session_id: Any = UNSET,
                           event: str | None = None, event_session_id: int | None = None) -> ActionItem:
        """Change an action item (what is given) and record it in its history, in one transaction.

        ``session_id`` moves the item to another retro (a carried item); ``event`` names the step
        recorded (default: the status given, else "edited") under ``event_session_id`` (default: the item's retro).
        """
        item = self.get_action_item(item_id)
        values: dict[str, Any] = {}
        if text is not None:
            text = text.strip()
            if not text:
                raise _problem("empty action item", "text", "say what will be done")
            if bad_character(text):
                raise _problem("action item not saved", "text", str(bad_character(text)))
            values["text"] = text
        if owner_id is not UNSET:
            if owner_id:
                self.get_membership(item.cohort_id, owner_id)
            values["owner_id"] = owner_id or None
        if due is not UNSET:
            values["due"] = due
        if status is not None:
            if status not in ACTION_STATUSES:
                raise _problem("unknown status", "status", f"use one of {', '.join(ACTION_STATUSES[:3])}")
            values["status"] = status
        if session_id is not UNSET:
            values["session_id"] = session_id
        now = utcnow()
        kind = event or (("reopened" if status == "open" else status) if status is not None else "edited")
        where = event_session_id if event_session_id is not None else values.get("session_id", item.session_id)
        with self._write() as conn:
            for sid in dict.fromkeys(s for s in (where, values.get("session_id"), item.session_id) if s is not None):
                bump(conn, sid)
            conn.execute(action_items.update().where(action_items.c.id == item_id).values(updated_at=now, **values))
            conn.execute(action_events.insert().values(item_id=item_id, session_id=where, kind=kind, created_at=now))
        return self.get_action_item(item_id)

    def set_action_status(self, item_id: int, status: str) -> None:
        """Mark an action item done, dropped or open again."""
        if status not in ACTION_STATUSES[:3]:
            raise _problem("unknown status", "status", f"use one of {', '.join(ACTION_STATUSES[:3])}")
        self.update_action_item(item_id, status=status)

    def get_action_item(self, item_id: int) -> ActionItem:
        """One action item by id."""
        with self._read() as conn:
            row = conn.execute(sa.select(action_items).where(action_items.c.id == item_id)).first()
        if row is None:
            raise NotFoundError("action item", item_id)
        return record(ActionItem, row)

    def find_action_items(self, cohort_id: str, *, status: str | None = None,
                          session_id: int | None = None, owner_id: str | None = None,
                          before_session: int | None = None) -> list[ActionItem]:
        """Action items of a cohort, oldest first (``before_session``: of retros other than that one,
        opened before it, or of no retro)."""
        q = sa.select(action_items).where(action_items.c.cohort_id == cohort_id).order_by(action_items.c.id)
        if status:
            q = q.where(action_items.c.status == status)
        if session_id is not None:
            q = q.where(action_items.c.session_id == session_id)
        if owner_id is not None:
            q = q.where(action_items.c.owner_id == owner_id)
        if before_session is not None:
            earlier = sa.select(sessions.c.id).where(
                (sessions.c.cohort_id == cohort_id) & (sessions.c.id != before_session)
                & (sessions.c.opens_at <= sa.select(sessions.c.opens_at).where(sessions.c.id == before_session)
                   .scalar_subquery()))
            q = q.where(action_items.c.session_id.is_(None) | action_items.c.session_id.in_(earlier))
        with self._read() as conn:
            return [record(ActionItem, r) for r in conn.execute(q)]

    def action_history(self, item_id: int) -> list[ActionEvent]:
        """What happened to an action item, oldest first."""
        with self._read() as conn:
            return [record(ActionEvent, r) for r in conn.execute(
                sa.select(action_events).where(action_events.c.item_id == item_id)
                .order_by(action_events.c.created_at, action_events.c.id))]
