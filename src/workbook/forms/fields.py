"""One input widget per exercise prompt, plus the escaping helpers every form uses.

Nothing a person typed (answers, names, goal titles, comments) and nothing a facilitator wrote
(custom templates) ever reaches a ``widgets.HTML`` unescaped: :func:`text_html` escapes first.
"""
from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as widgets
from ipywidgets.widgets.widget_string import HTMLStyle, TextStyle

from ..exercises import MAX_TEXT_LENGTH, Prompt
from ..html import text_html


# --- shared layouts and styles -------------------------------------------------------------------
# Each ipywidgets widget creates its own Layout (and an HTML its own HTMLStyle): three widgets, three
# comm messages when the page is built and three states to fetch when the browser draws it. A form's
# static texts and boxes never change their layout or style, so they share one of each per kernel:
# the reflection form went from 190 widgets to about 80, and a room's pages cost the server and the
# kernels that much less. A widget whose layout or style changes (``.layout.display = "none"``...)
# must get its own.
_SHARED: dict[str, widgets.Widget] = {}


def shared(name: str, make: Callable[[], widgets.Widget]) -> Any:
    """The kernel's one widget called ``name`` (made by ``make`` on first use, or again once closed)."""
    w = _SHARED.get(name)
    if w is None or getattr(w, "comm", None) is None:
        w = _SHARED[name] = make()
    return w


def full_width() -> widgets.Layout:
    """The shared ``width: 100%`` layout (for boxes and inputs whose layout never changes)."""
    return shared("full", lambda: widgets.Layout(width="100%"))  # type: ignore[no-any-return]


def html_widget(value: str = "") -> widgets.HTML:
    """An HTML widget with the shared default layout and style (never change either on it)."""
    return widgets.HTML(value, layout=shared("layout", widgets.Layout), style=shared("html-style", HTMLStyle))


def button(description: str, **kwargs: Any) -> widgets.Button:
    """A button with the shared default layout and style (never change either on it)."""
    return widgets.Button(description=description, layout=shared("layout", widgets.Layout),
                          style=shared("button-style", widgets.ButtonStyle), **kwargs)


def text_widget(text: object, css_class: str = "", tag: str = "div") -> widgets.HTML:
    """An HTML widget showing ``text`` escaped (wraps long lines, unlike ``Label``)."""
    return html_widget(text_html(text, css_class, tag))


def set_messages(target: widgets.HTML, messages: Sequence[str], css_class: str = "wb-error") -> None:
    """Show ``messages`` (escaped, one per line) in ``target``; an empty list clears it."""
    target.value = "".join(text_html(m, css_class) for m in messages)


def problem_messages(exc: Any) -> list[str]:
    """The messages of a refused save, field by field (a ValidationError), or the error itself."""
    by_field = getattr(exc, "by_field", None)
    return (by_field and [m for ms in by_field().values() for m in ms]) or [str(exc)]


def text_limit(prompt: Prompt, max_text_length: int = MAX_TEXT_LENGTH) -> int:
    """Longest answer (or list item) this prompt accepts: the prompt's own limit or the site-wide one."""
    return prompt.max_length or max_text_length


