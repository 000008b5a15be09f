"""What the three report views share: the page header, counted phrases, notes on what a page leaves out."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...html import STYLE, esc
from ..blocks import Block, note

if TYPE_CHECKING:
    from ...store import Store


def page_header(title: str, subtitle: str, summary: str) -> Block:
    """A report's title, subtitle and summary line (the summary also goes to the index page)."""
    return Block(f'{STYLE}<h1>{esc(title)}</h1><p class="wb-muted">{esc(subtitle)}</p><p>{esc(summary)}</p>',
                 f"{title}\n{subtitle}\n{summary}", summary=summary)


def plural(count: int, one: str, many: str | None = None) -> str:
    """``1 entry``, ``2 entries``."""
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _withheld_sentence(withheld: dict[str, int], coach_only: str) -> str:
    """"3 private entries and 1 entry shared only with your coach are not included; ..." (empty: nothing left out)."""
    parts = []
    if withheld.get("private"):
        parts.append(plural(withheld["private"], "private entry", "private entries"))
    if withheld.get("coach"):
        parts.append(plural(withheld["coach"], "entry", "entries") + f" shared only with {coach_only}")
    if not parts:
        return ""
    one = sum(withheld.get(v, 0) for v in ("private", "coach")) == 1
    return (f"{' and '.join(parts)} {'is' if one else 'are'} not included; your own report link shows "
            f"{'it' if one else 'them'}. Figures on this page count only the entries shown.")


def left_out(withheld: dict[str, int], coach_only: str) -> Block:
    """The count sentence as a note, or nothing."""
    sentence = _withheld_sentence(withheld, coach_only)
    return note(sentence) if sentence else Block("", "")


def member_names(store: "Store", cohort_id: str) -> dict[str, str]:
    """Person id -> name for every member of the cohort, past members included."""
    return store.member_names(cohort_id)


def progress_left_out(count: int) -> Block:
    """A note that goal progress recorded in entries this page does not show is left out, or nothing."""
    if not count:
        return Block("", "")
    return note(f"{plural(count, 'progress update')} recorded in entries not shown here "
                f"{'is' if count == 1 else 'are'} left out of the goals above.")


def is_suppressed(value: Any) -> bool:
    """A suppressed (or missing) cell of an analytics frame."""
    import pandas as pd

    return value is None or value is pd.NA or (isinstance(value, float) and value != value)
