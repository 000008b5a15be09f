"""The live retro dashboard, driven like ipywidgets' own tests: set values, click, check the store."""
from __future__ import annotations

import datetime as dt

import pytest

from workbook import AccessDenied, Store, retro
from workbook.access import Viewer
from workbook.dashboard import live_retro

FAC = Viewer("f01", "example", "facilitator")


def v(pid: str) -> Viewer:
    return Viewer(pid, "example", "participant")


def test_dashboard_shows_board_and_adds_actions(example: Store) -> None:
    s = retro.open_retro(example, FAC, "start-stop-continue")
    retro.add_card(example, v("p01"), s.id, "start", "<img src=x onerror=alert(1)>")
    example.add_entry("example", "p02", "start-stop-continue", {"stop": ["PRIVATE-CARD"]},
                      visibility="private", session_id=s.id)
    d = live_retro(example, FAC)
    assert (d.progress.value, d.progress.max) == (2, 18)
    assert "phase <b>write</b>" in d.phase.value and "left" not in d.phase.value  # no timer until a step
    d.back_button.click()
    d.next_button.click()  # back to review, forward to write: the write timer runs
    assert "phase <b>write</b>" in d.phase.value and ("5:00 left" in d.phase.value or "4:59 left" in d.phase.value)
    d.next_button.click()
    assert retro.retro_state(example, s.id).phase == "reveal" and "phase <b>reveal</b>" in d.phase.value
    board_html = "".join(w.value for w in d.board.children)
    assert "&lt;img src=x onerror=alert(1)&gt;" in board_html and "<img" not in board_html
    assert "PRIVATE-CARD" not in board_html
    d.item_text.value = "Share the agenda a day early"
    d.item_owner.value = "p03"
    d.item_due.value = dt.date(2026, 12, 1)
    d.add_button.click()
    [item] = example.find_action_items("example", session_id=s.id)
    assert (item.text, item.owner_id, item.due) == ("Share the agenda a day early", "p03", dt.date(2026, 12, 1))
    owner = example.member_names("example")["p03"]
    assert owner in d.items.children[0].children[1].value and "p03" not in d.items.children[0].children[1].value
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


def test_most_voted_lists_no_card_without_votes_and_follows_the_marker(example: Store) -> None:
    s = retro.open_session(example, FAC, "start-stop-continue")
    a = retro.add_card(example, v("p01"), s.id, "start", "Pairing")
    retro.add_card(example, v("p02"), s.id, "stop", "Nobody votes for me")
    d = live_retro(example, FAC, s.id, live=False)
    retro.set_phase(example, FAC, s.id, "vote")
    retro.vote(example, v("p03"), card_id=a)
    retro.vote(example, v("p04"), card_id=a)
    assert "No votes yet" in d.top.value or "phase <b>write</b>" in d.phase.value  # not re-read yet
    retro.set_phase(example, FAC, s.id, "discuss")
    d.refresh()
    assert "Pairing (2 votes)" in d.top.value and "Nobody votes for me" not in d.top.value
    assert "<li>" in d.top.value and d.top.value.count("<li>") == 1


def test_dashboard_is_for_facilitators(example: Store) -> None:
    s = retro.open_retro(example, FAC, "4ls")
    with pytest.raises(AccessDenied):
        live_retro(example, Viewer("p01", "example", "participant"), s.id)
