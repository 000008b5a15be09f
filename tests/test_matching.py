"""Mentor matching: scores, reasons, constraints, optimality against greedy and brute force."""
from __future__ import annotations

import itertools
import math
from collections import Counter
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbook.errors import ValidationError
from workbook.matching import (
    MatchOptions,
    Profile,
    Weights,
    greedy_match,
    load_synonyms,
    match,
    normalise_terms,
    parse_weights,
    score_matrix,
    score_pair,
    working_overlap_hours,
)

SUMMER = date(2024, 7, 1)
WINTER = date(2024, 1, 15)


def mentor(id, *, skills=(), aspirations=(), tz="UTC", languages=("English",), capacity=1, manager=""):
    return Profile(id, id.title(), "coach", tuple(skills), tuple(aspirations), tz, tuple(languages), capacity, manager)


def mentee(id, *, skills=(), aspirations=(), tz="UTC", languages=("English",), manager=""):
    return Profile(id, id.title(), "participant", tuple(skills), tuple(aspirations), tz, tuple(languages), 0, manager)


def opts(**kw):
    kw.setdefault("reference_date", SUMMER)
    return MatchOptions(**kw)


def pairs_of(result):
    return {(p.mentor_id, p.mentee_id) for p in result.pairs}


# -- weights ---------------------------------------------------------------------------------


def test_parse_weights_full_partial_and_empty():
    assert parse_weights("skills=3,aspirations=2,timezone=1,languages=1") == Weights()
    assert parse_weights(" Skills = 5 , languages=0 ") == Weights(skills=5, languages=0)
    assert parse_weights("") == Weights()
    assert parse_weights("timezone=0.5") == Weights(timezone=0.5)


@pytest.mark.parametrize(
    "text, field, words",
    [
        ("skills=abc", "skills", "not a number"),
        ("skill=3", "skill", "use one of skills, aspirations, timezone, languages"),
        ("skills=-1", "skills", ">= 0"),
        ("skills=nan", "skills", ">= 0"),
        ("skills", "weights", "name=number"),
        ("skills=1,skills=2", "skills", "given twice"),
    ],
)
def test_parse_weights_rejects_bad_input_and_says_what_to_do(text, field, words):
    with pytest.raises(ValidationError) as info:
        parse_weights(text)
    assert words in "; ".join(info.value.by_field()[field])


def test_parse_weights_reports_every_problem_at_once():
    with pytest.raises(ValidationError) as info:
        parse_weights("skills=abc,colour=2,languages=-3")
    assert set(info.value.by_field()) == {"skills", "colour", "languages"}


def test_weights_reject_negative_values():
    with pytest.raises(ValidationError):
        Weights(skills=-1)


# -- terms and synonyms ----------------------------------------------------------------------


def test_normalise_terms_ignores_case_and_spacing_and_maps_synonyms():
    assert normalise_terms(["  Machine   Learning ", "SQL", "sql", ""]) == {"machine learning", "sql"}
    assert normalise_terms(["ML", "Stats"], {"ml": "machine learning", " STATS ": "Statistics"}) == {
        "machine learning",
        "statistics",
    }
    assert normalise_terms("Public Speaking") == {"public speaking"}


def test_load_synonyms(tmp_path):
    assert load_synonyms(tmp_path / "missing.toml") == {}
    path = tmp_path / "synonyms.toml"
    path.write_text('[synonyms]\n"Machine Learning" = ["ML", " machine-learning "]\nsql = "Structured Query Language"\n')
    assert load_synonyms(path) == {
        "ml": "machine learning",
        "machine-learning": "machine learning",
        "structured query language": "sql",
    }


