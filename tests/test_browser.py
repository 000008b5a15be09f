"""End to end in a real browser: `workbook serve` (Voila) + Debian's Chromium through Playwright.

One server and one browser for the whole module. Screenshots of each form land in the
module's tmp dir (printed at the end of the run with ``-s``).
"""
from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from workbook import Store, access, import_cohort, retro

from .browser_support import (CHROMIUM, ROOT, Server, fill_prompt, kernel_pids, launch_chromium, running_server,
                              wait_for_form)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
                       reason="Debian's chromium is not installed (make system-deps)"),
]

XSS = '<script>alert("xss")</script><img src=x onerror="alert(1)"> & done'


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A SQLite database with the example cohort, keys for a few people, and the server on it."""
    work = tmp_path_factory.mktemp("browser")
    db = work / "data" / "workbook.db"
    url = f"sqlite:///{db}"
    store = Store(url)
    import_cohort(store, ROOT / "cohorts" / "example")
    keys = {p: access.issue_token(store, "example", p) for p in ("p01", "p02", "p03", "f01")}
    keys["expired"] = access.issue_token(store, "example", "p04", expires_in=dt.timedelta(seconds=-1))
    goal = store.add_goal("example", "p03", "Run a retro on my own")
    session = retro.open_session(store, access.viewer_for(store, "example", "f01"), "start-stop-continue",
                                 "Browser retro")
    with running_server(work, url) as server:
        yield {"server": server, "store": store, "keys": keys, "work": work, "db": db, "goal": goal,
               "session": session}
    store.close()


@pytest.fixture(scope="module")
def browser(site: dict[str, Any]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh tab that records any JavaScript dialog (an XSS that ran would open one)."""
    ctx = browser.new_context(viewport={"width": 1000, "height": 900})
    pg = ctx.new_page()
    pg.dialogs = []  # type: ignore[attr-defined]

    def on_dialog(d: Any) -> None:
        pg.dialogs.append(d.message)  # type: ignore[attr-defined]
        d.dismiss()

    pg.on("dialog", on_dialog)
    yield pg
    ctx.close()


def form_url(server: Server, kind: str, key: str, **params: str) -> str:
    extra = "".join(f"&{k}={v}" for k, v in params.items())
    return f"{server.url}/voila/render/{kind}.ipynb?key={key}{extra}"


def save_and_wait(page: Any) -> str:
    page.locator(".wb-submit").click()
    page.wait_for_selector(".wb-status .wb-ok, .wb-status .wb-error", timeout=60_000)
    return page.locator(".wb-status").inner_text()


def test_reflection_every_prompt_type_then_journal(site: dict[str, Any], page: Any) -> None:
    server, store, work = site["server"], site["store"], site["work"]
    exercise = store.exercise("after-action-review", "example")
    assert {p.type for p in exercise.prompts} == {"text", "list", "scale", "choice"}
    page.goto(form_url(server, "reflection", site["keys"]["p01"], exercise=exercise.id))
    wait_for_form(page)
    for i, prompt in enumerate(exercise.prompts):
        fill_prompt(page, prompt, XSS if i == 0 else f"answer {i} for {prompt.id}")
    page.locator(".wb-visibility input[type=radio]").nth(0).check()  # only me
    page.screenshot(path=str(work / "reflection.png"), full_page=True)
    status = save_and_wait(page)
    assert "Saved at" in status, status
    page.locator(".wb-submit").click(force=True)  # a late double click changes nothing
    [entry] = store.find_entries("example", author_id="p01")
    assert entry.visibility == "private" and entry.exercise_id == exercise.id
    first = exercise.prompts[0]
    assert entry.answers[first.id] == XSS  # stored exactly as typed
    for p in exercise.prompts[1:]:
        expected = {"scale": p.scale_max, "choice": p.options[0] if p.options else None,
                    "list": [f"answer {exercise.prompts.index(p)} for {p.id}", "second item"]}.get(p.type)
        if expected is not None:
            assert entry.answers[p.id] == expected, p.id

    page.goto(form_url(server, "journal", site["keys"]["p01"]))
    page.wait_for_selector(".wb-entry", timeout=60_000)
    answers = page.locator(".wb-answer").all_inner_texts()
    assert XSS in answers  # shown literally, as text
    assert page.locator(".wb-journal img").count() == 0 and page.locator(".wb-journal script").count() == 0
    page.screenshot(path=str(work / "journal.png"), full_page=True)
    assert page.dialogs == []  # type: ignore[attr-defined]
    assert store.count_entries("example") == 1


