"""Batch reports: privacy by planted canaries (both engines), isolation of pooled kernels, failures, pages.

One small cohort, one batch per engine (module-scoped), many assertions on the same pages.
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from workbook import Store, import_cohort
from workbook.cli import main
from workbook.reports import BatchResult, generate_reports, plan_reports, run_report
from workbook.reports.blocks import Block, table
from workbook.reports.plan import TEMPLATES_DIR, ReportJob
from workbook.sample import DEFAULT_START, generate_sample

from .conftest import drop_pg, new_pg_url

COHORT = "canary"
UNTIL = "2026-10-31"  # a fixed period end: pages do not depend on the clock
ROSTER = """id,name,email,role,coach
f01,Fay Facil,f01@x.example,facilitator,
c01,Cora Coach,c01@x.example,coach,
c02,Carl Coach,c02@x.example,coach,
p01,Pia One,p01@x.example,participant,c01
p02,Per Two,p02@x.example,participant,c01
p03,Pam Three,p03@x.example,participant,c02
p04,Pat Four,p04@x.example,participant,
p05,Pol Five,p05@x.example,participant,
"""
COACHES = {"p01": ["c01"], "p02": ["c01"], "p03": ["c02"], "p04": [], "p05": []}
XSS = "<script>alert('XSS-CANARY')</script>"


def marker(vis: str, pid: str) -> str:
    return f"CANARY-{vis.upper()}-{pid}-Z"


def build_canary(url: str, root: Path) -> None:
    """A 5-person cohort with sample activity, plus entries carrying one unique marker per visibility."""
    d = root / "canary-cohort"
    d.mkdir(exist_ok=True)
    (d / "cohort.toml").write_text('id = "canary"\nname = "Canary cohort"\ntimezone = "Europe/London"\n'
                                   "[privacy]\nmin_group_size = 2\n[checkins]\ncadence_days = 10\n")
    (d / "roster.csv").write_text(ROSTER)
    store = Store(url)
    import_cohort(store, d)
    generate_sample(store, COHORT, seed=11, weeks=3)
    at = DEFAULT_START + dt.timedelta(days=2)
    for pid in COACHES:
        for vis in ("private", "coach", "cohort"):
            store.add_entry(COHORT, pid, "gibbs", {"description": f"{marker(vis, pid)} what happened",
                                                   "evaluation": f"{marker(vis, pid)} went well",
                                                   "conclusion": "learned", "mood": 3}, visibility=vis, created_at=at)
    store.add_entry(COHORT, "p02", "gibbs", {"description": f"{XSS} in the description", "evaluation": "e",
                                             "conclusion": "c"}, visibility="cohort", created_at=at)
    target = store.find_entries(COHORT, author_id="p01", visibility=["coach"])[0]
    store.add_comment(target.id, "c01", "CANARY-DRAFT-Z unreleased comment", at=at + dt.timedelta(hours=1))
    store.add_comment(target.id, "c01", "CANARY-RELEASED-Z released comment", release=True,
                      at=at + dt.timedelta(hours=2))
    store.close()


def allowed(vis: str, pid: str) -> set[str]:
    """The batch pages a marker may appear in.

    The batch writes to the facilitator's disk, so its pages hold only text shared with the
    cohort; private and coach-only text is for the live pages opened with the reader's own key.
    """
    if vis != "cohort":
        return set()
    return {f"participant-{pid}", "cohort"} | {f"mentee-{c}-{pid}" for c in COACHES[pid]}


def pages_with(batch: BatchResult, text: str, suffix: str = ".html") -> set[str]:
    return {p.stem for p in batch.out_dir.glob(f"*{suffix}") if p.stem != "index" and text in p.read_text()}


@pytest.fixture(scope="module")
def canary_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = tmp_path_factory.mktemp("canary")
    url = f"sqlite:///{root / 'wb.db'}"
    build_canary(url, root)
    return url


def _batch(url: str, out: Path, engine: str) -> BatchResult:
    return generate_reports(COHORT, until=UNTIL, jobs=2, engine=engine, out_dir=out, db_url=url, progress=False)


@pytest.fixture(scope="module")
def pool_batch(canary_db: str, jupyter_env: Path, tmp_path_factory: pytest.TempPathFactory) -> BatchResult:
    threads = threading.active_count()
    batch = _batch(canary_db, tmp_path_factory.mktemp("pool"), "pool")
    batch.threads_after = [t.name for t in threading.enumerate()][threads:]  # type: ignore[attr-defined]
    return batch


@pytest.fixture(scope="module")
def papermill_batch(canary_db: str, jupyter_env: Path, tmp_path_factory: pytest.TempPathFactory) -> BatchResult:
    return _batch(canary_db, tmp_path_factory.mktemp("papermill"), "papermill")


@pytest.fixture(scope="module")
def pg_pool_batch(request: pytest.FixtureRequest, jupyter_env: Path,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[BatchResult]:
    url, name = new_pg_url(request.getfixturevalue("pg_template"))
    root = tmp_path_factory.mktemp("pg")
    build_canary(url, root)
    yield _batch(url, root / "out", "pool")
    drop_pg(name)


# --- without kernels --------------------------------------------------------------------------
def test_plan_covers_people_mentees_and_cohort(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'wb.db'}"
    build_canary(url, tmp_path)
    store = Store(url)
    stems = [j.stem for j in plan_reports(store, COHORT)]
    assert stems[0] == "cohort"
    assert {s for s in stems if s.startswith("participant-")} == {f"participant-{p}" for p in COACHES}
    assert {s for s in stems if s.startswith("mentee-")} == {"mentee-c01-p01", "mentee-c01-p02", "mentee-c02-p03"}
    only = [j.stem for j in plan_reports(store, COHORT, kinds=["mentee"], people=["c01"])]
    assert only == ["mentee-c01-p01", "mentee-c01-p02"]
    assert all("db_url" in j.parameters and j.parameters["db_url"] == "" for j in plan_reports(store, COHORT))
    store.close()


def test_blocks_escape_user_text() -> None:
    b = table(["a"], [[XSS]])
    assert "<script>" not in b.html and "&lt;script&gt;" in b.html
    data, meta = Block("<b>x</b>", "x", summary="one line")._repr_mimebundle_()
    assert meta == {"workbook": {"summary": "one line"}} and data["text/plain"] == "x"


def test_report_command_starts_without_papermill() -> None:
    code = ("import sys; from click.testing import CliRunner; from workbook.cli import main; "
            "r = CliRunner().invoke(main, ['report', '--help']); assert r.exit_code == 0, r.output; "
            "assert '--engine' in r.output; print(sorted(m for m in ('papermill', 'nbformat', 'nbconvert', "
            "'pandas', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_bad_dates_and_kinds_are_clean_errors(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'wb.db'}"
    build_canary(url, tmp_path)
    r = CliRunner().invoke(main, ["--db", url, "report", COHORT, "--since", "last week", "--out", str(tmp_path / "o")])
    assert r.exit_code != 0 and "YYYY-MM-DD" in r.output and "Traceback" not in r.output
    r = CliRunner().invoke(main, ["--db", url, "report", COHORT, "--person", "nobody", "--out", str(tmp_path / "o")])
    assert r.exit_code != 0 and "nobody" in r.output


# --- with kernels -----------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("batch_name", ["pool_batch", "papermill_batch",
                                        pytest.param("pg_pool_batch", marks=pytest.mark.postgres)])
def test_canaries_appear_only_where_allowed(batch_name: str, request: pytest.FixtureRequest) -> None:
    batch: BatchResult = request.getfixturevalue(batch_name)
    assert batch.ok, [o.error for o in batch.failed]
    for pid in COACHES:
        for vis in ("private", "coach", "cohort"):
            for suffix in (".html", ".ipynb"):
                assert pages_with(batch, marker(vis, pid), suffix) == allowed(vis, pid), (vis, pid, suffix)
    # both comments are on a coach-only entry, which no batch page shows
    assert pages_with(batch, "CANARY-DRAFT-Z") == set()
    assert pages_with(batch, "CANARY-RELEASED-Z") == set()
    # user text is escaped everywhere it shows
    shown = pages_with(batch, "XSS-CANARY")
    assert shown == {"participant-p02", "mentee-c01-p02", "cohort"}
    for stem in shown:
        page = (batch.out_dir / f"{stem}.html").read_text()
        assert XSS not in page and "&lt;script&gt;alert(" in page


@pytest.mark.slow
def test_pages_are_standalone_and_indexed(pool_batch: BatchResult, jupyter_env: Path) -> None:
    pages = sorted(p.name for p in pool_batch.out_dir.glob("*.html") if p.name != "index.html")
    assert len(pages) == 9
    index = (pool_batch.out_dir / "index.html").read_text()
    for name in pages:
        assert f'href="{name}"' in index
    assert "Pia One (p01)" in index and "entries" in index  # one-line summaries
    page = (pool_batch.out_dir / "participant-p01.html").read_text()
    assert "data:image/png;base64," in page  # the chart is embedded
    import re

    # nothing fetched from the network: the only URLs left are in CSS comments
    assert "<script src=" not in page and "cdnjs" not in page and "import(" not in page
    assert not re.search(r"""(src|href)=["']?https?:""", page)
    assert "ParticipantReport.load" not in page  # no code cells
    nb = nbformat.read(pool_batch.out_dir / "participant-p01.ipynb", as_version=4)
    assert any("parameters" in c.metadata.get("tags", []) or "injected-parameters" in c.metadata.get("tags", [])
               for c in nb.cells)
    # no kernel connection file and no kernel client thread outlives the batch
    assert not list((jupyter_env / "runtime").glob("kernel-*.json"))
    assert pool_batch.threads_after == []  # type: ignore[attr-defined]


