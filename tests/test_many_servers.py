"""Many rooms: several `workbook serve` processes on one PostgreSQL database, and a trusted user header.

Three real servers on loopback share one fresh PostgreSQL database (a database per run, from the
migrated template of tests/conftest.py):

- ``plain``: keys only; it knows nothing of any header;
- ``trusting``: ``--trust-user-header X-Forwarded-User --trusted-proxy 127.0.0.1 --trusted-proxy ::1`` (the
  test is the proxy);
- ``prefixed``: a JupyterHub service's prefix (``--base-url /services/workbook/``), warm (``--expect 1``), and
  a trusted proxy at 10.9.9.9, an address the test never comes from (no traffic goes there).

Light clients (:mod:`tests.widget_client`) speak the page's HTTP and kernel websocket as a browser does.
"""
from __future__ import annotations

import asyncio
import http.cookies
import signal
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import pytest

from workbook import Store, access, import_cohort

from .browser_support import Server, kernel_pids, running_server
from .conftest import EXAMPLE, drop_pg, new_pg_url
from .widget_client import Kernel, child_input, find_widget

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

PREFIX = "/services/workbook/"
HEADER = "X-Forwarded-User"
ANSWERS = {"evaluation": "Good energy; overran.", "conclusion": "Timebox the agenda."}


@dataclass
class Load:
    """A page GET: status, body, and the cookies set (with their paths)."""

    status: int
    html: str
    cookies: dict[str, str]
    paths: dict[str, str]

    @property
    def kernel_id(self) -> str | None:
        import re

        m = re.search(r'"kernelId":\s*"([^"]+)"', self.html)
        return m.group(1) if m else None

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())


def load(server: Server, path: str, headers: dict[str, str] | None = None, base: str = "/") -> Load:
    req = urllib.request.Request(server.url + base.rstrip("/") + path, headers=headers or {})
    try:
        resp = urllib.request.urlopen(req, timeout=120)
    except urllib.error.HTTPError as e:
        resp = e
    with resp:
        body = resp.read().decode("utf-8", "replace")
        cookies, paths = {}, {}
        for raw in resp.headers.get_all("Set-Cookie") or []:
            c: http.cookies.SimpleCookie = http.cookies.SimpleCookie()
            c.load(raw)
            for k, m in c.items():
                cookies[k], paths[k] = m.value, m["path"]
        return Load(resp.status, body, cookies, paths)


async def widgets_of(server: Server, page: Load, base: str = "/") -> tuple[Any, dict[str, Any]]:
    """Open the page's kernel websocket (with its cookies) and return (socket, widget states)."""
    import websockets

    url = (f"ws://127.0.0.1:{server.port}{base}api/kernels/{page.kernel_id}/channels"
           f"?session_id={uuid.uuid4().hex}")
    ws = await websockets.connect(url, max_size=2**26, open_timeout=90,
                                  additional_headers={"Cookie": page.cookie_header()})
    return ws, await Kernel(ws).request_states(timeout=90)


async def submit(server: Server, text: str, *, key: str | None = None, headers: dict[str, str] | None = None,
                 base: str = "/") -> str:
    """Open a reflection page (by key or by header), answer it with ``text``, Save; the status line."""
    query = f"?exercise=gibbs&key={key}" if key else "?exercise=gibbs"
    page = await asyncio.to_thread(load, server, f"/voila/render/reflection.ipynb{query}", headers, base)
    assert page.status == 200 and page.kernel_id, page.html[-500:]
    ws, states = await widgets_of(server, page, base)
    async with ws:
        k = Kernel(ws)
        for pid, value in {"description": text, **ANSWERS}.items():
            await k.comm_msg(child_input(states, find_widget(states, f"wb-prompt-{pid}")),
                             {"method": "update", "state": {"value": value}, "buffer_paths": []})
        status = find_widget(states, "wb-status")
        await k.comm_msg(find_widget(states, "wb-submit"), {"method": "custom", "content": {"event": "click"}})
        while True:
            c = await asyncio.wait_for(k.next_comm_msg(), 90)
            value = c["data"].get("state", {}).get("value", "")
            if c["comm_id"] == status and value:
                return str(value)