@pytest.mark.parametrize(
    "text, words",
    [
        ("[synonyms\n", "not valid TOML"),
        ("[other]\na = 1\n", "needs a [synonyms] table"),
        ('[synonyms]\nml = 3\n', "give a list of aliases"),
        ('[synonyms]\n"machine learning" = ["ml"]\n"deep learning" = ["ML"]\n', "also listed under"),
        ('[synonyms]\nanalytics = ["data"]\ndata = ["info"]\n', "is an alias of"),
    ],
)
def test_load_synonyms_rejects_malformed_files(tmp_path, text, words):
    path = tmp_path / "synonyms.toml"
    path.write_text(text)
    with pytest.raises(ValidationError, match="synonym") as info:
        load_synonyms(path)
    assert words in str(info.value)


# -- time zones ------------------------------------------------------------------------------


def test_overlap_london_new_york_is_three_hours_and_dst_aware():
    assert working_overlap_hours("Europe/London", "America/New_York", on=SUMMER) == 3
    assert working_overlap_hours("Europe/London", "America/New_York", on=WINTER) == 3
    # 2024-03-20: the US is on daylight time, the UK not yet, so they share an hour more.
    assert working_overlap_hours("Europe/London", "America/New_York", on=date(2024, 3, 20)) == 4
    assert working_overlap_hours("America/New_York", "Europe/London", on=SUMMER) == 3


def test_overlap_far_apart_and_close_zones():
    assert working_overlap_hours("Asia/Tokyo", "America/Los_Angeles", on=SUMMER) == 0
    assert working_overlap_hours("Asia/Tokyo", "America/Los_Angeles", on=WINTER) <= 1
    assert working_overlap_hours("Europe/Paris", "Europe/Paris", on=SUMMER) == 8
    assert working_overlap_hours("Asia/Kolkata", "Europe/London", on=WINTER) == 2.5
    # Either side of the date line: clocks 1 h apart (NZDT UTC+13, HST UTC-10) share 7 h.
    assert working_overlap_hours("Pacific/Auckland", "Pacific/Honolulu", on=WINTER) == 7
    assert working_overlap_hours("UTC", "UTC", working_hours=(0, 24), on=SUMMER) == 24


def test_overlap_rejects_bad_zone_and_hours():
    with pytest.raises(ValidationError, match="IANA name"):
        working_overlap_hours("Mars/Olympus", "UTC")
    with pytest.raises(ValidationError, match="working day"):
        working_overlap_hours("UTC", "UTC", working_hours=(17, 9))


# -- scoring ---------------------------------------------------------------------------------


def test_score_pair_components_score_and_reasons():
    coach = mentor(
        "ana", skills=["Coaching", "facilitation", "SQL", "python"], aspirations=["people management"],
        tz="Europe/Madrid", languages=["English", "Spanish"],
    )
    learner = mentee(
        "bo", skills=["coaching", " Facilitation", "sql", "public speaking"],
        aspirations=["People Management", "product"], tz="Europe/London", languages=["spanish", "basque"],
    )
    pair = score_pair(coach, learner, opts())
    assert pair is not None
    assert pair.components == {"skills": 0.75, "aspirations": 0.5, "timezone": 7 / 8, "languages": 1.0}
    assert pair.score == pytest.approx(3 * 0.75 + 2 * 0.5 + 7 / 8 + 1)
    assert pair.reasons == (
        "offers 3 of the 4 skills sought: coaching, facilitation, sql",
        "shares 1 of the 2 aspirations: people management",
        "7 h of shared working hours",
        "both speak Spanish",
    )


def test_score_pair_reason_wording_variants():
    coach = mentor("a", skills=["sql"], languages=["English", "Spanish"])
    assert score_pair(coach, mentee("b", skills=["SQL"], languages=["english", "spanish"]), opts()).reasons == (
        "offers the skill sought: sql",
        "8 h of shared working hours",
        "share English, Spanish",
    )
    pair = score_pair(coach, mentee("c"), opts(weights=Weights(timezone=0)))
    assert pair.reasons == ("the mentee seeks no particular skills", "both speak English")
    assert pair.score == 1.0


