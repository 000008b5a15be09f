"""Roster import: every defect reported by line and column; a rejected file imports nothing."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from workbook import RosterError, Store, import_cohort
from workbook.roster import parse_roster

from .conftest import EXAMPLE, dump

HEADER = "id,name,email,role,coach,skills,aspirations,timezone,languages,capacity\n"
GOOD = HEADER + "c1,Coach One,c1@x.org,coach,,sql,,Europe/Madrid,Spanish,2\np1,Pat,p1@x.org,participant,c1,sql,,UTC,English,0\n"


def make_cohort(tmp_path: Path, roster: str | bytes, toml: str = 'name = "T"\ntimezone = "Europe/London"\n') -> Path:
    d = tmp_path / "cohort-t"
    d.mkdir(exist_ok=True)
    (d / "cohort.toml").write_text(toml, encoding="utf-8")
    (d / "roster.csv").write_bytes(roster if isinstance(roster, bytes) else roster.encode("utf-8"))
    return d


def test_example_imports_and_reimport_updates(store: Store) -> None:
    r = import_cohort(store, EXAMPLE)
    assert (r.created, r.updated) == (24, 0)
    assert len(store.find_members("example", "coach")) == 5
    m = store.get_membership("example", "p11")
    assert m.skills == ("coaching", "facilitation") and m.coach_id == "c02"
    assert store.get_membership("example", "p17").skills == ("public speaking", "facilitation")
    r2 = import_cohort(store, EXAMPLE)
    assert (r2.created, r2.updated) == (0, 24)


def test_import_roster_is_one_transaction_and_counts_what_it_did(store: Store) -> None:
    from dataclasses import replace

    from workbook import Cohort, Membership, ValidationError

    cohort = Cohort("t", "T", "UTC")
    pat = Membership("t", "p1", "Pat", "p1@x.org", "participant")
    kim = Membership("t", "c1", "Kim", "c1@x.org", "chief")  # a role the store refuses, after Pat
    before = dump(store)
    with pytest.raises(ValidationError, match="chief"):
        store.import_roster(cohort, [pat, kim])
    assert dump(store) == before  # not even the cohort or Pat
    done = store.import_roster(cohort, [pat])
    assert (done.created, done.updated, done.deactivated, done.skipped, done.readmitted) == (1, 0, 0, {}, ())
    done = store.import_roster(cohort, [replace(kim, role="coach")])
    assert (done.created, done.updated, done.deactivated) == (1, 0, 1)
    assert [m.person_id for m in store.find_members("t")] == ["c1"] and store.get_person("p1").name == "Pat"


def test_removed_people_are_deactivated_not_deleted(store: Store, tmp_path: Path) -> None:
    d = make_cohort(tmp_path, GOOD)
    import_cohort(store, d)
    (d / "roster.csv").write_text(HEADER + "c1,Coach One,c1@x.org,coach,,,,UTC,English,2\n", encoding="utf-8")
    r = import_cohort(store, d)
    assert r.deactivated == 1
    assert [m.person_id for m in store.find_members("cohort-t")] == ["c1"]
    assert store.get_person("p1").name == "Pat"


def test_bom_semicolons_quoted_commas_and_newlines(tmp_path: Path) -> None:
    text = ("id;name;email;role;coach;skills;aspirations;timezone;languages;capacity\r\n"
            'c1;"Reyes, Daniel";d@x.org;coach;;"sql, python";"lead\nteams";America/Bogota;Spanish;3\r\n')
    d = make_cohort(tmp_path, b"\xef\xbb\xbf" + text.encode("utf-8"))
    [m] = parse_roster(d / "roster.csv")
    assert m.name == "Reyes, Daniel" and m.skills == ("sql", "python") and m.capacity == 3
    assert m.aspirations == ("lead\nteams",)


@pytest.mark.parametrize("roster, field, line, words", [
    (HEADER + "p1,Pat,p1@x.org,student,,,,UTC,English,0\n", "role", 2, "unknown role"),
    (HEADER + "p1,Pat,p1@x.org,participant,,,,UTC,English,0\np1,Pam,p2@x.org,participant,,,,UTC,,0\n",
     "id", 3, "duplicate"),
    (HEADER + "p1,Pat,p1@x.org,participant,zz,,,UTC,English,0\n", "coach", 2, "not an id"),
    (HEADER + "p1,Pat,p1@x.org,participant,,,,Mars/Olympus,English,0\n", "timezone", 2, "IANA"),
    (HEADER + "p1,Pat,p1@x.org,participant,,,,UTC,English,lots\n", "capacity", 2, "whole number"),
    (HEADER + "p1,Pat,not-an-email,participant,,,,UTC,English,0\n", "email", 2, "email"),
    ("id,name,role\np1,Pat,participant\n", "email", 1, "required column"),
    (HEADER + "p1,Pat,p1@x.org\n", "row", 2, "cells"),
])
def test_each_defect_is_reported_with_line_and_column(tmp_path: Path, roster: str, field: str, line: int,
                                                      words: str) -> None:
    d = make_cohort(tmp_path, roster)
    with pytest.raises(RosterError) as err:
        parse_roster(d / "roster.csv")
    hits = [p for p in err.value.problems if p.field == field]
    assert hits and hits[0].line == line and words in hits[0].message, err.value.problems


def test_coach_must_not_be_a_participant(tmp_path: Path) -> None:
    d = make_cohort(tmp_path, HEADER + "p1,Pat,p1@x.org,participant,p2,,,UTC,,0\np2,Pam,p2@x.org,participant,,,,UTC,,0\n")
    with pytest.raises(RosterError, match="is a participant"):
        parse_roster(d / "roster.csv")


def test_wrong_encoding_is_explained(tmp_path: Path) -> None:
    d = make_cohort(tmp_path, (HEADER + "p1,Jos\xe9,p1@x.org,participant,,,,UTC,,0\n").encode("latin-1"))
    with pytest.raises(RosterError, match="not UTF-8") as err:
        parse_roster(d / "roster.csv")
    assert "CSV UTF-8" in str(err.value) and err.value.problems[0].line == 2


def test_all_problems_listed_at_once(tmp_path: Path) -> None:
    d = make_cohort(tmp_path, HEADER + "p1,Pat,bad,boss,,,,Nowhere,,x\n")
    with pytest.raises(RosterError) as err:
        parse_roster(d / "roster.csv")
    assert {p.field for p in err.value.problems} >= {"email", "role", "timezone", "capacity"}


def test_bad_cohort_toml(tmp_path: Path, store: Store) -> None:
    d = make_cohort(tmp_path, GOOD, 'name = ""\ntimezone = "Nowhere/Land"\n[privacy]\nmin_group_size = 0\n')
    with pytest.raises(RosterError) as err:
        import_cohort(store, d)
    assert {p.field for p in err.value.problems} == {"name", "timezone", "privacy.min_group_size"}


def test_rejected_file_leaves_database_unchanged(store: Store, tmp_path: Path) -> None:
    import_cohort(store, EXAMPLE)
    store.add_entry("example", "p01", "kolb", {"experience": "a", "observations": "b", "experiments": ["c"]})
    before = dump(store)
    bad = tmp_path / "example"
    shutil.copytree(EXAMPLE, bad)
    rows = (bad / "roster.csv").read_text(encoding="utf-8").splitlines()
    rows[3] = rows[3].replace("coach", "wizard")  # one bad row among good updates
    rows[5] = rows[5].replace("Ingrid", "Changed")
    (bad / "roster.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(RosterError):
        import_cohort(store, bad)
    assert dump(store) == before


def test_custom_exercises_are_imported_and_bad_ones_rejected(store: Store, tmp_path: Path) -> None:
    d = make_cohort(tmp_path, GOOD)
    (d / "exercises").mkdir()
    (d / "exercises" / "team-pulse.toml").write_text(
        'title = "Team pulse"\nkind = "reflection"\nframework = "Custom"\nsource = "Our team"\n'
        'description = "Weekly pulse"\n[[prompts]]\nid = "pulse"\ntext = "How is the team?"\ntype = "text"\n'
        'required = true\n', encoding="utf-8")
    r = import_cohort(store, d)
    assert r.custom_exercises == ("team-pulse",)
    e = store.add_entry("cohort-t", "p1", "team-pulse", {"pulse": "Good"})
    assert e.exercise_id == "team-pulse"
    (d / "exercises" / "broken.toml").write_text('title = "x"\nkind = "nope"\n', encoding="utf-8")
    before = dump(store)
    with pytest.raises(RosterError, match="custom exercises"):
        import_cohort(store, d)
    assert dump(store) == before


def test_synonyms_are_stored_and_bad_ones_rejected(store: Store, tmp_path: Path) -> None:
    r = import_cohort(store, EXAMPLE)
    assert store.get_cohort(r.cohort.id).settings["synonyms"]["postgres"] == "sql"
    d = make_cohort(tmp_path, GOOD)
    (d / "synonyms.toml").write_text("not toml [", encoding="utf-8")
    before = dump(store)
    with pytest.raises(RosterError, match="synonyms.toml"):
        import_cohort(store, d)
    assert dump(store) == before


@pytest.mark.parametrize("column, row", [
    ("name", "p1,P\x00at,p1@x.org,participant,,,,UTC,English,0\n"),
    ("email", "p1,Pat,p1\x1b@x.org,participant,,,,UTC,English,0\n"),
    ("skills", "p1,Pat,p1@x.org,participant,,sql|\x7fpython,,UTC,English,0\n"),
    ("languages", "p1,Pat,p1@x.org,participant,,,,UTC,Engl\x85ish,0\n"),
    ("role", "p1,Pat,p1@x.org,partici\x00pant,,,,UTC,English,0\n"),
])
def test_control_characters_are_reported_with_line_and_column(tmp_path: Path, column: str, row: str) -> None:
    d = make_cohort(tmp_path, HEADER + "p0,Ok,p0@x.org,participant,,,,UTC,English,0\n" + row)
    with pytest.raises(RosterError) as err:
        parse_roster(d / "roster.csv")
    # One problem, at the cell: the same row is not also blamed for a bad e-mail or an unknown role.
    [problem] = err.value.problems
    assert (problem.field, problem.line) == (column, 3)
    assert problem.message.startswith("contains a control character (U+") and "remove it" in problem.message


def test_tab_and_quoted_line_breaks_are_kept(tmp_path: Path) -> None:
    d = make_cohort(tmp_path, HEADER + 'p1,"Pat\tSmith",p1@x.org,participant,,"sql\r\nmore",,UTC,English,0\n')
    [m] = parse_roster(d / "roster.csv")
    assert m.name == "Pat\tSmith" and m.skills == ("sql\r\nmore",)


def test_a_roster_that_cannot_be_read_names_the_file_and_the_reason(tmp_path: Path, store: Store) -> None:
    d = make_cohort(tmp_path, GOOD)
    (d / "roster.csv").unlink()
    (d / "roster.csv").mkdir()  # reading a folder fails for root too (IsADirectoryError, an OSError)
    with pytest.raises(RosterError) as err:
        import_cohort(store, d)
    assert str(err.value) == (f"cannot read {d / 'roster.csv'} (Is a directory); nothing was imported: "
                              "make it a readable file and import again")
    assert store.find_cohorts() == []


def test_cohort_toml_tables_and_numbers_are_checked(tmp_path: Path, store: Store) -> None:
    d = make_cohort(tmp_path, GOOD, 'name = "T"\nprivacy = "open"\n[retro]\nvotes_per_person = "three"\n'
                                    '[checkins]\ncadence_days = 0\n')
    with pytest.raises(RosterError) as err:
        import_cohort(store, d)
    assert {p.field: p.message for p in err.value.problems} == {
        "privacy": "must be a table: write [privacy] on a line of its own, then its settings below it",
        "retro.votes_per_person": "'three' must be a whole number of at least 1 (default 3)",
        "checkins.cadence_days": "0 must be a whole number of at least 1 (default 14)",
    }
    assert store.find_cohorts() == []


def test_synonyms_with_control_characters_are_rejected(store: Store, tmp_path: Path) -> None:
    d = make_cohort(tmp_path, GOOD)
    (d / "synonyms.toml").write_text('[synonyms]\nsql = ["postgres\\u0000"]\n', encoding="utf-8")
    with pytest.raises(RosterError) as err:
        import_cohort(store, d)
    assert [str(p) for p in err.value.problems] == [
        "synonyms.toml: postgres\\x00: the name contains a control character (U+0000 NUL) at position 9; remove it "
        "(only tab and line breaks are allowed)"]
    assert store.find_cohorts() == []
