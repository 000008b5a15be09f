"""Entry forms: a reflection, a retro (cards per column) and a mentorship check-in (with goals).

Each factory returns an :class:`EntryForm` whose ``widget`` is shown in Voila and whose handles
(``fields``, ``visibility``, ``submit_button``, ``status``) tests drive without a browser.
"""
from __future__ import annotations

import datetime as dt
import functools
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

import ipywidgets as widgets

from .. import access, milestones
from ..errors import AccessDenied, ValidationError, WorkbookError
from ..store.core import utcnow
from .fields import (CardColumn, Field, PromptField, full_width, html_widget, refuse_too_long, set_messages, text_html,
                     text_widget, visibility_picker)

if TYPE_CHECKING:
    from ..exercises import Exercise
    from ..store import Entry, Goal, Store

log = logging.getLogger(__name__)

SAVE_FAILED = ("We could not save your answers just now. Your text is still here: "
               "please press Save again in a minute. If it keeps failing, tell your facilitator.")
OUR_FAULT = ("Something went wrong on our side and nothing was saved. Your text is still here: "
             "please press Save again; if it keeps failing, copy your text somewhere safe and tell your facilitator.")
GOALS_NOT_SAVED = ("Your answers are saved, but your goal progress could not be recorded just now. "
                   "Please press Save again in a minute to record it.")


@dataclass
class FormContext:
    """Who is using a form, and where their data lives.

    ``key`` is the personal link's secret: when set, it is checked again before every write,
    so a link revoked while the page is open stops working at the next Save. ``trusted``: the
    viewer came from an authenticating proxy (no key); their roster membership and role are
    checked again before every write (:func:`workbook.access.recheck_member`).
    """

    store: "Store"
    viewer: access.Viewer
    key: str | None = None
    trusted: bool = False

    def check(self) -> access.Viewer:
        """The viewer, re-authenticated from the link when there is one."""
        if self.key is None:
            return access.recheck_member(self.store, self.viewer) if self.trusted else self.viewer
        again = access.authenticate(self.store, self.key)
        if again != self.viewer:
            raise AccessDenied("This link is not valid any more. Ask your facilitator for a new personal link.")
        return again

    @functools.cached_property
    def zone(self) -> ZoneInfo:
        """The viewer's time zone: the roster's, else the cohort's, else UTC (looked up once)."""
        for lookup in (lambda: self.store.get_membership(self.viewer.cohort_id, self.viewer.person_id).timezone,
                       lambda: self.store.get_cohort(self.viewer.cohort_id).timezone):
            try:
                return ZoneInfo(lookup())
            except Exception:  # unknown zone name, or no such member: try the next
                continue
        return ZoneInfo("UTC")

    def _local(self, at: dt.datetime) -> dt.datetime:
        if at.tzinfo is None:  # SQLite hands back naive UTC
            at = at.replace(tzinfo=dt.timezone.utc)
        return at.astimezone(self.zone)

    def local_time(self, at: dt.datetime) -> str:
        """``at`` as HH:MM in the viewer's time zone."""
        return self._local(at).strftime("%H:%M")

    def local_day(self, at: dt.datetime) -> str:
        """``at`` as e.g. "Tue 24 Nov 2026, 10:40" in the viewer's time zone."""
        return self._local(at).strftime("%a %d %b %Y, %H:%M")


T = TypeVar("T")


def guarded_save(status: widgets.HTML, what: str, action: Callable[[], T],
                 on_invalid: Callable[[ValidationError], None]) -> T | None:
    """Run a form's write; on any failure show the participant a message in ``status`` and return None.

    Their text stays in the form in every case: validation problems go to ``on_invalid``, a
    revoked link says so, a store failure asks to retry, and a bug of ours is logged in full.
    """
    try:
        return action()
    except ValidationError as exc:
        on_invalid(exc)
    except AccessDenied as exc:
        set_messages(status, [str(exc)])
    except WorkbookError:
        set_messages(status, [SAVE_FAILED])
    except Exception:  # a bug of ours: the participant gets a calm message, the log the details
        log.exception("%s failed", what)
        set_messages(status, [OUR_FAULT])
    return None


