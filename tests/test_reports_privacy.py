"""Batch report files hold only what the facilitator running the batch may see (issue 8).

One participant, p01, writes the same canary check-in three times, once per visibility, with an
answer of every prompt type (text, scale, choice, list), and records goal progress in each; a
coach comments on a cohort entry and on an entry p01 later made private, a draft and a released
comment each. After a batch (``pool`` and ``papermill`` engines, SQLite and PostgreSQL) no file
under the report folder holds a private or coach-only canary, the cohort ones are there, and
the pages count what they leave out. The live pages, built for their real reader, keep
everything that reader may see.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from workbook import Store, access, import_cohort
from workbook.access import allowed_reports
from workbook.reports import BatchResult, generate_reports
from workbook.reports.live import render_report

from .conftest import drop_pg, new_pg_url

COHORT = "privacy"
UNTIL = "2026-10-31"
ROSTER = """id,name,email,role,coach
f01,Fay Facil,f01@x.example,facilitator,
c01,Cora Coach,c01@x.example,coach,
p01,Pia One,p01@x.example,participant,c01
p02,Per Two,p02@x.example,participant,c01
p03,Pam Three,p03@x.example,participant,
"""
EXERCISE = """id = "canary-mix"
title = "Canary check-in"
kind = "checkin"

[[prompts]]
id = "story"
text = "What happened?"
type = "text"

[[prompts]]
id = "level"
text = "A number only this entry has"
type = "scale"
min = 0
max = 99999

[[prompts]]
id = "pick"
text = "Pick one"
type = "choice"
options = ["CANARY-PRIVATE-CHOICE-Z", "CANARY-COACH-CHOICE-Z", "CANARY-COHORT-CHOICE-Z", "neutral"]

[[prompts]]
id = "blockers"
text = "What is in the way?"
type = "list"
"""
VISIBILITIES = ("private", "coach", "cohort")
#: A scale answer per visibility: numbers no page has otherwise (searched outside base64 images).
NUMBER = {"private": 40617, "coach": 40628, "cohort": 40639}
#: Goal progress recorded in each visibility's check-in, oldest first: cohort, coach, private.
PROGRESS = {"cohort": 23, "coach": 64, "private": 77}
START = dt.datetime(2026, 10, 5, 9, 0, tzinfo=dt.timezone.utc)
COMMENTS = {"CANARY-PRIVDRAFT-Z": ("private", False), "CANARY-PRIVRELEASED-Z": ("private", True),
            "CANARY-COHORTDRAFT-Z": ("cohort", False), "CANARY-COHORTRELEASED-Z": ("cohort", True)}
BATCH_COUNT = ("2 private entries and 1 entry shared only with your coach are not included; "
               "your own report link shows them.")
MENTEE_COUNT = "1 entry shared only with you (Cora Coach) is not included; your own report link shows it."


def texts(vis: str) -> list[str]:
    """The canaries of one visibility's entry: its text, choice and list answers."""
    v = vis.upper()
    return [f"CANARY-{v}-TEXT-Z", f"CANARY-{v}-CHOICE-Z", f"CANARY-{v}-LIST-Z"]


def answers(vis: str) -> dict[str, object]:
    v = vis.upper()
    return {"story": f"CANARY-{v}-TEXT-Z happened", "level": NUMBER[vis], "pick": f"CANARY-{v}-CHOICE-Z",
            "blockers": [f"CANARY-{v}-LIST-Z", "time"]}


def build(url: str, root: Path) -> None:
    d = root / "privacy-cohort"
    (d / "exercises").mkdir(parents=True)
    (d / "cohort.toml").write_text(f'id = "{COHORT}"\nname = "Privacy cohort"\ntimezone = "Europe/London"\n'
                                   "[privacy]\nmin_group_size = 2\n")
    (d / "roster.csv").write_text(ROSTER)
    (d / "exercises" / "canary-mix.toml").write_text(EXERCISE)
    store = Store(url)
    import_cohort(store, d)
    goal = store.add_goal(COHORT, "p01", "Speak up in the weekly meeting", at=START - dt.timedelta(days=1))
    coach = access.viewer_for(store, COHORT, "c01")
    for day, vis in enumerate(("cohort", "coach", "private")):
        at = START + dt.timedelta(days=day)
        # The private entry was shared with the coach at first (who commented on it), then made private.
        first = "coach" if vis == "private" else vis
        neutral = {"story": "a day", "level": 1, "pick": "neutral", "blockers": ["time"]}
        entry = store.add_entry(COHORT, "p01", "canary-mix", neutral if vis == "private" else answers(vis),
                                visibility=first, created_at=at)
        for body, (on, released) in COMMENTS.items():
            if on == vis:
                access.comment_on(store, coach, entry.id, body, release=released)
        if vis == "private":
            store.edit_entry(entry.id, "p01", answers(vis), visibility="private", at=at + dt.timedelta(hours=1))
        store.record_goal_progress(goal.id, "p01", PROGRESS[vis], entry_id=entry.id, at=at + dt.timedelta(hours=2))
    store.add_entry(COHORT, "p01", "gibbs", {"description": "CANARY-PRIVATE-GIBBS-Z", "evaluation": "e",
                                             "conclusion": "c"}, visibility="private", created_at=START)
    store.add_entry(COHORT, "p02", "gibbs", {"description": "p02 shared this", "evaluation": "e", "conclusion": "c"},
                    visibility="cohort", created_at=START)
    store.close()


_BASE64 = re.compile(r"[A-Za-z0-9+/=]{40,}")  # embedded PNGs: digits in them are not answers


def has_number(text: str, number: int) -> bool:
    return re.search(rf"(?<![0-9A-Za-z]){number}(?![0-9A-Za-z])", _BASE64.sub(" ", text)) is not None


