"""Running a retrospective, live: open it, step it through its phases (review earlier actions, write,
reveal, group, vote, discuss, actions, closed) with timers, cards, groups (and suggested groups),
votes within a budget and caps, action items that move from retro to retro, and the export.

Every rule of a retro lives here (who may do what in which phase, budgets, anonymity), over the
store (:mod:`workbook.store.retro`: one transaction per change, each bumping the retro's change
marker) and the access rules of :mod:`workbook.access` (which cards a member may see at all).
The CLI, the notebook, the dashboard and the Voila pages only call these functions.
"""
from __future__ import annotations

import csv
import datetime as dt
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .access import Viewer, can_see_card, can_set_action_status, can_vote, require_role, visible_cards
from .errors import AccessDenied, FieldProblem, ValidationError
from .store.core import utcnow
from .store.retro import ACTION_STATUSES, DEFAULT_PHASE, REVIEW_OUTCOMES, UNSET

if TYPE_CHECKING:
    from .store import ActionEvent, ActionItem, RetroCard, RetroStateRow, Session, Store

PHASES = ("review", "write", "reveal", "group", "vote", "discuss", "actions", "closed")
#: Seconds a phase's timer runs by default (like Parabol's); phases not named have no timer.
DEFAULT_TIMERS: Mapping[str, int] = {"write": 300, "group": 300, "vote": 120, "discuss": 1200}
#: The longest card, in characters.
MAX_CARD_CHARS = 500
#: The longest timer a facilitator may set or extend to, in seconds.
MAX_TIMER_SECONDS = 4 * 3600
#: How alike two cards must be (TF-IDF cosine) for :func:`suggest_groups` to propose them together.
SIMILARITY = 0.3
#: Where each card lives in a retro, so rules can say "before"/"after".
_AT = {p: i for i, p in enumerate(PHASES)}


@dataclass(frozen=True)
class RetroSettings:
    """A retro's rules: the cohort's defaults (``cohort.toml`` ``[retro]``), overridable per retro."""

    votes_per_person: int = 3
    cap_per_card: int = 1  # votes one person may put on one card (or one group)
    allow_self_vote: bool = True
    show_authors: bool = False  # cards anonymous to peers unless true
    live_cards: bool = False  # others' cards visible already during write
    timers: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_TIMERS))


_INT_SETTINGS = ("votes_per_person", "cap_per_card")
_BOOL_SETTINGS = ("allow_self_vote", "show_authors", "live_cards")
SETTING_NAMES = (*_INT_SETTINGS, *_BOOL_SETTINGS, "timers")


@dataclass(frozen=True)
class RetroState:
    """Where a retro stands now, as everyone sees it."""

    session_id: int
    cohort_id: str
    exercise_id: str
    title: str
    phase: str  # one of PHASES
    phase_started_at: dt.datetime
    phase_ends_at: dt.datetime | None  # None: no timer running
    settings: RetroSettings
    revision: int  # the change marker (see change_marker)
    closed: bool

    def seconds_left(self, now: dt.datetime | None = None) -> int | None:
        """Whole seconds until the phase's timer runs out (0 once it has), None without a timer."""
        if self.phase_ends_at is None or self.closed:
            return None
        left = (self.phase_ends_at - (now or utcnow())).total_seconds()
        return max(0, int(left + 0.999))

    @property
    def phase_index(self) -> int:
        return _AT[self.phase]


@dataclass(frozen=True)
class Card:
    """One card as a viewer may see it now."""

    id: int
    column: str
    text: str
    votes: int | None  # None: hidden from this viewer until voting has ended
    my_votes: int
    group_id: int | None
    mine: bool
    author: str | None = None  # a name only when the retro shows authors


@dataclass(frozen=True)
class Group:
    """Cards grouped under a title."""

    id: int
    title: str
    card_ids: tuple[int, ...]
    votes: int | None  # votes on the group itself; None while hidden
    my_votes: int


@dataclass(frozen=True)
class Board:
    """The retro board as one viewer may see it now: columns in template order, each with its cards."""

    session_id: int
    title: str
    state: RetroState
    columns: tuple[tuple[str, str], ...]  # (column id, column title)
    cards: dict[str, list[Card]] = field(default_factory=dict)
    groups: list[Group] = field(default_factory=list)
    votes_left: int = 0

    def all_cards(self) -> list[Card]:
        return [c for cards in self.cards.values() for c in cards]

    def top(self, n: int = 5) -> list[Card]:
        """The ``n`` most voted cards across columns (never a card without votes, nor hidden counts)."""
        voted = [c for c in self.all_cards() if c.votes]
        return sorted(voted, key=lambda c: (-(c.votes or 0), c.id))[:n]

    def card(self, card_id: int) -> Card | None:
        return next((c for c in self.all_cards() if c.id == card_id), None)


@dataclass(frozen=True)
class GroupSuggestion:
    """Cards :func:`suggest_groups` proposes to group; ``duplicate``: the same words, written twice or more."""

    title: str
    card_ids: tuple[int, ...]
    duplicate: bool = False


@dataclass(frozen=True)
class Topic:
    """One thing to discuss: a group with its cards, or a card on its own; in vote order."""

    title: str
    cards: tuple[Card, ...]
    votes: int
    group_id: int | None

    @property
    def card_texts(self) -> tuple[str, ...]:
        return tuple(c.text for c in self.cards)