class PromptField:
    """The widgets for one prompt: its question, an input, a size counter and a place for errors.

    ``value`` is what goes to :func:`workbook.exercises.validate_answers`; ``set_value`` fills
    the input (for editing an entry); ``show_errors`` puts validation messages next to it.
    """

    def __init__(self, prompt: Prompt, max_text_length: int = MAX_TEXT_LENGTH) -> None:
        self.prompt = prompt
        self.limit = text_limit(prompt, max_text_length)
        self.error = html_widget()
        self.counter = html_widget()
        self._on_size: list[Callable[[], None]] = []
        marker = ' <span class="wb-required" title="required">*</span>' if prompt.required else ""
        question = html_widget(f'<div class="wb-prompt-text">{html.escape(prompt.text)}{marker}</div>')
        parts: list[widgets.Widget] = [question]
        if prompt.help:
            parts.append(text_widget(prompt.help, "wb-help"))
        self.input = self._build_input()
        parts.append(self.input)
        if prompt.type in ("text", "list"):
            parts.append(self.counter)
            self.input.observe(self._count, names="value")
            self._count()
        parts.append(self.error)
        self.box = widgets.VBox(parts, layout=full_width())
        self.box.add_class("wb-field")
        self.box.add_class(f"wb-prompt-{prompt.id}")

    # --- building ---------------------------------------------------------------------------
    def _build_input(self) -> widgets.Widget:
        p = self.prompt
        text_style = shared("text-style", TextStyle)
        if p.type == "text":
            return widgets.Textarea(value="", placeholder="Write your answer here", style=text_style,
                                    layout=shared("textarea", lambda: widgets.Layout(width="98%", height="7em")))
        if p.type == "list":
            hint = "One item per line"
            if p.max_items:
                hint += f" (up to {p.max_items})"
            return widgets.Textarea(value="", placeholder=hint, style=text_style,
                                    layout=shared("list", lambda: widgets.Layout(width="98%", height="6em")))
        if p.type == "choice":
            return widgets.RadioButtons(options=list(p.options), value=None, layout=full_width())
        # scale: buttons rather than a slider, so "not answered" is possible and visible
        values = list(range(p.scale_min, p.scale_max + 1))
        buttons = widgets.ToggleButtons(options=[(str(v), v) for v in values], value=None,
                                        style={"button_width": "3.2em"})
        if p.labels:
            low, high = p.labels
            ends = html_widget(f'<div class="wb-help">{html.escape(str(p.scale_min))} = {html.escape(low)}, '
                                f'{html.escape(str(p.scale_max))} = {html.escape(high)}</div>')
            self._scale_buttons = buttons
            return widgets.VBox([buttons, ends])
        self._scale_buttons = buttons
        return buttons

    @property
    def value_widget(self) -> widgets.ValueWidget:
        """The widget holding the answer (tests set its ``.value``)."""
        if self.prompt.type == "scale":
            return self._scale_buttons
        return self.input  # type: ignore[return-value]

    # --- values -----------------------------------------------------------------------------
    @property
    def value(self) -> Any:
        """The answer as ``validate_answers`` expects it (None when unanswered)."""
        raw = self.value_widget.value
        if self.prompt.type == "list":
            return [line for line in str(raw).splitlines() if line.strip()] or None
        if self.prompt.type == "text":
            return raw if str(raw).strip() else None
        return raw

    def set_value(self, value: Any) -> None:
        """Fill the input from a stored answer."""
        w = self.value_widget
        if self.prompt.type == "list":
            w.value = "\n".join(value or [])
        elif self.prompt.type == "text":
            w.value = value or ""
        elif self.prompt.type == "choice":
            w.value = value if value in self.prompt.options else None
        else:
            w.value = value if isinstance(value, int) and self.prompt.scale_min <= value <= self.prompt.scale_max else None

    def clear(self) -> None:
        """Empty the input and its messages."""
        self.set_value(None)
        self.show_errors([])

    def set_disabled(self, disabled: bool) -> None:
        """Lock or unlock the input."""
        self.value_widget.disabled = disabled

    # --- size -------------------------------------------------------------------------------
    def too_long(self) -> str | None:
        """A message when the answer (or an item) is over the limit, else None."""
        if self.prompt.type not in ("text", "list"):
            return None
        raw = str(self.value_widget.value)
        pieces = raw.splitlines() if self.prompt.type == "list" else [raw]
        longest = max((len(x) for x in pieces), default=0)
        if longest > self.limit:
            what = "An item" if self.prompt.type == "list" else "This answer"
            return (f"{what} is {longest:,} characters long; the limit is {self.limit:,}. "
                    "Please shorten it before saving.")
        return None

    def on_size_change(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` whenever the answer's length changes (the form re-checks its limits)."""
        self._on_size.append(callback)

    def _count(self, _change: object = None) -> None:
        raw = str(self.value_widget.value)
        over = self.too_long()
        if over:
            self.counter.value = text_html(over, "wb-counter-over")
        elif self.prompt.type == "text":
            self.counter.value = text_html(f"{len(raw):,} / {self.limit:,} characters", "wb-counter")
        else:
            self.counter.value = text_html(f"one item per line; up to {self.limit:,} characters each", "wb-counter")
        for cb in self._on_size:
            cb()

    def show_errors(self, messages: Sequence[str]) -> None:
        """Show validation messages under the input (escaped)."""
        set_messages(self.error, messages)


class CardColumn:
    """A retro column: its question and a growing list of one-line cards ("Add a card")."""

    def __init__(self, prompt: Prompt, max_text_length: int = MAX_TEXT_LENGTH, start_cards: int = 2) -> None:
        self.prompt = prompt
        self.limit = text_limit(prompt, max_text_length)
        self.error = html_widget()
        self.cards: list[widgets.Text] = []
        self._on_size: list[Callable[[], None]] = []
        self.cards_box = widgets.VBox([])
        self.add_button = widgets.Button(description="+ Add a card", tooltip="Add another card to this column")
        self.add_button.add_class("wb-add-card")
        self.add_button.on_click(lambda _b: self.add_card())
        parts: list[widgets.Widget] = [text_widget(prompt.text, "wb-column-title")]
        if prompt.help:
            parts.append(text_widget(prompt.help, "wb-help"))
        parts += [self.cards_box, self.add_button, self.error]
        self.box = widgets.VBox(parts, layout=full_width())
        self.box.add_class("wb-column")
        self.box.add_class(f"wb-prompt-{prompt.id}")
        self._blank_cards(start_cards)

    def _full(self) -> bool:
        return bool(self.prompt.max_items) and len(self.cards) >= (self.prompt.max_items or 0)

    def _blank_cards(self, n: int) -> None:
        """Up to ``n`` empty cards, as many as the column's limit leaves room for (no message)."""
        for _ in range(n):
            if self._full():
                return
            self.add_card()

    def add_card(self, text: str = "") -> widgets.Text:
        """Append an empty (or filled) card input; returns it."""
        if self._full():
            self.show_errors([f"This column takes up to {self.prompt.max_items} cards."])
            return self.cards[-1]
        card = widgets.Text(value=text, placeholder="One idea per card", layout=widgets.Layout(width="98%"))
        card.add_class("wb-card")
        for cb in self._on_size:
            card.observe(lambda _ch, cb=cb: cb(), names="value")
        self.cards.append(card)
        self.cards_box.children = tuple(self.cards)
        return card

    @property
    def value(self) -> list[str] | None:
        """The non-blank cards, in order (None when there are none)."""
        return [c.value for c in self.cards if c.value.strip()] or None

    def set_value(self, value: Sequence[str] | None) -> None:
        """Replace the cards with ``value`` (plus one empty card to add more, if the column has room)."""
        self.cards = []
        for text in value or []:
            self.add_card(text)
        self._blank_cards(1 if value else 2)

    def clear(self) -> None:
        """Back to two empty cards."""
        self.cards = []
        self._blank_cards(2)
        self.show_errors([])

    def set_disabled(self, disabled: bool) -> None:
        """Lock or unlock every card and the add button."""
        for c in self.cards:
            c.disabled = disabled
        self.add_button.disabled = disabled

    def too_long(self) -> str | None:
        """A message when a card is over the limit, else None."""
        longest = max((len(c.value) for c in self.cards), default=0)
        if longest > self.limit:
            return f"A card is {longest:,} characters long; the limit is {self.limit:,}. Please shorten it."
        return None

    def on_size_change(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` when any card's text changes (cards added later included)."""
        self._on_size.append(callback)
        for c in self.cards:
            c.observe(lambda _ch: callback(), names="value")

    def show_errors(self, messages: Sequence[str]) -> None:
        """Show validation messages under the column (escaped)."""
        set_messages(self.error, messages)


Field = PromptField | CardColumn


def refuse_too_long(fields: Mapping[str, "Field"], status: widgets.HTML) -> bool:
    """Mark every answer over its limit (and say so in ``status``); True when there is one."""
    long = {pid: msg for pid, f in fields.items() if (msg := f.too_long())}
    for pid, msg in long.items():
        fields[pid].show_errors([msg])
    if long:
        set_messages(status, ["Nothing was saved: shorten the answers marked in red."])
    return bool(long)


def visibility_picker(default: str) -> widgets.RadioButtons:
    """Who may read the entry: only me / me and my coach / my whole cohort (default from the cohort)."""
    options = [("Only me", "private"), ("Me and my coach", "coach"), ("My whole cohort", "cohort")]
    value = default if default in {v for _, v in options} else "coach"
    picker = widgets.RadioButtons(options=options, value=value, description="", layout=full_width())
    picker.add_class("wb-visibility")
    return picker
