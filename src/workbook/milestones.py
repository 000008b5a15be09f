"""Milestones: recorded by the rules in this module (evaluated after a save or a goal change) and
by hand by a facilitator or the person's coach. The rules are the one place that says what earns a
milestone; :func:`evaluate` is idempotent (each rule records a milestone once)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import access
from .access import Viewer
from .errors import FieldProblem, ValidationError
from .mentoring import _zone
from .store.models import Entry, Goal, Milestone

if TYPE_CHECKING:
    from .store import Store

__all__ = ["Rule", "RULES", "Facts", "evaluate", "record_milestone", "milestones_of", "after_save"]

#: The exercise whose submission is a milestone of its own (exercises/templates/milestone.toml).
MILESTONE_EXERCISE = "milestone"
WEEKS_IN_A_ROW = 4


@dataclass(frozen=True)
class Facts:
    """What the rules look at for one person: their entries and goals up to ``now``."""

    entries: tuple[Entry, ...]  # oldest first
    goals: tuple[Goal, ...]
    tz: str
    now: dt.datetime


#: A rule finds (key, title, entry id, when) tuples; the key makes it idempotent (once per key and
#: person); ``when`` is the moment it was earned (the entry's time; None: the evaluation's ``now``).
Found = tuple[str, str, "int | None", "dt.datetime | None"]


@dataclass(frozen=True)
class Rule:
    """One way to earn a milestone."""

    name: str
    description: str
    find: Callable[[Facts], list[Found]]


def _first_checkin(f: Facts) -> list[Found]:
    first = next((e for e in f.entries if e.kind == "checkin"), None)
    return [("first-checkin", "First check-in with a mentor", first.id, first.created_at)] if first else []


def _weeks_in_a_row(f: Facts) -> list[Found]:
    zone = _zone(f.tz)
    reflections = [e for e in f.entries if e.kind == "reflection"]
    mondays = sorted({(d := e.created_at.astimezone(zone).date()) - dt.timedelta(days=d.weekday())
                      for e in reflections})
    run = 0
    for i, monday in enumerate(mondays):
        run = run + 1 if i and (monday - mondays[i - 1]).days == 7 else 1
        if run >= WEEKS_IN_A_ROW:
            last = max((e for e in reflections
                        if e.created_at.astimezone(zone).date() - dt.timedelta(
                            days=e.created_at.astimezone(zone).weekday()) == monday), key=lambda e: e.created_at)
            return [("weekly-reflections-4", f"{WEEKS_IN_A_ROW} weeks of reflections in a row", last.id,
                     last.created_at)]
    return []


def _goal_reached(f: Facts) -> list[Found]:
    return [(f"goal-reached:{g.id}", f"Reached a goal: {g.title}"[:300], None, min(g.updated_at, f.now))
            for g in f.goals if g.status == "reached"]


def _milestone_reflection(f: Facts) -> list[Found]:
    # The title names the exercise, never its answers (the entry may be private).
    return [(f"milestone-reflection:{e.id}", "Wrote a milestone reflection", e.id, e.created_at) for e in f.entries
            if e.exercise_id == MILESTONE_EXERCISE]


RULES: tuple[Rule, ...] = (
    Rule("first check-in", "the first check-in the person writes", _first_checkin),
    Rule("four weekly reflections in a row", f"reflections in {WEEKS_IN_A_ROW} consecutive weeks (Monday to "
         "Sunday, in the cohort's time zone)", _weeks_in_a_row),
    Rule("a goal reached", "each goal marked reached (or 100 % progress)", _goal_reached),
    Rule("a milestone reflection", "each \"Milestone reflection\" exercise submitted", _milestone_reflection),
)


def evaluate(store: "Store", cohort_id: str, person_id: str, *, now: dt.datetime | None = None) -> list[Milestone]:
    """Run every rule for a person; record what they earned and did not have yet; return those new ones.

    Called after an entry is saved (:func:`after_save`) and after a goal is reached; calling it
    again records nothing twice. Entries after ``now`` are not looked at (a frozen clock in tests).
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    cohort = store.get_cohort(cohort_id)
    entries = tuple(e for e in store.find_entries(cohort_id, author_id=person_id, newest_first=False)
                    if e.created_at <= now)
    facts = Facts(entries, tuple(store.find_goals(cohort_id, person_id)), cohort.timezone, now)
    have = {m.rule for m in store.find_milestones(cohort_id, person_id) if m.rule}
    new = []
    for rule in RULES:
        for key, title, entry_id, when in rule.find(facts):
            if key in have:
                continue
            mid = store.add_milestone(cohort_id, person_id, title, entry_id=entry_id, at=when or now, rule=key,
                                      notice=(person_id, "milestone", None, f"Milestone: {title}", "home"))
            have.add(key)
            new.append(store.get_milestone(mid))
    return new


def after_save(store: "Store", entry: Entry, *, now: dt.datetime | None = None) -> list[Milestone]:
    """What a surface calls after saving an entry: the milestone rules for its author."""
    return evaluate(store, entry.cohort_id, entry.author_id, now=now or max(entry.created_at, entry.updated_at))


def record_milestone(store: "Store", viewer: Viewer, person_id: str, title: str, *, due: dt.date | None = None,
                     now: dt.datetime | None = None) -> Milestone:
    """A facilitator or the person's coach records a milestone (optionally with a due date)."""
    access.check_record_milestone(store, viewer, person_id)
    text = (title or "").strip()
    if not text:
        raise ValidationError("the milestone was not recorded", [FieldProblem("title", "name the milestone")])
    if due is not None and (not isinstance(due, dt.date) or isinstance(due, dt.datetime)):
        raise ValidationError("the milestone was not recorded", [FieldProblem("due", "give a day (YYYY-MM-DD)")])
    names = store.member_names(viewer.cohort_id)
    mid = store.add_milestone(viewer.cohort_id, person_id, text, at=now, recorded_by=viewer.person_id, due=due,
                              notice=(person_id, "milestone", viewer.person_id,
                                      f"{names.get(viewer.person_id, 'Your coach')} recorded a milestone: {text}",
                                      "home"))
    return store.get_milestone(mid)


def milestones_of(store: "Store", viewer: Viewer, person_id: str) -> list[Milestone]:
    """A person's milestones, oldest first (themself, their coach, a facilitator)."""
    access.check_see_milestones(store, viewer, person_id)
    return store.find_milestones(viewer.cohort_id, person_id)


def rules_table() -> Sequence[tuple[str, str]]:
    """(name, description) of every rule, for documentation and pages."""
    return [(r.name, r.description) for r in RULES]