def test_score_pair_uses_synonyms():
    coach = mentor("a", skills=["Machine   Learning"])
    learner = mentee("b", skills=["ML"])
    assert score_pair(coach, learner, opts()).components["skills"] == 0
    assert score_pair(coach, learner, opts(synonyms={"ml": "machine learning"})).components["skills"] == 1


@pytest.mark.parametrize(
    "coach, learner, options",
    [
        (mentor("a", languages=["English"]), mentee("b", languages=["Basque"]), opts()),
        (mentor("a"), mentee("b", languages=[]), opts()),
        (mentor("a"), mentee("b"), opts(exclude={("a", "b")})),
        (mentor("a"), mentee("b"), opts(exclude={("b", "a")})),
        (mentor("a", manager="m1"), mentee("b", manager="m1"), opts()),
        (mentor("a"), mentee("b", manager="a"), opts()),
        (mentor("a", manager="b"), mentee("b"), opts()),
        (mentor("a", capacity=0), mentee("b"), opts()),
        (mentor("a"), mentee("a"), opts()),
        (mentor("a", tz="Asia/Tokyo"), mentee("b", tz="Europe/London"), opts(max_tz_gap=6)),
        (mentor("a", tz="America/New_York"), mentee("b", tz="Europe/London"), opts(min_overlap_hours=4)),
    ],
)
def test_score_pair_hard_constraints(coach, learner, options):
    assert score_pair(coach, learner, options) is None


def test_score_pair_soft_cases_stay_feasible():
    assert score_pair(mentor("a", manager=""), mentee("b", manager=""), opts()) is not None
    assert score_pair(mentor("a", tz="Asia/Tokyo"), mentee("b", tz="Europe/London"), opts(max_tz_gap=8)) is not None
    assert score_pair(mentor("a", tz="America/New_York"), mentee("b", tz="Europe/London"), opts(min_overlap_hours=3)) is not None


def test_score_matrix_labels_and_nan_where_infeasible():
    mentors = [mentor("a"), mentor("b", languages=["French"])]
    mentees = [mentee("x"), mentee("y", languages=["French", "English"])]
    frame = score_matrix(mentors, mentees, opts())
    assert list(frame.index) == ["x", "y"] and list(frame.columns) == ["a", "b"]
    assert math.isnan(frame.loc["x", "b"])
    assert frame.loc["y", "b"] == score_pair(mentors[1], mentees[1], opts()).score


# -- matching --------------------------------------------------------------------------------


def greedy_trap():
    """Greedy takes x-A (the single best pair) and leaves y with B; x-B + y-A is better."""
    mentors = [
        mentor("A", skills=["sql", "python", "coaching", "design", "s5"]),
        mentor("B", skills=["sql", "python", "coaching"]),
    ]
    mentees = [mentee("x", skills=["sql", "python", "coaching", "design"]), mentee("y", skills=["sql", "s5", "s6"])]
    return mentors, mentees


def test_match_finds_the_optimum_greedy_misses():
    mentors, mentees = greedy_trap()
    best = match(mentors, mentees, opts())
    greedy = greedy_match(mentors, mentees, opts())
    assert pairs_of(best) == {("A", "y"), ("B", "x")}
    assert best.total_score == pytest.approx(3 * 2 / 3 + 2 + 3 * 3 / 4 + 2)  # 8.25
    assert pairs_of(greedy) == {("A", "x"), ("B", "y")}
    assert greedy.total_score == pytest.approx(3 + 2 + 3 / 3 + 2)  # 8.0
    assert [p.mentor_id for p in best.pairs] == ["A", "B"]  # sorted by mentor
    assert "linear_sum_assignment" in best.method and "greedy" in greedy.method


