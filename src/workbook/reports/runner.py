"""The batch: execute planned reports, export each as an HTML page, write the index.

Planning (which reports, page names) is :mod:`.plan`; this module runs the jobs. Two engines (a
registry, as papermill's own ``engines.py``):

- ``pool`` (default): ``jobs`` worker threads, each owning one warm kernel reused across its
  reports (:class:`~workbook.reports.engine.PoolEngine`), HTML rendered in the same thread;
- ``papermill``: papermill's plain engine, one fresh kernel per report (the baseline).

and two executors: ``local`` (the threads above, on this machine) and ``dask`` (one task per
report on a Dask cluster, see :mod:`.cluster`: the workers run the same engines and send the
pages back, this process writes them). Both report through the same progress bar and outcomes.

Both engines produce the same pages. No thread changes the working directory (papermill #578): all
paths are absolute and ``cwd`` is never passed; no thread changes the environment either: each
kernel is started with the batch's database URL in its own environment.
"""
from __future__ import annotations

import contextlib
import os
import queue
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..jupyter_compat import import_papermill
from .plan import ReportJob, choose_reports, cohort_folder, cohort_reports

ENGINES: dict[str, str | None] = {"pool": "workbook_pool", "papermill": None}
#: Where reports run: this machine's threads, or a Dask cluster (the ``dask`` extra).
EXECUTORS: tuple[str, ...] = ("local", "dask")


@dataclass
class ReportOutcome:
    """What became of one report."""

    job: ReportJob
    ok: bool
    ipynb_path: Path | None = None
    html_path: Path | None = None
    summary: str | None = None
    error: str | None = None
    cell: int | None = None
    seconds: float = 0.0
    #: Where it ran: empty on this machine, else the Dask worker's address.
    worker: str = ""


@dataclass
class BatchResult:
    """Every outcome of a batch, where the index is, and how long it took."""

    out_dir: Path
    index_path: Path | None
    outcomes: list[ReportOutcome] = field(default_factory=list)
    seconds: float = 0.0
    engine: str = "pool"
    executor: str = "local"

    @property
    def failed(self) -> list[ReportOutcome]:
        """The reports that failed."""
        return [o for o in self.outcomes if not o.ok]

    @property
    def ok(self) -> bool:
        """True when every report was produced."""
        return not self.failed


def run_report(job: ReportJob, out_dir: Path, *, engine: str = "pool", warm_kernel: Any = None,
               execution_timeout: float = 120, start_timeout: float = 60, db_url: str = "") -> ReportOutcome:
    """Execute one report and export its page; never raises for a failing report.

    The report reads ``db_url`` (empty: the kernel's own ``$WORKBOOK_DB_URL`` or ./workbook.db);
    a ``warm_kernel`` was started with its URL already (see :class:`~.engine.WarmKernel`).
    """
    pm = import_papermill()
    from papermill.exceptions import PapermillExecutionError

    from .export import notebook_html, notebook_summary

    ipynb = out_dir / f"{job.stem}.ipynb"
    page = out_dir / f"{job.stem}.html"
    t0 = time.perf_counter()
    from .engine import KERNEL_ARGS, kernel_config, kernel_manager_class

    # Both engines run this interpreter's python3 kernel (see kernel_manager_class); papermill's
    # own engine starts one per report, given the URL through the kernel manager's config.
    extra: dict[str, Any] = ({"warm_kernel": warm_kernel} if engine == "pool"
                             else {"extra_arguments": list(KERNEL_ARGS), "kernel_manager_class": kernel_manager_class(),
                                   "config": kernel_config(db_url)})
    attempts = 2
    for attempt in range(1, attempts + 1):
        try:
            nb = pm.execute_notebook(str(job.template), str(ipynb), parameters=job.parameters,
                                     engine_name=ENGINES[engine], kernel_name="python3", progress_bar=False,
                                     request_save_on_cell_execute=False, start_timeout=start_timeout,
                                     execution_timeout=execution_timeout, **extra)
            break
        except PapermillExecutionError as exc:
            page.unlink(missing_ok=True)
            first = next((line.strip() for line in str(exc.source).splitlines() if line.strip()), "")
            first = first if len(first) <= 60 else first[:57] + "..."
            return ReportOutcome(job, False, ipynb, None,
                                 error=f"cell {exc.cell_index} [{first}]: {exc.ename}: {exc.evalue}",
                                 cell=exc.cell_index, seconds=time.perf_counter() - t0)
        except Exception as exc:  # dead kernel, start failure, timeout: the batch goes on
            timeout = type(exc).__name__ == "CellTimeoutError"
            if warm_kernel is not None:
                with contextlib.suppress(Exception):
                    warm_kernel.restart()
            if attempt == attempts or timeout:
                page.unlink(missing_ok=True)
                return ReportOutcome(job, False, ipynb if ipynb.exists() else None, None,
                                     error=f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}",
                                     seconds=time.perf_counter() - t0)
    try:
        page.write_text(notebook_html(nb, job.label), encoding="utf-8")
    except Exception as exc:  # an output nbconvert cannot render: this page fails, not the batch
        page.unlink(missing_ok=True)
        return ReportOutcome(job, False, ipynb, None, error=f"HTML export: {type(exc).__name__}: {exc}",
                             seconds=time.perf_counter() - t0)
    return ReportOutcome(job, True, ipynb, page, summary=notebook_summary(nb), seconds=time.perf_counter() - t0)


