"""The canary sweep: answers of every prompt type, planted per visibility, are found only where allowed.

Every surface that writes a cohort's entries for a facilitator (exports in CSV, Parquet and
xAPI; the ``workbook entries`` listing in each format) carries an entry's answers, text, choice,
list and scale alike, only when its author shared it with the cohort. A person's own export
carries all of theirs and nobody else's.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from workbook import Store, import_cohort
from workbook.cli import main

from .conftest import EXAMPLE

VISIBILITIES = ("private", "coach", "cohort")
AUTHORS = ("p01", "p02")

CANARY_EXERCISE = """
id = "canary"
title = "Canary"
kind = "reflection"

[[prompts]]
id = "note"
text = "A text answer"
type = "text"

[[prompts]]
id = "mood"
text = "A scale that is the entry's mood"
type = "scale"
min = 100000
max = 999999

[[prompts]]
id = "rating"
text = "Another scale"
type = "scale"
min = 100000
max = 999999

[[prompts]]
id = "pick"
text = "A choice"
type = "choice"
options = [{options}]

[[prompts]]
id = "items"
text = "A list"
type = "list"
"""


def canaries(author: str, vis: str) -> dict[str, object]:
    """One answer per prompt type, each a value found nowhere else (the scales are six-digit numbers)."""
    a, v = AUTHORS.index(author) + 1, VISIBILITIES.index(vis) + 1
    return {"note": f"CANARY-TEXT-{author}-{vis}", "mood": 700000 + 100 * a + v, "rating": 800000 + 100 * a + v,
            "pick": f"CANARY-CHOICE-{author}-{vis}", "items": [f"CANARY-LIST-{author}-{vis}-1",
                                                                f"CANARY-LIST-{author}-{vis}-2"]}


def needles(author: str, vis: str) -> list[str]:
    c = canaries(author, vis)
    return [str(c["note"]), str(c["mood"]), str(c["rating"]), str(c["pick"]), *map(str, c["items"])]  # type: ignore[call-overload]


@pytest.fixture
def planted(store: Store, tmp_path: Path) -> Store:
    """The example cohort with a custom exercise of every prompt type, answered by two people in each visibility;
    plus a shipped check-in (mood 1-5) per visibility, for the structural checks."""
    folder = tmp_path / "example"
    shutil.copytree(EXAMPLE, folder)
    (folder / "exercises").mkdir(exist_ok=True)
    options = ", ".join(f'"CANARY-CHOICE-{a}-{v}"' for a in AUTHORS for v in VISIBILITIES)
    (folder / "exercises" / "canary.toml").write_text(CANARY_EXERCISE.replace("{options}", options), encoding="utf-8")
    import_cohort(store, folder)
    for author in AUTHORS:
        for vis in VISIBILITIES:
            store.add_entry("example", author, "canary", canaries(author, vis), visibility=vis)
            store.add_entry("example", author, "mentorship-checkin", {"goal_progress": "fine", "mood": 2},
                            visibility=vis)
    return store


def assert_only_cohort(text: str, surface: str, *, expect_cohort: bool = True) -> None:
    for author in AUTHORS:
        for vis in VISIBILITIES:
            for n in needles(author, vis):
                if vis == "cohort":
                    assert not expect_cohort or n in text, f"{surface}: shared answer {n} is missing"
                else:
                    assert n not in text, f"{surface}: {vis} answer {n} leaked"


def frame_text(frame: pd.DataFrame) -> str:
    return frame.astype(str).to_csv(index=False)


def cli(store: Store, *args: str) -> str:
    r = CliRunner().invoke(main, ["--db", store.url, *args])
    assert r.exit_code == 0, r.output
    return r.output


def test_cohort_exports_carry_answers_of_shared_entries_only(planted: Store, tmp_path: Path) -> None:
    cli(planted, "export", "example", "--format", "csv", "--out", str(tmp_path / "e.csv"))
    cli(planted, "export", "example", "--format", "parquet", "--out", str(tmp_path / "e.parquet"))
    cli(planted, "export", "example", "--format", "xapi", "--out", str(tmp_path / "e.json"))
    csv_text = (tmp_path / "e.csv").read_text(encoding="utf-8")
    assert_only_cohort(csv_text, "csv export")
    parquet = pd.read_parquet(tmp_path / "e.parquet")
    assert_only_cohort(frame_text(parquet), "parquet export")
    xapi_text = (tmp_path / "e.json").read_text(encoding="utf-8")
    assert_only_cohort(xapi_text, "xapi export")

    # Metadata of every entry stays; mood (a scale answer of the shipped check-in too) only where shared.
    for frame in (pd.read_csv(tmp_path / "e.csv"), parquet):
        assert len(frame) == 12
        hidden = frame[frame["visibility"] != "cohort"]
        assert len(hidden) == 8 and hidden["mood"].isna().all() and hidden["answers"].isna().all()
        shown = frame[frame["visibility"] == "cohort"]
        assert shown["mood"].notna().all() and shown["answers"].notna().all()
    statements = json.loads(xapi_text)
    assert len(statements) == 12
    scored = [s for s in statements if "score" in s["result"]]
    assert len(scored) == 4 and sorted(s["result"]["score"]["raw"] for s in scored) == [2, 2, 700103, 700203]
    assert all("response" in s["result"] for s in scored)
    assert {"min": 100000, "max": 999999}.items() <= max(scored, key=lambda s: s["result"]["score"]["raw"])[
        "result"]["score"].items()


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_entries_listing_carries_answers_of_shared_entries_only(planted: Store, fmt: str) -> None:
    out = cli(planted, "entries", "example", "--format", fmt)
    # The table shows no answers but the mood column: only the shared canary's mood may be there.
    if fmt == "table":
        assert "700103" in out and "700203" in out
        assert_only_cohort(out, "entries table", expect_cohort=False)
    else:
        assert_only_cohort(out, f"entries {fmt}")
    mine = cli(planted, "entries", "example", "--person", "p01", "--format", fmt)
    assert "700103" in mine and "700203" not in mine
    for vis in ("private", "coach"):
        assert not any(n in mine for n in needles("p01", vis)), f"entries --person {fmt}: {vis} answer leaked"
    if fmt == "json":
        rows = json.loads(out)
        assert all(r["mood"] is None and r["answers"] is None for r in rows if r["visibility"] != "cohort")


def test_listing_api_per_answer_rows_only_of_shared_entries(planted: Store) -> None:
    from workbook.access import facilitator_frame

    rows = facilitator_frame(planted, "example", per="answer")
    assert set(rows["visibility"]) == {"cohort"} and len(rows) == 2 * 5 + 2 * 2
    assert_only_cohort(frame_text(rows), "per-answer frame")


def test_person_export_carries_all_of_theirs_and_nothing_of_others(planted: Store, tmp_path: Path) -> None:
    cli(planted, "export", "example", "--person", "p01", "--out", str(tmp_path / "p01.json"))
    text = (tmp_path / "p01.json").read_text(encoding="utf-8")
    for vis in VISIBILITIES:
        assert all(n in text for n in needles("p01", vis)), vis
        assert not any(n in text for n in needles("p02", vis)), vis