@dataclass(frozen=True)
class Participation:
    """How many of the cohort's participants have contributed to a session."""

    submitted: int
    expected: int
    missing: tuple[str, ...]  # names, for the facilitator only

    @property
    def rate(self) -> float:
        return self.submitted / self.expected if self.expected else 0.0


def _problem(summary: str, field_: str, message: str) -> ValidationError:
    return ValidationError(summary, [FieldProblem(field_, message)])


# --- settings -----------------------------------------------------------------------------
def _clean_settings(raw: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Settings checked and typed; unknown names and wrong values are a ValidationError naming ``where``."""
    out: dict[str, Any] = {}
    problems: list[FieldProblem] = []
    for name, value in raw.items():
        if name in _INT_SETTINGS:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1 or value > 100:
                problems.append(FieldProblem(f"{where}{name}", f"{value!r} must be a whole number from 1 to 100"))
            else:
                out[name] = int(value)
        elif name in _BOOL_SETTINGS:
            if not isinstance(value, bool):
                problems.append(FieldProblem(f"{where}{name}", f"{value!r} must be true or false"))
            else:
                out[name] = value
        elif name == "timers":
            if not isinstance(value, Mapping):
                problems.append(FieldProblem(f"{where}timers", "give seconds per phase, e.g. write = 300"))
                continue
            timers: dict[str, int] = {}
            for phase, secs in value.items():
                if phase not in PHASES or phase == "closed":
                    problems.append(FieldProblem(f"{where}timers.{phase}",
                                                 f"not a phase; use one of {', '.join(PHASES[:-1])}"))
                elif isinstance(secs, bool) or not isinstance(secs, int) or not 0 <= secs <= MAX_TIMER_SECONDS:
                    problems.append(FieldProblem(f"{where}timers.{phase}",
                                                 f"{secs!r} must be seconds from 0 (no timer) to {MAX_TIMER_SECONDS}"))
                else:
                    timers[str(phase)] = int(secs)
            out["timers"] = timers
        else:
            problems.append(FieldProblem(f"{where}{name}", f"unknown setting; use {', '.join(SETTING_NAMES)}"))
    if problems:
        raise ValidationError("retro settings not valid; nothing was changed", problems)
    return out


def _merge(base: RetroSettings, overrides: Mapping[str, Any]) -> RetroSettings:
    values = {name: getattr(base, name) for name in SETTING_NAMES}
    for name, value in overrides.items():
        if name == "timers":
            values["timers"] = {**values["timers"], **value}
        else:
            values[name] = value
    return RetroSettings(**values)


def cohort_settings(store: "Store", cohort_id: str) -> RetroSettings:
    """The cohort's retro defaults: ``[retro]`` of its ``cohort.toml`` over the built-in ones."""
    raw = store.get_cohort(cohort_id).settings.get("retro", {}) or {}
    return _merge(RetroSettings(), _clean_settings(raw, "cohort.toml [retro] "))


def votes_per_person(store: "Store", cohort_id: str) -> int:
    """The cohort's vote limit per person and retro (``[retro] votes_per_person``, default 3)."""
    return cohort_settings(store, cohort_id).votes_per_person


# --- sessions -------------------------------------------------------------------------------
def retro_sessions(store: "Store", cohort_id: str) -> list["Session"]:
    """The cohort's retro sessions, oldest first (sessions of a retro template, shipped or custom)."""
    ids = set(store.retro_session_ids(cohort_id))
    return [s for s in store.find_sessions(cohort_id) if s.id in ids]


def latest_retro(store: "Store", cohort_id: str) -> "Session | None":
    """The cohort's most recent retro session, open or not."""
    sessions = retro_sessions(store, cohort_id)
    return sessions[-1] if sessions else None


def _is_closed(session: "Session", row: "RetroStateRow | None", now: dt.datetime) -> bool:
    return (row is not None and row.phase == "closed") or not session.is_open(now)


def running_retros(store: "Store", cohort_id: str, now: dt.datetime | None = None) -> list["Session"]:
    """The cohort's retros running now (opened, not closed), newest first."""
    now = now or utcnow()
    sessions = retro_sessions(store, cohort_id)
    rows = store.retro_states(s.id for s in sessions)
    return [s for s in reversed(sessions) if not _is_closed(s, rows.get(s.id), now)]


def current_retro(store: "Store", cohort_id: str, now: dt.datetime | None = None) -> "Session | None":
    """The retro a plain retro link joins: the newest one running now, or None."""
    running = running_retros(store, cohort_id, now)
    return running[0] if running else None


def retro_for_link(store: "Store", cohort_id: str, now: dt.datetime | None = None) -> "RetroState | None":
    """What a plain retro link shows: the newest running retro, else the latest retro (its state says
    ``closed``: "this retro has ended"), else None (no retro yet: say so plainly)."""
    session = current_retro(store, cohort_id, now) or latest_retro(store, cohort_id)
    return retro_state(store, session.id, now) if session is not None else None


def _facilitates(store: "Store", viewer: Viewer, session_id: int) -> "Session":
    """The session, if ``viewer`` is a facilitator of its cohort (else AccessDenied)."""
    require_role(viewer, "facilitator")
    return _member_session(store, viewer, session_id)


def _member_session(store: "Store", viewer: Viewer, session_id: int) -> "Session":
    session = store.get_session(session_id)
    if session.cohort_id != viewer.cohort_id:
        raise AccessDenied("This retro is not part of your cohort.")
    return session


def _retro_exercise(store: "Store", cohort_id: str, exercise_id: str) -> Any:
    exercise = store.exercise(exercise_id, cohort_id)
    if exercise.kind != "retro":
        raise _problem("not a retro template", "exercise",
                       f"{exercise_id!r} is a {exercise.kind}; pick one of the retro templates")
    return exercise


def open_session(store: "Store", viewer: Viewer, exercise_id: str, title: str | None = None, *,
                 closes_at: dt.datetime | None = None, settings: Mapping[str, Any] | None = None,
                 force: bool = False) -> "Session":
    """A facilitator opens a retro of a retro template (shipped or custom).

    Refused while a retro of that template is running in the cohort, unless ``force``. It starts in
    the review phase when earlier retros left open action items (:func:`review_items`), else in write.
    ``settings`` override the cohort's defaults for this retro (see :class:`RetroSettings`).
    """
    require_role(viewer, "facilitator")
    _retro_exercise(store, viewer.cohort_id, exercise_id)
    overrides = _clean_settings(settings or {}, "")
    cohort_settings(store, viewer.cohort_id)  # the cohort's own defaults must be sound too
    if closes_at is not None and closes_at.tzinfo is None:
        raise _problem("give the closing time with its time zone", "closes_at", "an aware datetime, e.g. in UTC")
    has_review = bool(store.find_action_items(viewer.cohort_id, status="open"))
    return store.open_retro_session(viewer.cohort_id, exercise_id, title, facilitator_id=viewer.person_id or None,
                                    phase="review" if has_review else "write", settings=overrides,
                                    closes_at=closes_at, force=force)


def closing_time(store: "Store", cohort_id: str, text: str, now: dt.datetime | None = None) -> dt.datetime:
    """``text`` (ISO 8601: ``2026-11-05 17:00``, ``2026-11-05T17:00+01:00``) as an aware UTC datetime;
    without an offset it is read in the cohort's time zone. A ValidationError when it is no date
    and time, or not in the future."""
    from zoneinfo import ZoneInfo

    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise _problem("not a date and time", "closes",
                       f"{text!r}: write it as YYYY-MM-DD HH:MM (in the cohort's time zone)") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo(store.get_cohort(cohort_id).timezone))
    when = when.astimezone(dt.timezone.utc)
    if when <= (now or utcnow()):
        raise _problem("the retro would close before it opens", "closes", f"{text!r} is not in the future")
    return when


