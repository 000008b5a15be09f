"""Choosing the pairs: the optimal capacitated assignment, a greedy baseline, unmatched reasons.

Method and why
--------------
:func:`match` expands every mentor into as many identical *slots* as the mentees they can
still take (capacity minus fixed pairs, and never more than the mentees they could feasibly
take), then solves one rectangular assignment problem, mentees x slots, with
``scipy.optimize.linear_sum_assignment`` (a shortest-augmenting-path solver, exact). A
min-cost flow would model capacities without expansion, but scipy has no min-cost flow and
the pure-Python ones (networkx) are far slower at 2,000 x 500; the expanded matrix stays
small (slots <= mentees) and solves in well under a second.

Objective: *first* as many mentees matched as possible, *then* the highest total score among
those plans (lexicographic). It is implemented with a big constant added to every feasible
pair's value: ``big = best_pair_score * max_pairs + 1`` exceeds any total score a plan could
gain by dropping a pair, so one more matched mentee always wins and, among plans with the same
count, the total score decides. Every feasible pair is thus worth more than 0 to the solver,
even one whose reported score is 0 (say all weights are 0), so it is always a candidate. Infeasible entries get value 0, which is the same as leaving
the mentee unmatched, and are dropped from the result. Why this order: a programme manager
would rather every mentee who can have a mentor gets one than see two perfect pairs and a
mentee left out. The consequence: the optimal plan can have a *lower* total score than the
greedy one when it matches more mentees (see the tests); for the same number of matched
mentees it is never lower.
"""
from __future__ import annotations

from collections import Counter
from typing import Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

from .model import MatchOptions, MatchResult, Profile, Unmatched
from .scoring import (
    EXCLUDED,
    FEASIBLE,
    LANGUAGE,
    MANAGER,
    NO_CAPACITY,
    OVERLAP,
    SELF,
    TZ_GAP,
    CohortScores,
    _fmt,
)

OPTIMAL_METHOD = (
    "scipy linear_sum_assignment with capacity expansion "
    "(most mentees matched first, then highest total score)"
)
GREEDY_METHOD = "greedy: highest-scoring feasible pairs first"


def _open_pairs(cohort: CohortScores) -> tuple[np.ndarray, np.ndarray]:
    """Feasible pairs still open after fixed pairs (mask), and each mentor's remaining room."""
    room = cohort.capacity - cohort.fixed_load()
    free = np.ones(len(cohort.mentees), dtype=bool)
    for i, _ in cohort.fixed:
        free[i] = False
    return cohort.feasible & free[:, None] & (room > 0)[None, :], room


def _solve_optimal(cohort: CohortScores) -> list[tuple[int, int]]:
    open_, room = _open_pairs(cohort)
    rows = np.flatnonzero(open_.any(axis=1))
    cols = np.flatnonzero(open_.any(axis=0))
    if rows.size == 0:
        return []
    sub = open_[np.ix_(rows, cols)]
    score = cohort.score[np.ix_(rows, cols)]
    slots = np.minimum(room[cols], sub.sum(axis=0))  # more slots than candidates can never fill
    slot_mentor = np.repeat(np.arange(cols.size), slots)
    max_pairs = min(rows.size, int(slots.sum()))
    big = float(score[sub].max(initial=0.0)) * max_pairs + 1.0
    value = np.where(sub, big + score, 0.0)
    chosen_rows, chosen_slots = linear_sum_assignment(value[:, slot_mentor], maximize=True)
    chosen_cols = slot_mentor[chosen_slots]
    keep = sub[chosen_rows, chosen_cols]  # an infeasible entry chosen means "unmatched"
    return list(zip(rows[chosen_rows[keep]].tolist(), cols[chosen_cols[keep]].tolist()))


def _solve_greedy(cohort: CohortScores) -> list[tuple[int, int]]:
    open_, room = _open_pairs(cohort)
    ii, jj = np.nonzero(open_)
    # Highest score first; ties by mentor then mentee position, so the result is reproducible.
    order = np.lexsort((ii, jj, -cohort.score[ii, jj]))
    room = room.copy().tolist()
    matched = [False] * len(cohort.mentees)
    left = min(int(np.count_nonzero(open_.any(axis=1))), int(np.clip(room, 0, None).sum()))
    out: list[tuple[int, int]] = []
    for i, j in zip(ii[order].tolist(), jj[order].tolist()):
        if left == 0:
            break
        if matched[i] or room[j] <= 0:
            continue
        matched[i] = True
        room[j] -= 1
        left -= 1
        out.append((i, j))
    return out


def _names(cohort: CohortScores, mentors: Sequence[int], limit: int = 5) -> str:
    ids = sorted(cohort.mentors[j].id for j in mentors)
    text = ", ".join(ids[:limit])
    return text + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def _languages(cohort: CohortScores, i: int) -> str:
    spoken = [" ".join(v.split()) for v in cohort.mentees[i].languages if v.strip()]
    return ", ".join(spoken)


