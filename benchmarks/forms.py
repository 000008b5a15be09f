"""Forms benchmark: time-to-interactive in Chromium, and a room arriving, with and without a warm pool.

    python benchmarks/forms.py [--loads 10] [--clients 50] [--spread 10] [--skip-browser] [--skip-capacity]

1. Time-to-interactive (TTI): navigation start to an enabled Save button in headless Chromium,
   over ``--loads`` sequential page loads (a new tab each, in one browser profile: its cache is
   warm after a first, uncounted load), on the plain server (the baseline: a kernel per page)
   and on a warm one (``workbook serve --expect 4``). Targets: warm median <= 1.0 s, p95 <= 1.5 s.
2. A room: N participants with distinct links arriving evenly within ``--spread`` seconds, each a
   *light client* (the page over HTTP plus the kernel websocket, speaking the widget protocol:
   wait for the widgets, fill the required answers, click Save, wait for "Saved"). One box
   playing N Chromiums would measure Chromium, not the server. "Usable" is arrival to the
   form's widgets received (what the browser needs to draw the form). Run on the plain server
   (the baseline) and after ``--expect N`` warmed up. Targets for 50: usable p95 <= 5 s, 50/50
   stored, peak memory <= 5 GiB. Also reports memory after the connections close and culling runs.
3. CPU per page: ``--pages`` reflection pages opened one after another (the page, then its widgets'
   states, as a browser does), plain and warm: CPU seconds of the server process and of its kernels
   per page (CPU time, not wall time: steady whatever else the machine is doing).

Not a test: it prints figures to record in the issue. Uses a temporary SQLite database.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
import websockets  # noqa: E402

from tests.browser_support import Server, launch_chromium, running_server  # noqa: E402
from tests.widget_client import Kernel, channels_url, child_input, find_widget, load_page  # noqa: E402
from workbook import Store, access, import_cohort  # noqa: E402

EXERCISE = "gibbs"
ANSWERS = {"description": "We ran the planning workshop.", "evaluation": "Good energy; overran.",
           "conclusion": "Timebox the agenda."}


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0-100)."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(q / 100 * len(s) + 0.5)) - 1))
    return s[k]


def make_site(work: Path, people: int) -> tuple[str, list[str]]:
    """A database with the example cohort plus ``people`` extra participants; one key each."""
    db = f"sqlite:///{work / 'data' / 'workbook.db'}"
    store = Store(db)
    cohort = work / "example"
    cohort.mkdir(exist_ok=True)
    src = ROOT / "cohorts" / "example"
    (cohort / "cohort.toml").write_text((src / "cohort.toml").read_text())
    roster = (src / "roster.csv").read_text().rstrip("\n").splitlines()
    header = roster[0].split(",")
    for i in range(people):
        row = {h: "" for h in header}
        row.update(id=f"b{i:03d}", name=f"Bench Person {i}", email=f"b{i}@bench.example", role="participant",
                   timezone="Europe/London", languages="English", capacity="0")
        roster.append(",".join(row[h] for h in header))
    (cohort / "roster.csv").write_text("\n".join(roster) + "\n")
    import_cohort(store, cohort)
    ids = [m.person_id for m in store.find_members("example", "participant")]
    keys = [access.issue_token(store, "example", pid) for pid in ids]
    store.close()
    return db, keys


def tree_memory(root_pid: int) -> tuple[float, int]:
    """RSS (MiB) of a process and all its descendants, and how many of them are kernels."""
    try:
        root = psutil.Process(root_pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0, 0
    total, kernels = 0, 0
    for p in procs:
        try:
            total += p.memory_info().rss
            if "ipykernel" in " ".join(p.cmdline()):
                kernels += 1
        except psutil.NoSuchProcess:
            pass
    return total / 2**20, kernels


class PeakSampler(threading.Thread):
    """Samples the server tree's memory every ``every`` seconds; keeps the peak."""

    def __init__(self, pid: int, every: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.peak_mib, self.peak_kernels = 0.0, 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            mib, k = tree_memory(self.pid)
            self.peak_mib, self.peak_kernels = max(self.peak_mib, mib), max(self.peak_kernels, k)
            self._halt.wait(self.every)

    def stop(self) -> None:
        self._halt.set()
        self.join()


# --- 1. time-to-interactive in Chromium -------------------------------------------------------

def chromium_tti(server: Server, keys: list[str], loads: int, gap: float) -> list[float]:
    """Seconds from navigation start to an enabled Save button: a new tab per load, one browser profile."""
    from playwright.sync_api import sync_playwright

    def one(ctx: Any, i: int) -> float:
        page = ctx.new_page()
        url = f"{server.url}/voila/render/reflection.ipynb?key={keys[i % len(keys)]}&exercise={EXERCISE}"
        page.goto(url, wait_until="commit", timeout=120_000)
        page.wait_for_selector(".wb-submit:not([disabled])", timeout=120_000)
        seconds = page.evaluate("performance.now()") / 1000
        page.close(run_before_unload=True)  # closing the tab: Voila's shutdown beacon frees the kernel
        time.sleep(gap)
        return float(seconds)

    with sync_playwright() as p:
        browser = launch_chromium(p)
        ctx = browser.new_context()
        one(ctx, 0)  # the first load fills the browser cache (Voila's scripts and styles): not counted
        out = [one(ctx, i) for i in range(loads)]
        ctx.close()
        browser.close()
    return out


# --- 2. light clients --------------------------------------------------------------------------

@dataclass
class ClientResult:
    ok: bool
    page_s: float = 0.0
    usable_s: float = 0.0
    total_s: float = 0.0
    error: str = ""


async def light_client(server: Server, key: str, timeout: float, delay: float = 0.0) -> ClientResult:
    """Arrive after ``delay`` s; open the reflection page, wait for its widgets, fill the answers, Save."""
    await asyncio.sleep(delay)
    t0 = time.perf_counter()
    url = f"{server.url}/voila/render/reflection.ipynb?key={key}&exercise={EXERCISE}"
    page_s = usable_s = 0.0
    try:
        load = await asyncio.to_thread(load_page, url, timeout)
        page_s = time.perf_counter() - t0
        kid = load.kernel_id
        if not kid or "widget-view+json" not in load.html:
            return ClientResult(False, page_s, error="page without a widget (blank page)")
        # The kernel is bound to the browser that opened the page: its cookie goes on the websocket.
        async with websockets.connect(channels_url(server.port, kid), max_size=2**26, open_timeout=timeout,
                                      additional_headers={"Cookie": load.cookie_header()}) as ws:
            k = Kernel(ws)
            states = await k.request_states(timeout)
            usable_s = time.perf_counter() - t0
            for pid, text in ANSWERS.items():
                await k.comm_msg(child_input(states, find_widget(states, f"wb-prompt-{pid}")),
                                 {"method": "update", "state": {"value": text}, "buffer_paths": []})
            status = find_widget(states, "wb-status")
            await k.comm_msg(find_widget(states, "wb-submit"), {"method": "custom", "content": {"event": "click"}})
            while True:
                c = await asyncio.wait_for(k.next_comm_msg(), timeout)
                value = c["data"].get("state", {}).get("value", "")
                if c["comm_id"] == status and value:
                    ok = "Saved at" in value
                    return ClientResult(ok, page_s, usable_s, time.perf_counter() - t0, "" if ok else value[:120])
    except Exception as exc:  # every failure is a result here, not a crash
        return ClientResult(False, page_s, usable_s, time.perf_counter() - t0,
                            error=f"{type(exc).__name__}: {exc}"[:160])


async def arrivals(server: Server, keys: list[str], timeout: float, spread: float) -> list[ClientResult]:
    """Every key arrives once, evenly spread over ``spread`` seconds."""
    step = spread / max(len(keys) - 1, 1)
    return list(await asyncio.gather(*(light_client(server, k, timeout, i * step) for i, k in enumerate(keys))))


def wait_until_ready(server: Server, timeout: float = 600.0) -> float:
    """Seconds until a warm server says it is ready (its log line)."""
    t0 = time.perf_counter()
    while "workbook: ready for" not in server.log.read_text(errors="replace"):
        if time.perf_counter() - t0 > timeout:
            raise TimeoutError("the warm pool did not fill")
        time.sleep(0.5)
    return time.perf_counter() - t0


def capacity(work: Path, clients: int, cull_wait: float, spread: float, warm: bool) -> dict[str, Any]:
    """``clients`` light clients arriving within ``spread`` s on a fresh server and database."""
    site = work / f"cap{clients}{'-warm' if warm else ''}"
    site.mkdir()
    db, keys = make_site(site, clients)
    extra = ("--expect", str(clients)) if warm else ()
    warmup_s = 0.0
    with running_server(site, db, "--cull-idle", "20", "--cull-interval", "5", *extra) as server:
        if warm:
            warmup_s = wait_until_ready(server)
        idle_mib, _ = tree_memory(server.proc.pid)
        sampler = PeakSampler(server.proc.pid)
        sampler.start()
        t0 = time.perf_counter()
        results = asyncio.run(arrivals(server, keys[:clients], timeout=180, spread=spread))
        wall = time.perf_counter() - t0
        sampler.stop()
        time.sleep(cull_wait)  # connections are closed; culling frees the kernels
        after_mib, after_kernels = tree_memory(server.proc.pid)
        log_text = server.log.read_text(errors="replace")
    store = Store(db)
    rows = store.count_entries("example")
    store.close()
    ok = [r for r in results if r.ok]
    ready = [line for line in log_text.splitlines() if "workbook: ready for" in line]
    return dict(clients=clients, ok=len(ok), failed=len(results) - len(ok), rows=rows, wall_s=wall,
                warmup_s=warmup_s, ready_line=ready[0].split("] ", 1)[-1] if ready else "",
                page_median_s=statistics.median(r.page_s for r in results),
                page_p95_s=percentile([r.page_s for r in results], 95),
                usable_median_s=statistics.median(r.usable_s for r in ok) if ok else float("nan"),
                usable_p95_s=percentile([r.usable_s for r in ok], 95) if ok else float("nan"),
                saved_median_s=statistics.median(r.total_s for r in ok) if ok else float("nan"),
                saved_p95_s=percentile([r.total_s for r in ok], 95) if ok else float("nan"),
                idle_mib=idle_mib, peak_mib=sampler.peak_mib, peak_kernels=sampler.peak_kernels,
                after_mib=after_mib, after_kernels=after_kernels,
                iopub_timeouts=log_text.count("Timeout waiting for IOPub"),
                errors=sorted({r.error for r in results if r.error})[:5])


def cpu_per_page(work: Path, pages: int, warm: bool) -> tuple[float, float, float]:
    """Server CPU, kernels' CPU and wall seconds per page, for ``pages`` pages opened one after another."""
    site = work / f"cpu{'-warm' if warm else ''}"
    site.mkdir()
    db, keys = make_site(site, pages)
    extra = ("--expect", str(pages + 2)) if warm else ()

    async def one(server: Server, key: str) -> None:
        load = await asyncio.to_thread(load_page, f"{server.url}/voila/render/reflection.ipynb?key={key}"
                                                   f"&exercise={EXERCISE}", 120)
        async with websockets.connect(channels_url(server.port, load.kernel_id), max_size=2**26,
                                      additional_headers={"Cookie": load.cookie_header()}) as ws:
            await Kernel(ws).request_states(120)

    def cpu(p: psutil.Process) -> float:
        t = p.cpu_times()
        return float(t.user + t.system)

    with running_server(site, db, *extra) as server:
        if warm:
            wait_until_ready(server)
        time.sleep(3)
        voila = next(c for c in psutil.Process(server.proc.pid).children() if "workbook.server" in " ".join(c.cmdline()))
        kernels0 = {k.pid: cpu(k) for k in voila.children(recursive=True)}
        server0, t0 = cpu(voila), time.perf_counter()
        for key in keys[:pages]:
            asyncio.run(one(server, key))
        wall = time.perf_counter() - t0
        server_s = cpu(voila) - server0
        kernels_s = 0.0
        for k in voila.children(recursive=True):
            try:
                kernels_s += cpu(k) - kernels0.get(k.pid, 0.0)
            except psutil.NoSuchProcess:
                continue
    return server_s / pages, kernels_s / pages, wall / pages


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--loads", type=int, default=10)
    ap.add_argument("--gap", type=float, default=2.0, help="seconds between sequential loads (pool refill)")
    ap.add_argument("--clients", type=int, nargs="*", default=[50])
    ap.add_argument("--spread", type=float, default=10.0, help="the room arrives within this many seconds")
    ap.add_argument("--cull-wait", type=float, default=40.0)
    ap.add_argument("--skip-browser", action="store_true")
    ap.add_argument("--skip-capacity", action="store_true")
    ap.add_argument("--pages", type=int, default=10, help="pages for the CPU-per-page figures (0: skip)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wb-bench-forms-"))
    print(f"workdir {work}; {psutil.cpu_count()} CPUs, {psutil.virtual_memory().total / 2**30:.1f} GiB RAM, "
          f"load average {' '.join(f'{x:.1f}' for x in psutil.getloadavg())}")
    if not args.skip_browser:
        tti: dict[str, list[float]] = {}
        for mode, extra in (("plain", ()), ("warm", ("--expect", "4"))):
            site = work / f"tti-{mode}"
            site.mkdir()
            db, keys = make_site(site, 0)
            with running_server(site, db, *extra) as server:
                if extra:
                    wait_until_ready(server)
                tti[mode] = chromium_tti(server, keys, args.loads, args.gap)
            print(f"TTI {mode:<6} median {statistics.median(tti[mode]):.2f} s  "
                  f"p95 {percentile(tti[mode], 95):.2f} s  (all: {', '.join(f'{x:.2f}' for x in tti[mode])})")
        ratio = statistics.median(tti["warm"]) / statistics.median(tti["plain"])
        print(f"TTI warm/plain median ratio {ratio:.2f} (target: warm median <= 1.0 s, p95 <= 1.5 s)")
    if args.pages:
        figures = {warm: cpu_per_page(work, args.pages, warm) for warm in (False, True)}
        for warm, (srv, ker, wall) in figures.items():
            print(f"CPU per page, {'warm' if warm else 'plain':<5}: server {srv * 1000:.0f} ms, kernels {ker * 1000:.0f} ms "
                  f"(wall {wall * 1000:.0f} ms, one page after another)")
        ratio = sum(figures[True][:2]) / sum(figures[False][:2])
        print(f"CPU per page warm/plain ratio {ratio:.2f} (plain includes starting the page's kernel)")
    if not args.skip_capacity:
        for n in args.clients:
            for warm in (False, True):
                r = capacity(work, n, args.cull_wait, args.spread, warm)
                label = f"room of {n:>3} within {args.spread:.0f} s, {'--expect ' + str(n) if warm else 'plain':<11}"
                print(f"{label}: ok {r['ok']}, failed {r['failed']}, rows stored {r['rows']} (must equal {r['ok']}); "
                      f"usable median {r['usable_median_s']:.1f} s p95 {r['usable_p95_s']:.1f} s; page median "
                      f"{r['page_median_s']:.1f} s p95 {r['page_p95_s']:.1f} s; saved median {r['saved_median_s']:.1f} s "
                      f"p95 {r['saved_p95_s']:.1f} s; wall {r['wall_s']:.1f} s")
                if warm:
                    print(f"    warm-up {r['warmup_s']:.0f} s; the server said: {r['ready_line']}")
                kept = " (the pages' kernels are culled; the pool refills and stays warm until --release-after)" \
                    if warm else ""
                print(f"    memory: before arrivals {r['idle_mib']:.0f} MiB, peak {r['peak_mib']:.0f} MiB with "
                      f"{r['peak_kernels']} kernels; after close + culling {r['after_mib']:.0f} MiB, "
                      f"{r['after_kernels']} kernels{kept}; IOPub timeouts in log {r['iopub_timeouts']}")
                if r["errors"]:
                    print(f"    errors: {r['errors']}")


if __name__ == "__main__":
    main()