def test_checkin_with_goal(site: dict[str, Any], page: Any) -> None:
    server, store, work = site["server"], site["store"], site["work"]
    page.goto(form_url(server, "checkin", site["keys"]["p03"]))
    wait_for_form(page)
    assert "Run a retro on my own" in page.locator(".wb-goals").inner_text()
    ex = store.exercise("mentorship-checkin", "example")
    for prompt in ex.prompts:
        fill_prompt(page, prompt, f"check-in {prompt.id}")
    # Move the goal slider with the keyboard (what a person without a mouse does).
    handle = page.locator(f".wb-goal-{site['goal'].id} .noUi-handle, .wb-goal-{site['goal'].id} [role=slider]").first
    handle.focus()
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    page.screenshot(path=str(work / "checkin.png"), full_page=True)
    assert "Saved at" in save_and_wait(page)
    [entry] = store.find_entries("example", author_id="p03", kind="checkin")
    assert entry.answers["mood"] == 5
    assert store.get_goal(site["goal"].id).progress > 0


def test_retro_cards_in_a_session(site: dict[str, Any], page: Any) -> None:
    """The retro link's live board: cards written one by one, each its own, stored on the session."""
    server, store, work = site["server"], site["store"], site["work"]
    session = site["session"]
    page.goto(form_url(server, "retro", site["keys"]["p02"], session=str(session.id)))
    page.wait_for_selector('.wb-retro-phase[data-phase="write"]', timeout=90_000)
    for n, (col, text) in enumerate([("start", "pair reflections"), ("start", "rotate the facilitator"),
                                     ("stop", "overrunning")], start=1):
        page.locator(f".wb-add-text-{col} textarea").fill(text)
        page.locator(f".wb-add-card-{col}").first.click()
        page.wait_for_function(f"document.querySelectorAll('.wb-own-card').length === {n}", timeout=30_000)
    page.screenshot(path=str(work / "retro.png"), full_page=True)
    cards = sorted(c.text for c in store.find_cards(session.id))
    assert cards == ["overrunning", "pair reflections", "rotate the facilitator"]


@pytest.mark.parametrize("key", ["", "wrong-key", "expired"])
def test_bad_key_shows_a_message_and_no_form(site: dict[str, Any], page: Any, key: str) -> None:
    key = site["keys"].get(key, key)
    before = site["store"].count_entries("example")
    page.goto(form_url(site["server"], "reflection", key, exercise="gibbs"))
    page.wait_for_selector(".wb-page-message", timeout=60_000)
    assert "not valid" in page.locator(".wb-page-message").inner_text()
    assert page.locator(".wb-submit").count() == 0 and page.locator("textarea").count() == 0
    if key == "wrong-key":
        page.screenshot(path=str(site["work"] / "bad-key.png"))
    assert site["store"].count_entries("example") == before


def test_facilitator_page_refuses_a_participant_key(site: dict[str, Any], page: Any) -> None:
    page.goto(form_url(site["server"], "participation", site["keys"]["p01"]))
    page.wait_for_selector(".wb-page-message", timeout=60_000)
    assert "not available with your link" in page.locator(".wb-page-message").inner_text()
    page.goto(form_url(site["server"], "participation", site["keys"]["f01"]))
    page.wait_for_selector(".wb-table", timeout=60_000)
    assert "Lucía" in page.locator(".wb-table").inner_text() or page.locator(".wb-table tr").count() > 5


def test_no_data_file_is_reachable_over_http(site: dict[str, Any]) -> None:
    server: Server = site["server"]
    db: Path = site["db"]
    sqlite3.connect(db).close()
    assert db.read_bytes()[:15] == b"SQLite format 3"
    rel_db = os.path.relpath(db, ROOT / "src" / "workbook" / "notebooks" / "forms")
    paths = [
        "/voila/files/workbook.db", f"/voila/files/{rel_db}", f"/voila/files/{db}", "/files/workbook.db",
        f"/files/{db}", "/voila/static/workbook.db", f"/voila/static/{rel_db}", "/workbook.db", "/data/workbook.db",
        "/voila/files/../../cohorts/example/roster.csv", "/voila/files/%2e%2e/%2e%2e/cohorts/example/roster.csv",
        "/files/cohorts/example/roster.csv", "/cohorts/example/roster.csv", "/voila/static/../../cohorts/example/roster.csv",
        "/voila/render/../../cohorts/example/roster.csv", "/voila/files/reflection.ipynb",
        "/voila/api/contents/../../cohorts/example", "/api/contents/cohorts/example/roster.csv",
        "/voila/tree/../../cohorts",
    ]
    roster = (ROOT / "cohorts" / "example" / "roster.csv").read_bytes()[:60]
    for path in paths:
        status, body = server.get(path)
        assert b"SQLite format 3" not in body and roster not in body, path
        assert status in (301, 302, 403, 404, 405) or (status == 200 and b"roster" not in body), (path, status)
    status, body = server.get("/voila/api/contents")  # no listing of the served folder either
    assert status == 404 and b"workbook.db" not in body and b"ipynb" not in body


