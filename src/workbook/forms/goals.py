"""The goals page: set a goal in SMART form (what, how it is measured, target date), edit it, see its
status (proposed / agreed / reached / dropped) and agree a goal the coach proposed.

``workbook/notebooks/forms/goals.ipynb`` is two calls: ``goals_page(query_string())``. Every rule
(who may set, edit or agree a goal; a target date in the past) is :mod:`workbook.goals`'s; this page
shows what it says. :class:`GoalEditor` is shared with the coach page (a coach proposes a goal).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import ipywidgets as widgets

from .. import access
from .entry import FormContext, guarded_save
from .fields import problem_messages, set_messages, text_html, text_widget
from .home import PAGE_STYLE, goal_line, section
from .pages import Page, _shell, guarded_page

if TYPE_CHECKING:
    from ..errors import ValidationError
    from ..store import Goal, Store

log = logging.getLogger(__name__)

KIND = "goals"
#: The API's field names (ValidationError problems) -> the editor's input they belong to.
_FIELD_OF = {"what": "what", "title": "what", "measure": "measure", "target_date": "target", "target": "target"}


class GoalEditor:
    """A SMART goal's inputs: what, how it is measured, target date; Save creates or edits through the API.

    ``person_id`` set: a new goal for that person (the viewer's own, or a coach's proposal for a
    mentee). ``goal`` set: an edit of that goal. ``on_saved`` runs with the stored goal.
    """

    def __init__(self, ctx: FormContext, *, person_id: str | None = None, goal: "Goal | None" = None,
                 on_saved: Callable[["Goal"], None] | None = None, on_cancel: Callable[[], None] | None = None,
                 save_label: str = "Save goal") -> None:
        if (person_id is None) == (goal is None):
            raise ValueError("give person_id (a new goal) or goal (an edit), not both")
        self.ctx, self.person_id, self.goal, self.on_saved = ctx, person_id, goal, on_saved
        self.saving = False
        wide = widgets.Layout(width="98%")
        self.what = widgets.Text(value=goal.title if goal else "", placeholder="What do you want to achieve?",
                                 layout=wide)
        self.what.add_class("wb-goal-what")
        self.measure = widgets.Text(value=goal.measure if goal else "",
                                    placeholder="How will you know you got there?", layout=wide)
        self.measure.add_class("wb-goal-measure")
        self.target = widgets.DatePicker(value=goal.target_date if goal else None)
        self.target.add_class("wb-goal-target")
        self.errors = {name: widgets.HTML("") for name in ("what", "measure", "target")}
        self.status = widgets.HTML("")
        self.status.add_class("wb-goal-editor-status")
        self.save_button = widgets.Button(description=save_label, button_style="primary")
        self.save_button.add_class("wb-goal-save")
        self.save_button.on_click(lambda _b: self.save())
        buttons: list[widgets.Widget] = [self.save_button]
        if on_cancel is not None:
            cancel = widgets.Button(description="Cancel")
            cancel.add_class("wb-goal-cancel")
            cancel.on_click(lambda _b: on_cancel())
            buttons.append(cancel)
        self.widget = widgets.VBox([
            text_widget("What", "wb-prompt-text"), self.what, self.errors["what"],
            text_widget("How it is measured", "wb-prompt-text"), self.measure, self.errors["measure"],
            text_widget("Target date", "wb-prompt-text"), self.target, self.errors["target"],
            widgets.HBox(buttons), self.status], layout=widgets.Layout(width="100%"))
        self.widget.add_class("wb-goal-editor")

    def save(self) -> "Goal | None":
        """Create or edit the goal; returns it, or None with the messages shown (nothing changed)."""
        if self.saving:
            return None
        for e in self.errors.values():
            e.value = ""
        self.status.value = ""
        self.saving = True
        self.save_button.disabled = True
        try:
            stored = guarded_save(self.status, "saving a goal", self._store, self._invalid)
        finally:
            self.saving = False
            self.save_button.disabled = False
        if stored is None:
            return None
        self.goal = stored
        if self.on_saved is not None:
            self.on_saved(stored)
        return stored

    def _store(self) -> "Goal":
        from .. import goals

        viewer = self.ctx.check()
        what, measure = self.what.value.strip(), self.measure.value.strip()
        if self.goal is not None:
            return goals.edit_goal(self.ctx.store, viewer, self.goal.id, what=what, measure=measure,
                                   target_date=self.target.value)
        assert self.person_id is not None
        return goals.create_goal(self.ctx.store, viewer, self.person_id, what, measure=measure,
                                 target_date=self.target.value)

    def _invalid(self, exc: "ValidationError") -> None:
        general: list[str] = []
        for fid, messages in exc.by_field().items():
            if fid in _FIELD_OF:
                set_messages(self.errors[_FIELD_OF[fid]], messages)
            else:
                general += messages
        set_messages(self.status, general or ["Nothing was saved yet: please look at the messages in red above."])

    def clear(self) -> None:
        """Empty inputs for the next new goal."""
        self.what.value, self.measure.value, self.target.value = "", "", None


class GoalsView:
    """The viewer's own goals with their status, an editor per goal, Agree for a coach's proposal, and a new goal."""

    def __init__(self, ctx: FormContext) -> None:
        self.ctx = ctx
        self.goals: list[Goal] = []
        self.rows: dict[int, GoalRow] = {}
        self.list_box = widgets.VBox([])
        self.list_box.add_class("wb-goal-list")
        self.status = widgets.HTML("")
        self.status.add_class("wb-goals-status")
        self.new = GoalEditor(ctx, person_id=ctx.viewer.person_id, on_saved=self._created, save_label="Add goal")
        self.widget = widgets.VBox([
            text_widget("My goals", "wb-title"),
            text_widget("A good goal says what you want to achieve, how you will know you got there, and by when. "
                        "Your coach sees your goals and agrees them with you.", "wb-intro"),
            self.status, self.list_box,
            section("Set a new goal", [self.new.widget], "wb-goal-new")], layout=widgets.Layout(width="100%"))
        self.widget.add_class("wb-goals-page")
        self.refresh()

    def refresh(self) -> None:
        """Reload the goals through the API (the link is checked again first)."""
        from .. import goals

        viewer = self.ctx.check()
        self.goals = goals.goals_of(self.ctx.store, viewer, viewer.person_id)
        self.rows = {g.id: GoalRow(self, g) for g in self.goals}
        if not self.rows:
            self.list_box.children = [text_widget("You have no goals yet: set your first one below.", "wb-help")]
        else:
            self.list_box.children = [r.box for r in self.rows.values()]

    def _created(self, goal: "Goal") -> None:
        self.new.clear()
        self.refresh()
        self.status.value = text_html(f"Goal saved: {goal.title}. Your coach sees it on their page; "
                                      "change it below with Edit.", "wb-ok")

    def row(self, goal_id: int) -> "GoalRow":
        """The row of one goal (KeyError if it is not listed)."""
        return self.rows[goal_id]


class GoalActions:
    """What a goal row does on either page (the participant's goals page, the coach's mentee panel):
    save an edit, agree, mark reached or dropped, each reported in the row's ``status``."""

    goal: "Goal"
    status: widgets.HTML
    agreed_text = "Agreed."

    @property
    def ctx(self) -> FormContext:
        raise NotImplementedError

    def show(self) -> None:
        raise NotImplementedError

    def status_text(self, status: str) -> str:
        return f"Marked {status}."

    def _saved(self, goal: "Goal") -> None:
        self.goal = goal
        self.show()
        self.status.value = text_html("Goal saved.", "wb-ok")

    def _act(self, what: str, action: Callable[[], "Goal"], done_text: str) -> "Goal | None":
        done = guarded_save(self.status, what, action, lambda exc: set_messages(self.status, problem_messages(exc)))
        if done is not None:
            self.goal = done
            self.show()
            self.status.value = text_html(done_text, "wb-ok")
        return done

    def agree(self) -> "Goal | None":
        """Agree the other side's proposal."""
        from .. import goals

        ctx = self.ctx
        return self._act("agreeing a goal", lambda: goals.agree_goal(ctx.store, ctx.check(), self.goal.id),
                         self.agreed_text)

    def set_status(self, status: str) -> "Goal | None":
        """Mark the goal reached or dropped."""
        from .. import goals

        ctx = self.ctx
        return self._act(f"marking a goal {status}",
                         lambda: goals.set_goal_status(ctx.store, ctx.check(), self.goal.id, status),
                         self.status_text(status))


