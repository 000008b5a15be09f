"""The coach page (a coach's personal link, Voila): mentees and the health of each pair, what is new since
the last visit, and for one mentee their shared entries, comments, goals and the next check-in date.

``workbook/notebooks/forms/coach.ipynb`` is two calls: ``coach_page(query_string())``. The server lets
only coaches and facilitators in (:data:`workbook.access.PAGE_ROLES`). Everything shown or done goes
through the API: :func:`workbook.mentoring.pair_health` (whose pairs), :func:`workbook.access.mentee_entries`
(never a private entry, never a non-mentee), the comment verbs of :mod:`workbook.access`, :mod:`workbook.goals`
and :func:`workbook.mentoring.schedule_checkin`. The mentee picker lists only the viewer's own mentees.
Times are shown in the cohort's time zone.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from .. import access
from ..errors import NotFoundError, WorkbookError
from ..html import esc
from .entry import FormContext, guarded_save
from .fields import problem_messages, set_messages, text_html, text_widget
from .goals import GoalActions, GoalEditor
from .home import PAGE_STYLE, chip, day, goal_line, local, section, zone_of
from .pages import Page, _shell, guarded_page, page_link

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from ..exercises import Exercise
    from ..mentoring import PairHealth
    from ..store import Comment, Entry, Goal, Store

log = logging.getLogger(__name__)

KIND = "coach"
NO_MENTEES = "You have no mentees in this cohort yet. Your facilitator pairs coaches with mentees."


def answer_text(exercise: "Exercise | None", prompt_id: str, value: Any) -> tuple[str, str]:
    """(question, answer) as plain text; a scale answer with its labels ("4 of 5 (1 = drained, 5 = energised)")."""
    question, prompt = prompt_id, None
    if exercise is not None:
        try:
            prompt = exercise.prompt(prompt_id)
            question = prompt.text
        except NotFoundError:
            pass
    if isinstance(value, list):
        return question, "\n".join(f"• {v}" for v in value)
    if prompt is not None and prompt.type == "scale":
        shown = f"{value} of {prompt.scale_max}"
        if prompt.labels:
            low, high = prompt.labels
            shown += f" ({prompt.scale_min} = {low}, {prompt.scale_max} = {high})"
        return question, shown
    return question, str(value)


class CommentRow:
    """One comment of the coach's on an entry: a draft has Edit, Delete and Release; a released one is final."""

    def __init__(self, panel: "EntryPanel", comment: "Comment") -> None:
        self.panel, self.comment = panel, comment
        self.box = widgets.VBox([])
        self.box.add_class("wb-coach-comment-row")
        self.edit_button = self._button("Edit", f"wb-comment-edit-{comment.id}", self.start_edit)
        self.delete_button = self._button("Delete", f"wb-comment-delete-{comment.id}", self.delete)
        self.release_button = self._button("Release", f"wb-comment-release-{comment.id}", self.release, "success")
        self.editor: widgets.Textarea | None = None
        self.show()

    @staticmethod
    def _button(label: str, css: str, action: Callable[[], Any], style: str = "") -> widgets.Button:
        b = widgets.Button(description=label, button_style=style, layout=widgets.Layout(width="7em"))
        b.add_class(css)
        b.on_click(lambda _b: action())
        return b

    def show(self) -> None:
        c, zone = self.comment, self.panel.view.zone
        if c.released:
            meta = f"Released {local(c.released_at, zone)}" if c.released_at else "Released"
            self.box.children = [widgets.HTML(text_html(c.body, "wb-coach-comment")
                                              + text_html(meta + " · your mentee sees it", "wb-help"))]
            return
        self.editor = None
        meta = f"Draft, {local(c.created_at, zone)} · not yet visible to your mentee"
        self.box.children = [widgets.HTML(text_html(c.body, "wb-coach-comment wb-coach-draft")
                                          + text_html(meta, "wb-help")),
                             widgets.HBox([self.release_button, self.edit_button, self.delete_button])]

    def start_edit(self) -> None:
        self.editor = widgets.Textarea(value=self.comment.body, layout=widgets.Layout(width="98%", height="5em"))
        self.editor.add_class(f"wb-comment-editor-{self.comment.id}")
        save = self._button("Save", f"wb-comment-save-{self.comment.id}", self.save_edit, "primary")
        cancel = self._button("Cancel", f"wb-comment-cancel-{self.comment.id}", self.show)
        self.box.children = [self.editor, widgets.HBox([save, cancel])]

    def save_edit(self) -> "Comment | None":
        if self.editor is None:
            return None
        body, ctx = self.editor.value, self.panel.view.ctx
        done = guarded_save(self.panel.status, "editing a comment",
                            lambda: access.edit_comment(ctx.store, ctx.check(), self.comment.id, body),
                            lambda exc: set_messages(self.panel.status, problem_messages(exc)))
        if done is not None:
            self.comment = done
            self.show()
            self.panel.status.value = text_html("Draft saved.", "wb-ok")
        return done

    def delete(self) -> bool:
        ctx = self.panel.view.ctx
        ok = guarded_save(self.panel.status, "deleting a comment",
                          lambda: access.delete_comment(ctx.store, ctx.check(), self.comment.id) or True,
                          lambda exc: set_messages(self.panel.status, problem_messages(exc)))
        if ok:
            self.panel.reload_comments()
            self.panel.status.value = text_html("Draft deleted.", "wb-ok")
        return bool(ok)

    def release(self) -> "Comment | None":
        ctx = self.panel.view.ctx
        done = guarded_save(self.panel.status, "releasing a comment",
                            lambda: access.release_comment(ctx.store, ctx.check(), self.comment.id),
                            lambda exc: set_messages(self.panel.status, problem_messages(exc)))
        if done is not None:
            self.comment = done
            self.show()
            self.panel.status.value = text_html("Released: your mentee sees it in their journal and on their "
                                                "home page.", "wb-ok")
        return done


