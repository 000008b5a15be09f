"""The report objects the templates in ``workbook/notebooks/reports/`` call, one method per section.

Each report is built for a *viewer*, who reads the page, and loads its data once through
:mod:`workbook.access`; each method returns something a notebook displays (an escaped HTML
:class:`Block` or a PNG :class:`Chart`). The viewer is the real person in the live app
(:mod:`workbook.reports.live`) and, by default, :func:`workbook.access.batch_audience` (a
facilitator): the batch writes its pages to the facilitator's disk, so they hold only what a
facilitator may see, and what a page leaves out appears as a count.

- :class:`ParticipantReport`: one person's entries, the comments released to them, their goals,
  kudos and milestones. For the person themself: everything of theirs, private entries included.
  In the batch: entries shared with the cohort only; private and coach-only ones as a count.
- :class:`MenteeReport`: a mentee's entries for one coach, never private ones. For the coach
  themself: what the mentee shared with them or the cohort, with their own draft comments. In
  the batch: entries shared with the cohort only, coach-only ones as a count, no drafts.
- :class:`CohortReport`: aggregates of everything, suppressed below ``min_group_size``; free
  text only from entries shared with the cohort (the same for every viewer).

Figures (summaries, charts, streaks, goal progress) are drawn only from what the page shows, so
``index.html``, which repeats each page's summary line, holds nothing the pages do not.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from .. import access, analytics, mentoring
from ..access import Viewer
from ..errors import NotFoundError
from ..html import STYLE, esc
from .blocks import Block, Chart, fmt, new_figure, note, progress_bar, stats, suppressed, table
from .context import Period, local, local_date, now_or_end, ordered_answers, period, render_entries, report_store

if TYPE_CHECKING:
    import pandas as pd

    from ..store import Cohort, Store


def _header(title: str, subtitle: str, summary: str) -> Block:
    return Block(f'{STYLE}<h1>{esc(title)}</h1><p class="wb-muted">{esc(subtitle)}</p><p>{esc(summary)}</p>',
                 f"{title}\n{subtitle}\n{summary}", summary=summary)


def _n(count: int, one: str, many: str | None = None) -> str:
    """``1 entry``, ``2 entries``."""
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _withheld_sentence(withheld: dict[str, int], coach_only: str) -> str:
    """"3 private entries and 1 entry shared only with your coach are not included; ..." (empty: nothing left out)."""
    parts = []
    if withheld.get("private"):
        parts.append(_n(withheld["private"], "private entry", "private entries"))
    if withheld.get("coach"):
        parts.append(_n(withheld["coach"], "entry", "entries") + f" shared only with {coach_only}")
    if not parts:
        return ""
    one = sum(withheld.get(v, 0) for v in ("private", "coach")) == 1
    return (f"{' and '.join(parts)} {'is' if one else 'are'} not included; your own report link shows "
            f"{'it' if one else 'them'}. Figures on this page count only the entries shown.")


def _left_out(withheld: dict[str, int], coach_only: str) -> Block:
    """The count sentence as a note, or nothing."""
    sentence = _withheld_sentence(withheld, coach_only)
    return note(sentence) if sentence else Block("", "")


def _names(store: "Store", cohort_id: str) -> dict[str, str]:
    return {m.person_id: m.name for m in store.find_members(cohort_id, active_only=False)}


def _activity_chart(frame: "pd.DataFrame", trend: "pd.DataFrame", who: str) -> Chart | Block:
    """Entries per week (bars) and weekly mood (line with range), side by side."""
    if frame.empty:
        return note("No entries in this period, so no chart.")
    import pandas as pd

    weekly = frame.groupby("week").size()
    # Weeks without an entry are bars of 0, not gaps.
    weekly = weekly.reindex(pd.date_range(weekly.index.min(), weekly.index.max(), freq="7D"), fill_value=0)
    fig, (left, right) = new_figure(2)
    left.bar(weekly.index, weekly.to_numpy(), width=5, color="#6366f1")
    left.set_title("Entries per week")
    left.set_xlabel("week starting")
    left.set_ylabel("entries")
    left.yaxis.get_major_locator().set_params(integer=True)
    if trend.empty:
        right.text(0.5, 0.5, "no mood recorded", ha="center", va="center", transform=right.transAxes)
    else:
        if (trend["max"] > trend["min"]).any():
            right.fill_between(trend["week"], trend["min"], trend["max"], color="#a5b4fc", alpha=0.4,
                               label="lowest to highest")
        right.plot(trend["week"], trend["mean"], marker="o", color="#3730a3", label="average")
        right.legend(loc="lower right", frameon=False, fontsize=8)
    right.set_ylim(0.8, 5.2)
    right.set_title("Mood (1 = drained, 5 = energised)")
    right.set_xlabel("week starting")
    right.set_ylabel("mood")
    for ax in (left, right):
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
        _week_ticks(ax, list(weekly.index))
    return Chart(fig, f"Entries per week and weekly mood for {who}")


def _date_formatter() -> Any:
    import matplotlib.dates as mdates

    return mdates.DateFormatter("%d %b")


def _week_ticks(ax: Any, weeks: Any) -> None:
    """One tick per week bar (every other one past 12 weeks), labelled like "05 Oct"."""
    ticks = sorted(set(weeks))
    if len(ticks) > 12:
        ticks = ticks[::2]
    ax.set_xticks(ticks)
    ax.xaxis.set_major_formatter(_date_formatter())


# --- participant ------------------------------------------------------------------------------
@dataclass
class ParticipantReport:
    """A participant's report: journal, prompts answered, mood, streak, goals, comments, kudos.

    For the participant themself (live) it holds everything of theirs; for the batch's audience,
    only what they shared with the cohort (see :func:`workbook.access.report_entries`).
    """

    store: "Store"
    cohort: "Cohort"
    person_id: str
    name: str
    period: Period
    entries: list[Any]
    comments: list[Any]
    names: dict[str, str]
    viewer: Viewer
    shown: access.ReportEntries

    @classmethod
    def load(cls, cohort_id: str = "example", person_id: str = "", *, since: str = "", until: str = "",
             db_url: str = "", viewer: Viewer | None = None) -> "ParticipantReport":
        """Load the report of ``person_id`` (default: the cohort's first participant) for ``viewer``.

        ``viewer`` defaults to the batch's audience (a facilitator): private and coach-only
        entries are then left out and counted. The live app passes the participant themself.
        """
        store = report_store(db_url)
        cohort = store.get_cohort(cohort_id)
        if not person_id:
            first = store.find_members(cohort_id, "participant")
            if not first:
                raise NotFoundError("participant", cohort_id, "the cohort has no participants yet")
            person_id = first[0].person_id
        member = store.get_membership(cohort_id, person_id)
        viewer = viewer or access.batch_audience(cohort_id)
        p = period(cohort, since, until)
        shown = access.report_entries(store, viewer, person_id, reader=Viewer(person_id, cohort_id, member.role),
                                      **p.filters())
        comments = [c for c in shown.comments if c.author_id != person_id]
        return cls(store, cohort, person_id, member.name, p, shown.entries, comments, _names(store, cohort_id),
                   viewer, shown)

    @property
    def own(self) -> bool:
        """Whether the participant themself is reading (then nothing of theirs is left out)."""
        return self.viewer.person_id == self.person_id

    def _goal_table(self) -> "pd.DataFrame":
        return mentoring.goal_table(self.shown.goals, self.shown.goal_history)

    def _frame(self) -> "pd.DataFrame":
        return self.store.entries_frame(self.cohort.id, entries_list=self.entries)

    def _streak(self) -> mentoring.Streak:
        last_day = dt.date.fromisoformat(str(local_date(now_or_end(self.period), self.cohort)))  # the cohort's calendar
        return mentoring.week_streak(self._frame()["week"], until=last_day)

    def header(self) -> Block:
        """Title, period and the one-line summary (also used by the index page)."""
        s = self._streak()
        trend = mentoring.mood_direction(mentoring.mood_trend(self._frame()))
        summary = (f"{_n(len(self.entries), 'entry', 'entries')}, {_n(s.weeks_with_entries, 'week')} active "
                   f"(current streak {s.current}), mood: {trend}")
        return (_header(f"Reflection report: {self.name}", f"{self.cohort.name} · {self.period.label}", summary)
                + _left_out(self.shown.withheld, "your coach"))

    def at_a_glance(self) -> Block:
        """Headline numbers."""
        s = self._streak()
        goals = self.shown.goals
        avg = round(sum(g.progress for g in goals) / len(goals)) if goals else None
        return stats([("entries", len(self.entries)), ("weeks with an entry", s.weeks_with_entries),
                      ("current streak (weeks)", s.current), ("longest streak (weeks)", s.longest),
                      ("average goal progress %", avg), ("coach comments", len(self.comments))])

    def activity_chart(self) -> Chart | Block:
        """Entries per week and mood trend."""
        frame = self._frame()
        return _activity_chart(frame, mentoring.mood_trend(frame), self.name)

    def prompts_answered(self) -> Block:
        """Per exercise: entries and how many of its prompts were answered."""
        catalogue = self.store.catalogue(self.cohort.id)
        per: dict[str, list[int]] = {}
        for e in self.entries:
            per.setdefault(e.exercise_id, []).append(len([v for v in e.answers.values() if v not in ("", [], None)]))
        rows = []
        for ex_id, counts in sorted(per.items()):
            ex = _exercise(catalogue, ex_id)
            title, total = (ex.title, len(ex.prompts)) if ex else (ex_id, None)
            avg = sum(counts) / len(counts)
            rows.append((title, len(counts), f"{avg:.1f}" + (f" of {total}" if total else "")))
        return table(["exercise", "entries", "prompts answered (average)"], rows)

    def journal(self) -> Block:
        """Every entry of the period the page shows, newest first, with the coach comments released to them."""
        intro = (note("Private entries included: only you see this page.") if self.own
                 else _left_out(self.shown.withheld, "your coach"))
        return intro + render_entries(self.store, self.cohort, self.entries, self.comments, names=self.names)

    def goals(self) -> Block:
        """Goals with progress bars and check-ins written (progress recorded in entries not shown is left out)."""
        frame = self._goal_table()
        checkins = sum(1 for e in self.entries if e.kind == "checkin")
        rows = [(r.goal, progress_bar(r.progress), r.status, r.target, r.updates, local_date(r.last_update, self.cohort))
                for r in frame.itertuples()]
        return (table(["goal", "progress", "status", "target date", "updates", "last update"], rows,
                      raw_columns=[1], empty="No goals set yet.")
                + note(f"{checkins} mentorship check-ins in this period.")
                + _progress_left_out(self.shown.progress_withheld))

    def kudos(self) -> Block:
        """Kudos received in the period."""
        rows = [(local(k.created_at, self.cohort), self.names.get(k.from_id, k.from_id), k.message)
                for k in self.store.find_kudos(self.cohort.id, to_id=self.person_id)
                if self.period.contains(k.created_at)]
        return table(["when", "from", "message"], rows, empty="No kudos in this period.")

    def milestones(self) -> Block:
        """Milestones reached in the period."""
        rows = [(local(m.achieved_at, self.cohort), m.title)
                for m in self.store.find_milestones(self.cohort.id, self.person_id)
                if self.period.contains(m.achieved_at)]
        return table(["when", "milestone"], rows, empty="No milestones recorded in this period.")


# --- mentee (for the coach) -------------------------------------------------------------------
@dataclass
class MenteeReport:
    """A coach's view of one mentee: shared entries only (never private ones).

    For the coach themself (live): what the mentee shared with them or the cohort, and their own
    draft comments; for the batch's audience: what the mentee shared with the cohort only.
    """

    store: "Store"
    cohort: "Cohort"
    coach_id: str
    mentee_id: str
    names: dict[str, str]
    period: Period
    entries: list[Any]
    comments: list[Any]
    viewer: Viewer
    shown: access.ReportEntries

    @classmethod
    def load(cls, cohort_id: str = "example", person_id: str = "", coach_id: str = "", *, since: str = "",
             until: str = "", db_url: str = "", viewer: Viewer | None = None) -> "MenteeReport":
        """Load ``coach_id``'s report on mentee ``person_id`` (defaults: the first mentee and their coach).

        ``viewer`` defaults to the batch's audience (a facilitator): coach-only entries are then
        left out and counted, and draft comments never appear. The live app passes the coach.
        """
        store = report_store(db_url)
        cohort = store.get_cohort(cohort_id)
        if not person_id:
            mentees = [m.person_id for m in store.find_members(cohort_id, "participant")
                       if store.coaches_of(cohort_id, m.person_id)]
            if not mentees:
                raise NotFoundError("mentee", cohort_id, "no participant has a coach yet")
            person_id = mentees[0]
        if not coach_id:
            coach_id = sorted(store.coaches_of(cohort_id, person_id) or {""})[0]
        viewer = viewer or access.batch_audience(cohort_id)
        p = period(cohort, since, until)
        shown = access.report_entries(store, viewer, person_id, reader=Viewer(coach_id, cohort_id, "coach"),
                                      **p.filters())
        return cls(store, cohort, coach_id, person_id, _names(store, cohort_id), p, shown.entries, shown.comments,
                   viewer, shown)

    def _coach_only(self) -> str:
        return f"you ({self.names.get(self.coach_id, self.coach_id)})"

    def _checkins(self) -> list[Any]:
        return [e for e in self.entries if e.kind == "checkin"]

    def _cadence(self) -> "pd.DataFrame":
        days = mentoring.cadence_days(self.cohort.settings)
        return mentoring.checkin_cadence(self._checkins(), days, start=self.period.since, end=now_or_end(self.period),
                                         tz=self.cohort.timezone)

    def header(self) -> Block:
        """Title and summary line."""
        mentee, coach = self.names.get(self.mentee_id, self.mentee_id), self.names.get(self.coach_id, self.coach_id)
        cad = self._cadence()
        checkins = self._checkins()
        last = (f"last check-in {local_date(max(e.created_at for e in checkins), self.cohort)}"
                if checkins else "no check-in yet")
        summary = (f"{_n(len(self.entries), 'shared entry', 'shared entries')}, {_n(len(checkins), 'check-in')}, "
                   f"{last}, {_n(int(cad['overdue'].sum()), 'overdue gap')}")
        return (_header(f"Mentee report: {mentee}", f"for {coach} · {self.cohort.name} · {self.period.label}", summary)
                + _left_out(self.shown.withheld, self._coach_only()))

    def charts(self) -> Chart | Block:
        """Mood trend (left) and the gaps between check-ins, overdue ones in red (right)."""
        frame = self.store.entries_frame(self.cohort.id, entries_list=self.entries)
        trend = mentoring.mood_trend(frame)
        cad = self._cadence()
        if frame.empty and cad.empty:
            return note("Nothing shared in this period, so no chart.")
        days = mentoring.cadence_days(self.cohort.settings)
        fig, (left, right) = new_figure(2)
        if trend.empty:
            left.text(0.5, 0.5, "no mood shared", ha="center", va="center", transform=left.transAxes)
        else:
            left.plot(trend["week"], trend["mean"], marker="o", color="#3730a3")
        left.set_ylim(0.8, 5.2)
        left.set_title("Mood in shared entries")
        left.set_xlabel("week starting")
        left.set_ylabel("mood (1-5)")
        if not trend.empty:
            _week_ticks(left, list(trend["week"]))
        if not cad.empty:
            colours = ["#dc2626" if o else "#6366f1" for o in cad["overdue"]]
            right.bar(range(len(cad)), cad["days"], color=colours)
            right.set_xticks(range(len(cad)), [str(local_date(t, self.cohort))[5:] for t in cad["to"]])
        right.axhline(days, color="#555", linestyle="--", linewidth=1)
        right.set_title(f"Days between check-ins (limit {days})")
        right.set_xlabel("gap ending on (month-day)")
        right.set_ylabel("days")
        for ax in (left, right):
            ax.tick_params(axis="x", labelrotation=30, labelsize=8)
        return Chart(fig, "Mood trend and days between check-ins")

    def cadence(self) -> Block:
        """The check-in gaps table, overdue gaps highlighted."""
        cad = self._cadence()
        day = lambda at: local_date(at, self.cohort)  # noqa: E731 - the cohort's calendar, as the gaps are counted
        ended = self.period.until is not None and self.period.until <= dt.datetime.now(dt.timezone.utc)
        still_open = f"{day(now_or_end(self.period))} (end of period)" if ended else "now (no check-in yet)"
        rows = [(day(r["from"]), day(r["to"]) if r["closed"] else still_open, r["days"],
                 "overdue" if r["overdue"] else "on time") for r in cad.to_dict("records")]
        return table(["from", "to", "days", ""], rows, alert=lambda i: bool(cad["overdue"].iloc[i]),
                     empty="No check-ins in this period.")

    def goals(self) -> Block:
        """The mentee's goals and their progress (titles and percentages; progress from entries shown only)."""
        frame = mentoring.goal_table(self.shown.goals, self.shown.goal_history)
        rows = [(r.goal, progress_bar(r.progress), r.status, r.target, local_date(r.last_update, self.cohort))
                for r in frame.itertuples()]
        return (table(["goal", "progress", "status", "target date", "last update"], rows, raw_columns=[1],
                      empty="No goals set yet.") + _progress_left_out(self.shown.progress_withheld))

    def blockers(self) -> Block:
        """Blockers named in two or more check-ins."""
        rep = mentoring.repeated_blockers(self._checkins())
        return table(["blocker", "check-ins", "first named", "last named"],
                     [(r.blocker, r.times, r.first, r.last) for r in rep.itertuples()],
                     empty="No blocker came up more than once.")

    def shared_entries(self) -> Block:
        """The shared entries themselves, newest first, with this coach's comments."""
        return (_left_out(self.shown.withheld, self._coach_only())
                + render_entries(self.store, self.cohort, self.entries, self.comments, names=self.names,
                                 empty="Nothing shared with you in this period."))


# --- cohort (for the facilitator) -------------------------------------------------------------
@dataclass
class CohortReport:
    """The facilitator's cohort report: aggregates only, small groups suppressed."""

    store: "Store"
    cohort: "Cohort"
    period: Period
    frame: "pd.DataFrame"
    participants: list[str]
    names: dict[str, str]

    @classmethod
    def load(cls, cohort_id: str = "example", *, since: str = "", until: str = "",
             db_url: str = "") -> "CohortReport":
        """Load the aggregates of a cohort over a period."""
        store = report_store(db_url)
        cohort = store.get_cohort(cohort_id)
        p = period(cohort, since, until)
        participants = [m.person_id for m in store.find_members(cohort_id, "participant")]
        frame = access.aggregate_frame(store, cohort_id, **p.filters())
        frame = frame[frame["author_id"].isin(participants)]
        return cls(store, cohort, p, frame, participants, _names(store, cohort_id))

    @property
    def k(self) -> int:
        """The cohort's minimum group size."""
        return self.cohort.min_group_size

    def _figure(self, hidden: bool, value: Any) -> str:
        """A table cell's raw HTML: "fewer than k" when its group is suppressed, else the escaped value."""
        return suppressed(self.k) if hidden else esc(value)

    def _sessions(self) -> list[Any]:
        return [s for s in self.store.find_sessions(self.cohort.id) if self.period.contains(s.opens_at)]

    def header(self) -> Block:
        """Title, period and summary."""
        weekly = analytics.weekly_participation(self.frame, self.k)
        # The total of the shown weeks only: the grand total minus the table would give back the
        # entries of a suppressed week.
        shown = int(weekly.loc[~weekly["suppressed"], "entries"].sum())
        hidden = int(weekly["suppressed"].sum())
        weeks = _n(len(weekly) - hidden, "week") + (f" (and {_n(hidden, 'week')} with fewer than {self.k} people)"
                                                    if hidden else "")
        summary = f"{len(self.participants)} participants, {shown} entries in {weeks}, {len(self._sessions())} sessions"
        sub = f"{self.period.label} · figures for fewer than {self.k} people are not shown"
        return _header(f"Cohort report: {self.cohort.name}", sub, summary)

    def participation_chart(self) -> Chart | Block:
        """People writing per week; suppressed weeks drawn as empty grey outlines."""
        weekly = analytics.weekly_participation(self.frame, self.k)
        if weekly.empty:
            return note("No entries in this period.")
        fig, (ax,) = new_figure(1)
        shown = weekly[~weekly["suppressed"]]
        hidden = weekly[weekly["suppressed"]]
        ax.bar(shown["week"], shown["people"].astype(float), width=5, color="#6366f1", label="people who wrote")
        if not hidden.empty:
            ax.bar(hidden["week"], [self.k] * len(hidden), width=5, fill=False, edgecolor="#999", hatch="//",
                   label=f"fewer than {self.k} (not shown)")
        ax.axhline(len(self.participants), color="#555", linestyle="--", linewidth=1, label="participants")
        ax.set_title("People who wrote at least one entry, per week")
        ax.set_xlabel("week starting")
        ax.set_ylabel("people")
        ax.yaxis.get_major_locator().set_params(integer=True)
        _week_ticks(ax, list(weekly["week"]))
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8)
        return Chart(fig, "People who wrote an entry, per week")

    def participation_table(self) -> Block:
        """The weekly figures behind the chart."""
        weekly = analytics.weekly_participation(self.frame, self.k)
        rows = [(r["week"], self._figure(r["suppressed"], r["people"]), self._figure(r["suppressed"], r["entries"]))
                for r in weekly.to_dict("records")]
        return table(["week starting", "people", "entries"], rows, raw_columns=[1, 2])

    def sessions(self) -> Block:
        """People taking part per session."""
        rows = [(r.opens, r.title, r.exercise_id, self._figure(_hidden(r.people), r.people))
                for r in analytics.session_participation(self.frame, self._sessions(), self.k).itertuples()]
        return table(["opened", "session", "exercise", "people"], rows, raw_columns=[3])

    def completion(self) -> Block:
        """Completion rate per exercise run in a session."""
        catalogue = self.store.catalogue(self.cohort.id)
        out = analytics.completion_by_exercise(self.frame, len(self.participants), self._sessions(), self.k)
        rows = []
        for r in out.to_dict("records"):
            ex = _exercise(catalogue, r["exercise_id"])
            rate = "—" if _hidden(r["rate"]) else f"{r['rate']:.0%}"  # no participants: no rate
            cells = [suppressed(self.k, partition=True)] * 2 if r["protects"] else \
                [self._figure(_hidden(r["completed"]), v) for v in (r["completed"], rate)]
            rows.append((ex.title if ex else r["exercise_id"], r["sessions"], *cells))
        return table(["exercise", "sessions", "participants who completed it", "completion rate"], rows,
                     raw_columns=[2, 3])

    def mood_chart(self) -> Chart | Block:
        """Mood over time: weekly mean (left) and people per mood band (right), weeks with k+ people only."""
        mood = analytics.mood_by_week(self.frame, self.k)
        mood = mood[mood["people"].notna()] if not mood.empty else mood
        if mood.empty:
            return note(f"No week had {self.k} or more people recording a mood.")
        fig, (left, right) = new_figure(2)
        weeks = list(mood["week"])
        left.plot(weeks, mood["mean"].astype(float), marker="o", color="#3730a3", label="mean")
        left.plot(weeks, mood["median"].astype(float), marker="s", linestyle=":", color="#6366f1", label="median")
        left.set_ylim(0.8, 5.2)
        left.set_title("Average mood (1 = drained, 5 = energised)")
        left.set_xlabel("week starting")
        left.set_ylabel("mood")
        left.legend(loc="lower right", frameon=False, fontsize=8)
        colours = ["#f97316", "#facc15", "#22c55e"]
        bottom = [0.0] * len(mood)
        for (band, label), colour in zip(analytics.MOOD_BANDS.items(), colours):
            vals = [0.0 if _hidden(v) else float(v) for v in mood[band]]
            right.bar(weeks, vals, bottom=bottom, width=5, color=colour, label=label)
            bottom = [b + v for b, v in zip(bottom, vals)]
        hidden = [0.0 if _hidden(v) else float(v) for v in mood["hidden"]]
        if any(hidden):
            right.bar(weeks, hidden, bottom=bottom, width=5, color="#e5e7eb", hatch="//", edgecolor="#9ca3af",
                      label="small groups, not shown")
        right.set_title("People by mood band")
        right.set_xlabel("week starting")
        right.set_ylabel("people")
        right.yaxis.get_major_locator().set_params(integer=True)
        right.set_ylim(0, max(b + h for b, h in zip(bottom, hidden)) * 1.45 + 1)  # room for the legend
        right.legend(loc="upper left", ncol=2, frameon=False, fontsize=7)
        for ax in (left, right):
            ax.tick_params(axis="x", labelrotation=30, labelsize=8)
            _week_ticks(ax, weeks)
        return Chart(fig, "Weekly mean mood, and people per mood band per week")

    def mood_table(self) -> Block:
        """Weekly mean and median mood (weeks with too few people suppressed)."""
        mood = analytics.mood_by_week(self.frame, self.k)
        rows = []
        for r in mood.to_dict("records"):
            hidden = _hidden(r["people"])
            rows.append((r["week"], self._figure(hidden, r["people"]), self._figure(hidden, fmt(r["mean"])),
                         self._figure(hidden, fmt(r["median"]))))
        return table(["week starting", "people with a mood", "mean", "median"], rows, raw_columns=[1, 2, 3])

    def retros(self) -> Block:
        """Per retro session: themes and the top-voted cards (cards shared with the cohort only).

        The same card written by several people counts once, with their votes added up.
        """
        out = Block("", "")
        catalogue = self.store.catalogue(self.cohort.id)
        # A custom retro retired since its session ran is not in the catalogue: its entries say the kind.
        ran_as_retro = set(self.frame.loc[self.frame["kind"] == "retro", "session_id"].dropna().astype(int))
        retro = [s for s in self._sessions()
                 if (ex := _exercise(catalogue, s.exercise_id)) is not None and ex.kind == "retro"
                 or ex is None and s.id in ran_as_retro]
        if not retro:
            return note("No retro in this period.")
        for s in retro:
            cards = access.cohort_cards(self.store, s.id)
            themes = {g.id: g.title for g in self.store.find_groups(s.id)}
            out = out + Block(f"<h4>{esc(s.title)} <span class='wb-muted'>({esc(s.exercise_id)})</span></h4>",
                              s.title)
            if themes:
                counts = {gid: sum(1 for c in cards if c.group_id == gid) for gid in themes}
                out = out + table(["theme", "cards"], [(themes[g], counts[g]) for g in themes])
            merged: dict[tuple[str, str], dict[str, Any]] = {}
            for c in cards:
                key = (c.column_id, " ".join(c.text.casefold().split()))
                m = merged.setdefault(key, {"column": c.column_id, "text": c.text, "votes": 0, "authors": set()})
                m["votes"] += c.votes
                m["authors"].add(c.author_id)
            top = sorted(merged.values(), key=lambda m: (-m["votes"], -len(m["authors"]), m["text"]))[:5]
            rows = [(m["column"], m["text"], self._figure(len(m["authors"]) < self.k, len(m["authors"])),
                     self._figure(m["votes"] < self.k, m["votes"])) for m in top]
            out = out + table(["column", "card", "written by", "votes"], rows, raw_columns=[2, 3],
                              empty="No cards shared.")
        return out

    def action_items(self) -> Block:
        """Open action items, overdue ones highlighted."""
        today = dt.datetime.now(ZoneInfo(self.cohort.timezone)).date()  # the cohort's today, not the server's
        items = self.store.find_action_items(self.cohort.id, status="open")
        rows = [(i.text, self.names.get(i.owner_id or "", i.owner_id or "nobody yet"), i.due)
                for i in items]
        return table(["action", "owner", "due"], rows,
                     alert=lambda n: (due := items[n].due) is not None and due < today,
                     empty="No open action items.")

    def pairing(self) -> Block:
        """Pairing coverage, and check-ins per coach (suppressed for coaches with few mentees)."""
        coach_of = {p: self.store.coaches_of(self.cohort.id, p) for p in self.participants}
        cov = analytics.pairing_coverage(self.participants, coach_of, self.k)
        rows = [(r["group"], suppressed(self.k, partition=True) if _hidden(r["people"]) else esc(r["people"]),
                 "" if _hidden(r["share"]) else f"{r['share']:.0%}")
                for r in cov.to_dict("records")]
        coaches = [m.person_id for m in self.store.find_members(self.cohort.id, "coach")]
        mentees = {c: [p for p in self.participants if c in coach_of[p]] for c in coaches}
        per = analytics.checkins_by_coach(self.frame, mentees, self.k)
        rows2 = [(self.names.get(r["coach_id"], r["coach_id"]), r["mentees"],
                  self._figure(_hidden(r["checkins"]), r["checkins"]))
                 for r in per.to_dict("records")]
        return (table(["participants", "people", "share"], rows, raw_columns=[1])
                + table(["coach", "mentees", "check-ins written by their mentees"], rows2, raw_columns=[2]))

    def shared_reflections(self, limit: int = 40) -> Block:
        """Excerpts of reflections their authors shared with the cohort (newest first, unattributed)."""
        entries = [e for e in access.shared_with_cohort(self.store, self.cohort.id, **self.period.filters())
                   if e.kind == "reflection" and e.author_id in set(self.participants)][:limit]
        catalogue = self.store.catalogue(self.cohort.id)
        rows = []
        for e in entries:
            ex = _exercise(catalogue, e.exercise_id)
            title, order = (ex.title, [p.id for p in ex.prompts]) if ex else (e.exercise_id, [])
            text = next((v for _, v in ordered_answers(e.answers, order) if isinstance(v, str) and v.strip()), "")
            rows.append((local_date(e.created_at, self.cohort), title, text if len(text) <= 300 else text[:297] + "..."))
        return table(["date", "exercise", "excerpt"], rows, empty="Nothing was shared with the cohort in this period.")


def _progress_left_out(count: int) -> Block:
    """A note that goal progress recorded in entries this page does not show is left out, or nothing."""
    if not count:
        return Block("", "")
    return note(f"{_n(count, 'progress update')} recorded in entries not shown here "
                f"{'is' if count == 1 else 'are'} left out of the goals above.")


def _exercise(catalogue: Any, exercise_id: str) -> Any:
    """The exercise as the cohort's catalogue has it now, or None (a custom one retired since)."""
    try:
        return catalogue.get(exercise_id)
    except Exception:
        return None


def _hidden(value: Any) -> bool:
    """A suppressed (or missing) cell of an analytics frame."""
    import pandas as pd

    return value is None or value is pd.NA or (isinstance(value, float) and value != value)
