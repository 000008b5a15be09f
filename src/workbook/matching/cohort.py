"""Matching a stored cohort: read profiles from the roster, propose, adjust, apply.

The solver (:func:`workbook.matching.match`) is pure; this module is the glue between it and
the :class:`~workbook.store.Store`:

- :func:`profiles_for` reads mentors and mentees of a cohort;
- :func:`match_options` builds :class:`MatchOptions` from the text a person types
  (``"skills=3,languages=1"``, ``"c01:p02"``), every problem reported at once;
- :func:`propose` runs the optimal matching with the cohort's synonyms, honouring pairings
  fixed in the store (and, with ``keep_existing``, the pairings in force);
- :func:`swap` and :func:`fix_pair` adjust a proposal the way a facilitator does in the
  notebook, re-scoring and re-checking every pair they touch;
- :func:`apply` stores a proposal (active pairs, facilitator-fixed pairs as ``fixed``);
- :func:`result_frame` and :func:`score_frame` give tables with people's names.

Statuses: a pairing stored as ``fixed`` is always kept, by :func:`propose` and by
:func:`apply`; ``active`` pairings are replaced by the next :func:`apply` unless the
proposal was made with ``keep_existing``.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Mapping

import pandas as pd

from ..errors import FieldProblem, ValidationError
from ..store.models import Membership, Pairing
from .model import MatchOptions, MatchResult, PairScore, Profile, Unmatched, parse_weights
from .scoring import CohortScores, score_matrix, score_pair
from .solver import match

if TYPE_CHECKING:
    from ..store import Store

#: The first reason of a pair fixed by the facilitator (the solver writes it for fixed pairs).
FIXED_REASON = "fixed by the facilitator"
#: First reasons of pairs kept by ``keep_existing`` that the facilitator did not fix.
KEPT_ACTIVE_REASON = "kept: already paired (active pairing)"
KEPT_ROSTER_REASON = "kept: the roster names this coach"
SWAPPED_OUT_REASON = "unmatched by the facilitator (swapped out for {other})"


# -- reading the cohort -----------------------------------------------------------------------


def _profile(m: Membership, role: str) -> Profile:
    return Profile(
        id=m.person_id,
        name=m.name,
        role=role,
        skills=tuple(m.skills),
        aspirations=tuple(m.aspirations),
        timezone=m.timezone,
        languages=tuple(m.languages),
        capacity=int(m.capacity) if role == "coach" else 0,
        manager=m.manager or "",
    )


def profiles_for(store: "Store", cohort_id: str) -> tuple[list[Profile], list[Profile]]:
    """The cohort's ``(mentors, mentees)`` as matching profiles, each list ordered by id.

    Mentors are active members with role ``coach`` (whatever their capacity: a coach with
    capacity 0 is reported as such), plus facilitators who offer capacity > 0. Mentees are the
    active participants. Raises NotFoundError for an unknown cohort.
    """
    store.get_cohort(cohort_id)
    mentors: list[Profile] = []
    mentees: list[Profile] = []
    for m in store.find_members(cohort_id):
        if m.role == "coach" or (m.role == "facilitator" and m.capacity > 0):
            mentors.append(_profile(m, "coach"))
        elif m.role == "participant":
            mentees.append(_profile(m, "participant"))
    return mentors, mentees


def cohort_synonyms(store: "Store", cohort_id: str) -> dict[str, str]:
    """The cohort's synonym map ``{alias: canonical}``, stored at import from ``synonyms.toml``."""
    raw = store.get_cohort(cohort_id).settings.get("synonyms") or {}
    return {str(k): str(v) for k, v in dict(raw).items()}


def names_of(store: "Store", cohort_id: str) -> dict[str, str]:
    """Every member's display name by id (inactive members included, so old pairs still read well)."""
    return store.member_names(cohort_id)


# -- options from text -------------------------------------------------------------------------


def parse_pairs(items: Iterable[str], label: str = "exclude") -> list[tuple[str, str]]:
    """Read id pairs written ``a:b``; several may share one item, separated by commas or spaces.

    >>> parse_pairs(["c01:p02", "c02:p03, c03:p04"])
    [('c01', 'p02'), ('c02', 'p03'), ('c03', 'p04')]
    """
    pairs: list[tuple[str, str]] = []
    problems: list[FieldProblem] = []
    for item in items:
        for token in item.replace(",", " ").split():
            a, sep, b = token.partition(":")
            a, b = a.strip(), b.strip()
            if not sep or not a or not b or ":" in b:
                problems.append(FieldProblem(label, f"{token!r} is not a pair; write two ids joined by ':', e.g. c01:p02"))
                continue
            if a == b:
                problems.append(FieldProblem(label, f"{token!r} names the same person twice; write mentor:mentee"))
                continue
            pairs.append((a, b))
    if problems:
        raise ValidationError(f"could not read the {label} pairs", problems)
    return pairs


