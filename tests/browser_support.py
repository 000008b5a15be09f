"""Helpers for the browser tests and the forms benchmark: a `workbook serve` subprocess and Chromium.

Chromium is Debian's (``/usr/bin/chromium``), driven by Playwright's Python package; Playwright's
own browser download is never used.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("WORKBOOK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    """A TCP port free on the loopback interface right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 60.0, home: str = "/") -> None:
    """Wait until something answers HTTP on ``port`` at ``home`` (or the process died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"workbook serve exited with {proc.returncode}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{home}", timeout=2).read()  # the home page
            return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.2)
    raise TimeoutError(f"nothing listening on port {port} after {timeout} s")


@dataclass
class Server:
    """A running `workbook serve`."""

    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str) -> tuple[int, bytes]:
        """Status and body of a GET (errors included)."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=30) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()


def server_env(workdir: Path, db_url: str) -> dict[str, str]:
    """An environment keeping Jupyter's and IPython's state inside ``workdir``."""
    env = dict(os.environ)
    for var, sub in (("JUPYTER_RUNTIME_DIR", "runtime"), ("JUPYTER_DATA_DIR", "data"), ("IPYTHONDIR", "ipython"),
                     ("MPLCONFIGDIR", "mpl"), ("JUPYTER_CONFIG_DIR", "config")):
        env[var] = str(workdir / sub)
    env["WORKBOOK_DB_URL"] = db_url
    env["PYTHONUNBUFFERED"] = "1"
    return env


@contextmanager
def running_server(workdir: Path, db_url: str, *extra: str, port: int | None = None,
                   home: str = "/") -> Iterator[Server]:
    """Start ``workbook serve`` on a free loopback port; stop it (SIGTERM, then kill) afterwards.

    ``home``: where its home page answers (the ``--base-url`` prefix, if one is in ``extra``)."""
    port = port or free_port()
    log = workdir / f"serve-{port}.log"
    exe = shutil.which("workbook", path=str(Path(sys.executable).parent)) or "workbook"
    with log.open("wb") as fh:
        proc = subprocess.Popen([exe, "serve", "--port", str(port), *extra], stdout=fh, stderr=subprocess.STDOUT,
                                env=server_env(workdir, db_url), cwd=str(workdir))
    try:
        wait_for_port(port, proc, home=home)
        yield Server(proc, port, log)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def kernel_pids(server: Server) -> set[int]:
    """The pids of the server's live kernel processes.

    Processes that exit while we look (zombies, vanished) are skipped rather than failing the count:
    a kernel being shut down is not a live kernel.
    """
    import psutil

    try:
        children = psutil.Process(server.proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return set()
    pids = set()
    for p in children:
        try:
            if p.status() != psutil.STATUS_ZOMBIE and "ipykernel" in " ".join(p.cmdline()):
                pids.add(p.pid)
        except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
            continue
    return pids


def launch_chromium(playwright: Any) -> Any:
    """Headless Debian Chromium."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def fill_prompt(page: Any, prompt: Any, text: str) -> None:
    """Answer one prompt in the browser, whatever its type (text, list, scale, choice)."""
    box = page.locator(f".wb-prompt-{prompt.id}")
    if prompt.type == "text":
        box.locator("textarea").fill(text)
    elif prompt.type == "list":
        if prompt.column:
            box.locator("input[type=text]").first.fill(text)
        else:
            box.locator("textarea").fill(f"{text}\nsecond item")
    elif prompt.type == "scale":
        box.locator("button", has_text=str(prompt.scale_max)).first.click()
    else:
        box.locator("input[type=radio]").first.check()


def wait_for_form(page: Any, timeout: float = 90_000) -> None:
    """Wait until the form is interactive: an enabled Save button (or a page message)."""
    page.wait_for_selector(".wb-submit:not([disabled]), .wb-page-message, .wb-journal", timeout=timeout)
