"""Mentoring measures: check-in cadence and overdue gaps, goals, repeated blockers, mood trend, streaks."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from workbook.mentoring import (Streak, cadence_days, checkin_cadence, goal_table, mood_direction, mood_trend,
                                repeated_blockers, week_streak)
from workbook.store.models import Entry, Goal, GoalProgress

T0 = dt.datetime(2026, 10, 5, 9, 0, tzinfo=dt.timezone.utc)


def entry(days: float, **answers: object) -> Entry:
    at = T0 + dt.timedelta(days=days)
    return Entry(1, "c", "p01", "mentorship-checkin", "checkin", None, "coach", dict(answers), None, None, 1, at, at)


def test_cadence_flags_overdue_gaps_including_the_open_one() -> None:
    out = checkin_cadence([entry(0), entry(10), entry(30)], 14, start=None, end=T0 + dt.timedelta(days=50))
    assert list(out["days"]) == [10, 20, 20]
    assert list(out["overdue"]) == [False, True, True]
    assert list(out["closed"]) == [True, True, False]
    start = checkin_cadence([entry(20)], 14, start=T0, end=T0 + dt.timedelta(days=21))
    assert list(start["overdue"]) == [True, False]
    assert cadence_days({"checkins": {"cadence_days": 7}}) == 7 and cadence_days({}) == 14
    # calendar days: 14 days and a few hours later is still on time for a 14-day cadence
    late_hour = entry(0), entry(14.3)
    assert list(checkin_cadence(late_hour, 14, start=None, end=T0 + dt.timedelta(days=15))["overdue"]) == [False, False]


def test_repeated_blockers_are_case_and_punctuation_blind() -> None:
    out = repeated_blockers([entry(0, blockers=["Busy calendar", "Travel"]), entry(7, blockers=["busy calendar!"]),
                             entry(14, blockers=["BUSY  calendar", "travel", "new"])])
    assert list(out["blocker"]) == ["Busy calendar", "Travel"] and list(out["times"]) == [3, 2]


def test_mood_trend_and_direction() -> None:
    f = pd.DataFrame({"week": pd.to_datetime(["2026-10-05", "2026-10-05", "2026-10-12", "2026-10-19", "2026-10-26"]),
                      "mood": pd.array([2, 2, 2, 4, 5], dtype="Int64")})
    t = mood_trend(f)
    assert list(t["n"]) == [2, 1, 1, 1] and t["mean"].iloc[-1] == 5
    assert mood_direction(t) == "rising" and mood_direction(t.iloc[:2]) == "not enough data"


def test_week_streak() -> None:
    weeks = [dt.date(2026, 10, 5), dt.date(2026, 10, 12), dt.date(2026, 10, 26), dt.date(2026, 11, 2),
             dt.date(2026, 11, 9)]
    assert week_streak(weeks) == Streak(3, 3, 5)
    # the week of `until` has no entry yet: it does not break the streak
    assert week_streak(weeks, until=dt.date(2026, 11, 18)).current == 3
    assert week_streak(weeks, until=dt.date(2026, 11, 25)).current == 0
    assert week_streak([]) == Streak(0, 0, 0)


def test_goal_table() -> None:
    g = Goal(1, "c", "p01", "Delegate", None, 40, "open", T0, T0)
    later = T0 + dt.timedelta(days=7)
    out = goal_table([g], [GoalProgress(1, 20, "", None, T0), GoalProgress(1, 40, "", None, later)])
    assert out.iloc[0]["progress"] == 40 and out.iloc[0]["updates"] == 2 and out.iloc[0]["last_update"] == later


# --- pairs in force, pair health, the check-in schedule and the pulse (on both databases) -------
import pytest  # noqa: E402

from workbook import AccessDenied, Store, ValidationError  # noqa: E402
from workbook.access import Viewer  # noqa: E402
from workbook.mentoring import (PairHealth, needs_pulse, pair_health, pairs_in_force, schedule_checkin,  # noqa: E402
                                submit_pulse)

C01, C02 = Viewer("c01", "example", "coach"), Viewer("c02", "example", "coach")
F01, P01 = Viewer("f01", "example", "facilitator"), Viewer("p01", "example", "participant")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def test_pairs_in_force_are_the_roster_until_matching_applies(example: Store) -> None:
    pairs = pairs_in_force(example, "example")
    roster = {(m.coach_id, m.person_id) for m in example.find_members("example") if m.coach_id}
    assert {(p.coach_id, p.mentee_id) for p in pairs} == roster and {p.status for p in pairs} == {"roster"}
    example.replace_pairings("example", [("c02", "p01", 1.0, ["matched"])])
    by_mentee = {p.mentee_id: p for p in pairs_in_force(example, "example")}
    assert (by_mentee["p01"].coach_id, by_mentee["p01"].status) == ("c02", "active")
    assert example.coaches_of("example", "p01") == {"c02"} and "p01" not in example.mentees_of("example", "c01")
    # a roster that changes p02's coach starts a new pair from that moment
    from dataclasses import replace
    m = example.get_membership("example", "p02")
    example.save_members("example", [replace(m, coach_id="c03")])
    p02 = next(p for p in pairs_in_force(example, "example") if p.mentee_id == "p02")
    assert p02.coach_id == "c03" and (_now() - p02.created_at).total_seconds() < 60


def test_a_pair_made_today_is_not_overdue(example: Store) -> None:
    health = pair_health(example, F01, now=_now())
    assert health and all(h.overdue_days == 0 for h in health)
    assert {h.status for h in health} == {"too early to tell"}
    h = health[0]
    assert h.next_due == (h.paired_at.date() + dt.timedelta(days=14)) and h.cadence_days == 14


def test_health_statuses(example: Store) -> None:
    t0 = _now()
    for day, mood, blockers in ((2, 4, ["budget"]), (4, 3, ["Budget!"]), (6, 2, [])):
        example.add_entry("example", "p01", "mentorship-checkin", {"mood": mood, "blockers": blockers},
                          visibility="coach", created_at=t0 + dt.timedelta(days=day))
    example.add_entry("example", "p02", "mentorship-checkin", {"mood": 4}, visibility="coach",
                      created_at=t0 + dt.timedelta(days=1))
    now = t0 + dt.timedelta(days=10)
    rows = {h.mentee_id: h for h in pair_health(example, C01, now=now)}
    assert set(rows) == set(example.mentees_of("example", "c01"))  # a coach sees their own pairs only
    assert rows["p01"].status == "at risk"
    assert "mood fell twice in a row" in rows["p01"].reasons and "blocker repeats: budget" in rows["p01"].reasons
    assert rows["p02"].status == "on track" and rows["p02"].overdue_days == 0
    # the facilitator sees every pair, but not the blocker's words (a coach-only check-in)
    everyone = pair_health(example, F01, now=now)
    p01 = next(h for h in everyone if h.mentee_id == "p01")
    assert "a blocker repeats" in p01.reasons and not any("budget" in r for r in p01.reasons)
    late = {h.mentee_id: h for h in pair_health(example, C01, now=t0 + dt.timedelta(days=20))}
    assert late["p02"].status == "needs a check-in" and late["p02"].overdue_days == 5
    assert "5 days overdue" in late["p02"].reasons
    order = [h.overdue_days for h in pair_health(example, F01, now=t0 + dt.timedelta(days=20))]
    assert order == sorted(order, reverse=True)  # overdue first
    with pytest.raises(AccessDenied):
        pair_health(example, P01)


def test_scheduled_checkin_overrides_the_cadence(example: Store) -> None:
    t0 = _now()
    example.add_entry("example", "p02", "mentorship-checkin", {"mood": 4}, visibility="coach",
                      created_at=t0 - dt.timedelta(minutes=1))  # scheduled after this check-in
    when = (t0 + dt.timedelta(days=3)).date()
    schedule_checkin(example, C01, "p02", when)
    [h] = [h for h in pair_health(example, C01, now=t0 + dt.timedelta(days=5)) if h.mentee_id == "p02"]
    assert h.next_due == when and h.overdue_days == 2 and h.status == "needs a check-in"
    from .conftest import dump
    before = dump(example)
    with pytest.raises(ValidationError, match="in the past"):
        schedule_checkin(example, C01, "p02", dt.date(2020, 1, 1))
    with pytest.raises(AccessDenied):
        schedule_checkin(example, C02, "p02", when)
    with pytest.raises(AccessDenied):
        schedule_checkin(example, P01, "p01", when)
    assert dump(example) == before
    schedule_checkin(example, F01, "p02", when)  # a facilitator may


def test_pulse_once_after_the_first_checkin(example: Store) -> None:
    # Real time throughout: the pair is made (at import, then by matching) before the check-ins.
    assert needs_pulse(example, P01) is None  # no check-in yet
    with pytest.raises(ValidationError, match="no question"):
        submit_pulse(example, P01, "good fit")
    example.add_entry("example", "p01", "mentorship-checkin", {"mood": 4}, visibility="private")
    due = needs_pulse(example, P01)
    assert isinstance(due, PairHealth) and due.coach_id == "c01"
    with pytest.raises(ValidationError, match="pick one"):
        submit_pulse(example, P01, "meh")
    submit_pulse(example, P01, "not a good fit")
    assert needs_pulse(example, P01) is None
    from .conftest import dump
    before = dump(example)
    with pytest.raises(ValidationError, match="already answered"):
        submit_pulse(example, P01, "good fit")
    assert dump(example) == before
    # private to the facilitator and the pair's coach; it flags the pair
    [mine] = [h for h in pair_health(example, C01) if h.mentee_id == "p01"]
    assert mine.fit == "not a good fit" and mine.status == "at risk"
    [seen] = [h for h in pair_health(example, F01) if h.mentee_id == "p01"]
    assert seen.fit == "not a good fit"
    assert any(n.kind == "pulse" for n in example.find_notices("example", "f01"))
    # a new mentor asks again, after the first check-in with them
    example.replace_pairings("example", [("c02", "p01", 1.0, ["matched"])])
    assert needs_pulse(example, P01) is None
    example.add_entry("example", "p01", "mentorship-checkin", {"mood": 4})
    again = needs_pulse(example, P01)
    assert again is not None and again.coach_id == "c02"
    assert [h.fit for h in pair_health(example, C02) if h.mentee_id == "p01"] == [None]


def test_a_coach_moved_by_matching_can_no_longer_read_or_comment(example: Store) -> None:
    from workbook import access

    entry = example.add_entry("example", "p01", "gibbs", {"description": "d", "evaluation": "e", "conclusion": "c"},
                              visibility="coach")
    assert access.comment_on(example, C01, entry.id, "before the move")
    example.replace_pairings("example", [("c02", "p01", 1.0, ["matched"])])
    with pytest.raises(AccessDenied):
        access.mentee_entries(example, C01, "p01")
    with pytest.raises(AccessDenied):
        access.comment_on(example, C01, entry.id, "after the move")
    assert [e.id for e in access.mentee_entries(example, C02, "p01")] == [entry.id]
    assert access.comment_on(example, C02, entry.id, "new coach")
