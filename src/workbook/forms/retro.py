"""The live retro in the browser: the participant's board, the facilitator's desk and a projector view.

``notebooks/forms/retro.ipynb`` calls :func:`retro_page` (the participant's usual retro link:
``retro?key=...``, optionally ``&exercise=<template>`` or ``&session=<id>``);
``notebooks/forms/retro_desk.ipynb`` calls :func:`desk_page` (facilitators only, see
:data:`workbook.access.PAGE_ROLES`); ``retro_desk?view=projector`` is the projector view.

Every rule (phase, budget, caps, anonymity, who may group) is the API's (:mod:`workbook.retro`);
these pages only show what :func:`workbook.retro.board` says the viewer may see, and turn the API's
refusals into a message. Each page pushes changes by itself (:mod:`workbook.forms.live`): it polls
:func:`workbook.retro.change_marker` once a second and re-renders only when it moved; widgets are
kept per card, group and row (:class:`Pool`) so a re-render sends only what changed.
"""
from __future__ import annotations

import base64
import datetime as dt
import logging
import os
import tempfile
from collections.abc import Callable, Hashable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from .. import access, retro
from ..errors import AccessDenied, NotFoundError, ValidationError, WorkbookError
from ..html import esc
from ..store.core import utcnow
from .entry import FormContext
from .fields import text_widget
from .live import Live
from .pages import Page, _shell, guarded_page, message_page

if TYPE_CHECKING:
    from ..store import Store

log = logging.getLogger(__name__)

KIND = "retro"
DESK = "retro_desk"

PHASE_TITLES = {
    "review": "Review earlier actions", "write": "Write cards", "reveal": "Reveal", "group": "Group",
    "vote": "Vote", "discuss": "Discuss", "actions": "Action items", "closed": "Ended",
}
PHASE_HELP = {
    "review": "The facilitator goes through the open action items of earlier retros.",
    "write": "Add your cards. Others cannot see them until the facilitator reveals the board.",
    "reveal": "Every card is on the board now. Read what others wrote.",
    "group": "The facilitator is grouping similar cards into themes.",
    "vote": "Vote for what matters most to you. You can take a vote back while voting is open.",
    "discuss": "The group talks through the most voted topics, top first.",
    "actions": "The group agrees action items, each with an owner.",
    "closed": "This retro has ended. The board below is read-only.",
}
ENDED = "This retro has ended. The board below is kept as it was; nothing can be added or changed any more."
NO_RETRO = ("No retro is running in your cohort right now. Keep this page open: the board appears here "
            "as soon as your facilitator opens the retro.")
ACT_FAILED = "That did not go through just now. Please try again in a moment; if it keeps failing, tell your facilitator."
OUR_FAULT = "Something went wrong on our side; nothing was changed. Please try again, or tell your facilitator."

#: Large, high-contrast type for the projector; small additions for the pages (wb-retro-*).
RETRO_STYLE = """<style>
.wb-retro-head{display:flex;flex-wrap:wrap;align-items:baseline;gap:.8em;margin:.2em 0 .4em 0}
.wb-retro-phase{display:inline-block;background:#1565c0;color:#fff;border-radius:1em;padding:.15em .8em;font-weight:600}
.wb-retro-phase-closed{background:#555}
.wb-retro-timer{font-variant-numeric:tabular-nums;font-weight:600;color:#1f2933}
.wb-retro-timer-up{color:#b00020}
.wb-retro-col{font-weight:600;font-size:1.1em;margin:.9em 0 .2em 0;border-bottom:2px solid #c7d2fe}
.wb-card{border:1px solid #d0d7de;border-radius:6px;padding:.35em .7em;margin:.2em 0;background:#fffef5;
 white-space:pre-wrap;overflow-wrap:anywhere;min-width:0;flex:1 1 auto}
.wb-card-meta{color:#555;font-size:.85em}
.wb-group{border:2px solid #6366f1;border-radius:8px;padding:.4em .8em;margin:.5em 0;background:#f5f5ff}
.wb-group-title{font-weight:700}
.wb-votes{font-weight:700;color:#3730a3}
.wb-votes-left{font-weight:600;color:#1b5e20}
.wb-retro-ended{border-left:4px solid #555;background:#f3f4f6;padding:.8em 1em;font-weight:600}
.wb-topic{border-left:4px solid #6366f1;padding:.3em .8em;margin:.5em 0}
.wb-section-title{font-weight:600;font-size:1.15em;margin-top:1.1em}
.wb-projector{max-width:none!important;font-size:28px;background:#000;color:#fff;padding:.6em 1em;min-height:100vh}
.wb-projector .wb-card{background:#fff8c5;color:#000;font-size:1em;border:none}
.wb-projector .wb-group{background:#111;border-color:#fbbf24;color:#fff}
.wb-projector .wb-votes{color:#fbbf24}
.wb-projector .wb-retro-col{border-color:#fbbf24}
.wb-projector .wb-retro-timer{color:#fff;font-size:1.6em}
.wb-projector .wb-title{font-size:1.6em}
.wb-projector-board{display:grid;grid-template-columns:repeat(auto-fit,minmax(14em,1fr));gap:.8em}
</style>"""


# --- small helpers -----------------------------------------------------------------------------

def _html(value: str, css: str = "") -> widgets.HTML:
    w = widgets.HTML(value)
    if css:
        w.add_class(css)
    return w


def _button(description: str, css: str, on_click: Callable[[], None], style: str = "",
            width: str = "auto") -> widgets.Button:
    b = widgets.Button(description=description, button_style=style, layout=widgets.Layout(width=width))
    b.add_class(css)
    b.on_click(lambda _b: on_click())
    return b


def close_tree(w: widgets.Widget) -> None:
    """Close a widget and everything under it (so neither kernel nor page keeps dead models)."""
    for child in getattr(w, "children", ()):
        close_tree(child)
    w.close()


class Pool:
    """Widgets kept across renders, keyed by what they show (``("card", 12)``).

    A render asks :meth:`get` for each piece it shows (made once, then reused) and ends with
    :meth:`sweep`, which closes the pieces it did not ask for (a deleted card, a past phase).
    """

    def __init__(self) -> None:
        self.items: dict[Hashable, Any] = {}
        self._used: set[Hashable] = set()

    def get(self, key: Hashable, make: Callable[[], Any]) -> Any:
        item = self.items.get(key)
        if item is None:
            item = self.items[key] = make()
        self._used.add(key)
        return item

    def sweep(self) -> None:
        for key in [k for k in self.items if k not in self._used]:
            item = self.items.pop(key)
            close_tree(item.box if hasattr(item, "box") else item)
        self._used = set()


def problem_text(exc: Exception) -> str:
    """A person-readable message for an API refusal."""
    if isinstance(exc, ValidationError):
        parts = [m for p in exc.problems for m in [p.message]]
        return "; ".join(parts) if parts else exc.summary
    return str(exc)


def _aware(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.timezone.utc)  # SQLite hands back naive UTC


