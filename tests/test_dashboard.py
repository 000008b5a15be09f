"""The live retro dashboard, driven like ipywidgets' own tests: set values, click, check the store."""
from __future__ import annotations

import datetime as dt

import pytest

from workbook import AccessDenied, Store, retro
from workbook.access import Viewer
from workbook.dashboard import live_retro

FAC = Viewer("f01", "example", "facilitator")


def test_dashboard_shows_board_and_adds_actions(example: Store) -> None:
    s = retro.open_retro(example, FAC, "start-stop-continue")
    example.add_entry("example", "p01", "start-stop-continue", {"start": ["<img src=x onerror=alert(1)>"]},
                      visibility="cohort", session_id=s.id)
    example.add_entry("example", "p02", "start-stop-continue", {"stop": ["PRIVATE-CARD"]},
                      visibility="private", session_id=s.id)
    d = live_retro(example, FAC)
    assert (d.progress.value, d.progress.max) == (2, 18)
    board_html = "".join(w.value for w in d.board.children)
    assert "&lt;img src=x onerror=alert(1)&gt;" in board_html and "<img" not in board_html
    assert "PRIVATE-CARD" not in board_html
    d.item_text.value = "Share the agenda a day early"
    d.item_owner.value = "p03"
    d.item_due.value = dt.date(2026, 12, 1)
    d.add_button.click()
    [item] = example.find_action_items("example", session_id=s.id)
    assert (item.text, item.owner_id, item.due) == ("Share the agenda a day early", "p03", dt.date(2026, 12, 1))
    assert list(d.done_buttons) == [item.id] and not d.done_buttons[item.id].disabled
    d.done_buttons[item.id].click()
    assert example.find_action_items("example", session_id=s.id)[0].status == "done"
    assert d.done_buttons[item.id].disabled  # refreshed: done once
    d.item_text.value = "   "
    d.add_button.click()
    assert "say what will be done" in d.status.value
    d.item_text.value = "Book\x00 the room"
    d.add_button.click()
    assert "control character (U+0000 NUL)" in d.status.value
    assert len(example.find_action_items("example", session_id=s.id)) == 1


def test_dashboard_is_for_facilitators(example: Store) -> None:
    s = retro.open_retro(example, FAC, "4ls")
    with pytest.raises(AccessDenied):
        live_retro(example, Viewer("p01", "example", "participant"), s.id)