def test_match_prefers_more_mentees_matched_over_a_higher_total():
    mentors = [mentor("A", skills=["sql"], languages=["English", "Spanish"]), mentor("B")]
    mentees = [mentee("x", skills=["sql"]), mentee("y", languages=["Spanish"])]
    best = match(mentors, mentees, opts())
    greedy = greedy_match(mentors, mentees, opts())
    assert pairs_of(best) == {("A", "y"), ("B", "x")} and best.unmatched == ()
    assert pairs_of(greedy) == {("A", "x")}
    # The documented trade: one more mentee matched outweighs any score difference.
    assert best.total_score == pytest.approx(4) and greedy.total_score == pytest.approx(5)
    assert greedy.unmatched[0].reason == "every feasible mentor is at capacity (A)"


def test_capacities_are_respected_and_used():
    mentors = [mentor("a", capacity=2), mentor("b", capacity=1), mentor("c", capacity=0)]
    mentees = [mentee(f"m{k}") for k in range(5)]
    result = match(mentors, mentees, opts())
    load = Counter(p.mentor_id for p in result.pairs)
    assert load == {"a": 2, "b": 1}
    assert len(result.unmatched) == 2
    assert {u.reason for u in result.unmatched} == {"every feasible mentor is at capacity (a, b)"}


def test_fixed_pairs_are_kept_and_use_capacity():
    mentors, mentees = greedy_trap()
    result = match(mentors, mentees + [mentee("z")], opts(fixed=(("A", "x"),)))
    assert ("A", "x") in pairs_of(result)
    fixed = [p for p in result.pairs if p.fixed]
    assert [(p.mentor_id, p.mentee_id) for p in fixed] == [("A", "x")]
    assert fixed[0].reasons[0] == "fixed by the facilitator"
    assert Counter(p.mentor_id for p in result.pairs) == {"A": 1, "B": 1}
    frame = result.to_frame()
    assert frame.loc[frame.mentee_id == "x", "fixed"].item()
    assert len(result.unmatched) == 1


def test_fixed_pair_breaking_a_soft_rule_is_kept_with_a_warning():
    result = match([mentor("a")], [mentee("b", languages=["Basque"])], opts(fixed=[("a", "b")]))
    (pair,) = result.pairs
    assert pair.fixed and pair.reasons[:2] == ("fixed by the facilitator", "kept although they share no language")


@pytest.mark.parametrize(
    "fixed, exclude, words",
    [
        ((("nobody", "x"),), (), "'nobody' is not a mentor"),
        ((("x", "a"),), (), "write fixed pairs as mentor_id:mentee_id"),
        ((("a", "x"), ("a", "y")), (), "2 fixed mentees but capacity 1"),
        ((("a", "x"), ("b", "x")), (), "already fixed to a"),
        ((("a", "x"),), (("x", "a"),), "both fixed and excluded"),
    ],
)
def test_bad_fixed_pairs_are_rejected(fixed, exclude, words):
    with pytest.raises(ValidationError) as info:
        match([mentor("a"), mentor("b")], [mentee("x"), mentee("y")], opts(fixed=fixed, exclude=frozenset(exclude)))
    assert words in str(info.value)


def test_bad_people_and_exclusions_are_rejected():
    with pytest.raises(ValidationError, match="no mentor or mentee has id 'ghost'"):
        match([mentor("a")], [mentee("x")], opts(exclude={("a", "ghost")}))
    with pytest.raises(ValidationError, match="whole number >= 0"):
        match([mentor("a", capacity=-1)], [mentee("x")], opts())
    with pytest.raises(ValidationError, match="appears twice"):
        match([mentor("a"), mentor("a")], [mentee("x")], opts())
    with pytest.raises(ValidationError, match="IANA name"):
        match([mentor("a")], [mentee("x", tz="GMT+2 ")], opts())
    with pytest.raises(ValidationError, match="not allowed"):
        MatchOptions(max_tz_gap=-1)


