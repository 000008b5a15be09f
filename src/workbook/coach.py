"""The coach's review desk (JupyterLab or a coach link in Voila): mentees with check-in cadence,
each mentee's shared entries, comments to write and release, and goals. Widget factories over
:mod:`workbook.access` and :mod:`workbook.mentoring`; every rule lives there."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from .html import esc

from . import access
from .access import Viewer
from .errors import WorkbookError
from .mentoring import PairHealth, _zone, cadence_days, pair_health

if TYPE_CHECKING:
    from .store import Entry, Store

#: The page whose visits mark "new since my last visit".
DESK_PAGE = "coach"



@dataclass(frozen=True)
class MenteeStatus:
    """One mentee as their coach sees them."""

    person_id: str
    name: str
    shared_entries: int
    last_checkin: dt.datetime | None
    days_since_checkin: float | None
    overdue: bool
    open_goals: int
    health: PairHealth | None = None  # the pair's health (cadence, next due date, status, reasons)


def mentee_overview(store: "Store", coach: Viewer, *, now: dt.datetime | None = None) -> list[MenteeStatus]:
    """The coach's mentees, most overdue first: check-in cadence from entries shared with the coach,
    and each pair's health (:func:`workbook.mentoring.pair_health`)."""
    access.require_role(coach, "coach", "facilitator")
    now = now or dt.datetime.now(dt.timezone.utc)
    cadence = cadence_days(store.get_cohort(coach.cohort_id).settings)
    health = {h.mentee_id: h for h in pair_health(store, coach, now=now) if h.coach_id == coach.person_id}
    out = []
    for mentee_id in store.mentees_of(coach.cohort_id, coach.person_id):
        m = store.get_membership(coach.cohort_id, mentee_id)
        shared = [e for e in access.mentee_entries(store, coach, mentee_id) if e.created_at <= now]
        checkins = [e.created_at for e in shared if e.kind == "checkin"]
        last = max(checkins) if checkins else None
        days = (now - last).total_seconds() / 86400 if last else None
        goals = [g for g in store.find_goals(coach.cohort_id, mentee_id) if g.status in ("proposed", "agreed")]
        h = health.get(mentee_id)
        overdue = h.overdue_days > 0 if h is not None else days is None or days > cadence
        out.append(MenteeStatus(mentee_id, m.name, len(shared), last, days, overdue, len(goals), h))
    return sorted(out, key=lambda s: (not s.overdue, -(s.health.overdue_days if s.health else 0),
                                      -(s.days_since_checkin or 1e9), s.name))


def mark_visit(store: "Store", viewer: Viewer, *, now: dt.datetime | None = None) -> None:
    """Record that the coach opened their desk (call it when the page opens)."""
    access.require_role(viewer, "coach", "facilitator")
    store.record_visit(viewer.cohort_id, viewer.person_id, DESK_PAGE, now)


def new_since_last_visit(store: "Store", viewer: Viewer) -> list[tuple[str, "Entry"]]:
    """(mentee id, entry) shared with the coach since their previous visit, newest first.

    "Previous" is the visit before the latest :func:`mark_visit` (so a page that marks the visit
    when it opens still shows what is new); before any visit, everything shared is new.
    """
    access.require_role(viewer, "coach", "facilitator")
    last, previous = store.get_visit(viewer.cohort_id, viewer.person_id, DESK_PAGE)
    since = previous if last is not None and previous is not None else None
    out = []
    for mentee_id in store.mentees_of(viewer.cohort_id, viewer.person_id):
        for e in access.mentee_entries(store, viewer, mentee_id):
            if since is None or max(e.created_at, e.updated_at) > since:
                out.append((mentee_id, e))
    return sorted(out, key=lambda pair: pair[1].created_at, reverse=True)


@dataclass
class EntryBox:
    """The widgets of one shown entry, by name (for the notebook's own code and for tests)."""

    header: widgets.HTML
    comment: widgets.Textarea
    release_now: widgets.Checkbox
    send: widgets.Button
    #: comment id -> its Release button (drafts only)
    release: dict[int, widgets.Button]