def _mm_ss(seconds: int) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def _status_html(text: str, ok: bool = False) -> str:
    return f'<div class="{"wb-ok" if ok else "wb-error"}">{esc(text)}</div>' if text else ""


def _votes_badge(votes: int | None) -> str:
    return "" if votes is None else f' <span class="wb-votes">{votes} vote{"" if votes == 1 else "s"}</span>'


def _card_html(card: Any, *, votes: bool = True) -> str:
    meta = []
    author = getattr(card, "author", None)
    if getattr(card, "mine", False):
        meta.append("your card")
    elif author:
        meta.append(str(author))
    meta_html = f' <span class="wb-card-meta">({esc(", ".join(meta))})</span>' if meta else ""
    return f"{esc(card.text)}{meta_html}{_votes_badge(card.votes) if votes else ''}"


class RetroView:
    """What every retro page shares: context, the session shown, the live loop and error messages."""

    kind = KIND

    def __init__(self, ctx: FormContext, session_id: int | None) -> None:
        self.ctx = ctx
        self.session_id = session_id
        self.pool = Pool()
        self.status = _html("", "wb-retro-status")
        self.timer = _html("", "wb-retro-timer")
        # The revision the page shows (invisible): tests and the benchmark see each page catch up.
        self.rev = _html("", "wb-retro-rev")
        self.rev.layout.display = "none"
        self.state: Any = None
        self.live: Live | None = None
        self.names: dict[str, str] | None = None

    @property
    def store(self) -> "Store":
        return self.ctx.store

    # --- live ---
    def marker(self) -> Hashable:
        """The retro's change marker, plus whether its close time has passed (closing by the clock
        changes no row, so it cannot move the marker)."""
        if self.session_id is None:
            return ("none",)
        if self._closes_for != self.session_id:
            self._closes_for, self._closes_at = self.session_id, self.store.get_session(self.session_id).closes_at
        over = self._closes_at is not None and utcnow() >= _aware(self._closes_at)
        return (self.session_id, retro.change_marker(self.store, self.session_id), over)

    _closes_for: int | None = None
    _closes_at: dt.datetime | None = None

    def go_live(self, owner: widgets.Widget) -> Live:
        """Render now, then follow the change marker (from the value read before this render)."""
        self.live = Live(self.marker, lambda _m: self.render(), on_tick=self.show_timer,
                         ticking=self.timer_running, owner=owner)
        self.live.prime(self.marker())
        self.render()
        self.live.start()
        return self.live

    def refresh(self) -> None:
        """Re-read now (after one's own action) instead of waiting for the next tick."""
        if self.live is not None:
            self.live.last = None
            self.live.check()
        else:
            self.render()

    def render(self) -> None:  # pragma: no cover - each page's own
        raise NotImplementedError

    # --- timer ---
    def timer_running(self) -> bool:
        """Whether the countdown needs a tick (one more after it ran out, to say "Time is up")."""
        st = self.state
        if st is None or st.phase_ends_at is None or st.closed:
            return False
        return utcnow() < _aware(st.phase_ends_at) + dt.timedelta(seconds=1.5)

    def show_timer(self) -> None:
        st = self.state
        if st is None or st.phase_ends_at is None or st.closed:
            self.timer.value = ""
            return
        left = st.seconds_left(utcnow())
        if left is None:
            self.timer.value = ""
        elif left <= 0:
            self.timer.value = '<span class="wb-retro-timer-up">Time is up</span>'
        else:
            self.timer.value = f"{_mm_ss(left)} left"

    # --- acting ---
    def act(self, what: str, action: Callable[[], Any], done: str = "") -> Any:
        """Run one API call for the viewer; a refusal becomes a clear message, nothing else happens."""
        try:
            self.ctx.check()
            result = action()
        except (ValidationError, AccessDenied, NotFoundError) as exc:
            self.status.value = _status_html(problem_text(exc))
            return None
        except WorkbookError:
            log.warning("retro page: %s failed", what, exc_info=True)
            self.status.value = _status_html(ACT_FAILED)
            return None
        except Exception:
            log.exception("retro page: %s failed", what)
            self.status.value = _status_html(OUR_FAULT)
            return None
        self.status.value = _status_html(done, ok=True)
        self.refresh()
        return result

    def member_name(self, person_id: str | None) -> str:
        if person_id is None:
            return "nobody yet"
        if self.names is None or person_id not in self.names:
            self.names = self.store.member_names(self.ctx.viewer.cohort_id)
        return self.names.get(person_id, "someone who left")

    def local_date(self, day: dt.date | None) -> str:
        return day.strftime("%a %d %b %Y") if day else ""

    def stamp(self, state: Any) -> None:
        self.rev.value = f'<span data-rev="{int(state.revision)}"></span>'

    def phase_html(self, state: Any) -> str:
        self.stamp(state)
        phase = state.phase
        title = PHASE_TITLES.get(phase, phase)
        css = "wb-retro-phase wb-retro-phase-closed" if state.closed else "wb-retro-phase"
        return f'<span class="{css}" data-phase="{esc(phase)}">{esc(title)}</span>'


# --- board pieces --------------------------------------------------------------------------------

class Tile:
    """One voting unit on the board (a group with its cards, or a loose card), with vote buttons."""

    def __init__(self, view: "ParticipantView", target: str, ident: int) -> None:
        self.view, self.target, self.ident = view, target, ident
        self.html = _html("", "wb-group" if target == "group" else "wb-card")
        self.html.add_class(f"wb-{target}-{ident}")
        self.html.layout = widgets.Layout(flex="1 1 auto", width="auto")
        self.vote = _button("+1", "wb-vote", lambda: self._vote(1), "primary", "4em")
        self.unvote = _button("\u22121", "wb-unvote", lambda: self._vote(-1), "", "4em")
        self.mine = _html("", "wb-my-votes")
        self.box = widgets.HBox([self.html, self.mine, self.vote, self.unvote],
                                layout=widgets.Layout(align_items="center", width="100%"))
        self.box.add_class("wb-tile")
        self.box.add_class(f"wb-tile-{target}-{ident}")

    def _vote(self, direction: int) -> None:
        kw = {"group_id": self.ident} if self.target == "group" else {"card_id": self.ident}
        fn = retro.vote if direction > 0 else retro.unvote
        self.view.act("vote" if direction > 0 else "unvote", lambda: fn(self.view.store, self.view.ctx.viewer, **kw))

    def update(self, html: str, *, voting: bool, my_votes: int, can_add: bool) -> None:
        self.html.value = html
        show = None if voting else "none"
        self.vote.layout.display = show
        self.unvote.layout.display = show
        self.mine.layout.display = show
        self.vote.disabled = not can_add
        self.unvote.disabled = my_votes <= 0
        ticks = "\u2713" * my_votes
        self.mine.value = f'<span class="wb-my-vote-count">{ticks}</span>' if my_votes else ""