def test_unmatched_reasons_are_specific():
    mentors = [
        mentor("a", tz="Europe/London", capacity=1),
        mentor("b", tz="Europe/Berlin", languages=["English", "German"], skills=["German grammar"], capacity=1),
    ]
    mentees = [
        mentee("basque", languages=["Basque"], tz="Europe/London"),
        mentee("far", tz="Pacific/Auckland"),
        mentee("excl", tz="Europe/London"),
        mentee("p1", tz="Europe/London"),
        mentee("p2", tz="Europe/London"),
        mentee("p3", tz="Europe/London"),
        mentee("mixed", languages=["German"], skills=["german grammar"], tz="Europe/London"),
    ]
    options = opts(max_tz_gap=6, exclude={("a", "excl"), ("excl", "b"), ("a", "mixed")})
    reasons = {u.mentee_id: u.reason for u in match(mentors, mentees, options).unmatched}
    assert reasons["basque"] == "no mentor shares a language (speaks: Basque)"
    assert reasons["far"] == "time zone gap too large for every mentor (more than 6 h from Pacific/Auckland)"
    assert reasons["excl"] == "excluded from all mentors"
    assert "mixed" not in reasons  # b is mixed's only option, and the best fit for b
    assert sorted(r for k, r in reasons.items() if k.startswith("p")) == ["every feasible mentor is at capacity (a, b)"] * 2
    lonely = match([mentor("a", manager="m")], [mentee("x", manager="m"), mentee("y", languages=[])], opts())
    assert {u.mentee_id: u.reason for u in lonely.unmatched} == {
        "x": "shares a line manager or reporting line with every mentor",
        "y": "no mentor shares a language (the mentee lists none; add their languages to the roster)",
    }
    mixed = match([mentor("a", capacity=0), mentor("b", languages=["Welsh"])], [mentee("x", languages=["Basque"])], opts())
    assert mixed.unmatched[0].reason == "no feasible mentor: 1 has capacity 0, 1 share no language (speaks: Basque)"
    assert match([], [mentee("x")], opts()).unmatched[0].reason == "there are no mentors to match with"


def test_to_frame_columns_and_empty_result():
    mentors, mentees = greedy_trap()
    frame = match(mentors, mentees, opts()).to_frame()
    assert list(frame.columns) == ["mentor_id", "mentee_id", "score", "reasons", "fixed"]
    assert frame.reasons[0].startswith("offers 2 of the 3 skills sought: s5, sql; 8 h of shared")
    empty = match([], [], opts())
    assert empty.total_score == 0 and empty.to_frame().empty
    assert list(empty.to_frame().columns) == list(frame.columns)


# -- properties --------------------------------------------------------------------------------

SKILLS = ["sql", " SQL", "python", "coaching", "ml", "Machine Learning", "facilitation", "design", "writing"]
AIMS = ["lead", "product", "research"]
ZONES = ["UTC", "Europe/London", "America/New_York", "Asia/Tokyo", "Asia/Kolkata", "Pacific/Auckland"]
# Mostly a shared language and no manager in common, so mentors are contended and plans differ.
LANGS = [("English",)] * 4 + [("english", "Spanish"), ("spanish",), ("Basque",), ()]
MANAGERS = [""] * 6 + ["m1", "m2", "r0"]


