"""A room arriving: ``workbook serve --expect N`` (one warm pool for every page) and light form kernels.

The pool's figures (time to a usable form for 50 people, memory) are in ``benchmarks/forms.py``;
these tests check what the pool does: it fills, says what it is ready for, hands out warm
kernels, refills without starting a second room's worth, is released after the session and
warms again when someone comes back; and a form kernel never imports the report stack.
"""
from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websockets

from workbook import Store, access, generate_sample, import_cohort
from workbook.forms.app import ROUTES, app_page, builder, requested_page
from workbook.jupyter_compat import wait_for_voila_request

from .browser_support import ROOT, Server, kernel_pids, running_server
from .widget_client import Kernel, channels_url, find_widget, load_page

#: What a form kernel must never load (the report stack, charts, notebook execution, Voila's server side).
HEAVY = ("pandas", "matplotlib", "papermill", "nbclient", "nbconvert", "scipy", "sklearn", "voila",
         "jupyter_server", "jupyterlab_server")


# --- in-process: routing ------------------------------------------------------------------------

def test_the_page_comes_from_the_requests_path() -> None:
    assert requested_page("/voila/render/home.ipynb") == "home"
    assert requested_page("/services/workbook/voila/render/retro_desk.ipynb") == "retro_desk"
    assert requested_page("/voila/render/") == "" and requested_page("") == ""
    assert builder("app") is None and builder("../home") is None and builder("") is None
    assert set(ROUTES) == {p.stem for p in (ROOT / "src" / "workbook" / "notebooks" / "forms").glob("*.ipynb")} - {"app"}


def test_the_app_builds_each_page_with_its_own_gate(sqlite_store: Store) -> None:
    import_cohort(sqlite_store, ROOT / "cohorts" / "example")
    key = access.issue_token(sqlite_store, "example", "p01")
    home = app_page(f"key={key}", "/voila/render/home.ipynb", sqlite_store)
    assert home.kind == "home" and home.message is None and home.viewer and home.viewer.person_id == "p01"
    form = app_page(f"key={key}&exercise=gibbs", "/voila/render/reflection.ipynb", sqlite_store)
    assert form.form is not None
    # The route is no permission: a participant's key on the coach page or the desk is refused by the page itself.
    for page in ("coach", "retro_desk", "participation"):
        refused = app_page(f"key={key}", f"/voila/render/{page}.ipynb", sqlite_store)
        assert refused.message == "This page is not available with your link."
    assert app_page(f"key={key}", "/voila/render/app.ipynb", sqlite_store).message.startswith("There is no page")
    assert app_page("key=wrong", "/voila/render/home.ipynb", sqlite_store).message.startswith("This link is not valid")


def test_outside_a_warm_kernel_nothing_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOILA_PREHEAT", "False")
    assert wait_for_voila_request() is False
    # A warm kernel whose server is gone gives up (the page then says the link is incomplete).
    monkeypatch.setenv("VOILA_PREHEAT", "True")
    monkeypatch.setenv("VOILA_APP_PORT", "9")  # discard: nothing listens
    monkeypatch.setenv("VOILA_KERNEL_ID", "00000000-0000-0000-0000-000000000000")
    assert wait_for_voila_request(timeout=2) is False


# --- a form kernel's imports --------------------------------------------------------------------

IMPORTS_SCRIPT = r"""
import os, sys
from workbook.forms.app import app_page, warm
warm()
from workbook import Store, access
store = Store(os.environ["WORKBOOK_DB_URL"])
keys = {p: access.issue_token(store, "example", p) for p in ("p01", "c01", "f01")}
shown = []
for person, pages in (("p01", ("home", "reflection", "checkin", "retro", "journal", "goals", "kudos", "reports")),
                      ("c01", ("coach", "home", "journal")),
                      ("f01", ("coach", "retro_desk", "participation", "reports", "home"))):
    for page in pages:
        built = app_page(f"key={keys[person]}", f"/voila/render/{page}.ipynb", store)
        built._repr_mimebundle_()
        shown.append(f"{person}:{page}:{built.message or 'ok'}")
print("SHOWN", "|".join(shown))
"""