def open_retro(store: "Store", viewer: Viewer, exercise_id: str, title: str | None = None, *,
               closes_at: dt.datetime | None = None, settings: Mapping[str, Any] | None = None,
               force: bool = False) -> "Session":
    """Alias of :func:`open_session` (the name of earlier releases)."""
    return open_session(store, viewer, exercise_id, title, closes_at=closes_at, settings=settings, force=force)


def _state(store: "Store", session: "Session", row: "RetroStateRow | None", now: dt.datetime) -> RetroState:
    closed = _is_closed(session, row, now)
    base = cohort_settings(store, session.cohort_id)
    settings = _merge(base, row.settings) if row is not None else base
    phase = "closed" if closed else (row.phase if row is not None else DEFAULT_PHASE)
    return RetroState(session_id=session.id, cohort_id=session.cohort_id, exercise_id=session.exercise_id,
                      title=session.title, phase=phase,
                      phase_started_at=row.phase_started_at if row is not None else session.opens_at,
                      phase_ends_at=None if closed or row is None else row.phase_ends_at,
                      settings=settings, revision=row.revision if row is not None else 0, closed=closed)


def retro_state(store: "Store", session_id: int, now: dt.datetime | None = None) -> RetroState:
    """Where a retro stands: phase, timer, settings, change marker, closed."""
    return _state(store, store.get_session(session_id), store.get_retro_state(session_id), now or utcnow())


def change_marker(store: "Store", session_id: int) -> int:
    """A number that moves whenever anything of the retro changes (one primary-key lookup): what
    live pages poll. Compare for equality only."""
    return store.retro_revision(session_id)


def _timer_end(settings: RetroSettings, phase: str, now: dt.datetime) -> dt.datetime | None:
    secs = int(settings.timers.get(phase, 0) or 0)
    return now + dt.timedelta(seconds=secs) if secs > 0 else None


def set_phase(store: "Store", viewer: Viewer, session_id: int, phase: str) -> RetroState:
    """A facilitator moves the retro to any phase, forward or back; the phase's timer starts.

    ``closed`` closes the retro (:func:`close_session`); leaving ``closed`` reopens it.
    """
    _facilitates(store, viewer, session_id)
    if phase not in PHASES:
        raise _problem("unknown phase", "phase", f"{phase!r} is not a phase; use one of {', '.join(PHASES)}")
    if phase == "closed":
        return close_session(store, viewer, session_id)
    now = utcnow()
    state = retro_state(store, session_id, now)
    store.save_retro_state(session_id, phase=phase, phase_started_at=now,
                           phase_ends_at=_timer_end(state.settings, phase, now), reopen=state.closed)
    return retro_state(store, session_id)