class EntryPanel:
    """One shared entry of the mentee: when, what, the coach's comments, and a box for a new one."""

    def __init__(self, view: "CoachView", entry: "Entry", comments: list["Comment"]) -> None:
        self.view, self.entry = view, entry
        self.comments: dict[int, CommentRow] = {}
        self.status = widgets.HTML("")
        self.status.add_class("wb-comment-status")
        self.new_comment = widgets.Textarea(placeholder="Your comment (saved as a draft until you release it)",
                                            layout=widgets.Layout(width="98%", height="5em"))
        self.new_comment.add_class("wb-comment-new")
        self.draft_button = CommentRow._button("Save draft", "wb-comment-draft", lambda: self.add(False))
        self.release_now_button = CommentRow._button("Save and release", "wb-comment-release-now",
                                                     lambda: self.add(True), "primary")
        self.release_now_button.layout.width = "12em"
        self.comment_list = widgets.VBox([])
        exercise = view.exercise_of(entry)
        title = exercise.title if exercise else entry.exercise_id
        audience = "the cohort" if access.is_shared_with_cohort(entry) else "you"
        parts = [text_html(title, "wb-prompt-text"),
                 text_html(f"{local(entry.created_at, view.zone)} · shared with {audience}", "wb-entry-meta")]
        for pid, value in entry.answers.items():
            q, a = answer_text(exercise, pid, value)
            parts.append(text_html(q, "wb-help") + text_html(a, "wb-answer"))
        self.box = widgets.VBox([widgets.HTML("".join(parts)), self.comment_list, self.new_comment,
                                 widgets.HBox([self.draft_button, self.release_now_button]), self.status],
                                layout=widgets.Layout(width="100%"))
        self.box.add_class("wb-coach-entry")
        self.box.add_class(f"wb-coach-entry-{entry.id}")
        self._show_comments(comments)

    def _show_comments(self, comments: list["Comment"]) -> None:
        self.comments = {c.id: CommentRow(self, c) for c in comments}
        self.comment_list.children = [r.box for r in self.comments.values()]

    def reload_comments(self) -> None:
        ctx = self.view.ctx
        self._show_comments(access.visible_comments(ctx.store, ctx.check(), [self.entry]))

    def add(self, release: bool) -> "Comment | None":
        """Write a comment on the entry: a draft, or released at once."""
        body, ctx = self.new_comment.value, self.view.ctx
        done = guarded_save(self.status, "adding a comment",
                            lambda: access.comment_on(ctx.store, ctx.check(), self.entry.id, body, release=release),
                            lambda exc: set_messages(self.status, problem_messages(exc)))
        if done is not None:
            self.new_comment.value = ""
            self.reload_comments()
            self.status.value = text_html("Comment released: your mentee sees it." if release else
                                          "Draft saved: your mentee sees it once you release it.", "wb-ok")
        return done


