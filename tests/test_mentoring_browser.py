"""Mentoring end to end in a real browser (issue 11): `workbook serve` + Debian's Chromium via Playwright.

A participant opens their home page, follows it to set a goal and give kudos; their coach opens the
coach page, sees the goal, comments on a check-in and releases the comment; the participant sees it
on their home page. Two browser contexts (two people, two cookies); screenshots under ``tmp_path``.
"""
from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from typing import Any

import pytest

from workbook import Store, access, import_cohort

from .browser_support import CHROMIUM, ROOT, launch_chromium, running_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
                       reason="Debian's chromium is not installed (make system-deps)"),
]

WAIT = 90_000


@pytest.fixture
def site(tmp_path: Any) -> Iterator[dict[str, Any]]:
    url = f"sqlite:///{tmp_path / 'data' / 'workbook.db'}"
    store = Store(url)
    import_cohort(store, ROOT / "cohorts" / "example")
    keys = {p: access.issue_token(store, "example", p) for p in ("p01", "c01")}
    # A check-in Lucía shared with her coach: what the coach comments on.
    entry = store.add_entry("example", "p01", "mentorship-checkin",
                            {"goal_progress": "Drafted the agenda for the planning day", "mood": 4},
                            visibility="coach")
    private = store.add_entry("example", "p01", "mentorship-checkin",
                              {"goal_progress": "PRIVATE-MARKER nobody else reads", "mood": 2}, visibility="private")
    with running_server(tmp_path, url) as server:
        yield {"server": server, "store": store, "keys": keys, "entry": entry, "private": private, "work": tmp_path}
    store.close()


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


def _tab(browser: Any) -> Any:
    ctx = browser.new_context(viewport={"width": 1000, "height": 1000})
    pg = ctx.new_page()
    pg.dialogs = []  # type: ignore[attr-defined]
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]
    return pg


def test_goal_kudos_comment_round_trip(site: dict[str, Any], browser: Any) -> None:
    server, store, work = site["server"], site["store"], site["work"]
    target = dt.date.today() + dt.timedelta(days=40)

    # --- the participant: home -> goals -> home -> kudos -------------------------------------------
    me = _tab(browser)
    me.goto(f"{server.url}/voila/render/home.ipynb?key={site['keys']['p01']}")
    me.wait_for_selector(".wb-home", timeout=WAIT)
    assert "Lucía" in me.locator(".wb-title").first.inner_text()
    me.screenshot(path=str(work / "home-before.png"), full_page=True)
    me.locator("a.wb-goals-link").click()
    me.wait_for_selector(".wb-goal-new .wb-goal-save", timeout=WAIT)
    assert "key=" not in me.url  # links between pages carry no key
    new = me.locator(".wb-goal-new")
    new.locator(".wb-goal-what input").fill("Facilitate the quarterly planning day")
    new.locator(".wb-goal-measure input").fill("I run it end to end with the agenda agreed beforehand")
    new.locator(".wb-goal-target input").fill(target.isoformat())
    new.locator(".wb-goal-save").click()
    me.wait_for_selector(".wb-goals-status .wb-ok", timeout=WAIT)
    [goal] = store.find_goals("example", "p01")
    assert goal.title == "Facilitate the quarterly planning day" and goal.target_date == target
    assert goal.status == "proposed" and goal.proposed_by == "p01"
    me.screenshot(path=str(work / "goals.png"), full_page=True)

    me.locator("a.wb-home-link").first.click()
    me.wait_for_selector(".wb-home", timeout=WAIT)
    assert "Facilitate the quarterly planning day" in me.locator(".wb-home-goals").inner_text()
    me.locator("a.wb-kudos-link").click()
    me.wait_for_selector(".wb-kudos-send", timeout=WAIT)
    me.locator(".wb-kudos-to select").select_option(label="Tomás Herrera")
    me.locator(".wb-kudos-message textarea").fill("Thanks for walking me through the SQL for the dashboard")
    me.locator(".wb-kudos-send").click()
    me.wait_for_selector(".wb-kudos-status .wb-ok", timeout=WAIT)
    [given] = store.find_kudos("example", to_id="p02")
    assert given.from_id == "p01" and "walking me through the SQL" in given.message
    me.wait_for_selector(".wb-kudos-wall :text('walking me through the SQL')", timeout=WAIT)
    me.screenshot(path=str(work / "kudos.png"), full_page=True)

    # --- the coach: sees the goal, comments, releases -----------------------------------------------
    coach = _tab(browser)
    coach.goto(f"{server.url}/voila/render/coach.ipynb?key={site['keys']['c01']}")
    coach.wait_for_selector(".wb-coach", timeout=WAIT)
    picker = coach.locator(".wb-coach-mentee select")
    names = sorted(t.replace("\xa0", " ") for t in picker.locator("option").all_inner_texts())  # ipywidgets' nbsp
    assert names == ["Liam O'Connor", "Lucía Fernández", "Tomás Herrera"]  # only the coach's mentees
    picker.select_option(label="Lucía Fernández")
    entry_box = coach.locator(f".wb-coach-entry-{site['entry'].id}")
    entry_box.wait_for(timeout=WAIT)
    assert "Facilitate the quarterly planning day" in coach.locator(".wb-coach-goals").inner_text()
    assert "PRIVATE-MARKER" not in coach.locator(".wb-coach").inner_text()
    assert "4 of 5 (1 = drained, 5 = energised)" in entry_box.inner_text()
    entry_box.locator(".wb-comment-new textarea").fill("Great agenda: let's look at the timings together.")
    entry_box.locator(".wb-comment-draft").click()
    entry_box.locator(".wb-coach-draft").wait_for(timeout=WAIT)  # the draft is listed, not yet released
    [draft] = store.find_comments([site["entry"].id])
    assert not draft.released and draft.author_id == "c01"
    assert "Great agenda" not in store_home_text(store, site["keys"]["p01"])  # a draft reaches nobody
    coach.screenshot(path=str(work / "coach-draft.png"), full_page=True)
    entry_box.locator(f".wb-comment-release-{draft.id}").click()
    entry_box.locator(".wb-comment-status .wb-ok", has_text="mentee sees it in their journal").wait_for(timeout=WAIT)
    [comment] = store.find_comments([site["entry"].id])
    assert comment.id == draft.id and comment.released
    coach.screenshot(path=str(work / "coach-released.png"), full_page=True)

    # --- the participant again: the comment is on the home page ---------------------------------------
    me.goto(f"{server.url}/voila/render/home.ipynb")  # the cookie carries the key
    me.wait_for_selector(".wb-home", timeout=WAIT)
    notices = me.locator(".wb-notices")
    notices.wait_for(timeout=WAIT)
    text = notices.inner_text()
    assert "Daniel Reyes" in text
    assert "Great agenda: let's look at the timings together." in me.locator(".wb-home").inner_text()
    me.screenshot(path=str(work / "home-after.png"), full_page=True)
    assert me.dialogs == [] and coach.dialogs == []  # type: ignore[attr-defined]
    assert {"home-before.png", "goals.png", "kudos.png", "coach-released.png", "home-after.png"} <= {
        p.name for p in work.glob("*.png")}


def store_home_text(store: Store, key: str) -> str:
    """What the participant's home page shows right now (built in-process on the same database)."""
    import ipywidgets as widgets

    from workbook.forms.home import home_page

    out, stack = [], [home_page(f"key={key}", store=store).widget]
    while stack:
        w = stack.pop()
        if isinstance(w, widgets.HTML):
            out.append(w.value)
        stack.extend(getattr(w, "children", ()))
    return "\n".join(out)
