"""Scoring every mentee x mentor pair at once, and explaining a pair in plain language.

:class:`CohortScores` precomputes term sets, time zone tables and constraint masks once, as numpy
arrays with mentees as rows and mentors as columns. Both :func:`score_pair` and
:func:`score_matrix` read from it, so a single pair and the whole matrix can never disagree;
reasons are built only for the pairs someone looks at.
"""
from __future__ import annotations

from datetime import date
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import sparse

from ..errors import FieldProblem, ValidationError
from .model import COMPONENTS, MatchOptions, PairScore, Profile
from .terms import canonical_terms, normalise_synonyms, normalise_term
from .timezones import gap_table, overlap_table, zone

# Why a pair is infeasible, in the order the constraints are checked; the first that applies
# is the one reported.
FEASIBLE, SELF, EXCLUDED, MANAGER, NO_CAPACITY, LANGUAGE, TZ_GAP, OVERLAP = range(8)

_EPS = 1e-9  # slack for comparing computed hours with limits typed by a person


def _shared_counts(rows: Sequence[frozenset[str]], cols: Sequence[frozenset[str]]) -> np.ndarray:
    """``out[i, j]`` = number of terms ``rows[i]`` and ``cols[j]`` have in common (sparse product)."""
    vocab: dict[str, int] = {}

    def incidence(sets: Sequence[frozenset[str]]) -> tuple[list[int], list[int]]:
        indices: list[int] = []
        indptr = [0]
        for terms in sets:
            indices.extend(vocab.setdefault(t, len(vocab)) for t in terms)
            indptr.append(len(indices))
        return indices, indptr

    ri, rp = incidence(rows)
    ci, cp = incidence(cols)
    width = max(len(vocab), 1)
    r = sparse.csr_matrix((np.ones(len(ri)), ri, rp), shape=(len(rows), width))
    c = sparse.csr_matrix((np.ones(len(ci)), ci, cp), shape=(len(cols), width))
    return np.asarray((r @ c.T).toarray(), dtype=np.float64)


def _fraction_covered(wanted: Sequence[frozenset[str]], offered: Sequence[frozenset[str]]) -> np.ndarray:
    """Share of each row's terms found in each column's terms; 0 when the row wants nothing."""
    counts = _shared_counts(wanted, offered)
    sizes = np.array([len(w) for w in wanted], dtype=np.float64)[:, None]
    return np.divide(counts, sizes, out=np.zeros_like(counts), where=sizes > 0)


def _fmt(hours: float) -> str:
    return f"{round(hours, 1):g}"


def _coverage_reason(sought: frozenset[str], got: frozenset[str], kind: str) -> str:
    """'offers 3 of the 4 skills sought: ...' / 'shares 1 of the 2 aspirations: ...'."""
    n, k = len(sought), len(got)
    listed = ", ".join(sorted(got))
    if kind == "skills":
        if n == 1:
            return f"offers the skill sought: {listed}" if k else f"does not offer the skill sought: {next(iter(sought))}"
        if k == n:
            return f"offers {'both' if n == 2 else f'all {n}'} skills sought: {listed}"
        if k == 0:
            return f"offers none of the {n} skills sought"
        return f"offers {k} of the {n} skills sought: {listed}"
    if n == 1:
        return f"shares the aspiration: {listed}" if k else f"does not share the aspiration: {next(iter(sought))}"
    if k == n:
        return f"shares {'both' if n == 2 else f'all {n}'} aspirations: {listed}"
    if k == 0:
        return f"shares none of the {n} aspirations"
    return f"shares {k} of the {n} aspirations: {listed}"


