"""Erasure leaves no trace: not in the database files (even while others hold them open), not in the
report pages; it is recorded (without content), a roster re-import respects it, a deliberate
re-admission undoes it; exports made before it are named."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from workbook import NotFoundError, Store, import_cohort
from workbook.access import issue_token
from workbook.cli import main
from workbook.interop import erase_person

from .conftest import EXAMPLE, dump

NAME, EMAIL = "Lucía Fernández", "lucia.fernandez@northwind.example"  # p01 in cohorts/example
G = {"description": "d", "evaluation": "e", "conclusion": "c", "mood": 4}


def plant(store: Store) -> list[str]:
    """p01's traces in every table an erasure must empty; returns the texts that must vanish."""
    texts = []

    def mark(what: str) -> str:
        texts.append(f"ERASE-CANARY-{what}")
        return texts[-1]

    ids = {vis: store.add_entry("example", "p01", "gibbs", {**G, "description": mark(f"{vis}-text")},
                                visibility=vis).id for vis in ("private", "coach", "cohort")}
    store.edit_entry(ids["cohort"], "p01", {**G, "description": mark("edited-text")})  # the first text is a revision
    store.add_entry("example", "p01", "mentorship-checkin", {"wins": [mark("list-item")], "mood": 3},
                    visibility="coach")
    store.add_comment(ids["coach"], "c01", mark("coach-comment"), release=True)
    goal = store.add_goal("example", "p01", mark("goal"))
    store.record_goal_progress(goal.id, "p01", 40, mark("progress-note"))
    store.add_kudos("example", "p02", "p01", mark("kudos-received"))
    store.add_kudos("example", "p01", "p02", mark("kudos-given"))
    store.add_milestone("example", "p01", mark("milestone"))
    session = store.add_session("example", "start-stop-continue")
    store.add_entry("example", "p01", "start-stop-continue", {"start": [mark("retro-card")]},
                    session_id=session.id, visibility="cohort")
    store.add_entry("example", "p02", "start-stop-continue", {"stop": ["meetings"]}, session_id=session.id,
                    visibility="cohort")
    for card in store.find_cards(session.id):
        store.add_vote(card.id, "p02" if card.author_id == "p01" else "p01", 3)
    store.add_action_item("example", "book the room", session_id=session.id, owner_id="p01")
    issue_token(store, "example", "p01")
    # mentoring (0005): kudos with notices both ways, a pulse, a scheduled check-in, a visit, milestones
    from workbook import kudos, mentoring, milestones
    from workbook.access import Viewer
    p01, c01 = Viewer("p01", "example", "participant"), Viewer("c01", "example", "coach")
    kudos.give_kudos(store, p01, "p02", mark("kudos-wall"), shared_with_cohort=True)
    kudos.give_kudos(store, Viewer("p02", "example", "participant"), "p01", mark("kudos-to"),
                     shared_with_cohort=False)
    mentoring.submit_pulse(store, p01, "not a good fit")  # after the check-in above: notices to facilitators
    mentoring.schedule_checkin(store, c01, "p01", dt.date.today() + dt.timedelta(days=3))
    store.record_visit("example", "p01", "home")
    milestones.record_milestone(store, c01, "p01", mark("milestone-by-hand"))
    milestones.evaluate(store, "example", "p01")
    store.add_entry("example", "p02", "gibbs", {**G, "description": "p02 keeps this"}, visibility="cohort")
    return texts


def holding(path: Path, needles: list[bytes]) -> list[str]:
    """Which needles a file holds (byte for byte)."""
    data = path.read_bytes() if path.exists() else b""
    return [n.decode() for n in needles if n in data]


def db_files(url: str) -> list[Path]:
    base = Path(sa.make_url(url).database or "")
    return [p for p in (base, Path(f"{base}-wal"), Path(f"{base}-shm")) if p.exists()]


HOLDER = """
import sys
from workbook import Store
store = Store(sys.argv[1])
store.find_members("example")        # a pooled connection stays open, as in every `workbook serve` kernel
print("ready", flush=True)
sys.stdin.read()
store.close()
"""