def test_a_form_kernel_imports_no_report_stack(tmp_path: Path) -> None:
    """Every page built for a participant, a coach and a facilitator, on a cohort with weeks of entries:
    ``python -X importtime`` lists no pandas, matplotlib, papermill (nor the rest of :data:`HEAVY`)."""
    url = f"sqlite:///{tmp_path / 'wb.db'}"
    store = Store(url)
    import_cohort(store, ROOT / "cohorts" / "example")
    generate_sample(store, "example")
    store.close()
    env = {"WORKBOOK_DB_URL": url, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "MPLBACKEND": "Agg"}
    run = subprocess.run([sys.executable, "-X", "importtime", "-c", IMPORTS_SCRIPT], capture_output=True, text=True,
                         env=env, timeout=180, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    shown = run.stdout.split("SHOWN ", 1)[1].strip().split("|")
    assert all(s.endswith(":ok") for s in shown), shown  # every page was built, not refused
    imported = {m.group(1).strip().split(".")[0] for m in re.finditer(r"^import time:\s+\d+ \|\s+\d+ \|(.*)$",
                                                                          run.stderr, re.M)}
    assert "workbook" in imported and "ipywidgets" in imported  # the measurement saw the imports
    assert not imported & set(HEAVY), sorted(imported & set(HEAVY))


# --- the pool in a real server ------------------------------------------------------------------

@pytest.fixture(scope="module")
def warm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    work = tmp_path_factory.mktemp("warm")
    url = f"sqlite:///{work / 'data' / 'workbook.db'}"
    store = Store(url)
    import_cohort(store, ROOT / "cohorts" / "example")
    keys = {p: access.issue_token(store, "example", p) for p in ("p01", "p02", "p03", "p04")}
    store.close()
    # Released after 0.1 min (6 s) without arrivals; the refill waits 3 s after the last arrival.
    with running_server(work, url, "--expect", "2", "--release-after", "0.1") as server:
        yield {"server": server, "keys": keys, "url": url}


def _log(server: Server) -> str:
    return server.log.read_text(errors="replace")


def _wait(what: str, check: Any, timeout: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.25)


def _kernels_started(server: Server) -> list[str]:
    return re.findall(r"Kernel started: ([0-9a-f-]{36})", _log(server))


async def _save_reflection(server: Server, page: Any) -> str:
    from .widget_client import child_input

    async with websockets.connect(channels_url(server.port, page.kernel_id), max_size=2**26, open_timeout=30,
                                  additional_headers={"Cookie": page.cookie_header()}) as ws:
        k = Kernel(ws)
        states = await k.request_states(60)
        for pid in ("description", "evaluation", "conclusion"):
            await k.comm_msg(child_input(states, find_widget(states, f"wb-prompt-{pid}")),
                             {"method": "update", "state": {"value": f"warm {pid}"}, "buffer_paths": []})
        status = find_widget(states, "wb-status")
        await k.comm_msg(find_widget(states, "wb-submit"), {"method": "custom", "content": {"event": "click"}})
        while True:
            c = await asyncio.wait_for(k.next_comm_msg(), 60)
            value = c["data"].get("state", {}).get("value", "")
            if c["comm_id"] == status and value:
                return str(value)


@pytest.mark.slow
def test_the_pool_fills_serves_refills_and_is_released(warm_server: dict[str, Any]) -> None:
    server: Server = warm_server["server"]
    keys = warm_server["keys"]
    ready = _wait("the ready line", lambda: re.search(r"workbook: ready for 2 people at once: 2 warm kernels, "
                                                      r"[\d.]+ [MG]iB of memory in all \(server [\d.]+ [MG]iB, "
                                                      r"[\d.]+ [MG]iB a kernel\); [\d.]+ [MG]iB still available",
                                                      _log(server)))
    assert ready
    warm = _kernels_started(server)
    assert len(warm) == 2 and len(kernel_pids(server)) == 2

    # Two people arrive: each takes a warm kernel (no kernel is started for them) and their pages work.
    pages = [load_page(f"{server.url}/voila/render/reflection.ipynb?key={keys[p]}&exercise=gibbs", 60)
             for p in ("p01", "p02")]
    assert sorted(p.kernel_id for p in pages) == sorted(warm)
    assert all("Saved at" in asyncio.run(_save_reflection(server, p)) for p in pages)
    # The pool refills to a tenth of the room (here 1), not to a second room of 2.
    _wait("one refill", lambda: len(_kernels_started(server)) == 3)
    time.sleep(2)
    assert len(_kernels_started(server)) == 3

    # Nobody comes for 6 s: the warm kernel is released; the pages' kernels stay.
    _wait("the release", lambda: "releasing the warm kernels" in _log(server), timeout=60)
    _wait("the warm kernel shut down", lambda: len(kernel_pids(server)) == 2, timeout=30)

    # Someone comes back: their page opens on a kernel of its own and the pool warms again.
    late = load_page(f"{server.url}/voila/render/home.ipynb?key={keys['p03']}", 60)
    assert late.status == 200 and late.kernel_id not in warm and "widget-view+json" in late.html
    assert "someone arrived; warming 2 kernels again" in _log(server)
    _wait("a warm kernel again", lambda: len(_kernels_started(server)) >= 5, timeout=60)
    store = Store(warm_server["url"])
    assert store.count_entries("example") == 2
    store.close()
