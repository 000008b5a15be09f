"""The warm-kernel papermill engine: reuse one running kernel per worker thread across reports.

Registered as the ``workbook_pool`` papermill engine (pyproject entry point). papermill loads
that entry point while ``papermill.engines`` is still being imported, so ``PoolEngine`` is built
on first access (module ``__getattr__``): importing this module never imports papermill, and
whichever of the two is imported first, there is no circular import.

Why an engine and not ``papermill.execute_notebook(km=...)``: passing ``km`` makes nbclient
create (and leak) a new kernel client per call. :class:`PoolEngine` hands nbclient the kernel
manager *and* its one client, so nothing is created or torn down per report (that handoff, and
everything else here that reaches into Jupyter internals, is in :mod:`workbook.jupyter_compat`),
and resets the kernel's namespace before each report so no person's data reaches the next one.
"""
from __future__ import annotations

import contextlib
import functools
import logging
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: ``--HistoryManager.hist_file=:memory:``: a long-lived kernel must not grow (or lock) an SQLite history file.
KERNEL_ARGS = ["--HistoryManager.hist_file=:memory:",
               # the kernel's own start-up chatter (e.g. "running over TCP without encryption") would
               # print once per kernel into the batch's output; its errors still show
               "--IPKernelApp.log_level=ERROR"]
#: The environment variable through which a report kernel learns the batch's database URL.
DB_URL_ENV = "WORKBOOK_DB_URL"
PREPARE = '__import__("workbook.reports.kernel", fromlist=["_"]).prepare()'
RESET = '__import__("workbook.reports.kernel", fromlist=["_"]).reset()'


@functools.cache
def kernel_manager_class() -> type:
    """The kernel manager of report kernels, whose ``python3`` is always the interpreter running the batch.

    A batch must run the workbook of the command that started it. By name, ``python3`` is the
    first such kernel spec Jupyter finds: a user's ``ipykernel install --user`` of another Python
    would shadow a wheel install's own interpreter (whose kernels then cannot import workbook, or
    import another copy). Other kernel names are looked up as usual.
    """
    from ipykernel.kernelspec import RESOURCES, get_kernel_dict
    from jupyter_client.kernelspec import NATIVE_KERNEL_NAME, KernelSpec, KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import Dict, default

    class ThisPythonKernelSpecs(KernelSpecManager):
        """Kernel specs in which ``python3`` is this interpreter's ipykernel."""

        def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
            """This interpreter for ``python3``, the usual lookup for any other name."""
            if kernel_name == NATIVE_KERNEL_NAME:
                return self.kernel_spec_class(resource_dir=RESOURCES, **get_kernel_dict())
            return super().get_kernel_spec(kernel_name)

    class ReportKernelManager(AsyncKernelManager):
        """An AsyncKernelManager resolving kernel names through :class:`ThisPythonKernelSpecs`,
        whose kernel gets ``kernel_env`` added to its environment (and keeps it across restarts)."""

        kernel_env = Dict(config=True, help="Variables added to the kernel's environment (never to this process's).")

        @default("kernel_spec_manager")
        def _kernel_spec_manager_default(self) -> KernelSpecManager:
            return ThisPythonKernelSpecs(data_dir=self.data_dir)

        async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]
            """Start the kernel with ``kernel_env`` on top of the environment it would get."""
            if self.kernel_env:
                kw["env"] = {**kw.get("env", os.environ), **self.kernel_env}
            await super().start_kernel(**kw)

    return ReportKernelManager


def kernel_env(db_url: str) -> dict[str, str]:
    """The variables a report kernel needs on top of the batch's environment: the database URL, if given.

    Through the kernel's environment and never a notebook parameter: the URL may carry a password,
    and parameters are written into the executed notebooks.
    """
    return {DB_URL_ENV: db_url} if db_url else {}


def kernel_config(db_url: str) -> Any:
    """Config for papermill's own engine: its fresh kernel per report gets :func:`kernel_env` too."""
    from traitlets.config import Config

    return Config({"ReportKernelManager": {"kernel_env": kernel_env(db_url)}})


class KernelStartError(RuntimeError):
    """A pooled kernel could not be started (twice)."""


