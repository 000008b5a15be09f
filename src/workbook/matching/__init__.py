"""Mentor matching: score mentee x mentor pairs, choose the optimal plan, explain every pair.

Pure functions over :class:`Profile` values; the store layer reads profiles from the roster
and records the chosen pairs. Entry points: :func:`match` (optimal), :func:`greedy_match`
(baseline), :func:`score_pair` and :func:`score_matrix` (for inspection and the heat map).
"""
from __future__ import annotations

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
    "greedy_match",
    "load_synonyms",
    "match",
    "normalise_terms",
    "parse_weights",
    "score_matrix",
    "score_pair",
    "working_overlap_hours",
]
