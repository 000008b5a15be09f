"""The forms server as a stranger and an attacker meet it: a real `workbook serve` on loopback.

Each test runs against the plain server and a warm one (``--expect 2``: every page from the warm
pool's app notebook); the gate must hold in both. A "light client" speaks the kernel websocket as the page's JavaScript does
(:mod:`tests.widget_client`); the attacker is the same client without the page's cookie.
"""
from __future__ import annotations

import asyncio
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from workbook import Store, access, import_cohort

from .browser_support import ROOT, Server, kernel_pids, running_server
from .widget_client import Kernel, channels_url, find_widget, load_page

pytestmark = [pytest.mark.slow]

PAGES = ("reflection", "checkin", "retro", "journal", "reports", "participation")


@pytest.fixture(scope="module", params=["plain", "warm"])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    work = tmp_path_factory.mktemp(f"server-{request.param}")
    url = f"sqlite:///{work / 'data' / 'workbook.db'}"
    store = Store(url)
    import_cohort(store, ROOT / "cohorts" / "example")
    keys = {p: access.issue_token(store, "example", p) for p in ("p01", "p02", "f01")}
    store.close()
    extra = ("--expect", "2") if request.param == "warm" else ()
    with running_server(work, url, *extra) as server:
        if extra:
            _wait_for_ready(server)  # the pool fills before the room arrives
        yield {"server": server, "keys": keys, "mode": request.param}


def _wait_for_ready(server: Server, timeout: float = 120.0) -> None:
    """Until the server says its warm kernels are ready (they have run the imports and wait for a request)."""
    deadline = time.monotonic() + timeout
    while "workbook: ready for" not in server.log.read_text(errors="replace"):
        assert time.monotonic() < deadline, server.log.read_text(errors="replace")[-3000:]
        time.sleep(0.3)