class WarmKernel:
    """One running kernel and its one client, owned by the thread that starts it.

    Use as a context manager (or call :meth:`start` / :meth:`shutdown`): shutdown stops the
    channels, the kernel process and removes its connection file. Its reports read ``db_url``
    (empty: what the kernel's inherited environment says; see :func:`kernel_env`).
    """

    def __init__(self, kernel_name: str = "python3", *, start_timeout: float = 60.0, db_url: str = "") -> None:
        self.kernel_name = kernel_name
        self.start_timeout = start_timeout
        self.db_url = db_url
        self.km: Any = None
        self.kc: Any = None
        self.reports = 0
        self.killed = False

    def __enter__(self) -> "WarmKernel":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    def start(self) -> None:
        """Start the kernel and warm it up; a kernel that dies at start is retried once."""
        if self.killed:  # its owner is going away (see kill): a report's restart must not start another
            raise KernelStartError("the report kernel was stopped because its worker is closing")
        for attempt in (1, 2):
            try:
                self._start()
                return
            except Exception as exc:  # "Kernel died before replying to kernel_info", port clashes, timeouts
                self.shutdown()
                if attempt == 2:
                    raise KernelStartError(f"could not start a report kernel ({type(exc).__name__}: {exc})") from exc
                log.warning("report kernel failed to start (%s); retrying once", exc)
                time.sleep(0.5)

    def _start(self) -> None:
        from jupyter_core.paths import jupyter_runtime_dir
        from jupyter_core.utils import run_sync

        # The connection file goes to Jupyter's runtime folder (JUPYTER_RUNTIME_DIR), not $TMPDIR,
        # so the batch's writes stay where CI allows them and a leak would be visible there.
        runtime = Path(jupyter_runtime_dir())
        runtime.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.km = kernel_manager_class()(kernel_name=self.kernel_name, kernel_env=kernel_env(self.db_url),
                                         connection_file=str(runtime / f"kernel-workbook-{uuid.uuid4().hex}.json"))
        run_sync(self.km.start_kernel)(extra_arguments=list(KERNEL_ARGS))
        self.kc = self.km.client()
        self.kc.start_channels()
        run_sync(self.kc.wait_for_ready)(timeout=self.start_timeout)
        self.kc.allow_stdin = False
        self.run_silent(PREPARE, timeout=self.start_timeout)

    @property
    def alive(self) -> bool:
        """Whether the kernel process is running."""
        from jupyter_core.utils import run_sync

        return self.km is not None and bool(run_sync(self.km.is_alive)())

    def run_silent(self, code: str, timeout: float = 30.0) -> None:
        """Execute ``code`` without history, output or ``Out`` entries; raise if it fails."""
        from jupyter_core.utils import run_sync

        run_sync(self._run_silent)(code, timeout)

    async def _run_silent(self, code: str, timeout: float) -> None:
        msg_id = self.kc.execute(code, silent=True, store_history=False, allow_stdin=False)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"the report kernel did not answer within {timeout:.0f} s")
            reply = await self.kc.get_shell_msg(timeout=left)
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                break
        content = reply["content"]
        if content.get("status") != "ok":
            raise RuntimeError(f"{content.get('ename')}: {content.get('evalue')}")

    def reset(self) -> None:
        """Clean namespace and process state for the next report."""
        self.run_silent(RESET)

    def restart(self) -> None:
        """Replace a stuck or dead kernel by a fresh warm one."""
        self.shutdown()
        self.start()

    def kill(self, grace: float = 5.0) -> None:
        """Stop the kernel process from any thread and remove its connection file; safe to call twice.

        For when the owning thread cannot call :meth:`shutdown` (its client's sockets belong to that
        thread's event loop): a Dask worker closing from its own event loop. SIGTERM, then SIGKILL
        after ``grace`` seconds. A killed kernel does not start again.
        """
        import subprocess

        self.killed = True
        km, self.kc, self.km = self.km, None, None
        if km is None:
            return
        proc = getattr(getattr(km, "provisioner", None), "process", None)
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(grace)
        with contextlib.suppress(OSError):
            os.remove(km.connection_file)

    def shutdown(self) -> None:
        """Stop the client and the kernel and remove the connection file; safe to call twice."""
        from jupyter_core.utils import run_sync

        from ..jupyter_compat import release_kernel_resources

        kc, km, self.kc, self.km = self.kc, self.km, None, None
        if kc is not None:
            try:
                kc.stop_channels()
            except Exception:  # pragma: no cover - best effort on a broken kernel
                pass
        if km is not None:
            try:
                if run_sync(km.is_alive)():
                    run_sync(km.shutdown_kernel)(now=False)
            except Exception:  # pragma: no cover
                try:
                    run_sync(km.shutdown_kernel)(now=True)
                except Exception:
                    pass
            finally:
                try:
                    release_kernel_resources(km)
                except Exception:  # pragma: no cover
                    pass


_local = threading.local()


def thread_kernel(kernel_name: str = "python3", start_timeout: float = 60.0) -> WarmKernel:
    """The calling thread's warm kernel (started on first use), for plain ``papermill -e workbook_pool``."""
    wk = getattr(_local, "kernel", None)
    if wk is None or not wk.alive:
        wk = WarmKernel(kernel_name, start_timeout=start_timeout)
        wk.start()
        _local.kernel = wk
        import atexit

        atexit.register(wk.shutdown)
    return wk


_engine_class: list[type] = []


def _build_engine() -> type:
    """Define :class:`PoolEngine` (a papermill ``NBClientEngine``) once, on first use."""
    if _engine_class:
        return _engine_class[0]
    # May re-enter this function through papermill's entry-point loading: NBClientEngine is
    # defined before papermill registers entry points, and the cache below keeps one class.
    from papermill.engines import NBClientEngine

    if _engine_class:
        return _engine_class[0]

    class PoolEngine(NBClientEngine):
        """papermill engine executing on a warm kernel instead of starting one per notebook.

        Pass ``warm_kernel=`` (a :class:`WarmKernel` owned by the calling thread) through
        ``papermill.execute_notebook(..., engine_name="workbook_pool", warm_kernel=wk)``; without
        it the calling thread's own kernel is started on first use and kept.
        """

        @classmethod
        def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, log_output: bool = False,
                                     stdout_file: Any = None, stderr_file: Any = None, start_timeout: float = 60,
                                     execution_timeout: float | None = None, warm_kernel: WarmKernel | None = None,
                                     **kwargs: Any) -> Any:
            """Execute ``nb_man.nb`` on the warm kernel after resetting it (see :func:`~workbook.jupyter_compat.execute_on_kernel`)."""
            from ..jupyter_compat import execute_on_kernel

            wk = warm_kernel or thread_kernel(kernel_name or "python3", start_timeout)
            wk.reset()
            try:
                return execute_on_kernel(nb_man, wk.km, wk.kc, wk.kernel_name, log_output=log_output,
                                         stdout_file=stdout_file, stderr_file=stderr_file, start_timeout=start_timeout,
                                         execution_timeout=execution_timeout, log=log, **kwargs)
            finally:
                wk.reports += 1

    PoolEngine.__qualname__ = "PoolEngine"
    _engine_class.append(PoolEngine)
    return PoolEngine


def __getattr__(name: str) -> Any:
    if name == "PoolEngine":
        return _build_engine()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
