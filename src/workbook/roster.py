"""Cohort import: ``cohort.toml`` + ``roster.csv`` (+ custom ``exercises/*.toml`` and a matching
``synonyms.toml``) from a folder.

Every problem in the files is collected and reported by line and column; a file with any
problem imports nothing.
"""
from __future__ import annotations

import csv
import io
import re
import tomllib
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import FieldProblem, RosterError, WorkbookError
from .store.models import ROLES, VISIBILITIES, Cohort, Membership

if TYPE_CHECKING:
    from .store import Store

REQUIRED_COLUMNS = ("id", "name", "email", "role")
OPTIONAL_COLUMNS = ("coach", "skills", "aspirations", "timezone", "languages", "capacity", "manager")
MULTI_VALUED = ("skills", "aspirations", "languages")
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class ImportResult:
    """What an import did."""

    cohort: Cohort
    created: int
    updated: int
    deactivated: int
    custom_exercises: tuple[str, ...]
    skipped: dict[str, "dt.datetime"] = field(default_factory=dict)  # erased people in the roster -> erased at
    readmitted: tuple[str, ...] = ()


def valid_timezone(name: str) -> bool:
    """True for an IANA time zone name such as ``Europe/Madrid``."""
    if not name or name != name.strip():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def split_values(cell: str) -> tuple[str, ...]:
    """A multi-valued cell: items separated by ``|``, ``;`` or ``,``, trimmed, empty ones dropped."""
    return tuple(v.strip() for v in re.split(r"[|;,]", cell or "") if v.strip())


def _decode(path: Path) -> str:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")  # spreadsheet exports often start with a BOM
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise RosterError(f"{path.name} is not UTF-8 text; nothing was imported", [FieldProblem(
            "encoding", f"byte 0x{raw[exc.start]:02x} is not UTF-8: save the file as 'CSV UTF-8' and import again",
            line)]) from None
    return text


def read_cohort_config(path: Path, default_id: str) -> Cohort:
    """Parse ``cohort.toml`` into a :class:`Cohort` (every problem listed)."""
    if not path.is_file():
        raise RosterError(f"{path} is missing", [FieldProblem(
            "cohort.toml", "create it with at least: name = \"...\" and timezone = \"Europe/London\"")])
    try:
        data = tomllib.loads(_decode(path))
    except tomllib.TOMLDecodeError as exc:
        raise RosterError(f"{path.name} is not valid TOML; nothing was imported",
                          [FieldProblem("toml", str(exc))]) from None
    problems: list[FieldProblem] = []
    cid = str(data.get("id", default_id))
    if not _ID_RE.match(cid):
        problems.append(FieldProblem("id", "use letters, digits, '.', '_' or '-' (at most 64)"))
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(FieldProblem("name", "give the cohort a name, e.g. name = \"Spring leadership programme\""))
    tz = data.get("timezone", "UTC")
    if not isinstance(tz, str) or not valid_timezone(tz):
        problems.append(FieldProblem("timezone", f"{tz!r} is not a time zone; use an IANA name like \"Europe/Madrid\""))
    privacy = data.get("privacy", {})
    if not isinstance(privacy, dict):
        problems.append(FieldProblem("privacy", "must be a table: [privacy]"))
        privacy = {}
    mgs = privacy.get("min_group_size", 5)
    if isinstance(mgs, bool) or not isinstance(mgs, int) or mgs < 1:
        problems.append(FieldProblem("privacy.min_group_size", "must be a whole number of at least 1 (default 5)"))
    vis = privacy.get("default_visibility", "coach")
    if vis not in VISIBILITIES:
        problems.append(FieldProblem("privacy.default_visibility", f"must be one of {', '.join(VISIBILITIES)}"))
    if problems:
        raise RosterError(f"{path.name} has problems; nothing was imported", problems)
    settings = {k: v for k, v in data.items() if k not in ("id", "name", "timezone", "privacy")}
    return Cohort(id=cid, name=str(name).strip(), timezone=str(tz), min_group_size=int(mgs),
                  default_visibility=str(vis), settings=settings)