class GoalPanelRow(GoalActions):
    """One goal of the mentee, as their coach sees it: Edit, Agree (the mentee's proposal), Reached, Dropped."""

    def __init__(self, panel: "MenteePanel", goal: "Goal") -> None:
        self.panel, self.goal = panel, goal
        self.box = widgets.VBox([])
        self.box.add_class("wb-goal")
        self.box.add_class(f"wb-coach-goal-{goal.id}")
        self.status = widgets.HTML("")
        self.show()

    def show(self) -> None:
        g, me = self.goal, self.panel.view.ctx.viewer.person_id
        buttons: list[widgets.Widget] = []
        if g.status in ("proposed", "agreed"):
            buttons.append(CommentRow._button("Edit", "wb-goal-edit", self.start_edit))
        if g.status == "proposed" and access.can_agree_goal(self.panel.view.ctx.store, self.panel.view.ctx.viewer, g):
            buttons.append(CommentRow._button("Agree", "wb-goal-agree", self.agree, "success"))
        if g.status in ("proposed", "agreed"):
            buttons.append(CommentRow._button("Reached", "wb-goal-reached", lambda: self.set_status("reached"),
                                              "success"))
            buttons.append(CommentRow._button("Dropped", "wb-goal-dropped", lambda: self.set_status("dropped")))
        proposed = g.proposed_by
        who = ""
        if g.status == "proposed":
            who = ("You proposed it; waiting for your mentee to agree." if proposed == me
                   else "Your mentee set it; agree it, or edit it first.")
        self.box.children = [widgets.HTML(goal_line(g) + (text_html(who, "wb-help") if who else "")),
                             widgets.HBox(buttons), self.status]

    def start_edit(self) -> None:
        editor = GoalEditor(self.panel.view.ctx, goal=self.goal, on_saved=self._saved, on_cancel=self.show,
                            save_label="Save changes")
        self.box.children = [editor.widget, self.status]

    @property
    def ctx(self) -> FormContext:
        return self.panel.view.ctx


