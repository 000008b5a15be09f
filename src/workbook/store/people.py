"""Cohorts, people and memberships."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from ..errors import NotFoundError, ValidationError, FieldProblem
from .core import StoreBase, utcnow
from .models import ROLES, VISIBILITIES, Cohort, Membership, Person
from .schema import cohorts, memberships, people


def _cohort(row: Any) -> Cohort:
    return Cohort(id=row.id, name=row.name, timezone=row.timezone, min_group_size=row.min_group_size,
                  default_visibility=row.default_visibility, settings=dict(row.settings or {}))


def _membership(row: Any) -> Membership:
    return Membership(
        cohort_id=row.cohort_id, person_id=row.person_id, name=row.name, email=row.email, role=row.role,
        coach_id=row.coach_id, skills=tuple(row.skills or ()), aspirations=tuple(row.aspirations or ()),
        timezone=row.timezone, languages=tuple(row.languages or ()), capacity=row.capacity,
        manager=row.manager or "", active=bool(row.active), coach_since=row.coach_since,
    )


_MEMBER_COLS: tuple[Any, ...] = (memberships, people.c.name, people.c.email)


def member_not_found(cohort_id: str, person_id: str) -> NotFoundError:
    """The error for someone who is not (or no longer) a member of the cohort."""
    return NotFoundError("member", f"{cohort_id}/{person_id}",
                         f"run `workbook people {cohort_id}` to see who is in the cohort")


def check_cohort(cohort: Cohort) -> None:
    """Refuse cohort settings the store cannot work with (before any SQL)."""
    problems = []
    if cohort.default_visibility not in VISIBILITIES:
        problems.append(FieldProblem("default_visibility", f"must be one of {', '.join(VISIBILITIES)}"))
    if cohort.min_group_size < 1:
        problems.append(FieldProblem("min_group_size", "must be 1 or more"))
    if problems:
        raise ValidationError(f"cohort {cohort.id!r} settings are invalid", problems)


def write_cohort(conn: sa.Connection, cohort: Cohort) -> None:
    """Create or update a cohort by id, in the caller's transaction (checked by :func:`check_cohort`)."""
    now = utcnow()
    values = dict(name=cohort.name, timezone=cohort.timezone, min_group_size=cohort.min_group_size,
                  default_visibility=cohort.default_visibility, settings=cohort.settings, updated_at=now)
    done = conn.execute(cohorts.update().where(cohorts.c.id == cohort.id).values(**values))
    if done.rowcount == 0:
        conn.execute(cohorts.insert().values(id=cohort.id, created_at=now, **values))


def write_members(conn: sa.Connection, cohort_id: str, members: Sequence[Membership]) -> tuple[int, int]:
    """Create or update people and their memberships by stable id, in the caller's transaction.

    Returns (created, updated) memberships; an unknown role raises, and the transaction rolls back.
    """
    now = utcnow()
    existing_people = {r.id for r in conn.execute(
        sa.select(people.c.id).where(people.c.id.in_([m.person_id for m in members])))}
    existing_members = {r.person_id: r.coach_id for r in conn.execute(
        sa.select(memberships.c.person_id, memberships.c.coach_id).where(memberships.c.cohort_id == cohort_id))}
    created = updated = 0
    for m in members:
        if m.role not in ROLES:
            raise ValidationError(f"unknown role {m.role!r}", [FieldProblem("role", f"use one of {', '.join(ROLES)}")])
        pvals = dict(name=m.name, email=m.email, updated_at=now)
        if m.person_id in existing_people:
            conn.execute(people.update().where(people.c.id == m.person_id).values(**pvals))
        else:
            conn.execute(people.insert().values(id=m.person_id, created_at=now, **pvals))
        mvals = dict(role=m.role, coach_id=m.coach_id or None, skills=list(m.skills),
                     aspirations=list(m.aspirations), timezone=m.timezone, languages=list(m.languages),
                     capacity=m.capacity, manager=m.manager, active=m.active, updated_at=now)
        # The roster's coach column is a pairing in force (see MentoringMixin.pairs_in_force) from
        # the moment it names this coach: a changed coach starts a new pair.
        if (m.coach_id or None) != existing_members.get(m.person_id):
            mvals["coach_since"] = now if m.coach_id else None
        if m.person_id in existing_members:
            conn.execute(memberships.update().where(
                (memberships.c.cohort_id == cohort_id) & (memberships.c.person_id == m.person_id)).values(**mvals))
            updated += 1
        else:
            conn.execute(memberships.insert().values(cohort_id=cohort_id, person_id=m.person_id,
                                                     created_at=now, **mvals))
            created += 1
    return created, updated


