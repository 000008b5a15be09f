"""Bad input, as a new user or an attacker would give it: every case exits non-zero with one clear
``Error:`` line that says what to do, leaves no file or folder behind and changes nothing in the
database (SQLite and PostgreSQL).

The tests run as root, so "a file we may not read" is made with things that fail for root too: a
folder where a file should be, a pipe, ``/proc/self/mem`` (reading it fails with an I/O error),
a folder under ``/sys`` (nobody may create files there).
"""
from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from workbook import Store, StoreError, ValidationError, access
from workbook.cli import main

from .conftest import EXAMPLE, PG_ADMIN_URL, _pg_admin, dump

CONTROL = ["\x00", "\x1b", "\x7f", "\x85", "\x08"]  # NUL, ESC, DEL, a C1 control, backspace


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def one_error(r: Result, code: int | None = None) -> str:
    """The single ``Error: ...`` line of a failed command."""
    assert r.exit_code != 0, r.output
    if code is not None:
        assert r.exit_code == code, r.output
    lines = r.output.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), r.output
    assert "Traceback" not in r.output and "Internal error" not in r.output
    return lines[0]


def first_error(r: Result) -> list[str]:
    """The lines of a failed command that lists several problems under its ``Error:`` line."""
    assert r.exit_code == 1, r.output
    lines = r.output.splitlines()
    assert lines[0].startswith("Error: ") and all(line.startswith("  - ") for line in lines[1:]), r.output
    assert "Traceback" not in r.output
    return lines


def tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- the database: only `init` and `db upgrade` create one ---------------------------------------------

READ_COMMANDS = [
    ["cohort", "list"], ["people", "example"], ["exercises", "list", "--cohort", "example"], ["entries", "example"],
    ["sample", "example"], ["invite", "example"], ["invite", "example", "--revoke", "p01"], ["match", "example"],
    ["export", "example", "--out", "{tmp}/out.csv"], ["erase", "example", "p01", "--yes"],
    ["report", "example", "--out", "{tmp}/reports"], ["serve"], ["cohort", "import", str(EXAMPLE)],
]


@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_missing_database_is_never_created(tmp_path: Path, command: list[str]) -> None:
    work = tmp_path / "work"
    work.mkdir()
    db = work / "no" / "such" / "dir" / "x.db"
    line = one_error(cli("--db", f"sqlite:///{db}", *[a.format(tmp=work) for a in command]), 1)
    assert line == f"Error: no database at {db}; run `workbook init` first, or point --db or WORKBOOK_DB_URL at your database"
    assert tree(work) == set()


