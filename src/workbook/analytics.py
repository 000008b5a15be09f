"""Cohort aggregates with small-group suppression: what a facilitator may see of everyone.

The rule (the cohort's ``min_group_size``, *k*):

- a figure computed over a group of fewer than *k* people is suppressed (shown as ``None``);
  a group of nobody is shown as 0, it says nothing about anyone;
- within a partition whose total is known (mood levels in a week, people with and without a
  coach), suppressing one cell is not enough: the total minus the others gives it back. So the
  next-smallest cells are suppressed too, until at least two cells are hidden and the hidden
  cells together hold at least *k* people (or nothing is left to hide).

Functions here take frames produced by :func:`workbook.access.aggregate_frame` (entry metadata,
never free text), or a retro's cards shared with the cohort (:func:`workbook.access.cohort_cards`),
and return tidy frames whose suppressed cells are ``pd.NA``.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import pandas as pd

    from .store import RetroCard

K = TypeVar("K")

#: Mood bands used in distributions of a 1-5 scale: three bands keep groups large enough to show.
MOOD_BANDS: dict[str, str] = {"low": "low (1-2)", "middle": "middle (3)", "high": "high (4-5)"}


def mood_band(mood: float) -> str:
    """The band of a (possibly averaged) 1-5 mood."""
    return "low" if mood < 2.5 else ("middle" if mood < 3.5 else "high")


def suppress_group(count: int, min_size: int) -> int | None:
    """``count`` if a group of that many people may be shown, else ``None``."""
    return count if count == 0 or count >= min_size else None


def suppress_partition(counts: Mapping[K, int], min_size: int) -> dict[K, int | None]:
    """Suppress the small cells of a partition whose total is known, plus what would reveal them.

    >>> suppress_partition({"a": 10, "b": 2, "c": 6}, 5)
    {'a': 10, 'b': None, 'c': None}
    >>> suppress_partition({"a": 10, "b": 7}, 5)
    {'a': 10, 'b': 7}
    """
    out: dict[K, int | None] = dict(counts)
    hidden = {key for key, n in counts.items() if 0 < n < min_size}
    if hidden:
        # Secondary suppression: smallest remaining non-empty cells first.
        rest = sorted((n, i, key) for i, (key, n) in enumerate(counts.items()) if key not in hidden and n > 0)
        while rest and (len(hidden) < 2 or sum(counts[key] for key in hidden) < min_size):
            hidden.add(rest.pop(0)[2])
    for key in hidden:
        out[key] = None
    return out


def weekly_participation(frame: "pd.DataFrame", min_size: int) -> "pd.DataFrame":
    """Per week: entries and distinct people who wrote; both suppressed where people < k.

    ``frame`` is an aggregate frame (one row per entry with ``week`` and ``author_id``).
    Columns: week, people, entries, suppressed (bool).
    """
    import pandas as pd

    if frame.empty:
        return pd.DataFrame({"week": pd.Series(dtype="datetime64[ns]"), "people": pd.Series(dtype="Int64"),
                             "entries": pd.Series(dtype="Int64"), "suppressed": pd.Series(dtype=bool)})
    g = frame.groupby("week").agg(people=("author_id", "nunique"), entries=("entry_id", "count")).reset_index()
    g["suppressed"] = [suppress_group(int(n), min_size) is None for n in g["people"]]
    g["people"] = g["people"].astype("Int64").mask(g["suppressed"])
    g["entries"] = g["entries"].astype("Int64").mask(g["suppressed"])
    return g.sort_values("week").reset_index(drop=True)


def _people_per_session(frame: "pd.DataFrame") -> "pd.Series":
    """Distinct authors per session id."""
    import pandas as pd

    if frame.empty:
        return pd.Series(dtype="int64")
    return frame.dropna(subset=["session_id"]).groupby("session_id")["author_id"].nunique()


def session_participation(frame: "pd.DataFrame", sessions: list[Any], min_size: int) -> "pd.DataFrame":
    """Per session (oldest first): title, exercise and people who took part (None below k)."""
    import pandas as pd

    people = _people_per_session(frame)
    rows = []
    for s in sessions:
        n = int(people.get(s.id, 0))
        rows.append(dict(session_id=s.id, title=s.title, exercise_id=s.exercise_id,
                         opens=s.opens_at, people=suppress_group(n, min_size)))
    out = pd.DataFrame(rows, columns=["session_id", "title", "exercise_id", "opens", "people"])
    out["people"] = out["people"].astype("Int64")
    return out


def completion_by_exercise(frame: "pd.DataFrame", participants: int, sessions: list[Any],
                           min_size: int) -> "pd.DataFrame":
    """Per exercise run in sessions: how many participants completed it at least once, and the rate.

    The completers are a group; below *k* the count and the rate are suppressed. They are also
    suppressed when one of the exercise's sessions was (:func:`session_participation`) and
    another was shown: the completers minus the shown session would give the small one back;
    ``protects`` is True for those. Columns: exercise_id, sessions, completed, participants,
    rate (0-1), protects.
    """
    import pandas as pd

    run = pd.Series([s.exercise_id for s in sessions], dtype="object").value_counts()
    done = frame.groupby("exercise_id")["author_id"].nunique() if not frame.empty else pd.Series(dtype="int64")
    per_session = _people_per_session(frame)
    counts = [(s.exercise_id, suppress_group(int(per_session.get(s.id, 0)), min_size)) for s in sessions]
    # a small session only says something by subtraction next to a shown session of the same exercise
    small = {ex for ex, n in counts if n is None} & {ex for ex, n in counts if n}
    rows = []
    for ex_id, n_sessions in sorted(run.items()):
        n = int(done.get(ex_id, 0))
        shown = suppress_group(n, min_size)
        protects = shown is not None and ex_id in small
        if protects:
            shown = None
        rows.append(dict(exercise_id=ex_id, sessions=int(n_sessions), completed=shown, participants=participants,
                         rate=(shown / participants) if shown is not None and participants else None,
                         protects=protects))
    out = pd.DataFrame(rows, columns=["exercise_id", "sessions", "completed", "participants", "rate", "protects"])
    out["completed"] = out["completed"].astype("Int64")
    out["rate"] = out["rate"].astype("Float64")
    return out


def mood_by_week(frame: "pd.DataFrame", min_size: int) -> "pd.DataFrame":
    """Mood distribution over time: per week, people per mood level (1-5), mean and median.

    A week with fewer than *k* people reporting a mood is suppressed entirely; within a shown
    week, the level counts form a partition (suppressed by :func:`suppress_partition`).
    Each person counts once per week, in the band of their mean mood that week.
    Columns: week, people, mean, median, low, middle, high (people per band), hidden (people in
    suppressed bands).
    """
    import pandas as pd

    cols = ["week", "people", "mean", "median", *MOOD_BANDS, "hidden"]
    moods = frame.dropna(subset=["mood"]) if not frame.empty else frame
    if moods.empty:
        return pd.DataFrame(columns=cols)
    per_person = moods.assign(mood=moods["mood"].astype(float)).groupby(["week", "author_id"])["mood"].mean()
    rows = []
    for week, values in per_person.groupby(level="week"):
        n = len(values)
        row: dict[str, Any] = {"week": week, "people": suppress_group(n, min_size)}
        if row["people"] is None:
            row.update({"mean": None, "median": None, "hidden": None, **{b: None for b in MOOD_BANDS}})
        else:
            bands = values.map(mood_band).value_counts()
            cells = suppress_partition({b: int(bands.get(b, 0)) for b in MOOD_BANDS}, min_size)
            row.update({"mean": float(values.mean()), "median": float(values.median()),
                        "hidden": sum(int(bands.get(b, 0)) for b, v in cells.items() if v is None),
                        **cells})
        rows.append(row)
    out = pd.DataFrame(rows, columns=cols)
    for c in ["people", "hidden", *MOOD_BANDS]:
        out[c] = out[c].astype("Int64")
    for c in ("mean", "median"):
        out[c] = out[c].astype("Float64")
    return out.sort_values("week").reset_index(drop=True)


def pairing_coverage(participant_ids: list[str], coach_of: Mapping[str, set[str]], min_size: int) -> "pd.DataFrame":
    """People with and without a coach (a partition of the participants, suppressed as one).

    Columns: group ("with a coach", "without a coach"), people (None when suppressed), share.
    """
    import pandas as pd

    with_coach = sum(1 for p in participant_ids if coach_of.get(p))
    counts = {"with a coach": with_coach, "without a coach": len(participant_ids) - with_coach}
    cells = suppress_partition(counts, min_size)
    total = len(participant_ids)
    out = pd.DataFrame([dict(group=g, people=v, share=(v / total if v is not None and total else None))
                        for g, v in cells.items()])
    out["people"] = out["people"].astype("Int64")
    out["share"] = out["share"].astype("Float64")
    return out


def checkins_by_coach(frame: "pd.DataFrame", mentees: Mapping[str, list[str]], min_size: int) -> "pd.DataFrame":
    """Per coach: mentees (a roster fact) and check-ins written by them (an aggregate: None below k mentees)."""
    import pandas as pd

    checkins = frame[frame["kind"] == "checkin"] if not frame.empty else frame
    rows = []
    for coach, ids in sorted(mentees.items()):
        n = int(checkins["author_id"].isin(ids).sum()) if not checkins.empty else 0
        rows.append(dict(coach_id=coach, mentees=len(ids), checkins=n if len(ids) >= min_size else None))
    out = pd.DataFrame(rows, columns=["coach_id", "mentees", "checkins"])
    out["checkins"] = out["checkins"].astype("Int64")
    return out


def top_retro_cards(cards: Iterable["RetroCard"], min_size: int, limit: int = 5) -> "pd.DataFrame":
    """A retro's most-voted cards, the same card written by several people counted once.

    Cards in one column with the same words (case and spacing aside) are one card: their votes
    add up and their authors are counted. Ranked by votes, then authors, then text; ``limit``
    cards. Both figures are suppressed below *k*: the authors are a group of people, and fewer
    than *k* votes (none included) may be one or two people's choices. Columns: column, text,
    authors, votes.
    """
    import pandas as pd

    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for c in cards:
        key = (c.column_id, " ".join(c.text.casefold().split()))
        m = merged.setdefault(key, {"column": c.column_id, "text": c.text, "votes": 0, "authors": set()})
        m["votes"] += c.votes
        m["authors"].add(c.author_id)
    top = sorted(merged.values(), key=lambda m: (-m["votes"], -len(m["authors"]), m["text"]))[:limit]
    out = pd.DataFrame([dict(column=m["column"], text=m["text"],
                             authors=len(m["authors"]) if len(m["authors"]) >= min_size else None,
                             votes=m["votes"] if m["votes"] >= min_size else None) for m in top],
                       columns=["column", "text", "authors", "votes"])
    out["authors"] = out["authors"].astype("Int64")
    out["votes"] = out["votes"].astype("Int64")
    return out