def progress_shown(html: str) -> set[int]:
    """The goal percentages a page shows (its progress bars)."""
    return {int(m) for m in re.findall(r'width:(\d+)%"></span></span>\d+%', html)}


def forbidden() -> list[str]:
    """Strings no batch file may hold: private and coach-only answers and their comments, any draft."""
    return [*texts("private"), *texts("coach"), "CANARY-PRIVATE-GIBBS-Z", "CANARY-PRIVDRAFT-Z",
            "CANARY-PRIVRELEASED-Z", "CANARY-COHORTDRAFT-Z"]


# --- the batch --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = tmp_path_factory.mktemp("privacy")
    url = f"sqlite:///{root / 'wb.db'}"
    build(url, root)
    return url


@pytest.fixture(scope="module")
def pg_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url, name = new_pg_url(request.getfixturevalue("pg_template"))
    build(url, tmp_path_factory.mktemp("privacy-pg"))
    yield url
    drop_pg(name)


@pytest.mark.slow
@pytest.mark.parametrize("backend, engine", [("sqlite", "pool"), ("sqlite", "papermill"),
                                             pytest.param("postgresql", "pool", marks=pytest.mark.postgres)])
def test_batch_files_hold_only_what_the_facilitator_may_see(backend: str, engine: str, jupyter_env: Path,
                                                            request: pytest.FixtureRequest, tmp_path: Path) -> None:
    url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "pg_url")
    out = tmp_path / "reports"
    batch: BatchResult = generate_reports(COHORT, until=UNTIL, jobs=2, engine=engine, out_dir=out, db_url=url,
                                          progress=False)
    assert batch.ok, [o.error for o in batch.failed]
    files = {p.relative_to(out).as_posix(): p.read_text(encoding="utf-8") for p in out.rglob("*") if p.is_file()}
    assert {"index.html", "participant-p01.html", "participant-p01.ipynb", "mentee-c01-p01.html",
            "cohort.html"} <= files.keys()
    for name, text in files.items():
        for canary in forbidden():
            assert canary not in text, (canary, name)
        for vis in ("private", "coach"):
            assert not has_number(text, NUMBER[vis]), (vis, name)

    for stem in ("participant-p01", "mentee-c01-p01"):
        for suffix in (".html", ".ipynb"):
            page = files[stem + suffix]
            for canary in [*texts("cohort"), "CANARY-COHORTRELEASED-Z"]:  # shared with the cohort: shown
                assert canary in page, (canary, stem + suffix)
            assert has_number(page, NUMBER["cohort"]), stem + suffix
    participant, mentee = files["participant-p01.html"], files["mentee-c01-p01.html"]
    assert BATCH_COUNT in participant
    assert MENTEE_COUNT in mentee
    # goal progress only from the check-in shared with the cohort, the rest counted
    assert progress_shown(participant) == {PROGRESS["cohort"]} == progress_shown(mentee)
    assert "2 progress updates recorded in entries not shown here are left out" in participant
    assert "1 progress update recorded in entries not shown here is left out" in mentee
    # the index repeats each page's summary line, drawn from the shown entry only
    assert "1 entry, 1 week active" in files["index.html"]
    assert "1 shared entry, 1 check-in" in files["index.html"]


# --- the live pages (no kernel), on both backends ---------------------------------------------
def live_page(store: Store, who: str, name: str) -> str:
    viewer = access.viewer_for(store, COHORT, who)
    ref = next(r for r in allowed_reports(store, viewer) if r.name == name)
    return "".join(render_report(store, viewer, ref))


def test_live_pages_keep_what_their_reader_may_see(db_url: str, tmp_path: Path) -> None:
    build(db_url, tmp_path)
    store = Store(db_url)
    try:
        own = live_page(store, "p01", "participant-p01")
        for vis in VISIBILITIES:
            assert all(t in own for t in texts(vis)), vis
            assert has_number(own, NUMBER[vis]), vis
        assert "CANARY-PRIVATE-GIBBS-Z" in own
        assert "CANARY-PRIVRELEASED-Z" in own and "CANARY-COHORTRELEASED-Z" in own
        assert "DRAFT" not in own  # a draft is for its writer only
        assert progress_shown(own) == {PROGRESS["private"]}  # the latest progress, recorded privately
        assert "not included" not in own and "left out" not in own

        coach = live_page(store, "c01", "mentee-c01-p01")
        for vis in ("coach", "cohort"):
            assert all(t in coach for t in texts(vis)), vis
        for canary in [*texts("private"), "CANARY-PRIVATE-GIBBS-Z", "CANARY-PRIVDRAFT-Z", "CANARY-PRIVRELEASED-Z"]:
            assert canary not in coach, canary
        assert not has_number(coach, NUMBER["private"])
        assert "CANARY-COHORTDRAFT-Z" in coach and "CANARY-COHORTRELEASED-Z" in coach  # the coach's own comments
        assert progress_shown(coach) == {PROGRESS["coach"]}  # private check-in's progress left out, silently
        assert "not included" not in coach and "left out" not in coach
    finally:
        store.close()


def test_report_entries_refuses_a_page_for_anyone_else(db_url: str, tmp_path: Path) -> None:
    from workbook.errors import AccessDenied

    build(db_url, tmp_path)
    store = Store(db_url)
    try:
        batch = access.batch_audience(COHORT)
        for reader in ("p02", "f01", ""):  # another participant, the facilitator, nobody in particular
            with pytest.raises(AccessDenied):
                access.report_entries(store, batch, "p01", reader=access.Viewer(reader, COHORT, "facilitator"))
        with pytest.raises(AccessDenied):  # a page with no reader of its own
            access.report_entries(store, batch, "p01")
    finally:
        store.close()