def _worker(jobs: "queue.Queue[ReportJob]", results: "queue.Queue[ReportOutcome | BaseException]", out_dir: Path,
            engine: str, stop: threading.Event, timeouts: tuple[float, float], db_url: str) -> None:
    wk = None
    try:
        if engine == "pool":
            from .engine import WarmKernel

            wk = WarmKernel(start_timeout=timeouts[1], db_url=db_url)
            wk.start()
        while not stop.is_set():
            try:
                job = jobs.get_nowait()
            except queue.Empty:
                break
            try:
                outcome = run_report(job, out_dir, engine=engine, warm_kernel=wk, execution_timeout=timeouts[0],
                                     start_timeout=timeouts[1], db_url=db_url)
            except Exception as exc:  # a bug of ours: still one failed report, not a lost one
                outcome = ReportOutcome(job, False, error=f"{type(exc).__name__}: {exc}")
            results.put(outcome)
    except BaseException as exc:  # a kernel that never started: the main thread hands its jobs to others
        results.put(exc)
    finally:
        if wk is not None:
            wk.shutdown()


def generate_reports(cohort_id: str, *, kinds: Iterable[str] = ("all",), people: Sequence[str] = (),
                     since: str = "", until: str = "", jobs: int | None = None, engine: str = "pool",
                     out_dir: Path | str | None = None, db_url: str | None = None,
                     templates_dir: Path | str | None = None, progress: bool = True,
                     execution_timeout: float = 120, start_timeout: float = 60, executor: str = "local",
                     scheduler: str | None = None, connect_timeout: float = 10.0) -> BatchResult:
    """Generate the reports of a cohort: an executed ``.ipynb`` and an HTML page each, plus ``index.html``.

    One report's failure is recorded in :attr:`BatchResult.failed` (person, cell, error) and the
    batch goes on. ``jobs`` defaults to the CPU count; ``engine`` is ``pool`` or ``papermill``.

    ``executor="dask"`` runs one task per report on the Dask scheduler at ``scheduler``
    (``tcp://HOST:8786``; reached within ``connect_timeout`` seconds or a :class:`ConfigError`),
    or without one on a ``LocalCluster`` of ``jobs`` single-threaded worker processes; it needs
    ``pip install workbook[dask]``. The workers read the same database (``db_url``: PostgreSQL for a
    real cluster) and send the pages back; this process writes them and the index.
    """
    from ..config import get_settings
    from ..store import Store

    if engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
    if executor not in EXECUTORS:
        raise ConfigError(f"unknown executor {executor!r}; use one of {', '.join(EXECUTORS)}")
    if scheduler and executor != "dask":
        raise ConfigError("a scheduler address needs the dask executor (--executor dask)")
    settings = get_settings(db_url)
    kinds = list(kinds)
    store = Store(settings.db_url, create=False)
    try:
        # One plan of the whole cohort: the batch runs some of it, the index links the rest's earlier pages.
        everyone = cohort_reports(store, cohort_id, since=since, until=until,
                                  templates_dir=Path(templates_dir) if templates_dir else None)
        planned = choose_reports(store, everyone, cohort_id, kinds=kinds, people=people)
        if since or until:  # check the dates before starting any kernel
            from .context import period

            period(store.get_cohort(cohort_id), since, until)
    finally:
        store.close()
    out = Path(out_dir) if out_dir else cohort_folder(settings.reports_dir, cohort_id)
    out = out.resolve()
    t0 = time.perf_counter()
    result = BatchResult(out, None, engine=engine, executor=executor)
    n_jobs = jobs or os.cpu_count() or 1
    timeouts = (execution_timeout, start_timeout)
    if planned and executor == "dask":
        from .cluster import DaskExecutor

        # Connected (or the cluster started) before anything is written: an unreachable scheduler
        # is one clear error and an untouched output folder.
        with DaskExecutor(scheduler, n_workers=min(n_jobs, len(planned)), connect_timeout=connect_timeout) as dx:
            out.mkdir(parents=True, exist_ok=True)
            result.outcomes = dx.run(planned, out, engine=engine, progress=Progress(len(planned), progress),
                                     timeouts=timeouts, db_url=settings.db_url)
    else:
        out.mkdir(parents=True, exist_ok=True)  # papermill does not create folders
        if planned:
            import_papermill()
            result.outcomes = _execute(planned, out, engine, n_jobs, progress, timeouts, settings.db_url)
    from .index import write_index

    order = {j.stem: i for i, j in enumerate(planned)}
    result.outcomes.sort(key=lambda o: order[o.job.stem])
    earlier = _earlier_pages(everyone, out, {o.job.stem for o in result.outcomes})
    result.index_path = write_index(out, f"Reports: {cohort_id}", result.outcomes + earlier)
    result.seconds = time.perf_counter() - t0
    return result


