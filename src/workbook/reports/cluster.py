"""The ``dask`` executor: one Dask task per report, on an existing scheduler or a ``LocalCluster``.

``workbook report COHORT --executor dask [--scheduler tcp://HOST:8786]``. Needs the optional
extra (``pip install workbook[dask]``) here and on every worker; this is the only module that
imports ``dask``/``distributed``, and only when a batch runs on them.

- A task (:func:`run_on_worker`) gets the job, its template's bytes (workers need not share a
  disk), the engine and the database URL. It runs the report with the same code as the local
  pool (:func:`~.runner.run_report`) on the worker thread's warm kernel (started on the first task
  of that thread and kept, :func:`worker_kernel`), in a scratch folder it removes again, and sends
  back the executed notebook and the page as text. The database URL travels with the task and
  reaches the kernel through its environment, as locally; the templates' privacy rules are the
  same code, so a page from a worker equals the local pool's.
- This process writes the pages into ``--out`` as they arrive, draws the same progress bar and
  failure lines (:class:`~.runner.Progress`), and builds the index as today.
- A worker's kernels are stopped when the worker closes (:class:`KernelReaper`, a
  ``WorkerPlugin``). A task lost with a crashed worker is retried by the scheduler on another
  one; one that cannot finish, or a lost scheduler, becomes that report's failure line.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import logging
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .plan import ReportJob
from .runner import Progress, ReportOutcome, run_report

log = logging.getLogger(__name__)

INSTALL_HINT = "the dask executor needs Dask: install workbook[dask] (pip install 'workbook[dask]')"
#: The name under which :class:`KernelReaper` is registered on the workers (one per worker, idempotent).
PLUGIN_NAME = "workbook-report-kernels"


def import_distributed() -> Any:
    """``distributed``, or one clear :class:`ConfigError` naming the extra to install."""
    try:
        import distributed
    except ImportError as exc:
        raise ConfigError(f"{INSTALL_HINT} ({exc})") from None
    return distributed


def absolute_db_url(db_url: str) -> str:
    """A SQLite URL with an absolute file path (workers may run in another folder); others unchanged."""
    import sqlalchemy as sa

    url = sa.make_url(db_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:" \
            or url.database.startswith("file:") or Path(url.database).is_absolute():
        return db_url
    return url.set(database=str(Path(url.database).resolve())).render_as_string(hide_password=False)


# --- on the worker ----------------------------------------------------------------------------
@dataclasses.dataclass
class RemotePage:
    """What a worker sends back for one report: its outcome and the files' text."""

    ok: bool
    worker: str
    seconds: float
    ipynb: str | None = None
    html: str | None = None
    summary: str | None = None
    error: str | None = None
    cell: int | None = None


_kernels_lock = threading.Lock()
#: Every warm kernel of this worker process (for :func:`stop_worker_kernels`); each thread finds its own in ``_own``.
_kernels: list[Any] = []
_own = threading.local()
_closing = threading.Event()


def worker_kernel(db_url: str, start_timeout: float) -> Any:
    """The calling worker thread's warm kernel for ``db_url`` (started on first use, kept across tasks).

    One kernel per worker thread (run workers with ``--nthreads 1`` for one per worker); a kernel
    of another database, or a dead one, is replaced. None is started once the worker is closing.
    """
    from .engine import KernelStartError, WarmKernel

    wk = getattr(_own, "kernel", None)
    if wk is not None and (wk.db_url != db_url or not wk.alive):
        with contextlib.suppress(Exception):
            wk.shutdown()
        with _kernels_lock:
            if wk in _kernels:
                _kernels.remove(wk)
        wk = _own.kernel = None
    if wk is None:
        wk = WarmKernel(start_timeout=start_timeout, db_url=db_url)
        with _kernels_lock:
            if _closing.is_set():
                raise KernelStartError("the worker is closing")
            _kernels.append(wk)
        _own.kernel = wk
        wk.start()
    return wk


def stop_worker_kernels() -> int:
    """Stop every warm kernel of this process (from any thread) and start no more; how many there were."""
    with _kernels_lock:
        _closing.set()
        kernels = list(_kernels)
        _kernels.clear()
    for wk in kernels:
        with contextlib.suppress(Exception):
            wk.kill()
    return len(kernels)


def _worker_address() -> str:
    from distributed import get_worker

    try:
        return str(get_worker().address)
    except ValueError:  # not on a worker (called directly)
        return ""


