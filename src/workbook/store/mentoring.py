"""Comments, goals and their progress, pairings, kudos and milestones."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import FieldProblem, NotFoundError, StoreError, ValidationError
from ..text import bad_character
from .core import StoreBase, insert_id, record, utcnow
from .models import (CheckinPlan, Comment, Entry, Goal, GoalProgress, Kudos, Membership, Milestone, Notice, Pairing,
                     Pulse)
from .schema import (checkin_plans, comments, goal_progress, goals, kudos, memberships, milestones, notices, pairings,
                     pulses, visits)

PAIRING_STATUSES = ("proposed", "active", "fixed")
#: Statuses of a goal: proposed by one side of the pair, agreed by the other, then reached or dropped.
GOAL_STATUSES = ("proposed", "agreed", "reached", "dropped")
KUDOS_VISIBILITIES = ("cohort", "receiver")
#: What a notice says happened (a notice never holds the content itself).
NoticeText = tuple[str, str, str | None, str, str]  # person_id, kind, actor_id, text, link_page


def _comment(r: Any) -> Comment:
    return Comment(r.id, r.entry_id, r.author_id, r.body, r.created_at, r.released_at)


def _goal(r: Any) -> Goal:
    return Goal(r.id, r.cohort_id, r.person_id, r.title, r.target_date, r.progress, r.status,
                r.created_at, r.updated_at, r.measure or "", r.proposed_by, r.agreed_at)


def _notify(conn: sa.Connection, cohort_id: str, notice: NoticeText | None, at: dt.datetime) -> None:
    """Record a notice in the caller's transaction (with the change it tells about)."""
    if notice is None:
        return
    person_id, kind, actor_id, text, link_page = notice
    conn.execute(notices.insert().values(cohort_id=cohort_id, person_id=person_id, actor_id=actor_id, kind=kind,
                                         text=text[:300], link_page=link_page, created_at=at))


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

    def release_comment(self, comment_id: int, by: str, at: dt.datetime | None = None, *,
                        notice: NoticeText | None = None) -> Comment:
        """Make a comment visible to the entry's author (who may: :func:`workbook.access.release_comment`).

        ``notice`` (person, kind, actor, text, page) is recorded in the same transaction. A comment
        already released keeps its release time and tells nobody again.
        """
        before = self.get_comment(comment_id)
        if before.released:
            return before
        now = at or utcnow()
        with self._write() as conn:
            done = conn.execute(comments.update().where((comments.c.id == comment_id)
                                                        & comments.c.released_at.is_(None)).values(released_at=now))
            if done.rowcount:
                cohort_id = self.get_entry(before.entry_id).cohort_id
                _notify(conn, cohort_id, notice, now)
        return self.get_comment(comment_id)

    def edit_comment(self, comment_id: int, body: str) -> Comment:
        """Change a draft comment's text; a released comment is final (ValidationError, nothing changed)."""
        _check_text("comment", body, self.settings.max_text_length)
        with self._write() as conn:
            done = conn.execute(comments.update().where((comments.c.id == comment_id)
                                                        & comments.c.released_at.is_(None)).values(body=body))
            if done.rowcount == 0:
                self._comment_not_draft(comment_id)
        return self.get_comment(comment_id)

    def delete_comment(self, comment_id: int) -> None:
        """Delete a draft comment; a released comment is final (ValidationError, nothing changed)."""
        with self._write() as conn:
            done = conn.execute(comments.delete().where((comments.c.id == comment_id)
                                                        & comments.c.released_at.is_(None)))
            if done.rowcount == 0:
                self._comment_not_draft(comment_id)

    def _comment_not_draft(self, comment_id: int) -> None:
        self.get_comment(comment_id)  # NotFoundError when it is gone
        raise ValidationError("the comment was already released", [FieldProblem(
            "comment", "a released comment is final: your mentee has read it; add a new comment instead")])

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
                 at: dt.datetime | None = None, measure: str = "", proposed_by: str | None = None,
                 status: str = "agreed") -> Goal:
        """A goal a person has for the programme (who may: :func:`workbook.goals.create_goal`).

        ``status`` "agreed" (the default, for goals agreed outside the kit) or "proposed" (the
        other side of the pair still has to agree).
        """
        _check_text("goal", title, 300)
        if measure:
            _check_text("measure", measure, 1000)
        if status not in ("proposed", "agreed"):
            raise ValidationError("a new goal is proposed or agreed", [FieldProblem("status", "use proposed or agreed")])
        self.get_membership(cohort_id, person_id)
        now = at or utcnow()
        with self._write() as conn:
            gid = insert_id(conn, goals.insert().values(cohort_id=cohort_id, person_id=person_id, title=title,
                                                     target_date=target_date, progress=0, status=status,
                                                     measure=measure, proposed_by=proposed_by or person_id,
                                                     agreed_at=now if status == "agreed" else None,
                                                     created_at=now, updated_at=now))
        return self.get_goal(int(gid))

    def update_goal(self, goal_id: int, *, title: str | None = None, measure: str | None = None,
                    target_date: dt.date | None = None, status: str | None = None,
                    proposed_by: str | None = None, at: dt.datetime | None = None) -> Goal:
        """Change a goal's what, measure, target date or status (who may: :mod:`workbook.goals`)."""
        goal = self.get_goal(goal_id)
        now = at or utcnow()
        values: dict[str, Any] = {}
        if title is not None:
            values["title"] = _check_text("goal", title, 300)
        if measure is not None:
            values["measure"] = _check_text("measure", measure, 1000)
        if target_date is not None:
            values["target_date"] = target_date
        if status is not None:
            if status not in GOAL_STATUSES:
                raise ValidationError("unknown goal status", [FieldProblem("status", f"use one of {GOAL_STATUSES}")])
            values["status"] = status
            if status == "agreed" and goal.agreed_at is None:
                values["agreed_at"] = now
            if status == "proposed":
                values["agreed_at"] = None
            if status == "reached":
                values["progress"] = 100
        if proposed_by is not None:
            values["proposed_by"] = proposed_by
        if not values:
            return goal
        with self._write() as conn:
            conn.execute(goals.update().where(goals.c.id == goal_id).values(updated_at=now, **values))
        return self.get_goal(goal_id)

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
        """Record progress (0-100 %) on a goal; 100 marks it reached (who may: :func:`workbook.access.record_progress`)."""
        goal = self.get_goal(goal_id)
        if isinstance(progress, bool) or not isinstance(progress, int) or not 0 <= progress <= 100:
            raise ValidationError("progress is out of range", [FieldProblem("progress", "give a whole number from 0 to 100")])
        if note and bad_character(note):
            raise ValidationError("progress not recorded", [FieldProblem("note", str(bad_character(note)))])
        now = at or utcnow()
        with self._write() as conn:
            conn.execute(goal_progress.insert().values(goal_id=goal_id, entry_id=entry_id, progress=progress,
                                                       note=note, created_at=now))
            # 100 % reaches the goal; less takes a reached goal back to agreed; otherwise the status stays.
            status = "reached" if progress >= 100 else "agreed" if goal.status == "reached" else goal.status
            conn.execute(goals.update().where(goals.c.id == goal_id).values(
                progress=progress, status=status, updated_at=now))
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

    def pairs_in_force(self, cohort_id: str, *, coach_id: str | None = None, mentee_id: str | None = None,
                       include_inactive: bool = False) -> list[Pairing]:
        """Who is whose coach now: the one source of truth for pairs.

        The pairings in force (``active`` and ``fixed``, as ``workbook match --apply`` stores
        them), and for every mentee without one the roster's ``coach`` column as a pair of status
        ``roster`` (id 0, made when the roster first named that coach). Roster pairs of members
        no longer active are left out unless ``include_inactive``. Ordered by coach, then mentee.
        """
        stored = self.find_pairings(cohort_id)
        paired = {p.mentee_id for p in stored}
        q = (sa.select(memberships.c.person_id, memberships.c.coach_id, memberships.c.coach_since,
                       memberships.c.created_at)
             .where((memberships.c.cohort_id == cohort_id) & memberships.c.coach_id.is_not(None)))
        if not include_inactive:
            q = q.where(memberships.c.active == sa.true())
        with self._read() as conn:
            rows = conn.execute(q).all()
        roster = [Pairing(0, cohort_id, r.coach_id, r.person_id, "roster", None, ("the roster names this coach",),
                          r.coach_since or r.created_at)
                  for r in rows if r.person_id not in paired and r.coach_id != r.person_id]
        out = [p for p in [*stored, *roster]
               if (coach_id is None or p.coach_id == coach_id) and (mentee_id is None or p.mentee_id == mentee_id)]
        return sorted(out, key=lambda p: (p.coach_id, p.mentee_id))

    def coaches_of(self, cohort_id: str, mentee_id: str) -> set[str]:
        """Everyone who coaches this mentee: the pairs in force (:meth:`pairs_in_force`).

        Once matching pairs a mentee, the pairing decides; the roster's ``coach`` column is the
        fallback, so a mentee moved to another mentor is no longer read by the old one.
        """
        return {p.coach_id for p in self.pairs_in_force(cohort_id, mentee_id=mentee_id, include_inactive=True)}

    def mentees_of(self, cohort_id: str, coach_id: str) -> list[str]:
        """Everyone this coach coaches in the cohort (:meth:`pairs_in_force`), sorted."""
        return sorted({p.mentee_id for p in self.pairs_in_force(cohort_id, coach_id=coach_id)})

    # --- check-in schedule and pulse ------------------------------------------------------
    def set_checkin_plan(self, cohort_id: str, coach_id: str, mentee_id: str, next_date: dt.date, set_by: str,
                         at: dt.datetime | None = None) -> CheckinPlan:
        """Schedule a pair's next check-in (replaces an earlier date)."""
        now = at or utcnow()
        key = ((checkin_plans.c.cohort_id == cohort_id) & (checkin_plans.c.coach_id == coach_id)
               & (checkin_plans.c.mentee_id == mentee_id))
        with self._write() as conn:
            done = conn.execute(checkin_plans.update().where(key).values(next_date=next_date, set_by=set_by,
                                                                         updated_at=now))
            if done.rowcount == 0:
                conn.execute(checkin_plans.insert().values(cohort_id=cohort_id, coach_id=coach_id,
                                                           mentee_id=mentee_id, next_date=next_date, set_by=set_by,
                                                           updated_at=now))
        return CheckinPlan(cohort_id, coach_id, mentee_id, next_date, set_by, now)

    def find_checkin_plans(self, cohort_id: str) -> list[CheckinPlan]:
        """Scheduled check-ins of a cohort."""
        with self._read() as conn:
            return [record(CheckinPlan, r) for r in conn.execute(
                sa.select(checkin_plans).where(checkin_plans.c.cohort_id == cohort_id))]

    def add_pulse(self, cohort_id: str, coach_id: str, mentee_id: str, answer: str,
                  at: dt.datetime | None = None) -> Pulse:
        """A mentee's pulse about a pair: once per pair (a second one is refused, nothing changed)."""
        twice = ValidationError("you already answered this question", [FieldProblem(
            "pulse", "the pulse is asked once per mentor; talk to your facilitator if things changed")])
        if self.find_pulses(cohort_id, coach_id=coach_id, mentee_id=mentee_id):
            raise twice
        now = at or utcnow()
        try:
            with self._write() as conn:
                pid = insert_id(conn, pulses.insert().values(cohort_id=cohort_id, coach_id=coach_id,
                                                             mentee_id=mentee_id, answer=answer, created_at=now))
        except StoreError:
            if self.find_pulses(cohort_id, coach_id=coach_id, mentee_id=mentee_id):
                raise twice from None  # a second click won the race
            raise
        return Pulse(pid, cohort_id, coach_id, mentee_id, answer, now)

    def find_pulses(self, cohort_id: str, *, coach_id: str | None = None,
                    mentee_id: str | None = None) -> list[Pulse]:
        """Pulse answers of a cohort (of one pair side), oldest first."""
        q = sa.select(pulses).where(pulses.c.cohort_id == cohort_id).order_by(pulses.c.created_at, pulses.c.id)
        if coach_id:
            q = q.where(pulses.c.coach_id == coach_id)
        if mentee_id:
            q = q.where(pulses.c.mentee_id == mentee_id)
        with self._read() as conn:
            return [record(Pulse, r) for r in conn.execute(q)]

    # --- kudos and milestones -------------------------------------------------------------
    def add_kudos(self, cohort_id: str, from_id: str, to_id: str, message: str,
                  at: dt.datetime | None = None, *, visibility: str = "receiver",
                  notice: NoticeText | None = None) -> int:
        """Peer recognition from one member to another (who may: :func:`workbook.kudos.give_kudos`)."""
        _check_text("kudos", message, 2000)
        if from_id == to_id:
            raise ValidationError("kudos to oneself", [FieldProblem("to", "pick someone else")])
        if visibility not in KUDOS_VISIBILITIES:
            raise ValidationError("unknown kudos audience", [FieldProblem("visibility",
                                                                          f"use one of {KUDOS_VISIBILITIES}")])
        self.get_membership(cohort_id, from_id)
        self.get_membership(cohort_id, to_id)
        now = at or utcnow()
        with self._write() as conn:
            kid = int(insert_id(conn, kudos.insert().values(cohort_id=cohort_id, from_id=from_id, to_id=to_id,
                                                             message=message, visibility=visibility,
                                                             created_at=now)))
            _notify(conn, cohort_id, notice, now)
        return kid

    def get_kudos(self, kudos_id: int) -> Kudos:
        """Kudos by id."""
        with self._read() as conn:
            row = conn.execute(sa.select(kudos).where(kudos.c.id == kudos_id)).first()
        if row is None:
            raise NotFoundError("kudos", kudos_id)
        return record(Kudos, row)

    def find_kudos(self, cohort_id: str, *, to_id: str | None = None, from_id: str | None = None,
                   visibility: str | None = None) -> list[Kudos]:
        """Kudos in a cohort (received by / given by one person, of one audience), oldest first."""
        q = sa.select(kudos).where(kudos.c.cohort_id == cohort_id).order_by(kudos.c.created_at, kudos.c.id)
        if to_id:
            q = q.where(kudos.c.to_id == to_id)
        if from_id:
            q = q.where(kudos.c.from_id == from_id)
        if visibility:
            q = q.where(kudos.c.visibility == visibility)
        with self._read() as conn:
            return [record(Kudos, r) for r in conn.execute(q)]

    def add_milestone(self, cohort_id: str, person_id: str, title: str, *, entry_id: int | None = None,
                      at: dt.datetime | None = None, rule: str | None = None, recorded_by: str | None = None,
                      due: dt.date | None = None, notice: NoticeText | None = None) -> int:
        """Record a milestone a person reached; returns its id.

        With ``rule``, at most one per rule and person: when that rule already recorded one the
        existing id is returned and nothing changes (so rules may be evaluated any number of times).
        """
        _check_text("milestone", title, 300)
        self.get_membership(cohort_id, person_id)
        now = at or utcnow()

        def existing() -> int | None:
            if rule is None:
                return None
            with self._read() as conn:
                return conn.execute(sa.select(milestones.c.id).where(
                    (milestones.c.cohort_id == cohort_id) & (milestones.c.person_id == person_id)
                    & (milestones.c.rule == rule))).scalar()

        found = existing()
        if found is not None:
            return int(found)
        try:
            with self._write() as conn:
                mid = int(insert_id(conn, milestones.insert().values(
                    cohort_id=cohort_id, person_id=person_id, title=title, entry_id=entry_id, achieved_at=now,
                    rule=rule, recorded_by=recorded_by, due=due)))
                _notify(conn, cohort_id, notice, now)
                return mid
        except StoreError:
            found = existing()  # another save recorded the same rule's milestone at the same moment
            if found is None:
                raise
            return int(found)

    def get_milestone(self, milestone_id: int) -> Milestone:
        """A milestone by id."""
        with self._read() as conn:
            row = conn.execute(sa.select(milestones).where(milestones.c.id == milestone_id)).first()
        if row is None:
            raise NotFoundError("milestone", milestone_id)
        return record(Milestone, row)

    def find_milestones(self, cohort_id: str, person_id: str | None = None) -> list[Milestone]:
        """Milestones in a cohort (of one person), oldest first."""
        q = (sa.select(milestones).where(milestones.c.cohort_id == cohort_id)
             .order_by(milestones.c.achieved_at, milestones.c.id))
        if person_id:
            q = q.where(milestones.c.person_id == person_id)
        with self._read() as conn:
            return [record(Milestone, r) for r in conn.execute(q)]

    # --- notices and visits ---------------------------------------------------------------
    def add_notice(self, cohort_id: str, person_id: str, kind: str, text: str, *, link_page: str = "home",
                   actor_id: str | None = None, at: dt.datetime | None = None) -> None:
        """Tell a person something on their home page."""
        with self._write() as conn:
            _notify(conn, cohort_id, (person_id, kind, actor_id, text, link_page), at or utcnow())

    def find_notices(self, cohort_id: str, person_id: str, *, unseen_only: bool = True) -> list[Notice]:
        """A person's notices, newest first (by default only the ones not yet seen)."""
        q = (sa.select(notices).where((notices.c.cohort_id == cohort_id) & (notices.c.person_id == person_id))
             .order_by(notices.c.created_at.desc(), notices.c.id.desc()))
        if unseen_only:
            q = q.where(notices.c.seen_at.is_(None))
        with self._read() as conn:
            return [record(Notice, r) for r in conn.execute(q)]

    def mark_notices_seen(self, cohort_id: str, person_id: str, at: dt.datetime | None = None) -> int:
        """Mark every notice of a person seen; returns how many were new."""
        with self._write() as conn:
            return int(conn.execute(notices.update().where(
                (notices.c.cohort_id == cohort_id) & (notices.c.person_id == person_id)
                & notices.c.seen_at.is_(None)).values(seen_at=at or utcnow())).rowcount)

    def record_visit(self, cohort_id: str, person_id: str, page: str,
                     at: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime | None]:
        """Record a visit of ``page``; returns (this visit, the one before or None)."""
        now = at or utcnow()
        key = (visits.c.cohort_id == cohort_id) & (visits.c.person_id == person_id) & (visits.c.page == page)
        with self._write() as conn:
            row = conn.execute(sa.select(visits.c.last_at).where(key)).first()
            if row is None:
                conn.execute(visits.insert().values(cohort_id=cohort_id, person_id=person_id, page=page,
                                                    last_at=now, previous_at=None))
                return now, None
            conn.execute(visits.update().where(key).values(last_at=now, previous_at=row.last_at))
            return now, row.last_at

    def get_visit(self, cohort_id: str, person_id: str, page: str) -> tuple[dt.datetime | None, dt.datetime | None]:
        """(latest visit, the one before) of ``page``; (None, None) before any."""
        with self._read() as conn:
            row = conn.execute(sa.select(visits.c.last_at, visits.c.previous_at).where(
                (visits.c.cohort_id == cohort_id) & (visits.c.person_id == person_id)
                & (visits.c.page == page))).first()
        return (row.last_at, row.previous_at) if row else (None, None)
