"""A real Dask cluster on loopback for the Dask tests and benchmarks/reports_dask.py: ``dask scheduler`` and
single-threaded ``dask worker`` processes started here, stopped workers first (they stop their kernels)."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import psutil

BIN = Path(sys.executable).parent


@dataclass
class Cluster:
    """A scheduler and its workers, as processes this run started (``procs[0]`` is the scheduler)."""

    address: str
    procs: list[subprocess.Popen[bytes]]
    logs: Path
    workers: set[str] = field(default_factory=set)

    def kernels(self) -> list[psutil.Process]:
        """The report kernels running under the workers."""
        out = []
        for p in self.procs[1:]:
            try:
                kids = psutil.Process(p.pid).children(recursive=True)
            except psutil.NoSuchProcess:
                continue
            out += [k for k in kids if "ipykernel_launcher" in " ".join(k.cmdline())]
        return out

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM the workers (they close gracefully), then the scheduler; SIGKILL what is left."""
        for p in [*self.procs[1:], self.procs[0]]:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(5)


def wait_for(pred: Callable[[], object], timeout: float, what: str, logs: Path) -> None:
    """Until ``pred()`` is true; else an AssertionError with the end of every log under ``logs``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.2)
    dumped = "\n".join(f"--- {f.name}\n{f.read_text()[-2000:]}" for f in sorted(logs.glob("*.log")))
    raise AssertionError(f"{what} within {timeout} s\n{dumped}")


def start_cluster(base: Path, n_workers: int, *, env: Mapping[str, str] | None = None,
                  workers_timeout: float = 60) -> Cluster:
    """A scheduler on a free loopback port and ``n_workers`` single-threaded workers, logs under ``base``.

    Returns once every worker has joined (the cluster is stopped again if that fails).
    """
    from distributed import Client

    base.mkdir(parents=True, exist_ok=True)
    info = base / "scheduler.json"
    common = ["--no-dashboard", "--dashboard-address", "127.0.0.1:0"]
    cluster = Cluster("", [], base)

    def start(name: str, args: list[str]) -> None:
        log = open(base / f"{name}.log", "wb")  # noqa: SIM115 - closed here; the process keeps its copy
        cluster.procs.append(subprocess.Popen([str(BIN / "dask"), *args, *common], cwd=base,
                                              env=dict(env) if env is not None else None, stdout=log,
                                              stderr=subprocess.STDOUT))
        log.close()

    start("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", "0", "--scheduler-file", str(info)])
    try:
        wait_for(lambda: info.exists() and json.loads(info.read_text() or "{}").get("address"), 30,
                 "no scheduler address", base)
        cluster.address = json.loads(info.read_text())["address"]
        for i in range(1, n_workers + 1):
            start(f"worker{i}", ["worker", cluster.address, "--nthreads", "1", "--nworkers", "1", "--host",
                                 "127.0.0.1", "--name", f"w{i}", "--local-directory", str(base / f"w{i}")])
        with Client(cluster.address, timeout=30, set_as_default=False) as client:
            client.wait_for_workers(n_workers, timeout=workers_timeout)
            cluster.workers = set(client.scheduler_info()["workers"])
    except BaseException:
        cluster.stop()
        raise
    return cluster