class MenteePanel:
    """Everything about one mentee: health, next check-in, goals with progress over time, shared entries."""

    def __init__(self, view: "CoachView", pair: "PairHealth") -> None:
        self.view, self.pair = view, pair
        ctx = view.ctx
        self.mentee_id = pair.mentee_id
        self.status = widgets.HTML("")
        self.status.add_class("wb-mentee-status")
        # --- next check-in
        self.schedule_date = widgets.DatePicker(value=pair.next_due)
        self.schedule_date.add_class("wb-schedule-date")
        self.schedule_button = CommentRow._button("Schedule", "wb-schedule-save", self.schedule, "primary")
        self.schedule_status = widgets.HTML("")
        # --- goals
        self.goal_rows: dict[int, GoalPanelRow] = {}
        self.goal_list = widgets.VBox([])
        self.goal_list.add_class("wb-coach-goals")
        self.progress = widgets.HTML("")
        self.progress.add_class("wb-goal-progress")
        self.propose = GoalEditor(ctx, person_id=self.mentee_id, on_saved=self._proposed, save_label="Propose goal")
        self.goal_status = widgets.HTML("")
        # --- entries
        self.entries: dict[int, EntryPanel] = {}
        self.entry_list = widgets.VBox([])
        self.header = widgets.HTML("")
        self.widget = widgets.VBox([
            self.header, self.status,
            section("Next check-in", [text_widget("Pick the date you agreed; it sets when the next check-in is due.",
                                                  "wb-help"),
                                      widgets.HBox([self.schedule_date, self.schedule_button]),
                                      self.schedule_status], "wb-coach-schedule"),
            section("Goals", [self.goal_list, self.goal_status, text_widget("Progress over time", "wb-prompt-text"),
                              self.progress, text_widget("Propose a goal", "wb-prompt-text"), self.propose.widget],
                    "wb-coach-goals-section"),
            section("Entries shared with you, newest first", [self.entry_list], "wb-coach-entries")],
            layout=widgets.Layout(width="100%"))
        self.widget.add_class("wb-mentee-panel")
        self.refresh()

    def _header_html(self) -> str:
        p = self.pair
        last = local(p.last_checkin, self.view.zone) if p.last_checkin else "no check-in yet"
        reasons = f'<div class="wb-help">{esc("; ".join(p.reasons))}</div>' if p.reasons else ""
        overdue = f" · {p.overdue_days} days overdue" if p.overdue_days else ""
        return (f'<div class="wb-title">{esc(p.mentee_name)} {chip(p.status)}</div>'
                f'<div class="wb-help">Last check-in: {esc(last)} · every {p.cadence_days} days · next due '
                f'{esc(day(p.next_due))}{esc(overdue)}</div>{reasons}')

    def refresh(self) -> None:
        """Reload goals, progress and entries through the API."""
        self.header.value = self._header_html()
        self.refresh_goals()
        ctx = self.view.ctx
        viewer = ctx.check()
        shared = access.mentee_entries(ctx.store, viewer, self.mentee_id)
        comments = access.visible_comments(ctx.store, viewer, shared)
        by_entry: dict[int, list[Comment]] = {}
        for c in comments:
            by_entry.setdefault(c.entry_id, []).append(c)
        self.entries = {e.id: EntryPanel(self.view, e, by_entry.get(e.id, [])) for e in shared}
        self.entry_list.children = ([p.box for p in self.entries.values()] if self.entries else
                                    [text_widget("Nothing shared with you yet.", "wb-help")])

    def refresh_goals(self) -> None:
        from .. import goals

        ctx = self.view.ctx
        viewer = ctx.check()
        listed = goals.goals_of(ctx.store, viewer, self.mentee_id)
        self.goal_rows = {g.id: GoalPanelRow(self, g) for g in listed}
        self.goal_list.children = ([r.box for r in self.goal_rows.values()] if listed else
                                   [text_widget("No goals yet: propose one below.", "wb-help")])
        self.progress.value = self._progress_html(listed)

    def _progress_html(self, listed: list["Goal"]) -> str:
        """Progress records the coach may see (a check-in's progress is as private as the check-in), oldest first."""
        ctx = self.view.ctx
        seen = access.report_entries(ctx.store, ctx.viewer, self.mentee_id)
        titles = {g.id: g.title for g in listed}
        rows = [(h.created_at, titles.get(h.goal_id, ""), h.progress) for h in seen.goal_history
                if h.goal_id in titles]
        if not rows:
            return text_html("No progress recorded yet.", "wb-help")
        body = "".join(f"<tr><td>{esc(local(at, self.view.zone))}</td><td>{esc(title)}</td>"
                       f"<td><span class='wb-bar' style='display:inline-block;height:.6em;background:#6366f1;"
                       f"width:{int(p) * 0.8:.0f}px'></span> {int(p)}%</td></tr>" for at, title, p in rows)
        return f"<table class='wb-table'><tr><th>When</th><th>Goal</th><th>Progress</th></tr>{body}</table>"

    def _proposed(self, goal: "Goal") -> None:
        self.propose.clear()
        self.refresh_goals()
        self.goal_status.value = text_html(f"Proposed: {goal.title}. Your mentee sees it and can agree it.", "wb-ok")

    def schedule(self) -> bool:
        """Set the next check-in date (it drives the cadence)."""
        from .. import mentoring

        when: dt.date | None = self.schedule_date.value
        if when is None:
            set_messages(self.schedule_status, ["Please pick a date."])
            return False
        ctx = self.view.ctx
        ok = guarded_save(self.schedule_status, "scheduling a check-in",
                          lambda: mentoring.schedule_checkin(ctx.store, ctx.check(), self.mentee_id, when) or True,
                          lambda exc: set_messages(self.schedule_status, problem_messages(exc)))
        if ok:
            self.view.reload_health()
            fresh = self.view.pair(self.mentee_id)
            if fresh is not None:
                self.pair = fresh
                self.header.value = self._header_html()
            self.schedule_status.value = text_html(f"Next check-in: {day(when)}.", "wb-ok")
        return bool(ok)


