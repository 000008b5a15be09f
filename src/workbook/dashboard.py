"""The facilitator's live retro dashboard (JupyterLab or Voila): phase and timer, participation, the
board with votes and groups, the most voted cards and the action items. Widget factories over
:mod:`workbook.retro`; no rules here. It updates by itself in a running kernel (it polls the retro's
change marker once a second, :class:`workbook.forms.live.Live`); ``refresh()`` re-reads on demand."""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from . import retro
from .access import Viewer, require_role
from .errors import WorkbookError
from .html import esc

if TYPE_CHECKING:
    from .store import Store


class LiveRetro:
    """A live view of one retro session; buttons call the API, changes anywhere show within ~1 s."""

    def __init__(self, store: "Store", viewer: Viewer, session_id: int, *, live: bool = True) -> None:
        require_role(viewer, "facilitator")
        self.store, self.viewer, self.session_id = store, viewer, session_id
        self.names: dict[str, str] = store.member_names(viewer.cohort_id)
        self.phase = widgets.HTML()
        self.back_button = widgets.Button(description="◀ Back", layout=widgets.Layout(width="90px"))
        self.next_button = widgets.Button(description="Next ▶", button_style="primary",
                                          layout=widgets.Layout(width="90px"))
        self.back_button.on_click(lambda _: self._act(lambda: retro.step(store, viewer, session_id, -1)))
        self.next_button.on_click(lambda _: self._act(lambda: retro.step(store, viewer, session_id, 1)))
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
            widgets.HBox([self.phase, self.back_button, self.next_button]),
            widgets.HBox([self.progress, self.progress_text, self.refresh_button]),
            widgets.HTML("<h3>Board</h3>"), self.board,
            widgets.HTML("<h3>Most voted</h3>"), self.top,
            widgets.HTML("<h3>Action items</h3>"), self.items,
            widgets.HBox([self.item_text, self.item_owner, self.item_due, self.add_button]), self.status,
        ])
        self.refresh()
        self.live: Any = None
        if live:
            self._start_live()

    def _start_live(self) -> None:
        from .forms.live import Live, enabled

        if not enabled():
            return
        self.live = Live(lambda: retro.change_marker(self.store, self.session_id), lambda _m: self.refresh(),
                         on_tick=self._show_phase, ticking=self._timer_running, owner=self.widget)
        self.live.prime(retro.change_marker(self.store, self.session_id))
        self.live.start()

    def _timer_running(self) -> bool:
        return getattr(self, "_state", None) is not None and self._state.seconds_left() is not None

    def _show_phase(self) -> None:
        st = self._state
        left = st.seconds_left()
        timer = f" — {left // 60}:{left % 60:02d} left" if left else (" — time is up" if left == 0 else "")
        ended = " (this retro has ended)" if st.closed else ""
        self.phase.value = (f"<b>{esc(st.title)}</b>: phase <b>{esc(st.phase)}</b>{esc(timer)}{esc(ended)}"
                            "&nbsp;&nbsp;")
        self.back_button.disabled = st.phase_index == 0
        self.next_button.disabled = st.closed

    def _owner(self, person_id: str | None) -> str:
        if not person_id:
            return "no owner"
        return self.names.get(person_id, "a former member")

    def refresh(self) -> None:
        """Re-read the phase, participation, cards, votes and action items."""
        b = retro.board(self.store, self.viewer, self.session_id)
        self._state = b.state
        self._show_phase()
        p = retro.participation(self.store, self.viewer, self.session_id)
        self.progress.max = max(1, p.expected)
        self.progress.value = p.submitted
        waiting = f"; waiting for {', '.join(p.missing[:8])}{'…' if len(p.missing) > 8 else ''}" if p.missing else ""
        self.progress_text.value = esc(f"{p.submitted} of {p.expected} participants ({p.rate:.0%}){waiting}")
        groups = {g.id: g.title for g in b.groups}
        columns = []
        for cid, title in b.columns:
            cards = "".join(
                f"<li>{esc(c.text)}"
                + (f" <b>({c.votes})</b>" if c.votes is not None else "")
                + (f" <i>[{esc(groups[c.group_id])}]</i>" if c.group_id in groups else "") + "</li>"
                for c in b.cards.get(cid, []))
            columns.append(widgets.HTML(f"<div style='min-width:220px;margin-right:1.5em'><h4>{esc(title)}</h4>"
                                        f"<ul>{cards or '<li><i>no cards yet</i></li>'}</ul></div>"))
        self.board.children = columns
        top = b.top(5)
        self.top.value = ("<ol>" + "".join(f"<li>{esc(c.text)} ({c.votes} votes)</li>" for c in top) + "</ol>"
                          if top else "<i>No votes yet (totals show once voting has ended).</i>")
        rows = []
        self.done_buttons = {}
        for item in retro.action_items(self.store, self.viewer, status=None, session_id=self.session_id):
            label = widgets.HTML(esc(f"{item.text} — {self._owner(item.owner_id)}"
                                      f"{', due ' + str(item.due) if item.due else ''} [{item.status}]"))
            done = widgets.Button(description="Done", disabled=item.status != "open",
                                  layout=widgets.Layout(width="80px"))
            done.on_click(lambda _, i=item.id: self._act(lambda: retro.set_action(self.store, self.viewer, i,
                                                                                   status="done")))
            self.done_buttons[item.id] = done
            rows.append(widgets.HBox([done, label]))
        self.items.children = rows

    def _act(self, call: Any) -> bool:
        try:
            call()
        except WorkbookError as exc:
            self.status.value = f"<span style='color:#b00020'>{esc(exc)}</span>"
            return False
        self.status.value = ""
        self.refresh()
        return True

    def add_item(self) -> None:
        """Record the typed action item; errors show next to the button, nothing is stored."""
        if self._act(lambda: retro.add_action(self.store, self.viewer, self.session_id, self.item_text.value,
                                              owner_id=self.item_owner.value or None, due=self.item_due.value)):
            self.item_text.value = ""
            self.status.value = esc(f"Added at {dt.datetime.now().strftime('%H:%M')}.")

    def close(self) -> None:
        """Stop the live updates and close the widgets."""
        if self.live is not None:
            self.live.stop()
        self.widget.close()


def live_retro(store: "Store", viewer: Viewer, session_id: int | None = None, *, live: bool = True) -> LiveRetro:
    """The dashboard for a retro session (default: the newest running retro, else the latest one)."""
    if session_id is None:
        current = retro.current_retro(store, viewer.cohort_id) or retro.latest_retro(store, viewer.cohort_id)
        if current is None:
            raise WorkbookError("this cohort has no retro yet: open one with workbook.retro.open_session(...) "
                                "or `workbook session open`")
        session_id = current.id
    return LiveRetro(store, viewer, session_id, live=live)
