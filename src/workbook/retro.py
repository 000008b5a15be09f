"""Running a retrospective: open it (carrying over unfinished actions), the board, votes, themes,
action items, and live participation. Thin rules over the store; access via :mod:`workbook.access`."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .access import Viewer, can_vote, require_role, visible_cards
from .errors import AccessDenied, FieldProblem, ValidationError

if TYPE_CHECKING:
    from .store import ActionItem, Session, Store


@dataclass(frozen=True)
class Card:
    """One card on the board as a viewer may see it (author shown only on one's own cards)."""

    id: int
    column: str
    text: str
    votes: int
    group_id: int | None
    mine: bool


@dataclass(frozen=True)
class Board:
    """The retro board: columns in template order, each with its cards, most voted first."""

    session_id: int
    title: str
    columns: tuple[tuple[str, str], ...]  # (column id, column title)
    cards: dict[str, list[Card]] = field(default_factory=dict)
    votes_left: int = 0

    def top(self, n: int = 5) -> list[Card]:
        """The ``n`` most voted cards across columns."""
        every = [c for cards in self.cards.values() for c in cards]
        return sorted(every, key=lambda c: (-c.votes, c.id))[:n]


@dataclass(frozen=True)
class Participation:
    """How many of the cohort's participants have contributed to a session."""

    submitted: int
    expected: int
    missing: tuple[str, ...]  # names, for the facilitator only

    @property
    def rate(self) -> float:
        return self.submitted / self.expected if self.expected else 0.0


def votes_per_person(store: "Store", cohort_id: str) -> int:
    """The cohort's vote limit per person and retro (``[retro] votes_per_person``, default 3)."""
    value = store.get_cohort(cohort_id).settings.get("retro", {}).get("votes_per_person", 3)
    return int(value)


def retro_sessions(store: "Store", cohort_id: str) -> list["Session"]:
    """The cohort's retro sessions, oldest first (sessions of a retro template, shipped or custom)."""
    return [s for s in store.find_sessions(cohort_id) if store.exercise(s.exercise_id, cohort_id).kind == "retro"]


def latest_retro(store: "Store", cohort_id: str) -> "Session | None":
    """The cohort's most recent retro session, open or not (the one the live board shows)."""
    sessions = retro_sessions(store, cohort_id)
    return sessions[-1] if sessions else None


def current_retro(store: "Store", cohort_id: str, now: dt.datetime | None = None) -> "Session | None":
    """The retro running now: the cohort's latest retro, if it is still open (a plain retro link joins it)."""
    latest = latest_retro(store, cohort_id)
    if latest is not None and latest.is_open(now or dt.datetime.now(dt.timezone.utc)):
        return latest
    return None


def open_retro(store: "Store", viewer: Viewer, exercise_id: str, title: str | None = None, *,
               closes_at: dt.datetime | None = None) -> "Session":
    """Start a retro session; open action items of the previous retro are carried over to it."""
    require_role(viewer, "facilitator")
    exercise = store.exercise(exercise_id, viewer.cohort_id)
    if exercise.kind != "retro":
        raise ValidationError("not a retro template", [FieldProblem(
            "exercise", f"{exercise_id!r} is a {exercise.kind}; pick one of the retro templates")])
    previous = retro_sessions(store, viewer.cohort_id)
    session = store.add_session(viewer.cohort_id, exercise_id, title, facilitator_id=viewer.person_id,
                                closes_at=closes_at)
    if previous:
        for item in store.find_action_items(viewer.cohort_id, status="open", session_id=previous[-1].id):
            store.add_action_item(viewer.cohort_id, item.text, session_id=session.id, owner_id=item.owner_id,
                                  due=item.due, carried_from=item.id)
    return session


def board(store: "Store", viewer: Viewer, session_id: int) -> Board:
    """The board of a retro session: cards shared with the cohort, plus the viewer's own."""
    visible = visible_cards(store, viewer, session_id)  # refuses a retro of another cohort
    session = store.get_session(session_id)
    exercise = store.exercise(session.exercise_id, session.cohort_id)
    cols = tuple((c.id, c.text) for c in exercise.columns)
    cards: dict[str, list[Card]] = {cid: [] for cid, _ in cols}
    for c in visible:
        mine = c.author_id == viewer.person_id
        cards.setdefault(c.column_id, []).append(Card(c.id, c.column_id, c.text, c.votes, c.group_id, mine))
    mine_votes = store.count_votes(session_id, viewer.person_id)
    return Board(session_id, session.title, cols, cards,
                 max(0, votes_per_person(store, session.cohort_id) - mine_votes))


def vote(store: "Store", viewer: Viewer, card_id: int) -> int:
    """Vote for a card the viewer can see; returns the votes they have left."""
    card = store.get_card(card_id)
    # A card of an entry written outside any session is on no board.
    session = store.get_session(card.session_id) if card.session_id is not None else None
    if session is None or not can_vote(viewer, session, card):
        raise AccessDenied("You cannot vote on this card.")
    if not session.is_open(dt.datetime.now(dt.timezone.utc)):
        raise ValidationError("this retro is closed", [FieldProblem("vote", "voting has ended")])
    return store.add_vote(card_id, viewer.person_id, votes_per_person(store, session.cohort_id))


def add_action(store: "Store", viewer: Viewer, session_id: int, text: str, *, owner_id: str | None = None,
               due: dt.date | None = None) -> int:
    """A facilitator records an action item out of a retro."""
    require_role(viewer, "facilitator")
    return store.add_action_item(viewer.cohort_id, text, session_id=session_id, owner_id=owner_id, due=due)


def group_cards(store: "Store", viewer: Viewer, session_id: int, title: str, card_ids: list[int]) -> int:
    """A facilitator groups cards under a theme."""
    require_role(viewer, "facilitator")
    if not title.strip():
        raise ValidationError("a theme needs a title", [FieldProblem("title", "name the theme")])
    return store.add_group(session_id, title, card_ids)


def participation(store: "Store", viewer: Viewer, session_id: int) -> Participation:
    """Live participation in a session (facilitators only: it names who has not contributed yet)."""
    require_role(viewer, "facilitator")
    session = store.get_session(session_id)
    expected = store.find_members(session.cohort_id, "participant")
    authors = {e.author_id for e in store.find_entries(session.cohort_id, session_id=session_id)}
    missing = tuple(m.name for m in expected if m.person_id not in authors)
    return Participation(len([m for m in expected if m.person_id in authors]), len(expected), missing)


def action_items(store: "Store", viewer: Viewer, *, status: str | None = "open") -> list["ActionItem"]:
    """The cohort's action items (open ones by default), for any member."""
    return store.find_action_items(viewer.cohort_id, status=status)
