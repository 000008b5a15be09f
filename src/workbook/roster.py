"""Cohort import: ``cohort.toml`` + ``roster.csv`` (+ custom ``exercises/*.toml`` and a matching
``synonyms.toml``) from a folder.

Every problem in the files is collected and reported by line and column; a file with any
problem imports nothing.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import FieldProblem, RosterError, WorkbookError
from .store.models import ROLES, VISIBILITIES, Cohort, Membership
from .text import bad_character, printable

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


def _read_text(path: Path, what: str, how_to_make: str) -> str:
    """The text of one cohort file, or a :class:`RosterError` naming the file and what to do.

    Any ``OSError`` (no permission, a folder where the file should be, a broken link) says which
    file and the system's reason; a special file (a pipe) is refused before it could block.
    """
    if not path.exists() and not path.is_symlink():
        raise RosterError(f"{path} is missing", [FieldProblem(what, how_to_make)])
    if path.exists() and not path.is_file() and not path.is_dir():
        raise RosterError(f"{path} is not a regular file; nothing was imported: replace it with the {what} file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RosterError(f"cannot read {path} ({exc.strerror or exc}); nothing was imported: make it a "
                          f"readable file and import again") from None
    try:
        return raw.decode("utf-8-sig")  # spreadsheet exports often start with a BOM
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise RosterError(f"{path.name} is not UTF-8 text; nothing was imported", [FieldProblem(
            "encoding", f"byte 0x{raw[exc.start]:02x} is not UTF-8: save the file as UTF-8 (in a spreadsheet: "
            "'CSV UTF-8') and import again", line)]) from None


def _settings_problems(value: Any, where: str) -> list[FieldProblem]:
    """Problems of a value that will be stored as JSON: refused characters, numbers JSON cannot hold."""
    problems: list[FieldProblem] = []
    if isinstance(value, str):
        bad = bad_character(value)
        if bad:
            problems.append(FieldProblem(where, bad))
    elif isinstance(value, float) and not math.isfinite(value):
        problems.append(FieldProblem(where, f"{value} is not a number that can be stored; write a finite number"))
    elif isinstance(value, dict):
        for key, item in value.items():
            bad = bad_character(str(key))
            if bad:
                problems.append(FieldProblem(f"{where}.{printable(str(key))}" if where else printable(str(key)),
                                             f"the name {bad}"))
            else:
                problems.extend(_settings_problems(item, f"{where}.{key}" if where else str(key)))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            problems.extend(_settings_problems(item, f"{where}[{i}]"))
    return problems


def _as_json(value: Any) -> Any:
    """TOML dates and times become ISO strings, so settings fit the JSON column on both databases."""
    if isinstance(value, dict):
        return {k: _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    if isinstance(value, (dt.date, dt.time)):  # dt.datetime is a dt.date
        return value.isoformat()
    return value


def _whole_number(table: dict[str, Any], key: str, where: str, default: int,
                  problems: list[FieldProblem]) -> None:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        problems.append(FieldProblem(f"{where}.{key}", f"{value!r} must be a whole number of at least 1 "
                                     f"(default {default})"))


def read_cohort_config(path: Path, default_id: str) -> Cohort:
    """Parse ``cohort.toml`` into a :class:`Cohort` (every problem listed)."""
    text = _read_text(path, "cohort.toml", "create it with at least: name = \"...\" and timezone = \"Europe/London\"")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RosterError(f"{path.name} is not valid TOML; nothing was imported",
                          [FieldProblem("toml", f"{exc}; fix the syntax (strings need quotes)")]) from None
    problems: list[FieldProblem] = []
    cid = data.get("id", default_id)
    if not isinstance(cid, str) or not _ID_RE.match(cid):
        problems.append(FieldProblem("id", f"{printable(repr(cid))} is not an id: use letters, digits, '.', '_' "
                                     "or '-' (at most 64)"))
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(FieldProblem("name", "give the cohort a name, e.g. name = \"Spring leadership programme\""))
    elif bad_character(name):
        problems.append(FieldProblem("name", str(bad_character(name))))
    tz = data.get("timezone", "UTC")
    if not isinstance(tz, str) or not valid_timezone(tz):
        problems.append(FieldProblem("timezone", f"{printable(repr(tz))} is not a time zone; use an IANA name like "
                                     "\"Europe/Madrid\""))
    tables: dict[str, dict[str, Any]] = {}
    for table in ("privacy", "retro", "checkins"):
        value = data.get(table, {})
        if not isinstance(value, dict):
            problems.append(FieldProblem(table, f"must be a table: write [{table}] on a line of its own, "
                                         "then its settings below it"))
            value = {}
        tables[table] = value
    privacy = tables["privacy"]
    _whole_number(privacy, "min_group_size", "privacy", 5, problems)
    mgs = privacy.get("min_group_size", 5)
    vis = privacy.get("default_visibility", "coach")
    if not isinstance(vis, str) or vis not in VISIBILITIES:
        problems.append(FieldProblem("privacy.default_visibility", f"must be one of {', '.join(VISIBILITIES)}"))
    _whole_number(tables["retro"], "votes_per_person", "retro", 3, problems)
    _whole_number(tables["checkins"], "cadence_days", "checkins", 14, problems)
    settings = {k: v for k, v in data.items() if k not in ("id", "name", "timezone", "privacy")}
    if not problems:
        problems.extend(_settings_problems(settings, ""))
    if problems:
        raise RosterError(f"{path.name} has problems; nothing was imported", problems)
    return Cohort(id=str(cid), name=str(name).strip(), timezone=str(tz), min_group_size=int(mgs),
                  default_visibility=str(vis), settings=_as_json(settings))


def parse_roster(path: Path, cohort_timezone: str = "UTC") -> list[Membership]:
    """Parse and validate ``roster.csv``: comma or semicolon separated, UTF-8 with or without BOM."""
    text = _read_text(path, "roster.csv",
                      f"create it with the columns: {', '.join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)}")
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
        problems.append(FieldProblem(printable(c) or "(blank)", f"unknown column; known: "
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
        # NUL, ESC, DEL...: refused here, so SQLite and PostgreSQL answer alike (tab and line breaks pass).
        bad = {c: why for c, v in r.items() if (why := bad_character(v))}
        problems.extend(FieldProblem(c, why, ln) for c, why in bad.items())
        # A refused optional cell counts as empty, so one character does not also fail other checks.
        r = {c: "" if c in bad and c not in REQUIRED_COLUMNS else v for c, v in r.items()}
        pid = r["id"]
        if "id" in bad:
            pass  # already reported
        elif not _ID_RE.match(pid):
            problems.append(FieldProblem("id", f"{pid!r} is not a valid id (letters, digits, '.', '_', '-')", ln))
        elif pid in seen:
            problems.append(FieldProblem("id", f"duplicate id {pid!r} (first on line {seen[pid]})", ln))
        else:
            seen[pid] = ln
        if not r["name"]:
            problems.append(FieldProblem("name", "is empty", ln))
        if "email" not in bad and not _EMAIL_RE.match(r["email"]):
            problems.append(FieldProblem("email", f"{r['email']!r} is not an email address", ln))
        role = r["role"].lower()
        if "role" not in bad and role not in ROLES:
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
                template = load_exercise_file(f).to_dict()
            except WorkbookError as exc:
                problems.append(FieldProblem(f"exercises/{f.name}", str(exc)))
                continue
            # Its text is shown in every form and stored in the cohort's settings: same rule as answers.
            bad = [FieldProblem(f"exercises/{f.name}", str(p)) for p in _settings_problems(template, "")]
            problems.extend(bad)
            custom.append(template)
        if problems:
            raise RosterError("custom exercises have problems; nothing was imported", problems)
    synonyms: dict[str, str] = {}
    if (folder / "synonyms.toml").exists():
        from .matching import load_synonyms

        try:
            synonyms = load_synonyms(folder / "synonyms.toml")
        except WorkbookError as exc:
            raise RosterError("synonyms.toml has problems; nothing was imported",
                              [FieldProblem("synonyms.toml", str(exc))]) from None
        bad = _settings_problems(synonyms, "")
        if bad:
            raise RosterError("synonyms.toml has problems; nothing was imported",
                              [FieldProblem("synonyms.toml", str(p)) for p in bad])
    cohort = replace(cohort, settings={**cohort.settings, "custom_exercises": custom, "synonyms": synonyms})
    ids = {m.person_id for m in members}
    readmit = sorted(set(readmit))
    if set(readmit) - ids:
        raise RosterError("only people in the roster can be re-admitted; nothing was imported", [FieldProblem(
            "readmit", f"{p!r} is not in roster.csv: add their row first") for p in readmit if p not in ids])
    done = store.import_roster(cohort, members, readmit=readmit, readmitted_by=readmitted_by)
    return ImportResult(cohort, done.created, done.updated, done.deactivated, tuple(d["id"] for d in custom),
                        done.skipped, done.readmitted)
