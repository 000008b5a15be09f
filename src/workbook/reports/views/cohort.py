"""The facilitator's cohort report: aggregates only, small groups suppressed (see :mod:`workbook.analytics`)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ... import access, analytics
from ...html import esc
from ..blocks import Block, Chart, fmt, note, suppressed, table
from ..context import Period, exercise_or_none, local_date, ordered_answers, period
from . import charts
from .common import is_suppressed, member_names, page_header, plural

if TYPE_CHECKING:
    import pandas as pd

    from ...store import Cohort, Store


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
    def load(cls, store: "Store", cohort_id: str, *, since: str = "", until: str = "") -> "CohortReport":
        """Load the aggregates of a cohort over a period."""
        cohort = store.get_cohort(cohort_id)
        p = period(cohort, since, until)
        participants = [m.person_id for m in store.find_members(cohort_id, "participant")]
        frame = access.aggregate_frame(store, cohort_id, **p.filters())
        frame = frame[frame["author_id"].isin(participants)]
        return cls(store, cohort, p, frame, participants, member_names(store, cohort_id))

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
        weeks = plural(len(weekly) - hidden, "week") + (f" (and {plural(hidden, 'week')} with fewer than {self.k} people)"
                                                    if hidden else "")
        summary = f"{len(self.participants)} participants, {shown} entries in {weeks}, {len(self._sessions())} sessions"
        sub = f"{self.period.label} · figures for fewer than {self.k} people are not shown"
        return page_header(f"Cohort report: {self.cohort.name}", sub, summary)

    def participation_chart(self) -> Chart | Block:
        """People writing per week; suppressed weeks drawn as empty grey outlines."""
        return charts.participation_chart(analytics.weekly_participation(self.frame, self.k), self.k,
                                          len(self.participants))

    def participation_table(self) -> Block:
        """The weekly figures behind the chart."""
        weekly = analytics.weekly_participation(self.frame, self.k)
        rows = [(r["week"], self._figure(r["suppressed"], r["people"]), self._figure(r["suppressed"], r["entries"]))
                for r in weekly.to_dict("records")]
        return table(["week starting", "people", "entries"], rows, raw_columns=[1, 2])

    def sessions(self) -> Block:
        """People taking part per session."""
        rows = [(r.opens, r.title, r.exercise_id, self._figure(is_suppressed(r.people), r.people))
                for r in analytics.session_participation(self.frame, self._sessions(), self.k).itertuples()]
        return table(["opened", "session", "exercise", "people"], rows, raw_columns=[3])

    def completion(self) -> Block:
        """Completion rate per exercise run in a session."""
        catalogue = self.store.catalogue(self.cohort.id)
        out = analytics.completion_by_exercise(self.frame, len(self.participants), self._sessions(), self.k)
        rows = []
        for r in out.to_dict("records"):
            ex = exercise_or_none(catalogue, r["exercise_id"])
            rate = "—" if is_suppressed(r["rate"]) else f"{r['rate']:.0%}"  # no participants: no rate
            cells = [suppressed(self.k, partition=True)] * 2 if r["protects"] else \
                [self._figure(is_suppressed(r["completed"]), v) for v in (r["completed"], rate)]
            rows.append((ex.title if ex else r["exercise_id"], r["sessions"], *cells))
        return table(["exercise", "sessions", "participants who completed it", "completion rate"], rows,
                     raw_columns=[2, 3])

    def mood_chart(self) -> Chart | Block:
        """Mood over time: weekly mean (left) and people per mood band (right), weeks with k+ people only."""
        return charts.mood_chart(analytics.mood_by_week(self.frame, self.k), self.k)

    def mood_table(self) -> Block:
        """Weekly mean and median mood (weeks with too few people suppressed)."""
        mood = analytics.mood_by_week(self.frame, self.k)
        rows = []
        for r in mood.to_dict("records"):
            hidden = is_suppressed(r["people"])
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
                 if (ex := exercise_or_none(catalogue, s.exercise_id)) is not None and ex.kind == "retro"
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
            top = analytics.top_retro_cards(cards, self.k)
            rows = [(r["column"], r["text"], self._figure(is_suppressed(r["authors"]), r["authors"]),
                     self._figure(is_suppressed(r["votes"]), r["votes"])) for r in top.to_dict("records")]
            out = out + table(["column", "card", "written by", "votes"], rows, raw_columns=[2, 3],
                              empty="No cards shared.")
        return out

    def action_items(self) -> Block:
        """Open action items, overdue ones highlighted."""
        today = dt.datetime.now(ZoneInfo(self.cohort.timezone)).date()  # the cohort's today, not the server's
        from ... import retro

        # Each item once: a carried item moved to the later retro (retro.review_item), it is not copied.
        items = retro.action_items(self.store, access.batch_audience(self.cohort.id), status="open")
        titles = {s.id: s.title for s in self.store.find_sessions(self.cohort.id)}
        rows = [(i.text, self.names.get(i.owner_id or "", "a former member") if i.owner_id else "nobody yet", i.due,
                 titles.get(i.session_id or 0, ""))
                for i in items]
        return table(["action", "owner", "due", "retro"], rows,
                     alert=lambda n: (due := items[n].due) is not None and due < today,
                     empty="No open action items.")

    def pairing(self) -> Block:
        """Pairing coverage, and check-ins per coach (suppressed for coaches with few mentees)."""
        coach_of = {p: self.store.coaches_of(self.cohort.id, p) for p in self.participants}
        cov = analytics.pairing_coverage(self.participants, coach_of, self.k)
        rows = [(r["group"], suppressed(self.k, partition=True) if is_suppressed(r["people"]) else esc(r["people"]),
                 "" if is_suppressed(r["share"]) else f"{r['share']:.0%}")
                for r in cov.to_dict("records")]
        coaches = [m.person_id for m in self.store.find_members(self.cohort.id, "coach")]
        mentees = {c: [p for p in self.participants if c in coach_of[p]] for c in coaches}
        per = analytics.checkins_by_coach(self.frame, mentees, self.k)
        rows2 = [(self.names.get(r["coach_id"], r["coach_id"]), r["mentees"],
                  self._figure(is_suppressed(r["checkins"]), r["checkins"]))
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
            ex = exercise_or_none(catalogue, e.exercise_id)
            title, order = (ex.title, [p.id for p in ex.prompts]) if ex else (e.exercise_id, [])
            text = next((v for _, v in ordered_answers(e.answers, order) if isinstance(v, str) and v.strip()), "")
            rows.append((local_date(e.created_at, self.cohort), title, text if len(text) <= 300 else text[:297] + "..."))
        return table(["date", "exercise", "excerpt"], rows, empty="Nothing was shared with the cohort in this period.")