class OwnCard:
    """One of the viewer's cards during write: edit and delete."""

    def __init__(self, view: "ParticipantView", card_id: int, text: str) -> None:
        self.view, self.card_id, self.stored = view, card_id, text
        self.text = widgets.Textarea(value=text, rows=2, layout=widgets.Layout(width="100%"))
        self.text.add_class("wb-own-text")
        self.save = _button("Save", "wb-card-save", self._save, "", "6em")
        self.delete = _button("Delete", "wb-card-delete", self._delete, "danger", "6em")
        self.box = widgets.HBox([self.text, self.save, self.delete], layout=widgets.Layout(width="100%"))
        self.box.add_class("wb-own-card")
        self.box.add_class(f"wb-own-card-{card_id}")

    def update(self, text: str) -> None:
        if text != self.stored:  # changed elsewhere (another tab): show it; never clobber typing otherwise
            self.stored = text
            self.text.value = text

    def _save(self) -> None:
        text = self.text.value
        self.view.act("edit card", lambda: retro.edit_card(self.view.store, self.view.ctx.viewer, self.card_id, text),
                      "Card saved.")

    def _delete(self) -> None:
        self.view.act("delete card", lambda: retro.delete_card(self.view.store, self.view.ctx.viewer, self.card_id),
                      "Card deleted.")


class AddCard:
    """The input for a new card in one column."""

    def __init__(self, view: "ParticipantView", column_id: str, column_title: str) -> None:
        self.view, self.column_id = view, column_id
        self.text = widgets.Textarea(placeholder=f"A new card for \u201c{column_title}\u201d",
                                     rows=2, layout=widgets.Layout(width="100%"))
        self.text.add_class("wb-add-text")
        self.text.add_class(f"wb-add-text-{column_id}")
        self.add = _button("Add card", "wb-add-card", self._add, "primary", "8em")
        self.add.add_class(f"wb-add-card-{column_id}")
        self.box = widgets.HBox([self.text, self.add], layout=widgets.Layout(width="100%"))
        self.box.add_class("wb-add")

    def _add(self) -> None:
        text = self.text.value
        if self.view.act("add card", lambda: retro.add_card(self.view.store, self.view.ctx.viewer,
                                                            self.view.session_id, self.column_id, text),
                         "Card added.") is not None:
            self.text.value = ""


# --- the participant's page ------------------------------------------------------------------------

class ParticipantView(RetroView):
    """The participant's live board: write, board, vote, discuss, actions, ended; plus their action items."""

    def __init__(self, ctx: FormContext, session_id: int | None, exercise_id: str | None = None) -> None:
        super().__init__(ctx, session_id)
        self.exercise_id = exercise_id
        self.title = _html("", "wb-title")
        self.phase = _html("", "wb-retro-phase-box")
        self.help = _html("", "wb-help")
        self.votes_left = _html("", "wb-votes-left")
        self.body = widgets.VBox([], layout=widgets.Layout(width="100%"))
        self.body.add_class("wb-retro-body")
        self.mine_box = widgets.VBox([])
        self.mine_box.add_class("wb-my-actions")
        head = widgets.HBox([self.phase, self.timer, self.votes_left, self.rev])
        head.add_class("wb-retro-head")
        self.widget = widgets.VBox([_html(RETRO_STYLE), self.title, head, self.help, self.status, self.body,
                                    self.mine_box], layout=widgets.Layout(width="100%"))
        self.widget.add_class("wb-retro")
        self.board: Any = None

    def marker(self) -> Hashable:
        if self.session_id is None:  # waiting for a retro: look for one (every few seconds)
            found = _pick_running(self.store, self.ctx.viewer.cohort_id, self.exercise_id)
            if found is not None:
                self.session_id = found
                if self.live is not None:
                    self.live.interval = 1.0
                return (found, retro.change_marker(self.store, found))
            return ("none",)
        return super().marker()

    def render(self) -> None:
        if self.session_id is None:
            self.title.value = esc("Retro")
            self.phase.value = ""
            self.help.value = ""
            self.votes_left.value = ""
            self.body.children = [self.pool.get(("no-retro",), lambda: text_widget(NO_RETRO, "wb-message"))]
            self.render_my_actions()
            self.pool.sweep()
            if self.live is not None:
                self.live.interval = 5.0
            return
        b = retro.board(self.store, self.ctx.viewer, self.session_id)
        self.board, st = b, b.state
        self.state = st
        self.title.value = esc(b.title)
        self.phase.value = self.phase_html(st)
        self.help.value = esc(PHASE_HELP.get(st.phase, ""))
        self.votes_left.value = (f"{b.votes_left} vote{'' if b.votes_left == 1 else 's'} left"
                                 if st.phase == "vote" else "")
        self.show_timer()
        if st.closed:
            parts = [text_widget(ENDED, "wb-retro-ended"), *self.board_pieces(b, voting=False)]
            parts += self.actions_pieces()
        elif st.phase == "write":
            parts = self.write_pieces(b)
        elif st.phase == "review":
            parts = self.review_pieces()
        elif st.phase in ("discuss", "actions"):
            parts = [*self.discussion_pieces(), *self.actions_pieces()]
        else:  # reveal, group, vote
            parts = self.board_pieces(b, voting=st.phase == "vote")
        self.body.children = parts
        self.render_my_actions()
        self.pool.sweep()

    # write: own cards editable, one input per column; others' cards only when the retro shows them live
    def write_pieces(self, b: Any) -> list[widgets.Widget]:
        out: list[widgets.Widget] = []
        for col_id, col_title in b.columns:
            out.append(self.pool.get(("col", col_id), lambda t=col_title: _html(esc(t), "wb-retro-col")))
            for card in b.cards.get(col_id, []):
                if card.mine:
                    own = self.pool.get(("own", card.id), lambda c=card: OwnCard(self, c.id, c.text))
                    own.update(card.text)
                    out.append(own.box)
                else:
                    tile = self.pool.get(("card", card.id), lambda c=card: Tile(self, "card", c.id))
                    tile.update(_card_html(card), voting=False, my_votes=0, can_add=False)
                    out.append(tile.box)
            add = self.pool.get(("add", col_id), lambda c=col_id, t=col_title: AddCard(self, c, t))
            out.append(add.box)
        return out

    def board_pieces(self, b: Any, *, voting: bool) -> list[widgets.Widget]:
        out: list[widgets.Widget] = []
        cards = {c.id: c for col in b.cards.values() for c in col}
        left = b.votes_left
        if b.groups:
            out.append(self.pool.get(("title", "groups"), lambda: _html("Themes", "wb-section-title")))
        for g in b.groups:
            items = "".join(f'<li>{_card_html(cards[cid], votes=False)}</li>' for cid in g.card_ids if cid in cards)
            html = (f'<div class="wb-group-title">{esc(g.title)}{_votes_badge(g.votes)}</div>'
                    f'<ul class="wb-group-cards">{items}</ul>')
            tile = self.pool.get(("group", g.id), lambda g=g: Tile(self, "group", g.id))
            tile.update(html, voting=voting, my_votes=g.my_votes, can_add=left > 0)
            out.append(tile.box)
        for col_id, col_title in b.columns:
            loose = [c for c in b.cards.get(col_id, []) if c.group_id is None]
            if not loose:
                continue
            out.append(self.pool.get(("col", col_id), lambda t=col_title: _html(esc(t), "wb-retro-col")))
            for card in loose:
                tile = self.pool.get(("card", card.id), lambda c=card: Tile(self, "card", c.id))
                tile.update(_card_html(card), voting=voting, my_votes=card.my_votes, can_add=left > 0)
                out.append(tile.box)
        if not out:
            out.append(self.pool.get(("empty",), lambda: text_widget("No cards on the board yet.", "wb-help")))
        return out

    def review_pieces(self) -> list[widgets.Widget]:
        try:
            items = retro.review_items(self.store, self.ctx.viewer, self.session_id)
        except AccessDenied:
            items = []
        rows = "".join(f"<li>{esc(i.text)} <span class='wb-card-meta'>({esc(self.member_name(i.owner_id))})"
                       f"</span></li>" for i in items)
        html = (f"<ul class='wb-review-list'>{rows}</ul>" if rows
                else "<div class='wb-help'>No open action items from earlier retros.</div>")
        w = self.pool.get(("review",), lambda: _html("", "wb-review"))
        w.value = html
        return [w]

    def discussion_pieces(self) -> list[widgets.Widget]:
        topics = retro.discussion(self.store, self.ctx.viewer, self.session_id)
        w = self.pool.get(("topics",), lambda: _html("", "wb-topics"))
        w.value = topics_html(topics)
        return [self.pool.get(("title", "topics"), lambda: _html("Topics, most voted first", "wb-section-title")), w]

    def actions_pieces(self) -> list[widgets.Widget]:
        items = retro.action_items(self.store, self.ctx.viewer, status=None, session_id=self.session_id)
        w = self.pool.get(("actions",), lambda: _html("", "wb-retro-actions"))
        w.value = actions_html(items, self.member_name, self.local_date)
        return [self.pool.get(("title", "actions"), lambda: _html("Action items", "wb-section-title")), w]

    def render_my_actions(self) -> None:
        try:
            mine = retro.my_actions(self.store, self.ctx.viewer)
        except WorkbookError:
            log.warning("my action items: reading failed", exc_info=True)
            return
        rows: list[widgets.Widget] = []
        for item in mine:
            row = self.pool.get(("mine", item.id), lambda i=item: MyAction(self, i.id))
            row.update(item, self.local_date)
            rows.append(row.box)
        if rows:
            rows.insert(0, self.pool.get(("title", "mine"), lambda: _html("My action items", "wb-section-title")))
        self.mine_box.children = rows