def build_fields(exercise: "Exercise", max_text_length: int) -> dict[str, Field]:
    """One field per prompt: retro columns get card lists, every other prompt its own input."""
    out: dict[str, Field] = {}
    for p in exercise.prompts:
        out[p.id] = CardColumn(p, max_text_length) if p.column else PromptField(p, max_text_length)
    return out


class EntryForm:
    """A form for one exercise: fields, visibility, Save, and the messages around them.

    Saving is idempotent per rendered form: the form carries one ``client_id`` (made when it is
    built), so a double click or a re-sent request stores one entry. After a successful save the
    inputs are locked and "Write another" starts a fresh form with a new ``client_id``.
    """

    def __init__(self, ctx: FormContext, exercise: "Exercise", *, session_id: int | None = None,
                 top: Sequence[widgets.Widget] = (),
                 goals: "GoalSliders | None" = None) -> None:
        self.ctx = ctx
        self.goals = goals
        self.exercise = exercise
        self.session_id = session_id
        self.client_id = uuid.uuid4().hex
        self.saving = False
        self.saved: Entry | None = None
        limit = ctx.store.settings.max_text_length
        self.fields = build_fields(exercise, limit)
        cohort = ctx.store.get_cohort(ctx.viewer.cohort_id)
        # Retro cards are written for the shared board, which shows only cards shared with the
        # cohort: the cohort's default (often "coach") would silently keep them off it.
        default = "cohort" if exercise.kind == "retro" else cohort.default_visibility
        self.visibility = visibility_picker(default)
        self.visibility_error = html_widget()
        self.general_error = html_widget()
        self.status = html_widget()
        self.status.add_class("wb-status")
        self.submit_button = widgets.Button(description="Save", button_style="primary", tooltip="Save your answers",
                                            layout=widgets.Layout(width="10em"))
        self.submit_button.add_class("wb-submit")
        self.submit_button.on_click(self._clicked)
        self.again_button = widgets.Button(description="Write another", layout=widgets.Layout(display="none"))
        self.again_button.add_class("wb-again")
        self.again_button.on_click(lambda _b: self.reset())
        for f in self.fields.values():
            f.on_size_change(self._check_sizes)
        required = any(p.required for p in exercise.prompts)
        top = [*top, goals.box] if goals is not None else list(top)
        head: list[widgets.Widget] = [text_widget(exercise.title, "wb-title")]
        if exercise.description:
            head.append(text_widget(exercise.description, "wb-intro"))
        if required:
            head.append(html_widget('<div class="wb-help"><span class="wb-required">*</span> required</div>'))
        body = [f.box for f in self.fields.values()]
        share: list[widgets.Widget] = [html_widget('<div class="wb-prompt-text">Who may read this?</div>')]
        if exercise.kind == "retro":
            share.append(text_widget("Only cards shared with your whole cohort appear on the retro board.", "wb-help"))
        share += [self.visibility, self.visibility_error]
        actions = widgets.HBox([self.submit_button, self.again_button])
        self.widget = widgets.VBox([*head, *top, *body, *share, self.general_error, actions, self.status],
                                   layout=full_width())
        self.widget.add_class("wb-form")
        self.widget.add_class(f"wb-form-{exercise.kind}")

    # --- values -------------------------------------------------------------------------------
    def answers(self) -> dict[str, Any]:
        """The answers as typed, keyed by prompt id (unanswered prompts left out)."""
        out: dict[str, Any] = {}
        for pid, f in self.fields.items():
            v = f.value
            if v is not None:
                out[pid] = v
        return out

    def size_problems(self) -> dict[str, str]:
        """Prompts whose answer is over its length limit, with the message to show."""
        return {pid: msg for pid, f in self.fields.items() if (msg := f.too_long())}

    def _check_sizes(self) -> None:
        if self.saved is not None or self.saving:
            return
        problems = self.size_problems()
        self.submit_button.disabled = bool(problems)
        if problems:
            set_messages(self.status, ["An answer is longer than allowed (see the red note above); "
                                       "shorten it to save."])
        elif "longer than allowed" in self.status.value:
            self.status.value = ""

    # --- saving -------------------------------------------------------------------------------
    def _clicked(self, _button: widgets.Button) -> None:
        self.submit()

    def submit(self) -> "Entry | None":
        """Validate and store the answers once; returns the stored entry, or None with messages shown."""
        if self.saving:
            return None
        if self.saved is not None:
            return self.saved
        for f in self.fields.values():
            f.show_errors([])
        self.visibility_error.value = ""
        self.general_error.value = ""
        if refuse_too_long(self.fields, self.status):
            return None
        self.saving = True
        self.submit_button.disabled = True
        self.submit_button.description = "Saving..."
        stored: list[Entry] = []

        def store_it() -> "Entry":
            viewer = self.ctx.check()
            entry = self.ctx.store.add_entry(viewer.cohort_id, viewer.person_id, self.exercise.id, self.answers(),
                                             visibility=self.visibility.value, session_id=self.session_id,
                                             client_id=self.client_id)
            stored.append(entry)
            if self.goals is not None:
                self.goals.record(entry)
            return entry

        try:
            entry = guarded_save(self.status, f"saving a {self.exercise.id} entry", store_it, self._show_validation)
        finally:
            self.saving = False
        if entry is not None:
            self._milestones(entry)
        if entry is None:
            self.submit_button.description = "Save"
            self.submit_button.disabled = bool(self.size_problems())
            if stored:
                # The entry is stored but the goals are not: a retry (same client id) returns the
                # stored entry, so lock the answers rather than let later changes vanish unsaved.
                self._lock(True)
                set_messages(self.status, [GOALS_NOT_SAVED])
            return None
        self._saved(entry)
        return entry

    def _show_validation(self, exc: ValidationError) -> None:
        general: list[str] = []
        for fid, messages in exc.by_field().items():
            if fid in self.fields:
                self.fields[fid].show_errors(messages)
            elif fid == "visibility":
                set_messages(self.visibility_error, messages)
            elif fid == "answers":
                general.append("Please answer at least one question before saving.")
            else:
                general += messages
        set_messages(self.general_error, general)
        set_messages(self.status, ["Nothing was saved yet: please look at the messages in red above."])

    def _lock(self, locked: bool) -> None:
        for f in self.fields.values():
            f.set_disabled(locked)
        self.visibility.disabled = locked

    def _milestones(self, entry: "Entry") -> None:
        """The milestone rules for the author (first check-in, a milestone reflection, ...). The entry is saved
        already; the rules are idempotent, so a store hiccup here is logged and caught up at the next save."""
        try:
            milestones.after_save(self.ctx.store, entry)
        except WorkbookError as exc:
            log.warning("milestone rules after entry %s: %s", entry.id, exc)

    def _saved(self, entry: "Entry") -> None:
        self.saved = entry
        self._lock(True)
        self.submit_button.description = "Saved"
        self.submit_button.disabled = True
        self.again_button.layout.display = None
        when = self.ctx.local_time(utcnow())
        # A confirmation with the way back (as a form service gives): edit it in the journal, or go home.
        links = ('<div class="wb-help"><a class="wb-edit-link" href="journal.ipynb">Read or edit it in My journal</a>'
                 ' · <a class="wb-home-link" href="home.ipynb">Back to Home</a></div>')
        self.status.value = text_html(f"Saved at {when}. You can read and edit it in My journal.", "wb-ok") + links

    def reset(self) -> None:
        """Start a fresh, empty form (a new submission id)."""
        self.client_id = uuid.uuid4().hex
        self.saved = None
        for f in self.fields.values():
            f.clear()
        self._lock(False)
        if self.goals is not None:
            try:
                self.goals.reload()
            except WorkbookError:  # the progress just recorded stays the starting point
                log.warning("reloading goals failed", exc_info=True)
                self.goals.unlock()
        self.submit_button.description = "Save"
        self.submit_button.disabled = False
        self.again_button.layout.display = "none"
        self.status.value = ""
        self.general_error.value = ""


