"""Display building blocks for report notebooks: escaped HTML fragments, tables and PNG charts.

Everything a person wrote goes through :func:`esc` before it becomes HTML, so ``<script>`` in
an answer stays text in the notebook, in Voila and in the exported page.
"""
from __future__ import annotations

import base64
import datetime as dt
import io
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..html import esc

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Output metadata key under which a report records its one-line summary (read back by the index).
SUMMARY_KEY = "workbook"

#: Readable at A4 width: 8 in wide at 100 dpi is 800 px, the width of the page's text column.
FIGSIZE = (8.0, 3.5)
DPI = 100


class Block:
    """An HTML fragment shown as a cell output, with a plain-text fallback and an optional summary.

    The summary travels in the output's metadata (``{"workbook": {"summary": ...}}``) so the
    batch runner can read it back from the executed notebook with nbformat.
    """

    def __init__(self, html_text: str, text: str = "", *, summary: str | None = None) -> None:
        self.html = html_text
        self.text = text
        self.summary = summary

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> tuple[dict[str, str], dict[str, Any]]:
        data = {"text/html": f'<div class="wb-report">{self.html}</div>', "text/plain": self.text or "(see HTML)"}
        meta = {SUMMARY_KEY: {"summary": self.summary}} if self.summary is not None else {}
        return data, meta

    def __add__(self, other: "Block") -> "Block":
        return Block(self.html + other.html, "\n".join(t for t in (self.text, other.text) if t),
                     summary=self.summary if self.summary is not None else other.summary)


class Chart:
    """A matplotlib figure rendered once to PNG (deterministic bytes, no pyplot state)."""

    def __init__(self, figure: "Figure", alt: str) -> None:
        buf = io.BytesIO()
        # No "Software" tag: the pages of two engines or two versions compare equal.
        figure.savefig(buf, format="png", dpi=DPI, metadata={"Software": None}, pil_kwargs={"compress_level": 3})
        self.png = buf.getvalue()
        self.alt = alt

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"image/png": base64.b64encode(self.png).decode("ascii"), "text/plain": self.alt}


def new_figure(ncols: int = 1) -> tuple["Figure", list[Any]]:
    """A figure at A4 text width with ``ncols`` axes side by side (no pyplot, no global state)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=FIGSIZE)
    # Fixed margins rather than constrained layout: the same look for these charts at a third of
    # the cost (layout solving was half of a report's time in the kernel).
    fig.subplots_adjust(left=0.08 if ncols > 1 else 0.07, right=0.98 if ncols > 1 else 0.80, bottom=0.24, top=0.89,
                        wspace=0.28)
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    for ax in axes:
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="y", alpha=0.3)
    return fig, list(axes)


def note(text: str) -> Block:
    """A muted one-paragraph note (escaped)."""
    return Block(f'<p class="wb-muted">{esc(text)}</p>', text)


def fmt(value: Any) -> str:
    """A cell value as text: dates short, floats to one decimal, missing as an em dash."""
    if value is None:
        return "—"
    try:
        import pandas as pd

        if value is pd.NA or (isinstance(value, float) and value != value):
            return "—"
        if isinstance(value, pd.Timestamp):
            value = value.to_pydatetime()
    except ImportError:  # pragma: no cover
        pass
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], *,
          alert: Callable[[int], bool] | None = None, raw_columns: Iterable[int] = (),
          empty: str = "Nothing in this period.") -> Block:
    """An HTML table; every cell is escaped unless its column index is in ``raw_columns``.

    ``alert(i)`` marks row ``i`` (highlighted, e.g. an overdue gap).
    """
    raw = set(raw_columns)
    rows = list(rows)
    if not rows:
        return note(empty)
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    text_lines = ["\t".join(headers)]
    for i, row in enumerate(rows):
        cls = ' class="wb-alert"' if alert is not None and alert(i) else ""
        cells = "".join(_td(cell if j in raw else esc(fmt(cell)), j in raw) for j, cell in enumerate(row))
        body.append(f"<tr{cls}>{cells}</tr>")
        text_lines.append("\t".join(fmt(c) for j, c in enumerate(row) if j not in raw))
    return Block(f'<table class="wb-table"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>',
                 "\n".join(text_lines))


def _td(content: str, raw: bool) -> str:
    # Short values (dates, counts, badges) never wrap; long text does.
    short = raw or len(content) <= 16
    return f'<td class="wb-nw">{content}</td>' if short else f"<td>{content}</td>"


def suppressed(min_size: int, *, partition: bool = False) -> str:
    """The raw HTML shown in place of a suppressed figure.

    ``partition``: a cell of a partition with a known total, hidden because it is small *or*
    because it would give a small one back, so "fewer than" would not be true of it.
    """
    text = f"not shown (protects a group under {min_size})" if partition else f"fewer than {min_size}"
    return f'<span class="wb-suppressed">{text}</span>'


def progress_bar(percent: int) -> str:
    """Raw HTML of a small progress bar for a 0-100 value."""
    p = max(0, min(100, int(percent)))
    return f'<span class="wb-bartrack"><span class="wb-bar" style="width:{p}%"></span></span>{p}%'


def stats(items: Sequence[tuple[str, Any]]) -> Block:
    """A row of headline numbers (label, value)."""
    cells = "".join(f'<div class="wb-stat"><b>{esc(fmt(v))}</b>{esc(label)}</div>' for label, v in items)
    return Block(f'<div class="wb-stats">{cells}</div>', "\n".join(f"{label}: {fmt(v)}" for label, v in items))
