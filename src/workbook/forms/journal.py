"""My journal: the viewer's own entries, newest first, with released coach comments; edit in place.

Only :func:`workbook.access.journal` and :func:`workbook.access.visible_comments` decide what is
listed, so this page can never show somebody else's entry or an unreleased comment.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from .. import access
from ..errors import AccessDenied, NotFoundError, ValidationError, WorkbookError
from .entry import FormContext, build_fields, guarded_save
from .fields import (Field, button, full_width, html_widget, refuse_too_long, set_messages, text_html, text_widget,
                     visibility_picker)

if TYPE_CHECKING:
    from ..exercises import Exercise
    from ..store import Comment, Entry

log = logging.getLogger(__name__)

JOURNAL_UNAVAILABLE = "Your journal could not be loaded just now. Please press Refresh again in a minute."
SHARED_WITH = {"private": "only you", "coach": "you and your coach", "cohort": "your whole cohort"}


def _answer_text(exercise: "Exercise | None", prompt_id: str, value: Any) -> tuple[str, str]:
    """(question, answer) as plain text for display."""
    question = prompt_id
    scale = None
    if exercise is not None:
        try:
            p = exercise.prompt(prompt_id)
            question = p.text
            if p.type == "scale":
                scale = p.scale_max
        except NotFoundError:
            pass
    if isinstance(value, list):
        shown = "\n".join(f"• {v}" for v in value)
    elif scale is not None:
        shown = f"{value} of {scale}"
    else:
        shown = str(value)
    return question, shown


class JournalCard:
    """One entry in the journal: what was written, coach comments, and an Edit button."""

    def __init__(self, view: "JournalView", entry: "Entry", comments: list["Comment"]) -> None:
        self.view = view
        self.entry = entry
        self.comments = comments
        self.exercise = view.exercise_of(entry)
        self.fields: dict[str, Field] = {}
        self.visibility: widgets.RadioButtons | None = None
        self.status = html_widget()
        self.edit_button = button("Edit", tooltip="Change this entry (the earlier text is kept)")
        self.edit_button.add_class("wb-edit")
        self.edit_button.on_click(lambda _b: self.start_edit())
        self.save_button = button("Save changes", button_style="primary")
        self.save_button.add_class("wb-save-edit")
        self.save_button.on_click(lambda _b: self.save())
        self.cancel_button = button("Cancel")
        self.cancel_button.on_click(lambda _b: self.show())
        self.saving = False
        self.box = widgets.VBox([], layout=full_width())
        self.box.add_class("wb-entry")
        self.box.add_class(f"wb-entry-{entry.id}")
        self.show()

    def _header(self) -> list[widgets.Widget]:
        e = self.entry
        title = self.exercise.title if self.exercise else e.exercise_id
        when = self.view.ctx.local_day(e.created_at)
        meta = f"{when} · shared with {SHARED_WITH.get(e.visibility, e.visibility)}"
        if e.revision > 1:
            meta += f" · edited ({e.revision} versions)"
        return [text_widget(title, "wb-prompt-text"), text_widget(meta, "wb-entry-meta")]

    def show(self) -> None:
        """The read-only view of the entry."""
        parts = []
        for pid, value in self.entry.answers.items():
            q, a = _answer_text(self.exercise, pid, value)
            parts.append(text_html(q, "wb-help") + text_html(a, "wb-answer"))
        body = html_widget("".join(parts))
        notes: list[widgets.Widget] = []
        for c in self.comments:
            who = self.view.name_of(c.author_id)
            day = self.view.ctx.local_day(c.released_at or c.created_at)
            notes.append(html_widget(text_html(f"Comment from {who}, {day}", "wb-entry-meta")
                                     + text_html(c.body, "wb-comment")))
        self.fields = {}
        self.visibility = None
        self.box.children = [*self._header(), body, *notes, self.edit_button, self.status]

    def start_edit(self) -> None:
        """Swap in the inputs, filled with the current answers."""
        if self.exercise is None:
            set_messages(self.status, ["This entry's exercise is no longer available, so it cannot be edited here."])
            return
        self.fields = build_fields(self.exercise, self.view.ctx.store.settings.max_text_length)
        for pid, f in self.fields.items():
            f.set_value(self.entry.answers.get(pid))
        self.visibility = visibility_picker(self.entry.visibility)
        self.status.value = ""
        self.save_button.disabled = False
        self.box.children = [*self._header(), *[f.box for f in self.fields.values()],
                             html_widget('<div class="wb-prompt-text">Who may read this?</div>'), self.visibility,
                             widgets.HBox([self.save_button, self.cancel_button]), self.status]

    def answers(self) -> dict[str, Any]:
        """The edited answers (unanswered prompts left out)."""
        return {pid: v for pid, f in self.fields.items() if (v := f.value) is not None}

    def save(self) -> "Entry | None":
        """Store the edit as a new revision (the earlier text is kept); returns the entry or None."""
        if self.saving or not self.fields or self.visibility is None:
            return None
        for f in self.fields.values():
            f.show_errors([])
        if refuse_too_long(self.fields, self.status):
            return None
        answers, vis = self.answers(), self.visibility.value
        if answers == self.entry.answers and vis == self.entry.visibility:
            self.show()
            set_messages(self.status, ["Nothing changed."], "wb-help")
            return self.entry
        self.saving = True
        self.save_button.disabled = True
        ctx = self.view.ctx
        try:
            updated = guarded_save(self.status, f"editing entry {self.entry.id}",
                                   lambda: access.edit_entry(ctx.store, ctx.check(), self.entry.id, answers,
                                                              visibility=vis),
                                   self._show_validation)
        finally:
            self.saving = False
            self.save_button.disabled = False
        if updated is None:
            return None
        self.entry = updated
        self.show()
        when = self.view.ctx.local_time(updated.updated_at)
        self.status.value = text_html(f"Saved at {when}. Your earlier text is kept as version {updated.revision - 1}.",
                                      "wb-ok")
        return updated

    def _show_validation(self, exc: ValidationError) -> None:
        problems = exc.by_field()
        for fid, msgs in problems.items():
            if fid in self.fields:
                self.fields[fid].show_errors(msgs)
        other = [m for fid, ms in problems.items() if fid not in self.fields for m in ms]
        if "answers" in problems:
            other = ["Please answer at least one question before saving."]
        set_messages(self.status, other or ["Nothing was saved yet: please look at the messages in red above."])


class JournalView:
    """The viewer's own entries, newest first (up to ``limit``), with released coach comments."""

    def __init__(self, ctx: FormContext, limit: int = 50) -> None:
        self.ctx = ctx
        self.limit = limit
        self._exercises: dict[int, Exercise | None] = {}
        self._names: dict[str, str] | None = None
        self.cards: list[JournalCard] = []
        self.list_box = widgets.VBox([])
        self.refresh_button = button("Refresh", tooltip="Show entries saved since this page opened")
        self.refresh_button.on_click(lambda _b: self.refresh())
        name = self.name_of(ctx.viewer.person_id)
        self.widget = widgets.VBox([text_widget("My journal", "wb-title"),
                                    text_widget(f"Everything you have written, {name}, newest first. "
                                                "Comments appear here once your coach shares them.", "wb-intro"),
                                    self.refresh_button, self.list_box], layout=full_width())
        self.widget.add_class("wb-journal")
        self.refresh()

    def exercise_of(self, entry: "Entry") -> "Exercise | None":
        """The template the entry was written against (what an edit is checked against), or None."""
        if entry.id not in self._exercises:
            try:
                self._exercises[entry.id] = self.ctx.store.entry_exercise(entry.id)
            except WorkbookError:
                self._exercises[entry.id] = None
        return self._exercises[entry.id]

    def name_of(self, person_id: str) -> str:
        """A member's display name (their id when unknown)."""
        if self._names is None:
            self._names = self.ctx.store.member_names(self.ctx.viewer.cohort_id)
        return self._names.get(person_id, person_id)

    def refresh(self) -> None:
        """Reload the entries and comments from the store (the link is checked again first)."""
        try:
            self.ctx.check()  # a link revoked while the page is open shows nothing more
            entries = access.journal(self.ctx.store, self.ctx.viewer, limit=self.limit)
            comments = access.visible_comments(self.ctx.store, self.ctx.viewer, entries)
        except AccessDenied as exc:
            self.cards = []
            self.list_box.children = [text_widget(str(exc), "wb-message")]
            return
        except WorkbookError:  # keep what is shown; say why nothing changed
            log.exception("refreshing the journal failed")
            self.list_box.children = [text_widget(JOURNAL_UNAVAILABLE, "wb-error"), *(c.box for c in self.cards)]
            return
        by_entry: dict[int, list[Comment]] = {}
        for c in comments:
            if c.released:  # the author's own view: released comments only
                by_entry.setdefault(c.entry_id, []).append(c)
        self.cards = [JournalCard(self, e, by_entry.get(e.id, [])) for e in entries]
        if not self.cards:
            self.list_box.children = [text_widget("Nothing here yet. Entries you save in a form show up here.",
                                                  "wb-message")]
        else:
            extra = []
            if len(entries) >= self.limit:
                extra = [text_widget(f"Showing your {self.limit} newest entries.", "wb-help")]
            self.list_box.children = [c.box for c in self.cards] + extra

    def card(self, entry_id: int) -> JournalCard:
        """The card of one entry (KeyError if it is not in this journal)."""
        for c in self.cards:
            if c.entry.id == entry_id:
                return c
        raise KeyError(entry_id)

