"""A member's home page data: open forms, the running retro, goals, the action items they own, new
coach comments, their streak, kudos received, milestones and the pulse when it is due. Plus the
notices (what happened since they last looked) and, for coaches, their last visit."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import access, retro
from .access import Viewer
from .mentoring import PairHealth, Streak, _zone, needs_pulse, week_streak
from .store.models import ActionItem, Goal, Kudos, Milestone, Notice, Session

if TYPE_CHECKING:
    from .store import Store

__all__ = ["OpenForm", "Home", "Notice", "home", "notices", "mark_seen", "STANDING_FORMS"]

#: Forms a member may always fill in (page, exercise id); exercises of open sessions are added.
STANDING_FORMS: tuple[tuple[str, str], ...] = (("reflection", "gibbs"), ("checkin", "mentorship-checkin"))
#: The page an exercise of each kind is written on.
PAGE_OF_KIND = {"reflection": "reflection", "checkin": "checkin", "retro": "retro"}


@dataclass(frozen=True)
class OpenForm:
    """A form the member can fill in now: its exercise, title and page (plus the session, if any)."""

    exercise_id: str
    title: str
    page: str
    session_id: int | None = None


@dataclass(frozen=True)
class Home:
    """Everything a member's home page shows (see :func:`home`)."""

    viewer: Viewer
    name: str
    open_forms: list[OpenForm]
    running_retro: Session | None
    goals: list[Goal]
    actions: list[ActionItem]
    new_comments: list[Notice]
    streak: Streak
    kudos_received: list[Kudos]
    milestones: list[Milestone]
    pulse_due: PairHealth | None
    notices: list[Notice]
    coaches: list[str]  # names of the member's coaches now


def notices(store: "Store", viewer: Viewer) -> list[Notice]:
    """What the viewer has not seen yet, newest first: released coach comments, kudos received,
    milestones (and, for facilitators, pulses that flagged a pair). Never the content itself."""
    return store.find_notices(viewer.cohort_id, viewer.person_id)


def mark_seen(store: "Store", viewer: Viewer) -> None:
    """The viewer has seen their notices (the home page calls this once it showed them)."""
    store.mark_notices_seen(viewer.cohort_id, viewer.person_id)


def _my_actions(store: "Store", viewer: Viewer) -> list[ActionItem]:
    mine = getattr(retro, "my_actions", None)
    if mine is not None:
        return list(mine(store, viewer))
    return [a for a in retro.action_items(store, viewer) if a.owner_id == viewer.person_id]


def _open_forms(store: "Store", viewer: Viewer, now: dt.datetime, has_coach: bool) -> list[OpenForm]:
    forms: list[OpenForm] = []
    catalogue = store.catalogue(viewer.cohort_id)
    for page, exercise_id in STANDING_FORMS:
        if page == "checkin" and not has_coach:
            continue
        if exercise_id in catalogue:
            forms.append(OpenForm(exercise_id, catalogue.get(exercise_id).title, page))
    for s in store.find_sessions(viewer.cohort_id):
        if not s.is_open(now):
            continue
        exercise = store.exercise(s.exercise_id, viewer.cohort_id)
        page = PAGE_OF_KIND.get(exercise.kind)
        if page is not None:
            forms.append(OpenForm(exercise.id, s.title or exercise.title, page, s.id))
    return forms


def home(store: "Store", viewer: Viewer, *, now: dt.datetime | None = None) -> Home:
    """The viewer's home page data (any member of the cohort, about themself only)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    member = store.get_membership(viewer.cohort_id, viewer.person_id)
    cohort = store.get_cohort(viewer.cohort_id)
    names = store.member_names(viewer.cohort_id)
    coaches = sorted(store.coaches_of(viewer.cohort_id, viewer.person_id))
    zone = _zone(cohort.timezone)
    own = access.journal(store, viewer, until=now)
    streak = week_streak([e.created_at.astimezone(zone).date() for e in own if e.kind == "reflection"],
                         until=now.astimezone(zone).date())
    unseen = notices(store, viewer)
    from .kudos import kudos_received

    return Home(
        viewer=viewer, name=member.name,
        open_forms=_open_forms(store, viewer, now, bool(coaches)),
        running_retro=retro.current_retro(store, viewer.cohort_id, now),
        goals=store.find_goals(viewer.cohort_id, viewer.person_id),
        actions=_my_actions(store, viewer),
        new_comments=[n for n in unseen if n.kind == "comment"],
        streak=streak,
        kudos_received=kudos_received(store, viewer),
        milestones=store.find_milestones(viewer.cohort_id, viewer.person_id),
        pulse_due=needs_pulse(store, viewer, now=now),
        notices=unseen,
        coaches=[names.get(c, c) for c in coaches],
    )