def reflection_form(ctx: FormContext, exercise: "Exercise", session_id: int | None = None) -> EntryForm:
    """A reflection form for any exercise template (one input per prompt)."""
    return EntryForm(ctx, exercise, session_id=session_id)


def retro_form(ctx: FormContext, exercise: "Exercise", session_id: int | None = None) -> EntryForm:
    """A retro form: several cards per column of the template (Start/Stop/Continue, 4Ls, ...)."""
    return EntryForm(ctx, exercise, session_id=session_id)


class GoalSliders:
    """The mentee's goals, each with a 0-100 % progress slider; only moved sliders are recorded."""

    def __init__(self, ctx: FormContext) -> None:
        self.ctx = ctx
        self.goals: list[Goal] = [g for g in ctx.store.find_goals(ctx.viewer.cohort_id, ctx.viewer.person_id)
                                  if g.status != "dropped"]
        self.sliders: dict[int, widgets.IntSlider] = {}
        rows: list[widgets.Widget] = [widgets.HTML('<div class="wb-prompt-text">Your goals: move a slider to '
                                                   'record your progress</div>')]
        for g in self.goals:
            s = widgets.IntSlider(value=g.progress, min=0, max=100, step=5, readout_format="d",
                                  description="", layout=widgets.Layout(width="60%"))
            s.add_class(f"wb-goal-{g.id}")
            self.sliders[g.id] = s
            due = f" (due {g.target_date:%d %b %Y})" if g.target_date else ""
            rows.append(widgets.HBox([text_widget(f"{g.title}{due}", "wb-help"), s, widgets.HTML("%")]))
        if not self.goals:
            rows.append(text_widget("You have no goals recorded yet; agree them with your coach.", "wb-help"))
        self.box = widgets.VBox(rows)
        self.box.add_class("wb-goals")

    def changed(self) -> dict[int, int]:
        """Goal id -> new progress, for sliders that moved."""
        return {g.id: self.sliders[g.id].value for g in self.goals if self.sliders[g.id].value != g.progress}

    def record(self, entry: "Entry") -> None:
        """Record moved sliders against the check-in entry, once (a re-sent save records nothing twice)."""
        moved = self.changed()
        if not moved:
            return
        done = {h.goal_id for h in self.ctx.store.goal_history(list(moved)) if h.entry_id == entry.id}
        for gid, progress in moved.items():
            if gid not in done:
                access.record_progress(self.ctx.store, self.ctx.viewer, gid, progress, entry_id=entry.id)
        # The recorded values are the new starting point: the next check-in records only new moves.
        self.goals = [replace(g, progress=moved[g.id]) if g.id in moved else g for g in self.goals]
        for s in self.sliders.values():
            s.disabled = True

    def reload(self) -> None:
        """Take the stored progress as the new starting point (after a save) and unlock the sliders."""
        fresh = {g.id: g for g in self.ctx.store.find_goals(self.ctx.viewer.cohort_id, self.ctx.viewer.person_id)}
        self.goals = [fresh.get(g.id, g) for g in self.goals]
        for g in self.goals:
            self.sliders[g.id].value = g.progress
        self.unlock()

    def unlock(self) -> None:
        """Let the sliders move again."""
        for s in self.sliders.values():
            s.disabled = False


def checkin_form(ctx: FormContext, exercise: "Exercise", session_id: int | None = None) -> EntryForm:
    """A mentorship check-in: the mentee's goals with progress sliders, then the template's prompts."""
    return EntryForm(ctx, exercise, session_id=session_id, goals=GoalSliders(ctx))