class MyAction:
    """One of the viewer's own action items, with Done."""

    def __init__(self, view: RetroView, item_id: int) -> None:
        self.view, self.item_id = view, item_id
        self.html = _html("", "wb-my-action")
        self.done = _button("Done", "wb-action-done", self._done, "success", "6em")
        self.box = widgets.HBox([self.html, self.done], layout=widgets.Layout(align_items="center"))
        self.box.add_class(f"wb-my-action-{item_id}")

    def update(self, item: Any, day: Callable[[dt.date | None], str]) -> None:
        due = f" \u2014 due {esc(day(item.due))}" if item.due else ""
        self.html.value = f"{esc(item.text)}{due} <span class='wb-card-meta'>[{esc(item.status)}]</span>"
        self.done.layout.display = None if item.status == "open" else "none"

    def _done(self) -> None:
        self.view.act("action done", lambda: access.set_action_status(self.view.store, self.view.ctx.viewer,
                                                                        self.item_id, "done"), "Marked done.")


def topics_html(topics: Iterable[Any]) -> str:
    out = []
    for n, t in enumerate(topics, 1):
        texts = getattr(t, "card_texts", None)
        if texts is None:
            texts = [getattr(c, "text", c) for c in getattr(t, "cards", ())]
        items = "".join(f"<li>{esc(x)}</li>" for x in texts)
        out.append(f"<div class='wb-topic'><b>{n}. {esc(t.title)}</b>{_votes_badge(t.votes)}<ul>{items}</ul></div>")
    return "".join(out) or "<div class='wb-help'>No topics yet.</div>"


def actions_html(items: Iterable[Any], name: Callable[[str | None], str],
                 day: Callable[[dt.date | None], str]) -> str:
    rows = []
    for i in items:
        due = f", due {esc(day(i.due))}" if i.due else ""
        rows.append(f"<li class='wb-action-item'>{esc(i.text)} <span class='wb-card-meta'>({esc(name(i.owner_id))}"
                    f"{due}; {esc(i.status)})</span></li>")
    return f"<ul>{''.join(rows)}</ul>" if rows else "<div class='wb-help'>No action items yet.</div>"


def _pick_running(store: "Store", cohort_id: str, exercise_id: str | None) -> int | None:
    """The newest running retro of the cohort (of that template, when the link names one)."""
    for s in retro.running_retros(store, cohort_id):
        if exercise_id is None or s.exercise_id == exercise_id:
            return int(s.id)
    return None


NOT_A_RETRO = ("This link opens a retro, but what it names is not a retro. "
               "Ask your facilitator for a current link.")


def _is_retro(ctx: FormContext, exercise_id: str) -> bool:
    return ctx.store.exercise(exercise_id, ctx.viewer.cohort_id).kind == "retro"  # NotFoundError if unknown


def _session_of_link(ctx: FormContext, params: dict[str, str]) -> tuple[int | None, str | None, bool]:
    """The retro a link points to: ``session=<id>`` (this cohort's), else the running one (of ``exercise``);
    and whether the link names a retro at all."""
    exercise = params.get("exercise") or None
    raw = params.get("session")
    if raw:
        try:
            sid = int(raw)
        except ValueError:
            raise NotFoundError("session", raw, "ask your facilitator for a current link") from None
        if ctx.store.get_session(sid).cohort_id != ctx.viewer.cohort_id:
            raise NotFoundError("session", sid, "ask your facilitator for a current link")
        session = ctx.store.get_session(sid)
        return sid, exercise, _is_retro(ctx, session.exercise_id)
    if exercise is not None and not _is_retro(ctx, exercise):
        return None, exercise, False
    return _pick_running(ctx.store, ctx.viewer.cohort_id, exercise), exercise, True


def retro_page(query: str | None = None, store: "Store | None" = None) -> Page:
    """The participant's live retro page for the link ``query``; never raises for a visitor's mistake."""
    return guarded_page(KIND, query, store, _participant)


def _participant(ctx: FormContext, params: dict[str, str]) -> Page:
    sid, exercise, is_retro = _session_of_link(ctx, params)
    if not is_retro:
        return message_page(KIND, NOT_A_RETRO, ctx.viewer)
    view = ParticipantView(ctx, sid, exercise)
    pg = Page(_shell(KIND, [view.widget]), KIND, viewer=ctx.viewer, extra={"view": view})
    view.go_live(pg.widget)
    return pg


# --- the facilitator's desk ------------------------------------------------------------------------

