"""The home page data and notices."""
from __future__ import annotations

import datetime as dt

from workbook import Store, access, home, kudos, milestones
from workbook.access import Viewer

G = {"description": "d", "evaluation": "e", "conclusion": "c"}
P01, C01 = Viewer("p01", "example", "participant"), Viewer("c01", "example", "coach")


def test_home_gathers_a_members_world(example: Store) -> None:
    entry = example.add_entry("example", "p01", "gibbs", G, visibility="coach")
    now = dt.datetime.now(dt.timezone.utc)
    h = home.home(example, P01, now=now)
    assert h.name and h.coaches == [example.get_membership("example", "c01").name]
    assert [(f.page, f.exercise_id) for f in h.open_forms] == [("reflection", "gibbs"), ("checkin", "mentorship-checkin")]
    assert h.streak.current == 1 and h.notices == [] and h.pulse_due is None and h.running_retro is None
    comment = access.comment_on(example, C01, entry.id, "Nice")
    assert home.notices(example, P01) == []  # a draft tells nobody
    access.release_comment(example, C01, comment.id)
    kudos.give_kudos(example, Viewer("p02", "example", "participant"), "p01", "Thanks!", shared_with_cohort=False)
    h = home.home(example, P01, now=now + dt.timedelta(seconds=1))
    assert [n.kind for n in h.new_comments] == ["comment"] and "commented" in h.new_comments[0].text
    assert "Nice" not in h.new_comments[0].text  # a notice names no content
    assert {n.kind for n in h.notices} == {"comment", "kudos"} and len(h.kudos_received) == 1
    home.mark_seen(example, P01)
    assert home.notices(example, P01) == [] and home.home(example, P01).new_comments == []
    access.release_comment(example, C01, comment.id)  # released again: nothing new
    assert home.notices(example, P01) == []


def test_milestone_and_pulse_on_home(example: Store) -> None:
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2)
    e = example.add_entry("example", "p01", "mentorship-checkin", {"mood": 4}, visibility="coach", created_at=later)
    milestones.after_save(example, e)
    h = home.home(example, P01, now=later + dt.timedelta(hours=1))
    assert [m.rule for m in h.milestones] == ["first-checkin"]
    assert any(n.kind == "milestone" for n in h.notices)
    assert h.pulse_due is not None and h.pulse_due.coach_id == "c01"


def test_action_items_owned(example: Store) -> None:
    example.add_action_item("example", "Book a room", owner_id="p01")
    example.add_action_item("example", "Not mine", owner_id="p02")
    assert [a.text for a in home.home(example, P01).actions] == ["Book a room"]
