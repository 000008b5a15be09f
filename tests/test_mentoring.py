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