@pytest.mark.slow
def test_both_engines_make_the_same_pages(pool_batch: BatchResult, papermill_batch: BatchResult) -> None:
    from workbook.reports.export import page_content

    a = {p.name: page_content(p.read_text()) for p in pool_batch.out_dir.glob("*.html") if p.name != "index.html"}
    b = {p.name: page_content(p.read_text()) for p in papermill_batch.out_dir.glob("*.html") if p.name != "index.html"}
    assert a.keys() == b.keys()
    for name in a:
        assert a[name] == b[name], name


POLLUTER = [
    "import os, sys, warnings\nimport pandas as pd, matplotlib\nsecret_of_previous_person = person_id",
    "pd.set_option('display.max_rows', 3)\nmatplotlib.rcParams['lines.linewidth'] = 9\nos.environ['WB_LEAK'] = '1'",
    "os.chdir('/')\nsys.path.append('/leak')\nwarnings.simplefilter('ignore')",
]
PROBE = [
    "import os, sys, warnings\nimport pandas as pd, matplotlib",
    "names = sorted(n for n in globals() if not n.startswith('_') and n not in "
    "('In', 'Out', 'exit', 'quit', 'get_ipython', 'open', 'person_id', 'os', 'sys', 'warnings', 'pd', 'matplotlib'))\n"
    "print(names, pd.get_option('display.max_rows'), matplotlib.rcParams['lines.linewidth'], os.getcwd(),\n"
    "      os.environ.get('WB_LEAK'), sys.path[-1], len(warnings.filters))",
    "person_id",
]