def match_options(
    weights: str = "",
    max_tz_gap: float | None = None,
    exclude: Iterable[str] = (),
    *,
    min_overlap_hours: float = 0.0,
    base: MatchOptions | None = None,
) -> MatchOptions:
    """Matching options from what a person types: weights text, a time zone limit, ``a:b`` exclusions.

    ``weights`` as for :func:`parse_weights` (empty: the defaults); ``max_tz_gap`` in hours
    (None: no limit). Problems with the weights and the exclusions are reported together in
    one ValidationError. ``base`` supplies the other options (synonyms, fixed pairs, dates).
    """
    problems: list[FieldProblem] = []
    parsed_weights = None
    pairs: list[tuple[str, str]] = []
    try:
        parsed_weights = parse_weights(weights or "")
    except ValidationError as exc:
        problems += exc.problems
    try:
        pairs = parse_pairs(exclude, "exclude")
    except ValidationError as exc:
        problems += exc.problems
    if problems:
        raise ValidationError("invalid matching options", problems)
    assert parsed_weights is not None
    base = base or MatchOptions()
    return replace(
        base,
        weights=parsed_weights,
        max_tz_gap=max_tz_gap,
        min_overlap_hours=min_overlap_hours,
        exclude=frozenset(base.exclude) | frozenset(pairs),
    )


def one_line(exc: ValidationError) -> str:
    """A ValidationError as one line (summary: problem; problem), for a command line."""
    if not exc.problems:
        return exc.summary
    return f"{exc.summary}: " + "; ".join(str(p) for p in exc.problems)


# -- proposing ---------------------------------------------------------------------------------


def _kept_pairs(
    store: "Store", cohort_id: str, mentors: Sequence[Profile], mentees: Sequence[Profile], keep_existing: bool
) -> tuple[list[tuple[str, str]], dict[tuple[str, str], str], set[str]]:
    """Pairs to keep as ``(mentor, mentee)``, the first reason of each, and mentees to leave out.

    Precedence per mentee: a stored ``fixed`` pairing, then (with ``keep_existing``) an
    ``active`` one, then the roster's coach column. A kept pair whose mentor is no longer a
    mentor (left the roster, or a facilitator without capacity) cannot count against any
    capacity: a *fixed* one stays in the store untouched, so its mentee is left out of this
    matching; an active or roster one is dropped and the mentee is matched afresh. The roster
    column is the oldest information, so a roster pair is kept only while its mentor has room
    left after the stored pairings (after an apply it is often stale).
    """
    capacity = {p.id: p.capacity for p in mentors}
    mentor_ids = set(capacity)
    load = dict.fromkeys(mentor_ids, 0)
    mentee_ids = {p.id for p in mentees}
    # With keep_existing: the pairs in force, as everything else reads them (store.pairs_in_force:
    # stored pairings, and the roster's coach column for mentees without one).
    stored = (store.pairs_in_force(cohort_id) if keep_existing
              else store.find_pairings(cohort_id, statuses=("fixed",)))
    reason_of = {"fixed": FIXED_REASON, "active": KEPT_ACTIVE_REASON, "roster": KEPT_ROSTER_REASON}
    candidates: list[tuple[str, str, str]] = sorted(
        ((p.coach_id, p.mentee_id, reason_of[p.status]) for p in stored if p.status in reason_of),
        key=lambda c: list(reason_of.values()).index(c[2]))
    kept: list[tuple[str, str]] = []
    why: dict[tuple[str, str], str] = {}
    left_out: set[str] = set()
    placed: set[str] = set()
    for coach_id, mentee_id, reason in candidates:
        if mentee_id in placed or mentee_id in left_out or mentee_id not in mentee_ids:
            continue
        if coach_id not in mentor_ids:
            if reason == FIXED_REASON:
                left_out.add(mentee_id)
            continue
        if reason == KEPT_ROSTER_REASON and load[coach_id] >= capacity[coach_id]:
            continue
        load[coach_id] += 1
        placed.add(mentee_id)
        kept.append((coach_id, mentee_id))
        why[(coach_id, mentee_id)] = reason
    return kept, why, left_out


def _relabel(pair: PairScore, first_reason: str) -> PairScore:
    """A kept pair: the facilitator fixed it (``fixed``) or it was merely kept (not fixed)."""
    if first_reason == FIXED_REASON:
        return pair
    rest = pair.reasons[1:] if pair.reasons[:1] == (FIXED_REASON,) else pair.reasons
    return replace(pair, reasons=(first_reason, *rest), fixed=False)


