"""A live retro end to end in Chromium: one facilitator desk and three participant pages open at once.

One server, one browser, four contexts (each its own cookies, as four people's browsers). Nobody reloads:
everything each page shows after the first load arrives by the kernel's push. A screenshot of each
phase (desk and one participant) lands in the test's ``tmp_path`` (printed; run with ``-s``).
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from workbook import Store, access, import_cohort, retro

from .browser_support import CHROMIUM, ROOT, launch_chromium, running_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
                       reason="Debian's chromium is not installed (make system-deps)"),
]

WAIT = 30_000  # ms: a change must reach every page by itself (the push polls once a second)
PEOPLE = ("p01", "p02", "p03")


@pytest.fixture
def room(tmp_path: Path) -> Iterator[dict[str, Any]]:
    db = tmp_path / "data" / "workbook.db"
    url = f"sqlite:///{db}"
    store = Store(url)
    import_cohort(store, ROOT / "cohorts" / "example")
    keys = {p: access.issue_token(store, "example", p) for p in (*PEOPLE, "f01")}
    with running_server(tmp_path, url) as server:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = launch_chromium(pw)
            pages = {}
            for person in ("f01", *PEOPLE):
                ctx = browser.new_context(viewport={"width": 1100, "height": 1000})
                pg = ctx.new_page()
                pg.dialogs = []  # type: ignore[attr-defined]
                pg.on("dialog", lambda d, pg=pg: (pg.dialogs.append(d.message), d.dismiss()))
                page = "retro_desk" if person == "f01" else "retro"
                pg.goto(f"{server.url}/voila/render/{page}.ipynb?key={keys[person]}", wait_until="commit")
                pages[person] = pg
            yield {"server": server, "store": store, "pages": pages, "shots": tmp_path / "shots"}
            browser.close()
    store.close()


def shoot(room: dict[str, Any], phase: str) -> None:
    folder = room["shots"]
    folder.mkdir(exist_ok=True)
    room["pages"]["f01"].screenshot(path=str(folder / f"{phase}-desk.png"), full_page=True)
    room["pages"]["p01"].screenshot(path=str(folder / f"{phase}-participant.png"), full_page=True)


def phase_is(pg: Any, phase: str) -> None:
    pg.wait_for_selector(f'.wb-retro-phase[data-phase="{phase}"]', timeout=WAIT)


def click(pg: Any, selector: str) -> None:
    pg.locator(selector).first.click()


def test_a_retro_from_write_to_actions_in_four_browsers(room: dict[str, Any]) -> None:
    store, pages = room["store"], room["pages"]
    desk, parts = pages["f01"], [pages[p] for p in PEOPLE]
    for pg in parts:
        pg.wait_for_selector(".wb-page-message, .wb-message", timeout=90_000)
        assert "No retro is running" in pg.locator(".wb-retro-body").inner_text()
    desk.wait_for_selector(".wb-open-retro", timeout=90_000)
    desk.locator(".wb-template select").select_option(label=store.exercise("start-stop-continue", "example").title)
    desk.locator(".wb-new-title input").fill("Sprint 14 retro")
    click(desk, ".wb-open-retro")
    phase_is(desk, "write")  # no earlier open action items: no review phase
    # The waiting pages find the retro by themselves.
    for pg in parts:
        phase_is(pg, "write")
    texts = {"p01": ("stop", "Too many meetings"), "p02": ("stop", "Too many meetings"),
             "p03": ("start", "Write shorter agendas")}
    for person, pg in zip(PEOPLE, parts):
        col, text = texts[person]
        pg.locator(f".wb-add-text-{col} textarea").fill(text)
        click(pg, f".wb-add-card-{col}")
        pg.wait_for_selector(".wb-own-card", timeout=WAIT)
    # Others' cards stay hidden during write; the desk sees who has written.
    assert "Write shorter agendas" not in parts[0].locator(".wb-retro-body").inner_text()
    desk.wait_for_function("document.querySelector('.wb-participation').innerText.startsWith('3 of')",
                           timeout=WAIT)
    shoot(room, "1-write")
    click(desk, ".wb-phase-next")
    for pg in parts:  # revealed: every card on every page, without reload
        phase_is(pg, "reveal")
        pg.wait_for_selector("text=Write shorter agendas", timeout=WAIT)
    shoot(room, "2-reveal")
    click(desk, ".wb-phase-next")
    phase_is(desk, "group")
    click(desk, ".wb-suggest")
    desk.wait_for_selector(".wb-suggestion .wb-accept", timeout=WAIT)
    click(desk, ".wb-suggestion .wb-accept")
    for pg in parts:
        pg.wait_for_selector(".wb-tile .wb-group", timeout=WAIT)
    shoot(room, "3-group")
    # Votes: a budget of 1 each; the second vote is refused where it is clicked.
    desk.locator(".wb-setting-votes input").fill("1")
    click(desk, ".wb-save-settings")
    click(desk, ".wb-phase-next")
    for pg in parts:
        phase_is(pg, "vote")
        pg.wait_for_selector("text=1 vote left", timeout=WAIT)
    for pg in parts:
        pg.locator(".wb-tile .wb-vote").first.click()
        pg.wait_for_selector("text=0 votes left", timeout=WAIT)
        pg.wait_for_function("document.querySelectorAll('.wb-tile .wb-vote:not([disabled])').length === 0",
                             timeout=WAIT)  # no vote button left to press
    shoot(room, "4-vote")
    sid = retro.running_retros(store, "example")[0].id
    used = sum(c.my_votes for p in PEOPLE
               for col in retro.board(store, access.Viewer(p, "example", "participant"), sid).cards.values()
               for c in col)
    used += sum(g.my_votes for p in PEOPLE
                for g in retro.board(store, access.Viewer(p, "example", "participant"), sid).groups)
    assert used == 3
    click(desk, ".wb-phase-next")
    for pg in parts:
        phase_is(pg, "discuss")
        pg.wait_for_selector(".wb-topic", timeout=WAIT)
    shoot(room, "5-discuss")
    click(desk, ".wb-phase-next")
    phase_is(desk, "actions")
    owner = store.member_names("example")["p02"]
    desk.locator(".wb-action-text input").fill("Cap meetings at 25 minutes")
    desk.locator(".wb-action-owner select").select_option(label=owner)
    click(desk, ".wb-add-action")
    desk.wait_for_selector(".wb-desk-action-rows >> text=Cap meetings at 25 minutes", timeout=WAIT)
    for pg in parts:
        pg.wait_for_selector(".wb-retro-actions >> text=Cap meetings at 25 minutes", timeout=WAIT)
    pages["p02"].wait_for_selector(".wb-my-actions >> text=Cap meetings at 25 minutes", timeout=WAIT)
    shoot(room, "6-actions")
    click(desk, ".wb-close-retro")
    for pg in parts:  # read-only: the message, the board, and nothing to type into or click
        pg.wait_for_selector(".wb-retro-ended", timeout=WAIT)
        assert pg.locator(".wb-add-text:visible, .wb-vote:visible, .wb-own-text:visible").count() == 0
    shoot(room, "7-closed")
    assert all(pg.dialogs == [] for pg in pages.values())  # type: ignore[attr-defined]
    print(f"\nretro screenshots: {room['shots']}")