def step(store: "Store", viewer: Viewer, session_id: int, direction: int = 1) -> RetroState:
    """A facilitator moves the retro one phase forward (``direction=1``) or back (``-1``)."""
    _facilitates(store, viewer, session_id)
    if direction not in (1, -1):
        raise _problem("step one phase at a time", "direction", "use 1 (forward) or -1 (back)")
    at = retro_state(store, session_id).phase_index + direction
    if not 0 <= at < len(PHASES):
        raise _problem("no phase there", "phase", "this is the first phase" if at < 0 else "the retro is closed")
    return set_phase(store, viewer, session_id, PHASES[at])


def extend_timer(store: "Store", viewer: Viewer, session_id: int, seconds: int) -> RetroState:
    """A facilitator gives the current phase ``seconds`` more (starts a timer if none runs)."""
    _facilitates(store, viewer, session_id)
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not 0 < seconds <= MAX_TIMER_SECONDS:
        raise _problem("timer not changed", "seconds", f"give whole seconds from 1 to {MAX_TIMER_SECONDS}")
    now = utcnow()
    state = retro_state(store, session_id, now)
    if state.closed:
        raise _problem("this retro has ended", "phase", "reopen it (set a phase) first")
    start = max(now, state.phase_ends_at) if state.phase_ends_at is not None else now
    store.save_retro_state(session_id, phase_ends_at=start + dt.timedelta(seconds=seconds))
    return retro_state(store, session_id)


def end_timer(store: "Store", viewer: Viewer, session_id: int) -> RetroState:
    """A facilitator ends the phase's timer now (time is up; the phase stays until they step)."""
    _facilitates(store, viewer, session_id)
    state = retro_state(store, session_id)
    if state.closed:
        raise _problem("this retro has ended", "phase", "reopen it (set a phase) first")
    store.save_retro_state(session_id, phase_ends_at=utcnow() if state.phase_ends_at is not None else None)
    return retro_state(store, session_id)


def update_settings(store: "Store", viewer: Viewer, session_id: int, **overrides: Any) -> RetroState:
    """A facilitator changes this retro's settings (vote budget, cap, self-votes, authors, live cards, timers)."""
    _facilitates(store, viewer, session_id)
    clean = _clean_settings(overrides, "")
    row = store.get_retro_state(session_id)
    stored = dict(row.settings) if row is not None else {}
    if "timers" in clean:
        clean["timers"] = {**stored.get("timers", {}), **clean["timers"]}
    store.save_retro_state(session_id, settings={**stored, **clean})
    return retro_state(store, session_id)


def close_session(store: "Store", viewer: Viewer, session_id: int) -> RetroState:
    """A facilitator closes a retro: phase closed, no more cards, votes or changes; the board stays readable."""
    _facilitates(store, viewer, session_id)
    store.close_retro_session(session_id)
    return retro_state(store, session_id)


# --- cards ----------------------------------------------------------------------------------
def _card_text(text: Any) -> str:
    from .text import bad_character

    if not isinstance(text, str) or not text.strip():
        raise _problem("empty card", "text", "write something on the card")
    text = text.strip()
    if len(text) > MAX_CARD_CHARS:
        raise _problem("card too long", "text",
                       f"at most {MAX_CARD_CHARS} characters ({len(text)} written); split it into two cards")
    if bad_character(text):
        raise _problem("card not saved", "text", str(bad_character(text)))
    return text


def _require_phase(state: RetroState, allowed: Iterable[str], doing: str) -> None:
    allowed = tuple(allowed)
    if state.closed:
        raise _problem("this retro has ended", "phase", f"{doing} is no longer possible")
    if state.phase not in allowed:
        when = f"in the {allowed[0]} phase" if len(allowed) == 1 else \
            f"from the {allowed[0]} phase to the {allowed[-1]} phase"
        raise _problem(f"not now: the retro is in the {state.phase} phase", "phase", f"{doing} is possible {when}")


def add_card(store: "Store", viewer: Viewer, session_id: int, column_id: str, text: str) -> int:
    """A member writes a card in a column, during the write phase; returns the card's id."""
    session = _member_session(store, viewer, session_id)
    state = retro_state(store, session_id)
    _require_phase(state, ("write",), "adding cards")
    exercise = store.exercise(session.exercise_id, session.cohort_id)
    columns = [c.id for c in exercise.columns]
    if column_id not in columns:
        raise _problem("unknown column", "column", f"{column_id!r} is not a column; use one of {', '.join(columns)}")
    return store.add_retro_card(session_id, viewer.person_id, column_id, _card_text(text), visibility="cohort")


def _own_card(store: "Store", viewer: Viewer, card_id: int, doing: str) -> "RetroCard":
    card = store.get_card(card_id)
    if card.cohort_id != viewer.cohort_id or card.author_id != viewer.person_id or card.session_id is None:
        raise AccessDenied("Only the card's author can change it.")
    _require_phase(retro_state(store, card.session_id), ("write",), doing)
    return card


def edit_card(store: "Store", viewer: Viewer, card_id: int, text: str) -> None:
    """The author changes their card's text, during the write phase."""
    _own_card(store, viewer, card_id, "editing cards")
    store.edit_retro_card(card_id, viewer.person_id, _card_text(text))


def delete_card(store: "Store", viewer: Viewer, card_id: int) -> None:
    """The author removes their card, during the write phase."""
    _own_card(store, viewer, card_id, "deleting cards")
    store.delete_retro_card(card_id)


