"""The coach's desk: only shared entries, comments drafted then released, cadence flags."""
from __future__ import annotations

import datetime as dt

import pytest

from workbook import AccessDenied, Store
from workbook.access import Viewer
from workbook.coach import CoachDesk, mark_visit, mentee_overview, new_since_last_visit

C01 = Viewer("c01", "example", "coach")
G = {"description": "d", "evaluation": "e", "conclusion": "c"}


def test_overview_flags_overdue_checkins(example: Store) -> None:
    t0 = dt.datetime.now(dt.timezone.utc)  # the roster import made the pairs just now
    assert not any(s.overdue for s in mentee_overview(example, C01, now=t0))  # a pair made today is not overdue
    now = t0 + dt.timedelta(days=30)
    example.add_entry("example", "p01", "mentorship-checkin", {"mood": 4}, visibility="coach",
                      created_at=now - dt.timedelta(days=10))
    example.add_entry("example", "p02", "mentorship-checkin", {"mood": 2}, visibility="coach",
                      created_at=now - dt.timedelta(days=28))
    example.add_entry("example", "p12", "mentorship-checkin", {"mood": 2}, visibility="private",
                      created_at=now - dt.timedelta(days=1))  # private: the coach does not see it
    rows = {s.person_id: s for s in mentee_overview(example, C01, now=now)}
    assert set(rows) == {"p01", "p02", "p12"}
    assert not rows["p01"].overdue and rows["p02"].overdue
    assert rows["p12"].overdue and rows["p12"].last_checkin is None and rows["p12"].open_goals == 0
    p02 = rows["p02"].health
    assert p02 is not None and p02.cadence_days == 14 and p02.overdue_days == 14 and p02.status == "needs a check-in"
    assert "14 days overdue" in p02.reasons
    assert list(rows)[0] == "p12"  # the most overdue first (16 days: two weeks after the pairing)


def test_new_since_last_visit(example: Store) -> None:
    first = example.add_entry("example", "p01", "gibbs", G, visibility="coach")
    example.add_entry("example", "p01", "gibbs", G, visibility="private")
    assert [e.id for _, e in new_since_last_visit(example, C01)] == [first.id]  # before any visit: all shared
    mark_visit(example, C01)
    mark_visit(example, C01)  # the page opened again: nothing new since the previous visit
    assert new_since_last_visit(example, C01) == []
    later = example.add_entry("example", "p02", "gibbs", G, visibility="cohort",
                              created_at=dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=5))
    assert [(m, e.id) for m, e in new_since_last_visit(example, C01)] == [("p02", later.id)]
    with pytest.raises(AccessDenied):
        new_since_last_visit(example, Viewer("p01", "example", "participant"))


def test_desk_shows_shared_only_and_comments_flow(example: Store) -> None:
    example.add_entry("example", "p01", "gibbs", {**G, "description": "PRIVATE-TEXT"}, visibility="private")
    shared = example.add_entry("example", "p01", "gibbs", {**G, "description": "<b>SHARED</b>"}, visibility="coach")
    desk = CoachDesk(example, C01)
    desk.picker.value = "p01"
    assert list(desk.entry_boxes) == [shared.id]  # the private entry has no box at all
    box = desk.entry_boxes[shared.id]
    assert "&lt;b&gt;SHARED&lt;/b&gt;" in box.header.value and "PRIVATE-TEXT" not in box.header.value
    box.comment.value = "Well\x1b[2J observed"
    box.send.click()
    assert "control character (U+001B ESC)" in desk.status.value and example.find_comments([shared.id]) == []
    box.comment.value = "Well observed"
    assert not box.release_now.value
    box.send.click()
    [c] = example.find_comments([shared.id])
    assert c.body == "Well observed" and not c.released
    box = desk.entry_boxes[shared.id]  # the desk redrew the entry with its draft comment
    assert list(box.release) == [c.id]
    box.release[c.id].click()
    assert example.find_comments([shared.id])[0].released
    assert desk.entry_boxes[shared.id].release == {}  # nothing left to release


def test_desk_is_not_for_participants(example: Store) -> None:
    with pytest.raises(AccessDenied):
        CoachDesk(example, Viewer("p01", "example", "participant"))
