"""Live retro benchmark: a room of participant pages on one retro, through the gated server.

    python benchmarks/retro.py [--pages 50] [--idle 30] [--votes 50] [--window 60] [--skip-baseline]

N participant pages (light clients: the page over HTTP, then the kernel websocket speaking the widget
protocol, as ``benchmarks/forms.py`` does) are connected to one retro in its vote phase. Measured:

1. update latency: this process casts votes through the API (``--votes`` participants, spread over
   ``--window`` seconds); each page shows the revision it rendered (``.wb-retro-rev``), so the time
   from a vote's commit to each *other* page receiving that revision (or a later one) is measured on
   the wire (median, p95, max; pages that never caught up are counted);
2. server CPU (server + kernels, psutil), in cores, while idle (no timer running, nothing changing)
   and during the minute of votes, with live updates on, and the same pages with live updates off
   (``WORKBOOK_LIVE=0``) as the baseline in the same run; the live-update cost is the difference;
3. database statements per update tick: every kernel counts its statements (SQLAlchemy
   ``before_cursor_execute`` on every engine, installed by an IPython startup file in the server's
   IPYTHONDIR) next to the page's polls and renders (:data:`workbook.forms.live.STATS`), and writes
   them to a file each second.

Not a test: it prints figures to record in the issue. Uses a temporary SQLite database.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
import websockets  # noqa: E402

from benchmarks.forms import make_site, percentile  # noqa: E402
from tests.browser_support import Server, running_server  # noqa: E402
from tests.widget_client import Kernel, channels_url, find_widget, load_page  # noqa: E402
from workbook import Store, access, retro  # noqa: E402

EXERCISE = "start-stop-continue"
REV = "wb-retro-rev"
STATS_ENV = "WORKBOOK_BENCH_STATS"

#: Runs in every kernel (IPython startup file): count SQL statements, dump them with the live counters.
COUNTER = r'''
import json, os, threading, time
import sqlalchemy as _sa
from sqlalchemy import event as _event

_wb_statements = [0]

@_event.listens_for(_sa.engine.Engine, "before_cursor_execute")
def _wb_count(*_a, **_k):
    _wb_statements[0] += 1

def _wb_dump():
    out = os.path.join(os.environ["WORKBOOK_BENCH_STATS"], f"{os.getpid()}.json")
    while True:
        time.sleep(1.0)
        try:
            from workbook.forms.live import STATS
            data = dict(STATS, statements=_wb_statements[0])
        except Exception:
            data = {"statements": _wb_statements[0]}
        tmp = out + ".tmp"
        with open(tmp, "w") as fh:
            json.dump(data, fh)
        os.replace(tmp, out)

if os.environ.get("WORKBOOK_BENCH_STATS"):
    threading.Thread(target=_wb_dump, daemon=True).start()
'''


def install_counter(site: Path) -> Path:
    """The startup file in the IPYTHONDIR the server's kernels use (see tests.browser_support.server_env)."""
    startup = site / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    (startup / "00-wb-bench-count.py").write_text(COUNTER)
    stats = site / "stats"
    stats.mkdir(exist_ok=True)
    return stats


def read_stats(folder: Path) -> dict[str, int]:
    """The kernels' counters, summed."""
    total: dict[str, int] = {}
    for f in folder.glob("*.json"):
        try:
            data = json.loads(f.read_text())
        except (OSError, ValueError):
            continue
        for k, v in data.items():
            total[k] = total.get(k, 0) + int(v)
    return total


def delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: after.get(k, 0) - before.get(k, 0) for k in set(after) | set(before)}


