"""Mentoring: who is paired with whom, the health of each pair, the pulse, and measures over
entries a viewer may already read (cadence, goals, blockers, mood, streaks).

The measures take entries (or frames) that came through :mod:`workbook.access`. The pair
functions (:func:`pairs_in_force`, :func:`pair_health`, :func:`schedule_checkin`,
:func:`needs_pulse`, :func:`submit_pulse`) take a store and a viewer and ask access for every rule.
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

    from .access import Viewer
    from .store import Store
    from .store.models import Entry, Goal, GoalProgress, Pairing

DEFAULT_CADENCE_DAYS = 14
#: The pair-health statuses, most urgent first.
HEALTH_STATUSES = ("at risk", "needs a check-in", "too early to tell", "on track")
#: The one question after the first check-in with a new mentor, and its answers.
PULSE_QUESTION = "How is it going with your mentor so far?"
PULSE_ANSWERS = ("good fit", "still deciding", "not a good fit")


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
    """Goals with their current progress, status, target date, updates, last update time and measure."""
    import pandas as pd

    updates: dict[int, list["GoalProgress"]] = {}
    for h in history:
        updates.setdefault(h.goal_id, []).append(h)
    rows = []
    for g in goals:
        hs = updates.get(g.id, [])
        rows.append(dict(goal=g.title, progress=int(g.progress), status=g.status, target=g.target_date,
                         updates=len(hs), last_update=hs[-1].created_at if hs else None, measure=g.measure))
    return pd.DataFrame(rows, columns=["goal", "progress", "status", "target", "updates", "last_update", "measure"])


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

    rows = blocker_repeats(checkins, min_times=min_times, prompt_id=prompt_id)
    return pd.DataFrame(rows, columns=["blocker", "times", "first", "last"])


def blocker_repeats(checkins: Iterable["Entry"], *, min_times: int = 2,
                    prompt_id: str = "blockers") -> list[dict[str, Any]]:
    """:func:`repeated_blockers` as plain rows (what the coach page needs, without pandas in a form kernel)."""
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
    return rows


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


# --- pairs, their health, the check-in schedule and the pulse ---------------------------------
def pairs_in_force(store: "Store", cohort_id: str) -> list["Pairing"]:
    """Who is whose coach now: the one source of truth (see :meth:`Store.pairs_in_force`).

    Stored pairings that are ``active`` or ``fixed`` (``workbook match --apply``), and for a
    mentee without one the roster's ``coach`` column (a pair of status ``roster``). The coach
    desk, access rules, reports, ``workbook people`` and ``match --keep-existing`` all read it.
    """
    store.get_cohort(cohort_id)
    return store.pairs_in_force(cohort_id)


@dataclass(frozen=True)
class PairHealth:
    """How one pair is doing (see :func:`pair_health`)."""

    coach_id: str
    coach_name: str
    mentee_id: str
    mentee_name: str
    paired_at: dt.datetime
    cadence_days: int
    last_checkin: dt.datetime | None
    next_due: dt.date  # the scheduled date if set after the last check-in, else last check-in (or pairing) + cadence
    status: str  # one of HEALTH_STATUSES
    reasons: tuple[str, ...]
    overdue_days: int  # 0 when not overdue (a pair made today is never overdue)
    fit: str | None  # the mentee's pulse answer, where the viewer may see it


def _zone(tz: str) -> Any:
    from zoneinfo import ZoneInfo

    try:
        return ZoneInfo(tz)
    except Exception:  # an unknown zone in old data: count days in UTC rather than fail the page
        return dt.timezone.utc


def _mood_fell_twice(entries: Sequence["Entry"]) -> bool:
    moods = [e.mood for e in sorted(entries, key=lambda e: (e.created_at, e.id)) if e.mood is not None]
    return len(moods) >= 3 and moods[-3] > moods[-2] > moods[-1]


def _health(store: "Store", viewer: "Viewer", pair: "Pairing", *, cadence: int, tz: str, now: dt.datetime,
            names: dict[str, str], plans: dict[tuple[str, str], Any], fits: dict[tuple[str, str], str]) -> PairHealth:
    from . import access

    zone = _zone(tz)
    coach = access.Viewer(pair.coach_id, pair.cohort_id, "coach")
    shared = access.mentee_entries(store, coach, pair.mentee_id)  # what the pair's coach may read
    checkins = [e for e in shared if e.kind == "checkin" and e.created_at <= now]
    last = max((e.created_at for e in checkins), default=None)
    today = now.astimezone(zone).date()
    paired_day = pair.created_at.astimezone(zone).date()
    since = max(last.astimezone(zone).date(), paired_day) if last else paired_day
    next_due = since + dt.timedelta(days=cadence)
    plan = plans.get((pair.coach_id, pair.mentee_id))
    if plan is not None and (last is None or plan.updated_at > last):
        next_due = plan.next_date
    overdue = max(0, (today - next_due).days)
    reasons: list[str] = []
    risky = False
    fit = fits.get((pair.coach_id, pair.mentee_id))
    if fit == "not a good fit":
        risky = True
        reasons.append("the mentee says: not a good fit")
    moody = [e for e in shared if e.created_at <= now]
    if _mood_fell_twice(moody):
        risky = True
        reasons.append("mood fell twice in a row")
    recent = sorted(checkins, key=lambda e: e.created_at)[-3:]
    repeats = blocker_repeats(recent) if len(recent) >= 2 else []
    if repeats:
        risky = True
        if all(access.can_read(store, viewer, e) for e in recent):
            reasons += [f"blocker repeats: {r['blocker']}" for r in repeats]
        else:
            reasons.append("a blocker repeats")
    if overdue:
        reasons.append(f"{overdue} day{'s' if overdue != 1 else ''} overdue")
    if risky:
        status = "at risk"
    elif overdue:
        status = "needs a check-in"
    elif last is None or last < pair.created_at:
        status = "too early to tell"
        reasons.append("no check-in since the pair was made")
    else:
        status = "on track"
    return PairHealth(pair.coach_id, names.get(pair.coach_id, pair.coach_id), pair.mentee_id,
                      names.get(pair.mentee_id, pair.mentee_id), pair.created_at, cadence, last, next_due, status,
                      tuple(reasons), overdue, fit)


def _health_of(store: "Store", viewer: "Viewer", pairs: Sequence["Pairing"], now: dt.datetime | None) -> list[PairHealth]:
    from . import access

    now = now or dt.datetime.now(dt.timezone.utc)
    cohort = store.get_cohort(viewer.cohort_id)
    names = store.member_names(cohort.id)
    plans = {(p.coach_id, p.mentee_id): p for p in store.find_checkin_plans(cohort.id)}
    fits = {(p.coach_id, p.mentee_id): p.answer for p in store.find_pulses(cohort.id)
            if access.can_see_pulse(viewer, p.coach_id, p.mentee_id)}
    out = [_health(store, viewer, p, cadence=cadence_days(cohort.settings), tz=cohort.timezone, now=now,
                   names=names, plans=plans, fits=fits) for p in pairs]
    rank = {s: i for i, s in enumerate(HEALTH_STATUSES)}
    return sorted(out, key=lambda h: (-h.overdue_days, rank[h.status], h.next_due, h.mentee_name, h.coach_name))


def pair_health(store: "Store", viewer: "Viewer", *, now: dt.datetime | None = None) -> list[PairHealth]:
    """The health of each pair in force: a facilitator sees all, a coach their own; overdue first.

    Status: "at risk" (the mentee's mood fell twice in a row, a blocker repeats in the last
    check-ins, or the pulse said "not a good fit"), else "needs a check-in" (past the next due
    date), else "too early to tell" (no check-in since the pair was made), else "on track".
    Days count in the cohort's time zone; the cadence comes from the cohort's settings; a date
    the coach scheduled overrides it. Only check-ins shared with the coach count.
    """
    from . import access

    access.check_pair_health(viewer)
    pairs = store.pairs_in_force(viewer.cohort_id)
    if not access.sees_all_pairs(viewer):
        pairs = [p for p in pairs if p.coach_id == viewer.person_id]
    return _health_of(store, viewer, pairs, now)


def schedule_checkin(store: "Store", viewer: "Viewer", mentee_id: str, when: dt.date, *,
                     coach_id: str | None = None, now: dt.datetime | None = None) -> None:
    """Schedule the pair's next check-in (the coach of the pair, or a facilitator for every pair of
    the mentee or the one with ``coach_id``). A date in the past is refused; nothing changes."""
    from . import access
    from .errors import FieldProblem, ValidationError

    access.check_schedule_checkin(store, viewer, mentee_id)
    pairs = store.pairs_in_force(viewer.cohort_id, mentee_id=mentee_id)
    if access.is_coach_of(store, viewer, mentee_id):
        pairs = [p for p in pairs if p.coach_id == viewer.person_id]
    if coach_id:
        pairs = [p for p in pairs if p.coach_id == coach_id]
    if not pairs:
        raise ValidationError("no pair to schedule", [FieldProblem("mentee", f"{mentee_id!r} has no coach now")])
    cohort = store.get_cohort(viewer.cohort_id)
    today = (now or dt.datetime.now(dt.timezone.utc)).astimezone(_zone(cohort.timezone)).date()
    if not isinstance(when, dt.date) or isinstance(when, dt.datetime):
        raise ValidationError("the check-in date is not a date", [FieldProblem("date", "give a day (YYYY-MM-DD)")])
    if when < today:
        raise ValidationError("the check-in date is in the past", [FieldProblem(
            "date", f"{when.isoformat()} is before today ({today.isoformat()}); pick today or later")])
    for p in pairs:
        store.set_checkin_plan(viewer.cohort_id, p.coach_id, mentee_id, when, viewer.person_id)


def _pending_pulses(store: "Store", viewer: "Viewer", now: dt.datetime) -> list["Pairing"]:
    """The viewer's pairs (as mentee) with a check-in since pairing and no pulse yet."""
    pairs = store.pairs_in_force(viewer.cohort_id, mentee_id=viewer.person_id)
    if not pairs:
        return []
    answered = {p.coach_id for p in store.find_pulses(viewer.cohort_id, mentee_id=viewer.person_id)}
    checkins = store.find_entries(viewer.cohort_id, author_id=viewer.person_id, kind="checkin", until=now)
    return [p for p in pairs if p.coach_id not in answered and any(e.created_at >= p.created_at for e in checkins)]


