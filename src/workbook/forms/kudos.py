"""The kudos page: thank someone in the cohort for something specific, and the cohort's kudos wall.

``workbook/notebooks/forms/kudos.ipynb`` is two calls: ``kudos_page(query_string())``. The form asks
who (a dropdown of the cohort's members by name, never oneself), what for, and whether it is shared
with the cohort (on the wall) or only with them. :func:`workbook.kudos.give_kudos` decides what is
allowed (not to oneself, not outside the cohort, not empty); the wall is :func:`workbook.kudos.kudos_wall`.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from ..html import esc
from .entry import FormContext, guarded_save
from .fields import set_messages, text_html, text_widget
from .home import PAGE_STYLE, local, section
from .pages import Page, _shell, guarded_page

if TYPE_CHECKING:
    from ..errors import ValidationError
    from ..store import Kudos, Store

log = logging.getLogger(__name__)

KIND = "kudos"
SHARE_OPTIONS = [("Everyone in the cohort (it goes on the kudos wall)", True), ("Only them", False)]
_FIELD_OF = {"to_id": "to", "to": "to", "message": "message", "shared_with_cohort": "share"}


class KudosForm:
    """Who, what for, shared with the cohort or only with them; Send gives the kudos through the API."""

    def __init__(self, ctx: FormContext, on_sent: Any = None) -> None:
        self.ctx, self.on_sent = ctx, on_sent
        self.sending = False
        me = ctx.viewer.person_id
        members = sorted((m for m in ctx.store.find_members(ctx.viewer.cohort_id) if m.person_id != me),
                         key=lambda m: m.name.casefold())
        self.to = widgets.Dropdown(options=[("Choose a person...", "")] + [(m.name, m.person_id) for m in members],
                                   value="", layout=widgets.Layout(width="60%"))
        self.to.add_class("wb-kudos-to")
        self.message = widgets.Textarea(placeholder="What are you thanking them for? Be specific.",
                                        layout=widgets.Layout(width="98%", height="5em"))
        self.message.add_class("wb-kudos-message")
        self.share = widgets.RadioButtons(options=SHARE_OPTIONS, value=True, layout=widgets.Layout(width="100%"))
        self.share.add_class("wb-kudos-share")
        self.errors = {name: widgets.HTML("") for name in ("to", "message", "share")}
        self.status = widgets.HTML("")
        self.status.add_class("wb-kudos-status")
        self.send_button = widgets.Button(description="Send kudos", button_style="primary")
        self.send_button.add_class("wb-kudos-send")
        self.send_button.on_click(lambda _b: self.send())
        self.widget = widgets.VBox([
            text_widget("Who", "wb-prompt-text"), self.to, self.errors["to"],
            text_widget("What for", "wb-prompt-text"), self.message, self.errors["message"],
            text_widget("Who may see it", "wb-prompt-text"), self.share, self.errors["share"],
            self.send_button, self.status], layout=widgets.Layout(width="100%"))
        self.widget.add_class("wb-kudos-form")

    def send(self) -> "Kudos | None":
        """Give the kudos; returns it, or None with the messages shown (nothing stored)."""
        from .. import kudos

        if self.sending:
            return None
        for e in self.errors.values():
            e.value = ""
        self.status.value = ""
        if not self.to.value:
            set_messages(self.errors["to"], ["Please choose who you are thanking."])
            return None
        to_id, message, shared = self.to.value, self.message.value, bool(self.share.value)
        self.sending = True
        self.send_button.disabled = True
        try:
            given = guarded_save(self.status, "giving kudos",
                                 lambda: kudos.give_kudos(self.ctx.store, self.ctx.check(), to_id, message,
                                                          shared_with_cohort=shared),
                                 self._invalid)
        finally:
            self.sending = False
            self.send_button.disabled = False
        if given is None:
            return None
        name = dict((v, k) for k, v in self.to.options).get(to_id, to_id)
        where = "It is on the kudos wall too." if shared else "Only they see it."
        self.status.value = text_html(f"Thank you! {name} sees your kudos on their home page. {where}", "wb-ok")
        self.message.value = ""
        self.to.value = ""
        if self.on_sent is not None:
            self.on_sent(given)
        return given

    def _invalid(self, exc: "ValidationError") -> None:
        general: list[str] = []
        for fid, messages in exc.by_field().items():
            if fid in _FIELD_OF:
                set_messages(self.errors[_FIELD_OF[fid]], messages)
            else:
                general += messages
        set_messages(self.status, general or ["Nothing was sent: please look at the messages in red above."])


def kudos_html(items: list["Kudos"], names: dict[str, str], ctx: FormContext, *, to: bool = True) -> str:
    """Kudos as a list (escaped): message, from whom (and to whom), when."""
    if not items:
        return ""
    rows = []
    for k in items:
        who = f"from {names.get(k.from_id, k.from_id)}" + (f" to {names.get(k.to_id, k.to_id)}" if to else "")
        rows.append(f'<div class="wb-kudos-item"><div class="wb-kudos-text">{esc(k.message)}</div>'
                    f'<div class="wb-help">{esc(who)} · {esc(local(k.created_at, ctx.zone))}</div></div>')
    return "".join(rows)


class KudosView:
    """The form, the kudos the viewer received, and the cohort's wall."""

    def __init__(self, ctx: FormContext) -> None:
        self.ctx = ctx
        self.names = ctx.store.member_names(ctx.viewer.cohort_id)
        self.form = KudosForm(ctx, on_sent=lambda _k: self.refresh())
        self.received = widgets.HTML("")
        self.received.add_class("wb-kudos-received")
        self.wall = widgets.HTML("")
        self.wall.add_class("wb-kudos-wall")
        self.widget = widgets.VBox([
            text_widget("Kudos", "wb-title"),
            text_widget("Thank someone in your cohort for something specific they did.", "wb-intro"),
            section("Give kudos", [self.form.widget], "wb-kudos-give"),
            section("Kudos you received", [self.received]),
            section("Kudos wall", [self.wall])], layout=widgets.Layout(width="100%"))
        self.refresh()

    def refresh(self) -> None:
        """Reload what the viewer received and the wall through the API."""
        from .. import kudos

        viewer = self.ctx.check()
        got = kudos.kudos_received(self.ctx.store, viewer)
        wall = kudos.kudos_wall(self.ctx.store, viewer)
        self.received.value = kudos_html(got, self.names, self.ctx, to=False) or text_html("No kudos yet.", "wb-help")
        self.wall.value = kudos_html(wall, self.names, self.ctx) or text_html(
            "Nothing on the wall yet: be the first to thank someone.", "wb-help")


def kudos_page(query: str | None = None, store: "Store | None" = None) -> Page:
    """The kudos page for the link whose query string is ``query``; never raises for a visitor's mistake."""
    return guarded_page(KIND, query, store, _kudos)


def _kudos(ctx: FormContext, params: dict[str, str]) -> Page:
    view = KudosView(ctx)
    return Page(_shell(KIND, [widgets.HTML(PAGE_STYLE), view.widget]), KIND, viewer=ctx.viewer,
                extra={"kudos": view})


__all__ = ["KudosForm", "KudosView", "kudos_page"]
