"""Plain frozen records returned by the store. They carry no connection and no behaviour."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["participant", "coach", "facilitator"]
Visibility = Literal["private", "coach", "cohort"]
ROLES: tuple[str, ...] = ("participant", "coach", "facilitator")
VISIBILITIES: tuple[str, ...] = ("private", "coach", "cohort")


@dataclass(frozen=True)
class Cohort:
    id: str
    name: str
    timezone: str
    min_group_size: int = 5
    default_visibility: str = "coach"
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    email: str


@dataclass(frozen=True)
class Membership:
    cohort_id: str
    person_id: str
    name: str
    email: str
    role: str
    coach_id: str | None = None
    skills: tuple[str, ...] = ()
    aspirations: tuple[str, ...] = ()
    timezone: str = "UTC"
    languages: tuple[str, ...] = ()
    capacity: int = 0
    manager: str = ""
    active: bool = True
    coach_since: dt.datetime | None = None  # when the roster's coach column last named coach_id


@dataclass(frozen=True)
class Session:
    id: int
    cohort_id: str
    exercise_id: str
    title: str
    facilitator_id: str | None
    opens_at: dt.datetime
    closes_at: dt.datetime | None

    def is_open(self, at: dt.datetime) -> bool:
        """True when entries may be submitted to this session at ``at``."""
        return self.opens_at <= at and (self.closes_at is None or at < self.closes_at)


@dataclass(frozen=True)
class Entry:
    id: int
    cohort_id: str
    author_id: str
    exercise_id: str
    kind: str
    session_id: int | None
    visibility: str
    answers: dict[str, Any]
    mood: int | None
    client_id: str | None
    revision: int
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True)
class Revision:
    entry_id: int
    revision: int
    answers: dict[str, Any]
    visibility: str
    edited_by: str
    created_at: dt.datetime


@dataclass(frozen=True)
class Comment:
    id: int
    entry_id: int
    author_id: str
    body: str
    created_at: dt.datetime
    released_at: dt.datetime | None

    @property
    def released(self) -> bool:
        return self.released_at is not None


@dataclass(frozen=True)
class Pairing:
    id: int
    cohort_id: str
    coach_id: str
    mentee_id: str
    status: str  # "proposed", "active", "fixed"; "roster" for a pair only the roster's coach column makes
    score: float | None
    reasons: tuple[str, ...]
    created_at: dt.datetime


@dataclass(frozen=True)
class Goal:
    id: int
    cohort_id: str
    person_id: str
    title: str  # the "what" of a SMART goal
    target_date: dt.date | None
    progress: int
    status: str  # "proposed", "agreed", "reached", "dropped" (see workbook.goals.GOAL_STATUSES)
    created_at: dt.datetime
    updated_at: dt.datetime
    measure: str = ""  # how it is measured
    proposed_by: str | None = None  # the owner or their coach (or a facilitator)
    agreed_at: dt.datetime | None = None


@dataclass(frozen=True)
class AccessGrant:
    """What a valid token grants: who it is, where, and as what (plus their roster role now)."""

    person_id: str
    cohort_id: str
    role: str
    expires_at: dt.datetime | None
    member_role: str = ""


@dataclass(frozen=True)
class GoalProgress:
    """One progress record of a goal (see :meth:`Store.goal_history`)."""

    goal_id: int
    progress: int
    note: str
    entry_id: int | None  # the check-in it was recorded in, if any
    created_at: dt.datetime


@dataclass(frozen=True)
class Kudos:
    """Peer recognition from one member to another."""

    id: int
    cohort_id: str
    from_id: str
    to_id: str
    message: str
    created_at: dt.datetime
    visibility: str = "receiver"  # "cohort" (on the kudos wall) or "receiver" (only the person thanked)


@dataclass(frozen=True)
class Milestone:
    """A milestone a person reached (optionally recorded in an entry)."""

    id: int
    cohort_id: str
    person_id: str
    title: str
    entry_id: int | None
    achieved_at: dt.datetime
    rule: str | None = None  # the rule of workbook.milestones that recorded it, if any
    recorded_by: str | None = None  # the facilitator or coach who recorded it by hand
    due: dt.date | None = None


@dataclass(frozen=True)
class RetroCard:
    """A retro card with what access rules need of its entry (author, visibility, cohort) and its votes."""

    id: int
    entry_id: int
    session_id: int | None
    column_id: str
    position: int
    text: str
    group_id: int | None
    author_id: str
    visibility: str
    cohort_id: str
    votes: int


@dataclass(frozen=True)
class RetroGroup:
    """A theme cards of a retro session are grouped under."""

    id: int
    session_id: int
    title: str
    created_at: dt.datetime


@dataclass(frozen=True)
class ActionItem:
    """An action item out of a retro; ``carried_from`` is the item it continues from an earlier retro."""

    id: int
    cohort_id: str
    session_id: int | None
    text: str
    owner_id: str | None
    due: dt.date | None
    status: str  # "open", "done", "dropped" ("carried": copied by an older workbook, the copy is the live one)
    carried_from: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True)
class RetroStateRow:
    """A retro session's stored state (see :class:`workbook.retro.RetroState` for what callers read)."""

    session_id: int
    phase: str
    phase_started_at: dt.datetime
    phase_ends_at: dt.datetime | None
    settings: dict[str, Any]
    rejected: list[list[int]]
    revision: int


@dataclass(frozen=True)
class RetroVote:
    """One vote: on a card, or on a group (``group_id`` set; ``card_id`` is then a card of the group)."""

    id: int
    session_id: int
    card_id: int
    group_id: int | None
    voter_id: str
    slot: int


@dataclass(frozen=True)
class ActionEvent:
    """One step in an action item's history: created, carried, done, dropped, reopened, edited."""

    item_id: int
    session_id: int | None
    kind: str
    created_at: dt.datetime


@dataclass(frozen=True)
class RosterImport:
    """What :meth:`Store.import_roster` did, in counts of memberships."""

    created: int
    updated: int
    deactivated: int  # active members the roster no longer lists
    skipped: dict[str, dt.datetime] = field(default_factory=dict)  # erased people the roster lists -> erased at
    readmitted: tuple[str, ...] = ()  # people whose erasure was closed on purpose, so they are back


@dataclass(frozen=True)
class SentMessage:
    """One row of the send log: a message of ``kind`` went to ``person_id`` about ``about`` (never its key)."""

    id: int
    cohort_id: str
    person_id: str
    kind: str
    about: str
    address: str
    message_id: str
    sent_at: dt.datetime


@dataclass(frozen=True)
class CheckinPlan:
    """The next check-in date scheduled for a pair (overrides the cadence)."""

    cohort_id: str
    coach_id: str
    mentee_id: str
    next_date: dt.date
    set_by: str
    updated_at: dt.datetime


@dataclass(frozen=True)
class Pulse:
    """A mentee's one-question answer after the first check-in with a new mentor."""

    id: int
    cohort_id: str
    coach_id: str
    mentee_id: str
    answer: str
    created_at: dt.datetime


@dataclass(frozen=True)
class Notice:
    """Something a person is told on their home page (never the content itself)."""

    id: int
    cohort_id: str
    person_id: str
    actor_id: str | None
    kind: str  # "comment", "kudos", "milestone"
    text: str
    link_page: str
    created_at: dt.datetime
    seen_at: dt.datetime | None

    @property
    def at(self) -> dt.datetime:
        return self.created_at
