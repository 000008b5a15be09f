"""Getting data out: cohort exports (CSV, Parquet, xAPI), a person's own data, and erasure.

Exports follow :mod:`workbook.access`: a cohort export carries every entry's metadata but the
answers only of entries shared with the cohort; a person's export carries everything of theirs.
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from .access import Viewer, facilitator_frame, journal, visible_comments
from .errors import ConfigError, FieldProblem, ValidationError

if TYPE_CHECKING:
    import pandas as pd

    from .store import Store

XAPI_VERB = {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}}
ACTIVITY_BASE = "https://workbook.invalid/exercises/"


def cohort_frame(store: "Store", cohort_id: str) -> "pd.DataFrame":
    """One row per entry: metadata of all, answers (JSON text) only where shared with the cohort."""
    frame = facilitator_frame(store, cohort_id)
    frame["answers"] = [None if a is None else json.dumps(a, ensure_ascii=False) for a in frame["answers"]]
    return frame


def _write_csv(frame: "pd.DataFrame", out: Path) -> None:
    frame.to_csv(out, index=False)


def _write_parquet(frame: "pd.DataFrame", out: Path) -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise ConfigError("Parquet export needs pyarrow: pip install 'workbook[parquet]'") from None
    frame.to_parquet(out, index=False)


def xapi_statements(store: "Store", cohort_id: str) -> list[dict[str, Any]]:
    """xAPI 1.0.3 statements, one per entry ("<person> completed <exercise>").

    The learner's answers are included (as ``result.response``) only when shared with the cohort.
    """
    members = {m.person_id: m for m in store.find_members(cohort_id, active_only=False)}
    out = []
    for e in store.find_entries(cohort_id, newest_first=False):
        m = members.get(e.author_id)
        actor: dict[str, Any] = {"objectType": "Agent", "name": m.name if m else e.author_id}
        actor["mbox"] = f"mailto:{m.email}" if m else None
        stmt: dict[str, Any] = {
            "id": None, "actor": actor, "verb": XAPI_VERB,
            "object": {"objectType": "Activity", "id": ACTIVITY_BASE + e.exercise_id,
                       "definition": {"type": "http://adlnet.gov/expapi/activities/assessment",
                                      "name": {"en-US": e.exercise_id}}},
            "timestamp": e.created_at.isoformat(),
            "context": {"extensions": {"https://workbook.invalid/cohort": cohort_id,
                                       "https://workbook.invalid/kind": e.kind}},
        }
        stmt.pop("id")
        result: dict[str, Any] = {"completion": True}
        if e.mood is not None:
            result["score"] = {"raw": e.mood, "min": 1, "max": 5}
        if e.visibility == "cohort":
            result["response"] = json.dumps(e.answers, ensure_ascii=False)
        stmt["result"] = result
        out.append(stmt)
    return out


def _write_xapi(store: "Store", cohort_id: str, out: Path) -> None:
    out.write_text(json.dumps(xapi_statements(store, cohort_id), ensure_ascii=False, indent=1), encoding="utf-8")


FORMATS: dict[str, Callable[["pd.DataFrame", Path], None]] = {"csv": _write_csv, "parquet": _write_parquet}


def export_cohort(store: "Store", cohort_id: str, fmt: str, out: Path) -> int:
    """Write a cohort export to ``out``; returns the number of entries exported."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "xapi":
        _write_xapi(store, cohort_id, out)
        return store.count_entries(cohort_id)
    if fmt not in FORMATS:
        raise ValidationError("unknown export format", [FieldProblem("format", "use csv, parquet or xapi")])
    frame = cohort_frame(store, cohort_id)
    FORMATS[fmt](frame, out)
    return len(frame)


def export_person(store: "Store", cohort_id: str, person_id: str) -> dict[str, Any]:
    """Everything of one person in a cohort, for them to take away (data portability)."""
    member = store.get_membership(cohort_id, person_id)
    me = Viewer(person_id, cohort_id, member.role)
    mine = journal(store, me)

    def when(value: dt.datetime | dt.date | None) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "exported_at": dt.datetime.now(dt.timezone.utc).isoformat(),
        "person": {"id": person_id, "name": member.name, "email": member.email, "role": member.role},
        "cohort": cohort_id,
        "entries": [{"id": e.id, "exercise": e.exercise_id, "visibility": e.visibility, "answers": e.answers,
                     "created_at": when(e.created_at), "updated_at": when(e.updated_at),
                     "history": [{"revision": r.revision, "answers": r.answers, "at": when(r.created_at)}
                                 for r in store.entry_history(e.id)[:-1]]} for e in mine],
        "comments_received": [{"entry_id": c.entry_id, "body": c.body, "released_at": when(c.released_at)}
                              for c in visible_comments(store, me, mine)],
        "goals": [{"title": g.title, "progress": g.progress, "status": g.status} for g in
                  store.find_goals(cohort_id, person_id)],
        "kudos_received": [{"message": k["message"], "at": when(k["created_at"])}
                           for k in store.find_kudos(cohort_id, to_id=person_id)],
        "milestones": [{"title": m["title"], "at": when(m["achieved_at"])}
                       for m in store.find_milestones(cohort_id, person_id)],
    }


