"""Matching a stored cohort: `workbook match` end to end, apply/keep/exclude, swap/fix, the widgets."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest
from click.testing import CliRunner, Result

from workbook import Store, ValidationError
from workbook.cli import main
from workbook.matching import (MatchOptions, apply, fix_pair, match_options, profiles_for, propose, result_frame,
                               swap)
from workbook.matching.cohort import KEPT_ACTIVE_REASON, KEPT_ROSTER_REASON
from workbook.matching.widgets import matching_panel, score_heatmap

from .conftest import dump

COHORT = "example"
# Scores use the working hours of a day (daylight saving time), so API tests fix the day.
OPTS = MatchOptions(reference_date=date(2026, 11, 24))


def run(store: Store, *args: str) -> Result:
    return CliRunner().invoke(main, ["--db", store.url, "match", COHORT, *args])


def update_member(store: Store, person_id: str, **changes: object) -> None:
    m = store.get_membership(COHORT, person_id)
    store.save_members(COHORT, [replace(m, **changes)])  # type: ignore[arg-type]


def pairs_of(store: Store) -> dict[str, tuple[str, str]]:
    """mentee -> (coach, status) of every stored pairing."""
    return {p.mentee_id: (p.coach_id, p.status)
            for p in store.find_pairings(COHORT, statuses=("proposed", "active", "fixed"))}


# -- the API ------------------------------------------------------------------------------------

def test_profiles_are_coaches_and_participants(example: Store) -> None:
    mentors, mentees = profiles_for(example, COHORT)
    assert [p.id for p in mentors] == ["c01", "c02", "c03", "c04", "c05"]  # f01 offers no capacity
    assert len(mentees) == 18 and {p.role for p in mentees} == {"participant"}
    assert mentors[0].capacity == 4 and mentors[0].languages == ("Spanish", "English")
    update_member(example, "f01", capacity=2)
    update_member(example, "p18", active=False)
    mentors, mentees = profiles_for(example, COHORT)
    assert "f01" in {p.id for p in mentors} and "p18" not in {p.id for p in mentees}


def test_cohort_synonyms_are_used(example: Store) -> None:
    update_member(example, "p02", skills=("Databases",))  # synonyms.toml: sql = [..., "databases"]
    result = propose(example, COHORT, match_options("skills=10,aspirations=0,timezone=0,languages=0", base=OPTS))
    pair = next(p for p in result.pairs if p.mentee_id == "p02")
    assert pair.mentor_id in {"c01", "c03"} and "offers the skill sought: sql" in pair.reasons


def test_swap_rescores_and_refuses_a_broken_constraint(example: Store) -> None:
    result = propose(example, COHORT, OPTS)
    by_mentee = {p.mentee_id: p for p in result.pairs}
    a, b = by_mentee["p09"], by_mentee["p16"]  # Emma and Mateo: English speakers, different managers
    assert (a.mentor_id, b.mentor_id) == ("c02", "c04")
    swapped = swap(example, COHORT, result, "p09", "p16", OPTS)
    new = {p.mentee_id: p for p in swapped.pairs}
    assert (new["p09"].mentor_id, new["p16"].mentor_id) == (b.mentor_id, a.mentor_id)
    assert new["p09"].reasons[0] == f"swapped by the facilitator (was {a.mentor_id})"
    assert swapped.total_score == pytest.approx(sum(p.score for p in swapped.pairs))
    assert swapped.matched_count == result.matched_count
    # Hiroshi speaks only Japanese, so only Kenji (c03) can mentor him.
    with pytest.raises(ValidationError) as err:
        swap(example, COHORT, result, "p06", "p09", OPTS)
    assert "share no language" in str(err.value) and "Hiroshi Tanaka" in str(err.value)
    # Chloé and Ingrid share a line manager.
    with pytest.raises(ValidationError, match="share a line manager"):
        swap(example, COHORT, result, "p09", "p15", OPTS)
    # The unmatched mentee can take a matched mentee's place; the other becomes unmatched.
    (lost,) = result.unmatched
    assert lost.mentee_id == "p08"
    placed = swap(example, COHORT, result, "p09", "p08", OPTS)
    assert next(p for p in placed.pairs if p.mentee_id == "p08").mentor_id == "c02"
    assert [(u.mentee_id, u.reason) for u in placed.unmatched] == [
        ("p09", "unmatched by the facilitator (swapped out for p08)")]


def test_fixed_pairs_cannot_be_swapped_and_survive_apply(example: Store) -> None:
    result = fix_pair(propose(example, COHORT, OPTS), "c03", "p06")
    with pytest.raises(ValidationError, match="fixed"):
        swap(example, COHORT, result, "p06", "p09", OPTS)
    apply(example, COHORT, result)
    assert pairs_of(example)["p06"] == ("c03", "fixed")
    again = propose(example, COHORT, match_options(exclude=["c03:p07"], base=OPTS))
    kept = next(p for p in again.pairs if p.mentee_id == "p06")
    assert kept.fixed and kept.reasons[0] == "fixed by the facilitator"
    with pytest.raises(ValidationError, match="not in the proposal"):
        fix_pair(again, "c01", "p06")
    # A proposal made before someone else fixed a pair is refused, not stored twice.
    stale = replace(again, pairs=tuple(replace(p, mentor_id="c01", fixed=False) if p.mentee_id == "p06" else p
                                       for p in again.pairs))
    before = dump(example)
    with pytest.raises(ValidationError, match="out of date"):
        apply(example, COHORT, stale)
    assert dump(example) == before


def test_options_from_text_report_every_problem() -> None:
    with pytest.raises(ValidationError) as err:
        match_options("skills=lots,colour=1", None, ["c01", "p01:p01", "c01:p02"])
    fields = [p.field for p in err.value.problems]
    assert fields == ["skills", "colour", "exclude", "exclude"]
    opts = match_options("", 3, ["c01:p02, p03:c04"])
    assert opts.max_tz_gap == 3 and opts.exclude == {("c01", "p02"), ("p03", "c04")}
    assert opts.weights == MatchOptions().weights


# -- the command --------------------------------------------------------------------------------

def test_match_table_changes_nothing(example: Store) -> None:
    before = dump(example)
    r = run(example)
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["Mentor", "Mentee", "Score", "Reasons"]
    assert any(line.startswith("Kenji Watanabe") and "Hiroshi Tanaka" in line and "both speak Japanese" in line
               for line in lines)
    assert "Unmatched (1):" in r.stdout and "every feasible mentor is at capacity" in r.stdout
    assert lines[-1].startswith("Matched 17 of 18 mentees, total score ") and "linear_sum_assignment" in lines[-1]
    assert dump(example) == before


def test_match_json_and_csv(example: Store) -> None:
    data = json.loads(run(example, "--format", "json").stdout)
    assert data["matched"] == 17 and data["mentees"] == 18 and data["applied"] is False
    assert len(data["pairs"]) == 17 and len(data["unmatched"]) == 1
    first = data["pairs"][0]
    assert {"mentor", "mentee", "score", "reasons", "fixed"} <= first.keys() and isinstance(first["reasons"], list)
    assert data["total_score"] == pytest.approx(sum(p["score"] for p in data["pairs"]))
    csv = run(example, "--format", "csv").stdout.splitlines()
    assert csv[0] == "mentor_id,mentor,mentee_id,mentee,score,reasons,fixed,matched" and len(csv) == 19


def test_apply_stores_scores_and_reasons_and_keeps_fixed(example: Store) -> None:
    example.replace_pairings(COHORT, [("c02", "p13", None, ["agreed at kick-off"])], status="fixed")
    example.replace_pairings(COHORT, [("c05", "p01", 1.0, ["old"])], status="active")
    r = run(example, "--apply")
    # Capacities add up to 17: the fixed pair takes one of Ingrid's 3 places.
    assert r.exit_code == 0 and "Applied: 17 pairings stored for 'example' (1 fixed)." in r.stdout
    stored = {p.mentee_id: p for p in example.find_pairings(COHORT, statuses=("proposed", "active", "fixed"))}
    assert stored["p13"].coach_id == "c02" and stored["p13"].status == "fixed"
    assert stored["p13"].reasons == ("agreed at kick-off",)  # a fixed pairing is left exactly as it was
    assert len(stored) == 17 and sum(p.status == "active" for p in stored.values()) == 16
    load: dict[str, int] = {}
    for p in stored.values():
        load[p.coach_id] = load.get(p.coach_id, 0) + 1
    mentors, _ = profiles_for(example, COHORT)
    assert all(load.get(m.id, 0) <= m.capacity for m in mentors)
    active = [p for p in stored.values() if p.status == "active"]
    assert all(p.score is not None and p.score > 0 and p.reasons for p in active)
    table = r.stdout.splitlines()
    p01 = stored["p01"]
    assert any("Lucía Fernández" in line and "; ".join(p01.reasons) in line for line in table)
    # The JSON applied flag, with the message on stderr so stdout stays parseable.
    r = run(example, "--apply", "--format", "json")
    assert json.loads(r.stdout)["applied"] is True and "Applied" in r.stderr


def test_keep_existing_keeps_roster_and_active_pairings(example: Store) -> None:
    data = json.loads(run(example, "--keep-existing", "--format", "json").stdout)
    kept = {p["mentee_id"]: p["mentor_id"] for p in data["pairs"] if p["reasons"][0] == KEPT_ROSTER_REASON}
    roster = {m.person_id: m.coach_id for m in example.find_members(COHORT, "participant") if m.coach_id}
    assert kept == roster and len(kept) == 12
    assert not any(p["fixed"] for p in data["pairs"])  # kept, but not fixed by the facilitator
    # Store a plan where Lucía (p01) is not with her roster coach, then keep it.
    assert run(example, "--apply", "--exclude", "c01:p01").exit_code == 0
    coach = pairs_of(example)["p01"][0]
    assert coach != "c01"
    data = json.loads(run(example, "--keep-existing", "--format", "json").stdout)
    p01 = next(p for p in data["pairs"] if p["mentee_id"] == "p01")
    assert p01["mentor_id"] == coach and p01["reasons"][0] == KEPT_ACTIVE_REASON


def test_exclusions_are_honoured(example: Store) -> None:
    base = {p["mentee_id"]: p["mentor_id"] for p in json.loads(run(example, "--format", "json").stdout)["pairs"]}
    banned = [f"{base['p01']}:p01", f"p12:{base['p12']}"]  # either order
    data = json.loads(run(example, "--format", "json", "--exclude", banned[0], "--exclude", banned[1]).stdout)
    now = {p["mentee_id"]: p["mentor_id"] for p in data["pairs"]}
    assert now.get("p01") != base["p01"] and now.get("p12") != base["p12"]


@pytest.mark.parametrize("args, message", [
    (["--weights", "skills=lots"], "skills: 'lots' is not a number"),
    (["--weights", "colour=1"], "colour: unknown weight"),
    (["--weights", "skills=-2"], "use a number >= 0"),
    (["--exclude", "c01-p01"], "is not a pair"),
    (["--exclude", "c01:nobody"], "no mentor or mentee has id 'nobody'"),
    (["--max-tz-gap", "-1"], "use hours >= 0"),
])
def test_bad_input_is_one_clear_line_and_changes_nothing(example: Store, args: list[str], message: str) -> None:
    example.replace_pairings(COHORT, [("c01", "p01", 5.0, ["before"])], status="active")
    before = dump(example)
    r = run(example, "--apply", *args)
    assert r.exit_code == 1, r.output
    assert r.stdout == "" and r.stderr.startswith("Error: ") and message in r.stderr
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.output
    assert dump(example) == before


def test_unknown_cohort(example: Store) -> None:
    r = CliRunner().invoke(main, ["--db", example.url, "match", "nope"])
    assert r.exit_code == 1 and "cohort 'nope' not found" in r.stderr


# -- the widgets ---------------------------------------------------------------------------------

def test_panel_swap_fix_apply(example: Store) -> None:
    panel = matching_panel(example, COHORT, OPTS)
    assert "Matched 17 of 18" in panel.summary.value and "Hiroshi Tanaka" in panel.table.value
    before = {p.mentee_id: p.mentor_id for p in panel.result.pairs}
    panel.mentee_a.value, panel.mentee_b.value = "p09", "p16"
    panel.swap_button.click()
    assert "Swapped" in panel.status.value
    panel.pair.value = "c03:p06"
    panel.fix_button.click()
    assert "Fixed" in panel.status.value and "(fixed)" in panel.table.value
    assert example.find_pairings(COHORT) == []  # nothing stored before Apply
    panel.apply_button.click()
    assert "Applied: 17 pairings stored for example (1 fixed)" in panel.status.value
    stored = pairs_of(example)
    assert stored["p09"] == (before["p16"], "active") and stored["p16"] == (before["p09"], "active")
    assert stored["p06"] == ("c03", "fixed")
    reasons = next(p.reasons for p in example.find_pairings(COHORT, mentee_id="p09"))
    assert reasons[0].startswith("swapped by the facilitator")


def test_panel_refuses_a_bad_swap_and_changes_nothing(example: Store) -> None:
    panel = matching_panel(example, COHORT, OPTS)
    panel.apply_button.click()
    before = dump(example)
    result = panel.result
    panel.mentee_a.value, panel.mentee_b.value = "p06", "p09"
    panel.swap_button.click()
    assert "breaks a hard constraint" in panel.status.value and "share no language" in panel.status.value
    assert panel.result is result
    panel.pair.value = "c03:p06"
    panel.fix_button.click()
    panel.repropose_button.click()  # discards the unapplied fix
    assert not any(p.fixed for p in panel.result.pairs)
    assert dump(example) == before


def test_heatmap_is_labelled_and_limited(example: Store) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    result = fix_pair(propose(example, COHORT, OPTS), "c03", "p06")
    fig = score_heatmap(example, COHORT, OPTS, result)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()][0] == "Daniel Reyes"
    assert "Ravi Kumar (unmatched)" in [t.get_text() for t in ax.get_yticklabels()]
    assert ax.get_xlabel() == "Mentor" and ax.get_ylabel() == "Mentee"
    assert len(ax.patches) == 17 and "fixed pair" in fig._suptitle.get_text()  # type: ignore[union-attr]
    plt.close(fig)
    fig = score_heatmap(example, COHORT, OPTS, result, top=5, max_mentors=2)
    ax = fig.axes[0]
    assert len(ax.get_yticklabels()) == 5 and len(ax.get_xticklabels()) == 2
    assert "5 of 18 mentees" in fig._suptitle.get_text()  # type: ignore[union-attr]
    plt.close(fig)
    frame = result_frame(result, {})
    assert frame["matched"].sum() == 17 and frame.loc[~frame["matched"], "score"].isna().all()
