"""Reports on a Dask cluster (issue 12): a real ``dask scheduler`` and two ``dask worker`` processes on loopback.

One cluster for the module (started here, stopped by the last test, which checks that the
workers' warm kernels go with them). The canary cohort of tests/test_reports.py on PostgreSQL
(the documented cluster setup) runs once through the cluster and once through the local pool:
same pages, both workers used, canaries only where allowed. The privacy cohort of
tests/test_reports_privacy.py goes through the real ``workbook report --executor dask`` command;
a failing template gives the local pool's failure line and exit code (SQLite file); an
unreachable scheduler is one ``Error:`` line and writes nothing.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import nbformat
import psutil
import pytest
from click.testing import CliRunner

from workbook.cli import main
from workbook.reports import BatchResult, generate_reports
from workbook.reports.export import page_content
from workbook.reports.plan import TEMPLATES_DIR

from . import test_reports as canary
from . import test_reports_privacy as privacy
from .browser_support import free_port
from .conftest import drop_pg, new_pg_url
from .dask_support import BIN, Cluster, start_cluster

if not os.environ.get("CI"):  # CI installs the dask extra (Makefile); elsewhere it may be missing
    pytest.importorskip("distributed")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster(jupyter_env: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """``dask scheduler`` on a free loopback port and two single-threaded ``dask worker`` s."""
    # With jupyter_env's folders in the environment: the workers' kernels use them too.
    c = start_cluster(tmp_path_factory.mktemp("dask"), 2, env=dict(os.environ))
    try:
        yield c
    finally:
        c.stop()


@pytest.fixture(scope="module")
def pg_canary(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The canary cohort of tests/test_reports.py and the privacy cohort of test_reports_privacy.py, on PostgreSQL."""
    url, name = new_pg_url(request.getfixturevalue("pg_template"))
    root = tmp_path_factory.mktemp("pg-canary")
    canary.build_canary(url, root)
    privacy.build(url, root)
    yield url
    drop_pg(name)


