"""Server benchmark: what a burst of strangers costs, gated (`workbook serve`) against plain Voila.

    python benchmarks/server.py [--requests 20]

Baseline, in the same run: Voila itself serving the same form notebooks (``python -m voila``,
the command `workbook serve` ran before the gate). Each server gets ``--requests`` page loads
without a key; we count the kernels they started, the server tree's memory afterwards, and the
time per answer. Not a test: it prints figures to record in the issue.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.forms import make_site, tree_memory  # noqa: E402
from tests.browser_support import Server, free_port, kernel_pids, running_server, server_env  # noqa: E402
from tests.widget_client import load_page  # noqa: E402
from workbook.serve import default_forms_dir  # noqa: E402


def burst(server: Server, n: int) -> dict[str, float]:
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        load_page(f"{server.url}/voila/render/reflection.ipynb?exercise=gibbs&n={i}", timeout=120)
        times.append(time.perf_counter() - t0)
    time.sleep(3)  # kernels started by the burst show up
    mib, _ = tree_memory(server.proc.pid)
    return {"kernels": len(kernel_pids(server)), "mib": mib, "median_ms": 1000 * statistics.median(times),
            "total_s": sum(times)}


def plain_voila(work: Path, db: str, n: int) -> dict[str, float]:
    port = free_port()
    log = work / "voila.log"
    with log.open("wb") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "voila", str(default_forms_dir()), "--no-browser",
                                 f"--port={port}", "--Voila.ip=127.0.0.1", "--show_tracebacks=False"],
                                stdout=fh, stderr=subprocess.STDOUT, env=server_env(work, db), cwd=str(work))
    server = Server(proc, port, log)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if load_page(server.url + "/voila/tree", timeout=5).status == 200:
                    break
            except OSError:  # not listening yet
                pass
            time.sleep(0.3)
        return burst(server, n)
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=20)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wb-bench-server-"))
    db, _keys = make_site(work, 0)
    base = plain_voila(work, db, args.requests)
    with running_server(work, db) as server:
        gated = burst(server, args.requests)
    print(f"{args.requests} page loads without a key")
    print(f"  plain Voila (baseline): {base['kernels']:.0f} kernels started, server tree {base['mib']:.0f} MiB, "
          f"median answer {base['median_ms']:.0f} ms, {base['total_s']:.1f} s in all")
    print(f"  workbook serve (gate):  {gated['kernels']:.0f} kernels started, server tree {gated['mib']:.0f} MiB, "
          f"median answer {gated['median_ms']:.1f} ms, {gated['total_s']:.2f} s in all")
    print(f"  memory ratio gate/plain {gated['mib'] / base['mib']:.3f}; "
          f"time ratio gate/plain {gated['total_s'] / base['total_s']:.4f}")


if __name__ == "__main__":
    main()