def test_page_does_not_load_anything_from_a_cdn(site: dict[str, Any], page: Any) -> None:
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(form_url(site["server"], "journal", site["keys"]["p02"]))
    page.wait_for_selector(".wb-journal", timeout=60_000)
    outside = [u for u in requests if not u.startswith(site["server"].url) and not u.startswith("data:")]
    assert outside == []


def test_screenshots_were_written(site: dict[str, Any]) -> None:
    shots = sorted(p.name for p in site["work"].glob("*.png"))
    assert {"reflection.png", "journal.png", "checkin.png", "retro.png"} <= set(shots), shots
    print(f"\nscreenshots in {site['work']}: {', '.join(shots)}")


def test_leaving_the_page_shuts_its_kernel_down(site: dict[str, Any], page: Any) -> None:
    import time

    server = site["server"]
    # Kernels are told apart by pid (kernel_pids skips processes that exit or turn zombie while it
    # looks), so this page's own kernel is the one that appears with it, whatever else is running.
    earlier = kernel_pids(server)
    page.goto(form_url(server, "journal", site["keys"]["p02"]))
    page.wait_for_selector(".wb-journal", timeout=60_000)
    assert "_xsrf" in {c["name"] for c in page.context.cookies()}
    mine = kernel_pids(server) - earlier
    assert len(mine) == 1, mine
    page.goto("about:blank")  # beforeunload: Voila posts the shutdown with the _xsrf cookie's value
    deadline = time.monotonic() + 15
    while mine & kernel_pids(server) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert not mine & kernel_pids(server)
    assert "'_xsrf' argument missing" not in server.log.read_text(errors="replace")


def test_too_long_answer_is_refused_visibly_before_sending(site: dict[str, Any], page: Any) -> None:
    store = site["store"]
    before = store.count_entries("example")
    page.goto(form_url(site["server"], "reflection", site["keys"]["p02"], exercise="gibbs"))
    wait_for_form(page)
    limit = store.settings.max_text_length
    page.locator(".wb-prompt-description textarea").fill("x" * (limit + 10))
    page.wait_for_selector(".wb-prompt-description .wb-counter-over", timeout=30_000)
    assert "the limit is" in page.locator(".wb-prompt-description .wb-counter-over").inner_text()
    page.wait_for_selector(".wb-submit[disabled]", timeout=30_000)
    page.locator(".wb-prompt-description textarea").fill("short enough")
    page.wait_for_selector(".wb-submit:not([disabled])", timeout=30_000)
    assert store.count_entries("example") == before


def test_reports_link_opens_only_the_participants_own_live_report(site: dict[str, Any], page: Any) -> None:
    store, server, work = site["store"], site["server"], site["work"]
    store.add_entry("example", "p03", "gibbs", {"description": "REPORT-MARKER-p03 " + XSS, "evaluation": "fine",
                                                "conclusion": "ok", "mood": 4}, visibility="private")
    page.goto(form_url(server, "reports", site["keys"]["p03"]))  # the `reports` link of `workbook invite`
    page.wait_for_selector(".wb-report-link, .wb-page-message", timeout=60_000)
    assert page.locator(".wb-report-link").count() == 1
    page.locator(".wb-report-link").click()
    page.wait_for_selector(".wb-live-report h1, .wb-page-message", timeout=60_000)
    assert "report=participant-p03" in page.url
    assert page.locator(".wb-live-report h1").first.inner_text() == "Reflection report: Sophie Martin"
    chart = page.locator(".wb-live-report img.wb-chart").first
    chart.wait_for(timeout=30_000)
    assert chart.evaluate("img => img.complete && img.naturalWidth > 300")
    assert "REPORT-MARKER-p03" in page.locator(".wb-live-report").inner_text()
    page.screenshot(path=str(work / "reports.png"), full_page=True)

    page.goto(form_url(server, "reports", site["keys"]["p03"], report="participant-p01"))
    page.wait_for_selector(".wb-page-message", timeout=60_000)
    assert "not available with your link" in page.locator(".wb-page-message").inner_text()
    assert page.locator(".wb-live-report").count() == 0 and page.locator("img").count() == 0
    assert page.dialogs == []  # type: ignore[attr-defined]