def test_a_relative_missing_database_is_not_created_either(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert "no database at no/such/dir/x.db" in one_error(cli("--db", "sqlite:///no/such/dir/x.db", "cohort", "list"))
    assert "no database at workbook.db" in one_error(cli("people", "example"))  # the default ./workbook.db
    assert tree(tmp_path) == set()


def test_store_create_false_makes_no_folder_and_no_file(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no database at .*workbook init"):
        Store(str(tmp_path / "a" / "b.db"), create=False)
    with pytest.raises(StoreError, match="no database"):
        Store(f"sqlite:///{tmp_path / 'c.db'}", create=False)
    assert tree(tmp_path) == set()


def test_init_and_db_upgrade_create_folders_and_the_database(tmp_path: Path) -> None:
    for command in (["init"], ["db", "upgrade"]):
        db = tmp_path / command[-1] / "deeper" / "wb.db"
        r = cli("--db", str(db), *command)
        assert r.exit_code == 0, r.output
        assert db.is_file()
        r = cli("--db", str(db), "cohort", "list")
        assert r.exit_code == 0 and "No cohorts yet" in r.output


def test_a_path_with_url_characters_is_still_that_path(tmp_path: Path) -> None:
    """'?', '#' and '%' in a folder name stay in the path (pasted into a URL, '?' began a query string)."""
    db = tmp_path / "odd ?x=1#frag%41" / "wb.db"
    r = cli("--db", str(db), "init")
    assert r.exit_code == 0 and r.output.startswith(f"Database ready at {db} ("), r.output
    assert tree(tmp_path) == {"odd ?x=1#frag%41", "odd ?x=1#frag%41/wb.db"}
    assert cli("--db", str(db), "cohort", "list").exit_code == 0


def test_a_folder_is_not_a_database(tmp_path: Path) -> None:
    for command in (["cohort", "list"], ["init"], ["people", "example"]):
        line = one_error(cli("--db", str(tmp_path), *command), 1)
        assert line == f"Error: {tmp_path} is a folder, not a database file; pass a file path such as {tmp_path / 'workbook.db'}"
    assert tree(tmp_path) == set()


def test_a_file_on_the_way_to_the_database_is_refused_by_init(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    line = one_error(cli("--db", str(tmp_path / "notes.txt" / "sub" / "wb.db"), "init"), 1)
    assert line == f"Error: {tmp_path / 'notes.txt'} is a file, not a folder; pick another path for the database"
    assert tree(tmp_path) == {"notes.txt"} and (tmp_path / "notes.txt").read_text() == "mine"


def test_a_file_that_is_not_a_database_is_left_alone(tmp_path: Path) -> None:
    f = tmp_path / "notes.db"
    f.write_bytes(b"my shopping list, not a database\n" * 10)
    before = digest(f)
    for command in (["init"], ["db", "upgrade"], ["cohort", "list"], ["people", "example"]):
        line = one_error(cli("--db", str(f), *command), 1)
        assert line == (f"Error: {f} is not a SQLite database; point --db or WORKBOOK_DB_URL at a workbook database, "
                        "or at a new file for `workbook init`")
    assert digest(f) == before and tree(tmp_path) == {"notes.db"}


def test_an_empty_file_is_reported_empty_and_left_empty(tmp_path: Path) -> None:
    f = tmp_path / "empty.db"
    f.touch()
    for command in (["cohort", "list"], ["invite", "example"]):
        assert one_error(cli("--db", str(f), *command), 1) == f"Error: database {f} is empty; run `workbook init` first"
    assert f.stat().st_size == 0 and tree(tmp_path) == {"empty.db"}
    assert cli("--db", str(f), "init").exit_code == 0  # init may fill it


def test_another_applications_database_is_not_touched(tmp_path: Path) -> None:
    f = tmp_path / "invoices.db"
    conn = sqlite3.connect(f)
    conn.execute("CREATE TABLE invoices (id INTEGER, total REAL)")
    conn.execute("INSERT INTO invoices VALUES (1, 9.5)")
    conn.commit()
    conn.close()
    before = digest(f)
    for command in (["init"], ["db", "upgrade"], ["cohort", "list"]):
        line = one_error(cli("--db", str(f), *command), 1)
        assert "holds tables but no workbook schema revision" in line
    assert digest(f) == before and tree(tmp_path) == {"invoices.db"}


def test_a_pipe_is_not_opened_as_a_database(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    line = one_error(cli("--db", str(tmp_path / "pipe"), "cohort", "list"), 1)
    assert line == f"Error: {tmp_path / 'pipe'} is not a regular file; pass the path of a workbook database file"


@pytest.mark.parametrize("url, words", [
    ("mysql://root@localhost/wb", "unsupported database URL scheme 'mysql'"),
    ("postgresql+psycopg://pat:s3cret@localhost:port/wb", "is not a database URL"),
    ("sqlite://somehost/wb.db", "names a host, but SQLite is a file"),
    ("", "the database URL is empty"),
])
def test_bad_database_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, words: str) -> None:
    monkeypatch.chdir(tmp_path)
    for command in (["init"], ["cohort", "list"]):
        line = one_error(cli("--db", url, *command), 1)
        assert words in line and "s3cret" not in line
    assert tree(tmp_path) == set()


@pytest.mark.postgres
def test_postgresql_that_is_missing_or_empty(pg_template: str) -> None:
    missing = sa.make_url(PG_ADMIN_URL).set(database=f"wb_missing_{uuid.uuid4().hex[:8]}")
    line = one_error(cli("--db", missing.render_as_string(hide_password=False), "cohort", "list"), 1)
    assert line.startswith(f"Error: cannot connect to {missing.render_as_string()}") and "does not exist" in line
    assert "check the address in --db or WORKBOOK_DB_URL" in line
    admin = _pg_admin()
    assert admin is not None
    name = f"wb_empty_{uuid.uuid4().hex[:8]}"
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        url = sa.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        assert "is empty; run `workbook init` first" in one_error(cli("--db", url, "people", "example"), 1)
        eng = sa.create_engine(url)
        with eng.connect() as c:  # read-only commands made no tables
            assert sa.inspect(c).get_table_names() == []
        eng.dispose()
    finally:
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


# --- options ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, words", [
    (["sample", "example", "--weeks", "0"], "'--weeks': 0 is not in the range"),
    (["sample", "example", "--weeks", "many"], "'--weeks'"),
    (["sample", "example", "--seed", "-1"], "'--seed'"),
    (["invite", "example", "--expires", "nan"], "'nan' is not a number of days"),
    (["invite", "example", "--expires", "-2"], "'--expires'"),
    (["invite", "example", "--expires", "inf"], "'--expires'"),
    (["invite", "example", "--role", "boss"], "'boss' is not one of"),
    (["serve", "--port", "0"], "'--port': 0 is not in the range"),
    (["serve", "--port", "70000"], "'--port'"),
    (["serve", "--expect", "-1"], "'--expect'"),
    (["serve", "--expect", "fifty"], "'--expect'"),
    (["serve", "--release-after", "0"], "'--release-after'"),
    (["serve", "--cull-idle", "-5"], "'--cull-idle'"),
    (["report", "example", "--jobs", "0"], "'--jobs'"),
    (["report", "example", "--kind", "everything"], "'everything' is not one of"),
    (["people"], "Missing argument 'COHORT_ID'"),
    (["no-such-command"], "No such command 'no-such-command'"),
])
def test_bad_options_are_one_line_with_where_to_look(example: Store, args: list[str], words: str) -> None:
    before = dump(example)
    line = one_error(cli("--db", example.url, *args), 2)
    assert words in line and "--help`)" in line
    assert dump(example) == before


@pytest.mark.parametrize("args, words", [
    (["people", "nope"], "cohort 'nope' not found"),
    (["sample", "nope"], "cohort 'nope' not found"),
    (["match", "nope"], "cohort 'nope' not found"),
    (["match", "example", "--weights", "skills=lots"], "'lots' is not a number"),
    (["match", "example", "--max-tz-gap", "nan"], "max_tz_gap"),
    (["match", "example", "--exclude", "p01"], "is not a pair"),
    (["invite", "nope"], "cohort 'nope' not found"),
    (["invite", "example", "--person", "nobody"], "member 'example/nobody' not found"),
    (["invite", "example", "--revoke", "nobody"], "member 'example/nobody' not found"),
    (["invite", "example", "--exercise", "nope"], "exercise 'nope' not found"),
    (["invite", "example", "--session", "999"], "session 999 not found"),
    (["invite", "example", "--base-url", "ftp://x"], "is not a web address"),
    (["report", "nope", "--out", "{tmp}/r"], "cohort 'nope' not found"),
    (["report", "example", "--since", "2026-13-01", "--out", "{tmp}/r"], "YYYY-MM-DD"),
    (["report", "example", "--person", "nobody", "--out", "{tmp}/r"], "nobody"),
    (["export", "nope", "--out", "{tmp}/x.csv"], "cohort 'nope' not found"),
    (["export", "example", "--person", "nobody", "--out", "{tmp}/x.json"], "member 'example/nobody' not found"),
    (["erase", "example", "nobody", "--yes"], "member 'example/nobody' not found"),
    (["exercises", "show", "nope"], "exercise 'nope' not found"),
    (["exercises", "list", "--cohort", "nope"], "cohort 'nope' not found"),
])
def test_unknown_names_and_bad_values(example: Store, tmp_path: Path, args: list[str], words: str) -> None:
    before = dump(example)
    line = one_error(cli("--db", example.url, *[a.format(tmp=tmp_path) for a in args]), 1)
    assert words in line
    assert dump(example) == before and tree(tmp_path) <= {"workbook.db", "workbook.db-wal", "workbook.db-shm"}


def test_erase_without_yes_is_one_line(example: Store) -> None:
    before = dump(example)
    r = CliRunner().invoke(main, ["--db", example.url, "erase", "example", "p01"], input="")
    assert one_error(r, 2) == ("Error: erasing cannot be undone: pass --yes to confirm "
                               "(see `main erase --help`).")
    assert dump(example) == before


# --- --out: into a missing folder, onto a folder, where nobody may write --------------------------------

@pytest.mark.parametrize("command, kind", [
    (["invite", "example", "--person", "p01", "--out"], "file"),
    (["export", "example", "--out"], "file"),
    (["export", "example", "--person", "p01", "--out"], "file"),
    (["report", "example", "--out"], "folder"),
])
def test_out_into_a_missing_folder_makes_nothing(example: Store, tmp_path: Path, command: list[str],
                                                 kind: str) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    key = access.issue_token(example, "example", "p01")
    before = dump(example)
    target = out_dir / "missing" / "deeper" / ("links.csv" if kind == "file" else "pages")
    line = one_error(cli("--db", example.url, *command, str(target)), 2)
    assert f"folder {target.parent} does not exist; create it first or write somewhere else" in line
    assert tree(out_dir) == set() and dump(example) == before
    assert access.authenticate(example, key).person_id == "p01"  # the old link still works


def test_out_onto_a_folder_or_a_file(example: Store, tmp_path: Path) -> None:
    before = dump(example)
    assert "is a directory" in one_error(cli("--db", example.url, "invite", "example", "--out", str(tmp_path)), 2)
    assert "is a directory" in one_error(cli("--db", example.url, "export", "example", "--out", str(tmp_path)), 2)
    f = tmp_path / "a-file"
    f.write_text("x")
    assert "is a file" in one_error(cli("--db", example.url, "report", "example", "--out", str(f)), 2)
    assert dump(example) == before and f.read_text() == "x"


def _sys_folder() -> Path | None:
    """A folder under /sys: creating a file there fails even for root."""
    folder = Path("/sys/kernel")
    if not folder.is_dir():
        return None
    try:
        (folder / f"probe-{uuid.uuid4().hex}").open("w").close()
    except OSError:
        return folder
    return None  # pragma: no cover - a writable /sys: this check cannot be made here


def test_invite_out_where_nobody_may_write_replaces_no_link(example: Store) -> None:
    folder = _sys_folder()
    if folder is None:
        pytest.skip("no folder that refuses root here")
    key = access.issue_token(example, "example", "p01")
    before = dump(example)
    target = folder / "links.csv"
    line = one_error(cli("--db", example.url, "invite", "example", "--person", "p01", "--out", str(target)), 1)
    assert line.startswith(f"Error: cannot use {target} (") and "check the path and its permissions" in line
    assert dump(example) == before  # no key was replaced: the link already sent keeps working
    assert access.authenticate(example, key).person_id == "p01"



@pytest.mark.parametrize("args", [["--format", "csv"], ["--format", "xapi"], ["--format", "parquet"],
                                  ["--person", "p01"]])
def test_export_where_nobody_may_write(example: Store, args: list[str]) -> None:
    folder = _sys_folder()
    if folder is None:
        pytest.skip("no folder that refuses root here")
    before = dump(example)
    line = one_error(cli("--db", example.url, "export", "example", *args, "--out", str(folder / "export.out")), 1)
    assert str(folder / "export.out") in line and "Permission denied" in line
    after = dump(example)
    if "xapi" in args:  # the cohort's pseudonym key is made on first use, before the file is opened
        after.pop("pseudonym_keys"), before.pop("pseudonym_keys")
    assert after == before  # no export recorded that did not happen


def test_invite_that_fails_after_the_out_check_leaves_no_file(example: Store, tmp_path: Path) -> None:
    before = dump(example)
    out = tmp_path / "links.csv"
    one_error(cli("--db", example.url, "invite", "example", "--person", "nobody", "--out", str(out)), 1)
    assert not out.exists() and dump(example) == before


# --- the cohort folder -----------------------------------------------------------------------------------

def cohort_dir(tmp_path: Path) -> Path:
    d = tmp_path / "cohort-x"
    shutil.copytree(EXAMPLE, d)
    return d


def import_fails(store: Store, folder: Path) -> str:
    """Import ``folder`` through the CLI, expect one error line, and prove nothing changed."""
    before = dump(store)
    line = one_error(cli("--db", store.url, "cohort", "import", str(folder)), 1)
    assert dump(store) == before
    return line


def test_a_cohort_folder_without_roster(example: Store, tmp_path: Path) -> None:
    d = cohort_dir(tmp_path)
    (d / "roster.csv").unlink()
    line = import_fails(example, d)
    assert line.startswith(f"Error: {d / 'roster.csv'} is missing: roster.csv: create it with the columns: id, name")
    (d / "cohort.toml").unlink()
    assert "cohort.toml is missing" in import_fails(example, d)


def test_a_folder_where_the_roster_should_be(example: Store, tmp_path: Path) -> None:
    d = cohort_dir(tmp_path)
    (d / "roster.csv").unlink()
    (d / "roster.csv").mkdir()
    assert import_fails(example, d) == (f"Error: cannot read {d / 'roster.csv'} (Is a directory); nothing was "
                                        "imported: make it a readable file and import again")
    d2 = cohort_dir(tmp_path / "2")
    (d2 / "cohort.toml").unlink()
    (d2 / "cohort.toml").mkdir()
    assert import_fails(example, d2).startswith(f"Error: cannot read {d2 / 'cohort.toml'} (Is a directory)")


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux /proc")
def test_a_roster_the_system_refuses_to_read(example: Store, tmp_path: Path) -> None:
    """An OSError that happens as root too (reading /proc/self/mem from its start is an I/O error):
    the same path a PermissionError takes, naming the file and the system's reason."""
    d = cohort_dir(tmp_path)
    (d / "roster.csv").unlink()
    (d / "roster.csv").symlink_to("/proc/self/mem")
    assert import_fails(example, d) == (f"Error: cannot read {d / 'roster.csv'} (Input/output error); nothing "
                                        "was imported: make it a readable file and import again")
    (d / "roster.csv").unlink()
    (d / "roster.csv").symlink_to(d / "roster.csv")  # a link to itself
    assert "Too many levels of symbolic links" in import_fails(example, d)


def test_a_pipe_as_roster_does_not_hang(example: Store, tmp_path: Path) -> None:
    d = cohort_dir(tmp_path)
    (d / "roster.csv").unlink()
    os.mkfifo(d / "roster.csv")
    assert "is not a regular file" in import_fails(example, d)


def test_a_roster_that_is_not_utf8(example: Store, tmp_path: Path) -> None:
    d = cohort_dir(tmp_path)
    text = (EXAMPLE / "roster.csv").read_text(encoding="utf-8").replace("Amara Okafor", "Amára Okafor")
    (d / "roster.csv").write_bytes(text.encode("latin-1"))
    line = import_fails(example, d)
    assert line == ("Error: roster.csv is not UTF-8 text; nothing was imported: line 2, encoding: byte 0xe1 is not "
                    "UTF-8: save the file as UTF-8 (in a spreadsheet: 'CSV UTF-8') and import again")


def test_a_cohort_toml_with_a_syntax_error(example: Store, tmp_path: Path) -> None:
    d = cohort_dir(tmp_path)
    (d / "cohort.toml").write_text('name = Northwind\ntimezone = "UTC"\n', encoding="utf-8")
    line = import_fails(example, d)
    assert line.startswith("Error: cohort.toml is not valid TOML; nothing was imported: toml: Invalid value")
    assert "(at line 1, column 8)" in line and "strings need quotes" in line


def test_a_cohort_toml_with_wrong_types(example: Store, tmp_path: Path) -> None:
    d = cohort_dir(tmp_path)
    (d / "cohort.toml").write_text(
        'id = 7\nname = 5\ntimezone = 3\nretro = 3\n'
        '[privacy]\nmin_group_size = "5"\ndefault_visibility = ["coach"]\n'
        '[checkins]\ncadence_days = 1.5\n', encoding="utf-8")
    before = dump(example)
    lines = first_error(cli("--db", example.url, "cohort", "import", str(d)))
    assert dump(example) == before
    assert lines[0] == "Error: cohort.toml has problems; nothing was imported"
    fields = [line.split(":")[0] for line in lines[1:]]
    assert fields == ["  - id", "  - name", "  - timezone", "  - retro", "  - privacy.min_group_size",
                      "  - privacy.default_visibility", "  - checkins.cadence_days"]


def test_cohort_settings_that_json_cannot_hold(example: Store, tmp_path: Path) -> None:
    d = cohort_dir(tmp_path)
    toml = (EXAMPLE / "cohort.toml").read_text(encoding="utf-8")
    (d / "cohort.toml").write_text(toml + "\n[extra]\nratio = nan\n", encoding="utf-8")
    assert "extra.ratio: nan is not a number that can be stored" in import_fails(example, d)
    # A TOML date is kept as its ISO text (JSON has no dates), on both databases.
    (d / "cohort.toml").write_text(toml.replace("[privacy]", "starts = 2026-09-01\n\n[privacy]"), encoding="utf-8")
    assert cli("--db", example.url, "cohort", "import", str(d)).exit_code == 0
    assert example.get_cohort("cohort-x").settings["starts"] == "2026-09-01"


@pytest.mark.parametrize("char", CONTROL)
@pytest.mark.parametrize("column, old, new", [
    ("name", "Amara Okafor", "Amara{c}Okafor"),
    ("email", "amara.okafor@northwind.example", "amara{c}@northwind.example"),
    ("skills", "facilitation|workshop design", "facilitation|work{c}shop"),
    ("manager", "c01,Daniel Reyes,daniel.reyes@northwind.example,coach,,stakeholder management|negotiation|SQL,"
                "people leadership|product strategy,America/Mexico_City,Spanish|English,4,m-ops",
     "c01,Daniel Reyes,daniel.reyes@northwind.example,coach,,stakeholder management|negotiation|SQL,"
     "people leadership|product strategy,America/Mexico_City,Spanish|English,4,m-o{c}ps"),
])
def test_control_characters_in_the_roster(example: Store, tmp_path: Path, char: str, column: str, old: str,
                                          new: str) -> None:
    d = cohort_dir(tmp_path)
    text = (EXAMPLE / "roster.csv").read_text(encoding="utf-8")
    assert old in text
    (d / "roster.csv").write_text(text.replace(old, new.format(c=char)), encoding="utf-8")
    line = import_fails(example, d)
    row = 2 if column != "manager" else 3
    assert line.startswith(f"Error: roster.csv has 1 problem(s); nothing was imported: line {row}, {column}: "
                           f"contains a control character (U+{ord(char):04X}")
    assert char not in line  # never echoed raw to the terminal


def test_the_roster_may_hold_tab_and_line_breaks(example: Store, tmp_path: Path) -> None:
    d = cohort_dir(tmp_path)
    text = (EXAMPLE / "roster.csv").read_text(encoding="utf-8")
    (d / "roster.csv").write_text(text.replace(",people leadership|product strategy,",
                                               ',"people\tleadership\r\nproduct strategy",'), encoding="utf-8")
    r = cli("--db", example.url, "cohort", "import", str(d))
    assert r.exit_code == 0, r.output
    assert example.get_membership("cohort-x", "c01").aspirations == ("people\tleadership\r\nproduct strategy",)


def test_a_terminal_never_gets_raw_escapes_from_a_roster(example: Store, tmp_path: Path) -> None:
    d = cohort_dir(tmp_path)
    text = (EXAMPLE / "roster.csv").read_text(encoding="utf-8")
    (d / "roster.csv").write_text(text.replace("manager\n", "manager,\x1b[2Jwipe\n", 1), encoding="utf-8")
    before = dump(example)
    r = cli("--db", example.url, "cohort", "import", str(d))
    assert r.exit_code == 1 and "\x1b" not in r.output and "\\x1b[2jwipe: unknown column" in r.output
    assert dump(example) == before


@pytest.mark.parametrize("toml_line, problem", [
    ('name = "North\\u0000wind"', "name: contains a control character (U+0000 NUL) at position 6"),
    ('name = "Northwind"\nmotto = "\\u001b[31mred"', "motto: contains a control character (U+001B ESC) at position 1"),
    ('name = "Northwind"\n"odd\\u0000key" = 1', "odd\\x00key: the name contains a control character (U+0000 NUL) "
                                               "at position 4"),
])
def test_control_characters_in_cohort_toml(example: Store, tmp_path: Path, toml_line: str, problem: str) -> None:
    d = cohort_dir(tmp_path)
    (d / "cohort.toml").write_text(toml_line + '\ntimezone = "Europe/London"\n', encoding="utf-8")
    assert import_fails(example, d) == (f"Error: cohort.toml has problems; nothing was imported: {problem}; "
                                        "remove it (only tab and line breaks are allowed)")


def test_control_characters_in_a_custom_exercise(example: Store, tmp_path: Path) -> None:
    d = cohort_dir(tmp_path)
    (d / "exercises").mkdir()
    template = ('title = "Team check"\nkind = "reflection"\nframework = "ours"\nsource = "us"\n'
                'description = "A short one."\n\n[[prompts]]\nid = "what"\ntext = "What\\u0000happened?"\n'
                'type = "text"\nrequired = true\n')
    (d / "exercises" / "team-check.toml").write_text(template, encoding="utf-8")
    line = import_fails(example, d)
    assert line.startswith("Error: custom exercises have problems; nothing was imported: exercises/team-check.toml: "
                           "prompts[0].text: contains a control character (U+0000 NUL)")
    (d / "exercises" / "team-check.toml").write_text(template.replace("\\u0000", " "), encoding="utf-8")
    assert cli("--db", example.url, "cohort", "import", str(d)).exit_code == 0
    assert example.exercise("team-check", "cohort-x").prompts[0].text == "What happened?"


# --- control characters in everything a person types ------------------------------------------------------

FAILURE = {"what_happened": "We shipped late.", "causes": "Scope grew.", "lesson": "Cut scope early."}


@pytest.mark.parametrize("char", CONTROL + ["\ud800"])
def test_answers_with_control_characters_are_refused_on_both_databases(example: Store, char: str) -> None:
    before = dump(example)
    cases = [
        ({**FAILURE, "what_happened": f"We{char} shipped late."}, "what_happened", "at position 3"),
        ({**FAILURE, "changes": ["fine", f"bad{char}"]}, "changes", "item 2 contains"),
        ({**FAILURE, "failure_type": f"complex{char}"}, "failure_type", "choose one of"),
        ({**FAILURE, "mood": f"4{char}"}, "mood", "whole number"),
    ]
    for answers, field, words in cases:
        with pytest.raises(ValidationError) as err:
            example.add_entry("example", "p01", "failure-journal", answers)
        assert list(err.value.by_field()) == [field] and words in err.value.by_field()[field][0]
    assert dump(example) == before


def test_tab_and_line_breaks_are_stored_exactly(example: Store) -> None:
    text = "first line\r\nsecond\tcolumn\nthird"
    e = example.add_entry("example", "p01", "failure-journal", {**FAILURE, "what_happened": text,
                                                                "changes": ["a\tb", "c\r\nd"]})
    got = example.get_entry(e.id).answers
    assert got["what_happened"] == text and got["changes"] == ["a\tb", "c\r\nd"]


def test_edits_comments_goals_and_retro_text_refuse_control_characters(example: Store) -> None:
    entry = example.add_entry("example", "p01", "failure-journal", FAILURE, visibility="coach")
    goal = example.add_goal("example", "p01", "Speak up in meetings")
    session = example.add_session("example", "start-stop-continue")
    before = dump(example)
    attempts = [
        (lambda: example.edit_entry(entry.id, "p01", {**FAILURE, "lesson": "Cut\x00scope"}), "lesson"),
        (lambda: example.add_comment(entry.id, "c01", "Well\x1b done"), "comment"),
        (lambda: example.add_goal("example", "p01", "Goal\x00"), "goal"),
        (lambda: example.record_goal_progress(goal.id, "p01", 50, "half\x00way"), "note"),
        (lambda: example.add_kudos("example", "p01", "p02", "thanks\x07"), "kudos"),
        (lambda: example.add_milestone("example", "p01", "first\x00talk"), "milestone"),
        (lambda: example.add_action_item("example", "book\x00room", session_id=session.id), "text"),
        (lambda: example.add_group(session.id, "theme\x00", []), "title"),
        (lambda: example.add_session("example", "start-stop-continue", "Retro\x00"), "title"),
        (lambda: example.add_entry("example", "p01", "failure-journal", FAILURE, client_id="id\x00"), "client_id"),
    ]
    for attempt, field in attempts:
        with pytest.raises(ValidationError) as err:
            attempt()
        assert list(err.value.by_field()) == [field]
    assert dump(example) == before


def test_the_form_shows_the_message_next_to_the_field(example: Store) -> None:
    from workbook.forms import page

    key = access.issue_token(example, "example", "p01")
    pg = page("reflection", f"key={key}&exercise=gibbs", store=example)
    f = pg.form
    assert f is not None
    f.fields["description"].value_widget.value = "We ran\x00 the workshop."
    f.fields["evaluation"].value_widget.value = "Good energy;\r\nran over time."
    f.fields["conclusion"].value_widget.value = "Timebox the agenda."
    f.submit_button.click()
    assert example.count_entries("example") == 0
    assert "control character (U+0000 NUL) at position 7" in f.fields["description"].error.value
    assert f.fields["evaluation"].error.value == ""
    assert not f.submit_button.disabled  # fix it and send again
    f.fields["description"].value_widget.value = "We ran the workshop."
    f.submit_button.click()
    assert example.count_entries("example") == 1
    assert example.find_entries("example")[0].answers["evaluation"] == "Good energy;\r\nran over time."
