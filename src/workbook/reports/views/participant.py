"""The participant's report: their journal, prompts answered, mood, streak, goals, comments, kudos and milestones."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ... import access, mentoring
from ...access import Viewer
from ...errors import NotFoundError
from ..blocks import Block, Chart, note, progress_bar, stats, table
from ..context import Period, exercise_or_none, local, local_date, now_or_end, period, render_entries
from . import charts
from .common import left_out, member_names, page_header, plural, progress_left_out

if TYPE_CHECKING:
    import pandas as pd

    from ...store import Cohort, Store


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
    def load(cls, store: "Store", cohort_id: str, person_id: str = "", *, since: str = "", until: str = "",
             viewer: Viewer | None = None) -> "ParticipantReport":
        """Load the report of ``person_id`` (default: the cohort's first participant) for ``viewer``.

        ``viewer`` defaults to the batch's audience (a facilitator): private and coach-only
        entries are then left out and counted. The live app passes the participant themself.
        """
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
        return cls(store, cohort, person_id, member.name, p, shown.entries, comments, member_names(store, cohort_id),
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
        summary = (f"{plural(len(self.entries), 'entry', 'entries')}, {plural(s.weeks_with_entries, 'week')} active "
                   f"(current streak {s.current}), mood: {trend}")
        return (page_header(f"Reflection report: {self.name}", f"{self.cohort.name} · {self.period.label}", summary)
                + left_out(self.shown.withheld, "your coach"))

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
        return charts.activity_chart(frame, mentoring.mood_trend(frame), self.name)

    def prompts_answered(self) -> Block:
        """Per exercise: entries and how many of its prompts were answered."""
        catalogue = self.store.catalogue(self.cohort.id)
        per: dict[str, list[int]] = {}
        for e in self.entries:
            per.setdefault(e.exercise_id, []).append(len([v for v in e.answers.values() if v not in ("", [], None)]))
        rows = []
        for ex_id, counts in sorted(per.items()):
            ex = exercise_or_none(catalogue, ex_id)
            title, total = (ex.title, len(ex.prompts)) if ex else (ex_id, None)
            avg = sum(counts) / len(counts)
            rows.append((title, len(counts), f"{avg:.1f}" + (f" of {total}" if total else "")))
        return table(["exercise", "entries", "prompts answered (average)"], rows)

    def journal(self) -> Block:
        """Every entry of the period the page shows, newest first, with the coach comments released to them."""
        intro = (note("Private entries included: only you see this page.") if self.own
                 else left_out(self.shown.withheld, "your coach"))
        return intro + render_entries(self.store, self.cohort, self.entries, self.comments, names=self.names)

    def goals(self) -> Block:
        """Goals with progress bars and check-ins written (progress recorded in entries not shown is left out)."""
        frame = self._goal_table()
        checkins = sum(1 for e in self.entries if e.kind == "checkin")
        rows = [(r.goal, r.measure or "", progress_bar(r.progress), r.status, r.target, r.updates,
                 local_date(r.last_update, self.cohort)) for r in frame.itertuples()]
        return (table(["goal", "measure", "progress", "status", "target date", "updates", "last update"], rows,
                      raw_columns=[2], empty="No goals set yet.")
                + note(f"{checkins} mentorship check-ins in this period.")
                + progress_left_out(self.shown.progress_withheld))

    def kudos(self) -> Block:
        """Kudos received in the period: all of them on the receiver's own page; in a page written for
        someone else, only those shared with the cohort (the others are counted)."""
        received = [k for k in self.store.find_kudos(self.cohort.id, to_id=self.person_id)
                    if self.period.contains(k.created_at)]
        shown = [k for k in received if access.can_see_kudos(self.viewer, k)]
        rows = [(local(k.created_at, self.cohort), self.names.get(k.from_id, k.from_id), k.message) for k in shown]
        out = table(["when", "from", "message"], rows, empty="No kudos in this period.")
        if len(shown) < len(received):
            out += note(f"{plural(len(received) - len(shown), 'more kudos message', 'more kudos messages')} "
                        "only for them (not shown here).")
        return out

    def milestones(self) -> Block:
        """Milestones reached in the period (by a rule, or recorded by a facilitator or coach)."""
        rows = [(local(m.achieved_at, self.cohort), m.title,
                 "by rule" if m.rule else f"recorded by {self.names.get(m.recorded_by or '', 'a facilitator')}",
                 m.due.isoformat() if m.due else "")
                for m in self.store.find_milestones(self.cohort.id, self.person_id)
                if self.period.contains(m.achieved_at)]
        return table(["when", "milestone", "how", "due"], rows, empty="No milestones recorded in this period.")
