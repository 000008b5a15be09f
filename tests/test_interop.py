"""Exports keep private text private; a person's export has all of theirs; erasure leaves no trace."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from workbook import Store
from workbook.cli import main
from workbook.interop import erase_person, export_cohort, export_person, pseudonym, xapi_statements

G = {"description": "d", "evaluation": "e", "conclusion": "c", "mood": 4}


def seed(store: Store) -> dict[str, int]:
    ids = {}
    for vis in ("private", "coach", "cohort"):
        ids[vis] = store.add_entry("example", "p01", "gibbs", {**G, "description": f"MARK-{vis}"},
                                   visibility=vis).id
    return ids


def test_cohort_exports_show_only_cohort_text(example: Store, tmp_path: Path) -> None:
    seed(example)
    assert export_cohort(example, "example", "csv", tmp_path / "e.csv") == 3
    text = (tmp_path / "e.csv").read_text(encoding="utf-8")
    assert "MARK-cohort" in text and "MARK-private" not in text and "MARK-coach" not in text
    export_cohort(example, "example", "parquet", tmp_path / "e.parquet")
    frame = pd.read_parquet(tmp_path / "e.parquet")
    assert len(frame) == 3 and frame["answers"].notna().sum() == 1
    statements = xapi_statements(example, "example")
    assert len(statements) == 3 and statements[0]["verb"]["display"]["en-US"] == "completed"
    blob = json.dumps(statements, ensure_ascii=False)
    assert "MARK-cohort" in blob and "MARK-private" not in blob


def test_xapi_actors_are_stable_pseudonyms_without_name_or_email(example: Store, tmp_path: Path) -> None:
    seed(example)
    example.add_entry("example", "p02", "gibbs", G, visibility="cohort")
    first = xapi_statements(example, "example")
    export_cohort(example, "example", "xapi", tmp_path / "x.json")
    again = json.loads((tmp_path / "x.json").read_text(encoding="utf-8"))
    actors = [s["actor"] for s in first]
    assert actors == [s["actor"] for s in again]  # stable across exports
    assert all(set(a) == {"objectType", "account"} and a["account"]["homePage"] == "https://workbook.invalid/"
               for a in actors)
    names = [a["account"]["name"] for a in actors]
    assert len(set(names)) == 2 and not {"p01", "p02"} & set(names)
    text = (tmp_path / "x.json").read_text(encoding="utf-8")
    for m in example.find_members("example", active_only=False):
        assert m.name not in text and m.email not in text and "mailto:" not in text
    # Keyed: the cohort's secret (in the database only) makes the name; another key, another name.
    assert pseudonym(example.pseudonym_key("example"), "example", "p01") == names[0]
    assert pseudonym(b"another key", "example", "p01") != names[0]


def test_person_export_has_everything_of_theirs(example: Store) -> None:
    ids = seed(example)
    example.edit_entry(ids["private"], "p01", {**G, "description": "MARK-private-v2"})
    c = example.add_comment(ids["coach"], "c01", "Released note", release=True)
    example.add_comment(ids["coach"], "c01", "Draft note")
    data = export_person(example, "example", "p01")
    current = {e["answers"]["description"] for e in data["entries"]}
    assert current == {"MARK-private-v2", "MARK-coach", "MARK-cohort"}
    [edited] = [e for e in data["entries"] if e["answers"]["description"] == "MARK-private-v2"]
    assert [h["answers"]["description"] for h in edited["history"]] == ["MARK-private"]
    assert [x["body"] for x in data["comments_received"]] == [c.body]


def test_erase_removes_person_everywhere(example: Store, tmp_path: Path) -> None:
    ids = seed(example)
    example.add_comment(ids["coach"], "c01", "Nice")
    s = example.add_session("example", "start-stop-continue")
    example.add_entry("example", "p02", "start-stop-continue", {"start": ["x"]}, session_id=s.id)
    card = example.find_cards(s.id)[0]
    example.add_vote(card.id, "p01", 3)
    example.add_kudos("example", "p02", "p01", "thanks")
    counts = erase_person(example, "example", "p01", report_dirs=[tmp_path / "reports"]).counts
    assert counts["entries"] == 3 and counts["votes"] == 1 and counts["person"] == 1
    assert example.find_entries("example", author_id="p01") == []
    assert example.find_cards(s.id)[0].votes == 0
    assert example.find_kudos("example") == []
    blob = repr(example.entries_frame("example").to_dict("records"))
    assert "MARK" not in blob


def test_cli_export_and_erase(example: Store, tmp_path: Path) -> None:
    seed(example)
    r = CliRunner().invoke(main, ["--db", example.url, "export", "example", "--format", "xapi",
                                  "--out", str(tmp_path / "x.json")])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["--db", example.url, "export", "example", "--person", "p01",
                                  "--out", str(tmp_path / "p.json")])
    assert r.exit_code == 0 and "3 entries" in r.output
    r = CliRunner().invoke(main, ["--db", example.url, "erase", "example", "p01"], input="")
    assert r.exit_code != 0 and example.count_entries() == 3
    r = CliRunner().invoke(main, ["--db", example.url, "erase", "example", "p01", "--yes",
                                  "--reports", str(tmp_path / "reports")])
    assert r.exit_code == 0, r.output
    assert example.count_entries() == 0 and "Erased p01 from example: 3 entries" in r.output
    # Both exports were made before the erasure and still hold p01: the command lists them.
    assert str((tmp_path / "x.json").resolve()) in r.output and str((tmp_path / "p.json").resolve()) in r.output
