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
    assert rows and {r["author_id"] for r in rows} == {"p01"}
    code, out = run(db, "entries", "example", "--format", "csv")
    assert out.startswith("entry_id,cohort_id,author_id")
    code, out = run(db, "entries", "example")
    assert "exercise_id" in out


def test_exercises_commands(tmp_path: Path) -> None:
    code, out = run(str(tmp_path / "x.db"), "exercises", "list")
    assert code == 0 and "gibbs" in out and "sailboat" in out
    code, out = run(str(tmp_path / "x.db"), "exercises", "show", "gibbs")
    assert "Gibbs" in out and "*required" in out


def test_errors_are_one_clear_line_without_traceback(tmp_path: Path) -> None:
    db = str(tmp_path / "wb.db")
    code, out = run(db, "people", "nope")
    assert code == 1 and "cohort 'nope' not found" in out and "Traceback" not in out
    code, out = run(db, "cohort", "import", str(tmp_path / "missing"))
    assert code == 1 and "is not a folder" in out
    code, out = run(db, "exercises", "show", "nope")
    assert code == 1 and "workbook exercises list" in out
    code, out = run("mysql://x", "cohort", "list")
    assert code == 1 and "unsupported database URL" in out


def test_console_script_runs(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "workbook"
    r = subprocess.run([str(exe), "--db", str(tmp_path / "a.db"), "cohort", "list"], capture_output=True, text=True)
    assert r.returncode == 0 and "No cohorts yet" in r.stdout


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