def _request(server: Server, method: str, path: str, headers: dict[str, str] | None = None) -> int:
    req = urllib.request.Request(server.url + path, method=method, headers=headers or {},
                                 data=b"" if method in ("POST", "DELETE") else None)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return int(r.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


def test_strangers_get_a_message_and_start_no_kernel(served: dict[str, Any]) -> None:
    server: Server = served["server"]
    before = kernel_pids(server)
    participant = served["keys"]["p01"]
    loads = [f"/voila/render/{PAGES[i % len(PAGES)]}.ipynb" for i in range(20)]  # no key
    loads += [f"/voila/render/{PAGES[i % len(PAGES)]}.ipynb?key=wrong{i}xxxxxxxxxxxxxxxxxxxxx" for i in range(20)]
    loads += [f"/voila/render/participation.ipynb?key={participant}"]  # a page the role may not open
    for path in loads:
        page = load_page(server.url + path, timeout=30)
        assert page.status == 403, path
        assert "wb-page-message" in page.html and page.kernel_id is None, path
        assert "widget-view+json" not in page.html
    assert "not valid" in load_page(server.url + loads[0]).html
    assert "not available with your link" in load_page(server.url + loads[-1]).html
    time.sleep(1.0)
    assert kernel_pids(server) == before  # not one kernel started (nor taken from the pool)


def test_home_page_lists_nothing_and_other_routes_answer_404(served: dict[str, Any]) -> None:
    server: Server = served["server"]
    home = load_page(server.url + "/")
    assert home.status == 200 and "personal link" in home.html
    assert ".ipynb" not in home.html and "<a" not in home.html
    for path in ("/voila/tree", "/voila/tree/", "/voila/api/contents", "/voila/api/contents/reflection.ipynb",
                 "/api/contents", "/api/kernels", "/api/sessions", "/api/kernelspecs", "/login", "/logout",
                 "/voila/files/reflection.ipynb", "/voila/render/journl.ipynb", "/voila/render/",
                 "/voila/query/00000000-0000-0000-0000-000000000000", "/tree", "/lab"):
        page = load_page(server.url + path)
        assert page.status == 404, path
        assert ".ipynb" not in page.html.replace(path, ""), path


def test_no_key_reaches_the_log(served: dict[str, Any]) -> None:
    server: Server = served["server"]
    key = served["keys"]["p02"]
    for path in (f"/voila/render/journl.ipynb?key={key}", f"/voila/render/journal.ipynb?key={key}x",
                 f"/voila/render/participation.ipynb?exercise=x&key={key}", f"/voila/files/a.ipynb?key={key}",
                 f"/nothing/here?key={key}&x=1", f"/voila/templates/%2e%2e/%2e%2e/etc/passwd?key={key}",
                 "/voila/templates/lab/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd"):
        assert load_page(server.url + path).status in (403, 404), path
    ok = load_page(f"{server.url}/voila/render/journal.ipynb?key={key}")
    assert ok.status == 200 and ok.kernel_id
    time.sleep(1.0)
    text = server.log.read_text(errors="replace")
    assert key[:8] not in text
    assert "journl.ipynb" in text  # the mistyped link is logged, without its key
    assert "Traceback" not in text and "AssertionError" not in text


def test_a_kernel_id_is_no_bearer_token(served: dict[str, Any]) -> None:
    """A second client holding a page's kernel id can neither read its widgets, act, nor delete it."""
    import websockets

    server: Server = served["server"]
    key = served["keys"]["p02"]
    page = load_page(f"{server.url}/voila/render/reflection.ipynb?key={key}&exercise=gibbs")
    kid = page.kernel_id
    assert page.status == 200 and kid
    assert key not in page.html  # the page's HTML never carries the key
    # The front end is loaded once, from the head and deferred (it compiles while the kernel builds the page).
    head = page.html.split("</head>", 1)[0]
    assert page.html.count("voila.js") == 1 and '<script defer src="/voila/static/voila.js">' in head
    if served["mode"] == "warm":  # the page took a warm kernel, and its key reached it (the form below)
        text = server.log.read_text(errors="replace")
        assert text.index(f"Kernel started: {kid}") < text.index("workbook: ready for 2 people at once")
    alive = kernel_pids(server)

    async def attack() -> list[str]:
        refused = []
        forged = {"Cookie": "_xsrf=attacker; wb_client=" + "A" * 43}
        for headers in ({}, forged):
            try:
                async with websockets.connect(channels_url(server.port, kid), additional_headers=headers,
                                              open_timeout=20):
                    pass
            except websockets.InvalidStatus as exc:
                refused.append(str(exc.response.status_code))
        return refused

    assert asyncio.run(attack()) == ["403", "403"]
    forged_xsrf = {"Cookie": "_xsrf=attacker", "X-XSRFToken": "attacker"}
    assert _request(server, "DELETE", f"/api/kernels/{kid}", forged_xsrf) == 403
    assert _request(server, "GET", f"/api/kernels/{kid}", forged_xsrf) == 403
    assert _request(server, "POST", f"/voila/api/shutdown/{kid}", forged_xsrf) == 403
    assert _request(server, "POST", f"/api/kernels/{kid}/interrupt", forged_xsrf) == 404
    assert kernel_pids(server) >= alive  # the kernel lives on

    async def owner() -> dict[str, Any]:
        async with websockets.connect(channels_url(server.port, kid), open_timeout=30,
                                      additional_headers={"Cookie": page.cookie_header()}) as ws:
            return await Kernel(ws).request_states(timeout=60)

    states = asyncio.run(owner())  # the browser that opened the page gets its widgets
    find_widget(states, "wb-submit")
    assert key not in repr(states)  # nor does any widget's state carry the key


def test_links_between_pages_carry_no_key(served: dict[str, Any]) -> None:
    """The reports list links to reports without the key; the browser's cookie opens them."""
    import websockets

    server: Server = served["server"]
    key = served["keys"]["p01"]
    listing = load_page(f"{server.url}/voila/render/reports.ipynb?key={key}")
    assert listing.status == 200 and "wb_key" in listing.cookies and "wb_client" in listing.cookies

    async def states_of(load: Any) -> dict[str, Any]:
        async with websockets.connect(channels_url(server.port, load.kernel_id), open_timeout=30,
                                      additional_headers={"Cookie": load.cookie_header()}) as ws:
            return await Kernel(ws).request_states(timeout=60)

    states = asyncio.run(states_of(listing))
    links = [s["state"]["value"] for s in states.values() if "wb-report-link" in s["state"].get("value", "")]
    assert links and all(key not in v for v in links) and "report=participant-p01" in links[0]
    follow = load_page(f"{server.url}/voila/render/reports.ipynb?report=participant-p01",
                       cookie=listing.cookie_header())
    assert follow.status == 200 and follow.kernel_id
    shown = asyncio.run(states_of(PageLoadWithCookies(follow, listing)))
    assert any("wb-live-report" in s["state"].get("_dom_classes", []) for s in shown.values())
    assert key not in repr(shown)
    # Without the cookie the same link is a stranger's.
    assert load_page(f"{server.url}/voila/render/reports.ipynb?report=participant-p01").status == 403


class PageLoadWithCookies:
    """A page load that sends the cookies of an earlier one (a browser following a link)."""

    def __init__(self, load: Any, earlier: Any) -> None:
        self.kernel_id = load.kernel_id
        self._cookies = {**earlier.cookies, **load.cookies}

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self._cookies.items())


def test_server_command_runs_the_gate() -> None:
    from workbook.serve import ServeOptions, voila_command

    cmd = voila_command(ServeOptions(db_url=str(Path("/tmp/x.db"))))
    assert cmd[1:3] == ["-m", "workbook.server"]