def unmatched_reason(cohort: CohortScores, i: int, load: np.ndarray) -> str:
    """Why mentee ``i`` has no mentor, given the mentors' final loads."""
    opts = cohort.options
    mentee = cohort.mentees[i]
    if not cohort.mentors:
        return "there are no mentors to match with"
    codes = cohort.code[i]
    feasible = np.flatnonzero(codes == FEASIBLE)
    if feasible.size:
        full = feasible[load[feasible] >= cohort.capacity[feasible]]
        if full.size == feasible.size:
            return f"every feasible mentor is at capacity ({_names(cohort, full)})"
        # Cannot happen for match() or greedy_match(): both fill every open feasible slot.
        return f"not placed although a feasible mentor had room ({_names(cohort, feasible[load[feasible] < cohort.capacity[feasible]])})"
    speaks = _languages(cohort, i)
    gap = _fmt(opts.max_tz_gap or 0)
    need = _fmt(opts.min_overlap_hours)
    counts = Counter(codes.tolist())
    if len(counts) == 1:
        (code,) = counts
        if code == LANGUAGE and not speaks:
            return "no mentor shares a language (the mentee lists none; add their languages to the roster)"
        return {
            SELF: "the only mentor is the mentee themself",
            EXCLUDED: "excluded from all mentors",
            MANAGER: "shares a line manager or reporting line with every mentor",
            NO_CAPACITY: "every mentor has capacity 0",
            LANGUAGE: f"no mentor shares a language (speaks: {speaks})",
            TZ_GAP: f"time zone gap too large for every mentor (more than {gap} h from {mentee.timezone})",
            OVERLAP: f"fewer than {need} h of shared working hours with every mentor (mentee in {mentee.timezone})",
        }[code]
    phrases = {
        SELF: lambda k: "1 is the mentee themself",
        EXCLUDED: lambda k: f"{k} excluded",
        MANAGER: lambda k: f"{k} share a line manager or reporting line",
        NO_CAPACITY: lambda k: f"{k} {'has' if k == 1 else 'have'} capacity 0",
        LANGUAGE: lambda k: f"{k} share no language (speaks: {speaks or 'none listed'})",
        TZ_GAP: lambda k: f"{k} more than {gap} h away in time zone",
        OVERLAP: lambda k: f"{k} with under {need} h of shared working hours",
    }
    parts = [phrases[code](counts[code]) for code in sorted(counts)]
    return "no feasible mentor: " + ", ".join(parts)


def _result(cohort: CohortScores, chosen: list[tuple[int, int]], method: str) -> MatchResult:
    pairs = [cohort.pair(i, j, fixed=True) for i, j in cohort.fixed]
    pairs += [cohort.pair(i, j) for i, j in chosen]
    pairs.sort(key=lambda p: (p.mentor_id, p.mentee_id))
    load = np.zeros(len(cohort.mentors), dtype=np.int64)
    placed = np.zeros(len(cohort.mentees), dtype=bool)
    for i, j in (*cohort.fixed, *chosen):
        load[j] += 1
        placed[i] = True
    unmatched = sorted(
        (Unmatched(cohort.mentees[i].id, unmatched_reason(cohort, i, load)) for i in np.flatnonzero(~placed)),
        key=lambda u: u.mentee_id,
    )
    return MatchResult(
        pairs=tuple(pairs),
        unmatched=tuple(unmatched),
        total_score=float(sum(p.score for p in pairs)),
        method=method,
    )


def match(
    mentors: Sequence[Profile], mentees: Sequence[Profile], options: MatchOptions = MatchOptions()
) -> MatchResult:
    """The globally optimal assignment of mentees to mentors under capacities and constraints.

    Fixed pairs (``options.fixed``) are kept and use capacity; every other pair satisfies all
    hard constraints (see :func:`score_pair`). Optimal means: the most mentees matched, and
    among such plans the highest total score (see the module docstring for the method and
    why). Every pair carries its score and reasons; every unmatched mentee a specific reason.
    Raises ValidationError for bad input (unknown ids in ``exclude`` or ``fixed``, negative
    capacity, unknown time zone, more fixed pairs than a mentor's capacity).
    """
    cohort = CohortScores(mentors, mentees, options)
    return _result(cohort, _solve_optimal(cohort), OPTIMAL_METHOD)


def greedy_match(
    mentors: Sequence[Profile], mentees: Sequence[Profile], options: MatchOptions = MatchOptions()
) -> MatchResult:
    """The baseline: take feasible pairs from the highest score down while capacity lasts.

    Same constraints, fixed pairs and reasons as :func:`match`, but no look-ahead: taking the
    single best pair can block a better total, or leave a mentee without a mentor.
    """
    cohort = CohortScores(mentors, mentees, options)
    return _result(cohort, _solve_greedy(cohort), GREEDY_METHOD)