# --- the board ------------------------------------------------------------------------------
def _cards_shown(state: RetroState, viewer: Viewer, cards: Iterable["RetroCard"]) -> list["RetroCard"]:
    """Others' cards stay hidden until reveal (unless the retro shows them live)."""
    if state.phase in ("review", "write") and not state.settings.live_cards:
        return [c for c in cards if c.author_id == viewer.person_id]
    return list(cards)


def _votes_shown(state: RetroState) -> bool:
    """Totals of votes are shown once voting has ended."""
    return state.closed or state.phase_index > _AT["vote"]


def board(store: "Store", viewer: Viewer, session_id: int) -> Board:
    """What ``viewer`` may see of a retro now: phase, cards (anonymous unless the retro shows
    authors; others' hidden before reveal), groups, vote totals (hidden until voting ends, one's own
    always) and the votes they have left."""
    cards = visible_cards(store, viewer, session_id)  # refuses a retro of another cohort
    session = store.get_session(session_id)
    state = retro_state(store, session_id)
    exercise = store.exercise(session.exercise_id, session.cohort_id)
    cols = tuple((c.id, c.text) for c in exercise.columns)
    shown = _cards_shown(state, viewer, cards)
    votes = store.find_votes(session_id)
    card_votes = Counter(v.card_id for v in votes if v.group_id is None)
    group_votes = Counter(v.group_id for v in votes if v.group_id is not None)
    mine_card = Counter(v.card_id for v in votes if v.group_id is None and v.voter_id == viewer.person_id)
    mine_group = Counter(v.group_id for v in votes if v.group_id is not None and v.voter_id == viewer.person_id)
    used = sum(1 for v in votes if v.voter_id == viewer.person_id)
    open_votes = _votes_shown(state)
    names = store.member_names(session.cohort_id) if state.settings.show_authors else {}
    out: dict[str, list[Card]] = {cid: [] for cid, _ in cols}
    for c in sorted(shown, key=lambda c: c.id):
        out.setdefault(c.column_id, []).append(Card(
            c.id, c.column_id, c.text, card_votes[c.id] if open_votes else None, mine_card[c.id], c.group_id,
            c.author_id == viewer.person_id,
            names.get(c.author_id, "a former member") if state.settings.show_authors else None))
    if open_votes:
        for column in out.values():
            column.sort(key=lambda c: (-(c.votes or 0), c.id))
    shown_ids = {c.id for c in shown}
    groups = []
    for g in store.find_groups(session_id):
        ids = tuple(sorted(c.id for c in shown if c.group_id == g.id))
        if ids and set(ids) <= shown_ids:
            groups.append(Group(g.id, g.title, ids, group_votes[g.id] if open_votes else None, mine_group[g.id]))
    return Board(session_id, session.title, state, cols, out, groups,
                 max(0, state.settings.votes_per_person - used))


# --- votes ----------------------------------------------------------------------------------
def _vote_target(store: "Store", viewer: Viewer, card_id: int | None,
                 group_id: int | None) -> tuple[int, RetroState, list["RetroCard"]]:
    """The session of the card or group voted on, its state and the cards voted for (after the access rules)."""
    if (card_id is None) == (group_id is None):
        raise _problem("vote on one card or one group", "vote", "name a card or a group")
    if card_id is not None:
        card = store.get_card(card_id)
        session = store.get_session(card.session_id) if card.session_id is not None else None
        if session is None or not can_vote(viewer, session, card):
            raise AccessDenied("You cannot vote on this card.")
        targets = [card]
        session_id = session.id
    else:
        assert group_id is not None
        group = store.get_group(group_id)
        _member_session(store, viewer, group.session_id)
        session_id = group.session_id
        targets = [c for c in store.find_cards(session_id) if c.group_id == group_id]
        if not targets or not all(can_see_card(viewer, c) for c in targets):
            raise AccessDenied("You cannot vote on this group.")
    return session_id, retro_state(store, session_id), targets


def vote(store: "Store", viewer: Viewer, card_id: int | None = None, *, group_id: int | None = None) -> int:
    """A member votes on a card or a group during the vote phase; returns the votes they have left.

    The budget per person and the cap per card or group are the retro's settings, held by the
    database even when many vote at once; voting on one's own card is refused when the retro says so.
    """
    session_id, state, targets = _vote_target(store, viewer, card_id, group_id)
    if state.closed or state.phase_index > _AT["vote"]:
        raise _problem("voting has ended", "vote", "votes can no longer be cast or taken back")
    _require_phase(state, ("vote",), "voting")
    if not state.settings.allow_self_vote and all(c.author_id == viewer.person_id for c in targets):
        raise _problem("not on your own card", "vote", "this retro does not allow votes on your own cards")
    return store.cast_vote(session_id, viewer.person_id, card_id=card_id, group_id=group_id,
                           budget=state.settings.votes_per_person, cap=state.settings.cap_per_card)


def unvote(store: "Store", viewer: Viewer, card_id: int | None = None, *, group_id: int | None = None) -> int:
    """A member takes back one of their votes on a card or group (vote phase); returns the votes they have left."""
    session_id, state, _ = _vote_target(store, viewer, card_id, group_id)
    if state.closed or state.phase_index > _AT["vote"]:
        raise _problem("voting has ended", "vote", "votes can no longer be cast or taken back")
    _require_phase(state, ("vote",), "taking back votes")
    used = store.retract_vote(session_id, viewer.person_id, card_id=card_id, group_id=group_id)
    return max(0, state.settings.votes_per_person - used)


