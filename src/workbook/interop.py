"""Getting data out: cohort exports (CSV, Parquet, xAPI), a person's own data, and erasure.

Exports follow :mod:`workbook.access`: a cohort export carries every entry's metadata but its
answers (text, choices, lists and scales alike, ``mood`` included) only where the entry was
shared with the cohort; a person's export carries everything of theirs. xAPI actors are
pseudonyms (:func:`pseudonym`): no name or email leaves in a statement. Every export is logged,
so that an erasure can say which files made before it still hold the person.
"""
from __future__ import annotations

import datetime as dt
import hmac
import html
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .access import Viewer, facilitator_frame, is_shared_with_cohort, journal, visible_comments
from .errors import ConfigError, FieldProblem, NotFoundError, ValidationError, WorkbookError

if TYPE_CHECKING:
    import pandas as pd

    from .store import ExportRecord, Store, Wipe
    from .store.privacy import MemberTexts

XAPI_VERB = {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}}
ACTIVITY_BASE = "https://workbook.invalid/exercises/"
#: The ``homePage`` of xAPI accounts: the pseudonyms are names in this (made-up) system.
ACCOUNT_HOME = "https://workbook.invalid/"


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


def pseudonym(key: bytes, cohort_id: str, person_id: str) -> str:
    """A person's stable xAPI name in a cohort: HMAC-SHA256 of (cohort, id) under the cohort's secret.

    Stable across exports (statements of one person can be joined), different per cohort, and
    not reversible by someone who has only the export: without the key, ids cannot be tried.
    """
    return hmac.new(key, f"{cohort_id}\x00{person_id}".encode("utf-8"), "sha256").hexdigest()[:32]


def xapi_statements(store: "Store", cohort_id: str) -> list[dict[str, Any]]:
    """xAPI 1.0.3 statements, one per entry ("<pseudonym> completed <exercise>").

    The actor is an account with a pseudonymous name (:func:`pseudonym`), never a name or an
    email. The learner's answers (``result.response``) and mood (``result.score``) are included
    only when the entry was shared with the cohort.
    """
    key = store.pseudonym_key(cohort_id)
    scales: dict[str, tuple[int, int]] = {}

    def scale(exercise_id: str) -> tuple[int, int]:
        if exercise_id not in scales:
            try:
                p = store.exercise(exercise_id, cohort_id).prompt("mood")
                scales[exercise_id] = (p.scale_min, p.scale_max)
            except WorkbookError:  # a template since removed from the catalogue: the usual 1-5
                scales[exercise_id] = (1, 5)
        return scales[exercise_id]

    out = []
    for e in store.find_entries(cohort_id, newest_first=False):
        actor = {"objectType": "Agent", "account": {"homePage": ACCOUNT_HOME,
                                                    "name": pseudonym(key, cohort_id, e.author_id)}}
        result: dict[str, Any] = {"completion": True}
        if is_shared_with_cohort(e):
            if e.mood is not None:
                lo, hi = scale(e.exercise_id)
                result["score"] = {"raw": e.mood, "min": lo, "max": hi}
            result["response"] = json.dumps(e.answers, ensure_ascii=False)
        out.append({
            "actor": actor, "verb": XAPI_VERB,
            "object": {"objectType": "Activity", "id": ACTIVITY_BASE + e.exercise_id,
                       "definition": {"type": "http://adlnet.gov/expapi/activities/assessment",
                                      "name": {"en-US": e.exercise_id}}},
            "result": result,
            "timestamp": e.created_at.isoformat(),
            "context": {"extensions": {"https://workbook.invalid/cohort": cohort_id,
                                       "https://workbook.invalid/kind": e.kind}},
        })
    return out


def _write_xapi(store: "Store", cohort_id: str, out: Path) -> int:
    statements = xapi_statements(store, cohort_id)
    out.write_text(json.dumps(statements, ensure_ascii=False, indent=1), encoding="utf-8")
    return len(statements)