def _template(path: Path, cells: list[str]) -> Path:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell('person_id: str = ""', metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, path)
    return path


def _outputs(path: Path) -> list[object]:
    nb = nbformat.read(path, as_version=4)
    return [[{k: v for k, v in o.items() if k != "execution_count"} for o in c.outputs] for c in nb.cells]


@pytest.mark.slow
def test_pooled_kernel_is_reset_between_reports(tmp_path: Path, jupyter_env: Path, canary_db: str) -> None:
    """State one report leaves behind (names, options, rcParams, cwd, env, sys.path, warnings) is gone for the next."""
    from workbook.reports.engine import WarmKernel

    polluter = _template(tmp_path / "polluter.ipynb", POLLUTER)
    probe = _template(tmp_path / "probe.ipynb", PROBE)
    pooled, fresh = tmp_path / "pooled", tmp_path / "fresh"
    pooled.mkdir()
    fresh.mkdir()
    a = ReportJob("participant", "a", "a", polluter, {"person_id": "p01"})
    b = ReportJob("participant", "b", "b", probe, {"person_id": "p03"})
    with WarmKernel() as wk:
        assert run_report(a, pooled, warm_kernel=wk).ok
        assert run_report(b, pooled, warm_kernel=wk).ok
        # and the real template: p03's page right after p01's equals p03's page from a fresh kernel
        real = [ReportJob("participant", f"participant-{p}", p, TEMPLATES_DIR / "participant.ipynb",
                          {"cohort_id": COHORT, "person_id": p, "since": "", "until": UNTIL, "db_url": canary_db})
                for p in ("p01", "p03")]
        for job in real:
            assert run_report(job, pooled, warm_kernel=wk).ok
        assert wk.reports == 4
    assert run_report(b, fresh, engine="papermill").ok
    assert run_report(real[1], fresh, engine="papermill").ok
    assert _outputs(pooled / "b.ipynb") == _outputs(fresh / "b.ipynb")
    printed = next(o["text"] for outs in _outputs(pooled / "b.ipynb") for o in outs if "text" in o)  # type: ignore
    assert "[]" in printed and "WB_LEAK" not in printed and "/leak" not in printed
    from workbook.reports.export import page_content

    assert page_content((pooled / "participant-p03.html").read_text()) == \
        page_content((fresh / "participant-p03.html").read_text())
    assert "CANARY-PRIVATE-p01" not in (pooled / "participant-p03.html").read_text()