class CoachView:
    """The coach page: pair health, new since the last visit, and a panel for the picked mentee."""

    def __init__(self, ctx: FormContext, *, now: dt.datetime | None = None) -> None:
        from .. import coach

        self.ctx, self.now = ctx, now
        self.zone: ZoneInfo = zone_of(ctx, cohort=True)
        self._exercises: dict[int, Exercise | None] = {}
        self.health: list[PairHealth] = []
        self.table = widgets.HTML("")
        self.table.add_class("wb-coach-health")
        self.reload_health()
        viewer = ctx.check()
        # This visit is recorded first; "new" is what came since the visit before it.
        coach.mark_visit(ctx.store, viewer, now=now)
        self.new = list(coach.new_since_last_visit(ctx.store, viewer))
        self.new_box = widgets.HTML(self._new_html())
        self.new_box.add_class("wb-coach-new")
        mine = self.mentees()
        self.picker = widgets.Dropdown(options=[(p.mentee_name, p.mentee_id) for p in mine],
                                       value=mine[0].mentee_id if mine else None, description="Mentee",
                                       layout=widgets.Layout(width="60%"))
        self.picker.add_class("wb-coach-mentee")
        self.picker.observe(lambda _c: self.show(), names="value")
        self.panel_box = widgets.VBox([])
        self.panel: MenteePanel | None = None
        self.widget = widgets.VBox([
            text_widget("Coach desk", "wb-title"),
            widgets.HTML(f'<div class="wb-links">{page_link("reports", "Mentee reports")}</div>'),
            section("Your mentees" if ctx.viewer.role == "coach" else "Pairs", [self.table], "wb-coach-pairs"),
            section("New since your last visit", [self.new_box], "wb-notices"),
            self.picker, self.panel_box], layout=widgets.Layout(width="100%"))
        self.widget.add_class("wb-coach")
        self.show()

    # --- data -------------------------------------------------------------------------------
    def reload_health(self) -> None:
        from .. import mentoring

        self.health = list(mentoring.pair_health(self.ctx.store, self.ctx.check(), now=self.now))
        self.table.value = self._table_html()

    def mentees(self) -> list["PairHealth"]:
        """The viewer's own mentees (the only ones whose entries the page opens)."""
        return [p for p in self.health if p.coach_id == self.ctx.viewer.person_id]

    def pair(self, mentee_id: str) -> "PairHealth | None":
        return next((p for p in self.mentees() if p.mentee_id == mentee_id), None)

    def exercise_of(self, entry: "Entry") -> "Exercise | None":
        if entry.id not in self._exercises:
            try:
                self._exercises[entry.id] = self.ctx.store.entry_exercise(entry.id)
            except WorkbookError:
                self._exercises[entry.id] = None
        return self._exercises[entry.id]

    def _table_html(self) -> str:
        if not self.health:
            return text_html(NO_MENTEES, "wb-help")
        others = any(p.coach_id != self.ctx.viewer.person_id for p in self.health)
        head = ("<tr>" + ("<th>Coach</th>" if others else "") + "<th>Mentee</th><th>Last check-in</th>"
                "<th>Cadence</th><th>Next due</th><th>Health</th><th>Fit</th></tr>")
        rows = []
        for p in self.health:
            last = local(p.last_checkin, self.zone) if p.last_checkin else "none yet"
            why = f"<div class='wb-help'>{esc('; '.join(p.reasons))}</div>" if p.reasons else ""
            rows.append("<tr>" + (f"<td>{esc(p.coach_name)}</td>" if others else "")
                        + f"<td>{esc(p.mentee_name)}</td><td>{esc(last)}</td><td>every {p.cadence_days} days</td>"
                        f"<td>{esc(day(p.next_due))}</td><td>{chip(p.status)}{why}</td>"
                        f"<td>{chip(p.fit) if p.fit else ''}</td></tr>")
        return f"<table class='wb-table'>{head}{''.join(rows)}</table>"

    def _new_html(self) -> str:
        if not self.new:
            return text_html("Nothing new since your last visit.", "wb-help")
        names = {p.mentee_id: p.mentee_name for p in self.health}
        lines = []
        for mentee, entry in self.new:
            who = getattr(mentee, "name", None) or names.get(str(mentee), str(mentee))
            title = (self.exercise_of(entry).title if self.exercise_of(entry) else entry.exercise_id)
            lines.append(f"<li>{esc(who)}: {esc(title)} <span class='wb-help'>"
                         f"{esc(local(entry.created_at, self.zone))}</span></li>")
        return f"<ul>{''.join(lines)}</ul>"

    # --- picking a mentee ---------------------------------------------------------------------
    def show(self) -> None:
        """Show the picked mentee's panel (only the viewer's own mentees are in the picker)."""
        pair = self.pair(self.picker.value) if self.picker.value else None
        if pair is None:
            self.panel = None
            self.panel_box.children = [text_widget(NO_MENTEES if not self.mentees() else "Pick a mentee.",
                                                   "wb-message")]
            return
        self.panel = MenteePanel(self, pair)
        self.panel_box.children = [self.panel.widget]


def coach_page(query: str | None = None, store: "Store | None" = None, *, now: dt.datetime | None = None) -> Page:
    """The coach page for the link whose query string is ``query``; never raises for a visitor's mistake.

    ``query`` may carry ``mentee=<id>`` to open that mentee first (one of the viewer's own).
    """
    return guarded_page(KIND, query, store, lambda ctx, params: _coach(ctx, params, now))


def _coach(ctx: FormContext, params: dict[str, str], now: dt.datetime | None) -> Page:
    view = CoachView(ctx, now=now)
    wanted = params.get("mentee")
    if wanted and view.pair(wanted) is not None:
        view.picker.value = wanted
    return Page(_shell(KIND, [widgets.HTML(PAGE_STYLE), view.widget]), KIND, viewer=ctx.viewer,
                extra={"coach": view})


__all__ = ["CoachView", "CommentRow", "EntryPanel", "GoalPanelRow", "MenteePanel", "answer_text", "coach_page"]