# --- groups ---------------------------------------------------------------------------------
_GROUPING = ("group", "vote", "discuss", "actions")


def _grouping(store: "Store", viewer: Viewer, session_id: int) -> RetroState:
    _facilitates(store, viewer, session_id)
    state = retro_state(store, session_id)
    _require_phase(state, _GROUPING, "grouping cards")
    return state


def _board_cards(store: "Store", viewer: Viewer, session_id: int, card_ids: Iterable[int]) -> list[int]:
    ids = list(dict.fromkeys(int(i) for i in card_ids))
    if not ids:
        raise _problem("a group needs cards", "card_ids", "select at least one card")
    visible = {c.id for c in visible_cards(store, viewer, session_id)}
    missing = [i for i in ids if i not in visible]
    if missing:
        raise _problem("not cards of this board", "card_ids",
                       f"card{'s' if len(missing) > 1 else ''} {', '.join(map(str, missing))} "
                       "not on this retro's board")
    return ids


def group_cards(store: "Store", viewer: Viewer, session_id: int, title: str, card_ids: Iterable[int]) -> int:
    """A facilitator groups cards under a title (group phase or later); returns the group's id."""
    _grouping(store, viewer, session_id)
    if not isinstance(title, str) or not title.strip():
        raise _problem("the group needs a title", "title", "name the group")
    return store.add_group(session_id, title, _board_cards(store, viewer, session_id, card_ids))


def _own_group(store: "Store", viewer: Viewer, group_id: int) -> int:
    group = store.get_group(group_id)
    _grouping(store, viewer, group.session_id)
    return group.session_id


def rename_group(store: "Store", viewer: Viewer, group_id: int, title: str) -> None:
    """A facilitator renames a group."""
    _own_group(store, viewer, group_id)
    store.rename_group(group_id, title)


def merge_groups(store: "Store", viewer: Viewer, group_ids: Sequence[int], title: str | None = None) -> int:
    """A facilitator merges groups into one (cards and votes follow); returns its id."""
    for g in group_ids:
        _own_group(store, viewer, g)
    return store.merge_groups(list(group_ids), title)


def ungroup_cards(store: "Store", viewer: Viewer, card_ids: Iterable[int]) -> None:
    """A facilitator takes cards out of their group (a split); a group left empty goes."""
    ids = list(card_ids)
    if not ids:
        raise _problem("no cards picked", "card_ids", "select the cards to take out of their group")
    sessions = {store.get_card(i).session_id for i in ids}
    if len(sessions) != 1 or None in sessions:
        raise _problem("cards of different retros", "card_ids", "pick cards of one retro")
    (session_id,) = sessions
    assert session_id is not None
    _grouping(store, viewer, session_id)
    store.ungroup_cards(session_id, _board_cards(store, viewer, session_id, ids))


