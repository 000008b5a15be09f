"""The value types of mentor matching: profiles, weights, options and results.

Everything here is a frozen dataclass so a proposal can be passed around (to the store, to a
notebook) without anyone changing it underneath.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from datetime import date
from typing import Mapping

import pandas as pd

from ..errors import FieldProblem, ValidationError

#: The score components, in the order reasons are given.
COMPONENTS: tuple[str, ...] = ("skills", "aspirations", "timezone", "languages")


@dataclass(frozen=True)
class Profile:
    """What matching knows about one person of a cohort.

    ``skills`` are the skills a mentor offers or a mentee seeks; ``capacity`` is the most
    mentees a mentor takes (ignored for mentees); ``manager`` is the line manager's id, empty
    when unknown. Terms are compared case- and spacing-insensitively.
    """

    id: str
    name: str
    role: str  # "participant" (mentee) or "coach" (mentor)
    skills: tuple[str, ...] = ()
    aspirations: tuple[str, ...] = ()
    timezone: str = "UTC"
    languages: tuple[str, ...] = ()
    capacity: int = 0
    manager: str = ""


def _weight_problem(name: str, value: object) -> FieldProblem | None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return FieldProblem(name, f"{value!r} is not a number; write e.g. {name}=1")
    if not math.isfinite(value) or value < 0:
        return FieldProblem(name, f"{value!r} is not allowed; use a number >= 0, e.g. {name}=1")
    return None


@dataclass(frozen=True)
class Weights:
    """How much each score component counts. Each component is in [0, 1] before weighting."""

    skills: float = 3.0
    aspirations: float = 2.0
    timezone: float = 1.0
    languages: float = 1.0

    def __post_init__(self) -> None:
        problems = [p for n in COMPONENTS if (p := _weight_problem(n, getattr(self, n)))]
        if problems:
            raise ValidationError("invalid matching weights", problems)

    def as_dict(self) -> dict[str, float]:
        """The weights by component name."""
        return {n: float(getattr(self, n)) for n in COMPONENTS}

    @property
    def best_score(self) -> float:
        """The highest score a pair can get: every component at 1."""
        return sum(self.as_dict().values())


def parse_weights(text: str) -> Weights:
    """Read weights written as ``"skills=3,aspirations=2,timezone=1,languages=1"``.

    Names not given keep their defaults; an empty text gives the defaults. Every problem
    (unknown name, not a number, negative, repeated) is reported at once.

    >>> parse_weights("skills=5, languages=0")
    Weights(skills=5.0, aspirations=2.0, timezone=1.0, languages=0.0)
    """
    values: dict[str, float] = {}
    problems: list[FieldProblem] = []
    for raw in text.split(","):
        item = raw.strip()
        if not item:
            continue
        name, sep, value = (part.strip() for part in item.partition("="))
        name = name.lower()
        if not sep or not name or not value:
            problems.append(FieldProblem("weights", f"{item!r} is not name=number; write e.g. skills=3"))
            continue
        if name not in COMPONENTS:
            problems.append(FieldProblem(name, f"unknown weight; use one of {', '.join(COMPONENTS)}"))
            continue
        if name in values:
            problems.append(FieldProblem(name, "given twice; give each weight once"))
            continue
        try:
            number = float(value)
        except ValueError:
            problems.append(FieldProblem(name, f"{value!r} is not a number; write e.g. {name}=1"))
            continue
        problem = _weight_problem(name, number)
        if problem:
            problems.append(problem)
            continue
        values[name] = number
    if problems:
        raise ValidationError(f"could not read the weights {text!r}", problems)
    return Weights(**values)


@dataclass(frozen=True)
class MatchOptions:
    """Everything that shapes a matching besides the people.

    ``exclude`` holds unordered id pairs that must not be matched; ``fixed`` holds
    ``(mentor_id, mentee_id)`` pairs that are kept as they are and use the mentor's capacity.
    ``max_tz_gap`` limits the gap between UTC offsets (hours, measured round the clock, so
    UTC+13 and UTC-10 are 1 h apart); ``min_overlap_hours`` asks for shared working hours.
    Offsets and overlaps are those of ``reference_date`` (default: today), so daylight saving
    time is taken into account.
    """

    weights: Weights = Weights()
    max_tz_gap: float | None = None
    min_overlap_hours: float = 0.0
    exclude: frozenset[tuple[str, str]] = frozenset()
    fixed: tuple[tuple[str, str], ...] = ()
    synonyms: Mapping[str, str] = field(default_factory=dict, hash=False)
    working_hours: tuple[int, int] = (9, 17)
    reference_date: date | None = None

    def __post_init__(self) -> None:
        # Accept any iterable (a set, a list from a CLI parser) and store the documented types.
        as_pair = lambda p: (p,) if isinstance(p, str) else tuple(p)  # noqa: E731 - "a:b" is not a pair
        object.__setattr__(self, "exclude", frozenset(as_pair(p) for p in self.exclude))
        object.__setattr__(self, "fixed", tuple(as_pair(p) for p in self.fixed))
        object.__setattr__(self, "working_hours", tuple(self.working_hours))
        problems: list[FieldProblem] = []
        if self.max_tz_gap is not None and not (
            _is_number(self.max_tz_gap) and math.isfinite(self.max_tz_gap) and self.max_tz_gap >= 0
        ):
            problems.append(FieldProblem("max_tz_gap", f"{self.max_tz_gap!r} is not allowed; use hours >= 0, e.g. 4, or no limit"))
        if not (_is_number(self.min_overlap_hours) and 0 <= self.min_overlap_hours <= 24):
            problems.append(FieldProblem("min_overlap_hours", f"{self.min_overlap_hours!r} is not allowed; use hours between 0 and 24"))
        problem = working_hours_problem(self.working_hours)
        if problem:
            problems.append(problem)
        for label, pairs in (("exclude", self.exclude), ("fixed", self.fixed)):
            for pair in pairs:
                if len(pair) != 2 or not all(isinstance(x, str) and x for x in pair):
                    problems.append(FieldProblem(label, f"{pair!r} is not a pair of two ids; give (mentor_id, mentee_id)"))
        if problems:
            raise ValidationError("invalid matching options", problems)

    @property
    def day_hours(self) -> float:
        """Length of the working day, the denominator of the time zone component."""
        return float(self.working_hours[1] - self.working_hours[0])


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def working_hours_problem(hours: tuple[int, ...]) -> FieldProblem | None:
    """A problem with a ``(start, end)`` working-hours window, or None when it is usable."""
    ok = (
        len(hours) == 2
        and all(isinstance(h, int) and not isinstance(h, bool) for h in hours)
        and 0 <= hours[0] < hours[1] <= 24
    )
    if ok:
        return None
    return FieldProblem("working_hours", f"{hours!r} is not a working day; use whole hours (start, end) with 0 <= start < end <= 24, e.g. (9, 17)")


@dataclass(frozen=True)
class PairScore:
    """One proposed (or possible) pair with its score and why.

    ``components`` are the unweighted component values in [0, 1]; ``score`` is their sum
    weighted by :class:`Weights`. ``fixed`` marks a pair kept from ``MatchOptions.fixed``.
    """

    mentor_id: str
    mentee_id: str
    score: float
    reasons: tuple[str, ...]
    components: Mapping[str, float] = field(default_factory=dict, hash=False)
    fixed: bool = False


@dataclass(frozen=True)
class Unmatched:
    """A mentee left without a mentor, and the specific reason."""

    mentee_id: str
    reason: str


@dataclass(frozen=True)
class MatchResult:
    """A complete proposal: pairs (fixed ones included), unmatched mentees and the method used."""

    pairs: tuple[PairScore, ...]
    unmatched: tuple[Unmatched, ...]
    total_score: float
    method: str

    @property
    def matched_count(self) -> int:
        """How many mentees have a mentor in this proposal."""
        return len(self.pairs)

    def to_frame(self) -> pd.DataFrame:
        """The pairs as a table: mentor_id, mentee_id, score, reasons (joined "; "), fixed."""
        return pd.DataFrame(
            {
                "mentor_id": pd.Series([p.mentor_id for p in self.pairs], dtype="object"),
                "mentee_id": pd.Series([p.mentee_id for p in self.pairs], dtype="object"),
                "score": pd.Series([p.score for p in self.pairs], dtype="float64"),
                "reasons": pd.Series(["; ".join(p.reasons) for p in self.pairs], dtype="object"),
                "fixed": pd.Series([p.fixed for p in self.pairs], dtype="bool"),
            }
        )