def _earlier_pages(everyone: Sequence[ReportJob], out: Path, done: set[str]) -> list[ReportOutcome]:
    """Pages of this cohort already in ``out`` from an earlier batch, so the index keeps linking them."""
    from .export import notebook_summary

    kept = []
    for job in everyone:
        page, ipynb = out / f"{job.stem}.html", out / f"{job.stem}.ipynb"
        if job.stem in done or not page.exists() or not ipynb.exists():
            continue
        try:
            import nbformat

            summary = notebook_summary(nbformat.read(ipynb, as_version=4))
        except Exception:  # an unreadable earlier notebook: its page is still linked, without a summary
            summary = None
        kept.append(ReportOutcome(job, True, ipynb, page, summary=summary))
    return kept


class Progress:
    """The batch's progress bar and its failure lines, the same for every executor.

    :meth:`add` each outcome as it arrives; :meth:`close` at the end (also as a context manager).
    """

    def __init__(self, total: int, show: bool = True) -> None:
        from tqdm.auto import tqdm

        # No tqdm object at all when quiet: even a disabled bar starts tqdm's monitor thread.
        self.bar: Any = tqdm(total=total, unit="report", dynamic_ncols=True) if show else _NoBar()

    def add(self, outcome: ReportOutcome) -> None:
        """Count one finished report; a failed one gets its line above the bar."""
        self.bar.update(1)
        if not outcome.ok:
            self.bar.write(f"FAILED {outcome.job.kind} {outcome.job.label}: {outcome.error}")

    def close(self) -> None:
        """Take the bar down."""
        self.bar.close()

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _NoBar:
    """Stands in for a tqdm bar when no progress is shown (failures are in the result)."""

    def update(self, n: int = 1) -> None:
        """Nothing to draw."""

    def write(self, text: str) -> None:
        """Quiet: the caller reports failures from the result."""

    def close(self) -> None:
        """Nothing to close."""


def _execute(planned: list[ReportJob], out: Path, engine: str, n_jobs: int, progress: bool,
             timeouts: tuple[float, float], db_url: str) -> list[ReportOutcome]:
    todo: queue.Queue[ReportJob] = queue.Queue()
    for j in planned:
        todo.put(j)
    results: queue.Queue[ReportOutcome | BaseException] = queue.Queue()
    stop = threading.Event()
    outcomes: list[ReportOutcome] = []
    n_workers = max(1, min(n_jobs, len(planned)))
    workers = [threading.Thread(target=_worker, args=(todo, results, out, engine, stop, timeouts, db_url),
                                name=f"workbook-report-{i}", daemon=True) for i in range(n_workers)]
    for w in workers:
        w.start()
    bar = Progress(len(planned), progress)
    broken: list[BaseException] = []
    try:
        while len(outcomes) < len(planned):
            try:
                item = results.get(timeout=0.5)
            except queue.Empty:
                if all(not w.is_alive() for w in workers) and results.empty():
                    break  # every worker gave up: fail what is left below
                continue
            if isinstance(item, BaseException):
                broken.append(item)
                continue
            outcomes.append(item)
            bar.add(item)
    except KeyboardInterrupt:
        stop.set()
        raise
    finally:
        bar.close()
        stop.set()
        for w in workers:
            w.join(timeout=30)
    reason = f"no report kernel could be started ({broken[0]})" if broken else "not run"
    while True:
        try:
            job = todo.get_nowait()
        except queue.Empty:
            break
        outcomes.append(ReportOutcome(job, False, error=reason))
    return outcomes