def propose(
    store: "Store",
    cohort_id: str,
    options: MatchOptions | None = None,
    *,
    keep_existing: bool = False,
) -> MatchResult:
    """The optimal matching of a stored cohort (nothing is written; see :func:`apply`).

    Uses the cohort's synonyms (``options.synonyms`` add to or override them). Pairings
    stored as ``fixed`` are always kept and use capacity. With ``keep_existing`` the pairings
    in force (``active``) and the roster's ``coach`` column are kept too, so only mentees
    without a mentor get a new one. Pairs the facilitator fixed carry ``fixed=True``; other
    kept pairs say so in their first reason. Raises ValidationError for options that do not
    fit the cohort (unknown ids in exclusions, more kept pairs than a mentor's capacity).
    """
    options = options or MatchOptions()
    mentors, mentees = profiles_for(store, cohort_id)
    kept, why, left_out = _kept_pairs(store, cohort_id, mentors, mentees, keep_existing)
    taken = {mentee for _, mentee in options.fixed}
    extra = [pair for pair in kept if pair[1] not in taken]
    options = replace(
        options,
        synonyms={**cohort_synonyms(store, cohort_id), **dict(options.synonyms)},
        fixed=(*options.fixed, *extra),
    )
    mentees = [p for p in mentees if p.id not in left_out]
    result = match(mentors, mentees, options)
    pairs = tuple(_relabel(p, why.get((p.mentor_id, p.mentee_id), FIXED_REASON)) if p.fixed else p
                  for p in result.pairs)
    return replace(result, pairs=pairs)


# -- adjusting a proposal ----------------------------------------------------------------------


def _rebuilt(result: MatchResult, pairs: Iterable[PairScore], unmatched: Iterable[Unmatched]) -> MatchResult:
    ps = tuple(sorted(pairs, key=lambda p: (p.mentor_id, p.mentee_id)))
    return replace(
        result,
        pairs=ps,
        unmatched=tuple(sorted(unmatched, key=lambda u: u.mentee_id)),
        total_score=float(sum(p.score for p in ps)),
    )


def _find_pair(result: MatchResult, mentee_id: str) -> PairScore | None:
    return next((p for p in result.pairs if p.mentee_id == mentee_id), None)


def _rescored(
    mentor: Profile, mentee: Profile, options: MatchOptions, note: str
) -> PairScore:
    """``mentor`` with ``mentee`` re-scored, or ValidationError naming the hard constraint broken."""
    scored = score_pair(mentor, mentee, options)  # exclusions included: they name ids
    if scored is not None:
        return replace(scored, reasons=(note, *scored.reasons))
    problem = CohortScores([mentor], [mentee], options, check_refs=False).pair_problem(0, 0)
    raise ValidationError(
        "this swap breaks a hard constraint; nothing was changed",
        [FieldProblem(f"{mentor.id}:{mentee.id}", f"{mentor.name} cannot mentor {mentee.name}: {problem}")],
    )