#: Where the desk writes exports (``WORKBOOK_EXPORT_DIR``, else ``exports/`` in the server's folder).
EXPORT_ENV = "WORKBOOK_EXPORT_DIR"
REVIEW_OUTCOMES = ("done", "carried", "dropped")
ACTION_STATUSES = ("open", "done", "dropped")


def parse_local_datetime(text: str, zone: Any) -> dt.datetime | None:
    """``YYYY-MM-DD HH:MM`` in ``zone`` as aware UTC; empty text is None; anything else a ValidationError."""
    from ..errors import FieldProblem

    text = text.strip()
    if not text:
        return None
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        try:
            naive = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        return naive.replace(tzinfo=zone).astimezone(dt.timezone.utc)
    raise ValidationError("close time not understood", [FieldProblem(
        "closes_at", f"write the close time as YYYY-MM-DD HH:MM (got {text!r})")])


class CardPick:
    """A card on the desk's group board, with a checkbox to select it."""

    def __init__(self, card_id: int) -> None:
        self.check = widgets.Checkbox(value=False, indent=False, layout=widgets.Layout(width="2em"))
        self.check.add_class("wb-pick")
        self.html = _html("", "wb-card")
        self.box = widgets.HBox([self.check, self.html], layout=widgets.Layout(align_items="center", width="100%"))
        self.box.add_class(f"wb-pick-card-{card_id}")


class GroupRow:
    """A group on the desk: select (to merge), its cards, rename."""

    def __init__(self, desk: "DeskView", group_id: int) -> None:
        self.desk, self.group_id = desk, group_id
        self.check = widgets.Checkbox(value=False, indent=False, layout=widgets.Layout(width="2em"))
        self.check.add_class("wb-pick-group")
        self.html = _html("", "wb-group")
        self.html.layout = widgets.Layout(flex="1 1 auto")
        self.title = widgets.Text(placeholder="new title", layout=widgets.Layout(width="14em"))
        self.title.add_class("wb-rename-text")
        self.rename = _button("Rename", "wb-rename", self._rename, "", "7em")
        self.box = widgets.HBox([self.check, self.html, self.title, self.rename],
                                layout=widgets.Layout(align_items="center", width="100%"))
        self.box.add_class(f"wb-group-row-{group_id}")

    def _rename(self) -> None:
        title = self.title.value
        if self.desk.act("rename group", lambda: retro.rename_group(self.desk.store, self.desk.ctx.viewer,
                                                                     self.group_id, title), "Group renamed."):
            self.title.value = ""


class SuggestionRow:
    """A proposed group: Accept or Reject."""

    def __init__(self, desk: "DeskView", n: int, suggestion: Any, texts: dict[int, str]) -> None:
        self.desk, self.suggestion = desk, suggestion
        kind = "Duplicates" if getattr(suggestion, "duplicate", False) else "Similar"
        items = "".join(f"<li>{esc(texts.get(c, '?'))}</li>" for c in suggestion.card_ids)
        self.html = _html(f"<b>{esc(suggestion.title)}</b> <span class='wb-card-meta'>({kind})</span><ul>{items}</ul>",
                          "wb-group")
        self.html.layout = widgets.Layout(flex="1 1 auto")
        self.accept = _button("Accept", "wb-accept", self._accept, "success", "7em")
        self.reject = _button("Reject", "wb-reject", self._reject, "", "7em")
        self.box = widgets.HBox([self.html, self.accept, self.reject],
                                layout=widgets.Layout(align_items="center", width="100%"))
        self.box.add_class("wb-suggestion")
        self.box.add_class(f"wb-suggestion-{n}")

    def _accept(self) -> None:
        if self.desk.act("accept suggestion", lambda: retro.accept_suggestion(
                self.desk.store, self.desk.ctx.viewer, self.desk.session_id, self.suggestion),
                f"Group \u201c{self.suggestion.title}\u201d created.") is not None:
            self.desk.drop_suggestion(self)

    def _reject(self) -> None:
        if self.desk.act("reject suggestion", lambda: retro.reject_suggestion(
                self.desk.store, self.desk.ctx.viewer, self.desk.session_id, self.suggestion) or True,
                "Suggestion rejected.") is not None:
            self.desk.drop_suggestion(self)


class ActionRow:
    """An action item of this retro on the desk: its status."""

    def __init__(self, desk: "DeskView", item_id: int) -> None:
        self.desk, self.item_id = desk, item_id
        self.html = _html("", "wb-action-item")
        self.html.layout = widgets.Layout(flex="1 1 auto")
        self.status = widgets.Dropdown(options=list(ACTION_STATUSES), layout=widgets.Layout(width="8em"))
        self.status.add_class("wb-action-status")
        self._quiet = False
        self.status.observe(self._changed, names="value")
        self.box = widgets.HBox([self.html, self.status], layout=widgets.Layout(align_items="center", width="100%"))
        self.box.add_class(f"wb-action-row-{item_id}")

    def update(self, item: Any) -> None:
        due = f", due {esc(self.desk.local_date(item.due))}" if item.due else ""
        self.html.value = f"{esc(item.text)} <span class='wb-card-meta'>({esc(self.desk.member_name(item.owner_id))}{due})</span>"
        if item.status in ACTION_STATUSES and self.status.value != item.status:
            self._quiet = True
            self.status.value = item.status
            self._quiet = False

    def _changed(self, change: dict[str, Any]) -> None:
        if self._quiet:
            return
        status = change["new"]
        self.desk.act("action status", lambda: retro.set_action(self.desk.store, self.desk.ctx.viewer, self.item_id,
                                                                status=status), "Status saved.")


class ReviewRow:
    """An earlier retro's open action item, to be marked done, carried or dropped."""

    def __init__(self, desk: "DeskView", item_id: int) -> None:
        self.desk, self.item_id = desk, item_id
        self.html = _html("", "wb-review-item")
        self.html.layout = widgets.Layout(flex="1 1 auto")
        self.buttons = [_button(o.capitalize(), f"wb-review-{o}", lambda o=o: self._mark(o), "", "7em")
                        for o in REVIEW_OUTCOMES]
        self.box = widgets.HBox([self.html, *self.buttons], layout=widgets.Layout(align_items="center", width="100%"))
        self.box.add_class(f"wb-review-row-{item_id}")

    def _mark(self, outcome: str) -> None:
        self.desk.act("review item", lambda: retro.review_item(self.desk.store, self.desk.ctx.viewer,
                                                               self.desk.session_id, self.item_id, outcome),
                      f"Marked {outcome}.")


def _section(title: str, css: str, children: list[widgets.Widget]) -> widgets.VBox:
    box = widgets.VBox([_html(esc(title), "wb-section-title"), *children], layout=widgets.Layout(width="100%"))
    box.add_class(css)
    return box


