"""Exercise snapshots, sessions, entries and their revisions; the tidy entries frame."""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

import sqlalchemy as sa

from ..errors import AccessDenied, FieldProblem, NotFoundError, StoreError, ValidationError
from ..text import bad_character
from .core import StoreBase, insert_id, utcnow
from .models import VISIBILITIES, Cohort, Entry, Revision, Session
from .schema import entries, entry_revisions, exercise_snapshots, memberships, retro_cards, sessions

if TYPE_CHECKING:
    import pandas as pd

    from ..exercises import Catalogue, Exercise


@dataclass
class EntryDraft:
    """One entry to add in bulk (see :meth:`EntriesMixin.add_entries`)."""

    author_id: str
    exercise_id: str
    answers: Mapping[str, Any]
    visibility: str | None = None
    session_id: int | None = None
    client_id: str | None = None
    created_at: dt.datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class EntryFilters(TypedDict, total=False):
    """Filters of :meth:`EntriesMixin.find_entries` that a caller may add to any listing.

    Who wrote an entry and who may read it (``author_id``, ``visibility``) are not here: the
    access rules decide those, so a function that takes ``**filters: Unpack[EntryFilters]``
    cannot be asked to widen them (a type checker refuses the keyword).
    """

    exercise_id: str | None
    kind: str | None
    session_id: int | None
    since: dt.datetime | None
    until: dt.datetime | None
    newest_first: bool
    limit: int | None


def _entry(row: Any) -> Entry:
    return Entry(id=row.id, cohort_id=row.cohort_id, author_id=row.author_id, exercise_id=row.exercise_id,
                 kind=row.kind, session_id=row.session_id, visibility=row.visibility,
                 answers=dict(row.answers), mood=row.mood, client_id=row.client_id, revision=row.revision,
                 created_at=row.created_at, updated_at=row.updated_at)


def _by_client_id(conn: sa.Connection, author_id: str, client_id: str) -> Entry | None:
    """The entry this author already stored under this submission id, if any."""
    row = conn.execute(sa.select(entries).where(
        (entries.c.author_id == author_id) & (entries.c.client_id == client_id))).first()
    return _entry(row) if row is not None else None


def _session(row: Any) -> Session:
    return Session(id=row.id, cohort_id=row.cohort_id, exercise_id=row.exercise_id, title=row.title,
                   facilitator_id=row.facilitator_id, opens_at=row.opens_at, closes_at=row.closes_at)