def tree_cpu(root_pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its live descendants."""
    total = 0.0
    try:
        root = psutil.Process(root_pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            pass
    return total


def cpu_over(pid: int, seconds: float) -> float:
    """Cores used by the server tree over the next ``seconds`` (1.0 = one core busy)."""
    c0, t0 = tree_cpu(pid), time.perf_counter()
    time.sleep(seconds)
    return (tree_cpu(pid) - c0) / (time.perf_counter() - t0)


@dataclass
class Client:
    """One connected participant page: when it received which revision."""

    person: str
    seen: list[tuple[float, int]] = field(default_factory=list)
    error: str = ""
    ready: bool = False


def _rev(value: str) -> int | None:
    marker = 'data-rev="'
    i = value.find(marker)
    if i < 0:
        return None
    return int(value[i + len(marker):value.index('"', i + len(marker))])


async def page_client(server: Server, key: str, client: Client, stop: asyncio.Event, gate: asyncio.Semaphore,
                      timeout: float) -> None:
    """Open the retro page, then listen until ``stop``: record each revision the page receives."""
    try:
        async with gate:
            load = await asyncio.to_thread(load_page, f"{server.url}/voila/render/retro.ipynb?key={key}", timeout)
        kid = load.kernel_id
        if not kid:
            client.error = f"no kernel in page (status {load.status})"
            return
        async with websockets.connect(channels_url(server.port, kid), max_size=2**26, open_timeout=timeout,
                                      additional_headers={"Cookie": load.cookie_header()}) as ws:
            k = Kernel(ws)
            states = await k.request_states(timeout)
            rev_id = find_widget(states, REV)
            first = _rev(states[rev_id]["state"].get("value", ""))
            if first is not None:
                client.seen.append((time.perf_counter(), first))
            client.ready = True
            while not stop.is_set():
                try:
                    c = await asyncio.wait_for(k.next_comm_msg(), 0.5)
                except asyncio.TimeoutError:
                    continue
                if c.get("comm_id") == rev_id:
                    r = _rev(c["data"].get("state", {}).get("value", ""))
                    if r is not None:
                        client.seen.append((time.perf_counter(), r))
    except Exception as exc:  # a failure is a result
        client.error = f"{type(exc).__name__}: {exc}"[:160]


def prepare_retro(db: str, people: list[str]) -> tuple[int, list[int]]:
    """A retro in its vote phase with a card per column from a few people, no timer running."""
    store = Store(db)
    fac = access.Viewer("f01", "example", "facilitator")
    session = retro.open_session(store, fac, EXERCISE, "Benchmark retro")
    sid = int(session.id)
    retro.set_phase(store, fac, sid, "write")
    cards = []
    columns = [p.id for p in store.exercise(EXERCISE, "example").prompts if p.column]
    for i, pid in enumerate(people[:12]):
        v = access.Viewer(pid, "example", "participant")
        cards.append(retro.add_card(store, v, sid, columns[i % len(columns)], f"Card {i} from the bench"))
    retro.set_phase(store, fac, sid, "vote")
    retro.update_settings(store, fac, sid, votes_per_person=3, cap_per_card=1)
    retro.end_timer(store, fac, sid)  # idle means idle: no countdown
    store.close()
    return sid, cards


def run_mode(work: Path, mode: str, pages: int, idle_s: float, votes: int, window: float,
             timeout: float) -> dict[str, Any]:
    site = work / mode
    site.mkdir()
    db, keys = make_site(site, pages + votes)
    store = Store(db)
    people = [m.person_id for m in store.find_members("example", "participant")]
    store.close()
    sid, cards = prepare_retro(db, people)
    stats_dir = install_counter(site)
    # The page keys are the first ``pages`` people; voters are others (so each voter is a separate person).
    page_keys, voters = keys[:pages], people[pages:pages + votes] or people[:votes]
    os.environ["WORKBOOK_LIVE"] = "1" if mode == "live" else "0"
    os.environ[STATS_ENV] = str(stats_dir)
    out: dict[str, Any] = {"mode": mode, "pages": pages}
    try:
        with running_server(site, db) as server:
            clients = [Client(p) for p in people[:pages]]

            async def main() -> None:
                stop = asyncio.Event()
                gate = asyncio.Semaphore(8)
                tasks = [asyncio.create_task(page_client(server, k, c, stop, gate, timeout))
                         for k, c in zip(page_keys, clients)]
                t0 = time.perf_counter()
                while not all(c.ready or c.error for c in clients):
                    await asyncio.sleep(0.5)
                out["connect_s"] = time.perf_counter() - t0
                await asyncio.sleep(5)  # let the pages settle
                # idle
                s0 = read_stats(stats_dir)
                out["idle_cores"] = await asyncio.to_thread(cpu_over, server.proc.pid, idle_s)
                await asyncio.sleep(1.2)  # the kernels' files are written each second
                out["idle_stats"] = delta(read_stats(stats_dir), s0)
                # votes over the window
                s0 = read_stats(stats_dir)
                c0, w0 = tree_cpu(server.proc.pid), time.perf_counter()
                cast = await asyncio.to_thread(cast_votes, db, sid, cards, voters, window)
                await asyncio.sleep(3)  # the last updates
                out["vote_cores"] = (tree_cpu(server.proc.pid) - c0) / (time.perf_counter() - w0)
                await asyncio.sleep(1.2)
                out["vote_stats"] = delta(read_stats(stats_dir), s0)
                out["cast"] = cast
                stop.set()
                await asyncio.gather(*tasks)

            asyncio.run(main())
    finally:
        os.environ.pop("WORKBOOK_LIVE", None)
    out["errors"] = sorted({c.error for c in clients if c.error})[:5]
    out["connected"] = sum(1 for c in clients if c.ready)
    out["latencies"], out["missed"] = latencies(clients, out["cast"])
    return out


def cast_votes(db: str, sid: int, cards: list[int], voters: list[str], window: float) -> list[tuple[float, int]]:
    """One vote per voter, evenly over ``window`` seconds: (commit time, revision after it) each."""
    store = Store(db)
    out = []
    gap = window / max(len(voters), 1)
    start = time.perf_counter()
    for i, pid in enumerate(voters):
        target = start + i * gap
        time.sleep(max(0.0, target - time.perf_counter()))
        v = access.Viewer(pid, "example", "participant")
        retro.vote(store, v, card_id=cards[i % len(cards)])
        t = time.perf_counter()
        out.append((t, retro.change_marker(store, sid)))
    store.close()
    return out


def latencies(clients: list[Client], cast: list[tuple[float, int]]) -> tuple[list[float], int]:
    """For each vote and each connected page: seconds until the page had that revision (or a later one)."""
    out, missed = [], 0
    for c in clients:
        if not c.ready:
            continue
        for t, rev in cast:
            got = next((at for at, r in c.seen if r >= rev and at >= t - 5), None)
            if got is None:
                missed += 1
            else:
                out.append(max(0.0, got - t))
    return out, missed


def show(r: dict[str, Any]) -> None:
    lat = r["latencies"]
    print(f"[{r['mode']}] {r['connected']}/{r['pages']} pages connected in {r['connect_s']:.0f} s"
          + (f"; errors {r['errors']}" if r["errors"] else ""))
    if lat:
        print(f"    update after a vote: median {statistics.median(lat):.2f} s, p95 {percentile(lat, 95):.2f} s, "
              f"max {max(lat):.2f} s over {len(lat)} page-updates; never updated: {r['missed']}")
    else:
        print(f"    update after a vote: no page updated ({r['missed']} page-votes never seen)")
    for phase in ("idle", "vote"):
        st = r[f"{phase}_stats"]
        polls = st.get("polls", 0)
        per = f"{st.get('statements', 0) / polls:.2f}" if polls else "n/a"
        print(f"    {phase:<4}: server+kernels {100 * r[f'{phase}_cores']:.1f}% of one core; "
              f"{st.get('statements', 0)} statements, {polls} polls, {st.get('renders', 0)} renders, "
              f"{st.get('countdowns', 0)} countdown ticks; statements per poll {per}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=50)
    ap.add_argument("--idle", type=float, default=30.0, help="seconds of idle CPU measurement")
    ap.add_argument("--votes", type=int, default=50)
    ap.add_argument("--window", type=float, default=60.0, help="seconds over which the votes are cast")
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("--skip-baseline", action="store_true")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wb-bench-retro-"))
    print(f"workdir {work}; {psutil.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    results = {}
    for mode in (("live",) if args.skip_baseline else ("off", "live")):
        results[mode] = run_mode(work, mode, args.pages, args.idle, args.votes, args.window, args.timeout)
        show(results[mode])
    if "off" in results:
        live, off = results["live"], results["off"]
        idle = 100 * (live["idle_cores"] - off["idle_cores"])
        vote = 100 * (live["vote_cores"] - off["vote_cores"])
        print(f"live-update cost (live minus off, same pages): idle {idle:.1f}% of one core "
              f"({idle / args.pages:.2f}% per page), during votes {vote:.1f}% of one core")
        lat = live["latencies"]
        if lat:
            ok = percentile(lat, 95) <= 2.0 and idle <= 5.0
            print(f"targets (p95 <= 2 s, idle <= 5% of one core): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
