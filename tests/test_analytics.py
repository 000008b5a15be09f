"""Cohort aggregates: small groups suppressed, and what subtraction would reveal suppressed too."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from workbook import Store, import_cohort
from workbook.access import aggregate_frame
from workbook.analytics import (checkins_by_coach, completion_by_exercise, mood_by_week, pairing_coverage,
                                session_participation, suppress_group, suppress_partition, top_retro_cards,
                                weekly_participation)
from workbook.reports.views import CohortReport

MON = dt.datetime(2026, 10, 5, 9, 0, tzinfo=dt.timezone.utc)


def frame(rows: list[tuple[str, int, int | None]]) -> pd.DataFrame:
    """(author, week offset, mood) -> an aggregate frame like access.aggregate_frame's."""
    return pd.DataFrame([dict(entry_id=i, author_id=a, week=pd.Timestamp("2026-10-05") + pd.Timedelta(weeks=w),
                              mood=m, kind="reflection", exercise_id="gibbs", session_id=pd.NA)
                         for i, (a, w, m) in enumerate(rows)]).astype({"mood": "Int64", "session_id": "Int64"})


def test_suppress_group_and_partition() -> None:
    assert suppress_group(4, 5) is None and suppress_group(5, 5) == 5 and suppress_group(0, 5) == 0
    # one small cell: the next-smallest goes too, else total - rest gives it back
    assert suppress_partition({"a": 10, "b": 2, "c": 6}, 5) == {"a": 10, "b": None, "c": None}
    # two small cells summing below k: one more is hidden
    assert suppress_partition({"a": 1, "b": 1, "c": 7, "d": 9}, 5) == {"a": None, "b": None, "c": None, "d": 9}
    assert suppress_partition({"a": 7, "b": 5, "c": 0}, 5) == {"a": 7, "b": 5, "c": 0}


def test_weekly_participation_hides_small_weeks() -> None:
    rows = [(f"p{i}", 0, 3) for i in range(6)] + [("p1", 1, 4), ("p2", 1, 2)]
    out = weekly_participation(frame(rows), 5)
    assert list(out["suppressed"]) == [False, True]
    assert out["people"].iloc[0] == 6 and out["people"].isna().iloc[1] and out["entries"].isna().iloc[1]


def test_mood_by_week_bands_and_small_weeks() -> None:
    rows = [(f"p{i}", 0, 4) for i in range(6)] + [(f"m{i}", 0, 3) for i in range(5)] + [("l", 0, 1), ("p1", 1, 3)]
    out = mood_by_week(frame(rows), 5)
    first = out.iloc[0]
    assert first["people"] == 12 and first["high"] == 6
    # one person with a low mood: hidden, and the next-smallest band with it (12 - 6 would tell)
    assert pd.isna(first["low"]) and pd.isna(first["middle"]) and first["hidden"] == 6
    assert out.iloc[1][["people", "mean", "high"]].isna().all()


def test_completion_and_coverage_and_coaches() -> None:
    class S:  # a session stand-in
        def __init__(self, i: int, ex: str) -> None:
            self.id, self.exercise_id, self.title, self.opens_at = i, ex, f"s{i}", MON

    f = frame([(f"p{i}", 0, 3) for i in range(5)]).assign(exercise_id=["gibbs"] * 5)
    f.loc[0, "exercise_id"] = "kolb"
    out = completion_by_exercise(f, 10, [S(1, "gibbs"), S(2, "kolb")], 3)
    assert out.set_index("exercise_id")["completed"]["gibbs"] == 4
    assert pd.isna(out.set_index("exercise_id")["rate"]["kolb"])
    cov = pairing_coverage([f"p{i}" for i in range(8)], {"p0": {"c1"}}, 5).set_index("group")
    assert cov["people"].isna().all()  # 1 with a coach, so 7 without would tell it
    per = checkins_by_coach(f.assign(kind="checkin"), {"c1": ["p0", "p1"], "c2": [f"p{i}" for i in range(5)]}, 5)
    assert pd.isna(per.set_index("coach_id")["checkins"]["c1"]) and per.set_index("coach_id")["checkins"]["c2"] == 5
    sp = session_participation(f.assign(session_id=pd.array([1, 1, 1, 1, 2], dtype="Int64")), [S(1, "gibbs"), S(2, "kolb")], 3)
    assert list(sp["people"].fillna(-1)) == [4, -1]