class GoalRow(GoalActions):
    """One goal: what, how measured, target, status; Edit, and Agree when the coach proposed it."""

    agreed_text = "Agreed: your coach sees it as agreed."

    def __init__(self, view: GoalsView, goal: "Goal") -> None:
        self.view, self.goal = view, goal
        self.box = widgets.VBox([])
        self.box.add_class("wb-goal")
        self.box.add_class(f"wb-goal-row-{goal.id}")
        self.status = widgets.HTML("")
        self.edit_button = widgets.Button(description="Edit")
        self.edit_button.add_class("wb-goal-edit")
        self.edit_button.on_click(lambda _b: self.start_edit())
        self.agree_button = widgets.Button(description="Agree", button_style="success",
                                           tooltip="Agree this goal your coach proposed")
        self.agree_button.add_class("wb-goal-agree")
        self.agree_button.on_click(lambda _b: self.agree())
        self.reached_button = widgets.Button(description="Reached", tooltip="I reached this goal")
        self.reached_button.add_class("wb-goal-reached")
        self.reached_button.on_click(lambda _b: self.set_status("reached"))
        self.dropped_button = widgets.Button(description="Drop", tooltip="This goal no longer fits")
        self.dropped_button.add_class("wb-goal-dropped")
        self.dropped_button.on_click(lambda _b: self.set_status("dropped"))
        self.editor: GoalEditor | None = None
        self.show()

    def _waiting_for_me(self) -> bool:
        ctx = self.view.ctx
        return self.goal.status == "proposed" and access.can_agree_goal(ctx.store, ctx.viewer, self.goal)

    def show(self) -> None:
        """The read-only view."""
        self.editor = None
        buttons: list[widgets.Widget] = []
        if self.goal.status in ("proposed", "agreed"):
            buttons.append(self.edit_button)
        if self._waiting_for_me():
            buttons.append(self.agree_button)
        if self.goal.status in ("proposed", "agreed"):
            buttons += [self.reached_button, self.dropped_button]
        note = []
        if self._waiting_for_me():
            note = [text_widget("Your coach proposed this goal: agree it, or edit it first.", "wb-help")]
        self.box.children = [widgets.HTML(goal_line(self.goal)), *note, widgets.HBox(buttons), self.status]

    def start_edit(self) -> None:
        """Swap in the editor, filled with the goal."""
        self.editor = GoalEditor(self.view.ctx, goal=self.goal, on_saved=self._saved, on_cancel=self.show,
                                 save_label="Save changes")
        self.status.value = ""
        self.box.children = [self.editor.widget, self.status]

    @property
    def ctx(self) -> FormContext:
        return self.view.ctx

    def status_text(self, status: str) -> str:
        return "Well done!" if status == "reached" else "Dropped."


def goals_page(query: str | None = None, store: "Store | None" = None) -> Page:
    """The goals page for the link whose query string is ``query``; never raises for a visitor's mistake."""
    return guarded_page(KIND, query, store, _goals)


def _goals(ctx: FormContext, params: dict[str, str]) -> Page:
    view = GoalsView(ctx)
    return Page(_shell(KIND, [widgets.HTML(PAGE_STYLE), view.widget]), KIND, viewer=ctx.viewer,
                extra={"goals": view})


__all__ = ["GoalEditor", "GoalRow", "GoalsView", "goals_page"]
