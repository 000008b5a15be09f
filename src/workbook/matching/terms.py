"""Comparing free-text terms (skills, aspirations, languages) and the cohort's synonym map."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Iterable, Mapping

from ..errors import ConfigError, FieldProblem, ValidationError

_SPACE = re.compile(r"\s+")


def normalise_term(value: str) -> str:
    """One term in its comparable form: case-folded, spacing collapsed and trimmed."""
    return _SPACE.sub(" ", value).strip().casefold()


def normalise_synonyms(synonyms: Mapping[str, str]) -> dict[str, str]:
    """The synonym map with both sides normalised, so lookups are spacing- and case-proof."""
    out: dict[str, str] = {}
    for alias, canonical in synonyms.items():
        key, value = normalise_term(alias), normalise_term(canonical)
        if key and value and key != value:
            out[key] = value
    return out


def canonical_terms(values: Iterable[str], table: Mapping[str, str]) -> frozenset[str]:
    """Like :func:`normalise_terms` with an already-normalised synonym table (the fast path)."""
    if isinstance(values, str):  # a lone string is one term, not a sequence of letters
        values = (values,)
    terms = (normalise_term(v) for v in values)
    return frozenset(table.get(t, t) for t in terms if t)


def normalise_terms(values: Iterable[str], synonyms: Mapping[str, str] = {}) -> frozenset[str]:  # noqa: B006 - read only
    """The set of distinct terms, case- and spacing-insensitive, with synonyms mapped.

    >>> sorted(normalise_terms(["  Machine   Learning", "ML", "sql"], {"ml": "machine learning"}))
    ['machine learning', 'sql']
    """
    return canonical_terms(values, normalise_synonyms(synonyms))


def load_synonyms(path: Path) -> dict[str, str]:
    """Read a cohort's synonym file; a missing file means no synonyms.

    The file is TOML with one table::

        [synonyms]
        "machine learning" = ["ml", "machine-learning"]
        sql = "structured query language"

    Returns ``{alias: canonical}`` with both sides normalised. Aliases may not be listed under
    two canonical terms, and a canonical term may not itself be an alias (chains are not
    followed, so they would silently not match).
    """
    path = Path(path)
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"could not read the synonym file {path}: {exc.strerror or exc}; check it is a readable file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValidationError(f"the synonym file {path} is not valid TOML ({exc}); fix it or delete it") from None
    table = data.get("synonyms")
    if not isinstance(table, dict):
        raise ValidationError(
            f"the synonym file {path} needs a [synonyms] table; write e.g.\n"
            '[synonyms]\n"machine learning" = ["ml"]'
        )
    out: dict[str, str] = {}
    problems: list[FieldProblem] = []
    for canonical, aliases in table.items():
        where = f"synonyms.{canonical}"
        canon = normalise_term(canonical)
        if isinstance(aliases, str):
            aliases = [aliases]
        if not canon or not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            problems.append(FieldProblem(where, 'give a list of aliases, e.g. "machine learning" = ["ml"]'))
            continue
        for alias in aliases:
            key = normalise_term(alias)
            if not key or key == canon:
                continue
            if key in out and out[key] != canon:
                problems.append(FieldProblem(where, f"alias {alias!r} is also listed under {out[key]!r}; keep it under one term"))
                continue
            out[key] = canon
    for key, canon in out.items():
        if canon in out:
            problems.append(FieldProblem(
                f"synonyms.{canon}",
                f"{canon!r} is an alias of {out[canon]!r}; list {key!r} under {out[canon]!r} instead",
            ))
    if problems:
        raise ValidationError(f"the synonym file {path} was rejected", problems)
    return out
