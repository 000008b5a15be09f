"""The built wheel installs into a fresh virtualenv and works from any directory (issue 8).

The wheel is built from a copy of the checkout (nothing is written into the work tree),
installed into a new venv (its dependencies are this test run's, checked with ``pip check``), and run
from a folder outside the checkout
with a clean environment (its own HOME, no Jupyter or Python path variables): ``workbook
init``, ``cohort import``, ``sample``, ``report`` and ``serve`` find their migrations,
templates and forms inside the installed package, and their kernels are the venv's Python.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

from .browser_support import Server, kernel_pids
from .conftest import EXAMPLE, ROOT

pytestmark = pytest.mark.slow

#: Variables that would point the venv at the checkout or at the developer's Jupyter state.
_DROP = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "IPYTHONDIR", "MPLCONFIGDIR", "WORKBOOK_DB_URL",
         "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTER_PATH", "JUPYTER_PREFER_ENV_PATH")


def build_wheel(tmp: Path) -> Path:
    """``pip wheel`` of a copy of the checkout's package sources (build/ and egg-info stay out of the tree)."""
    src = tmp / "source"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "src", src / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc"))
    dist = tmp / "dist"
    # Build isolation: the build backend comes from pyproject's [build-system], not from the test's venv.
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(src)],
                   check=True, timeout=300)
    (wheel,) = dist.glob("workbook-*.whl")
    return wheel


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_get(url: str, timeout: float = 60) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def test_wheel_installs_and_runs_outside_the_checkout(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    py, bindir = venv / "bin" / "python", venv / "bin"
    # The wheel itself, installed by pip; its dependencies are this test run's (a path file), not a second
    # download and unpacking of ~100 packages (two minutes of the suite). `pip check` then proves that the
    # wheel's declared requirements are what it runs with.
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    deps = [p for p in sys.path if p.endswith("site-packages")]
    (Path(site) / "test-dependencies.pth").write_text("\n".join(deps) + "\n")
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--no-deps", str(wheel)], check=True, timeout=600)
    check = subprocess.run([str(py), "-m", "pip", "check"], capture_output=True, text=True, timeout=120)
    assert "workbook" not in check.stdout, check.stdout  # every requirement of the wheel is met
    # The dependencies' Jupyter data (nbconvert's and Voila's templates, lab extensions) as their install
    # put it under the venv's prefix; kernel specs stay the venv's own.
    shared = Path(sys.prefix) / "share" / "jupyter"
    mine = venv / "share" / "jupyter"
    mine.mkdir(parents=True, exist_ok=True)
    for entry in shared.iterdir() if shared.is_dir() else ():
        if entry.name != "kernels" and not (mine / entry.name).exists():
            (mine / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())

    work = tmp_path / "work"  # cwd of every command: outside the checkout, no notebooks/ or cohorts/ here
    (work / "home").mkdir(parents=True)
    shutil.copytree(EXAMPLE, work / "example")
    env = {k: v for k, v in os.environ.items() if k not in _DROP}
    env.update(HOME=str(work / "home"), WORKBOOK_DB_URL=str(work / "wb.db"), MPLBACKEND="Agg",
               PATH=f"{bindir}{os.pathsep}{env.get('PATH', '')}")

    def run(*args: str, timeout: float = 300) -> str:
        proc = subprocess.run(list(args), cwd=work, env=env, capture_output=True, text=True, timeout=timeout)
        assert proc.returncode == 0, f"{args}: {proc.stdout[-2000:]}{proc.stderr[-3000:]}"
        return proc.stdout + proc.stderr

    where = run(str(py), "-c", "import workbook; print(workbook.__file__)").strip()
    assert Path(where).is_relative_to(venv) and str(ROOT) not in where, where

    run(str(bindir / "workbook"), "init")
    assert "24 added" in run(str(bindir / "workbook"), "cohort", "import", "example")
    run(str(bindir / "workbook"), "sample", "example", "--weeks", "2")

    # A python3 kernel spec of another interpreter found first on JUPYTER_PATH (here: one that
    # cannot run anything) does not capture the batch: report kernels are the `workbook` command's
    # interpreter, with both engines.
    shadow = work / "shared-jupyter"
    (shadow / "kernels" / "python3").mkdir(parents=True)
    (shadow / "kernels" / "python3" / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-c", "raise SystemExit('not the workbook kernel')", "{connection_file}"],
        "display_name": "another Python", "language": "python"}))
    env["JUPYTER_PATH"] = str(shadow)
    for engine in ("pool", "papermill"):
        out = run(str(bindir / "workbook"), "report", "example", "--jobs", "1", "--kind", "participant",
                  "--person", "p01", "--person", "p02", "--engine", engine)
        assert "2 of 2 reports" in out, out
    del env["JUPYTER_PATH"]  # Voila (serve) resolves python3 itself: not this part's subject
    pages = work / "reports" / "example"
    assert (pages / "index.html").is_file()
    assert "Reflection report" in (pages / "participant-p01.html").read_text(encoding="utf-8")

    run(str(bindir / "workbook"), "invite", "example", "--person", "p01", "--out", str(work / "links.csv"))
    key = next(line for line in (work / "links.csv").read_text().splitlines() if "reflection.ipynb" in line)
    key = key.split("key=", 1)[1].split("&", 1)[0].split(",", 1)[0]

    port = free_port()
    log = (work / "serve.log").open("w")
    server = subprocess.Popen([str(bindir / "workbook"), "serve", "--port", str(port)], cwd=work, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    kernels: list[psutil.Process] = []
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, (work / "serve.log").read_text()
            try:
                http_get(base + "/", timeout=5)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                assert time.monotonic() < deadline, (work / "serve.log").read_text()
                time.sleep(0.5)
        status, _ = http_get(base + "/voila/render/reflection.ipynb")
        assert status < 500, status
        status, page = http_get(f"{base}/voila/render/reflection.ipynb?key={key}&exercise=gibbs")
        assert status == 200, page[-2000:]
        assert "application/vnd.jupyter.widget-view+json" in page  # the form's widgets were built by a kernel
        # by pid, skipping processes that exit or turn zombie while we look (psutil.ZombieProcess)
        kernels = [psutil.Process(pid) for pid in kernel_pids(Server(server, port, work / "serve.log"))]
        assert kernels, "no kernel process"
        for k in kernels:  # the venv's interpreter (a symlink to the base Python, so compare paths, not targets)
            assert Path(k.cmdline()[0]).is_relative_to(venv) or Path(k.cmdline()[0]) == py, k.cmdline()
    finally:
        server.send_signal(signal.SIGTERM)  # as Ctrl-C: serve stops Voila, which shuts its kernels down
        try:
            server.wait(timeout=60)
        finally:
            if server.poll() is None:
                server.kill()
            for k in kernels:
                if k.is_running():
                    k.kill()
            log.close()
    text = (work / "serve.log").read_text()
    assert "Traceback" not in text and "missing" not in text.lower() and "not found" not in text.lower(), text