@pytest.mark.slow
def test_one_failing_report_does_not_stop_the_batch(tmp_path: Path, jupyter_env: Path, canary_db: str) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES_DIR, templates)
    path = templates / "participant.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(2, nbformat.v4.new_code_cell(
        'if person_id == "p03":\n    raise RuntimeError("template broke for p03")'))
    nbformat.write(nb, path)
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["--db", canary_db, "report", COHORT, "--kind", "participant", "--until", UNTIL,
                                  "--jobs", "2", "--out", str(out), "--templates", str(templates), "--quiet"])
    assert r.exit_code == 1, r.output
    pages = sorted(p.stem for p in out.glob("participant-*.html"))
    assert pages == [f"participant-{p}" for p in COACHES if p != "p03"]
    line = 'FAILED participant Pam Three (p03): cell 3 [if person_id == "p03":]: RuntimeError: template broke for p03'
    assert line in r.output
    assert "4 of 5 reports" in r.output
    index = (out / "index.html").read_text()
    assert "failed: cell 3 [if person_id == &quot;p03&quot;:]: RuntimeError" in index
    assert json.loads((out / "participant-p03.ipynb").read_text())["cells"]  # kept for debugging


@pytest.mark.slow
def test_a_stuck_report_times_out_and_the_kernel_is_replaced(tmp_path: Path, jupyter_env: Path) -> None:
    from workbook.reports.engine import WarmKernel

    stuck = ReportJob("participant", "stuck", "stuck", _template(tmp_path / "stuck.ipynb", ["import time\ntime.sleep(60)"]),
                      {"person_id": "p01"})
    fine = ReportJob("participant", "fine", "fine", _template(tmp_path / "fine.ipynb", ["person_id * 2"]),
                     {"person_id": "p02"})
    with WarmKernel() as wk:
        first = wk.km.connection_file
        out = run_report(stuck, tmp_path, warm_kernel=wk, execution_timeout=2)
        assert not out.ok and "Timeout" in (out.error or "") and out.seconds < 30
        assert wk.km.connection_file != first  # a fresh kernel took over
        assert run_report(fine, tmp_path, warm_kernel=wk).ok
    assert not list((jupyter_env / "runtime").glob("kernel-*.json"))