def swap(
    store: "Store",
    cohort_id: str,
    result: MatchResult,
    mentee_a: str,
    mentee_b: str,
    options: MatchOptions | None = None,
) -> MatchResult:
    """Exchange the mentors of two mentees in a proposal; both new pairs are re-scored.

    ``mentee_b`` may be unmatched: then ``mentee_a``'s mentor takes ``mentee_b`` and
    ``mentee_a`` becomes unmatched (capacities are unchanged either way). Pass the options
    the proposal was made with (the cohort's synonyms are added as in :func:`propose`).
    Refuses, with a ValidationError and the proposal unchanged, to move a pair the facilitator
    fixed, or to make a pair that breaks a hard constraint (shared language, exclusion, line
    manager, time zone limits).
    """
    options = options or MatchOptions()
    options = replace(options, synonyms={**cohort_synonyms(store, cohort_id), **dict(options.synonyms)})
    mentors, mentees = profiles_for(store, cohort_id)
    mentor_by = {p.id: p for p in mentors}
    mentee_by = {p.id: p for p in mentees}
    problems = [FieldProblem("mentee", f"{m!r} is not a mentee of {cohort_id}; check the id")
                for m in dict.fromkeys((mentee_a, mentee_b)) if m not in mentee_by]
    if mentee_a == mentee_b:
        problems.append(FieldProblem("mentee", "pick two different mentees to swap"))
    if problems:
        raise ValidationError("cannot swap these mentees", problems)
    pa, pb = _find_pair(result, mentee_a), _find_pair(result, mentee_b)
    if pa is None and pb is not None:  # let the matched one come first
        pa, pb, mentee_a, mentee_b = pb, pa, mentee_b, mentee_a
    if pa is None:
        raise ValidationError("cannot swap these mentees", [
            FieldProblem("mentee", "neither mentee has a mentor in this proposal; pick at least one matched mentee")])
    fixed = [p for p in (pa, pb) if p is not None and p.fixed]
    if fixed:
        raise ValidationError("cannot swap a fixed pair", [
            FieldProblem(f"{p.mentor_id}:{p.mentee_id}", "was fixed by the facilitator; it stays as it is")
            for p in fixed])
    if pb is not None and pa.mentor_id == pb.mentor_id:
        raise ValidationError("cannot swap these mentees", [
            FieldProblem("mentee", f"{mentee_a} and {mentee_b} already have the same mentor")])
    a, b = mentee_by[mentee_a], mentee_by[mentee_b]
    note_b = f"swapped by the facilitator (was {pb.mentor_id})" if pb else "placed by the facilitator"
    new_b = _rescored(mentor_by[pa.mentor_id], b, options, note_b)
    pairs = [p for p in result.pairs if p.mentee_id not in (mentee_a, mentee_b)] + [new_b]
    unmatched = [u for u in result.unmatched if u.mentee_id not in (mentee_a, mentee_b)]
    if pb is not None:
        pairs.append(_rescored(mentor_by[pb.mentor_id], a, options, f"swapped by the facilitator (was {pa.mentor_id})"))
    else:
        unmatched.append(Unmatched(mentee_a, SWAPPED_OUT_REASON.format(other=mentee_b)))
    return _rebuilt(result, pairs, unmatched)


def fix_pair(result: MatchResult, mentor_id: str, mentee_id: str, *, fixed: bool = True) -> MatchResult:
    """Mark a proposed pair as fixed by the facilitator (or, with ``fixed=False``, unfix it).

    A fixed pair is stored with status ``fixed`` by :func:`apply`, so later matchings keep
    it. The pair must be in the proposal; ValidationError otherwise.
    """
    pair = next((p for p in result.pairs if (p.mentor_id, p.mentee_id) == (mentor_id, mentee_id)), None)
    if pair is None:
        raise ValidationError("cannot fix this pair", [FieldProblem(
            f"{mentor_id}:{mentee_id}", "is not in the proposal; pick one of the proposed pairs")])
    if pair.fixed == fixed:
        return result
    rest = tuple(r for r in pair.reasons if r != FIXED_REASON)
    new = replace(pair, fixed=fixed, reasons=(FIXED_REASON, *rest) if fixed else rest)
    return _rebuilt(result, [new if p is pair else p for p in result.pairs], result.unmatched)


# -- storing -----------------------------------------------------------------------------------


def apply(store: "Store", cohort_id: str, result: MatchResult) -> list[Pairing]:
    """Store a proposal: its pairs become the cohort's pairings, with score and reasons.

    Pairs fixed by the facilitator are stored as ``fixed``, every other pair as ``active``;
    proposed and active pairings not in the proposal are removed, pairings already ``fixed``
    are kept. Returns every pairing of the cohort afterwards. Raises NotFoundError (nothing
    changed) if a pair names someone who is not a member, and ValidationError if a pair gives a
    mentee who is fixed to another mentor in the store a second mentor (a stale proposal).
    """
    store.get_cohort(cohort_id)
    fixed_to = {p.mentee_id: p.coach_id for p in store.find_pairings(cohort_id, statuses=("fixed",))}
    clashes = [p for p in result.pairs if fixed_to.get(p.mentee_id, p.mentor_id) != p.mentor_id]
    if clashes:
        raise ValidationError("the proposal is out of date; nothing was stored", [
            FieldProblem(f"{p.mentor_id}:{p.mentee_id}",
                         f"{p.mentee_id} is fixed to {fixed_to[p.mentee_id]} in the store; propose again")
            for p in clashes])
    rows = [(p.mentor_id, p.mentee_id, float(p.score), tuple(p.reasons)) for p in result.pairs]
    stored = store.replace_pairings(cohort_id, rows, status="active", keep_fixed=True)
    # The store takes one status per call: pairs newly fixed in the proposal are promoted.
    fixed_now = {(p.coach_id, p.mentee_id) for p in stored if p.status == "fixed"}
    promote = [p for p in result.pairs if p.fixed and (p.mentor_id, p.mentee_id) not in fixed_now]
    for p in promote:
        store.set_pairing_status(cohort_id, p.mentor_id, p.mentee_id, "fixed")
    if promote:
        stored = store.find_pairings(cohort_id, statuses=("proposed", "active", "fixed"))
    return stored


