"""The CLI: thin, clear messages, no tracebacks, non-zero exits on errors."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from workbook.cli import main

from .conftest import EXAMPLE


def run(db: str, *args: str) -> tuple[int, str]:
    r = CliRunner().invoke(main, ["--db", db, *args])
    return r.exit_code, r.output


def test_init_import_sample_entries(tmp_path: Path) -> None:
    db = str(tmp_path / "wb.db")
    assert run(db, "init")[0] == 0
    code, out = run(db, "cohort", "import", str(EXAMPLE))
    assert code == 0 and "24 added" in out
    code, out = run(db, "cohort", "list")
    assert "example" in out and "24 people" in out
    code, out = run(db, "people", "example", "--role", "coach")
    assert code == 0 and out.count("\n") == 5
    code, out = run(db, "sample", "example", "--weeks", "2")
    assert code == 0 and "entries" in out
    code, out = run(db, "entries", "example", "--person", "p01", "--format", "json")
    rows = json.loads(out)
    assert code == 0 and rows and {r["author_id"] for r in rows} == {"p01"}
    code, out = run(db, "entries", "example", "--format", "csv")
    assert code == 0 and out.startswith("entry_id,cohort_id,author_id")
    assert len(out.splitlines()) > len(rows)  # everyone's entries, not only p01's
    code, out = run(db, "entries", "example")
    assert code == 0 and out.splitlines()[0].split()[:3] == ["entry_id", "created_at", "author_id"]


def test_exercises_commands(tmp_path: Path) -> None:
    code, out = run(str(tmp_path / "x.db"), "exercises", "list")
    assert code == 0 and "gibbs" in out and "sailboat" in out
    code, out = run(str(tmp_path / "x.db"), "exercises", "show", "gibbs")
    assert code == 0 and "Gibbs" in out and "*required" in out
    assert list(tmp_path.iterdir()) == []  # the shipped catalogue needs no database, and none was made


def test_errors_are_one_clear_line_without_traceback(tmp_path: Path) -> None:
    db = str(tmp_path / "wb.db")
    code, out = run(db, "people", "example")
    assert (code, out) == (1, f"Error: no database at {db}; run `workbook init` first, or point --db or "
                              "WORKBOOK_DB_URL at your database\n")
    assert run(db, "init")[0] == 0
    code, out = run(db, "people", "nope")
    assert (code, out) == (1, "Error: cohort 'nope' not found: run `workbook cohort list` to see the cohorts, "
                              "or `workbook cohort import DIR` to add one\n")
    code, out = run(db, "cohort", "import", str(tmp_path / "missing"))
    assert (code, out) == (1, f"Error: {tmp_path / 'missing'} is not a folder; pass the folder holding "
                              "cohort.toml and roster.csv\n")
    code, out = run(db, "exercises", "show", "nope")
    assert (code, out) == (1, "Error: exercise 'nope' not found: run `workbook exercises list` to see the ids\n")
    code, out = run("mysql://x", "cohort", "list")
    assert code == 1 and out.startswith("Error: unsupported database URL scheme 'mysql'") and out.count("\n") == 1


def test_console_script_runs(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "workbook"
    db = str(tmp_path / "a.db")
    r = subprocess.run([str(exe), "--db", db, "cohort", "list"], capture_output=True, text=True)
    assert (r.returncode, r.stdout) == (1, "") and r.stderr.startswith("Error: no database at")
    assert r.stderr.count("\n") == 1 and list(tmp_path.iterdir()) == []
    r = subprocess.run([str(exe), "--db", db, "sample", "example", "--weeks", "0"], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "(see `workbook sample --help`)" in r.stderr
    r = subprocess.run([str(exe), "--db", db, "init"], capture_output=True, text=True)
    assert r.returncode == 0 and "Database ready" in r.stdout
    r = subprocess.run([str(exe), "--db", db, "cohort", "list"], capture_output=True, text=True)
    assert r.returncode == 0 and "No cohorts yet" in r.stdout and r.stderr == ""


def test_entries_listing_keeps_private_text_private(tmp_path: Path) -> None:
    from workbook import Store, import_cohort

    db = str(tmp_path / "wb.db")
    store = Store(db)
    import_cohort(store, EXAMPLE)
    g = {"description": "", "evaluation": "e", "conclusion": "c"}
    for vis in ("private", "coach", "cohort"):
        store.add_entry("example", "p01", "gibbs", {**g, "description": f"MARK-{vis}"}, visibility=vis)
    for fmt in ("json", "csv", "table"):
        code, out = run(db, "entries", "example", "--format", fmt)
        assert code == 0 and "MARK-private" not in out and "MARK-coach" not in out
    assert "MARK-cohort" in run(db, "entries", "example", "--format", "json")[1]
