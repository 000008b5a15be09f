"""Reports on a Dask cluster of this machine: 200 participant reports on 1 and on 2 workers, against the local pool.

For each worker count N (1, 2) in the same run:

- baseline: ``generate_reports(executor="local", engine="pool", jobs=N)``: N warm kernels in threads;
- dask: a ``dask scheduler`` and N ``dask worker --nthreads 1`` processes started here on loopback,
  then ``generate_reports(executor="dask", scheduler=ADDRESS)`` (each worker's warm kernel is
  started by its first report, as the pool's are: both timings include kernel start-up).

Prints seconds, reports/s, the speed-up of 2 workers over 1 and the efficiency per worker
(speed-up / workers), and each Dask run against the local pool with the same job count. A second
batch on the same cluster ("warm") shows what workers that stay up save: their processes have
imported the report code and their kernels are running. The
cohort is the sample generator's (as benchmarks/reports.py), on a SQLite file (one machine).
Usage: ``python benchmarks/reports_dask.py [--people 200] [--workers 1 2]``.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
UNTIL = "2026-11-30"  # a fixed period end: every run computes the same pages


def start_cluster(work: Path, n_workers: int) -> tuple[str, list[subprocess.Popen[bytes]]]:
    """A scheduler and ``n_workers`` single-threaded workers on loopback; (address, processes)."""
    from distributed import Client

    info = work / f"scheduler-{n_workers}.json"
    common = ["--no-dashboard", "--dashboard-address", "127.0.0.1:0"]
    procs: list[subprocess.Popen[bytes]] = []
    log = open(work / f"cluster-{n_workers}.log", "wb")  # noqa: SIM115 - the processes keep it
    procs.append(subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
                                   "--scheduler-file", str(info), *common], cwd=work, stdout=log, stderr=log))
    deadline = time.monotonic() + 60
    while not (info.exists() and info.read_text().strip()):
        if time.monotonic() > deadline:
            raise SystemExit("the scheduler did not start; see " + str(log.name))
        time.sleep(0.2)
    address = json.loads(info.read_text())["address"]
    for i in range(n_workers):
        procs.append(subprocess.Popen([str(BIN / "dask"), "worker", address, "--nthreads", "1", "--host", "127.0.0.1",
                                       "--name", f"w{i}", "--local-directory", str(work / f"w{n_workers}-{i}"),
                                       *common], cwd=work, stdout=log, stderr=log))
    log.close()
    with Client(address, timeout=30, set_as_default=False) as client:
        client.wait_for_workers(n_workers, timeout=120)
    return address, procs


def stop_cluster(procs: list[subprocess.Popen[bytes]]) -> None:
    """Workers first (they stop their kernels), then the scheduler."""
    for p in [*procs[1:], procs[0]]:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)


def timed(label: str, **kw: object) -> float:
    """Run one batch of participant reports; its wall time."""
    from workbook.reports import generate_reports

    t0 = time.perf_counter()
    result = generate_reports("bench", kinds=["participant"], until=UNTIL, progress=False,
                              **kw)  # type: ignore[arg-type]
    seconds = time.perf_counter() - t0
    if not result.ok:
        raise SystemExit(f"{label}: {len(result.failed)} failed, e.g. {result.failed[0].error}")
    workers = {o.worker for o in result.outcomes if o.worker}
    used = f", {len(workers)} worker(s) used" if workers else ""
    n = len(result.outcomes)
    print(f"{label}: {n} reports in {seconds:.1f} s = {n / seconds:.2f} reports/s{used}", flush=True)
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--people", type=int, default=200)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--keep", type=Path, default=None, help="Keep the work folder here.")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wb-bench-dask-")) if args.keep is None else args.keep
    work.mkdir(parents=True, exist_ok=True)
    for var, sub in (("IPYTHONDIR", "ipython"), ("MPLCONFIGDIR", "mpl"), ("JUPYTER_RUNTIME_DIR", "runtime")):
        os.environ[var] = str(work / sub)
    os.environ["MPLBACKEND"] = "Agg"
    try:
        from benchmarks.reports import make_cohort

        url = make_cohort(work, args.people)
        local: dict[int, float] = {}
        dask: dict[int, float] = {}
        warm: dict[int, float] = {}
        for n in args.workers:
            local[n] = timed(f"local pool, {n} job(s)", jobs=n, executor="local", out_dir=work / f"local-{n}",
                             db_url=url)
            address, procs = start_cluster(work, n)
            try:
                dask[n] = timed(f"dask, {n} worker(s)", executor="dask", scheduler=address,
                                out_dir=work / f"dask-{n}", db_url=url)
                warm[n] = timed(f"dask, {n} worker(s), warm (same cluster again)", executor="dask",
                                scheduler=address, out_dir=work / f"dask-{n}-warm", db_url=url)
            finally:
                stop_cluster(procs)
            print(f"  dask vs local pool at {n}: {local[n] / dask[n]:.2f}x the pool's speed", flush=True)
        base = min(args.workers)
        print(f"\nsummary ({args.people} reports; wall time, reports/s):")
        for n in args.workers:
            speedup = dask[base] / dask[n] * base
            warm_speedup = warm[base] / warm[n] * base
            print(f"  {n} worker(s): dask {dask[n]:.1f} s ({args.people / dask[n]:.2f}/s), warm {warm[n]:.1f} s "
                  f"({args.people / warm[n]:.2f}/s), local pool {local[n]:.1f} s ({args.people / local[n]:.2f}/s); "
                  f"dask speed-up vs {base}: {dask[base] / dask[n]:.2f}x (warm {warm[base] / warm[n]:.2f}x), "
                  f"efficiency per worker {speedup / n:.0%} (warm {warm_speedup / n:.0%}); "
                  f"pool speed-up vs {base}: {local[base] / local[n]:.2f}x; dask/pool time {dask[n] / local[n]:.2f}")
        print(f"  machine: {os.cpu_count()} CPUs; scheduler, workers, their kernels and this client share them")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