def _normal(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def suggest_groups(store: "Store", viewer: Viewer, session_id: int) -> list[GroupSuggestion]:
    """Groups to propose to the facilitator, offline: cards written twice (the same words once
    normalised) as one group each (``duplicate``), and cards alike by TF-IDF cosine similarity
    (scikit-learn). Only cards not yet in a group; suggestions once rejected are not made again."""
    _facilitates(store, viewer, session_id)
    cards = [c for c in visible_cards(store, viewer, session_id) if c.group_id is None]
    row = store.get_retro_state(session_id)
    rejected = {tuple(sorted(r)) for r in (row.rejected if row is not None else [])}
    out: list[GroupSuggestion] = []
    by_text: dict[str, list["RetroCard"]] = {}
    for c in sorted(cards, key=lambda c: c.id):
        by_text.setdefault(_normal(c.text), []).append(c)
    singles = []
    for norm, same in by_text.items():
        if len(same) > 1 and norm:
            out.append(GroupSuggestion(_short(same[0].text), tuple(c.id for c in same), True))
        else:
            singles.append(same[0])
    # One card per distinct text takes part in the similarity (a duplicate set by its first card).
    pool = [same[0] for norm, same in by_text.items() if norm]
    if len(pool) >= 2:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.metrics.pairwise import cosine_similarity

        texts = [_normal(c.text) for c in pool]
        try:
            vectorizer = TfidfVectorizer(stop_words="english", ngram_range=(1, 1), sublinear_tf=True)
            matrix = vectorizer.fit_transform(texts)
        except ValueError:  # nothing but stop words
            matrix = None
        if matrix is not None:
            sim = cosine_similarity(matrix)
            parent = list(range(len(pool)))

            def find(i: int) -> int:
                while parent[i] != i:
                    parent[i] = parent[parent[i]]
                    i = parent[i]
                return i

            for i in range(len(pool)):
                for j in range(i + 1, len(pool)):
                    if sim[i, j] >= SIMILARITY:
                        parent[find(i)] = find(j)
            clusters: dict[int, list[int]] = {}
            for i in range(len(pool)):
                clusters.setdefault(find(i), []).append(i)
            terms = vectorizer.get_feature_names_out()
            for members in clusters.values():
                if len(members) < 2:
                    continue
                ids: list[int] = []
                for i in members:
                    ids += [c.id for c in by_text[_normal(pool[i].text)]]
                weights = matrix[members].sum(axis=0).A1
                top = [str(terms[k]) for k in weights.argsort()[::-1][:2] if weights[k] > 0]
                out.append(GroupSuggestion(" / ".join(top).capitalize() or _short(pool[members[0]].text),
                                           tuple(sorted(ids)), False))
    # A duplicate set that also joined a similarity cluster is proposed in the larger group only.
    bigger = [set(s.card_ids) for s in out if not s.duplicate]
    out = [s for s in out if not (s.duplicate and any(set(s.card_ids) < b for b in bigger))]
    return [s for s in out if tuple(sorted(s.card_ids)) not in rejected]


def _short(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n - 1].rstrip() + "…"


def accept_suggestion(store: "Store", viewer: Viewer, session_id: int, suggestion: GroupSuggestion,
                      title: str | None = None) -> int:
    """A facilitator accepts a suggested group (optionally under another title); returns the group's id."""
    return group_cards(store, viewer, session_id, title or suggestion.title, suggestion.card_ids)


def reject_suggestion(store: "Store", viewer: Viewer, session_id: int, suggestion: GroupSuggestion) -> None:
    """A facilitator turns a suggestion down: it is not proposed again for this retro."""
    _grouping(store, viewer, session_id)
    row = store.get_retro_state(session_id)
    rejected = list(row.rejected) if row is not None else []
    rejected.append(sorted(suggestion.card_ids))
    store.save_retro_state(session_id, rejected=rejected)


def discussion(store: "Store", viewer: Viewer, session_id: int) -> list[Topic]:
    """The groups (with their cards) and the cards in no group, most votes first: what to discuss."""
    b = board(store, viewer, session_id)
    cards = {c.id: c for c in b.all_cards()}
    topics = []
    for g in b.groups:
        members = tuple(cards[i] for i in g.card_ids if i in cards)
        topics.append(Topic(g.title, members, (g.votes or 0) + sum(c.votes or 0 for c in members), g.id))
    grouped = {i for g in b.groups for i in g.card_ids}
    for c in cards.values():
        if c.id not in grouped:
            topics.append(Topic(c.text, (c,), c.votes or 0, None))
    return sorted(topics, key=lambda t: (-t.votes, t.group_id is None, min((c.id for c in t.cards), default=0)))


# --- action items ---------------------------------------------------------------------------
def _action_text(text: Any) -> str:
    if not isinstance(text, str) or not text.strip():
        raise _problem("empty action item", "text", "say what will be done")
    if len(text.strip()) > MAX_CARD_CHARS:
        raise _problem("action item too long", "text", f"at most {MAX_CARD_CHARS} characters")
    return text.strip()


def add_action(store: "Store", viewer: Viewer, session_id: int, text: str, *, owner_id: str | None = None,
               due: dt.date | None = None) -> int:
    """A facilitator records an action item of a retro (owner by id, due date optional)."""
    _facilitates(store, viewer, session_id)
    if retro_state(store, session_id).closed:
        raise _problem("this retro has ended", "phase", "add action items to a running retro")
    return store.add_action_item(viewer.cohort_id, _action_text(text), session_id=session_id,
                                 owner_id=owner_id or None, due=due)


def set_action(store: "Store", viewer: Viewer, item_id: int, *, text: str | None = None, owner_id: Any = UNSET,
               due: Any = UNSET, status: str | None = None) -> None:
    """Change an action item: the facilitator anything; its owner its status (e.g. done)."""
    item = store.get_action_item(item_id)
    if item.cohort_id != viewer.cohort_id:
        raise AccessDenied("This action item is not part of your cohort.")
    if (text is not None or owner_id is not UNSET or due is not UNSET) and viewer.role != "facilitator":
        raise AccessDenied("Only a facilitator can change an action item's text, owner or due date.")
    if status is not None:
        if not can_set_action_status(viewer, item):
            raise AccessDenied("Only a facilitator or the action item's owner can change its status.")
        if status not in ACTION_STATUSES[:3]:
            raise _problem("unknown status", "status", f"use one of {', '.join(ACTION_STATUSES[:3])}")
    store.update_action_item(item_id, text=_action_text(text) if text is not None else None,
                             owner_id=owner_id, due=due, status=status)


def review_items(store: "Store", viewer: Viewer, session_id: int) -> list["ActionItem"]:
    """The open action items of the cohort's earlier retros (and of none), to review at the start of this one."""
    _member_session(store, viewer, session_id)
    return store.find_action_items(viewer.cohort_id, status="open", before_session=session_id)


def review_item(store: "Store", viewer: Viewer, session_id: int, item_id: int, outcome: str) -> None:
    """A facilitator marks an earlier retro's open item done, dropped, or carried: a carried item
    moves to this retro with its history (it is listed once, here)."""
    _facilitates(store, viewer, session_id)
    if outcome not in REVIEW_OUTCOMES:
        raise _problem("unknown outcome", "outcome", f"use one of {', '.join(REVIEW_OUTCOMES)}")
    if retro_state(store, session_id).closed:
        raise _problem("this retro has ended", "phase", "review items in a running retro")
    if item_id not in {i.id for i in review_items(store, viewer, session_id)}:
        raise _problem("not an item to review", "item",
                       f"action item {item_id} is no open item of an earlier retro of this cohort")
    if outcome == "carried":
        store.update_action_item(item_id, session_id=session_id, event="carried", event_session_id=session_id)
    else:
        store.update_action_item(item_id, status=outcome, event_session_id=session_id)


def action_history(store: "Store", viewer: Viewer, item_id: int) -> list["ActionEvent"]:
    """What happened to an action item, retro by retro (created, carried, done, ...)."""
    if store.get_action_item(item_id).cohort_id != viewer.cohort_id:
        raise AccessDenied("This action item is not part of your cohort.")
    return store.action_history(item_id)


def _open_first(items: Iterable["ActionItem"]) -> list["ActionItem"]:
    far = dt.date.max
    return sorted(items, key=lambda i: (i.status != "open", i.due or far, i.id))


def my_actions(store: "Store", viewer: Viewer) -> list["ActionItem"]:
    """The action items ``viewer`` owns across the cohort's retros, open ones first (each once)."""
    return _open_first(i for i in store.find_action_items(viewer.cohort_id, owner_id=viewer.person_id)
                       if i.status != "carried")


def action_items(store: "Store", viewer: Viewer, *, status: str | None = "open",
                 session_id: int | None = None) -> list["ActionItem"]:
    """The cohort's action items (open ones by default), for any member; each listed once."""
    return [i for i in store.find_action_items(viewer.cohort_id, status=status, session_id=session_id)
            if i.status != "carried"]


def participation(store: "Store", viewer: Viewer, session_id: int) -> Participation:
    """Live participation in a session (facilitators only: it names who has not contributed yet)."""
    session = _facilitates(store, viewer, session_id)
    expected = store.find_members(session.cohort_id, "participant")
    authors = {e.author_id for e in store.find_entries(session.cohort_id, session_id=session_id)}
    missing = tuple(m.name for m in expected if m.person_id not in authors)
    return Participation(len([m for m in expected if m.person_id in authors]), len(expected), missing)


# --- export ---------------------------------------------------------------------------------
def export_retro(store: "Store", viewer: Viewer, session_id: int, out_dir: Path) -> tuple[Path, Path]:
    """A facilitator exports a closed retro: Markdown (to read) and CSV (cards, groups, votes, action items).

    Cards as the facilitator's board shows them (authors only when the retro shows authors); vote
    totals, never who voted. The files are logged, so a later erasure lists them.
    """
    session = _facilitates(store, viewer, session_id)
    state = retro_state(store, session_id)
    if not state.closed:
        raise _problem("this retro is still running", "session", "close it first, then export it")
    b = board(store, viewer, session_id)
    names = store.member_names(session.cohort_id)
    items = action_items(store, viewer, status=None, session_id=session_id)
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _problem("cannot write the export", "out", f"{out_dir}: {exc.strerror or exc}") from None
    stem = f"retro-{session_id}"
    md, csv_path = out_dir / f"{stem}.md", out_dir / f"{stem}.csv"
    groups = {g.id: g for g in b.groups}
    col_title = dict(b.columns)

    def who(pid: str | None) -> str:
        return names.get(pid, "a former member") if pid else ""

    lines = [f"# {session.title}", "",
             f"Retro {session_id} ({session.exercise_id}), opened {session.opens_at:%Y-%m-%d %H:%M} UTC.", ""]
    for cid, title in b.columns:
        lines += [f"## {title}", ""]
        for c in b.cards.get(cid, []):
            group = f" — group: {groups[c.group_id].title}" if c.group_id in groups else ""
            by = f" ({c.author})" if c.author else ""
            lines.append(f"- {c.text}{by} — {c.votes or 0} vote{'s' if (c.votes or 0) != 1 else ''}{group}")
        lines.append("")
    if b.groups:
        lines += ["## Groups", ""]
        for t in discussion(store, viewer, session_id):
            if t.group_id is not None:
                lines.append(f"- **{t.title}** — {t.votes} votes: " + "; ".join(t.card_texts))
        lines.append("")
    lines += ["## Action items", ""]
    for i in items:
        bits = [f"owner: {who(i.owner_id)}" if i.owner_id else "no owner",
                f"due {i.due.isoformat()}" if i.due else "", i.status]
        history = [e.kind for e in store.action_history(i.id)]
        if "carried" in history:
            bits.append(f"carried {history.count('carried')}×")
        lines.append(f"- {i.text} ({', '.join(b_ for b_ in bits if b_)})")
    if not items:
        lines.append("(none)")
    md.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with csv_path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["kind", "id", "column", "group", "text", "votes", "author", "owner", "due", "status"])
        for c in b.all_cards():
            w.writerow(["card", c.id, col_title.get(c.column, c.column),
                        groups[c.group_id].title if c.group_id in groups else "", c.text, c.votes or 0,
                        c.author or "", "", "", ""])
        for g in b.groups:
            w.writerow(["group", g.id, "", g.title, g.title, g.votes or 0, "", "", "", ""])
        for i in items:
            w.writerow(["action", i.id, "", "", i.text, "", "", who(i.owner_id),
                        i.due.isoformat() if i.due else "", i.status])
    shown = len(b.all_cards())
    for path, fmt in ((md, "retro-md"), (csv_path, "retro-csv")):
        store.log_export(session.cohort_id, fmt, path, shown)
    return md, csv_path
