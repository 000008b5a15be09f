"""Milestone rules with a frozen clock; milestones by hand (facilitator or coach only)."""
from __future__ import annotations

import datetime as dt

import pytest

from workbook import AccessDenied, Store, ValidationError, milestones
from workbook.access import Viewer

from .conftest import dump

G = {"description": "d", "evaluation": "e", "conclusion": "c"}
# A Monday noon in the cohort's zone (Europe/London, GMT in winter).
MONDAY = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.timezone.utc)
P01 = Viewer("p01", "example", "participant")


def rules(store: Store, person: str = "p01") -> list[str]:
    return sorted(m.rule or "" for m in store.find_milestones("example", person))


def test_first_checkin_once(example: Store) -> None:
    e = example.add_entry("example", "p01", "mentorship-checkin", {"mood": 3}, created_at=MONDAY)
    assert milestones.evaluate(example, "example", "p01", now=MONDAY - dt.timedelta(days=1)) == []  # not yet
    [m] = milestones.evaluate(example, "example", "p01", now=MONDAY)
    assert (m.rule, m.entry_id, m.achieved_at, m.title) == ("first-checkin", e.id, MONDAY,  # earned when written
                                                             "First check-in with a mentor")
    example.add_entry("example", "p01", "mentorship-checkin", {"mood": 3}, created_at=MONDAY + dt.timedelta(days=7))
    assert milestones.evaluate(example, "example", "p01", now=MONDAY + dt.timedelta(days=8)) == []  # idempotent
    assert rules(example) == ["first-checkin"]


def test_four_weekly_reflections_in_a_row(example: Store) -> None:
    for week in (0, 1, 2):
        example.add_entry("example", "p01", "gibbs", G, created_at=MONDAY + dt.timedelta(weeks=week))
    example.add_entry("example", "p01", "gibbs", G, created_at=MONDAY + dt.timedelta(weeks=4))  # a gap
    assert milestones.evaluate(example, "example", "p01", now=MONDAY + dt.timedelta(weeks=5)) == []
    # Sunday 23:30 in London is still week 3 (Monday-based weeks in the cohort's zone)
    sunday = MONDAY + dt.timedelta(weeks=3, days=6, hours=11, minutes=30)
    last = example.add_entry("example", "p01", "gibbs", G, created_at=sunday)
    [m] = milestones.evaluate(example, "example", "p01", now=MONDAY + dt.timedelta(weeks=5))
    assert m.rule == "weekly-reflections-4" and m.entry_id == last.id
    assert milestones.evaluate(example, "example", "p01", now=MONDAY + dt.timedelta(weeks=6)) == []


def test_three_weeks_are_not_enough(example: Store) -> None:
    for week in (0, 1, 2):
        example.add_entry("example", "p01", "gibbs", G, created_at=MONDAY + dt.timedelta(weeks=week))
    example.add_entry("example", "p01", "gibbs", G, created_at=MONDAY + dt.timedelta(weeks=2, days=1))
    assert milestones.evaluate(example, "example", "p01", now=MONDAY + dt.timedelta(weeks=3)) == []


def test_milestone_reflection_names_no_answer(example: Store) -> None:
    answers = {"milestone": "SECRET promotion", "achievements": ["a"], "next_milestone": "n"}
    e = example.add_entry("example", "p01", "milestone", answers, visibility="private", created_at=MONDAY)
    [m] = milestones.after_save(example, e)
    assert m.rule == f"milestone-reflection:{e.id}" and "SECRET" not in m.title and m.entry_id == e.id
    e2 = example.add_entry("example", "p01", "milestone", answers, created_at=MONDAY + dt.timedelta(days=30))
    assert [x.rule for x in milestones.after_save(example, e2)] == [f"milestone-reflection:{e2.id}"]


def test_goal_reached_rule(example: Store) -> None:
    g = example.add_goal("example", "p01", "Lead a meeting")
    assert milestones.evaluate(example, "example", "p01", now=MONDAY) == []
    example.record_goal_progress(g.id, "p01", 100)
    [m] = milestones.evaluate(example, "example", "p01", now=MONDAY)
    assert m.rule == f"goal-reached:{g.id}" and m.title == "Reached a goal: Lead a meeting"


def test_every_rule_is_listed() -> None:
    assert [r.name for r in milestones.RULES] == ["first check-in", "four weekly reflections in a row",
                                                   "a goal reached", "a milestone reflection"]


def test_record_by_hand(example: Store) -> None:
    due = dt.date(2027, 1, 31)
    m = milestones.record_milestone(example, Viewer("c01", "example", "coach"), "p01", "Presented to the board",
                                    due=due)
    assert (m.recorded_by, m.due, m.rule) == ("c01", due, None)
    assert milestones.record_milestone(example, Viewer("f01", "example", "facilitator"), "p01", "Another").id
    before = dump(example)
    for who in (P01, Viewer("c02", "example", "coach"), Viewer("p02", "example", "participant")):
        with pytest.raises(AccessDenied):
            milestones.record_milestone(example, who, "p01", "Sneaky")
    with pytest.raises(ValidationError):
        milestones.record_milestone(example, Viewer("c01", "example", "coach"), "p01", "  ")
    assert dump(example) == before
    assert [x.title for x in milestones.milestones_of(example, P01, "p01")] == ["Presented to the board", "Another"]
    with pytest.raises(AccessDenied):
        milestones.milestones_of(example, Viewer("p02", "example", "participant"), "p01")