@pytest.mark.slow
def test_each_viewer_may_open_their_generated_pages(pool_batch: BatchResult, canary_db: str) -> None:
    """The live app's rule names pages the batch wrote: the files and the app agree on every name."""
    from workbook.access import Viewer, allowed_reports

    store = Store(canary_db)
    names = lambda who, role: [r.name for r in allowed_reports(store, Viewer(who, COHORT, role))]  # noqa: E731
    assert names("p01", "participant") == ["participant-p01"]
    assert names("c01", "coach") == ["mentee-c01-p01", "mentee-c01-p02"]
    assert names("c02", "coach") == ["mentee-c02-p03"]
    assert names("f01", "facilitator") == ["cohort"]  # never the index: per-person summaries
    for who, role in (("p01", "participant"), ("c01", "coach"), ("c02", "coach"), ("f01", "facilitator")):
        for name in names(who, role):
            assert (pool_batch.out_dir / f"{name}.html").is_file() and (pool_batch.out_dir / f"{name}.ipynb").is_file()
    store.close()


@pytest.mark.slow
def test_batches_leak_no_descriptors(pool_batch: BatchResult, canary_db: str, tmp_path: Path) -> None:
    """Kernel clients, sockets and connection files are all released: a second batch ends where the first did."""
    import gc
    import os

    def open_fds() -> int:
        gc.collect()
        return len(os.listdir("/proc/self/fd"))

    counts = []
    for _ in range(2):
        generate_reports(COHORT, kinds=["participant"], people=["p01", "p02", "p03"], until=UNTIL, jobs=2,
                         out_dir=tmp_path, db_url=canary_db, progress=False)
        counts.append(open_fds())
    assert counts[0] == counts[1]


def test_period_limits_what_a_report_reads(tmp_path: Path) -> None:
    """--since/--until are whole days in the cohort's time zone, both inclusive."""
    from workbook.access import Viewer
    from workbook.errors import ConfigError
    from workbook.reports.views import CohortReport, ParticipantReport

    url = f"sqlite:///{tmp_path / 'wb.db'}"
    build_canary(url, tmp_path)
    store = Store(url)
    own = Viewer("p01", COHORT, "participant")  # the live page: private entries included
    everything = ParticipantReport.load(store, COHORT, "p01", viewer=own)
    day = (DEFAULT_START + dt.timedelta(days=2)).date().isoformat()  # the canaries' day
    one_day = ParticipantReport.load(store, COHORT, "p01", since=day, until=day, viewer=own)
    assert 3 <= len(one_day.entries) < len(everything.entries)
    assert marker("private", "p01") in one_day.journal().html
    later = ParticipantReport.load(store, COHORT, "p01", since="2026-10-10", viewer=own)
    assert marker("private", "p01") not in later.journal().html
    assert marker("cohort", "p01") not in CohortReport.load(store, COHORT, since="2026-10-10").shared_reflections().html
    with pytest.raises(ConfigError, match="after"):
        ParticipantReport.load(store, COHORT, "p01", since="2026-10-10", until="2026-10-01")
    store.close()


@pytest.mark.slow
def test_a_failed_report_leaves_no_exception_for_the_next(tmp_path: Path, jupyter_env: Path) -> None:
    """A report that fails for one person must not leave its exception (and its frames' data) to the next report."""
    from workbook.reports.engine import WarmKernel

    failing = ReportJob("participant", "failing", "failing", _template(
        tmp_path / "failing.ipynb", ["secret = 'CANARY-EXC-' + person_id\nraise ValueError(secret)"]), {"person_id": "p01"})
    probe = ReportJob("participant", "probe", "probe", _template(
        tmp_path / "probe.ipynb", ["import sys\nprint([repr(getattr(sys, n, None)) for n in "
                                   "('last_type', 'last_value', 'last_traceback', 'last_exc')])"]), {"person_id": "p02"})
    with WarmKernel() as wk:
        assert not run_report(failing, tmp_path, warm_kernel=wk).ok
        assert run_report(probe, tmp_path, warm_kernel=wk).ok
    printed = json.dumps(_outputs(tmp_path / "probe.ipynb"))
    assert "CANARY-EXC" not in printed and "ValueError" not in printed, printed


