"""`workbook session ...`: open, list, step, close and export a retro from the command line."""
from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner

from workbook import Store, retro
from workbook.access import Viewer
from workbook.cli import main

from .conftest import EXAMPLE


def run(db: str, *args: str) -> tuple[int, str]:
    r = CliRunner().invoke(main, ["--db", db, *args])
    return r.exit_code, r.output


def _db(tmp_path: Path) -> str:
    db = str(tmp_path / "wb.db")
    assert run(db, "init")[0] == 0
    assert run(db, "cohort", "import", str(EXAMPLE))[0] == 0
    return db


def test_session_open_list_phase_close_export(tmp_path: Path) -> None:
    db = _db(tmp_path)
    code, out = run(db, "session", "list", "example")
    assert code == 0 and "No retro sessions" in out
    code, out = run(db, "session", "open", "example", "--exercise", "start-stop-continue", "--title", "Sprint 14 retro",
                    "--closes", "2099-01-01 17:00")
    assert code == 0 and "Opened retro session 1 ('Sprint 14 retro'" in out and "phase write" in out, out
    code, out = run(db, "session", "open", "example", "--exercise", "start-stop-continue")
    assert code == 1 and out.startswith("Error: a retro of this template is already running") and "force" in out
    assert out.count("\n") == 1
    code, out = run(db, "session", "open", "example", "--exercise", "start-stop-continue", "--force")
    assert code == 0 and "session 2" in out
    code, out = run(db, "session", "list", "example")
    assert code == 0 and out.splitlines()[0].startswith("2\trunning\twrite")
    assert "Sprint 14 retro" in out.splitlines()[1]
    store = Store(f"sqlite:///{db}")
    retro.add_card(store, Viewer("p01", "example", "participant"), 1, "start", "Demo Fridays")
    store.close()
    code, out = run(db, "session", "phase", "example", "1", "vote")
    assert code == 0 and "phase vote (timer: 2:00)" in out
    code, out = run(db, "session", "phase", "example", "1", "dance")
    assert code == 1 and out.startswith("Error: unknown phase") and "review, write" in out
    code, out = run(db, "session", "export", "example", "1", "--out", str(tmp_path / "out"))
    assert code == 1 and "still running" in out
    code, out = run(db, "session", "close", "example", "1")
    assert code == 0 and "Closed retro session 1" in out
    code, out = run(db, "session", "list", "example")
    assert out.splitlines()[1].startswith("1\tclosed\tclosed")
    code, out = run(db, "session", "export", "example", "1", "--out", str(tmp_path / "out"))
    assert code == 0 and "retro-1.md" in out and "retro-1.csv" in out
    md = (tmp_path / "out" / "retro-1.md").read_text()
    assert md.startswith("# Sprint 14 retro") and "- Demo Fridays — 0 votes" in md
    rows = list(csv.DictReader((tmp_path / "out" / "retro-1.csv").open()))
    [row] = rows
    assert (row["kind"], row["text"], row["votes"], row["author"]) == ("card", "Demo Fridays", "0", "")
    assert row["column"] and row["column"] != "start"  # the column's title, not its id


def test_session_bad_input_is_one_error_line(tmp_path: Path) -> None:
    db = _db(tmp_path)
    cases = [
        (["session", "open", "example", "--exercise", "nope"], "nope"),
        (["session", "open", "example", "--exercise", "gibbs"], "not a retro template"),
        (["session", "open", "example", "--exercise", "4ls", "--closes", "next friday"], "not a date and time"),
        (["session", "open", "example", "--exercise", "4ls", "--closes", "2001-01-01 10:00"], "not in the future"),
        (["session", "open", "nowhere", "--exercise", "4ls"], "nowhere"),
        (["session", "close", "example", "12"], "session"),
        (["session", "close", "example", "twelve"], "not a session id"),
    ]
    for args, needle in cases:
        code, out = run(db, *args)
        assert code != 0 and out.startswith("Error:") and needle in out and "Traceback" not in out, (args, out)
    assert run(db, "session", "list", "example")[1].startswith("No retro sessions")