class CohortScores:
    """Mentors and mentees of one matching run, scored all at once.

    Arrays are indexed ``[mentee, mentor]``. ``code`` holds the first hard constraint a pair
    fails (``FEASIBLE`` when none); ``score`` the weighted score (meaningful where feasible).
    With ``check_refs`` the ids named by ``options.exclude`` and ``options.fixed`` must
    exist, and fixed pairs are validated against capacities.
    """

    def __init__(
        self,
        mentors: Sequence[Profile],
        mentees: Sequence[Profile],
        options: MatchOptions,
        *,
        check_refs: bool = True,
    ) -> None:
        self.mentors = tuple(mentors)
        self.mentees = tuple(mentees)
        self.options = options
        self.mentor_index = {p.id: j for j, p in enumerate(self.mentors)}
        self.mentee_index = {p.id: i for i, p in enumerate(self.mentees)}
        self._validate_people()

        table = normalise_synonyms(options.synonyms)
        self.seeks = [canonical_terms(p.skills, table) for p in self.mentees]
        self.offers = [canonical_terms(p.skills, table) for p in self.mentors]
        self.mentee_aims = [canonical_terms(p.aspirations, table) for p in self.mentees]
        self.mentor_aims = [canonical_terms(p.aspirations, table) for p in self.mentors]
        self.mentee_langs = [canonical_terms(p.languages, {}) for p in self.mentees]
        self.mentor_langs = [canonical_terms(p.languages, {}) for p in self.mentors]

        n, m = len(self.mentees), len(self.mentors)
        skills = _fraction_covered(self.seeks, self.offers)
        aims = _fraction_covered(self.mentee_aims, self.mentor_aims)
        shared_language = _shared_counts(self.mentee_langs, self.mentor_langs) > 0

        # Time zones: a handful of distinct zones, so tables over zones, then fancy indexing.
        self.day = options.reference_date or date.today()
        names = sorted({p.timezone for p in (*self.mentors, *self.mentees)})
        where = {name: k for k, name in enumerate(names)}
        rows = np.array([where[p.timezone] for p in self.mentees], dtype=np.intp)[:, None]
        cols = np.array([where[p.timezone] for p in self.mentors], dtype=np.intp)[None, :]
        self.overlap = overlap_table(names, options.working_hours, self.day)[rows, cols]
        self.gap = gap_table(names, self.day)[rows, cols]
        tz_share = np.clip(self.overlap / options.day_hours, 0.0, 1.0)

        self.capacity = np.array([p.capacity for p in self.mentors], dtype=np.int64)
        # One code space for ids and manager ids, so "mentee's manager is this mentor" is a comparison.
        codes: dict[str, int] = {}
        def code_of(value: str | None) -> int:
            text = (value or "").strip()
            return codes.setdefault(text, len(codes)) if text else -1  # -1: unknown, equal to nothing
        ee_id = np.array([code_of(p.id) for p in self.mentees], dtype=np.int64)[:, None]
        or_id = np.array([code_of(p.id) for p in self.mentors], dtype=np.int64)[None, :]
        ee_mgr = np.array([code_of(p.manager) for p in self.mentees], dtype=np.int64)[:, None]
        or_mgr = np.array([code_of(p.manager) for p in self.mentors], dtype=np.int64)[None, :]
        manager = ((ee_mgr == or_mgr) & (ee_mgr >= 0)) | (ee_mgr == or_id) | (or_mgr == ee_id)

        excluded = np.zeros((n, m), dtype=bool)
        for a, b in options.exclude:
            for mentor_id, mentee_id in ((a, b), (b, a)):
                if mentor_id in self.mentor_index and mentee_id in self.mentee_index:
                    excluded[self.mentee_index[mentee_id], self.mentor_index[mentor_id]] = True

        no_limit = options.max_tz_gap is None
        conditions = [
            ee_id == or_id,
            excluded,
            manager,
            np.broadcast_to((self.capacity == 0)[None, :], (n, m)),
            ~shared_language,
            np.zeros((n, m), bool) if no_limit else self.gap > options.max_tz_gap + _EPS,  # type: ignore[operator]
            self.overlap < options.min_overlap_hours - _EPS,
        ]
        codes_list = [SELF, EXCLUDED, MANAGER, NO_CAPACITY, LANGUAGE, TZ_GAP, OVERLAP]
        self.code = np.select(conditions, codes_list, FEASIBLE).astype(np.int8) if n and m else np.zeros((n, m), np.int8)
        self.feasible = self.code == FEASIBLE

        self.components = {
            "skills": skills,
            "aspirations": aims,
            "timezone": tz_share,
            "languages": shared_language.astype(np.float64),
        }
        weights = options.weights.as_dict()
        self.score = sum((weights[c] * self.components[c] for c in COMPONENTS), np.zeros((n, m)))

        self.fixed: list[tuple[int, int]] = []  # (mentee, mentor) positions
        if check_refs:
            self._validate_refs()

    # -- validation ---------------------------------------------------------------------

    def _validate_people(self) -> None:
        problems: list[FieldProblem] = []
        for label, people in (("mentor", self.mentors), ("mentee", self.mentees)):
            seen: set[str] = set()
            for p in people:
                if not isinstance(p.id, str) or not p.id.strip():
                    problems.append(FieldProblem(f"{label} {p.name!r}", "has no id; give every person a roster id"))
                    continue
                if p.id in seen:
                    problems.append(FieldProblem(f"{label} {p.id}", "appears twice; list each person once"))
                seen.add(p.id)
                if label == "mentor" and (
                    isinstance(p.capacity, bool) or not isinstance(p.capacity, (int, np.integer)) or p.capacity < 0
                ):
                    problems.append(FieldProblem(
                        f"mentor {p.id}.capacity",
                        f"{p.capacity!r} is not allowed; use a whole number >= 0 (0 = takes no mentees)",
                    ))
                try:
                    zone(p.timezone)
                except ValidationError as exc:
                    problems.append(FieldProblem(f"{label} {p.id}.timezone", str(exc)))
        if problems:
            raise ValidationError("cannot match these people", problems)

    def _validate_refs(self) -> None:
        problems: list[FieldProblem] = []
        known = self.mentor_index.keys() | self.mentee_index.keys()
        for a, b in sorted(self.options.exclude):
            for x in (a, b):
                if x not in known:
                    problems.append(FieldProblem(f"exclude {a}:{b}", f"no mentor or mentee has id {x!r}; check the id against the roster"))
        load = np.zeros(len(self.mentors), dtype=np.int64)
        fixed_mentee: dict[str, str] = {}
        for mentor_id, mentee_id in dict.fromkeys(self.options.fixed):  # exact repeats are harmless
            where = f"fixed {mentor_id}:{mentee_id}"
            bad = False
            if mentor_id not in self.mentor_index:
                problems.append(FieldProblem(where, f"{mentor_id!r} is not a mentor; write fixed pairs as mentor_id:mentee_id"))
                bad = True
            if mentee_id not in self.mentee_index:
                problems.append(FieldProblem(where, f"{mentee_id!r} is not a mentee; write fixed pairs as mentor_id:mentee_id"))
                bad = True
            if bad:
                continue
            if mentee_id in fixed_mentee:
                problems.append(FieldProblem(where, f"{mentee_id} is already fixed to {fixed_mentee[mentee_id]}; keep one pair per mentee"))
                continue
            i, j = self.mentee_index[mentee_id], self.mentor_index[mentor_id]
            if self.code[i, j] == SELF:
                problems.append(FieldProblem(where, "a person cannot mentor themself; remove this pair"))
                continue
            if self.code[i, j] == EXCLUDED:
                problems.append(FieldProblem(where, "this pair is both fixed and excluded; remove one of the two"))
                continue
            fixed_mentee[mentee_id] = mentor_id
            load[j] += 1
            self.fixed.append((i, j))
        for j in np.flatnonzero(load > self.capacity):
            p = self.mentors[j]
            problems.append(FieldProblem(
                f"mentor {p.id}.capacity",
                f"{load[j]} fixed mentees but capacity {p.capacity}; raise the capacity or unfix a pair",
            ))
        if problems:
            raise ValidationError("cannot match with these options", problems)

    # -- results --------------------------------------------------------------------------

    def fixed_load(self) -> np.ndarray:
        """Mentees each mentor already has through fixed pairs."""
        load = np.zeros(len(self.mentors), dtype=np.int64)
        for _, j in self.fixed:
            load[j] += 1
        return load

    def pair(self, i: int, j: int, *, fixed: bool = False) -> PairScore:
        """The :class:`PairScore` of mentee ``i`` with mentor ``j``, reasons included."""
        return PairScore(
            mentor_id=self.mentors[j].id,
            mentee_id=self.mentees[i].id,
            score=float(self.score[i, j]),
            reasons=self.reasons(i, j, fixed=fixed),
            components={c: float(self.components[c][i, j]) for c in COMPONENTS},
            fixed=fixed,
        )

    def reasons(self, i: int, j: int, *, fixed: bool = False) -> tuple[str, ...]:
        """Plain-language reasons for a pair's score; a component weighted 0 is not mentioned."""
        weights = self.options.weights
        out: list[str] = []
        if fixed:
            out.append("fixed by the facilitator")
            if self.code[i, j] != FEASIBLE:
                out.append(f"kept although {self.pair_problem(i, j)}")
        if weights.skills > 0:
            sought = self.seeks[i]
            if sought:
                out.append(_coverage_reason(sought, sought & self.offers[j], "skills"))
            else:
                out.append("the mentee seeks no particular skills")
        if weights.aspirations > 0 and self.mentee_aims[i]:
            aims = self.mentee_aims[i]
            out.append(_coverage_reason(aims, aims & self.mentor_aims[j], "aspirations"))
        if weights.timezone > 0:
            hours = float(self.overlap[i, j])
            out.append(f"{_fmt(hours)} h of shared working hours" if hours > _EPS else "no shared working hours")
        shared = self.mentee_langs[i] & self.mentor_langs[j]
        if shared:
            names = [self._spelling(t, (*self.mentees[i].languages, *self.mentors[j].languages)) for t in sorted(shared)]
            out.append(f"both speak {names[0]}" if len(names) == 1 else f"share {', '.join(names)}")
        return tuple(out)

    @staticmethod
    def _spelling(term: str, written: Iterable[str]) -> str:
        """How to show a language: as the roster capitalised it, else capitalised ("english" -> "English")."""
        for value in written:
            shown = " ".join(value.split())
            if normalise_term(value) == term and shown != shown.lower():
                return shown
        return term.title()

    def pair_problem(self, i: int, j: int) -> str:
        """Why mentee ``i`` and mentor ``j`` may not be paired, as a clause."""
        code = int(self.code[i, j])
        opts = self.options
        return {
            FEASIBLE: "nothing forbids the pair",
            SELF: "mentor and mentee are the same person",
            EXCLUDED: "the pair is excluded",
            MANAGER: "they share a line manager or one manages the other",
            NO_CAPACITY: "the mentor's capacity is 0",
            LANGUAGE: "they share no language",
            TZ_GAP: f"their UTC offsets are {_fmt(float(self.gap[i, j]))} h apart (limit {_fmt(opts.max_tz_gap or 0)} h)",
            OVERLAP: f"they share only {_fmt(float(self.overlap[i, j]))} h of working hours (minimum {_fmt(opts.min_overlap_hours)} h)",
        }[code]