@st.composite
def cohorts(draw, max_mentors=4, max_mentees=6, max_capacity=3):
    def person(prefix, k, capacity):
        return Profile(
            f"{prefix}{k}", f"{prefix}{k}", "coach" if prefix == "r" else "participant",
            tuple(draw(st.lists(st.sampled_from(SKILLS), max_size=4))),
            tuple(draw(st.lists(st.sampled_from(AIMS), max_size=2))),
            draw(st.sampled_from(ZONES)),
            draw(st.sampled_from(LANGS)),
            capacity,
            draw(st.sampled_from(MANAGERS)),
        )

    n_mentors = draw(st.integers(0, max_mentors))
    mentors = [person("r", k, draw(st.integers(0, max_capacity))) for k in range(n_mentors)]
    mentees = [person("e", k, 0) for k in range(draw(st.integers(0, max_mentees)))]
    ids = [(r.id, e.id) for r in mentors for e in mentees]
    exclude = frozenset(draw(st.lists(st.sampled_from(ids), max_size=2))) if ids else frozenset()
    fixed = []
    if ids:
        load: Counter[str] = Counter()
        for r_id, e_id in draw(st.lists(st.sampled_from(ids), max_size=2)):
            cap = next(r.capacity for r in mentors if r.id == r_id)
            if (r_id, e_id) in exclude or any(e == e_id for _, e in fixed) or load[r_id] >= cap:
                continue
            load[r_id] += 1
            fixed.append((r_id, e_id))
    options = MatchOptions(
        weights=Weights(*(draw(st.integers(0, 4)) for _ in range(4))),
        max_tz_gap=draw(st.sampled_from([None, None, None, 3, 9])),
        min_overlap_hours=draw(st.sampled_from([0, 0, 0, 2])),
        exclude=exclude,
        fixed=tuple(fixed),
        synonyms=draw(st.sampled_from([{}, {"ml": "machine learning"}])),
        reference_date=draw(st.sampled_from([SUMMER, WINTER])),
    )
    return mentors, mentees, options


def check_plan(mentors, mentees, options, result):
    """Capacities, hard constraints, fixed pairs and bookkeeping of any plan."""
    by_id = {r.id: r for r in mentors}
    load = Counter(p.mentor_id for p in result.pairs)
    assert all(load[r] <= by_id[r].capacity for r in load)
    matched = [p.mentee_id for p in result.pairs]
    assert len(matched) == len(set(matched))
    assert sorted(matched + [u.mentee_id for u in result.unmatched]) == sorted(e.id for e in mentees)
    assert set(options.fixed) <= pairs_of(result)
    assert {(p.mentor_id, p.mentee_id) for p in result.pairs if p.fixed} == set(options.fixed)
    people = {e.id: e for e in mentees}
    for p in result.pairs:
        if not p.fixed:
            assert score_pair(by_id[p.mentor_id], people[p.mentee_id], options) is not None
    assert result.total_score == pytest.approx(sum(p.score for p in result.pairs))
    for u in result.unmatched:
        assert not u.reason.startswith("not placed"), u.reason


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cohorts())
def test_solver_beats_or_equals_greedy_and_respects_every_constraint(cohort):
    mentors, mentees, options = cohort
    best = match(mentors, mentees, options)
    greedy = greedy_match(mentors, mentees, options)
    check_plan(mentors, mentees, options, best)
    check_plan(mentors, mentees, options, greedy)
    # Most mentees first, then the total: never worse than greedy in that order.
    assert best.matched_count >= greedy.matched_count
    if best.matched_count == greedy.matched_count:
        assert best.total_score >= greedy.total_score - 1e-9


def brute_force(mentors, mentees, options):
    """(matched, total) of the best plan, by trying every assignment; fixed pairs score 0 here."""
    scores = score_matrix(mentors, mentees, options).to_numpy()
    fixed = {e: r for r, e in options.fixed}
    col = {r.id: j for j, r in enumerate(mentors)}
    best = (-1, -math.inf)
    for choice in itertools.product(range(-1, len(mentors)), repeat=len(mentees)):
        total, count, load, ok = 0.0, 0, Counter(), True
        for i, j in enumerate(choice):
            forced = fixed.get(mentees[i].id)
            if forced is not None:
                if j != col[forced]:
                    ok = False
                    break
            elif j >= 0:
                if math.isnan(scores[i, j]):
                    ok = False
                    break
                total += scores[i, j]
            if j >= 0:
                count += 1
                load[j] += 1
        if ok and all(load[j] <= mentors[j].capacity for j in load):
            best = max(best, (count, total))
    return best


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cohorts(max_mentors=3, max_mentees=4, max_capacity=2))
def test_solver_equals_brute_force_optimum_on_tiny_cohorts(cohort):
    mentors, mentees, options = cohort
    result = match(mentors, mentees, options)
    count, total = brute_force(mentors, mentees, options)
    fixed_total = sum(p.score for p in result.pairs if p.fixed)  # the same in every plan
    assert result.matched_count == count
    assert result.total_score - fixed_total == pytest.approx(total)