def needs_pulse(store: "Store", viewer: "Viewer", *, now: dt.datetime | None = None) -> PairHealth | None:
    """The pair whose pulse the viewer (a mentee) should answer now: after their first check-in with
    a new mentor, once. None when nothing is due."""
    now = now or dt.datetime.now(dt.timezone.utc)
    pending = _pending_pulses(store, viewer, now)
    if not pending:
        return None
    return _health_of(store, viewer, pending[:1], now)[0]


def submit_pulse(store: "Store", viewer: "Viewer", answer: str, *, coach_id: str | None = None,
                 now: dt.datetime | None = None) -> None:
    """The mentee answers the pulse ("good fit", "still deciding", "not a good fit"). Private to the
    facilitators and that pair's coach; "not a good fit" flags the pair (pair_health: at risk) and
    tells the facilitators. A second answer for the same pair is refused; nothing changes."""
    from . import access
    from .errors import FieldProblem, ValidationError

    now = now or dt.datetime.now(dt.timezone.utc)
    if answer not in PULSE_ANSWERS:
        raise ValidationError("pick one of the answers", [FieldProblem("pulse", f"use one of {', '.join(PULSE_ANSWERS)}")])
    pending = [p for p in _pending_pulses(store, viewer, now) if coach_id is None or p.coach_id == coach_id]
    if not pending:
        if store.find_pulses(viewer.cohort_id, mentee_id=viewer.person_id,
                             coach_id=coach_id) if coach_id else store.find_pulses(viewer.cohort_id,
                                                                                  mentee_id=viewer.person_id):
            raise ValidationError("you already answered this question", [FieldProblem(
                "pulse", "the pulse is asked once per mentor; talk to your facilitator if things changed")])
        raise ValidationError("no question is waiting for you", [FieldProblem(
            "pulse", "the question comes after your first check-in with a new mentor")])
    pair = pending[0]
    access.check_give_pulse(viewer, pair.mentee_id)
    store.add_pulse(viewer.cohort_id, pair.coach_id, pair.mentee_id, answer, at=now)
    if answer == "not a good fit":
        for f in store.find_members(viewer.cohort_id, "facilitator"):
            store.add_notice(viewer.cohort_id, f.person_id, "pulse",
                             "A mentee said their pair is not a good fit: see `workbook checkins`",
                             link_page="coach", actor_id=viewer.person_id, at=now)