# -- tables ------------------------------------------------------------------------------------


def result_frame(
    result: MatchResult, names: Mapping[str, str] | None = None, *, unmatched: bool = True
) -> pd.DataFrame:
    """The proposal as a table a person reads: one row per mentee.

    Columns: mentor_id, mentor, mentee_id, mentee, score, reasons (joined "; "), fixed,
    matched. Unmatched mentees (unless ``unmatched=False``) come last with an empty mentor,
    no score, and the reason they have no mentor. ``names`` maps ids to names (see
    :func:`names_of`); ids stand in for missing names.
    """
    names = names or {}
    rows = [
        dict(mentor_id=p.mentor_id, mentor=names.get(p.mentor_id, p.mentor_id), mentee_id=p.mentee_id,
             mentee=names.get(p.mentee_id, p.mentee_id), score=round(p.score, 2), reasons="; ".join(p.reasons),
             fixed=p.fixed, matched=True)
        for p in result.pairs
    ]
    if unmatched:
        rows += [
            dict(mentor_id="", mentor="", mentee_id=u.mentee_id, mentee=names.get(u.mentee_id, u.mentee_id),
                 score=float("nan"), reasons=u.reason, fixed=False, matched=False)
            for u in result.unmatched
        ]
    columns = ["mentor_id", "mentor", "mentee_id", "mentee", "score", "reasons", "fixed", "matched"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.astype({"score": "float64", "fixed": "bool", "matched": "bool"})


def score_frame(store: "Store", cohort_id: str, options: MatchOptions | None = None) -> pd.DataFrame:
    """Every mentee x mentor score of the cohort (NaN where a hard constraint forbids the pair).

    Like :func:`score_matrix` with the cohort's synonyms, but labelled with names
    (``"Name (id)"`` when two people share a name), for the heat map.
    """
    options = options or MatchOptions()
    options = replace(options, synonyms={**cohort_synonyms(store, cohort_id), **dict(options.synonyms)})
    mentors, mentees = profiles_for(store, cohort_id)
    frame = score_matrix(mentors, mentees, options)

    def labels(people: Sequence[Profile]) -> list[str]:
        counts: dict[str, int] = {}
        for p in people:
            counts[p.name] = counts.get(p.name, 0) + 1
        return [p.name if counts[p.name] == 1 else f"{p.name} ({p.id})" for p in people]

    frame.index = pd.Index(labels(mentees), name="mentee")
    frame.columns = pd.Index(labels(mentors), name="mentor")
    return frame


def format_table(frame: pd.DataFrame) -> str:
    """A :func:`result_frame` as plain text: pairs (mentor, mentee, score, reasons), then the unmatched.

    Fixed pairs carry a ``*`` after the score; reasons are printed in full, never cut.
    """
    pairs = frame[frame["matched"]]
    lost = frame[~frame["matched"]]
    lines: list[str] = []
    if pairs.empty:
        lines.append("No pairs.")
    else:
        w_or = max(len("Mentor"), *(len(x) for x in pairs["mentor"]))
        w_ee = max(len("Mentee"), *(len(x) for x in pairs["mentee"]))
        lines.append(f"{'Mentor':<{w_or}}  {'Mentee':<{w_ee}}  {'Score':>6}  Reasons")
        for r in pairs.itertuples():
            mark = "*" if r.fixed else " "
            lines.append(f"{r.mentor:<{w_or}}  {r.mentee:<{w_ee}}  {r.score:>6.2f}{mark} {r.reasons}")
        if pairs["fixed"].any():
            lines.append("(* fixed by the facilitator)")
    if not lost.empty:
        lines.append("")
        lines.append(f"Unmatched ({len(lost)}):")
        lines += [f"  {r.mentee} ({r.mentee_id}): {r.reasons}" for r in lost.itertuples()]
    return "\n".join(lines)


def summary(result: MatchResult, mentee_count: int | None = None) -> str:
    """One line: ``Matched 17 of 18 mentees, total score 92.40 (method).``"""
    total = mentee_count if mentee_count is not None else result.matched_count + len(result.unmatched)
    return (f"Matched {result.matched_count} of {total} mentees, total score {result.total_score:.2f} "
            f"({result.method}).")


__all__ = [
    "apply",
    "cohort_synonyms",
    "fix_pair",
    "format_table",
    "match_options",
    "names_of",
    "one_line",
    "parse_pairs",
    "profiles_for",
    "propose",
    "result_frame",
    "score_frame",
    "summary",
    "swap",
]