def erase_person(store: "Store", cohort_id: str, person_id: str) -> dict[str, int]:
    """Erase a person from a cohort: their entries (with revisions, comments on them, cards and votes),
    comments they wrote, goals, kudos, milestones, pairings, links and membership. All or nothing.

    The person's name and email go too unless they belong to another cohort.
    """
    from .store import schema as t

    store.get_membership(cohort_id, person_id)
    counts: dict[str, int] = {}
    with store.write() as conn:
        own = sa.select(t.entries.c.id).where((t.entries.c.cohort_id == cohort_id)
                                              & (t.entries.c.author_id == person_id))
        in_cohort = sa.select(t.entries.c.id).where(t.entries.c.cohort_id == cohort_id)
        cards = sa.select(t.retro_cards.c.id).where(t.retro_cards.c.entry_id.in_(own))
        steps: list[tuple[str, Any]] = [
            ("votes", t.retro_votes.delete().where(t.retro_votes.c.card_id.in_(cards)
                                                   | ((t.retro_votes.c.voter_id == person_id)
                                                      & t.retro_votes.c.card_id.in_(
                                                          sa.select(t.retro_cards.c.id).where(
                                                              t.retro_cards.c.entry_id.in_(in_cohort)))))),
            ("cards", t.retro_cards.delete().where(t.retro_cards.c.entry_id.in_(own))),
            ("comments", t.comments.delete().where(t.comments.c.entry_id.in_(own)
                                                   | ((t.comments.c.author_id == person_id)
                                                      & t.comments.c.entry_id.in_(in_cohort)))),
            ("goal_progress", t.goal_progress.delete().where(t.goal_progress.c.goal_id.in_(
                sa.select(t.goals.c.id).where((t.goals.c.cohort_id == cohort_id)
                                              & (t.goals.c.person_id == person_id))))),
            ("revisions", t.entry_revisions.delete().where(t.entry_revisions.c.entry_id.in_(own))),
            ("milestones", t.milestones.delete().where((t.milestones.c.cohort_id == cohort_id)
                                                       & (t.milestones.c.person_id == person_id))),
            ("entries", t.entries.delete().where((t.entries.c.cohort_id == cohort_id)
                                                 & (t.entries.c.author_id == person_id))),
            ("goals", t.goals.delete().where((t.goals.c.cohort_id == cohort_id) & (t.goals.c.person_id == person_id))),
            ("kudos", t.kudos.delete().where((t.kudos.c.cohort_id == cohort_id)
                                             & ((t.kudos.c.from_id == person_id) | (t.kudos.c.to_id == person_id)))),
            ("pairings", t.pairings.delete().where((t.pairings.c.cohort_id == cohort_id)
                                                   & ((t.pairings.c.coach_id == person_id)
                                                      | (t.pairings.c.mentee_id == person_id)))),
            ("action_items", t.action_items.update().where((t.action_items.c.cohort_id == cohort_id)
                                                           & (t.action_items.c.owner_id == person_id))
             .values(owner_id=None)),
            ("links", t.access_tokens.delete().where((t.access_tokens.c.cohort_id == cohort_id)
                                                     & (t.access_tokens.c.person_id == person_id))),
            ("memberships", t.memberships.delete().where((t.memberships.c.cohort_id == cohort_id)
                                                         & (t.memberships.c.person_id == person_id))),
        ]
        for name, stmt in steps:
            counts[name] = int(conn.execute(stmt).rowcount)
        conn.execute(t.memberships.update().where((t.memberships.c.cohort_id == cohort_id)
                                                  & (t.memberships.c.coach_id == person_id)).values(coach_id=None))
        others = conn.execute(sa.select(sa.func.count()).select_from(t.memberships)
                              .where(t.memberships.c.person_id == person_id)).scalar_one()
        if not others:
            conn.execute(t.sessions.update().where(t.sessions.c.facilitator_id == person_id).values(facilitator_id=None))
            counts["person"] = int(conn.execute(t.people.delete().where(t.people.c.id == person_id)).rowcount)
    return counts
