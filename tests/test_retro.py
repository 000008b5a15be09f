"""Running a retro: board privacy, vote limits, carried-over action items, participation."""
from __future__ import annotations

import pytest

from workbook import AccessDenied, Store, ValidationError, retro
from workbook.access import Viewer

FAC = Viewer("f01", "example", "facilitator")


def v(pid: str) -> Viewer:
    return Viewer(pid, "example", "participant")


def test_board_votes_and_participation(example: Store) -> None:
    s = retro.open_retro(example, FAC, "start-stop-continue", "Sprint 1")
    example.add_entry("example", "p01", "start-stop-continue", {"start": ["Demo Fridays"], "stop": ["Long calls"]},
                      visibility="cohort", session_id=s.id)
    example.add_entry("example", "p02", "start-stop-continue", {"continue": ["SECRET card"]},
                      visibility="private", session_id=s.id)
    b = retro.board(example, v("p03"), s.id)
    assert [cid for cid, _ in b.columns] == ["start", "stop", "continue"]
    texts = {c.text for cards in b.cards.values() for c in cards}
    assert texts == {"Demo Fridays", "Long calls"}  # a private card stays with its author
    assert "SECRET card" in {c.text for c in retro.board(example, v("p02"), s.id).cards["continue"]}
    secret = retro.board(example, v("p02"), s.id).cards["continue"][0]
    with pytest.raises(AccessDenied):
        retro.vote(example, v("p03"), secret.id)
    start = b.cards["start"][0]
    assert retro.vote(example, v("p03"), start.id) == 2
    assert retro.board(example, v("p03"), s.id).votes_left == 2
    assert retro.board(example, v("p04"), s.id).top(1)[0].votes == 1
    p = retro.participation(example, FAC, s.id)
    assert (p.submitted, p.expected) == (2, 18) and "Sophie Martin" in p.missing
    with pytest.raises(AccessDenied):
        retro.participation(example, v("p01"), s.id)


def test_open_actions_carry_over(example: Store) -> None:
    first = retro.open_retro(example, FAC, "4ls")
    a = retro.add_action(example, FAC, first.id, "Book the big room", owner_id="p01")
    b = retro.add_action(example, FAC, first.id, "Share slides")
    example.set_action_status(b, "done")
    second = retro.open_retro(example, FAC, "mad-sad-glad")
    carried = example.find_action_items("example", session_id=second.id)
    assert [(i.text, i.carried_from, i.owner_id) for i in carried] == [("Book the big room", a, "p01")]


def test_only_facilitators_run_retros_and_only_retro_templates(example: Store) -> None:
    with pytest.raises(AccessDenied):
        retro.open_retro(example, v("p01"), "4ls")
    with pytest.raises(ValidationError, match="retro templates"):
        retro.open_retro(example, FAC, "gibbs")