def exercise_digest(exercise: "Exercise") -> str:
    """A stable fingerprint of a template's content: the snapshot key."""
    blob = json.dumps(exercise.to_dict(), sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(blob).hexdigest()


def _mood(answers: Mapping[str, Any]) -> int | None:
    value = answers.get("mood")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class EntriesMixin(StoreBase):
    """Verbs for sessions and entries."""

    if TYPE_CHECKING:  # from PeopleMixin (see StoreBase)
        def get_cohort(self, cohort_id: str) -> Cohort: ...
        def member_names(self, cohort_id: str) -> dict[str, str]: ...

    # Caches, made on first use: catalogues by cohort id ("" for the shipped one), snapshot ids
    # by (exercise id, digest) and snapshot templates by id (snapshots never change).
    @functools.cached_property
    def _catalogues(self) -> dict[str, "Catalogue"]:
        return {}

    @functools.cached_property
    def _snapshot_ids(self) -> dict[tuple[str, str], int]:
        return {}

    @functools.cached_property
    def _snapshots(self) -> dict[int, "Exercise"]:
        return {}

    # --- exercises ------------------------------------------------------------------------
    def catalogue(self, cohort_id: str | None = None) -> "Catalogue":
        """The shipped templates plus the cohort's custom ones (stored at import)."""
        from ..exercises import Catalogue, exercise_from_dict, load_catalogue

        cache = self._catalogues
        key = cohort_id or ""
        if key not in cache:
            base = list(load_catalogue())
            if cohort_id:
                custom = self.get_cohort(cohort_id).settings.get("custom_exercises", [])
                ids = {d["id"] for d in custom}
                base = [e for e in base if e.id not in ids] + [
                    exercise_from_dict(d, f"cohort {cohort_id} custom exercise") for d in custom]
            cache[key] = Catalogue(base)
        return cache[key]

    def exercise(self, exercise_id: str, cohort_id: str | None = None) -> "Exercise":
        """One exercise template by id, as this cohort sees it."""
        return self.catalogue(cohort_id).get(exercise_id)

    def forget_catalogue(self) -> None:
        """Drop cached catalogues (after a cohort's custom templates changed)."""
        self._catalogues.clear()

    def _snapshot_id(self, conn: sa.Connection, exercise: "Exercise") -> int:
        cache = self._snapshot_ids
        digest = exercise_digest(exercise)
        key = (exercise.id, digest)
        if key in cache:
            return cache[key]
        row = conn.execute(sa.select(exercise_snapshots.c.id).where(
            (exercise_snapshots.c.exercise_id == exercise.id) & (exercise_snapshots.c.digest == digest))).first()
        if row is None:
            sid = insert_id(conn, exercise_snapshots.insert().values(
                exercise_id=exercise.id, digest=digest, kind=exercise.kind, title=exercise.title,
                definition=exercise.to_dict(), created_at=utcnow()))
        else:
            sid = row.id
        # Only cache after commit would be stricter; a rolled-back snapshot is re-created on retry
        # because the cache is cleared in add_entry's error path.
        cache[key] = int(sid)
        return int(sid)

    def snapshot_exercise(self, snapshot_id: int) -> "Exercise":
        """The template exactly as it was when an entry was written (snapshots never change: cached)."""
        from ..exercises import exercise_from_dict

        cache = self._snapshots
        if snapshot_id not in cache:
            with self._read() as conn:
                row = conn.execute(sa.select(exercise_snapshots.c.definition)
                                   .where(exercise_snapshots.c.id == snapshot_id)).first()
            if row is None:
                raise NotFoundError("exercise snapshot", snapshot_id)
            cache[snapshot_id] = exercise_from_dict(dict(row.definition), f"snapshot {snapshot_id}")
        return cache[snapshot_id]

    def entry_exercise(self, entry_id: int) -> "Exercise":
        """The template an entry was written against: what its edits are checked against."""
        with self._read() as conn:
            snap = conn.execute(sa.select(entries.c.snapshot_id).where(entries.c.id == entry_id)).scalar()
        if snap is None:
            raise NotFoundError("entry", entry_id)
        return self.snapshot_exercise(int(snap))

    # --- sessions -------------------------------------------------------------------------
    def add_session(self, cohort_id: str, exercise_id: str, title: str | None = None, *,
                    facilitator_id: str | None = None, opens_at: dt.datetime | None = None,
                    closes_at: dt.datetime | None = None) -> Session:
        """Open a run of an exercise for a cohort."""
        ex = self.exercise(exercise_id, cohort_id)
        if title and bad_character(title):
            raise ValidationError("session not opened", [FieldProblem("title", str(bad_character(title)))])
        opens = opens_at or utcnow()
        if closes_at is not None and closes_at <= opens:
            raise ValidationError("the session would close before it opens",
                                  [FieldProblem("closes_at", "pick a time after the opening time")])
        with self._write() as conn:
            sid = insert_id(conn, sessions.insert().values(
                cohort_id=cohort_id, exercise_id=ex.id, snapshot_id=self._snapshot_id(conn, ex),
                title=title or ex.title, facilitator_id=facilitator_id, opens_at=opens, closes_at=closes_at,
                created_at=utcnow()))
        return self.get_session(int(sid))

    def get_session(self, session_id: int) -> Session:
        """A session by id."""
        with self._read() as conn:
            row = conn.execute(sa.select(sessions).where(sessions.c.id == session_id)).first()
        if row is None:
            raise NotFoundError("session", session_id, "ask your facilitator for a current link")
        return _session(row)

    def find_sessions(self, cohort_id: str, exercise_id: str | None = None) -> list[Session]:
        """Sessions of a cohort, oldest first."""
        q = sa.select(sessions).where(sessions.c.cohort_id == cohort_id).order_by(sessions.c.opens_at, sessions.c.id)
        if exercise_id:
            q = q.where(sessions.c.exercise_id == exercise_id)
        with self._read() as conn:
            return [_session(r) for r in conn.execute(q)]

    def close_session(self, session_id: int, at: dt.datetime | None = None) -> Session:
        """Stop accepting entries for a session."""
        with self._write() as conn:
            conn.execute(sessions.update().where(sessions.c.id == session_id).values(closes_at=at or utcnow()))
        return self.get_session(session_id)

    # --- entries --------------------------------------------------------------------------
    def add_entry(self, cohort_id: str, author_id: str, exercise_id: str, answers: Mapping[str, Any], *,
                  visibility: str | None = None, session_id: int | None = None, client_id: str | None = None,
                  created_at: dt.datetime | None = None) -> Entry:
        """Validate and store one submission.

        A repeated ``client_id`` from the same author returns the entry stored the first time
        (a double click or a re-sent request stores one entry).
        """
        draft = EntryDraft(author_id, exercise_id, answers, visibility, session_id, client_id, created_at)
        return self.add_entries(cohort_id, [draft])[0]

    def _prepare(self, cohort_id: str, draft: EntryDraft, default_vis: str,
                 members: Mapping[str, str], open_sessions: dict[int, Session]) -> dict[str, Any]:
        from ..exercises import validate_answers

        if draft.author_id not in members:
            raise AccessDenied(f"{draft.author_id!r} is not an active member of cohort {cohort_id!r}; nothing was saved")
        exercise_id = draft.exercise_id
        at = draft.created_at or utcnow()
        if draft.session_id is not None:
            s = open_sessions.get(draft.session_id)
            if s is None:
                s = self.get_session(draft.session_id)
                open_sessions[draft.session_id] = s
            if s.cohort_id != cohort_id:
                raise NotFoundError("session", draft.session_id, "ask your facilitator for a current link")
            if not s.is_open(at):
                raise ValidationError("this session is closed; nothing was saved",
                                      [FieldProblem("session", "ask your facilitator to reopen it")])
            exercise_id = s.exercise_id
        ex = self.exercise(exercise_id, cohort_id)
        clean = validate_answers(ex, draft.answers, self.settings.max_text_length)
        vis = draft.visibility or default_vis
        if vis not in VISIBILITIES:
            raise ValidationError("unknown visibility", [FieldProblem(
                "visibility", f"{vis!r} is not one of {', '.join(VISIBILITIES)}")])
        if draft.client_id is not None and (not 0 < len(draft.client_id) <= 64
                                            or bad_character(draft.client_id, one_line=True)):
            raise ValidationError("bad submission id", [FieldProblem("client_id", "must be 1-64 characters")])
        return dict(cohort_id=cohort_id, author_id=draft.author_id, exercise_id=ex.id, kind=ex.kind,
                    session_id=draft.session_id, visibility=vis, answers=clean, mood=_mood(clean),
                    client_id=draft.client_id, revision=1, created_at=at, updated_at=at, _exercise=ex)

    def add_entries(self, cohort_id: str, drafts: Sequence[EntryDraft], *, batch_size: int = 1000) -> list[Entry]:
        """Validate every draft first, then store them all in one transaction (all or nothing)."""
        cohort = self.get_cohort(cohort_id)
        with self._read() as conn:
            members = {r.person_id: r.role for r in conn.execute(
                sa.select(memberships.c.person_id, memberships.c.role).where(
                    (memberships.c.cohort_id == cohort_id) & (memberships.c.active == sa.true())))}
        open_sessions: dict[int, Session] = {}
        rows = [self._prepare(cohort_id, d, cohort.default_visibility, members, open_sessions) for d in drafts]
        try:
            return self._insert_entries(rows, batch_size)
        except StoreError:
            self._snapshot_ids.clear()
            # A concurrent identical submission can win the race on the client id: return its row.
            if len(rows) == 1 and rows[0]["client_id"]:
                with self._read() as conn:
                    found = _by_client_id(conn, rows[0]["author_id"], rows[0]["client_id"])
                if found is not None:
                    return [found]
            raise

    def _insert_entries(self, rows: list[dict[str, Any]], batch_size: int) -> list[Entry]:
        out: list[Entry] = []
        with self._write() as conn:
            for start in range(0, len(rows), batch_size):
                batch = rows[start:start + batch_size]
                fresh = []
                for r in batch:
                    r["snapshot_id"] = self._snapshot_id(conn, r["_exercise"])
                    prev = _by_client_id(conn, r["author_id"], r["client_id"]) if r["client_id"] else None
                    if prev is not None:
                        out.append(prev)
                        continue
                    fresh.append(r)
                if not fresh:
                    continue
                values = [{k: v for k, v in r.items() if not k.startswith("_")} for r in fresh]
                if len(values) == 1:
                    ids = [insert_id(conn, entries.insert().values(**values[0]))]
                else:
                    ids = [row[0] for row in conn.execute(
                        entries.insert().returning(entries.c.id, sort_by_parameter_order=True), values)]
                cards: list[dict[str, Any]] = []
                for eid, r in zip(ids, fresh):
                    if r["_exercise"].kind == "retro":
                        cards += _cards(r["_exercise"], int(eid), r["session_id"], r["answers"])
                    out.append(Entry(id=int(eid), **{k: v for k, v in r.items()
                                                     if not k.startswith("_") and k not in ("snapshot_id", "cohort_id")},
                                     cohort_id=r["cohort_id"]))
                if cards:
                    conn.execute(retro_cards.insert(), cards)
        return out

    def get_entry(self, entry_id: int) -> Entry:
        """An entry by id (no access check: use :mod:`workbook.access` on any user-facing path)."""
        with self._read() as conn:
            row = conn.execute(sa.select(entries).where(entries.c.id == entry_id)).first()
        if row is None:
            raise NotFoundError("entry", entry_id)
        return _entry(row)

    def edit_entry(self, entry_id: int, editor_id: str, answers: Mapping[str, Any], *,
                   visibility: str | None = None, at: dt.datetime | None = None) -> Entry:
        """Replace an entry's answers; the previous text is kept as a revision.

        Who may edit is :func:`workbook.access.edit_entry`'s rule (the author); ``editor_id`` is
        recorded with the revision.

        Retro cards follow the edit: unchanged cards keep their id, votes and theme; a retro entry
        can no longer be edited once its session has closed.
        """
        from ..exercises import validate_answers

        current = self.get_entry(entry_id)
        ex = self.entry_exercise(entry_id)
        now = at or utcnow()
        if ex.kind == "retro" and current.session_id is not None and not self.get_session(current.session_id).is_open(now):
            raise ValidationError("this retro is closed; its cards can no longer be changed",
                                  [FieldProblem("session", "ask your facilitator to reopen it")])
        clean = validate_answers(ex, answers, self.settings.max_text_length)
        vis = visibility or current.visibility
        if vis not in VISIBILITIES:
            raise ValidationError("unknown visibility", [FieldProblem("visibility", f"use one of {', '.join(VISIBILITIES)}")])
        with self._write() as conn:
            row = conn.execute(sa.select(entries).where(entries.c.id == entry_id)).one()
            conn.execute(entry_revisions.insert().values(
                entry_id=entry_id, revision=row.revision, answers=row.answers, visibility=row.visibility,
                edited_by=row.author_id, created_at=row.updated_at))
            conn.execute(entries.update().where(entries.c.id == entry_id).values(
                answers=clean, visibility=vis, mood=_mood(clean), revision=row.revision + 1, updated_at=now))
            if ex.kind == "retro":
                self._sync_cards(conn, entry_id, _cards(ex, entry_id, row.session_id, clean))
        return self.get_entry(entry_id)

    @staticmethod
    def _sync_cards(conn: sa.Connection, entry_id: int, wanted: list[dict[str, Any]]) -> None:
        """Make an entry's cards match ``wanted``, keeping unchanged cards (and their votes)."""
        existing = conn.execute(sa.select(retro_cards.c.id, retro_cards.c.column_id, retro_cards.c.text)
                                .where(retro_cards.c.entry_id == entry_id).order_by(retro_cards.c.id)).all()
        pool: dict[tuple[str, str], list[int]] = {}
        for r in existing:
            pool.setdefault((r.column_id, r.text), []).append(r.id)
        fresh = []
        for card in wanted:
            ids = pool.get((card["column_id"], card["text"]))
            if ids:
                conn.execute(retro_cards.update().where(retro_cards.c.id == ids.pop(0))
                             .values(position=card["position"]))
            else:
                fresh.append(card)
        gone = [i for ids in pool.values() for i in ids]
        if gone:
            conn.execute(retro_cards.delete().where(retro_cards.c.id.in_(gone)))
        if fresh:
            conn.execute(retro_cards.insert(), fresh)

    def entry_history(self, entry_id: int) -> list[Revision]:
        """Every version of an entry, oldest first, the current one last."""
        cur = self.get_entry(entry_id)
        with self._read() as conn:
            rows = conn.execute(sa.select(entry_revisions).where(entry_revisions.c.entry_id == entry_id)
                                .order_by(entry_revisions.c.revision)).all()
        out = [Revision(r.entry_id, r.revision, dict(r.answers), r.visibility, r.edited_by, r.created_at) for r in rows]
        out.append(Revision(cur.id, cur.revision, cur.answers, cur.visibility, cur.author_id, cur.updated_at))
        return out

    def find_entries(self, cohort_id: str, *, author_id: str | Iterable[str] | None = None,
                     exercise_id: str | None = None, kind: str | None = None, session_id: int | None = None,
                     visibility: Iterable[str] | None = None, since: dt.datetime | None = None,
                     until: dt.datetime | None = None, newest_first: bool = True,
                     limit: int | None = None) -> list[Entry]:
        """Entries matching every given filter (no access check: see :mod:`workbook.access`)."""
        q = sa.select(entries).where(entries.c.cohort_id == cohort_id)
        if author_id is not None:
            ids = [author_id] if isinstance(author_id, str) else list(author_id)
            q = q.where(entries.c.author_id.in_(ids))
        if exercise_id:
            q = q.where(entries.c.exercise_id == exercise_id)
        if kind:
            q = q.where(entries.c.kind == kind)
        if session_id is not None:
            q = q.where(entries.c.session_id == session_id)
        if visibility is not None:
            q = q.where(entries.c.visibility.in_(list(visibility)))
        if since is not None:
            q = q.where(entries.c.created_at >= since)
        if until is not None:
            q = q.where(entries.c.created_at < until)
        order = entries.c.created_at.desc() if newest_first else entries.c.created_at
        q = q.order_by(order, entries.c.id.desc() if newest_first else entries.c.id)
        if limit:
            q = q.limit(limit)
        with self._read() as conn:
            return [_entry(r) for r in conn.execute(q)]

    def count_entries(self, cohort_id: str | None = None) -> int:
        """How many entries are stored (in one cohort, or in all)."""
        q = sa.select(sa.func.count()).select_from(entries)
        if cohort_id:
            q = q.where(entries.c.cohort_id == cohort_id)
        with self._read() as conn:
            return int(conn.execute(q).scalar_one())

    def weekly_participation(self, cohort_id: str, since: dt.datetime | None = None,
                             until: dt.datetime | None = None) -> "pd.DataFrame":
        """Per week (Monday, in the cohort's time zone): number of entries and of distinct authors.

        The database does the grouping; local time uses the cohort's UTC offset segment by
        segment (exact across DST changes), so SQLite and PostgreSQL agree.
        """
        import pandas as pd

        tz = self.get_cohort(cohort_id).timezone
        cond = entries.c.cohort_id == cohort_id
        if since is not None:
            cond = cond & (entries.c.created_at >= since)
        if until is not None:
            cond = cond & (entries.c.created_at < until)
        with self._read() as conn:
            lo, hi = conn.execute(sa.select(sa.func.min(entries.c.created_at), sa.func.max(entries.c.created_at))
                                  .where(cond)).one()
            if lo is None:
                return pd.DataFrame({"week": pd.Series(dtype="datetime64[ns]"),
                                     "entries": pd.Series(dtype="int64"), "authors": pd.Series(dtype="int64")})
            minutes = _offset_case(tz, lo, hi, entries.c.created_at)
            week: Any
            if self.dialect == "sqlite":
                # local day, then forward to Sunday and back six days: the Monday of its week
                week = sa.func.date(entries.c.created_at, sa.func.printf("%+d minutes", minutes),
                                    "weekday 0", "-6 days")
            else:
                week = sa.cast(sa.func.date_trunc(
                    "week", entries.c.created_at + sa.func.make_interval(0, 0, 0, 0, 0, minutes)), sa.Date)
            q = (sa.select(week.label("week"), sa.func.count().label("entries"),
                           sa.func.count(sa.distinct(entries.c.author_id)).label("authors"))
                 .where(cond).group_by(week).order_by(week))
            rows = conn.execute(q).all()
        frame = pd.DataFrame(rows, columns=["week", "entries", "authors"])
        frame["week"] = pd.to_datetime(frame["week"])
        return frame.astype({"entries": "int64", "authors": "int64"})

    def entries_frame(self, cohort_id: str, *, entries_list: Sequence[Entry] | None = None, per: str = "entry",
                      author_id: str | Iterable[str] | None = None, visibility: Iterable[str] | None = None,
                      **filters: Unpack[EntryFilters]) -> "pd.DataFrame":
        """A tidy DataFrame of entries.

        ``per="entry"``: one row per entry with columns entry_id, cohort_id, author_id, author_name,
        exercise_id, kind, session_id, visibility, mood, revision, created_at, updated_at, week
        (Monday of the entry's week in the cohort's time zone, naive) and answers (a dict).
        ``per="answer"``: one row per answered prompt: the same columns minus answers, plus
        prompt_id, prompt_type and value (text, number, or list items joined by newlines).
        Pass ``entries_list`` to frame entries already filtered by :mod:`workbook.access`; otherwise
        the entries :meth:`find_entries` gives for the other keywords.
        """
        import pandas as pd

        if per not in ("entry", "answer"):
            raise ValueError("per must be 'entry' or 'answer'")
        rows = (list(entries_list) if entries_list is not None
                else self.find_entries(cohort_id, author_id=author_id, visibility=visibility, **filters))
        cohort = self.get_cohort(cohort_id)
        names = self.member_names(cohort_id)
        cols = ["entry_id", "cohort_id", "author_id", "author_name", "exercise_id", "kind", "session_id",
                "visibility", "mood", "revision", "created_at", "updated_at", "week"]
        recs = []
        for e in rows:
            recs.append(dict(entry_id=e.id, cohort_id=e.cohort_id, author_id=e.author_id,
                             author_name=names.get(e.author_id, e.author_id), exercise_id=e.exercise_id,
                             kind=e.kind, session_id=e.session_id, visibility=e.visibility, mood=e.mood,
                             revision=e.revision, created_at=e.created_at, updated_at=e.updated_at,
                             answers=e.answers))
        frame = pd.DataFrame(recs, columns=cols[:-1] + ["answers"])
        frame["mood"] = frame["mood"].astype("Int64")
        frame["session_id"] = frame["session_id"].astype("Int64")
        created = pd.to_datetime(frame["created_at"], utc=True)
        frame["created_at"] = created
        frame["updated_at"] = pd.to_datetime(frame["updated_at"], utc=True)
        local = created.dt.tz_convert(cohort.timezone)
        frame["week"] = (local.dt.normalize() - pd.to_timedelta(local.dt.day_of_week, unit="D")).dt.tz_localize(None)
        frame = frame[cols + ["answers"]]
        if per == "entry":
            return frame
        catalogue = self.catalogue(cohort_id)
        types: dict[tuple[str, str], str] = {}
        out = []
        for rec in frame.to_dict("records"):
            answers = rec.pop("answers")
            for pid, value in answers.items():
                key = (rec["exercise_id"], pid)
                if key not in types:
                    try:
                        types[key] = catalogue.get(rec["exercise_id"]).prompt(pid).type
                    except Exception:
                        types[key] = "list" if isinstance(value, list) else "text"
                shown = "\n".join(value) if isinstance(value, list) else value
                out.append({**rec, "prompt_id": pid, "prompt_type": types[key], "value": shown})
        return pd.DataFrame(out, columns=cols + ["prompt_id", "prompt_type", "value"])



def _cards(exercise: "Exercise", entry_id: int, session_id: int | None,
           answers: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Rows of ``retro_cards`` for a retro entry: one per item in each card column."""
    return [dict(entry_id=entry_id, session_id=session_id, column_id=col.id, position=pos, text=text)
            for col in exercise.columns for pos, text in enumerate(answers.get(col.id) or [])]


def _offset_case(tz_name: str, lo: dt.datetime, hi: dt.datetime, column: Any) -> Any:
    """A SQL expression giving the UTC offset in minutes of ``tz_name`` at ``column``'s instant.

    Offsets change only at DST transitions; we find them day by day between lo and hi and emit
    one CASE branch per segment, so the database does not need a time zone library.
    """
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(tz_name)
    lo = lo.replace(tzinfo=dt.timezone.utc) if lo.tzinfo is None else lo
    hi = hi.replace(tzinfo=dt.timezone.utc) if hi.tzinfo is None else hi

    def off(t: dt.datetime) -> int:
        delta = t.astimezone(zone).utcoffset() or dt.timedelta(0)
        return int(delta.total_seconds() // 60)

    segments: list[tuple[dt.datetime, int]] = []  # (segment end, offset before it)
    t, current = lo, off(lo)
    while t < hi:
        nxt = min(t + dt.timedelta(days=1), hi)
        if off(nxt) != current:
            a, b = t, nxt
            while b - a > dt.timedelta(minutes=1):  # bisect to the minute of the change
                mid = a + (b - a) / 2
                a, b = (mid, b) if off(mid) == current else (a, mid)
            segments.append((b, current))
            current = off(b)
        t = nxt
    if not segments:
        return sa.literal(current)
    whens = [(column < end.replace(tzinfo=dt.timezone.utc), offset) for end, offset in segments]
    return sa.case(*whens, else_=current)