FORMATS: dict[str, Callable[["pd.DataFrame", Path], None]] = {"csv": _write_csv, "parquet": _write_parquet}


def export_cohort(store: "Store", cohort_id: str, fmt: str, out: Path) -> int:
    """Write a cohort export to ``out`` and log it; returns the number of entries exported."""
    out = Path(out)
    if fmt != "xapi" and fmt not in FORMATS:
        raise ValidationError("unknown export format", [FieldProblem("format", "use csv, parquet or xapi")])
    store.get_cohort(cohort_id)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "xapi":
        n = _write_xapi(store, cohort_id, out)
    else:
        frame = cohort_frame(store, cohort_id)
        FORMATS[fmt](frame, out)
        n = len(frame)
    store.log_export(cohort_id, fmt, out, n)
    return n


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
        "kudos_received": [{"message": k.message, "at": when(k.created_at)}
                           for k in store.find_kudos(cohort_id, to_id=person_id)],
        "milestones": [{"title": m.title, "at": when(m.achieved_at)}
                       for m in store.find_milestones(cohort_id, person_id)],
    }


def write_person_export(store: "Store", cohort_id: str, person_id: str, out: Path) -> int:
    """Write :func:`export_person` as JSON to ``out`` and log it; returns the number of entries."""
    data = export_person(store, cohort_id, person_id)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    store.log_export(cohort_id, "person", out, len(data["entries"]), person_id=person_id)
    return len(data["entries"])


# --- erasure ----------------------------------------------------------------------------------

#: Shorter texts are not looked for in report files: a short answer ("yes", "fine") is in many pages.
MIN_TEXT_NEEDLE = 8


@dataclass
class ErasureReport:
    """What :func:`erase_person` did, and what is left for the facilitator to do."""

    cohort_id: str
    person_id: str
    counts: dict[str, int]
    wipe: "Wipe"
    pages_removed: list[Path] = field(default_factory=list)
    pages_failed: list[tuple[Path, str]] = field(default_factory=list)
    exports: list["ExportRecord"] = field(default_factory=list)
    already_erased: bool = False

    @property
    def finished(self) -> bool:
        """False when something this command should have removed is still there (run it again, or see the lines)."""
        return not self.wipe.blocked and not self.pages_failed

    def lines(self) -> list[str]:
        """The report as lines for the command line."""
        out = []
        if self.already_erased:
            out.append(f"{self.person_id} was already erased from {self.cohort_id}; finished the clean-up.")
        else:
            done = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in self.counts.items() if v)
            out.append(f"Erased {self.person_id} from {self.cohort_id}: {done or 'nothing stored'}. "
                       "An erasure record keeps who (a hash of the id), when and by whom, never what; a roster "
                       f"re-import skips them until `workbook cohort import DIR --readmit {self.person_id}`.")
        prefix = "Database: " if self.wipe.complete else ("Warning: " if self.wipe.blocked else "To finish: ")
        out.append(prefix + self.wipe.message + ".")
        if self.pages_removed:
            folders = sorted({str(p.parent) for p in self.pages_removed})
            out.append(f"Removed {len(self.pages_removed)} report file(s) that showed them from {', '.join(folders)}; "
                       f"run `workbook report {self.cohort_id}` to rebuild the index and the cohort page.")
        for path, reason in self.pages_failed:
            out.append(f"Warning: could not remove {path} ({reason}); delete it yourself.")
        if self.exports:
            out.append("Exports made before this erasure that still hold this person (delete them, and any copy "
                       "you shared):")
            out += [f"  {x.path} ({x.created_at:%Y-%m-%d %H:%M} UTC, {x.format})" for x in self.exports]
        return out


def report_folder(store: "Store", cohort_id: str) -> Path:
    """Where ``workbook report`` writes a cohort's pages by default (``reports/COHORT``)."""
    from .reports.plan import cohort_folder

    return cohort_folder(store.settings.reports_dir, cohort_id)