READER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN")
conn.execute("SELECT count(*) FROM entries").fetchall()   # in the middle of a read transaction
print("ready", flush=True)
sys.stdin.read()
conn.execute("COMMIT")
conn.close()
"""


@pytest.fixture
def holder() -> Iterator[list[subprocess.Popen[str]]]:
    """Start Python processes that hold a database open; they are stopped at the end."""
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for p in procs:
        if p.poll() is None:
            p.stdin.close()  # type: ignore[union-attr]
            p.wait(timeout=30)


def hold(procs: list[subprocess.Popen[str]], script: str, arg: str) -> subprocess.Popen[str]:
    p = subprocess.Popen([sys.executable, "-c", script, arg], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True)
    procs.append(p)
    assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    return p


def test_erase_leaves_no_byte_in_database_files_or_report_pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 holder: list[subprocess.Popen[str]]) -> None:
    from workbook.reports import generate_reports

    monkeypatch.setenv("WORKBOOK_REPORTS_DIR", str(tmp_path / "reports"))
    url = f"sqlite:///{tmp_path / 'wb.db'}"
    store = Store(url)
    import_cohort(store, EXAMPLE)
    texts = plant(store)
    needles = [t.encode() for t in texts] + [NAME.encode(), EMAIL.encode()]
    batch = generate_reports("example", kinds=("participant", "mentee", "cohort"), people=("p01", "p02"), jobs=1,
                             db_url=url, progress=False)
    assert batch.ok, [o.error for o in batch.failed]
    folder = tmp_path / "reports" / "example"
    before = {p.name for p in folder.iterdir() if holding(p, needles)}
    assert {"participant-p01.html", "mentee-c01-p01.html", "index.html"} <= before
    kept = {p.name for p in folder.iterdir()} - before - {"participant-p01.ipynb", "mentee-c01-p01.ipynb"}
    assert kept, "the sweep must also show that pages without p01 stay"
    r = CliRunner().invoke(main, ["--db", url, "export", "example", "--format", "csv", "--out", str(tmp_path / "e.csv")])
    assert r.exit_code == 0, r.output
    assert any(holding(f, needles) for f in db_files(url))  # the sweep can find them before

    # The database is held open while erasing: a second Store with a connection checked out, and
    # a separate process with an open connection, as `workbook serve` always has.
    other = Store(url)
    held = other.engine.connect()
    held.execute(sa.text("SELECT count(*) FROM people")).all()
    held.rollback()
    hold(holder, HOLDER, url)
    try:
        r = CliRunner().invoke(main, ["--db", url, "erase", "example", "p01", "--yes", "--by", "f01 (DPO request)"])
        assert r.exit_code == 0, r.output
        for f in db_files(url):
            assert holding(f, needles) == [], f"{f.name} still holds p01's data"
    finally:
        held.close()
        other.close()
    for page in folder.iterdir():
        assert holding(page, needles) == [], f"{page.name} still holds p01's data"
    gone = before | {"participant-p01.ipynb", "mentee-c01-p01.ipynb"}
    assert not any((folder / name).exists() for name in gone)
    assert all((folder / name).exists() for name in kept)
    assert "Removed" in r.output and "workbook report example" in r.output
    assert f"{(tmp_path / 'e.csv').resolve()} (" in r.output  # the export made before is named, with its date

    [record] = store.find_erasures("example", "p01")
    assert record.erased_by == "f01 (DPO request)" and record.readmitted_at is None
    with store._read() as conn:
        rows = [tuple(map(str, r)) for r in conn.execute(sa.text("SELECT * FROM erasures"))]
    assert not any("p01" in cell or "Luc" in cell for row in rows for cell in row)  # who, when, by whom: no content

    # The unchanged roster does not bring them back; the skip is said in one clear line.
    r = CliRunner().invoke(main, ["--db", url, "cohort", "import", str(EXAMPLE)])
    assert r.exit_code == 0, r.output
    assert "Skipped p01: erased from this cohort on" in r.output and "--readmit p01" in r.output
    with pytest.raises(NotFoundError):
        store.get_membership("example", "p01")
    store.close()
    for f in db_files(url):
        assert holding(f, needles) == [], f"{f.name} holds p01's data after the re-import"

    # A deliberate re-admission does.
    r = CliRunner().invoke(main, ["--db", url, "cohort", "import", str(EXAMPLE), "--readmit", "p01"])
    assert r.exit_code == 0, r.output
    assert "Re-admitted p01" in r.output and "Skipped" not in r.output
    store = Store(url)
    assert store.get_membership("example", "p01").name == NAME
    assert store.find_erasures("example", "p01")[0].readmitted_at is not None
    assert store.find_entries("example", author_id="p01") == []  # their old data does not come back
    store.close()


def test_a_reader_in_a_transaction_blocks_the_wipe_and_a_rerun_finishes_it(
        tmp_path: Path, holder: list[subprocess.Popen[str]]) -> None:
    url = f"sqlite:///{tmp_path / 'wb.db'}"
    store = Store(url)
    import_cohort(store, EXAMPLE)
    needles = [t.encode() for t in plant(store)] + [NAME.encode(), EMAIL.encode()]
    reader = hold(holder, READER, str(tmp_path / "wb.db"))
    r = CliRunner().invoke(main, ["--db", url, "erase", "example", "p01", "--yes",
                                  "--reports", str(tmp_path / "reports")])
    assert r.exit_code == 3, r.output
    assert "Warning: another program is in the middle of reading" in r.output
    assert "run the same `workbook erase` command again" in r.output
    assert store.find_entries("example", author_id="p01") == []  # the erasure itself is done
    reader.stdin.close()  # type: ignore[union-attr]
    reader.wait(timeout=30)
    r = CliRunner().invoke(main, ["--db", url, "erase", "example", "p01", "--yes",
                                  "--reports", str(tmp_path / "reports")])
    assert r.exit_code == 0, r.output
    assert "p01 was already erased from example; finished the clean-up." in r.output
    for f in db_files(url):
        assert holding(f, needles) == [], f"{f.name} still holds p01's data"
    assert len(store.find_erasures("example", "p01")) == 1
    store.close()


def test_erase_member_is_one_transaction_and_recorded(example: Store, tmp_path: Path) -> None:
    plant(example)
    before = dump(example)
    with pytest.raises(NotFoundError):
        example.erase_member("example", "nobody", erased_by="f01")
    assert dump(example) == before  # nothing changed
    counts = example.erase_member("example", "p01", erased_by="f01")
    assert counts["entries"] == 5 and counts["revisions"] == 1 and counts["comments"] == 1
    assert counts["pulses"] == 1 and counts["checkin_plans"] == 1 and counts["visits"] == 1
    assert counts["notices"] >= 4  # kudos both ways, milestones, the pulse's notice to the facilitator
    assert counts["kudos"] == 4 and counts["votes"] == 2 and counts["cards"] == 1 and counts["person"] == 1
    after = dump(example)
    blob = repr(after)
    assert "ERASE-CANARY" not in blob and NAME not in blob and EMAIL not in blob
    assert "'p01'" not in blob  # no row points at them any more (coach, owner, voter...)
    assert len(after["erasures"]) == 1
    [record] = example.find_erasures("example", "p01")
    assert record.erased_by == "f01" and record.erased_at <= dt.datetime.now(dt.timezone.utc)
    with pytest.raises(NotFoundError):
        example.erase_member("example", "p01", erased_by="f01")


def test_reimport_skips_erased_people_until_readmitted(example: Store, tmp_path: Path) -> None:
    example.erase_member("example", "c01", erased_by=None)  # a coach: mentees' coach column names them
    result = import_cohort(example, EXAMPLE)
    assert list(result.skipped) == ["c01"] and result.created == 0
    assert {m.coach_id for m in example.find_members("example")} & {"c01"} == set()
    with pytest.raises(NotFoundError):
        example.get_person("c01")
    from workbook import RosterError

    with pytest.raises(RosterError, match="only people in the roster"):
        import_cohort(example, EXAMPLE, readmit=["zz9"])
    result = import_cohort(example, EXAMPLE, readmit=["c01"], readmitted_by="f01")
    assert result.readmitted == ("c01",) and not result.skipped and result.created == 1
    assert example.get_membership("example", "p01").coach_id == "c01"
    assert import_cohort(example, EXAMPLE).skipped == {}


def test_erase_names_exports_made_before_that_still_exist(example: Store, tmp_path: Path) -> None:
    from workbook.interop import export_cohort, write_person_export

    plant(example)
    export_cohort(example, "example", "csv", tmp_path / "kept.csv")
    export_cohort(example, "example", "xapi", tmp_path / "deleted.json")
    (tmp_path / "deleted.json").unlink()
    write_person_export(example, "example", "p01", tmp_path / "p01.json")
    write_person_export(example, "example", "p02", tmp_path / "p02.json")  # holds p02 only
    report = erase_person(example, "example", "p01", report_dirs=[tmp_path / "reports"])
    listed = [x.path for x in report.exports]
    assert listed == [(tmp_path / "kept.csv").resolve(), (tmp_path / "p01.json").resolve()]
    lines = "\n".join(report.lines())
    assert "Exports made before this erasure that still hold this person" in lines
    if example.dialect == "postgresql":
        assert "VACUUM FULL" in lines and report.finished
    else:
        assert report.wipe.complete