class CoachDesk:
    """Pick a mentee, read what they shared, comment (released now or later), follow their goals."""

    def __init__(self, store: "Store", coach: Viewer) -> None:
        self.store, self.coach = store, coach
        self.overview = mentee_overview(store, coach)
        self.table = widgets.HTML(self._overview_html())
        self.picker = widgets.Dropdown(options=[(s.name, s.person_id) for s in self.overview], description="Mentee")
        self.entries = widgets.VBox()
        #: entry id -> the widgets of that entry, as shown for the picked mentee
        self.entry_boxes: dict[int, EntryBox] = {}
        self.goals = widgets.HTML()
        self.status = widgets.HTML()
        self.picker.observe(lambda _: self.show(), names="value")
        self.widget = widgets.VBox([widgets.HTML("<h3>My mentees</h3>"), self.table, self.picker, self.goals,
                                    self.status, self.entries])
        self.show()

    def _overview_html(self) -> str:
        rows = []
        for s in self.overview:
            since = "no check-in yet" if s.days_since_checkin is None else f"{s.days_since_checkin:.0f} days ago"
            flag = "<b style='color:#b00020'>overdue</b>" if s.overdue else "on track"
            rows.append(f"<tr><td>{esc(s.name)}</td><td>{s.shared_entries}</td><td>{esc(since)}</td>"
                        f"<td>{flag}</td><td>{s.open_goals}</td></tr>")
        return ("<table><tr><th>Mentee</th><th>Shared entries</th><th>Last check-in</th><th>Cadence</th>"
                "<th>Open goals</th></tr>" + "".join(rows) + "</table>")

    def show(self) -> None:
        """Show the picked mentee's shared entries, newest first, with the coach's comments."""
        mentee = self.picker.value
        if not mentee:
            self.entries.children = [widgets.HTML("<i>No mentees yet.</i>")]
            return
        goals = self.store.find_goals(self.coach.cohort_id, mentee)
        self.goals.value = "<b>Goals</b><ul>" + "".join(
            f"<li>{esc(g.title)}: {g.progress}% ({esc(g.status)})</li>" for g in goals) + "</ul>"
        shared = access.mentee_entries(self.store, self.coach, mentee)
        comments = access.visible_comments(self.store, self.coach, shared)
        self.entry_boxes = {}
        self.entries.children = [self._entry_box(e, [c for c in comments if c.entry_id == e.id]) for e in shared]

    def _entry_box(self, entry: "Entry", comments: list[Any]) -> widgets.Widget:
        exercise = self.store.exercise(entry.exercise_id, entry.cohort_id)
        lines = []
        for p in exercise.prompts:
            if p.id in entry.answers:
                value = entry.answers[p.id]
                shown = "\n".join(f"• {v}" for v in value) if isinstance(value, list) else value
                lines.append(f"<div><b>{esc(p.text)}</b><div style='white-space:pre-wrap'>{esc(shown)}</div></div>")
        tz = self.store.get_cohort(self.coach.cohort_id).timezone
        when = entry.created_at.astimezone(_zone(tz)).strftime(f"%Y-%m-%d %H:%M {tz}")
        header = widgets.HTML(f"<h4>{esc(exercise.title)} <small>{esc(when)} · shared with "
                              f"{esc(entry.visibility)}</small></h4>" + "".join(lines))
        notes = []
        releases: dict[int, widgets.Button] = {}
        for c in comments:
            state = "released" if c.released else "draft (not yet visible to your mentee)"
            row: list[widgets.Widget] = [widgets.HTML(f"<i>{esc(c.body)}</i> — {state}")]
            if not c.released:
                release = widgets.Button(description="Release", layout=widgets.Layout(width="90px"))
                release.on_click(lambda _, cid=c.id: self.release(cid))
                releases[c.id] = release
                row.insert(0, release)
            notes.append(widgets.HBox(row))
        box = widgets.Textarea(placeholder="Your comment", layout=widgets.Layout(width="95%", height="70px"))
        now = widgets.Checkbox(value=False, description="Release to mentee now")
        send = widgets.Button(description="Add comment", button_style="primary")
        send.on_click(lambda _: self.comment(entry.id, box.value, now.value))
        self.entry_boxes[entry.id] = EntryBox(header, box, now, send, releases)
        return widgets.VBox([header, *notes, box, widgets.HBox([now, send])],
                            layout=widgets.Layout(border="1px solid #ddd", padding="6px", margin="6px 0"))

    def comment(self, entry_id: int, body: str, release: bool) -> None:
        """Add a comment through the access rules; errors show in the status line, nothing stored."""
        try:
            access.comment_on(self.store, self.coach, entry_id, body, release=release)
        except WorkbookError as exc:
            self.status.value = f"<span style='color:#b00020'>{esc(exc)}</span>"
            return
        self.status.value = "Comment saved" + (" and released." if release else " as a draft.")
        self.show()

    def release(self, comment_id: int) -> None:
        """Release a draft comment to the mentee."""
        access.release_comment(self.store, self.coach, comment_id)
        self.status.value = "Comment released."
        self.show()