def test_cohort_report_shows_no_figure_for_a_small_session(store: Store, tmp_path: Path) -> None:
    """A session only 2 people took part in (k = 3) shows "fewer than 3" and no count; a big one shows its count."""
    d = tmp_path / "c"
    d.mkdir()
    (d / "cohort.toml").write_text('id = "small"\nname = "Small"\ntimezone = "UTC"\n[privacy]\nmin_group_size = 3\n')
    (d / "roster.csv").write_text("id,name,email,role,coach\nf1,F,f@x.example,facilitator,\n"
                                  + "".join(f"p{i},P {i},p{i}@x.example,participant,\n" for i in range(5)))
    import_cohort(store, d)
    big = store.add_session("small", "gibbs", "Big one", opens_at=MON, closes_at=MON + dt.timedelta(days=3))
    tiny = store.add_session("small", "kolb", "Tiny one", opens_at=MON, closes_at=MON + dt.timedelta(days=3))
    g = {"description": "d", "evaluation": "e", "conclusion": "c", "mood": 3}
    for i in range(4):
        store.add_entry("small", f"p{i}", "gibbs", g, session_id=big.id, created_at=MON + dt.timedelta(hours=i))
    kolb = store.exercise("kolb")
    k = {p.id: {"text": "x", "list": ["x"], "scale": 3}.get(p.type, p.options[0] if p.options else "x")
         for p in kolb.prompts if p.required}
    for i in range(2):
        store.add_entry("small", f"p{i}", "kolb", k, session_id=tiny.id, created_at=MON + dt.timedelta(hours=i))
    assert len(aggregate_frame(store, "small")) == 6 and "answers" not in aggregate_frame(store, "small")
    report = CohortReport.load(store, "small")
    html = report.sessions().html
    big_row = html.split("Big one")[1].split("</tr>")[0]
    tiny_row = html.split("Tiny one")[1].split("</tr>")[0]
    assert ">4</td>" in big_row
    assert "fewer than 3" in tiny_row and ">2</td>" not in tiny_row
    completion = report.completion().html
    assert "fewer than 3" in completion.split("Kolb")[1].split("</tr>")[0]


def test_cohort_header_total_does_not_give_back_a_suppressed_week(store: Store, tmp_path: Path) -> None:
    """The summary's entry total minus the shown weeks must not reveal the entries of a suppressed week."""
    d = tmp_path / "c"
    d.mkdir()
    (d / "cohort.toml").write_text('id = "tot"\nname = "Tot"\ntimezone = "UTC"\n[privacy]\nmin_group_size = 3\n')
    (d / "roster.csv").write_text("id,name,email,role,coach\n"
                                  + "".join(f"p{i},P {i},p{i}@x.example,participant,\n" for i in range(4)))
    import_cohort(store, d)
    g = {"description": "d", "evaluation": "e", "conclusion": "c", "mood": 3}
    for i in range(4):  # week 1: four people, one entry each (shown)
        store.add_entry("tot", f"p{i}", "gibbs", g, created_at=MON + dt.timedelta(hours=i))
    for h in range(2):  # week 2: one person, two entries (suppressed)
        store.add_entry("tot", "p0", "gibbs", g, created_at=MON + dt.timedelta(days=7, hours=h))
    report = CohortReport.load(store, "tot")
    table_text = report.participation_table().text
    assert "fewer than 3" in report.participation_table().html and "\t2" not in table_text
    summary = report.header().summary or ""
    assert "6 entries" not in summary and "4 entries" in summary, summary



