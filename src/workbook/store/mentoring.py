"""Comments, goals and their progress, pairings, kudos and milestones."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import FieldProblem, NotFoundError, ValidationError
from ..text import bad_character
from .core import StoreBase, insert_id, record, utcnow
from .models import Comment, Entry, Goal, GoalProgress, Kudos, Membership, Milestone, Pairing
from .schema import comments, goal_progress, goals, kudos, milestones, pairings

PAIRING_STATUSES = ("proposed", "active", "fixed")


def _comment(r: Any) -> Comment:
    return Comment(r.id, r.entry_id, r.author_id, r.body, r.created_at, r.released_at)


def _goal(r: Any) -> Goal:
    return Goal(r.id, r.cohort_id, r.person_id, r.title, r.target_date, r.progress, r.status,
                r.created_at, r.updated_at)


def _pairing(r: Any) -> Pairing:
    return Pairing(r.id, r.cohort_id, r.coach_id, r.mentee_id, r.status, r.score, tuple(r.reasons or ()),
                   r.created_at)


def _check_text(field: str, text: str, limit: int) -> str:
    if not text or not text.strip():
        raise ValidationError(f"{field} is empty", [FieldProblem(field, "write something first")])
    bad = bad_character(text)
    if bad:  # refused before any SQL, so both databases answer alike
        raise ValidationError(f"{field} has a character that cannot be stored", [FieldProblem(field, bad)])
    if len(text) > limit:
        raise ValidationError(f"{field} is too long", [FieldProblem(
            field, f"is {len(text):,} characters long; the limit is {limit:,}: shorten it")])
    return text


class MentoringMixin(StoreBase):
    """Verbs for coaching: comments, goals, pairings, kudos, milestones."""

    if TYPE_CHECKING:  # from PeopleMixin and EntriesMixin (see StoreBase)
        def get_membership(self, cohort_id: str, person_id: str) -> Membership: ...
        def find_members(self, cohort_id: str, role: str | Iterable[str] | None = None,
                         active_only: bool = True) -> list[Membership]: ...
        def get_entry(self, entry_id: int) -> Entry: ...

    # --- comments -------------------------------------------------------------------------
    def add_comment(self, entry_id: int, author_id: str, body: str, *, release: bool = False,
                    at: dt.datetime | None = None) -> Comment:
        """Store a coach's comment; the mentee sees it only once released."""
        _check_text("comment", body, self.settings.max_text_length)
        self.get_entry(entry_id)
        now = at or utcnow()
        with self._write() as conn:
            cid = insert_id(conn, comments.insert().values(entry_id=entry_id, author_id=author_id, body=body,
                                                        created_at=now, released_at=now if release else None)
                               )
        return self.get_comment(int(cid))

    def get_comment(self, comment_id: int) -> Comment:
        """A comment by id."""
        with self._read() as conn:
            row = conn.execute(sa.select(comments).where(comments.c.id == comment_id)).first()
        if row is None:
            raise NotFoundError("comment", comment_id)
        return _comment(row)

    def release_comment(self, comment_id: int, by: str, at: dt.datetime | None = None) -> Comment:
        """Make a comment visible to the entry's author (who may: :func:`workbook.access.release_comment`)."""
        self.get_comment(comment_id)
        with self._write() as conn:
            conn.execute(comments.update().where(comments.c.id == comment_id).values(released_at=at or utcnow()))
        return self.get_comment(comment_id)

    def find_comments(self, entry_ids: Iterable[int], *, released_only: bool = False) -> list[Comment]:
        """Comments on these entries, oldest first."""
        ids = list(entry_ids)
        if not ids:
            return []
        q = sa.select(comments).where(comments.c.entry_id.in_(ids)).order_by(comments.c.created_at, comments.c.id)
        if released_only:
            q = q.where(comments.c.released_at.is_not(None))
        with self._read() as conn:
            return [_comment(r) for r in conn.execute(q)]

    # --- goals ----------------------------------------------------------------------------
    def add_goal(self, cohort_id: str, person_id: str, title: str, *, target_date: dt.date | None = None,
                 at: dt.datetime | None = None) -> Goal:
        """A goal a person sets for the programme."""
        _check_text("goal", title, 300)
        self.get_membership(cohort_id, person_id)
        now = at or utcnow()
        with self._write() as conn:
            gid = insert_id(conn, goals.insert().values(cohort_id=cohort_id, person_id=person_id, title=title,
                                                     target_date=target_date, progress=0, status="open",
                                                     created_at=now, updated_at=now))
        return self.get_goal(int(gid))

    def get_goal(self, goal_id: int) -> Goal:
        """A goal by id."""
        with self._read() as conn:
            row = conn.execute(sa.select(goals).where(goals.c.id == goal_id)).first()
        if row is None:
            raise NotFoundError("goal", goal_id)
        return _goal(row)

    def find_goals(self, cohort_id: str, person_id: str | None = None) -> list[Goal]:
        """Goals in a cohort (of one person), oldest first."""
        q = sa.select(goals).where(goals.c.cohort_id == cohort_id).order_by(goals.c.created_at, goals.c.id)
        if person_id:
            q = q.where(goals.c.person_id == person_id)
        with self._read() as conn:
            return [_goal(r) for r in conn.execute(q)]

    def record_goal_progress(self, goal_id: int, person_id: str, progress: int, note: str = "", *,
                             entry_id: int | None = None, at: dt.datetime | None = None) -> Goal:
        """Record progress (0-100 %) on a goal; 100 marks it done (who may: :func:`workbook.access.record_progress`)."""
        self.get_goal(goal_id)
        if isinstance(progress, bool) or not isinstance(progress, int) or not 0 <= progress <= 100:
            raise ValidationError("progress is out of range", [FieldProblem("progress", "give a whole number from 0 to 100")])
        if note and bad_character(note):
            raise ValidationError("progress not recorded", [FieldProblem("note", str(bad_character(note)))])
        now = at or utcnow()
        with self._write() as conn:
            conn.execute(goal_progress.insert().values(goal_id=goal_id, entry_id=entry_id, progress=progress,
                                                       note=note, created_at=now))
            conn.execute(goals.update().where(goals.c.id == goal_id).values(
                progress=progress, status="done" if progress >= 100 else "open", updated_at=now))
        return self.get_goal(goal_id)

    def goal_history(self, goal_ids: Sequence[int]) -> list[GoalProgress]:
        """Progress records of these goals, oldest first."""
        if not goal_ids:
            return []
        with self._read() as conn:
            rows = conn.execute(sa.select(goal_progress).where(goal_progress.c.goal_id.in_(list(goal_ids)))
                                .order_by(goal_progress.c.created_at, goal_progress.c.id)).all()
        return [record(GoalProgress, r) for r in rows]

    # --- pairings -------------------------------------------------------------------------
    def find_pairings(self, cohort_id: str, *, coach_id: str | None = None, mentee_id: str | None = None,
                      statuses: Iterable[str] = ("active", "fixed")) -> list[Pairing]:
        """Pairings in a cohort; by default the ones in force (active and fixed)."""
        q = (sa.select(pairings).where(pairings.c.cohort_id == cohort_id)
             .where(pairings.c.status.in_(list(statuses))).order_by(pairings.c.coach_id, pairings.c.mentee_id))
        if coach_id:
            q = q.where(pairings.c.coach_id == coach_id)
        if mentee_id:
            q = q.where(pairings.c.mentee_id == mentee_id)
        with self._read() as conn:
            return [_pairing(r) for r in conn.execute(q)]

    def replace_pairings(self, cohort_id: str, new: Sequence[tuple[str, str, float | None, Sequence[str]]], *,
                         status: str = "active", keep_fixed: bool = True) -> list[Pairing]:
        """Replace the cohort's pairings of ``status`` with ``new`` (coach, mentee, score, reasons).

        Fixed pairings stay unless ``keep_fixed`` is false. All or nothing.
        """
        if status not in PAIRING_STATUSES:
            raise ValidationError("unknown pairing status", [FieldProblem("status", f"use one of {PAIRING_STATUSES}")])
        members = {m.person_id for m in self.find_members(cohort_id)}
        unknown = sorted({p for c, m, *_ in new for p in (c, m) if p not in members})
        if unknown:
            raise NotFoundError("member", ", ".join(unknown), f"run `workbook people {cohort_id}`")
        now = utcnow()
        with self._write() as conn:
            drop = [s for s in PAIRING_STATUSES if s != "fixed" or not keep_fixed]
            fixed = {(r.coach_id, r.mentee_id) for r in conn.execute(
                sa.select(pairings.c.coach_id, pairings.c.mentee_id).where(
                    (pairings.c.cohort_id == cohort_id) & (pairings.c.status == "fixed")))} if keep_fixed else set()
            conn.execute(pairings.delete().where((pairings.c.cohort_id == cohort_id) & pairings.c.status.in_(drop)))
            rows = [dict(cohort_id=cohort_id, coach_id=c, mentee_id=m, status=status, score=s, reasons=list(r),
                         created_at=now) for c, m, s, r in new if (c, m) not in fixed]
            if rows:
                conn.execute(pairings.insert(), rows)
        return self.find_pairings(cohort_id, statuses=PAIRING_STATUSES)

    def set_pairing_status(self, cohort_id: str, coach_id: str, mentee_id: str, status: str) -> Pairing:
        """Fix, activate or re-propose one pairing."""
        if status not in PAIRING_STATUSES:
            raise ValidationError("unknown pairing status", [FieldProblem("status", f"use one of {PAIRING_STATUSES}")])
        with self._write() as conn:
            done = conn.execute(pairings.update().where(
                (pairings.c.cohort_id == cohort_id) & (pairings.c.coach_id == coach_id)
                & (pairings.c.mentee_id == mentee_id)).values(status=status))
            if done.rowcount == 0:
                raise NotFoundError("pairing", f"{coach_id}:{mentee_id}", "propose it first with `workbook match`")
        return self.find_pairings(cohort_id, coach_id=coach_id, mentee_id=mentee_id, statuses=PAIRING_STATUSES)[0]

    def coaches_of(self, cohort_id: str, mentee_id: str) -> set[str]:
        """Everyone who coaches this mentee: the pairings in force, or else the roster's coach.

        Once matching pairs a mentee, the pairing decides; the roster's ``coach`` column is the
        fallback, so a mentee moved to another mentor is no longer read by the old one.
        """
        coaches = {p.coach_id for p in self.find_pairings(cohort_id, mentee_id=mentee_id)}
        if coaches:
            return coaches
        try:
            m = self.get_membership(cohort_id, mentee_id)
        except NotFoundError:
            return set()
        return {m.coach_id} if m.coach_id else set()

    def mentees_of(self, cohort_id: str, coach_id: str) -> list[str]:
        """Everyone this coach coaches in the cohort (same rule as :meth:`coaches_of`), sorted."""
        in_force = self.find_pairings(cohort_id)
        paired = {p.mentee_id for p in in_force}
        ids = {p.mentee_id for p in in_force if p.coach_id == coach_id}
        ids |= {m.person_id for m in self.find_members(cohort_id)
                if m.coach_id == coach_id and m.person_id not in paired}
        return sorted(ids)

    # --- kudos and milestones -------------------------------------------------------------
    def add_kudos(self, cohort_id: str, from_id: str, to_id: str, message: str,
                  at: dt.datetime | None = None) -> int:
        """Peer recognition from one member to another."""
        _check_text("kudos", message, 2000)
        if from_id == to_id:
            raise ValidationError("kudos to oneself", [FieldProblem("to", "pick someone else")])
        self.get_membership(cohort_id, from_id)
        self.get_membership(cohort_id, to_id)
        with self._write() as conn:
            return int(insert_id(conn, kudos.insert().values(cohort_id=cohort_id, from_id=from_id, to_id=to_id,
                                                          message=message, created_at=at or utcnow())
                                    ))

    def find_kudos(self, cohort_id: str, *, to_id: str | None = None) -> list[Kudos]:
        """Kudos in a cohort (received by one person), oldest first."""
        q = sa.select(kudos).where(kudos.c.cohort_id == cohort_id).order_by(kudos.c.created_at, kudos.c.id)
        if to_id:
            q = q.where(kudos.c.to_id == to_id)
        with self._read() as conn:
            return [record(Kudos, r) for r in conn.execute(q)]

    def add_milestone(self, cohort_id: str, person_id: str, title: str, *, entry_id: int | None = None,
                      at: dt.datetime | None = None) -> int:
        """Record a milestone a person reached."""
        _check_text("milestone", title, 300)
        self.get_membership(cohort_id, person_id)
        with self._write() as conn:
            return int(insert_id(conn, milestones.insert().values(cohort_id=cohort_id, person_id=person_id,
                                                               title=title, entry_id=entry_id,
                                                               achieved_at=at or utcnow())))

    def find_milestones(self, cohort_id: str, person_id: str | None = None) -> list[Milestone]:
        """Milestones in a cohort (of one person), oldest first."""
        q = sa.select(milestones).where(milestones.c.cohort_id == cohort_id).order_by(milestones.c.achieved_at)
        if person_id:
            q = q.where(milestones.c.person_id == person_id)
        with self._read() as conn:
            return [record(Milestone, r) for r in conn.execute(q)]
