"""Goals in SMART form: what, how it is measured, a target date; proposed by one side of a pair,
agreed by the other, then reached or dropped. Who may do what is asked of :mod:`workbook.access`;
progress is recorded in a check-in (:func:`workbook.access.record_progress`)."""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from . import access
from .access import Viewer
from .errors import FieldProblem, NotFoundError, ValidationError
from .store.mentoring import GOAL_STATUSES
from .store.models import Goal

if TYPE_CHECKING:
    from .store import Store

__all__ = ["GOAL_STATUSES", "Goal", "create_goal", "edit_goal", "agree_goal", "set_goal_status", "goals_of"]

#: Statuses a goal may be moved to by :func:`set_goal_status`.
FINAL_STATUSES = ("reached", "dropped")
WHAT_LIMIT, MEASURE_LIMIT = 300, 1000


def _today(store: "Store", cohort_id: str, now: dt.datetime | None) -> dt.date:
    from .mentoring import _zone

    return (now or dt.datetime.now(dt.timezone.utc)).astimezone(_zone(store.get_cohort(cohort_id).timezone)).date()


def _smart_problems(store: "Store", cohort_id: str, *, what: str | None, measure: str | None,
                    target_date: object, now: dt.datetime | None, new: bool) -> list[FieldProblem]:
    problems = []
    if what is not None or new:
        if not (what or "").strip():
            problems.append(FieldProblem("what", "say what you want to achieve"))
        elif len(what or "") > WHAT_LIMIT:
            problems.append(FieldProblem("what", f"is {len(what or ''):,} characters long; the limit is {WHAT_LIMIT}"))
    if measure is not None or new:
        if not (measure or "").strip():
            problems.append(FieldProblem("measure", "say how you will know you got there"))
        elif len(measure or "") > MEASURE_LIMIT:
            problems.append(FieldProblem("measure", f"is {len(measure or ''):,} characters long; "
                                                    f"the limit is {MEASURE_LIMIT}"))
    if target_date is not None or new:
        if target_date is None:
            problems.append(FieldProblem("target_date", "pick the date you aim to reach it by"))
        elif not isinstance(target_date, dt.date) or isinstance(target_date, dt.datetime):
            problems.append(FieldProblem("target_date", "give a day (YYYY-MM-DD)"))
        else:
            today = _today(store, cohort_id, now)
            if target_date < today:
                problems.append(FieldProblem("target_date", f"{target_date.isoformat()} is in the past "
                                                            f"(today is {today.isoformat()}); pick a later date"))
    return problems


def create_goal(store: "Store", viewer: Viewer, person_id: str, what: str, *, measure: str,
                target_date: dt.date, now: dt.datetime | None = None) -> Goal:
    """A new SMART goal for ``person_id``, set by themself or proposed by their coach (or a facilitator).

    It starts "proposed": the other side of the pair agrees it (:func:`agree_goal`). A missing
    what or measure, or a target date in the past, is refused (ValidationError, nothing stored).
    """
    access.check_goals(store, viewer, person_id, "set")
    problems = _smart_problems(store, viewer.cohort_id, what=what, measure=measure, target_date=target_date,
                               now=now, new=True)
    if problems:
        raise ValidationError("the goal was not saved", problems)
    return store.add_goal(viewer.cohort_id, person_id, what.strip(), measure=measure.strip(),
                          target_date=target_date, proposed_by=viewer.person_id, status="proposed", at=now)


def _goal_in_cohort(store: "Store", viewer: Viewer, goal_id: int) -> Goal:
    goal = store.get_goal(goal_id)
    if goal.cohort_id != viewer.cohort_id:  # another cohort's goal: as if it did not exist
        raise NotFoundError("goal", goal_id)
    return goal


def edit_goal(store: "Store", viewer: Viewer, goal_id: int, *, what: str | None = None, measure: str | None = None,
              target_date: dt.date | None = None, now: dt.datetime | None = None) -> Goal:
    """Change a goal's what, measure or target date (owner, their coach or a facilitator).

    An agreed goal whose what, measure or date changes goes back to "proposed" for the other
    side to agree again; a reached or dropped goal is no longer edited.
    """
    goal = _goal_in_cohort(store, viewer, goal_id)
    access.check_goals(store, viewer, goal.person_id, "change")
    if goal.status in FINAL_STATUSES:
        raise ValidationError("the goal is closed", [FieldProblem("status", f"it was {goal.status}; "
                                                                            "set a new goal instead")])
    problems = _smart_problems(store, viewer.cohort_id, what=what, measure=measure,
                               target_date=target_date if target_date != goal.target_date else None, now=now,
                               new=False)
    if problems:
        raise ValidationError("the goal was not changed", problems)
    changed = ((what is not None and what.strip() != goal.title) or (measure is not None and measure.strip() != goal.measure)
               or (target_date is not None and target_date != goal.target_date))
    if not changed:
        return goal
    # A changed goal is a new proposal of whoever changed it: the other side agrees again.
    return store.update_goal(goal_id, title=what.strip() if what is not None else None,
                             measure=measure.strip() if measure is not None else None,
                             target_date=target_date, status="proposed", proposed_by=viewer.person_id, at=now)


def agree_goal(store: "Store", viewer: Viewer, goal_id: int, *, now: dt.datetime | None = None) -> Goal:
    """The other side of the pair agrees a proposed goal (both then see it as "agreed")."""
    goal = _goal_in_cohort(store, viewer, goal_id)
    access.check_agree_goal(store, viewer, goal)
    if goal.status != "proposed":
        raise ValidationError("nothing to agree", [FieldProblem("status", f"the goal is already {goal.status}")])
    return store.update_goal(goal_id, status="agreed", at=now)


def set_goal_status(store: "Store", viewer: Viewer, goal_id: int, status: str, *,
                    now: dt.datetime | None = None) -> Goal:
    """Mark a goal "reached" or "dropped" (owner, their coach or a facilitator). Reaching one records
    the "goal reached" milestone (:mod:`workbook.milestones`)."""
    goal = _goal_in_cohort(store, viewer, goal_id)
    access.check_goals(store, viewer, goal.person_id, "change")
    if status not in FINAL_STATUSES:
        raise ValidationError("unknown goal status", [FieldProblem("status", "use reached or dropped")])
    if goal.status == status:
        return goal
    updated = store.update_goal(goal_id, status=status, at=now)
    if status == "reached":
        from . import milestones

        milestones.evaluate(store, goal.cohort_id, goal.person_id, now=now)
    return updated


def goals_of(store: "Store", viewer: Viewer, person_id: str) -> list[Goal]:
    """A person's goals, oldest first (themself, their coach, a facilitator)."""
    access.check_goals(store, viewer, person_id, "see")
    return store.find_goals(viewer.cohort_id, person_id)