def test_cohort_report_survives_a_retired_custom_retro(store: Store, tmp_path: Path) -> None:
    """A custom retro exercise dropped from the cohort folder after its session ran: the report still renders."""
    import shutil

    import workbook.exercises

    d = tmp_path / "c"
    (d / "exercises").mkdir(parents=True)
    (d / "cohort.toml").write_text('id = "ret"\nname = "Ret"\ntimezone = "UTC"\n[privacy]\nmin_group_size = 2\n')
    (d / "roster.csv").write_text("id,name,email,role,coach\n"
                                  + "".join(f"p{i},P {i},p{i}@x.example,participant,\n" for i in range(3)))
    shipped = Path(workbook.exercises.__file__).parent / "templates" / "start-stop-continue.toml"
    (d / "exercises" / "our-retro.toml").write_text(shipped.read_text())
    import_cohort(store, d)
    ex_id = store.catalogue("ret").get("our-retro").id
    s = store.add_session("ret", ex_id, "Our retro", opens_at=MON, closes_at=MON + dt.timedelta(days=1))
    for i in range(2):
        store.add_entry("ret", f"p{i}", ex_id, {"start": ["Pair more"], "stop": [], "continue": []}, session_id=s.id,
                        visibility="cohort", created_at=MON + dt.timedelta(hours=i))
    shutil.rmtree(d / "exercises")
    import_cohort(store, d)  # the custom exercise is retired
    report = CohortReport.load(store, "ret")
    assert "Pair more" in report.retros().html


def test_top_retro_cards_merge_the_same_card_and_suppress_small_figures() -> None:
    """One card written by three people counts once with their votes added; figures below k are not shown."""
    from workbook.store import RetroCard

    def card(i: int, author: str, column: str, text: str, votes: int) -> RetroCard:
        return RetroCard(i, i, 1, column, i, text, None, author, "cohort", "c", votes)

    cards = [card(1, "p1", "start", "Pair more", 2), card(2, "p2", "start", "  pair   MORE ", 1),
             card(3, "p3", "start", "Pair more", 0), card(4, "p4", "stop", "Pair more", 4),
             card(5, "p5", "stop", "Long meetings", 1)]
    top = top_retro_cards(cards, 3).to_dict("records")
    assert [(r["column"], r["text"]) for r in top] == [("stop", "Pair more"), ("start", "Pair more"),
                                                         ("stop", "Long meetings")]
    assert top[1]["authors"] == 3 and top[1]["votes"] == 3  # merged: three people, their votes added
    assert pd.isna(top[0]["authors"]) and top[0]["votes"] == 4  # one author: fewer than k people
    assert pd.isna(top[2]["authors"]) and pd.isna(top[2]["votes"])  # one vote: below k as well
    assert len(top_retro_cards(cards, 3, limit=1)) == 1 and top_retro_cards([], 3).empty


