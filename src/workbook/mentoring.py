"""Mentoring measures over entries a viewer may already read: cadence, goals, blockers, mood, streaks.

Every function takes entries (or frames) that came through :mod:`workbook.access`; none of
them reads the store on its own, so a report cannot show more than its viewer may see.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from .store.models import Entry, Goal, GoalProgress

DEFAULT_CADENCE_DAYS = 14


@dataclass(frozen=True)
class Streak:
    """Consecutive weeks with at least one entry."""

    current: int
    longest: int
    weeks_with_entries: int


def cadence_days(cohort_settings: dict[str, Any]) -> int:
    """The cohort's check-in cadence (``[checkins] cadence_days`` in cohort.toml, default 14)."""
    try:
        return int(cohort_settings.get("checkins", {}).get("cadence_days", DEFAULT_CADENCE_DAYS))
    except (TypeError, ValueError, AttributeError):
        return DEFAULT_CADENCE_DAYS


def checkin_cadence(checkins: Iterable["Entry"], cadence: int, *, start: dt.datetime | None,
                    end: dt.datetime, tz: str = "UTC") -> "pd.DataFrame":
    """Gaps between check-ins, oldest first, with the ones longer than ``cadence`` days flagged.

    Gaps are counted in calendar days in the time zone ``tz`` (a check-in on the 5th and the next
    on the 19th are 14 days apart, whatever the hour). The first gap runs from ``start`` (the
    period start, when given) to the first check-in; the last from the latest check-in to ``end``
    (now, or the period end): a mentee who went quiet is overdue even though no check-in closes
    the gap. Columns: from, to, days, overdue, closed (False for the open gap ending at ``end``).
    """
    from zoneinfo import ZoneInfo

    import pandas as pd

    zone = ZoneInfo(tz)

    times = sorted(e.created_at for e in checkins)
    points: list[tuple[dt.datetime, bool]] = []
    if start is not None:
        points.append((start, True))
    points += [(t, True) for t in times]
    rows = []
    for (a, _), (b, _) in zip(points, points[1:]):
        rows.append(dict(start=a, stop=b, closed=True))
    if points and end > points[-1][0]:
        rows.append(dict(start=points[-1][0], stop=end, closed=False))
    out = pd.DataFrame(rows, columns=["start", "stop", "closed"])
    out["days"] = pd.Series([(b.astimezone(zone).date() - a.astimezone(zone).date()).days
                             for a, b in zip(out["start"], out["stop"])], dtype="int64")
    out["overdue"] = out["days"] > cadence
    out = out.rename(columns={"start": "from", "stop": "to"})
    return out[["from", "to", "days", "overdue", "closed"]]


def goal_table(goals: Sequence["Goal"], history: Sequence["GoalProgress"]) -> "pd.DataFrame":
    """Goals with their current progress, status, target date, updates and last update time."""
    import pandas as pd

    updates: dict[int, list["GoalProgress"]] = {}
    for h in history:
        updates.setdefault(h.goal_id, []).append(h)
    rows = []
    for g in goals:
        hs = updates.get(g.id, [])
        rows.append(dict(goal=g.title, progress=int(g.progress), status=g.status, target=g.target_date,
                         updates=len(hs), last_update=hs[-1].created_at if hs else None))
    return pd.DataFrame(rows, columns=["goal", "progress", "status", "target", "updates", "last_update"])


_NORM = re.compile(r"[^\w\s]+")


def _normalise(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_NORM.sub(" ", folded).split())


def repeated_blockers(checkins: Iterable["Entry"], *, min_times: int = 2,
                      prompt_id: str = "blockers") -> "pd.DataFrame":
    """Blockers named in at least ``min_times`` check-ins (compared case- and punctuation-blind).

    Columns: blocker (as first written), times, first, last; most frequent first.
    """
    import pandas as pd

    seen: dict[str, dict[str, Any]] = {}
    for e in sorted(checkins, key=lambda e: e.created_at):
        items = e.answers.get(prompt_id) or []
        if isinstance(items, str):
            items = [items]
        for item in {_normalise(str(i)): str(i) for i in items if str(i).strip()}.items():
            key, text = item
            rec = seen.setdefault(key, dict(blocker=text, times=0, first=e.created_at, last=e.created_at))
            rec["times"] += 1
            rec["last"] = e.created_at
    rows = [r for r in seen.values() if r["times"] >= min_times]
    rows.sort(key=lambda r: (-r["times"], r["first"]))
    return pd.DataFrame(rows, columns=["blocker", "times", "first", "last"])


def mood_trend(frame: "pd.DataFrame") -> "pd.DataFrame":
    """Weekly mood from an entries frame: week, entries with a mood, mean, min, max; oldest first."""
    import pandas as pd

    moods = frame.dropna(subset=["mood"]) if not frame.empty else frame
    if moods.empty:
        return pd.DataFrame({"week": pd.Series(dtype="datetime64[ns]"), "n": pd.Series(dtype="int64"),
                             "mean": pd.Series(dtype="float64"), "min": pd.Series(dtype="float64"),
                             "max": pd.Series(dtype="float64")})
    m = moods.assign(mood=moods["mood"].astype(float))
    g = m.groupby("week")["mood"].agg(n="count", mean="mean", min="min", max="max").reset_index()
    return g.sort_values("week").reset_index(drop=True)


def mood_direction(trend: "pd.DataFrame") -> str:
    """A plain-words reading of a mood trend: "rising", "falling", "steady" or "not enough data"."""
    if len(trend) < 3:
        return "not enough data"
    half = len(trend) // 2
    first, last = float(trend["mean"].iloc[:half].mean()), float(trend["mean"].iloc[-half:].mean())
    if last - first >= 0.5:
        return "rising"
    if first - last >= 0.5:
        return "falling"
    return "steady"


def week_streak(weeks: Iterable[dt.date | dt.datetime | Any], *, until: dt.date | None = None) -> Streak:
    """Streaks of consecutive weeks (Mondays) with an entry.

    ``current`` counts back from the week of ``until`` (or from the latest week with an entry
    when ``until`` is None); a week still in progress without an entry does not break it.
    """
    mondays = sorted({_monday(w) for w in weeks})
    if not mondays:
        return Streak(0, 0, 0)
    longest = run = 1
    for a, b in zip(mondays, mondays[1:]):
        run = run + 1 if (b - a).days == 7 else 1
        longest = max(longest, run)
    have = set(mondays)
    cursor = _monday(until) if until is not None else mondays[-1]
    if cursor not in have:
        cursor -= dt.timedelta(days=7)
    current = 0
    while cursor in have:
        current += 1
        cursor -= dt.timedelta(days=7)
    return Streak(current, longest, len(mondays))


def _monday(value: Any) -> dt.date:
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    day = value.date() if isinstance(value, dt.datetime) else value
    return day - dt.timedelta(days=day.weekday())