def deactivate_others(conn: sa.Connection, cohort_id: str, person_ids: Iterable[str]) -> int:
    """Mark inactive every active member of the cohort not in ``person_ids``; returns how many."""
    return int(conn.execute(memberships.update().where(
        (memberships.c.cohort_id == cohort_id) & memberships.c.person_id.not_in(list(person_ids))
        & (memberships.c.active == sa.true())).values(active=False)).rowcount)


class PeopleMixin(StoreBase):
    """Verbs for cohorts, people and who belongs where in which role."""

    def save_cohort(self, cohort: Cohort) -> Cohort:
        """Create or update a cohort by id."""
        check_cohort(cohort)
        with self._write() as conn:
            write_cohort(conn, cohort)
        return cohort

    def get_cohort(self, cohort_id: str) -> Cohort:
        """The cohort with this id; :class:`NotFoundError` names it if missing."""
        with self._read() as conn:
            row = conn.execute(sa.select(cohorts).where(cohorts.c.id == cohort_id)).first()
        if row is None:
            raise NotFoundError("cohort", cohort_id, "run `workbook cohort list` to see the cohorts, "
                                "or `workbook cohort import DIR` to add one")
        return _cohort(row)

    def find_cohorts(self) -> list[Cohort]:
        """Every cohort, by id."""
        with self._read() as conn:
            return [_cohort(r) for r in conn.execute(sa.select(cohorts).order_by(cohorts.c.id))]

    def save_members(self, cohort_id: str, members: Sequence[Membership]) -> tuple[int, int]:
        """Create or update people and their memberships by stable id; returns (created, updated).

        All or nothing. A whole roster goes through :meth:`import_roster`, which also respects
        erasures and deactivates whoever left.
        """
        with self._write() as conn:
            return write_members(conn, cohort_id, members)

    def get_person(self, person_id: str) -> Person:
        """The person with this id."""
        with self._read() as conn:
            row = conn.execute(sa.select(people).where(people.c.id == person_id)).first()
        if row is None:
            raise NotFoundError("person", person_id, "check the id in the roster")
        return Person(id=row.id, name=row.name, email=row.email)

    def get_membership(self, cohort_id: str, person_id: str) -> Membership:
        """This person's membership of this cohort (role, coach, profile)."""
        with self._read() as conn:
            row = conn.execute(sa.select(*_MEMBER_COLS).join(people, people.c.id == memberships.c.person_id)
                               .where((memberships.c.cohort_id == cohort_id)
                                      & (memberships.c.person_id == person_id))).first()
        if row is None:
            raise member_not_found(cohort_id, person_id)
        return _membership(row)

    def find_memberships_of_user(self, user: str) -> list[Membership]:
        """Active memberships of whoever an authenticating proxy calls ``user``: the person whose id,
        else whose email, equals it (case-insensitive), in every cohort; by cohort, then person.

        Ids are matched first: when some person's id matches, emails are not looked at.
        """
        name = user.strip().lower()
        if not name:
            return []
        base = (sa.select(*_MEMBER_COLS).join(people, people.c.id == memberships.c.person_id)
                .where(memberships.c.active == sa.true())
                .order_by(memberships.c.cohort_id, memberships.c.person_id))
        with self._read() as conn:
            rows = conn.execute(base.where(sa.func.lower(people.c.id) == name)).all()
            if not rows:
                rows = conn.execute(base.where(sa.func.lower(people.c.email) == name)).all()
        return [_membership(r) for r in rows]

    def member_names(self, cohort_id: str) -> dict[str, str]:
        """Person id -> display name for every member of the cohort, past members included (old
        entries, pairs and action items still read well)."""
        with self._read() as conn:
            rows = conn.execute(sa.select(memberships.c.person_id, people.c.name)
                                .join(people, people.c.id == memberships.c.person_id)
                                .where(memberships.c.cohort_id == cohort_id))
            return {r.person_id: r.name for r in rows}

    def find_members(self, cohort_id: str, role: str | Iterable[str] | None = None,
                     active_only: bool = True) -> list[Membership]:
        """Members of a cohort, optionally of one or more roles, ordered by id."""
        q = (sa.select(*_MEMBER_COLS).join(people, people.c.id == memberships.c.person_id)
             .where(memberships.c.cohort_id == cohort_id).order_by(memberships.c.person_id))
        if role is not None:
            roles = [role] if isinstance(role, str) else list(role)
            q = q.where(memberships.c.role.in_(roles))
        if active_only:
            q = q.where(memberships.c.active == sa.true())
        with self._read() as conn:
            return [_membership(r) for r in conn.execute(q)]
