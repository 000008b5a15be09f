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
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.reports import make_cohort, work_folder  # noqa: E402
from tests.dask_support import start_cluster  # noqa: E402

UNTIL = "2026-11-30"  # a fixed period end: every run computes the same pages


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
    work = work_folder(args.keep, "wb-bench-dask-")
    try:
        url = make_cohort(work, args.people)
        local: dict[int, float] = {}
        dask: dict[int, float] = {}
        warm: dict[int, float] = {}
        for n in args.workers:
            local[n] = timed(f"local pool, {n} job(s)", jobs=n, executor="local", out_dir=work / f"local-{n}",
                             db_url=url)
            cluster = start_cluster(work / f"cluster-{n}", n, workers_timeout=120)
            try:
                dask[n] = timed(f"dask, {n} worker(s)", executor="dask", scheduler=cluster.address,
                                out_dir=work / f"dask-{n}", db_url=url)
                warm[n] = timed(f"dask, {n} worker(s), warm (same cluster again)", executor="dask",
                                scheduler=cluster.address, out_dir=work / f"dask-{n}-warm", db_url=url)
            finally:
                cluster.stop(timeout=30)
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