class DeskView(RetroView):
    """The facilitator's desk: open, steer and close a retro, group, actions, review, export."""

    kind = DESK

    def __init__(self, ctx: FormContext, session_id: int | None) -> None:
        super().__init__(ctx, session_id)
        st, v = ctx.store, ctx.viewer
        self.templates = [(ex.title, ex.id) for ex in st.catalogue(v.cohort_id).list("retro")]
        # --- open a retro
        self.template = widgets.Dropdown(options=self.templates, layout=widgets.Layout(width="18em"))
        self.template.add_class("wb-template")
        self.new_title = widgets.Text(placeholder="Title, e.g. Sprint 14 retro", layout=widgets.Layout(width="18em"))
        self.new_title.add_class("wb-new-title")
        self.closes = widgets.Text(placeholder="Closes (optional): YYYY-MM-DD HH:MM",
                                   layout=widgets.Layout(width="18em"))
        self.closes.add_class("wb-closes")
        self.open_button = _button("Open retro", "wb-open-retro", lambda: self._open(False), "primary")
        self.open_anyway = _button("Open anyway", "wb-open-anyway", lambda: self._open(True), "warning")
        self.open_anyway.layout.display = "none"
        self.running = widgets.Dropdown(options=[], layout=widgets.Layout(width="24em"), description="Retro:")
        self.running.add_class("wb-running")
        self._quiet = False
        self.running.observe(self._pick, names="value")
        # --- steering
        self.title = _html("", "wb-title")
        self.phase = _html("", "wb-retro-phase-box")
        self.back = _button("\u2190 Back", "wb-phase-back", lambda: self._step(-1), "", "8em")
        self.next = _button("Next \u2192", "wb-phase-next", lambda: self._step(1), "primary", "8em")
        self.plus1 = _button("+1 min", "wb-timer-plus1", lambda: self._extend(60), "", "6em")
        self.plus5 = _button("+5 min", "wb-timer-plus5", lambda: self._extend(300), "", "6em")
        self.end_timer = _button("End timer", "wb-timer-end", self._end_timer, "", "8em")
        self.close_button = _button("Close retro", "wb-close-retro", self._close, "danger", "9em")
        self.votes = widgets.BoundedIntText(min=0, max=50, description="Votes each:",
                                            layout=widgets.Layout(width="11em"))
        self.votes.add_class("wb-setting-votes")
        self.cap = widgets.BoundedIntText(min=1, max=50, description="Cap per card:",
                                          layout=widgets.Layout(width="11em"))
        self.cap.add_class("wb-setting-cap")
        self.save_settings = _button("Save settings", "wb-save-settings", self._settings, "", "9em")
        self.participation = _html("", "wb-participation")
        # --- board and grouping
        self.board_box = widgets.VBox([], layout=widgets.Layout(width="100%"))
        self.board_box.add_class("wb-desk-board")
        self.group_title = widgets.Text(placeholder="Theme title", layout=widgets.Layout(width="16em"))
        self.group_title.add_class("wb-group-title-text")
        self.group_button = _button("Group selected cards", "wb-group-selected", self._group, "primary")
        self.split_button = _button("Take selected cards out of their group", "wb-ungroup", self._ungroup)
        self.merge_button = _button("Merge selected groups", "wb-merge", self._merge)
        self.suggest_button = _button("Suggest groups", "wb-suggest", self._suggest, "info")
        self.suggestions = widgets.VBox([])
        self.suggestions.add_class("wb-suggestions")
        self.grouping = _section("Group cards", "wb-desk-grouping", [
            widgets.HBox([self.group_title, self.group_button, self.merge_button]),
            widgets.HBox([self.split_button, self.suggest_button]), self.suggestions])
        # --- discuss, actions, review, export
        self.topics = _html("", "wb-topics")
        self.discuss = _section("Topics, most voted first", "wb-desk-discuss", [self.topics])
        self.action_text = widgets.Text(placeholder="Action item", layout=widgets.Layout(width="22em"))
        self.action_text.add_class("wb-action-text")
        self.owner = widgets.Dropdown(options=[("(no owner)", "")], layout=widgets.Layout(width="14em"))
        self.owner.add_class("wb-action-owner")
        self.due = widgets.DatePicker(layout=widgets.Layout(width="11em"))
        self.due.add_class("wb-action-due")
        self.add_action = _button("Add action item", "wb-add-action", self._add_action, "primary")
        self.action_rows = widgets.VBox([])
        self.action_rows.add_class("wb-desk-action-rows")
        self.actions = _section("Action items", "wb-desk-actions", [
            widgets.HBox([self.action_text, self.owner, self.due, self.add_action]), self.action_rows])
        self.review_rows = widgets.VBox([])
        self.review = _section("Earlier action items: done, carried or dropped?", "wb-desk-review",
                               [self.review_rows])
        self.export_button = _button("Export (Markdown + CSV)", "wb-export", self._export)
        self.export_result = _html("", "wb-export-result")
        self.controls = widgets.VBox([
            self.title, widgets.HBox([self.phase, self.timer], layout=widgets.Layout(align_items="center")),
            widgets.HBox([self.back, self.next, self.plus1, self.plus5, self.end_timer, self.close_button]),
            widgets.HBox([self.votes, self.cap, self.save_settings]),
            self.participation, self.review, _section("Board", "wb-desk-board-section", [self.board_box]),
            self.grouping, self.discuss, self.actions,
            widgets.HBox([self.export_button]), self.export_result], layout=widgets.Layout(width="100%"))
        self.controls.add_class("wb-desk-controls")
        projector = ('<a class="wb-projector-link" target="_blank" href="retro_desk.ipynb?view=projector">'
                     'Open the projector view</a>')
        self.opener = _section("Open a retro", "wb-desk-open", [
            widgets.HBox([self.template, self.new_title]), widgets.HBox([self.closes, self.open_button,
                                                                         self.open_anyway])])
        self.widget = widgets.VBox([_html(RETRO_STYLE), _html("Retro desk", "wb-title"), self.opener,
                                    widgets.HBox([self.running, _html(projector)]), self.status, self.controls],
                                   layout=widgets.Layout(width="100%"))
        self.widget.add_class("wb-retro-desk")
        self.picks: dict[int, CardPick] = {}
        self.rows: dict[int, GroupRow] = {}

    # --- which retro
    def marker(self) -> Hashable:
        running = tuple(s.id for s in retro.running_retros(self.store, self.ctx.viewer.cohort_id))
        return (running, super().marker())

    def _running_options(self) -> list[tuple[str, int]]:
        opts = []
        for s in retro.running_retros(self.store, self.ctx.viewer.cohort_id):
            opts.append((f"{s.title} (#{s.id})", int(s.id)))
        if self.session_id is not None and all(v != self.session_id for _, v in opts):
            try:
                s = self.store.get_session(self.session_id)
                opts.append((f"{s.title} (#{s.id}, ended)", int(s.id)))
            except NotFoundError:
                self.session_id = None
        return opts

    def _pick(self, change: dict[str, Any]) -> None:
        if self._quiet or change["new"] is None:
            return
        self.session_id = int(change["new"])
        self.suggestions.children = []
        self.refresh()

    def render(self) -> None:
        opts = self._running_options()
        if self.session_id is None and opts:
            self.session_id = opts[0][1]
        self._quiet = True
        try:
            self.running.options = opts
            self.running.value = self.session_id if opts else None
        finally:
            self._quiet = False
        self.running.layout.display = None if opts else "none"
        if self.session_id is None:
            self.controls.layout.display = "none"
            self.state = None
            self.timer.value = ""
            self.pool.sweep()
            return
        self.controls.layout.display = None
        b = retro.board(self.store, self.ctx.viewer, self.session_id)
        st = self.state = b.state
        self.title.value = esc(b.title)
        self.phase.value = self.phase_html(st)
        self.show_timer()
        phase = st.phase
        self.back.disabled = st.closed or phase == retro.PHASES[0]
        self.next.disabled = st.closed or phase == retro.PHASES[-2]
        for w in (self.plus1, self.plus5):
            w.disabled = st.closed
        self.end_timer.disabled = st.phase_ends_at is None or st.closed
        self.close_button.disabled = st.closed
        stored = (st.settings.votes_per_person, st.settings.cap_per_card)
        if stored != self._shown_settings:  # changed in the store: show it (never clobber typing otherwise)
            self._shown_settings = stored
            self.votes.value, self.cap.value = stored
        p = retro.participation(self.store, self.ctx.viewer, self.session_id)
        missing = ", ".join(p.missing) if p.missing else "nobody"
        self.participation.value = (f"<b>{p.submitted} of {p.expected}</b> participants have written cards. "
                                    f"Not yet: {esc(missing)}")
        self._board(b)
        self.review.layout.display = None if phase == "review" else "none"
        if phase == "review":
            self._review()
        grouping = phase in ("group", "vote", "discuss", "actions") and not st.closed
        self.grouping.layout.display = None if grouping else "none"
        show_topics = phase in ("discuss", "actions") or st.closed
        self.discuss.layout.display = None if show_topics else "none"
        if show_topics:
            self.topics.value = topics_html(retro.discussion(self.store, self.ctx.viewer, self.session_id))
        self.actions.layout.display = None if phase in ("discuss", "actions") or st.closed else "none"
        self._actions(st.closed)
        self.pool.sweep()

    _shown_settings: tuple[int, int] | None = None

    def _board(self, b: Any) -> None:
        cards = {c.id: c for col in b.cards.values() for c in col}
        out: list[widgets.Widget] = []
        for g in b.groups:
            row = self.pool.get(("group", g.id), lambda g=g: GroupRow(self, g.id))
            items = "".join(f"<li>{_card_html(cards[c], votes=True)}</li>" for c in g.card_ids if c in cards)
            row.html.value = (f'<div class="wb-group-title">{esc(g.title)}{_votes_badge(g.votes)}</div>'
                              f'<ul class="wb-group-cards">{items}</ul>')
            out.append(row.box)
            for c in g.card_ids:  # a grouped card can be selected to split it out
                if c in cards:
                    pick = self.pool.get(("pick", c), lambda c=c: CardPick(c))
                    pick.html.value = f"<span class='wb-card-meta'>in \u201c{esc(g.title)}\u201d:</span> " + \
                        _card_html(cards[c])
        for col_id, col_title in b.columns:
            col_cards = b.cards.get(col_id, [])
            out.append(self.pool.get(("col", col_id), lambda t=col_title: _html(esc(t), "wb-retro-col")))
            for card in col_cards:
                pick = self.pool.get(("pick", card.id), lambda c=card: CardPick(c.id))
                if card.group_id is None:
                    pick.html.value = _card_html(card)
                out.append(pick.box)
        self.board_box.children = out

    def _selected_cards(self) -> list[int]:
        return [k[1] for k, item in self.pool.items.items() if k[0] == "pick" and item.check.value]

    def _selected_groups(self) -> list[int]:
        return [k[1] for k, item in self.pool.items.items() if k[0] == "group" and item.check.value]

    def _clear_selection(self) -> None:
        for k, item in self.pool.items.items():
            if k[0] in ("pick", "group"):
                item.check.value = False

    def _review(self) -> None:
        rows = []
        for item in retro.review_items(self.store, self.ctx.viewer, self.session_id):
            row = self.pool.get(("review", item.id), lambda i=item: ReviewRow(self, i.id))
            due = f", due {esc(self.local_date(item.due))}" if item.due else ""
            row.html.value = f"{esc(item.text)} <span class='wb-card-meta'>({esc(self.member_name(item.owner_id))}{due})</span>"
            rows.append(row.box)
        self.review_rows.children = rows or [self.pool.get(("review-none",), lambda: text_widget(
            "No open action items from earlier retros.", "wb-help"))]

    def _actions(self, closed: bool) -> None:
        names = self.store.member_names(self.ctx.viewer.cohort_id)
        self.names = names
        owners = [("(no owner)", "")] + sorted(((n, pid) for pid, n in names.items()), key=lambda x: x[0].lower())
        if list(self.owner.options) != owners:
            keep = self.owner.value
            self.owner.options = owners
            self.owner.value = keep if any(v == keep for _, v in owners) else ""
        rows = []
        for item in retro.action_items(self.store, self.ctx.viewer, status=None, session_id=self.session_id):
            row = self.pool.get(("action", item.id), lambda i=item: ActionRow(self, i.id))
            row.update(item)
            row.status.disabled = closed
            rows.append(row.box)
        self.action_rows.children = rows
        for w in (self.action_text, self.owner, self.due, self.add_action):
            w.disabled = closed

    # --- actions of the desk
    def _open(self, force: bool) -> None:
        title = self.new_title.value.strip() or None
        try:
            closes_at = parse_local_datetime(self.closes.value, self.ctx.zone)
        except ValidationError as exc:
            self.status.value = _status_html(problem_text(exc))
            return
        template = self.template.value
        session = self.act("open retro", lambda: retro.open_session(self.store, self.ctx.viewer, template, title,
                                                                    closes_at=closes_at, force=force))
        if session is None:
            # Refused because one of that template is running: the API's message, and a way to open
            # a second one on purpose.
            dup = not force and any(r.exercise_id == template
                                    for r in retro.running_retros(self.store, self.ctx.viewer.cohort_id))
            self.open_anyway.layout.display = None if dup else "none"
            if dup:
                self.status.value += _status_html("Press “Open anyway” to run a second one at the same time.")
            return
        self.open_anyway.layout.display = "none"
        self.new_title.value = ""
        self.closes.value = ""
        self.session_id = int(session.id)
        self.status.value = _status_html(f"Opened \u201c{session.title}\u201d.", ok=True)
        self.refresh()

    def _step(self, direction: int) -> None:
        self.act("step", lambda: retro.step(self.store, self.ctx.viewer, self.session_id, direction))

    def _extend(self, seconds: int) -> None:
        self.act("extend timer", lambda: retro.extend_timer(self.store, self.ctx.viewer, self.session_id, seconds))

    def _end_timer(self) -> None:
        self.act("end timer", lambda: retro.end_timer(self.store, self.ctx.viewer, self.session_id))

    def _close(self) -> None:
        self.act("close retro", lambda: retro.close_session(self.store, self.ctx.viewer, self.session_id),
                 "The retro is closed. Participants now see a read-only board.")

    def _settings(self) -> None:
        votes, cap = self.votes.value, self.cap.value
        self.act("settings", lambda: retro.update_settings(self.store, self.ctx.viewer, self.session_id,
                                                           votes_per_person=votes, cap_per_card=cap),
                 "Settings saved.")

    def _group(self) -> None:
        cards, title = self._selected_cards(), self.group_title.value
        if self.act("group", lambda: retro.group_cards(self.store, self.ctx.viewer, self.session_id, title, cards),
                    "Group created.") is not None:
            self.group_title.value = ""
            self._clear_selection()

    def _ungroup(self) -> None:
        cards = self._selected_cards()
        if not cards:
            self.status.value = _status_html("Select the cards to take out of their group first.")
            return
        self.act("ungroup", lambda: retro.ungroup_cards(self.store, self.ctx.viewer, cards), "Cards taken out.")
        self._clear_selection()

    def _merge(self) -> None:
        groups, title = self._selected_groups(), self.group_title.value.strip() or None
        if self.act("merge", lambda: retro.merge_groups(self.store, self.ctx.viewer, groups, title),
                    "Groups merged.") is not None:
            self.group_title.value = ""
            self._clear_selection()

    def _suggest(self) -> None:
        found = self.act("suggest", lambda: retro.suggest_groups(self.store, self.ctx.viewer, self.session_id))
        if found is None:
            return
        b = retro.board(self.store, self.ctx.viewer, self.session_id)
        texts = {c.id: c.text for col in b.cards.values() for c in col}
        for old in self.suggestions.children:
            close_tree(old)
        self.suggestion_rows = [SuggestionRow(self, n, s, texts) for n, s in enumerate(found)]
        self.suggestions.children = [r.box for r in self.suggestion_rows] or [
            text_widget("No similar cards found: group them by hand.", "wb-help")]
        if found:
            self.status.value = _status_html(f"{len(found)} suggestion{'s' if len(found) != 1 else ''}: "
                                             "accept or reject each.", ok=True)

    def drop_suggestion(self, row: SuggestionRow) -> None:
        self.suggestions.children = [c for c in self.suggestions.children if c is not row.box]
        close_tree(row.box)

    def _add_action(self) -> None:
        text, owner, due = self.action_text.value, self.owner.value or None, self.due.value
        if self.act("add action", lambda: retro.add_action(self.store, self.ctx.viewer, self.session_id, text,
                                                           owner_id=owner, due=due), "Action item added.") is not None:
            self.action_text.value = ""
            self.due.value = None

    def _export(self) -> None:
        out = Path(os.environ.get(EXPORT_ENV) or Path.cwd() / "exports")
        result = self.act("export", lambda: retro.export_retro(self.store, self.ctx.viewer, self.session_id, out))
        if result is None:
            return
        links = []
        for path, mime in zip(result, ("text/markdown", "text/csv")):
            data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
            links.append(f'<a class="wb-download" download="{esc(Path(path).name)}" '
                         f'href="data:{mime};base64,{data}">Download {esc(Path(path).name)}</a> '
                         f'<span class="wb-card-meta">(saved as {esc(str(path))})</span>')
        self.export_result.value = "<br>".join(links)