def _needles(found: "MemberTexts") -> tuple[list[bytes], re.Pattern[bytes] | None]:
    """Byte strings whose presence in a file means it holds the person: their texts as pages write them.

    Pages write text HTML-escaped, notebooks JSON-encoded (and HTML inside a notebook is both).
    Name and email count whatever their length; a text only from :data:`MIN_TEXT_NEEDLE` characters.
    """
    pieces = {t.strip() for t in found.identity if t.strip()}
    for t in found.texts:
        pieces.update(line.strip() for line in t.splitlines() if len(line.strip()) >= MIN_TEXT_NEEDLE)
    out: set[bytes] = set()
    for p in pieces:
        for v in (p, html.escape(p), html.escape(p, quote=False)):
            out.add(v.encode("utf-8"))
            out.add(json.dumps(v, ensure_ascii=False)[1:-1].encode("utf-8"))
            out.add(json.dumps(v)[1:-1].encode("utf-8"))
    # An id like "p01" is also inside other words and base64 images: only as a word of its own.
    pid = found.person_id
    pattern = (re.compile(rb"(?<![A-Za-z0-9])" + re.escape(pid.encode("utf-8")) + rb"(?![A-Za-z0-9])")
               if len(pid) >= 3 else None)
    return sorted(out), pattern


def _remove_pages(folder: Path, found: "MemberTexts", report: ErasureReport) -> None:
    """Delete every file in a report folder that is the person's page or holds their name, email, id or text."""
    from .reports.plan import is_page_of

    if not folder.is_dir():
        return
    needles, id_pattern = _needles(found)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        try:
            holds = is_page_of(path.name.rsplit(".", 1)[0], found.person_id)
            if not holds:
                data = path.read_bytes()
                holds = any(n in data for n in needles) or bool(id_pattern and id_pattern.search(data))
            if holds:
                path.unlink()
                report.pages_removed.append(path)
        except OSError as exc:
            report.pages_failed.append((path, exc.strerror or str(exc)))


def erase_person(store: "Store", cohort_id: str, person_id: str, *, erased_by: str | None = None,
                 report_dirs: Sequence[Path] | None = None) -> ErasureReport:
    """Erase a person from a cohort so that no trace is left, and say what the facilitator must still do.

    1. Everything of theirs in the database goes in one transaction (:meth:`Store.erase_member`),
       which keeps an erasure record (no content) that a roster re-import respects.
    2. The freed space is wiped (:meth:`Store.wipe_freed_space`): on SQLite nothing is left in
       the ``.db``, ``-wal`` or ``-shm`` files; on PostgreSQL the report says which ``VACUUM FULL`` to run.
    3. Report pages that are theirs or hold their name, email, id or text are deleted from
       ``report_dirs`` (default: the cohort's folder under the reports folder).
    4. Exports made before the erasure that may hold them and still exist are listed.

    Running it again for someone already erased repeats steps 2-3 (e.g. after a reader blocked the wipe).
    """
    from .store.privacy import MemberTexts

    folders = [Path(d) for d in report_dirs] if report_dirs else [report_folder(store, cohort_id)]
    try:
        since = store.membership_since(cohort_id, person_id)
    except NotFoundError:
        if not [e for e in store.find_erasures(cohort_id, person_id) if e.readmitted_at is None]:
            raise
        report = ErasureReport(cohort_id, person_id, {}, store.wipe_freed_space(), already_erased=True)
        for folder in folders:
            _remove_pages(folder, MemberTexts(person_id, (), ()), report)
        return report
    texts = store.member_texts(cohort_id, person_id)
    before = dt.datetime.now(dt.timezone.utc)
    exports = [x for x in store.find_exports(cohort_id, holding=person_id, since=since, until=before)
               if x.path.exists()]
    counts = store.erase_member(cohort_id, person_id, erased_by=erased_by)
    report = ErasureReport(cohort_id, person_id, counts, store.wipe_freed_space(), exports=exports)
    for folder in folders:
        _remove_pages(folder, texts, report)
    return report
