"""A coach's report on one mentee: shared entries only, check-in cadence, goals and repeated blockers."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ... import access, mentoring
from ...access import Viewer
from ...errors import NotFoundError
from ..blocks import Block, Chart, note, progress_bar, table
from ..context import Period, local_date, now_or_end, period, render_entries
from . import charts
from .common import left_out, member_names, page_header, plural, progress_left_out

if TYPE_CHECKING:
    import pandas as pd

    from ...store import Cohort, Store


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
    def load(cls, store: "Store", cohort_id: str, person_id: str = "", coach_id: str = "", *, since: str = "",
             until: str = "", viewer: Viewer | None = None) -> "MenteeReport":
        """Load ``coach_id``'s report on mentee ``person_id`` (defaults: the first mentee and their coach).

        ``viewer`` defaults to the batch's audience (a facilitator): coach-only entries are then
        left out and counted, and draft comments never appear. The live app passes the coach.
        """
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
        return cls(store, cohort, coach_id, person_id, member_names(store, cohort_id), p, shown.entries, shown.comments,
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
        summary = (f"{plural(len(self.entries), 'shared entry', 'shared entries')}, {plural(len(checkins), 'check-in')}, "
                   f"{last}, {plural(int(cad['overdue'].sum()), 'overdue gap')}")
        return (page_header(f"Mentee report: {mentee}", f"for {coach} · {self.cohort.name} · {self.period.label}", summary)
                + left_out(self.shown.withheld, self._coach_only()))

    def charts(self) -> Chart | Block:
        """Mood trend (left) and the gaps between check-ins, overdue ones in red (right)."""
        frame = self.store.entries_frame(self.cohort.id, entries_list=self.entries)
        trend = mentoring.mood_trend(frame)
        cad = self._cadence()
        if frame.empty and cad.empty:
            return note("Nothing shared in this period, so no chart.")
        days = mentoring.cadence_days(self.cohort.settings)
        gap_ends = [str(local_date(t, self.cohort))[5:] for t in cad["to"]] if not cad.empty else []
        return charts.checkin_chart(trend, cad, days, gap_ends)

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
        rows = [(r.goal, r.measure or "", progress_bar(r.progress), r.status, r.target,
                 local_date(r.last_update, self.cohort)) for r in frame.itertuples()]
        return (table(["goal", "measure", "progress", "status", "target date", "last update"], rows, raw_columns=[2],
                      empty="No goals set yet.") + progress_left_out(self.shown.progress_withheld))

    def blockers(self) -> Block:
        """Blockers named in two or more check-ins."""
        rep = mentoring.repeated_blockers(self._checkins())
        return table(["blocker", "check-ins", "first named", "last named"],
                     [(r.blocker, r.times, r.first, r.last) for r in rep.itertuples()],
                     empty="No blocker came up more than once.")

    def shared_entries(self) -> Block:
        """The shared entries themselves, newest first, with this coach's comments."""
        return (left_out(self.shown.withheld, self._coach_only())
                + render_entries(self.store, self.cohort, self.entries, self.comments, names=self.names,
                                 empty="Nothing shared with you in this period."))