def parse_roster(path: Path, cohort_timezone: str = "UTC") -> list[Membership]:
    """Parse and validate ``roster.csv``: comma or semicolon separated, UTF-8 with or without BOM."""
    if not path.is_file():
        raise RosterError(f"{path} is missing", [FieldProblem(
            "roster.csv", f"create it with the columns: {', '.join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)}")])
    text = _decode(path)
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ("\t" if first.count("\t") > first.count(",") else ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise RosterError(f"{path.name} is empty", [FieldProblem("header", "add a header row")]) from None
    cols = [h.strip().lower() for h in header]
    problems: list[FieldProblem] = []
    for req in REQUIRED_COLUMNS:
        if req not in cols:
            problems.append(FieldProblem(req, "required column is missing from the header", 1))
    unknown = [c for c in cols if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    for c in unknown:
        problems.append(FieldProblem(c or "(blank)", f"unknown column; known: "
                                     f"{', '.join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)}", 1))
    if problems:
        raise RosterError(f"{path.name} has problems; nothing was imported", problems)

    rows: list[tuple[int, dict[str, str]]] = []
    line = reader.line_num + 1
    try:
        for record in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(cols):
                problems.append(FieldProblem("row", f"has {len(record)} cells, the header has {len(cols)}; "
                                             "check for a missing or extra separator", start))
                continue
            rows.append((start, {c: v.strip() for c, v in zip(cols, record)}))
    except csv.Error as exc:
        problems.append(FieldProblem("csv", f"{exc}: check the quotes", reader.line_num))

    seen: dict[str, int] = {}
    coach_refs: list[tuple[int, str]] = []
    members: list[Membership] = []
    for ln, r in rows:
        pid = r["id"]
        if not _ID_RE.match(pid):
            problems.append(FieldProblem("id", f"{pid!r} is not a valid id (letters, digits, '.', '_', '-')", ln))
        elif pid in seen:
            problems.append(FieldProblem("id", f"duplicate id {pid!r} (first on line {seen[pid]})", ln))
        else:
            seen[pid] = ln
        if not r["name"]:
            problems.append(FieldProblem("name", "is empty", ln))
        if not _EMAIL_RE.match(r["email"]):
            problems.append(FieldProblem("email", f"{r['email']!r} is not an email address", ln))
        role = r["role"].lower()
        if role not in ROLES:
            problems.append(FieldProblem("role", f"unknown role {r['role']!r}; use one of {', '.join(ROLES)}", ln))
        tz = r.get("timezone") or cohort_timezone
        if not valid_timezone(tz):
            problems.append(FieldProblem("timezone", f"{tz!r} is not a time zone; use an IANA name like "
                                         "\"America/Bogota\"", ln))
        cap_raw = r.get("capacity") or "0"
        capacity = 0
        if not cap_raw.isdigit():
            problems.append(FieldProblem("capacity", f"{cap_raw!r} must be a whole number of mentees (0 or more)", ln))
        else:
            capacity = int(cap_raw)
        coach = r.get("coach") or None
        if coach:
            coach_refs.append((ln, coach))
        members.append(Membership(
            cohort_id="", person_id=pid, name=r["name"], email=r["email"], role=role, coach_id=coach,
            skills=split_values(r.get("skills", "")), aspirations=split_values(r.get("aspirations", "")),
            timezone=tz, languages=split_values(r.get("languages", "")), capacity=capacity,
            manager=r.get("manager", "")))
    roles = {m.person_id: m.role for m in members}
    for ln, coach in coach_refs:
        if coach not in roles:
            problems.append(FieldProblem("coach", f"{coach!r} is not an id in this roster", ln))
        elif roles[coach] == "participant":
            problems.append(FieldProblem("coach", f"{coach!r} is a participant; a coach must have role coach "
                                         "or facilitator", ln))
    if not members and not problems:
        problems.append(FieldProblem("roster", "has no people; add one row per person", 2))
    if problems:
        problems.sort(key=lambda p: (p.line or 0, p.field))
        raise RosterError(f"{path.name} has {len(problems)} problem(s); nothing was imported", problems)
    return members


def import_cohort(store: "Store", directory: Path | str, *, readmit: Iterable[str] = (),
                  readmitted_by: str | None = None) -> ImportResult:
    """Import (create or update) a cohort from a folder. All or nothing.

    People erased from the cohort (``workbook erase``) are skipped, and listed in
    :attr:`ImportResult.skipped`, until they are re-admitted on purpose: ``readmit`` names them.
    """
    from dataclasses import replace

    from .exercises import load_exercise_file

    folder = Path(directory)
    if not folder.is_dir():
        raise WorkbookError(f"{folder} is not a folder; pass the folder holding cohort.toml and roster.csv")
    cohort = read_cohort_config(folder / "cohort.toml", folder.name)
    members = [replace(m, cohort_id=cohort.id) for m in parse_roster(folder / "roster.csv", cohort.timezone)]
    custom: list[dict[str, Any]] = []
    ex_dir = folder / "exercises"
    if ex_dir.is_dir():
        problems: list[FieldProblem] = []
        for f in sorted(ex_dir.glob("*.toml")):
            try:
                custom.append(load_exercise_file(f).to_dict())
            except WorkbookError as exc:
                problems.append(FieldProblem(f"exercises/{f.name}", str(exc)))
        if problems:
            raise RosterError("custom exercises have problems; nothing was imported", problems)
    synonyms: dict[str, str] = {}
    if (folder / "synonyms.toml").is_file():
        from .matching import load_synonyms

        try:
            synonyms = load_synonyms(folder / "synonyms.toml")
        except WorkbookError as exc:
            raise RosterError("synonyms.toml has problems; nothing was imported",
                              [FieldProblem("synonyms.toml", str(exc))]) from None
    cohort = replace(cohort, settings={**cohort.settings, "custom_exercises": custom, "synonyms": synonyms})
    ids = {m.person_id for m in members}
    readmit = sorted(set(readmit))
    if set(readmit) - ids:
        raise RosterError("only people in the roster can be re-admitted; nothing was imported", [FieldProblem(
            "readmit", f"{p!r} is not in roster.csv: add their row first") for p in readmit if p not in ids])
    with store.write() as conn:
        store.save_cohort(cohort, conn)
        readmitted = store.readmit_members(cohort.id, readmit, readmitted_by=readmitted_by, conn=conn)
        # An erased person stays erased: a roster that still lists them brings nothing of them back.
        skipped = {p: e.erased_at for p, e in store.erased_members(cohort.id, ids, conn).items()}
        if skipped:
            members = [replace(m, coach_id=None if m.coach_id in skipped else m.coach_id,
                               manager="" if m.manager in skipped else m.manager)
                       for m in members if m.person_id not in skipped]
        created, updated = store.save_members(cohort.id, members, conn)
        from .store.schema import memberships
        gone = conn.execute(memberships.update().where(
            (memberships.c.cohort_id == cohort.id) & memberships.c.person_id.not_in(ids)
            & (memberships.c.active == True)).values(active=False)).rowcount  # noqa: E712
    store.forget_catalogue()
    return ImportResult(cohort, created, updated, int(gone), tuple(d["id"] for d in custom), skipped,
                        tuple(readmitted))