def _patched_notebook(path: Path, job: ReportJob, out_ipynb: str) -> str:
    """The executed notebook's text; papermill's record of its paths names the client's files, not a scratch folder."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    pm = nb.metadata.get("papermill")
    if pm is not None:
        pm["input_path"] = str(job.template)
        pm["output_path"] = out_ipynb
    return nbformat.writes(nb)


def run_on_worker(job: ReportJob, template: bytes, engine: str, timeouts: tuple[float, float], db_url: str,
                  out_dir: str) -> RemotePage:
    """One report on a Dask worker; never raises for a failing report (its error is in the result).

    ``template`` is the bytes of ``job.template`` as the client read it; ``out_dir`` is where the
    client writes the files (only recorded in the notebook's metadata).
    """
    t0 = time.perf_counter()
    where = _worker_address()
    scratch = Path(tempfile.mkdtemp(prefix="workbook-report-"))
    try:
        local_template = scratch / "template" / job.template.name
        local_template.parent.mkdir()
        local_template.write_bytes(template)
        local_job = dataclasses.replace(job, template=local_template)
        wk = None
        if engine == "pool":
            try:
                wk = worker_kernel(db_url, timeouts[1])
            except Exception as exc:
                return RemotePage(False, where, time.perf_counter() - t0,
                                  error=f"no report kernel could be started on {where or 'the worker'} ({exc})")
        outcome = run_report(local_job, scratch, engine=engine, warm_kernel=wk, execution_timeout=timeouts[0],
                             start_timeout=timeouts[1], db_url=db_url)
        ipynb = scratch / f"{job.stem}.ipynb"
        page = scratch / f"{job.stem}.html"
        return RemotePage(
            outcome.ok, where, time.perf_counter() - t0,
            ipynb=_patched_notebook(ipynb, job, str(Path(out_dir) / ipynb.name)) if ipynb.exists() else None,
            html=page.read_text(encoding="utf-8") if outcome.ok and page.exists() else None,
            summary=outcome.summary, error=outcome.error, cell=outcome.cell)
    except Exception as exc:  # a bug of ours: still one failed report, not a lost one
        return RemotePage(False, where, time.perf_counter() - t0, error=f"{type(exc).__name__}: {exc}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


_reaper: list[type] = []


def _build_reaper() -> type:
    """Define :class:`KernelReaper` (a ``distributed.WorkerPlugin``) once, on first use."""
    if _reaper:
        return _reaper[0]
    from distributed import WorkerPlugin

    class KernelReaper(WorkerPlugin):
        """Stops the worker's warm report kernels when the worker closes.

        A worker process ends with ``os._exit`` (no ``atexit``), and its kernels are processes of
        their own: without this they would outlive it.
        """

        idempotent = True

        def teardown(self, worker: Any) -> None:
            """Stop this process's report kernels."""
            n = stop_worker_kernels()
            if n:
                log.info("stopped %d report kernel(s) of worker %s", n, worker.address)

    KernelReaper.__qualname__ = "KernelReaper"
    KernelReaper.__module__ = __name__
    _reaper.append(KernelReaper)
    return KernelReaper


def __getattr__(name: str) -> Any:
    if name == "KernelReaper":  # pickled by reference: workers build the class on unpickling
        return _build_reaper()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --- on the client ----------------------------------------------------------------------------
class DaskExecutor:
    """A connection to a Dask scheduler (or a ``LocalCluster`` it starts) that runs a batch's reports.

    Use as a context manager: entering connects within ``connect_timeout`` seconds (or raises a
    :class:`ConfigError`), waits for at least one worker and registers :class:`KernelReaper`;
    leaving closes the client and a cluster it started.
    """

    def __init__(self, scheduler: str | None = None, *, n_workers: int = 1, connect_timeout: float = 10.0) -> None:
        self.scheduler = scheduler
        self.n_workers = max(1, n_workers)
        self.connect_timeout = connect_timeout
        self.client: Any = None
        self.cluster: Any = None
        self._levels: dict[str, int] = {}

    def __enter__(self) -> "DaskExecutor":
        try:
            self.connect()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def where(self) -> str:
        """The scheduler's address, for messages."""
        return self.scheduler or (self.cluster.scheduler_address if self.cluster is not None else "a LocalCluster")

    def connect(self) -> None:
        """Connect to the scheduler, or start a LocalCluster of single-threaded worker processes on loopback."""
        distributed = import_distributed()
        self._quiet_logs()
        if self.scheduler:
            try:
                self.client = distributed.Client(self.scheduler, timeout=self.connect_timeout, set_as_default=False)
            except (OSError, TimeoutError, ValueError) as exc:
                text = str(exc).strip()
                reason = "" if "Timed out" in text or not text else f" ({text.splitlines()[0]})"
                raise ConfigError(f"cannot reach the Dask scheduler at {self.scheduler} within "
                                  f"{self.connect_timeout:g} s{reason}; start one with `dask scheduler` "
                                  "and its workers with `dask worker ADDRESS`") from None
        else:
            # Processes (each worker its own kernels), one thread each (one warm kernel per worker).
            try:
                self.cluster = distributed.LocalCluster(
                    n_workers=self.n_workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                    dashboard_address=None, scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},  # no dashboard
                    silence_logs=logging.ERROR)
            except (RuntimeError, OSError) as exc:  # "Nanny failed to start": e.g. a script without a main guard
                raise ConfigError(f"could not start a local Dask cluster ({exc}); a script that calls "
                                  "generate_reports(executor='dask') needs `if __name__ == \"__main__\":`") from None
            self.client = distributed.Client(self.cluster, set_as_default=False)
        try:
            self.client.wait_for_workers(1, timeout=max(self.connect_timeout, 1.0))
        except TimeoutError:
            raise ConfigError(f"the Dask scheduler at {self.where} has no workers; start some with "
                              f"`dask worker {self.where}`") from None
        except OSError as exc:  # CommClosedError: the scheduler went away while we waited
            raise ConfigError(f"lost the Dask scheduler at {self.where} while connecting ({exc})") from None
        try:
            self.client.register_plugin(_build_reaper()(), name=PLUGIN_NAME)
        except OSError as exc:
            raise ConfigError(f"lost the Dask scheduler at {self.where} while connecting ({exc})") from None

    def _quiet_logs(self) -> None:
        """Keep distributed's own log records (tracebacks of a lost connection) out of the batch's output.

        What went wrong reaches the user as failure lines or one error; levels come back in :meth:`close`.
        """
        self._levels.clear()
        for name in ["distributed", *[n for n in logging.root.manager.loggerDict if n.startswith("distributed.")]]:
            lg = logging.getLogger(name)
            self._levels[name] = lg.level
            lg.setLevel(logging.CRITICAL)

    def close(self) -> None:
        """Close the client, and the LocalCluster if this executor started it; safe to call twice."""
        client, cluster, self.client, self.cluster = self.client, self.cluster, None, None
        if client is not None:
            with contextlib.suppress(Exception):
                client.close(timeout=self.connect_timeout)
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close(timeout=30)
        for name, level in self._levels.items():
            logging.getLogger(name).setLevel(level)
        self._levels.clear()

    def run(self, planned: Sequence[ReportJob], out: Path, *, engine: str, progress: Progress,
            timeouts: tuple[float, float], db_url: str) -> list[ReportOutcome]:
        """Submit one task per report, write each page into ``out`` as it comes back; one outcome per job."""
        from distributed import as_completed

        db_url = absolute_db_url(db_url)
        templates = {t: t.read_bytes() for t in {j.template for j in planned}}
        batch = uuid.uuid4().hex[:8]
        outcomes: list[ReportOutcome] = []
        try:
            # Task keys carry no one's name (the scheduler's dashboard shows them).
            futures = {self.client.submit(run_on_worker, job, templates[job.template], engine, timeouts, db_url,
                                          str(out), key=f"workbook-report-{batch}-{i}", pure=False): job
                       for i, job in enumerate(planned)}
            for fut in as_completed(futures, loop=self.client.loop):
                job = futures[fut]
                outcome = self._collect(fut, job, out)
                fut.release()
                outcomes.append(outcome)
                progress.add(outcome)
        except OSError:  # the connection to the scheduler broke (CommClosedError): the rest fails below
            pass
        except BaseException:
            progress.close()
            raise
        done = {o.job.stem for o in outcomes}
        for job in planned:  # nothing is lost, whatever happened to the cluster
            if job.stem not in done:
                outcome = ReportOutcome(job, False, error=f"not run: lost the Dask scheduler at {self.where}")
                outcomes.append(outcome)
                progress.add(outcome)
        progress.close()
        return outcomes

    def _collect(self, fut: Any, job: ReportJob, out: Path) -> ReportOutcome:
        """The outcome of one finished task, its files written into ``out``."""
        ipynb, page = out / f"{job.stem}.ipynb", out / f"{job.stem}.html"
        try:
            r: RemotePage = fut.result()
        except (Exception, asyncio.CancelledError) as exc:  # KilledWorker, cancelled (lost scheduler), ...
            # not run to its end: an earlier batch's page stays, as locally for a report that was not run
            return ReportOutcome(job, False, error=self._task_error(exc))
        try:
            if r.ipynb is not None:
                ipynb.write_text(r.ipynb, encoding="utf-8")
            if r.ok and r.html is not None:
                page.write_text(r.html, encoding="utf-8")
                return ReportOutcome(job, True, ipynb, page, summary=r.summary, seconds=r.seconds, worker=r.worker)
        except OSError as exc:  # this page fails, not the batch (as a failed HTML export locally)
            page.unlink(missing_ok=True)
            return ReportOutcome(job, False, None, None, seconds=r.seconds, worker=r.worker,
                                 error=f"cannot write {exc.filename or out}: {exc.strerror or exc}")
        page.unlink(missing_ok=True)
        return ReportOutcome(job, False, ipynb if r.ipynb is not None else None, None, error=r.error, cell=r.cell,
                             seconds=r.seconds, worker=r.worker)

    def _task_error(self, exc: BaseException) -> str:
        """One line for a task that did not come back."""
        name = type(exc).__name__
        if isinstance(exc, (asyncio.CancelledError, concurrent.futures.CancelledError)) \
                or (self.client is not None and self.client.status in ("closing", "closed")):
            return f"lost the Dask scheduler at {self.where}"
        if name == "KilledWorker":
            return f"KilledWorker: the workers running this report died ({self.where})"
        text = str(exc).strip()
        return f"{name}: {text.splitlines()[0]}" if text else name