@pytest.fixture(scope="module")
def sqlite_canary(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The canary cohort on a SQLite file (one machine: the workers see the same file)."""
    root = tmp_path_factory.mktemp("sqlite-canary")
    url = f"sqlite:///{root / 'wb.db'}"
    canary.build_canary(url, root)
    return url


@pytest.fixture(scope="module")
def dask_batch(cluster: Cluster, pg_canary: str, tmp_path_factory: pytest.TempPathFactory) -> BatchResult:
    return generate_reports(canary.COHORT, until=canary.UNTIL, out_dir=tmp_path_factory.mktemp("dask-out"),
                            db_url=pg_canary, progress=False, executor="dask", scheduler=cluster.address)


@pytest.fixture(scope="module")
def local_batch(pg_canary: str, jupyter_env: Path, tmp_path_factory: pytest.TempPathFactory) -> BatchResult:
    return generate_reports(canary.COHORT, until=canary.UNTIL, jobs=2, out_dir=tmp_path_factory.mktemp("local-out"),
                            db_url=pg_canary, progress=False)


def _outputs(path: Path) -> list[object]:
    nb = nbformat.read(path, as_version=4)
    return [[{k: v for k, v in o.items() if k != "execution_count"} for o in c.get("outputs", [])]
            for c in nb.cells if c.cell_type == "code"]


@pytest.mark.postgres
def test_cluster_pages_equal_the_local_pools(dask_batch: BatchResult, local_batch: BatchResult) -> None:
    assert dask_batch.ok and local_batch.ok, [o.error for o in dask_batch.failed + local_batch.failed]
    assert dask_batch.executor == "dask"
    a = {p.name: page_content(p.read_text()) for p in dask_batch.out_dir.glob("*.html") if p.name != "index.html"}
    b = {p.name: page_content(p.read_text()) for p in local_batch.out_dir.glob("*.html") if p.name != "index.html"}
    assert len(a) == 9 and a.keys() == b.keys()
    for name in a:
        assert a[name] == b[name], name
        stem = name.removesuffix(".html")
        assert _outputs(dask_batch.out_dir / f"{stem}.ipynb") == _outputs(local_batch.out_dir / f"{stem}.ipynb")
    # the executed notebook records the client's paths, not a worker's scratch folder
    meta = nbformat.read(dask_batch.out_dir / "cohort.ipynb", as_version=4).metadata["papermill"]
    assert meta["input_path"] == str(TEMPLATES_DIR / "cohort.ipynb")
    assert meta["output_path"] == str(dask_batch.out_dir / "cohort.ipynb")
    index = (dask_batch.out_dir / "index.html").read_text()
    assert all(f'href="{name}"' in index for name in a) and "Pia One (p01)" in index


@pytest.mark.postgres
def test_both_workers_took_reports(dask_batch: BatchResult, cluster: Cluster) -> None:
    assert {o.worker for o in dask_batch.outcomes} == cluster.workers


@pytest.mark.postgres
def test_canaries_hold_on_the_cluster(dask_batch: BatchResult) -> None:
    for pid in canary.COACHES:
        for vis in ("private", "coach", "cohort"):
            for suffix in (".html", ".ipynb"):
                assert canary.pages_with(dask_batch, canary.marker(vis, pid), suffix) == canary.allowed(vis, pid)
    assert canary.pages_with(dask_batch, "CANARY-DRAFT-Z") == set()
    assert canary.pages_with(dask_batch, "CANARY-RELEASED-Z") == set()
    for stem in canary.pages_with(dask_batch, "XSS-CANARY"):
        assert canary.XSS not in (dask_batch.out_dir / f"{stem}.html").read_text()


@pytest.mark.postgres
def test_report_command_on_the_cluster(cluster: Cluster, pg_canary: str, tmp_path: Path) -> None:
    """`workbook report --executor dask --scheduler ...` end to end; no file holds a private or coach-only canary."""
    out = tmp_path / "reports"
    r = subprocess.run([str(BIN / "workbook"), "--db", pg_canary, "report", privacy.COHORT, "--until", privacy.UNTIL,
                        "--executor", "dask", "--scheduler", cluster.address, "--out", str(out)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "6 of 6 reports" in r.stdout and "executor dask on" in r.stdout
    assert "6/6" in r.stderr  # the progress bar, as with the local pool
    assert "Traceback" not in r.stderr
    files = {p.name: p.read_text(encoding="utf-8") for p in out.rglob("*") if p.is_file()}
    assert {"index.html", "participant-p01.html", "participant-p01.ipynb", "mentee-c01-p01.html"} <= files.keys()
    for name, text in files.items():
        for forbidden in privacy.forbidden():
            assert forbidden not in text, (forbidden, name)
        for vis in ("private", "coach"):
            assert not privacy.has_number(text, privacy.NUMBER[vis]), (vis, name)
    for canary_text in privacy.texts("cohort"):
        assert canary_text in files["participant-p01.html"]
    assert privacy.BATCH_COUNT in files["participant-p01.html"]


def test_a_failing_report_fails_as_in_the_local_pool(cluster: Cluster, sqlite_canary: str, jupyter_env: Path,
                                                      tmp_path: Path) -> None:
    """The same FAILED line and exit code 1 from the cluster and the local pool (a SQLite file this time)."""
    url = sqlite_canary
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES_DIR, templates)
    nb = nbformat.read(templates / "participant.ipynb", as_version=4)
    nb.cells.insert(2, nbformat.v4.new_code_cell(
        'if person_id == "p03":\n    raise RuntimeError("template broke for p03")'))
    nbformat.write(nb, templates / "participant.ipynb")
    args = ["--db", url, "report", canary.COHORT, "--kind", "participant", "--person", "p02", "--person", "p03",
            "--until", canary.UNTIL, "--templates", str(templates), "--quiet"]
    local = CliRunner().invoke(main, [*args, "--jobs", "1", "--out", str(tmp_path / "local")])
    remote = CliRunner().invoke(main, [*args, "--executor", "dask", "--scheduler", cluster.address,
                                       "--out", str(tmp_path / "dask")])
    line = 'FAILED participant Pam Three (p03): cell 3 [if person_id == "p03":]: RuntimeError: template broke for p03'
    for r in (local, remote):
        assert r.exit_code == 1, r.output
        assert line in r.output and "1 of 2 reports" in r.output
    for where in ("local", "dask"):
        pages = sorted(p.stem for p in (tmp_path / where).glob("participant-*.html"))
        assert pages == ["participant-p02"]
        assert (tmp_path / where / "participant-p03.ipynb").exists()  # kept for debugging, as locally
        assert "failed: cell 3" in (tmp_path / where / "index.html").read_text()


def test_without_a_scheduler_a_local_cluster_runs_the_reports(sqlite_canary: str, jupyter_env: Path,
                                                               tmp_path: Path) -> None:
    """`--executor dask` alone starts a LocalCluster (worker processes spawned from the `workbook` command)."""
    out = tmp_path / "out"
    runtime = Path(os.environ["JUPYTER_RUNTIME_DIR"])
    before = set(runtime.glob("kernel-workbook-*.json"))
    r = subprocess.run([str(BIN / "workbook"), "--db", sqlite_canary, "report", canary.COHORT, "--kind", "participant",
                        "--person", "p01", "--until", canary.UNTIL, "--executor", "dask", "--jobs", "1",
                        "--out", str(out), "--quiet"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 of 1 reports" in r.stdout and "executor dask on 1 worker(s)" in r.stdout
    assert r.stderr == ""
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "participant-p01.html", "participant-p01.ipynb"]
    # the LocalCluster's worker stopped its kernel when the command closed the cluster
    assert set(runtime.glob("kernel-workbook-*.json")) == before


def test_an_unreachable_scheduler_is_one_error_and_writes_nothing(sqlite_canary: str, tmp_path: Path) -> None:
    url = sqlite_canary
    out = tmp_path / "out"
    address = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    r = CliRunner().invoke(main, ["--db", url, "report", canary.COHORT, "--executor", "dask", "--scheduler", address,
                                  "--connect-timeout", "1", "--out", str(out)])
    assert r.exit_code == 1
    assert r.output.strip() == (f"Error: cannot reach the Dask scheduler at {address} within 1 s; start one with "
                                "`dask scheduler` and its workers with `dask worker ADDRESS`")
    assert not out.exists()
    r = CliRunner().invoke(main, ["--db", url, "report", canary.COHORT, "--scheduler", address, "--out", str(out)])
    assert r.exit_code == 1 and "needs the dask executor" in r.output and not out.exists()


def test_without_dask_installed_one_clear_error(sqlite_canary: str, tmp_path: Path) -> None:
    """`workbook` imports no dask; `--executor dask` without the extra says what to install."""
    url = sqlite_canary
    code = ("import sys\n"
            "import workbook, workbook.cli, workbook.reports, workbook.reports.cluster\n"
            "assert not [m for m in ('dask', 'distributed') if m in sys.modules]\n"
            "sys.modules['distributed'] = None  # as if the extra were not installed\n"
            "workbook.cli.main(sys.argv[1:])\n")
    r = subprocess.run([sys.executable, "-c", code, "--db", url, "report", canary.COHORT, "--executor", "dask",
                        "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1, r.stderr
    assert r.stderr.startswith("Error: the dask executor needs Dask: install workbook[dask]"), r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and not (tmp_path / "out").exists()


def test_each_worker_keeps_one_warm_kernel_and_stops_it(cluster: Cluster, sqlite_canary: str, tmp_path: Path) -> None:
    """Last (it stops the cluster): one kernel per worker across batches, not one per report; gone with the workers."""
    url = sqlite_canary
    batch = generate_reports(canary.COHORT, until=canary.UNTIL, out_dir=tmp_path / "out", db_url=url, progress=False,
                             executor="dask", scheduler=cluster.address)
    assert batch.ok and len(batch.outcomes) == 9 and {o.worker for o in batch.outcomes} == cluster.workers
    kernels = cluster.kernels()
    assert len(kernels) == 2, [k.cmdline() for k in kernels]
    runtime = Path(os.environ["JUPYTER_RUNTIME_DIR"])
    assert len(list(runtime.glob("kernel-workbook-*.json"))) == 2
    cluster.stop()
    gone, alive = psutil.wait_procs(kernels, timeout=15)
    assert alive == [] and len(gone) == 2
    assert list(runtime.glob("kernel-workbook-*.json")) == []