def _wait_for_ready(server: Server, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while "workbook: ready for" not in server.log.read_text(errors="replace"):
        assert time.monotonic() < deadline, server.log.read_text(errors="replace")[-3000:]
        time.sleep(0.3)


@pytest.fixture(scope="module")
def site(pg_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    work = tmp_path_factory.mktemp("many-servers")
    url, name = new_pg_url(pg_template)
    store = Store(url)
    import_cohort(store, EXAMPLE)
    people = [m.person_id for m in store.find_members("example", role="participant")]
    keys = {p: access.issue_token(store, "example", p) for p in people}
    starting = {
        "plain": running_server(work, url),
        "trusting": running_server(work, url, "--trust-user-header", HEADER, "--trusted-proxy", "127.0.0.1",
                                   "--trusted-proxy", "::1"),
        "prefixed": running_server(work, url, "--base-url", PREFIX, "--expect", "1", "--trust-user-header", HEADER,
                                   "--trusted-proxy", "10.9.9.9", "--cohort", "example", home=PREFIX),
    }
    try:
        with ExitStack() as stack, ThreadPoolExecutor(len(starting)) as pool:
            started = {name: pool.submit(cm.__enter__) for name, cm in starting.items()}  # all three at once
            servers = {}
            for name, future in started.items():
                if future.exception() is None:
                    stack.push(starting[name].__exit__)
                    servers[name] = future.result()
            if len(servers) < len(starting):
                raise next(f.exception() for f in started.values() if f.exception() is not None)  # type: ignore[misc]
            stack.callback(lambda: [s.proc.send_signal(signal.SIGTERM) for s in servers.values()
                                    if s.proc.poll() is None])  # all three stop at once
            yield {"store": store, "keys": keys, "people": people, **servers}
    finally:
        store.close()
        drop_pg(name)


def test_keys_work_on_every_server_and_entries_from_both_land_once(site: dict[str, Any]) -> None:
    plain, trusting = site["plain"], site["trusting"]
    people, keys = site["people"], site["keys"]
    run = uuid.uuid4().hex[:8]
    jobs = [(server, f"{run}-{i}", keys[people[i]]) for i, server in enumerate([plain, trusting] * 5)]

    async def room() -> list[str]:
        return list(await asyncio.gather(*(submit(s, text, key=key) for s, text, key in jobs)))

    statuses = asyncio.run(room())  # 5 people on each server at once, one database
    assert [s for s in statuses if "Saved at" not in s] == []
    store: Store = site["store"]
    stored = [(e.author_id, e.answers["description"]) for e in store.find_entries("example")
              if str(e.answers.get("description", "")).startswith(run)]
    assert Counter(text for _, text in stored) == Counter(text for _, text, _ in jobs)  # each exactly once
    assert sorted(stored) == sorted((people[i], f"{run}-{i}") for i in range(len(jobs)))


def test_a_key_revoked_through_the_api_is_refused_by_every_server(site: dict[str, Any]) -> None:
    person = site["people"][-1]
    key = site["keys"][person]
    path = f"/voila/render/journal.ipynb?key={key}"
    servers = [(site["plain"], "/"), (site["trusting"], "/"), (site["prefixed"], PREFIX)]
    before = {name: kernel_pids(s) for name, (s, _) in zip("abc", servers)}
    assert access.revoke(site["store"], "example", person) == 1
    for name, (server, base) in zip("abc", servers):
        page = load(server, path, base=base)
        assert page.status == 403 and page.kernel_id is None, (name, page.status)
        assert "not valid" in page.html
    time.sleep(0.5)
    assert {name: kernel_pids(s) for name, (s, _) in zip("abc", servers)} == before


def test_under_a_prefix_cookies_links_and_warm_kernels_work(site: dict[str, Any]) -> None:
    server: Server = site["prefixed"]
    _wait_for_ready(server)
    assert load(server, "/", base=PREFIX).status == 200
    assert load(server, "/voila/render/journal.ipynb").status == 404  # nothing outside the prefix
    key = site["keys"][site["people"][1]]
    page = load(server, f"/voila/render/reflection.ipynb?exercise=gibbs&key={key}", base=PREFIX)
    assert page.status == 200 and page.kernel_id
    assert page.paths["wb_key"] == page.paths["wb_client"] == PREFIX

    async def form() -> dict[str, Any]:
        ws, states = await widgets_of(server, page, PREFIX)  # the warm kernel got its request
        await ws.close()
        return states

    states = asyncio.run(form())
    find_widget(states, "wb-submit")
    home = next(s["state"]["value"] for s in states.values() if "wb-home-link" in s["state"].get("value", ""))
    assert 'href="home.ipynb"' in home and key not in home  # relative: stays under the prefix
    follow = load(server, "/voila/render/home.ipynb", {"Cookie": page.cookie_header()}, base=PREFIX)
    assert follow.status == 200 and follow.kernel_id  # the key cookie's path covers the link
    text = server.log.read_text(errors="replace")
    assert key[:8] not in text and "Traceback" not in text


def test_a_user_header_is_ignored_unless_trusted_and_from_the_proxy(site: dict[str, Any]) -> None:
    plain, prefixed, trusting = site["plain"], site["prefixed"], site["trusting"]
    forged = {HEADER: "p01", "X-Forwarded-For": "10.9.9.9", "X-Real-IP": "10.9.9.9"}
    before = {id(s): kernel_pids(s) for s in (plain, prefixed, trusting)}
    for server, base in ((plain, "/"), (prefixed, PREFIX)):  # no trust configured; trusted proxy elsewhere
        for page_name in ("journal", "home", "reflection"):
            page = load(server, f"/voila/render/{page_name}.ipynb", forged, base=base)
            assert page.status == 403 and page.kernel_id is None, (server.port, page_name)
            assert "not valid" in page.html and "wb-page-message" in page.html
    # From the trusted proxy: a viewer assertion in the query without the header is refused, even one
    # genuinely signed with another server's secret.
    elsewhere = access.sign_viewer(access.Viewer("p01", "example", "participant"), "s" * 43)
    for query in ("wb_viewer=forged.forged", f"wb_viewer={elsewhere}"):
        page = load(trusting, f"/voila/render/journal.ipynb?{query}")
        assert page.status == 403 and page.kernel_id is None and "not valid" in page.html
    unknown = load(trusting, "/voila/render/journal.ipynb", {HEADER: "mallory"})
    assert unknown.status == 403 and "nobody on" in unknown.html and unknown.kernel_id is None
    wrong_role = load(trusting, "/voila/render/participation.ipynb", {HEADER: "p01"})
    assert wrong_role.status == 403 and "not available" in wrong_role.html
    time.sleep(0.5)
    assert {id(s): kernel_pids(s) for s in (plain, prefixed, trusting)} == before  # not one kernel

    # The header opens p01's page (a forged assertion alongside is replaced by the server's own) ...
    run = uuid.uuid4().hex[:8]
    email = site["store"].get_person("p02").email.upper()
    status = asyncio.run(submit(trusting, f"{run}-header", headers={HEADER: "p01"}))
    assert "Saved at" in status
    status = asyncio.run(submit(trusting, f"{run}-email", headers={HEADER: email}))  # by email, any case
    assert "Saved at" in status
    got = {e.answers["description"]: e.author_id for e in site["store"].find_entries("example")
           if str(e.answers.get("description", "")).startswith(run)}
    assert got == {f"{run}-header": "p01", f"{run}-email": "p02"}


def test_serve_refuses_a_header_nobody_vouches_for(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """No server starts that would trust a header anyone can send (no proxy named, or JupyterHub's proxy)."""
    from click.testing import CliRunner

    from workbook.cli import main
    from workbook.errors import ConfigError
    from workbook.serve import ServeOptions, voila_command

    db = f"sqlite:///{tmp_path / 'wb.db'}"
    Store(db).close()
    trust = ["--trust-user-header", HEADER, "--trusted-proxy", "127.0.0.1"]
    refused = {
        "needs --trusted-proxy": ["serve", "--trust-user-header", HEADER],
        "only with --trust-user-header": ["serve", "--trusted-proxy", "127.0.0.1"],
        "not an IP address": ["serve", "--trust-user-header", HEADER, "--trusted-proxy", "proxy.example"],
        "must be a path": ["serve", "--base-url", "services/workbook"],
    }
    for said, args in refused.items():
        result = CliRunner().invoke(main, ["--db", db, *args])
        assert result.exit_code != 0 and said in result.output, (args, result.output)
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", PREFIX)  # as JupyterHub starts a managed service
    result = CliRunner().invoke(main, ["--db", db, "serve", *trust])
    assert result.exit_code != 0 and "cannot be used as a JupyterHub service" in result.output
    with pytest.raises(ConfigError):
        ServeOptions(db_url=db, trust_user_header=HEADER)
    cmd = voila_command(ServeOptions(db_url=db, base_url="/services/workbook", trust_user_header=HEADER,
                                     trusted_proxies=("127.0.0.1", "::1"), cohort="example"))
    assert "--Voila.base_url=/services/workbook/" in cmd
    assert cmd[-3:] == ["--WorkbookVoila.trusted_proxies=127.0.0.1", "--WorkbookVoila.trusted_proxies=::1",
                        "--WorkbookVoila.cohort=example"]
