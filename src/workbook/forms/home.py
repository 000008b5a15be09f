"""A participant's home page: one personal link, everything of theirs reached from it.

``workbook/notebooks/forms/home.ipynb`` is two calls: ``home_page(query_string())``. What the page
shows is :func:`workbook.home.home`'s answer for the link's viewer (open forms, the running retro,
goals, action items they own, new coach comments, streak, kudos, milestones, the pulse when due);
the buttons (Done on an action item, the pulse answer, "Mark as read") call the API's verbs.
Every other page links back here; no link carries the key (the browser's cookie does).
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import ipywidgets as widgets

from ..errors import WorkbookError
from ..html import esc
from .entry import FormContext, guarded_save
from .fields import problem_messages, set_messages, text_html, text_widget
from .pages import HOME_PAGE, Page, _shell, guarded_page, page_link

if TYPE_CHECKING:
    from ..store import Comment, Goal, Store

log = logging.getLogger(__name__)

KIND = HOME_PAGE
HOME_UNAVAILABLE = "Your home page could not be loaded just now. Please reload it in a minute."

#: Styles of the mentoring pages (home, goals, kudos, coach), on top of :data:`workbook.html.STYLE`.
PAGE_STYLE = """<style>
.wb-nav { margin: 0.2em 0 0.6em 0; font-size: 0.95em; }
.wb-nav a, .wb-links a { margin-right: 1em; }
.wb-links { margin: 0.3em 0 0.8em 0; }
.wb-section { border: 1px solid #e5e7eb; border-radius: 6px; padding: 0.5em 1em; margin: 0.6em 0; }
.wb-section-title { font-weight: 600; font-size: 1.1em; margin: 0.2em 0 0.4em 0; }
.wb-notices { border-left: 4px solid #f59e0b; background: #fffbeb; }
.wb-pulse { border-left: 4px solid #1565c0; background: #f3f7fc; }
.wb-chip { display: inline-block; border-radius: 0.8em; padding: 0 0.6em; font-size: 0.85em; font-weight: 600;
           white-space: nowrap; }
.wb-chip-green { background: #dcfce7; color: #166534; }
.wb-chip-amber { background: #fef3c7; color: #92400e; }
.wb-chip-red { background: #fee2e2; color: #991b1b; }
.wb-chip-grey { background: #f3f4f6; color: #374151; }
.wb-chip-blue { background: #dbeafe; color: #1e40af; }
.wb-page table.wb-table { border-collapse: collapse; margin: 0.3em 0; font-size: 0.92em; }
.wb-page table.wb-table th, .wb-page table.wb-table td { border-bottom: 1px solid #e5e7eb; padding: 0.25em 0.6em;
           text-align: left; vertical-align: top; }
.wb-page table.wb-table th { background: #f9fafb; }
.wb-goal, .wb-action, .wb-kudos-item, .wb-coach-entry { border-bottom: 1px solid #f0f0f0; padding: 0.3em 0; }
.wb-kudos-item .wb-kudos-text, .wb-coach-entry .wb-answer { white-space: pre-wrap; overflow-wrap: anywhere; }
.wb-coach-comment { border-left: 3px solid #7cb342; padding-left: 0.7em; margin: 0.4em 0; white-space: pre-wrap; }
.wb-coach-draft { border-left: 3px dashed #9ca3af; }
</style>"""

#: Colour of a status chip (goal statuses, pair health).
CHIP_COLOURS = {
    "proposed": "blue", "agreed": "green", "reached": "green", "dropped": "grey",
    "on track": "green", "needs a check-in": "amber", "too early to tell": "grey", "at risk": "red",
    "good fit": "green", "still deciding": "amber", "not a good fit": "red",
}


def chip(text: str) -> str:
    """HTML of a small coloured status label (escaped)."""
    colour = CHIP_COLOURS.get(text, "grey")
    return f'<span class="wb-chip wb-chip-{colour}">{esc(text)}</span>'


def section(title: str, children: Sequence[widgets.Widget], css: str = "") -> widgets.VBox:
    """A titled block of the page."""
    box = widgets.VBox([text_widget(title, "wb-section-title"), *children], layout=widgets.Layout(width="100%"))
    box.add_class("wb-section")
    if css:
        box.add_class(css)
    return box


def day(value: dt.date | None) -> str:
    """A date as e.g. "Tue 24 Nov 2026" (empty for None)."""
    return f"{value:%a %d %b %Y}" if value else ""


def goal_line(goal: "Goal") -> str:
    """HTML of one goal: what, status chip, progress, how measured, target date (all escaped)."""
    measure = goal.measure
    parts = [f'<span class="wb-goal-title"><b>{esc(goal.title)}</b></span> {chip(goal.status)}',
             f' <span class="wb-help">{int(goal.progress)}%</span>']
    details = []
    if measure:
        details.append(f"measured by: {esc(measure)}")
    if goal.target_date:
        details.append(f"target: {esc(day(goal.target_date))}")
    if details:
        parts.append(f'<div class="wb-help">{" · ".join(details)}</div>')
    return "".join(parts)


def zone_of(ctx: FormContext, cohort: bool = False) -> ZoneInfo:
    """The viewer's zone (their roster's, else the cohort's), or the cohort's with ``cohort=True``."""
    if not cohort:
        return ctx.zone
    try:
        return ZoneInfo(ctx.store.get_cohort(ctx.viewer.cohort_id).timezone)
    except Exception:  # an unknown zone name: UTC, as FormContext does
        return ZoneInfo("UTC")


def local(at: dt.datetime, zone: ZoneInfo) -> str:
    """``at`` as e.g. "Tue 24 Nov 2026, 10:40" in ``zone`` (SQLite's naive values are UTC)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.timezone.utc)
    return at.astimezone(zone).strftime("%a %d %b %Y, %H:%M")


def nav_links(ctx: FormContext) -> widgets.HTML:
    """Links to every page of the viewer's (no key in them)."""
    links = [page_link("journal", "My journal"), page_link("goals", "My goals"), page_link("kudos", "Kudos"),
             page_link("reports", "My reports")]
    if ctx.viewer.role in ("coach", "facilitator"):
        links.append(page_link("coach", "Coach desk"))
    if ctx.viewer.role == "facilitator":
        links += [page_link("retro_desk", "Retro desk"), page_link("participation", "Participation")]
    box = widgets.HTML(f'<div class="wb-links">{"".join(links)}</div>')
    return box


def _utc(at: dt.datetime) -> dt.datetime:
    return at.replace(tzinfo=dt.timezone.utc) if at.tzinfo is None else at


def _items(lines: Iterable[str], empty: str) -> widgets.HTML:
    rows = [f"<li>{line}</li>" for line in lines]
    return widgets.HTML(f"<ul>{''.join(rows)}</ul>" if rows else text_html(empty, "wb-help"))


class HomeView:
    """The home page's sections, rebuilt from :func:`workbook.home.home` by :meth:`refresh`."""

    def __init__(self, ctx: FormContext, *, now: dt.datetime | None = None) -> None:
        self.ctx = ctx
        self.now = now
        self.data: Any = None
        self.notices: list[Any] = []
        self.new_comments: list[Comment] = []
        self.names: dict[str, str] = ctx.store.member_names(ctx.viewer.cohort_id)
        self.status = widgets.HTML("")
        self.status.add_class("wb-home-status")
        self.body = widgets.VBox([], layout=widgets.Layout(width="100%"))
        #: action item id -> its Done button
        self.done_buttons: dict[int, widgets.Button] = {}
        self.pulse: widgets.RadioButtons | None = None
        self.pulse_button: widgets.Button | None = None
        self.pulse_status = widgets.HTML("")
        self.seen_button = widgets.Button(description="Mark as read", tooltip="Hide these notices until there are new ones")
        self.seen_button.add_class("wb-notices-seen")
        self.seen_button.on_click(lambda _b: self.mark_seen())
        name = self.names.get(ctx.viewer.person_id, ctx.viewer.person_id)
        self.widget = widgets.VBox([text_widget(f"Hello, {name}", "wb-title"), nav_links(ctx), self.status,
                                    self.body], layout=widgets.Layout(width="100%"))
        self.widget.add_class("wb-home")
        self.refresh()

    def name_of(self, person_id: str | None) -> str:
        return self.names.get(person_id or "", person_id or "nobody")

    # --- data ---------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload everything through the API (the link is checked again first)."""
        from .. import home

        viewer = self.ctx.check()
        try:
            self.data = home.home(self.ctx.store, viewer, now=self.now)
            self.notices = list(self.data.notices)
            self.new_comments = self._new_comments(viewer)
        except WorkbookError:
            log.exception("loading the home page failed")
            set_messages(self.status, [HOME_UNAVAILABLE])
            return
        self.body.children = self._sections()

    def _new_comments(self, viewer: Any) -> list["Comment"]:
        """The released coach comments the unseen comment notices tell about, newest first.

        A notice never holds the comment; the comment itself comes the journal's way
        (:func:`workbook.access.journal`, :func:`workbook.access.visible_comments`): released
        comments on the viewer's own entries, released since the oldest unseen comment notice.
        """
        from .. import access

        told = [_utc(n.created_at) for n in self.data.new_comments]
        if not told:
            return []
        entries = access.journal(self.ctx.store, viewer)
        comments = [c for c in access.visible_comments(self.ctx.store, viewer, entries)
                    if c.released_at is not None and _utc(c.released_at) >= min(told)]
        return sorted(comments, key=lambda c: _utc(c.released_at or c.created_at), reverse=True)

    def _sections(self) -> list[widgets.Widget]:
        d = self.data
        out: list[widgets.Widget] = []
        if self.notices:
            out.append(self._notices())
        if d.pulse_due is not None:
            out.append(self._pulse(d.pulse_due))
        out.append(self._forms())
        out.append(self._goals())
        out.append(self._actions())
        out.append(self._progress())
        out.append(self._kudos())
        return out

    # --- sections -----------------------------------------------------------------------------
    def _notices(self) -> widgets.Widget:
        zone = self.ctx.zone
        lines = []
        for n in self.notices:
            link = f" {page_link(n.link_page, 'Open')}" if n.link_page and n.link_page != KIND else ""
            lines.append(f"{esc(n.text)} <span class='wb-help'>{esc(local(n.at, zone))}</span>{link}")
        parts: list[widgets.Widget] = [_items(lines, "")]
        if self.new_comments:
            shown = []
            for c in self.new_comments:
                when = local(c.released_at or c.created_at, zone)
                shown.append(text_html(f"{self.name_of(c.author_id)}, {when}", "wb-entry-meta")
                             + text_html(c.body, "wb-coach-comment"))
            parts.append(widgets.HTML('<div class="wb-new-comments">' + "".join(shown)
                                      + page_link("journal", "Read them with your entries in My journal") + "</div>"))
        return section("New for you", [*parts, self.seen_button], "wb-notices")

    def _pulse(self, pair: Any) -> widgets.Widget:
        from ..mentoring import PULSE_ANSWERS

        coach = pair.coach_name or "your coach"
        self.pulse = widgets.RadioButtons(options=list(PULSE_ANSWERS), value=None)
        self.pulse.add_class("wb-pulse-answer")
        self.pulse_button = widgets.Button(description="Send", button_style="primary")
        self.pulse_button.add_class("wb-pulse-send")
        self.pulse_button.on_click(lambda _b: self.submit_pulse())
        self.pulse_status.value = ""
        return section("One question", [
            text_widget(f"After your first check-in: is {coach} a good fit as your coach? "
                        "Only your facilitator and your coach see the answer.", "wb-intro"),
            self.pulse, self.pulse_button, self.pulse_status], "wb-pulse")

    def _forms(self) -> widgets.Widget:
        d = self.data
        lines = []
        retro = d.running_retro
        if retro is not None:
            lines.append(page_link("retro", f"Join the running retro: {retro.title or 'the retro'}", "wb-retro-link"))
        for f in d.open_forms:
            if retro is not None and f.session_id == retro.id:
                continue  # the running retro's link is above
            params = {"session": str(f.session_id)} if f.session_id is not None else {"exercise": f.exercise_id}
            lines.append(page_link(f.page, f.title, "wb-form-link", **params))
        return section("Your forms", [_items(lines, "No forms are waiting for you right now.")], "wb-home-forms")

    def _goals(self) -> widgets.Widget:
        lines = [goal_line(g) for g in self.data.goals]
        more = widgets.HTML(page_link("goals", "Set or edit your goals", "wb-goals-link"))
        return section("Your goals", [_items(lines, "No goals yet."), more], "wb-home-goals")

    def _actions(self) -> widgets.Widget:
        self.done_buttons = {}
        rows: list[widgets.Widget] = []
        for item in self.data.actions:
            due = f" (due {day(item.due)})" if item.due else ""
            label = widgets.HTML(text_html(f"{item.text}{due}", "wb-action-text"))
            if item.status == "open":
                done = widgets.Button(description="Done", layout=widgets.Layout(width="6em"))
                done.add_class("wb-action-done")
                done.add_class(f"wb-action-done-{item.id}")
                done.on_click(lambda _b, iid=item.id: self.mark_done(iid))
                self.done_buttons[item.id] = done
                row = widgets.HBox([done, label])
            else:
                row = widgets.HBox([widgets.HTML(chip(item.status)), label])
            row.add_class("wb-action")
            rows.append(row)
        if not rows:
            rows = [text_widget("No action items of yours are open.", "wb-help")]
        return section("Action items you own", rows, "wb-home-actions")

    def _progress(self) -> widgets.Widget:
        d = self.data
        current, longest = d.streak.current, d.streak.longest
        parts = [text_html(f"Reflection streak: {current} week{'s' if current != 1 else ''} in a row "
                           f"(longest {longest}).", "wb-streak")]
        lines = [f"{esc(m.title)} <span class='wb-help'>{esc(local(m.achieved_at, self.ctx.zone))}</span>"
                 for m in d.milestones]
        return section("Your progress", [widgets.HTML("".join(parts)), text_widget("Milestones", "wb-prompt-text"),
                                         _items(lines, "No milestones yet.")], "wb-home-progress")

    def _kudos(self) -> widgets.Widget:
        kudos = self.data.kudos_received
        lines = [f"<span class='wb-kudos-text'>{esc(k.message)}</span> <span class='wb-help'>from "
                 f"{esc(self.name_of(k.from_id))}</span>" for k in kudos]
        more = widgets.HTML(page_link("kudos", "Thank someone, see the kudos wall", "wb-kudos-link"))
        return section("Kudos you received", [_items(lines, "No kudos yet."), more], "wb-home-kudos")

    # --- actions ------------------------------------------------------------------------------
    def mark_done(self, item_id: int) -> bool:
        """Mark an action item of the viewer's done (``access.set_action_status``)."""
        from .. import access

        ok = guarded_save(self.status, "marking an action item done",
                          lambda: access.set_action_status(self.ctx.store, self.ctx.check(), item_id, "done") or True,
                          lambda exc: set_messages(self.status, [str(exc)]))
        if ok:
            self.refresh()
            self.status.value = text_html("Marked as done.", "wb-ok")
        return bool(ok)

    def submit_pulse(self) -> bool:
        """Send the pulse answer (once)."""
        from .. import mentoring

        if self.pulse is None or self.pulse_button is None:
            return False
        if self.pulse.value is None:
            set_messages(self.pulse_status, ["Please pick one answer."])
            return False
        answer = self.pulse.value
        ok = guarded_save(self.pulse_status, "sending the pulse",
                          lambda: mentoring.submit_pulse(self.ctx.store, self.ctx.check(), answer) or True,
                          lambda exc: set_messages(self.pulse_status, problem_messages(exc)))
        if ok:
            self.pulse.disabled = True
            self.pulse_button.disabled = True
            self.pulse_status.value = text_html("Thank you: your answer is sent.", "wb-ok")
        return bool(ok)

    def mark_seen(self) -> None:
        """Hide the current notices (``home.mark_seen``)."""
        from .. import home

        ok = guarded_save(self.status, "marking notices seen",
                          lambda: home.mark_seen(self.ctx.store, self.ctx.check()) or True,
                          lambda exc: set_messages(self.status, [str(exc)]))
        if ok:
            self.refresh()


def home_page(query: str | None = None, store: "Store | None" = None, *, now: dt.datetime | None = None) -> Page:
    """The home page for the link whose query string is ``query``; never raises for a visitor's mistake."""
    return guarded_page(KIND, query, store, lambda ctx, params: _home(ctx, now))


def _home(ctx: FormContext, now: dt.datetime | None) -> Page:
    view = HomeView(ctx, now=now)
    return Page(_shell(KIND, [widgets.HTML(PAGE_STYLE), view.widget]), KIND, viewer=ctx.viewer,
                extra={"home": view})


__all__ = ["CHIP_COLOURS", "HomeView", "PAGE_STYLE", "chip", "goal_line", "home_page", "section"]