@settings(max_examples=60, deadline=None)
@given(cohorts(max_mentors=3, max_mentees=3))
def test_score_matrix_agrees_with_score_pair(cohort):
    mentors, mentees, options = cohort
    options = MatchOptions(**{**options.__dict__, "fixed": ()})
    frame = score_matrix(mentors, mentees, options)
    for r in mentors:
        for e in mentees:
            pair = score_pair(r, e, options)
            value = frame.loc[e.id, r.id]
            assert (pair is None and math.isnan(value)) or pair.score == pytest.approx(value)


def test_solver_equals_a_two_stage_linear_program_on_a_medium_cohort():
    """Independent check at a size brute force cannot reach: bipartite b-matching LPs have
    integral optima, so max count, then max score at that count, is the exact optimum."""
    import random

    import numpy as np
    from scipy import sparse
    from scipy.optimize import Bounds, LinearConstraint, milp

    rnd = random.Random(11)
    zones = ["Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles", "Asia/Kolkata", "Asia/Tokyo"]
    langs = [("English",), ("English",), ("English", "Spanish"), ("Spanish",), ("Hindi", "English")]

    def person(pid, role, capacity):
        return Profile(pid, pid, role, tuple(rnd.sample(SKILLS, rnd.randint(1, 4))), tuple(rnd.sample(AIMS, rnd.randint(0, 2))),
                       rnd.choice(zones), rnd.choice(langs), capacity, rnd.choice(["", "", "m1", "m2", "m3"]))

    mentors = [person(f"r{k}", "coach", rnd.randint(0, 4)) for k in range(40)]
    mentees = [person(f"e{k}", "participant", 0) for k in range(150)]
    options = opts(max_tz_gap=4, exclude={("r1", "e1"), ("e2", "r2")})
    values = score_matrix(mentors, mentees, options).to_numpy()
    ii, jj = np.nonzero(~np.isnan(values))
    k = ii.size
    per_mentee = sparse.csr_matrix((np.ones(k), (ii, np.arange(k))), shape=(len(mentees), k))
    per_mentor = sparse.csr_matrix((np.ones(k), (jj, np.arange(k))), shape=(len(mentors), k))
    limits = [LinearConstraint(per_mentee, 0, 1), LinearConstraint(per_mentor, 0, [m.capacity for m in mentors])]
    most = -milp(-np.ones(k), constraints=limits, bounds=Bounds(0, 1)).fun
    at_most = LinearConstraint(np.ones((1, k)), most - 0.5, np.inf)
    best = -milp(-values[ii, jj], constraints=[*limits, at_most], bounds=Bounds(0, 1)).fun

    result = match(mentors, mentees, options)
    assert result.matched_count == round(most)
    assert result.total_score == pytest.approx(best)
    check_plan(mentors, mentees, options, result)


def test_reasons_say_both_all_and_none():
    coach = mentor("a", skills=["sql", "python", "r"], aspirations=["lead", "research"])
    assert score_pair(coach, mentee("b", skills=["SQL", "Python"], aspirations=["lead", "research"]), opts()).reasons[:2] == (
        "offers both skills sought: python, sql",
        "shares both aspirations: lead, research",
    )
    assert score_pair(coach, mentee("c", skills=["r", "sql", "python"], aspirations=["x", "y"]), opts()).reasons[:2] == (
        "offers all 3 skills sought: python, r, sql",
        "shares none of the 2 aspirations",
    )
    assert score_pair(coach, mentee("d", skills=["go", "rust"], aspirations=["x"]), opts()).reasons[:2] == (
        "offers none of the 2 skills sought",
        "does not share the aspiration: x",
    )
