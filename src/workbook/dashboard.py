"""The facilitator's live retro dashboard (JupyterLab or Voila): participation, the board with
votes, themes and action items. Widget factories over :mod:`workbook.retro`; no rules here."""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import ipywidgets as widgets

from .html import esc

from . import access, retro
from .access import Viewer, require_role
from .errors import WorkbookError

if TYPE_CHECKING:
    from .store import Store



class LiveRetro:
    """A live view of one retro session. ``refresh()`` re-reads the store; buttons call the API."""

    def __init__(self, store: "Store", viewer: Viewer, session_id: int) -> None:
        require_role(viewer, "facilitator")
        self.store, self.viewer, self.session_id = store, viewer, session_id
        self.progress = widgets.IntProgress(min=0, max=1, description="Contributed", bar_style="info",
                                            layout=widgets.Layout(width="420px"))
        self.progress_text = widgets.HTML()
        self.board = widgets.HBox(layout=widgets.Layout(align_items="flex-start", flex_flow="row wrap"))
        self.top = widgets.HTML()
        self.item_text = widgets.Text(placeholder="What will be done?", layout=widgets.Layout(width="360px"))
        members = store.find_members(viewer.cohort_id)
        self.item_owner = widgets.Dropdown(options=[("(no owner)", "")] + [(m.name, m.person_id) for m in members],
                                           description="Owner")
        self.item_due = widgets.DatePicker(description="Due")
        self.add_button = widgets.Button(description="Add action item", button_style="primary")
        self.add_button.on_click(lambda _: self.add_item())
        self.items = widgets.VBox()
        #: action item id -> its Done button, as last refreshed
        self.done_buttons: dict[int, widgets.Button] = {}
        self.status = widgets.HTML()
        self.refresh_button = widgets.Button(description="Refresh", icon="refresh")
        self.refresh_button.on_click(lambda _: self.refresh())
        self.widget = widgets.VBox([
            widgets.HBox([self.progress, self.progress_text, self.refresh_button]),
            widgets.HTML("<h3>Board</h3>"), self.board,
            widgets.HTML("<h3>Most voted</h3>"), self.top,
            widgets.HTML("<h3>Action items</h3>"), self.items,
            widgets.HBox([self.item_text, self.item_owner, self.item_due, self.add_button]), self.status,
        ])
        self.refresh()

    def refresh(self) -> None:
        """Re-read participation, cards, votes and action items."""
        p = retro.participation(self.store, self.viewer, self.session_id)
        self.progress.max = max(1, p.expected)
        self.progress.value = p.submitted
        waiting = f"; waiting for {', '.join(p.missing[:8])}{'…' if len(p.missing) > 8 else ''}" if p.missing else ""
        self.progress_text.value = esc(f"{p.submitted} of {p.expected} participants ({p.rate:.0%}){waiting}")
        b = retro.board(self.store, self.viewer, self.session_id)
        columns = []
        for cid, title in b.columns:
            cards = "".join(f"<li>{esc(c.text)} <b>({c.votes})</b></li>" for c in b.cards.get(cid, []))
            columns.append(widgets.HTML(f"<div style='min-width:220px;margin-right:1.5em'><h4>{esc(title)}</h4>"
                                        f"<ul>{cards or '<li><i>no cards yet</i></li>'}</ul></div>"))
        self.board.children = columns
        self.top.value = "<ol>" + "".join(f"<li>{esc(c.text)} ({c.votes} votes)</li>" for c in b.top(5)) + "</ol>"
        rows = []
        self.done_buttons = {}
        for item in retro.action_items(self.store, self.viewer, status=None):
            if item.session_id != self.session_id:
                continue
            label = widgets.HTML(esc(f"{item.text} — {item.owner_id or 'no owner'}"
                                      f"{', due ' + str(item.due) if item.due else ''} [{item.status}]"))
            done = widgets.Button(description="Done", disabled=item.status != "open",
                                  layout=widgets.Layout(width="80px"))
            done.on_click(lambda _, i=item.id: self._done(i))
            self.done_buttons[item.id] = done
            rows.append(widgets.HBox([done, label]))
        self.items.children = rows

    def add_item(self) -> None:
        """Record the typed action item; errors show next to the button, nothing is stored."""
        try:
            retro.add_action(self.store, self.viewer, self.session_id, self.item_text.value,
                             owner_id=self.item_owner.value or None, due=self.item_due.value)
        except WorkbookError as exc:
            self.status.value = f"<span style='color:#b00020'>{esc(exc)}</span>"
            return
        self.item_text.value = ""
        self.status.value = esc(f"Added at {dt.datetime.now().strftime('%H:%M')}.")
        self.refresh()

    def _done(self, item_id: int) -> None:
        try:
            access.set_action_status(self.store, self.viewer, item_id, "done")
        except WorkbookError as exc:
            self.status.value = f"<span style='color:#b00020'>{esc(exc)}</span>"
            return
        self.refresh()


def live_retro(store: "Store", viewer: Viewer, session_id: int | None = None) -> LiveRetro:
    """The dashboard for a retro session (default: the cohort's latest retro)."""
    if session_id is None:
        latest = retro.latest_retro(store, viewer.cohort_id)
        if latest is None:
            raise WorkbookError("this cohort has no retro yet: open one with workbook.retro.open_retro(...)")
        session_id = latest.id
    return LiveRetro(store, viewer, session_id)
