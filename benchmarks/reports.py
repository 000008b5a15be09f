"""Participant reports for 100 people, both ways, in one run; prints per-report times and the ratio.

- naive: what one would write first: per person, a ``papermill`` CLI call (a fresh kernel) and a
  ``jupyter nbconvert --to html --no-input`` CLI call, one after the other;
- fast: ``workbook.reports.generate_reports(engine="pool")``: warm kernels (one per CPU),
  namespace reset between reports, HTML rendered in-process.

Both are end to end (executed notebook + HTML page per person). The executed notebooks of the
two paths are compared (outputs only) to show they say the same thing.
Also measures the CLI's own start-up. Usage: ``python benchmarks/reports.py [--people 100]``.
"""
from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TEMPLATE = ROOT / "src" / "workbook" / "notebooks" / "reports" / "participant.ipynb"
UNTIL = "2026-11-30"  # a fixed period end: both paths compute the same pages


def make_cohort(work: Path, people: int) -> str:
    """A cohort shaped like cohorts/example (1 facilitator, a coach per 10) with ``people`` participants."""
    from workbook import Store, import_cohort
    from workbook.sample import generate_sample

    src = ROOT / "cohorts" / "example"
    d = work / "bench-cohort"
    d.mkdir()
    toml = (src / "cohort.toml").read_text().replace('name = "Northwind', 'id = "bench"\nname = "Bench: Northwind', 1)
    (d / "cohort.toml").write_text(toml)
    with open(src / "roster.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    fac = [r for r in rows if r["role"] == "facilitator"]
    coach_rows = [r for r in rows if r["role"] == "coach"]
    part = [r for r in rows if r["role"] == "participant"]
    n_coaches = max(1, people // 10)
    out = list(fac)
    for i in range(n_coaches):
        base = dict(coach_rows[i % len(coach_rows)])
        out.append({**base, "id": f"c{i:03d}", "email": f"c{i:03d}@bench.example", "capacity": "10"})
    for i in range(people):
        base = dict(part[i % len(part)])
        coach = f"c{i % n_coaches:03d}" if i % 3 else ""
        out.append({**base, "id": f"p{i:03d}", "name": f"{base['name']} {i}", "email": f"p{i:03d}@bench.example",
                    "coach": coach})
    with open(d / "roster.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(out)
    url = f"sqlite:///{work / 'bench.db'}"
    store = Store(url)
    import_cohort(store, d)
    s = generate_sample(store, "bench", seed=5, weeks=8)
    store.close()
    print(f"cohort: {people} participants, {n_coaches} coaches, {s.entries} entries, {s.comments} comments")
    return url


def naive(people: list[str], out: Path, env: dict[str, str]) -> list[float]:
    """papermill CLI + nbconvert CLI per person, sequentially; seconds per report."""
    out.mkdir()
    times = []
    for pid in people:
        t0 = time.perf_counter()
        nb = out / f"participant-{pid}.ipynb"
        subprocess.run([str(BIN / "papermill"), "--no-progress-bar", "-p", "cohort_id", "bench", "-p", "person_id", pid,
                        "-p", "until", UNTIL, str(TEMPLATE), str(nb)], check=True, env=env, capture_output=True)
        subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(nb)], check=True,
                       env=env, capture_output=True)
        times.append(time.perf_counter() - t0)
        print(f"\rnaive: {len(times)}/{len(people)} ({times[-1]:.2f} s)", end="", flush=True)
    print()
    return times


def startup(cmd: list[str], env: dict[str, str], runs: int = 5) -> float:
    """Median wall time of a command."""
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, env=env, capture_output=True)
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def outputs(path: Path) -> list[object]:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    return [[{k: v for k, v in o.items() if k != "execution_count"} for o in c.get("outputs", [])]
            for c in nb.cells if c.cell_type == "code"]


def work_folder(keep: Path | None, prefix: str) -> Path:
    """The benchmark's folder (``keep``, or a new temporary one), with Jupyter's and matplotlib's state inside."""
    work = Path(tempfile.mkdtemp(prefix=prefix)) if keep is None else keep
    work.mkdir(parents=True, exist_ok=True)
    for var, sub in (("IPYTHONDIR", "ipython"), ("MPLCONFIGDIR", "mpl"), ("JUPYTER_RUNTIME_DIR", "runtime")):
        os.environ[var] = str(work / sub)
    os.environ["MPLBACKEND"] = "Agg"
    return work


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--people", type=int, default=100)
    ap.add_argument("--naive", type=int, default=None, help="Run the naive path for only this many people "
                    "(per-report time still comparable); default: all.")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--keep", type=Path, default=None, help="Keep the work folder here.")
    args = ap.parse_args()
    work = work_folder(args.keep, "wb-bench-")
    try:
        url = make_cohort(work, args.people)
        os.environ["WORKBOOK_DB_URL"] = url
        env = dict(os.environ)
        people = [f"p{i:03d}" for i in range(args.people)]

        print(f"CLI start-up (median of 5): workbook --help {startup([str(BIN / 'workbook'), '--help'], env):.2f} s, "
              f"workbook report --help {startup([str(BIN / 'workbook'), 'report', '--help'], env):.2f} s")

        from workbook.reports import generate_reports

        t0 = time.perf_counter()
        result = generate_reports("bench", kinds=["participant"], until=UNTIL, jobs=args.jobs, engine="pool",
                                  out_dir=work / "fast", db_url=url, progress=False)
        fast_total = time.perf_counter() - t0
        assert result.ok, [o.error for o in result.failed]
        fast = fast_total / len(result.outcomes)
        print(f"fast (pool, {args.jobs} warm kernels, HTML in-process): {len(result.outcomes)} reports in "
              f"{fast_total:.1f} s = {fast:.3f} s per report")

        sample = people[: args.naive] if args.naive else people
        times = naive(sample, work / "naive", env)
        slow = sum(times) / len(times)
        print(f"naive (papermill CLI + nbconvert CLI per person): {len(times)} reports in {sum(times):.1f} s = "
              f"{slow:.3f} s per report (min {min(times):.2f}, max {max(times):.2f})")
        same = sum(outputs(work / "naive" / f"participant-{p}.ipynb") == outputs(work / "fast" / f"participant-{p}.ipynb")
                   for p in sample)
        print(f"same outputs in the executed notebooks: {same}/{len(sample)}")
        print(f"ratio: {slow / fast:.1f}x faster end to end (target: 20x)")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