def test_overdue_action_items_use_the_cohorts_today(store: Store, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """An item due yesterday in the cohort's time zone is overdue, whatever the server's clock zone says."""
    import time
    from zoneinfo import ZoneInfo

    d = tmp_path / "c"
    d.mkdir()
    (d / "cohort.toml").write_text('id = "far"\nname = "Far"\ntimezone = "Pacific/Kiritimati"\n')
    (d / "roster.csv").write_text("id,name,email,role,coach\np0,P,p@x.example,participant,\n")
    import_cohort(store, d)
    yesterday = dt.datetime.now(ZoneInfo("Pacific/Kiritimati")).date() - dt.timedelta(days=1)
    store.add_action_item("far", "Book the room", due=yesterday)
    monkeypatch.setenv("TZ", "Etc/GMT+12")  # the server is 26 hours behind the cohort
    time.tzset()
    try:
        html = CohortReport.load(store, "far").action_items().html
    finally:
        monkeypatch.undo()
        time.tzset()
    assert 'class="wb-alert"' in html


def test_pairing_coverage_does_not_call_a_large_hidden_group_small(store: Store, tmp_path: Path) -> None:
    """1 coached, 5 not (k = 3): both cells are hidden, but the 5 must not be labelled "fewer than 3"."""
    d = tmp_path / "c"
    d.mkdir()
    (d / "cohort.toml").write_text('id = "cov"\nname = "Cov"\ntimezone = "UTC"\n[privacy]\nmin_group_size = 3\n')
    (d / "roster.csv").write_text("id,name,email,role,coach\nc1,C,c@x.example,coach,\np0,P 0,p0@x.example,participant,c1\n"
                                  + "".join(f"p{i},P {i},p{i}@x.example,participant,\n" for i in range(1, 6)))
    import_cohort(store, d)
    html = CohortReport.load(store, "cov").pairing().html
    without = html.split("without a coach")[1].split("</tr>")[0]
    assert ">5<" not in without and "fewer than 3" not in without, without


def test_cohort_report_with_a_session_and_no_participants_yet(store: Store, tmp_path: Path) -> None:
    """A session opened before anyone joined: every section renders (completion had no rate to format)."""
    d = tmp_path / "c"
    d.mkdir()
    (d / "cohort.toml").write_text('id = "empty"\nname = "Empty"\ntimezone = "UTC"\n')
    (d / "roster.csv").write_text("id,name,email,role,coach\nf1,F,f@x.example,facilitator,\n")
    import_cohort(store, d)
    store.add_session("empty", "gibbs", "First", opens_at=MON)
    report = CohortReport.load(store, "empty")
    assert "Gibbs" in report.completion().html
    header = report.header()
    assert "<h1>Cohort report: Empty</h1>" in header.html
    assert header.summary == "0 participants, 0 entries in 0 weeks, 1 sessions"
    empty = {  # each section says in words that there is nothing, rather than drawing an empty table
        "participation_chart": "No entries in this period.",
        "participation_table": "Nothing in this period.",
        "mood_chart": "No week had 5 or more people recording a mood.",
        "mood_table": "Nothing in this period.",
        "retros": "No retro in this period.",
        "action_items": "No open action items.",
        "shared_reflections": "Nothing was shared with the cohort in this period.",
    }
    for section, words in empty.items():
        html = getattr(report, section)().html
        assert words in html and "<table" not in html and "<img" not in html, (section, html)
    sessions = report.sessions().html  # the session is listed, with nobody in it yet
    row = sessions.split("<tbody>")[1].split("</tr>")[0]
    assert [c.rsplit(">", 1)[1] for c in row.split("</td>")[:-1]] == [MON.date().isoformat(), "First", "gibbs", "0"]
    pairing = report.pairing().html
    assert "with a coach" in pairing and "without a coach" in pairing and "Nothing in this period." in pairing


def test_completion_does_not_give_back_a_small_session() -> None:
    """Gibbs ran twice: 4 people, then 2 others (k = 3). Completion "6" minus the shown 4 would give the 2 back."""
    class S:  # a session stand-in
        def __init__(self, i: int, ex: str) -> None:
            self.id, self.exercise_id, self.title, self.opens_at = i, ex, f"s{i}", MON

    f = frame([(f"p{i}", 0, 3) for i in range(6)]).assign(session_id=pd.array([1, 1, 1, 1, 2, 2], dtype="Int64"))
    sessions = [S(1, "gibbs"), S(2, "gibbs")]
    assert list(session_participation(f, sessions, 3)["people"].fillna(-1)) == [4, -1]
    row = completion_by_exercise(f, 10, sessions, 3).set_index("exercise_id").loc["gibbs"]
    assert pd.isna(row["completed"]) and pd.isna(row["rate"])
    # with no small session, the figure shows
    big = completion_by_exercise(f.assign(session_id=pd.array([1] * 6, dtype="Int64")), 10, sessions, 3)
    assert big.set_index("exercise_id")["completed"]["gibbs"] == 6