def test_period_end_and_dates_are_the_cohorts_days(tmp_path: Path) -> None:
    """--until is the last day (inclusive) in the cohort's time zone; dates shown are the cohort's dates."""
    from workbook.access import Viewer
    from workbook.reports.views import MenteeReport, ParticipantReport

    url = f"sqlite:///{tmp_path / 'wb.db'}"
    build_canary(url, tmp_path)
    store = Store(url)
    own, coach = Viewer("p01", COHORT, "participant"), Viewer("c01", COHORT, "coach")  # live pages: see everything
    # p01 wrote in the weeks of 28 Sep, 5 Oct and 12 Oct; 19-25 Oct has no entry. Ending the period
    # on Saturday 24 or Sunday 25 Oct (the same week) must give the same current streak.
    streaks = {u: ParticipantReport.load(store, COHORT, "p01", until=u, viewer=own)._streak().current
               for u in ("2026-10-24", "2026-10-25")}
    assert streaks == {"2026-10-24": 3, "2026-10-25": 3}
    # a check-in at 00:30 London time (23:30 UTC the day before) is dated by London's calendar
    at = dt.datetime(2026, 10, 20, 23, 30, tzinfo=dt.timezone.utc)
    ex = store.exercise("mentorship-checkin", COHORT)
    answers = {p.id: {"text": "x", "list": ["x"], "scale": 3}.get(p.type, p.options[0] if p.options else "x")
               for p in ex.prompts if p.required}
    store.add_entry(COHORT, "p01", "mentorship-checkin", answers, visibility="coach", created_at=at)
    rep = MenteeReport.load(store, COHORT, "p01", "c01", until="2026-10-25", viewer=coach)
    cad = rep.cadence().text
    assert "2026-10-21" in cad and "2026-10-20" not in cad, cad
    # the open gap runs to the period's last day, 25 Oct: 4 days, not 5
    assert list(rep._cadence()["days"])[-1] == 4
    store.close()


def test_page_names_of_two_coaches_never_collide(tmp_path: Path) -> None:
    """Ids may contain '-': coach ann/mentee lee-kim and coach ann-lee/mentee kim need two pages, not one."""
    from workbook.access import Viewer
    from workbook.access import allowed_reports

    d = tmp_path / "c"
    d.mkdir()
    (d / "cohort.toml").write_text('id = "dash"\nname = "Dash"\ntimezone = "UTC"\n')
    (d / "roster.csv").write_text("id,name,email,role,coach\nann,Ann,a@x.example,coach,\nann-lee,Ann Lee,al@x.example,coach,\n"
                                  "lee-kim,Lee Kim,lk@x.example,participant,ann\nkim,Kim,k@x.example,participant,ann-lee\n")
    store = Store(f"sqlite:///{tmp_path / 'wb.db'}")
    import_cohort(store, d)
    stems = [j.stem for j in plan_reports(store, "dash", kinds=["mentee"])]
    assert len(set(stems)) == 2, stems
    # the live app and the files agree on the names
    live = {r.name for c in ("ann", "ann-lee") for r in allowed_reports(store, Viewer(c, "dash", "coach"))}
    assert live == set(stems)
    store.close()


def test_open_gap_of_a_past_period_ends_on_its_last_day_not_now(tmp_path: Path) -> None:
    from workbook.access import Viewer
    from workbook.reports.views import MenteeReport

    url = f"sqlite:///{tmp_path / 'wb.db'}"
    build_canary(url, tmp_path)
    store = Store(url)
    coach = Viewer("c01", COHORT, "coach")
    past = MenteeReport.load(store, COHORT, "p01", "c01", until="2026-10-25", viewer=coach).cadence().text
    assert "now" not in past and "2026-10-25 (end of period)" in past, past
    assert "now (no check-in yet)" in MenteeReport.load(store, COHORT, "p01", "c01", viewer=coach).cadence().text
    store.close()
