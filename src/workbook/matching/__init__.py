"""Mentor matching: score mentee x mentor pairs, choose the optimal plan, explain every pair.

Pure functions over :class:`Profile` values; the store layer reads profiles from the roster
and records the chosen pairs. Entry points: :func:`match` (optimal), :func:`greedy_match`
(baseline), :func:`score_pair` and :func:`score_matrix` (for inspection and the heat map).
For a stored cohort (:mod:`workbook.matching.cohort`): :func:`propose`, :func:`swap`,
:func:`fix_pair`, :func:`apply`, :func:`result_frame`.
"""
from __future__ import annotations

from .cohort import (
    apply,
    fix_pair,
    format_table,
    match_options,
    names_of,
    profiles_for,
    propose,
    result_frame,
    score_frame,
    summary,
    swap,
)
from .model import MatchOptions, MatchResult, PairScore, Profile, Unmatched, Weights, parse_weights
from .scoring import score_matrix, score_pair
from .solver import greedy_match, match
from .terms import load_synonyms, normalise_terms
from .timezones import working_overlap_hours

__all__ = [
    "MatchOptions",
    "MatchResult",
    "PairScore",
    "Profile",
    "Unmatched",
    "Weights",
    "apply",
    "fix_pair",
    "format_table",
    "greedy_match",
    "load_synonyms",
    "match",
    "match_options",
    "names_of",
    "normalise_terms",
    "parse_weights",
    "profiles_for",
    "propose",
    "result_frame",
    "score_frame",
    "score_matrix",
    "score_pair",
    "summary",
    "swap",
    "working_overlap_hours",
]