# --- the projector ---------------------------------------------------------------------------------

class ProjectorView(RetroView):
    """The board for the back of the room: big type, high contrast, themes, votes once revealed, the timer."""

    kind = DESK

    def __init__(self, ctx: FormContext, session_id: int | None) -> None:
        super().__init__(ctx, session_id)
        self.head = _html("", "wb-projector-head")
        self.board = _html("", "wb-projector-body")
        self.widget = widgets.VBox([_html(RETRO_STYLE), self.head, self.timer, self.rev, self.board],
                                   layout=widgets.Layout(width="100%"))
        self.widget.add_class("wb-projector")

    def marker(self) -> Hashable:
        if self.session_id is None:
            self.session_id = _pick_running(self.store, self.ctx.viewer.cohort_id, None)
        return super().marker()

    def render(self) -> None:
        if self.session_id is None:
            self.head.value = f"<div class='wb-title'>{esc(NO_RETRO.split('.')[0])}.</div>"
            self.board.value = ""
            return
        b = retro.board(self.store, self.ctx.viewer, self.session_id)
        st = self.state = b.state
        self.head.value = f"<div class='wb-title'>{esc(b.title)}</div>{self.phase_html(st)}"
        self.show_timer()
        if st.phase in ("discuss", "actions") or st.closed:
            self.board.value = topics_html(retro.discussion(self.store, self.ctx.viewer, self.session_id))
            return
        if st.phase in ("review", "write"):
            n = sum(len(v) for v in b.cards.values())
            self.board.value = (f"<div class='wb-title'>{n} card{'s' if n != 1 else ''} written so far</div>"
                                if st.phase == "write" else "")
            return
        cards = {c.id: c for col in b.cards.values() for c in col}
        parts = []
        for g in b.groups:
            items = "".join(f"<div class='wb-card'>{esc(cards[c].text)}</div>" for c in g.card_ids if c in cards)
            parts.append(f"<div class='wb-group'><div class='wb-group-title'>{esc(g.title)}{_votes_badge(g.votes)}"
                         f"</div>{items}</div>")
        for col_id, col_title in b.columns:
            loose = [c for c in b.cards.get(col_id, []) if c.group_id is None]
            if loose:
                items = "".join(f"<div class='wb-card'>{esc(c.text)}{_votes_badge(c.votes)}</div>" for c in loose)
                parts.append(f"<div><div class='wb-retro-col'>{esc(col_title)}</div>{items}</div>")
        self.board.value = f"<div class='wb-projector-board'>{''.join(parts)}</div>"


def desk_page(query: str | None = None, store: "Store | None" = None) -> Page:
    """The facilitator's retro desk (``view=projector``: the projector view); facilitators only."""
    return guarded_page(DESK, query, store, _desk)


def _desk(ctx: FormContext, params: dict[str, str]) -> Page:
    access.require_role(ctx.viewer, "facilitator")
    sid: int | None = None
    if params.get("session"):
        sid, _, is_retro = _session_of_link(ctx, params)
        if not is_retro:
            return message_page(DESK, NOT_A_RETRO, ctx.viewer)
    view: RetroView
    if params.get("view") == "projector":
        view = ProjectorView(ctx, sid)
        box = widgets.VBox([view.widget], layout=widgets.Layout(width="100%"))
        box.add_class("wb-page")
        box.add_class("wb-page-projector")
        pg = Page(box, DESK, viewer=ctx.viewer, extra={"view": view})
    else:
        view = DeskView(ctx, sid)
        pg = Page(_shell(DESK, [view.widget]), DESK, viewer=ctx.viewer, extra={"view": view})
    view.go_live(pg.widget)
    return pg
