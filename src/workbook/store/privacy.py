"""Privacy verbs: erasing a member in one transaction, the erasure record a re-import respects,
the exports log, the key behind xAPI pseudonyms, and wiping the space erased rows leave behind.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import sqlalchemy as sa

from .core import StoreBase, utcnow
from .models import Cohort
from .people import member_not_found
from .schema import (access_tokens, action_items, comments, entries, entry_revisions, erasures, exports, goal_progress,
                     goals, kudos, memberships, milestones, pairings, people, pseudonym_keys, retro_cards, retro_votes,
                     sessions)
from .schema import sent_messages
from .schema import checkin_plans, notices, pulses, visits

#: Tables an erasure deletes rows from: the ones whose freed space must be wiped afterwards.
ERASED_TABLES: tuple[str, ...] = ("retro_votes", "retro_cards", "comments", "goal_progress", "entry_revisions",
                                  "milestones", "entries", "goals", "kudos", "pairings", "access_tokens",
                                  "memberships", "people", "exports", "sent_messages",
                                  "notices", "pulses", "visits", "checkin_plans")


def person_hash(cohort_id: str, person_id: str) -> str:
    """What the erasure record keeps of a person: SHA-256 of cohort and person id.

    Why a hash and not the id: the record has one job, letting a roster re-import recognise
    someone who was erased (the import hashes the roster's ids and compares); kept as the id,
    the table would name everyone ever erased to whoever reads the database. Why not a keyed
    hash: whoever holds the roster (the facilitator, the import) must be able to recompute it,
    and nobody else can learn more from it than from the roster itself. Ids are short, so this
    is a pseudonym, not anonymity: it keeps no name, no email, no text.
    """
    return hashlib.sha256(f"{cohort_id}\x00{person_id}".encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Erasure:
    """That an erasure happened: who (as :func:`person_hash`), when, by whom. Never what."""

    cohort_id: str
    person_hash: str
    erased_by: str | None
    erased_at: dt.datetime
    readmitted_by: str | None = None
    readmitted_at: dt.datetime | None = None


@dataclass(frozen=True)
class ExportRecord:
    """A file ``workbook export`` wrote."""

    cohort_id: str
    format: str
    path: Path
    entries: int
    created_at: dt.datetime
    personal: bool  # one person's own export (else a cohort export)


@dataclass(frozen=True)
class MemberTexts:
    """See :meth:`PrivacyMixin.member_texts`."""

    person_id: str
    identity: tuple[str, ...]  # name and email
    texts: tuple[str, ...]


@dataclass(frozen=True)
class Wipe:
    """What became of the erased rows' bytes on disk after :meth:`PrivacyMixin.wipe_freed_space`."""

    complete: bool   # no byte of the erased rows is left in the database's files
    message: str     # what was done, or what is left to do and how
    blocked: bool = False  # another connection kept it from finishing: running the erasure again finishes it


def _erasure(r: Any) -> Erasure:
    return Erasure(r.cohort_id, r.person_hash, r.erased_by, r.erased_at, r.readmitted_by, r.readmitted_at)


class _Theirs(NamedTuple):
    """Subqueries of the ids of what one member's erasure and text search reach in a cohort."""

    entries: sa.Select[tuple[int]]         # entries they wrote
    cohort_entries: sa.Select[tuple[int]]  # every entry of the cohort (their comments and votes on others')
    goals: sa.Select[tuple[int]]           # goals they set


def _theirs(cohort_id: str, person_id: str) -> _Theirs:
    return _Theirs(
        sa.select(entries.c.id).where((entries.c.cohort_id == cohort_id) & (entries.c.author_id == person_id)),
        sa.select(entries.c.id).where(entries.c.cohort_id == cohort_id),
        sa.select(goals.c.id).where((goals.c.cohort_id == cohort_id) & (goals.c.person_id == person_id)))


def open_erasures(conn: sa.Connection, cohort_id: str, person_ids: Iterable[str]) -> dict[str, Erasure]:
    """Those of ``person_ids`` erased from the cohort and not re-admitted since, with their record."""
    by_hash = {person_hash(cohort_id, p): p for p in person_ids}
    if not by_hash:
        return {}
    rows = conn.execute(sa.select(erasures).where(
        (erasures.c.cohort_id == cohort_id) & erasures.c.readmitted_at.is_(None)
        & erasures.c.person_hash.in_(list(by_hash))).order_by(erasures.c.erased_at, erasures.c.id))
    return {by_hash[r.person_hash]: _erasure(r) for r in rows}


def close_erasures(conn: sa.Connection, cohort_id: str, person_ids: Iterable[str], *,
                   readmitted_by: str | None) -> list[str]:
    """Mark the open erasure records of these people re-admitted; returns the ids that had one, sorted."""
    open_ = open_erasures(conn, cohort_id, person_ids)
    if open_:
        conn.execute(erasures.update().where(
            (erasures.c.cohort_id == cohort_id) & erasures.c.readmitted_at.is_(None)
            & erasures.c.person_hash.in_([e.person_hash for e in open_.values()]))
            .values(readmitted_at=utcnow(), readmitted_by=readmitted_by))
    return sorted(open_)


class PrivacyMixin(StoreBase):
    """Verbs for erasure, exports and pseudonyms."""

    if TYPE_CHECKING:  # from PeopleMixin (see StoreBase)
        def get_cohort(self, cohort_id: str) -> Cohort: ...

    # --- erasure --------------------------------------------------------------------------
    def erase_member(self, cohort_id: str, person_id: str, *, erased_by: str | None) -> dict[str, int]:
        """Erase a person from a cohort in ONE write transaction; returns rows touched per kind.

        Goes: their entries (with revisions, comments on them, retro cards and every vote on
        those), votes and comments they gave, goals and progress, kudos given and received,
        milestones, pairings, links, their own exports' log rows and the membership; their id is
        cleared where others' rows point at them (coach, manager, action item owner, session
        facilitator). Their name and email go too unless they belong to another cohort.
        Records an :class:`Erasure` (no content) that :func:`workbook.import_cohort` respects.
        """
        h = person_hash(cohort_id, person_id)
        counts: dict[str, int] = {}
        with self._write() as conn:
            found = conn.execute(sa.select(memberships.c.person_id).where(
                (memberships.c.cohort_id == cohort_id) & (memberships.c.person_id == person_id))).first()
            if found is None:
                raise member_not_found(cohort_id, person_id)
            own, in_cohort, own_goals = _theirs(cohort_id, person_id)
            cohort_cards = sa.select(retro_cards.c.id).where(retro_cards.c.entry_id.in_(in_cohort))
            own_cards = sa.select(retro_cards.c.id).where(retro_cards.c.entry_id.in_(own))
            steps: list[tuple[str, Any]] = [
                ("votes", retro_votes.delete().where(retro_votes.c.card_id.in_(own_cards)
                                                     | ((retro_votes.c.voter_id == person_id)
                                                        & retro_votes.c.card_id.in_(cohort_cards)))),
                ("cards", retro_cards.delete().where(retro_cards.c.entry_id.in_(own))),
                ("comments", comments.delete().where(comments.c.entry_id.in_(own)
                                                     | ((comments.c.author_id == person_id)
                                                        & comments.c.entry_id.in_(in_cohort)))),
                ("goal_progress", goal_progress.delete().where(goal_progress.c.goal_id.in_(own_goals))),
                ("revisions", entry_revisions.delete().where(entry_revisions.c.entry_id.in_(own))),
                ("milestones", milestones.delete().where(sa.and_(milestones.c.cohort_id == cohort_id,
                                                                   milestones.c.person_id == person_id))),
                ("entries", entries.delete().where(sa.and_(entries.c.cohort_id == cohort_id,
                                                             entries.c.author_id == person_id))),
                ("goals", goals.delete().where(sa.and_(goals.c.cohort_id == cohort_id, goals.c.person_id == person_id))),
                ("kudos", kudos.delete().where((kudos.c.cohort_id == cohort_id)
                                               & ((kudos.c.from_id == person_id) | (kudos.c.to_id == person_id)))),
                ("pairings", pairings.delete().where((pairings.c.cohort_id == cohort_id)
                                                     & ((pairings.c.coach_id == person_id)
                                                        | (pairings.c.mentee_id == person_id)))),
                ("action_items", action_items.update().where(sa.and_(action_items.c.cohort_id == cohort_id,
                                                                       action_items.c.owner_id == person_id))
                 .values(owner_id=None)),
                ("links", access_tokens.delete().where(sa.and_(access_tokens.c.cohort_id == cohort_id,
                                                                 access_tokens.c.person_id == person_id))),
                ("export_log", exports.delete().where(sa.and_(exports.c.cohort_id == cohort_id,
                                                                    exports.c.person_hash == h))),
                ("send_log", sent_messages.delete().where(sa.and_(sent_messages.c.cohort_id == cohort_id,
                                                                    sent_messages.c.person_id == person_id))),
                # mentoring (0005): notices to them or caused by them, pulses and schedules of their
                # pairs, their visits
                ("notices", notices.delete().where((notices.c.cohort_id == cohort_id)
                                                   & ((notices.c.person_id == person_id)
                                                      | (notices.c.actor_id == person_id)))),
                ("pulses", pulses.delete().where((pulses.c.cohort_id == cohort_id)
                                                 & ((pulses.c.coach_id == person_id)
                                                    | (pulses.c.mentee_id == person_id)))),
                ("checkin_plans", checkin_plans.delete().where(
                    (checkin_plans.c.cohort_id == cohort_id)
                    & ((checkin_plans.c.coach_id == person_id) | (checkin_plans.c.mentee_id == person_id)
                       | (checkin_plans.c.set_by == person_id)))),
                ("visits", visits.delete().where((visits.c.cohort_id == cohort_id)
                                                 & (visits.c.person_id == person_id))),
                ("memberships", memberships.delete().where(sa.and_(memberships.c.cohort_id == cohort_id,
                                                                     memberships.c.person_id == person_id))),
            ]
            for name, stmt in steps:
                counts[name] = int(conn.execute(stmt).rowcount)
            # Others' rows that point at them keep no trace of their id either.
            conn.execute(goals.update().where((goals.c.cohort_id == cohort_id) & (goals.c.proposed_by == person_id))
                         .values(proposed_by=None))
            conn.execute(milestones.update().where((milestones.c.cohort_id == cohort_id)
                                                   & (milestones.c.recorded_by == person_id))
                         .values(recorded_by=None))
            conn.execute(memberships.update().where(sa.and_(memberships.c.cohort_id == cohort_id,
                                                              memberships.c.coach_id == person_id))
                         .values(coach_id=None))
            conn.execute(memberships.update().where(sa.and_(memberships.c.cohort_id == cohort_id,
                                                              memberships.c.manager == person_id))
                         .values(manager=""))
            conn.execute(sessions.update().where(sa.and_(sessions.c.cohort_id == cohort_id,
                                                           sessions.c.facilitator_id == person_id))
                         .values(facilitator_id=None))
            others = conn.execute(sa.select(sa.func.count()).select_from(memberships)
                                  .where(memberships.c.person_id == person_id)).scalar_one()
            counts["person"] = 0
            if not others:
                conn.execute(sessions.update().where(sessions.c.facilitator_id == person_id).values(facilitator_id=None))
                counts["person"] = int(conn.execute(people.delete().where(people.c.id == person_id)).rowcount)
            conn.execute(erasures.insert().values(cohort_id=cohort_id, person_hash=h, erased_by=erased_by,
                                                  erased_at=utcnow()))
        return counts

    def find_erasures(self, cohort_id: str, person_id: str | None = None) -> list[Erasure]:
        """Erasure records of a cohort (of one person when given), oldest first."""
        q = sa.select(erasures).where(erasures.c.cohort_id == cohort_id).order_by(erasures.c.erased_at, erasures.c.id)
        if person_id is not None:
            q = q.where(erasures.c.person_hash == person_hash(cohort_id, person_id))
        with self._read() as conn:
            return [_erasure(r) for r in conn.execute(q)]

    def erased_members(self, cohort_id: str, person_ids: Iterable[str]) -> dict[str, Erasure]:
        """Those of ``person_ids`` erased from the cohort and not re-admitted since, with their record."""
        with self._read() as conn:
            return open_erasures(conn, cohort_id, person_ids)

    def readmit_members(self, cohort_id: str, person_ids: Iterable[str], *,
                        readmitted_by: str | None) -> list[str]:
        """Close the erasure records of these people, so the next roster import adds them again.

        Returns the ids whose record was open. The records stay, marked re-admitted: that an
        erasure happened is itself worth keeping. (``workbook cohort import --readmit`` does this
        and the import in one transaction: :meth:`Store.import_roster`.)
        """
        with self._write() as conn:
            return close_erasures(conn, cohort_id, person_ids, readmitted_by=readmitted_by)

    def member_texts(self, cohort_id: str, person_id: str) -> MemberTexts:
        """What identifies a member and every text stored of or about them in a cohort (to find
        copies of it outside the database).

        Texts: answers (every revision), comments they wrote and comments on their entries, goal
        titles and progress notes, kudos given and received, milestones.
        """
        own, in_cohort, goal_ids = _theirs(cohort_id, person_id)
        out: list[str] = []
        with self._read() as conn:
            person = conn.execute(sa.select(people.c.name, people.c.email).where(people.c.id == person_id)).first()
            answers = list(conn.execute(sa.select(entries.c.answers).where(entries.c.id.in_(own))).scalars())
            answers += list(conn.execute(sa.select(entry_revisions.c.answers)
                                         .where(entry_revisions.c.entry_id.in_(own))).scalars())
            out += list(conn.execute(sa.select(comments.c.body).where(
                comments.c.entry_id.in_(own) | ((comments.c.author_id == person_id)
                                                & comments.c.entry_id.in_(in_cohort)))).scalars())
            out += list(conn.execute(sa.select(goals.c.title).where(goals.c.id.in_(goal_ids))).scalars())
            out += list(conn.execute(sa.select(goal_progress.c.note).where(goal_progress.c.goal_id.in_(goal_ids)))
                        .scalars())
            out += list(conn.execute(sa.select(kudos.c.message).where(
                (kudos.c.cohort_id == cohort_id) & ((kudos.c.from_id == person_id) | (kudos.c.to_id == person_id))))
                .scalars())
            out += list(conn.execute(sa.select(milestones.c.title).where(
                (milestones.c.cohort_id == cohort_id) & (milestones.c.person_id == person_id))).scalars())
        for a in answers:
            for value in dict(a).values():
                if isinstance(value, str):
                    out.append(value)
                elif isinstance(value, list):
                    out += [v for v in value if isinstance(v, str)]
        identity = (person.name, person.email) if person is not None else ()
        return MemberTexts(person_id, identity, tuple(t for t in dict.fromkeys(out) if t))

    # --- exports log ----------------------------------------------------------------------
    def log_export(self, cohort_id: str, fmt: str, path: Path, entries_count: int, *,
                   person_id: str | None = None) -> None:
        """Record a file an export wrote (absolute path), so a later erasure can list it."""
        with self._write() as conn:
            conn.execute(exports.insert().values(
                cohort_id=cohort_id, format=fmt, path=str(Path(path).resolve()), entries=int(entries_count),
                person_hash=person_hash(cohort_id, person_id) if person_id else None, created_at=utcnow()))

    def find_exports(self, cohort_id: str, *, holding: str | None = None, since: dt.datetime | None = None,
                     until: dt.datetime | None = None) -> list[ExportRecord]:
        """Exports of a cohort, oldest first; ``holding``: only those that may hold this person
        (every cohort export, and that person's own)."""
        q = sa.select(exports).where(exports.c.cohort_id == cohort_id).order_by(exports.c.created_at, exports.c.id)
        if holding is not None:
            q = q.where(exports.c.person_hash.is_(None) | (exports.c.person_hash == person_hash(cohort_id, holding)))
        if since is not None:
            q = q.where(exports.c.created_at >= since)
        if until is not None:
            q = q.where(exports.c.created_at <= until)
        with self._read() as conn:
            return [ExportRecord(r.cohort_id, r.format, Path(r.path), r.entries, r.created_at, r.person_hash is not None)
                    for r in conn.execute(q)]

    def membership_since(self, cohort_id: str, person_id: str) -> dt.datetime:
        """When this person's membership of the cohort was created."""
        with self._read() as conn:
            at = conn.execute(sa.select(memberships.c.created_at).where(
                (memberships.c.cohort_id == cohort_id) & (memberships.c.person_id == person_id))).scalar()
        if at is None:
            raise member_not_found(cohort_id, person_id)
        return at  # type: ignore[no-any-return]

    # --- pseudonyms -----------------------------------------------------------------------
    def pseudonym_key(self, cohort_id: str) -> bytes:
        """The cohort's secret for xAPI pseudonyms, made on first use; it never leaves the database."""
        q = sa.select(pseudonym_keys.c.secret).where(pseudonym_keys.c.cohort_id == cohort_id)
        with self._read() as conn:
            secret = conn.execute(q).scalar()
        if secret is None:
            self.get_cohort(cohort_id)
            try:
                with self._write() as conn:
                    secret = conn.execute(q).scalar()
                    if secret is None:
                        secret = secrets.token_hex(32)
                        conn.execute(pseudonym_keys.insert().values(cohort_id=cohort_id, secret=secret,
                                                                    created_at=utcnow()))
            except Exception:  # two exports raced to make the key: the other one's is the key
                with self._read() as conn:
                    secret = conn.execute(q).scalar()
                if secret is None:
                    raise
        return bytes.fromhex(secret)

    # --- the bytes erased rows leave behind -----------------------------------------------
    def wipe_freed_space(self, *, attempts: int = 3, wait_ms: int = 2000) -> Wipe:
        """After an erasure: make sure no byte of the deleted rows stays in the database's files.

        SQLite: every connection deletes with ``secure_delete`` (zeroes freed space); ``VACUUM``
        then rebuilds the file without space freed before that was on, and a ``TRUNCATE``
        checkpoint moves the write-ahead log into the file and empties ``-wal``. A reader in the
        middle of a transaction (another program) blocks the checkpoint: it is retried, and the
        message says what to do if it stays blocked. PostgreSQL: ``VACUUM`` of the touched tables
        (outside a transaction); the message says which ``VACUUM FULL`` rewrites their files.
        """
        if self.dialect == "sqlite":
            return self._wipe_sqlite(attempts, wait_ms)
        return self._wipe_postgresql()

    def _wipe_sqlite(self, attempts: int, wait_ms: int) -> Wipe:
        path = sa.make_url(self.url).database or ""
        raw = self.engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute("PRAGMA secure_delete=ON")
            cur.execute(f"PRAGMA busy_timeout={int(wait_ms)}")
            vacuumed = True
            try:
                cur.execute("VACUUM")
            except Exception:  # another writer held the lock too long: the checkpoint still runs
                vacuumed = False
            busy = 1
            for attempt in range(max(1, attempts)):
                busy = cur.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
                if not busy:
                    break
                time.sleep(wait_ms / 1000 * (attempt + 1) / attempts)
            cur.execute(f"PRAGMA busy_timeout={int(self.settings.busy_timeout_ms)}")
            cur.close()
        finally:
            raw.close()
        if busy:
            return Wipe(False, blocked=True,
                        message=f"another program is in the middle of reading {path}, so its write-ahead log "
                                f"({path}-wal) still holds the erased data; once it is done (or after stopping "
                                "`workbook serve`), run the same `workbook erase` command again to finish")
        if not vacuumed:
            return Wipe(True, "erased rows zeroed and the write-ahead log emptied (VACUUM was skipped: another "
                              "program was writing; space freed before secure_delete was on may still hold old data)")
        return Wipe(True, "file rebuilt (VACUUM) and its write-ahead log emptied; no copy of the erased data is left "
                          "in it")

    def _wipe_postgresql(self) -> Wipe:
        tables = ", ".join(ERASED_TABLES)
        advice = (f"to rewrite the tables' files so no byte of the erased rows is left on disk, run (locks each "
                  f"table while it runs): VACUUM FULL {tables}; the server's WAL archive and backups keep the "
                  "old data until they expire")
        try:
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                for t in ERASED_TABLES:
                    conn.exec_driver_sql(f'VACUUM "{t}"')
        except sa.exc.SQLAlchemyError:
            return Wipe(False, "PostgreSQL keeps erased rows on disk until they are vacuumed, and this user may not "
                               f"VACUUM; ask the database owner to run: VACUUM FULL {tables} (the server's WAL "
                               "archive and backups keep the old data until they expire)")
        return Wipe(False, "PostgreSQL: ran VACUUM on the touched tables (their space is free for reuse); " + advice)