def score_pair(mentor: Profile, mentee: Profile, options: MatchOptions = MatchOptions()) -> PairScore | None:
    """Score one mentor with one mentee; None when a hard constraint forbids the pair.

    Components, each in [0, 1] and multiplied by its weight:

    - skills: share of the skills the mentee seeks that the mentor offers (0 if none sought);
    - aspirations: share of the mentee's aspirations the mentor shares (0 if none listed) --
      a share of the mentee's list rather than Jaccard, so a mentor with broad experience is
      not penalised for it;
    - timezone: shared working hours divided by the length of the working day;
    - languages: 1 when they share a language.

    Hard constraints: the mentor has capacity 0, the pair is excluded, they are the same
    person, they share a non-empty line manager or one is the other's manager, they share no
    language (someone who lists none shares none), the UTC offset gap exceeds
    ``max_tz_gap``, or they share fewer than ``min_overlap_hours``. Fixed pairs are not
    consulted here; :func:`match` keeps them whatever their score.
    """
    cohort = CohortScores([mentor], [mentee], options, check_refs=False)
    if not cohort.feasible[0, 0]:
        return None
    return cohort.pair(0, 0)


def score_matrix(
    mentors: Sequence[Profile], mentees: Sequence[Profile], options: MatchOptions = MatchOptions()
) -> pd.DataFrame:
    """Scores of every pair as a mentees x mentors frame (ids as labels), NaN where infeasible.

    Entry ``[mentee, mentor]`` equals ``score_pair(mentor, mentee, options).score``; the frame is
    what the facilitator's heat map draws.
    """
    cohort = CohortScores(mentors, mentees, options, check_refs=False)
    values = np.where(cohort.feasible, cohort.score, np.nan)
    return pd.DataFrame(
        values,
        index=pd.Index([p.id for p in cohort.mentees], name="mentee_id", dtype="object"),
        columns=pd.Index([p.id for p in cohort.mentors], name="mentor_id", dtype="object"),
    )
