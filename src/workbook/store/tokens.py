"""Access tokens: stored only as hashes (hashing and the checks live in :mod:`workbook.access`)."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from .core import StoreBase, utcnow
from .models import AccessGrant
from .schema import access_tokens, memberships


class TokensMixin(StoreBase):
    """Verbs for personal links' tokens: save, revoke, look up."""

    def save_token(self, token_hash: str, person_id: str, cohort_id: str, role: str,
                   expires_at: dt.datetime | None) -> None:
        """Store a token hash, revoking this person's earlier tokens for the cohort."""
        now = utcnow()
        with self._write() as conn:
            conn.execute(access_tokens.update().where(
                (access_tokens.c.person_id == person_id) & (access_tokens.c.cohort_id == cohort_id)
                & access_tokens.c.revoked_at.is_(None)).values(revoked_at=now))
            conn.execute(access_tokens.insert().values(token_hash=token_hash, person_id=person_id,
                                                       cohort_id=cohort_id, role=role, created_at=now,
                                                       expires_at=expires_at))

    def revoke_tokens(self, cohort_id: str, person_id: str) -> int:
        """Revoke every live token of a person in a cohort; returns how many."""
        with self._write() as conn:
            return int(conn.execute(access_tokens.update().where(
                (access_tokens.c.person_id == person_id) & (access_tokens.c.cohort_id == cohort_id)
                & access_tokens.c.revoked_at.is_(None)).values(revoked_at=utcnow())).rowcount)

    def lookup_token(self, token_hash: str, at: dt.datetime) -> AccessGrant | None:
        """The grant of a live token hash, or None when unknown, revoked, expired, or its holder
        is no longer an active member of the cohort (removed from the roster)."""
        q = (sa.select(access_tokens, memberships.c.active, memberships.c.role.label("member_role"))
             .join(memberships, (memberships.c.cohort_id == access_tokens.c.cohort_id)
                   & (memberships.c.person_id == access_tokens.c.person_id))
             .where(access_tokens.c.token_hash == token_hash))
        with self._read() as conn:
            row = conn.execute(q).first()
        if row is None or row.revoked_at is not None or not row.active \
                or (row.expires_at is not None and row.expires_at <= at):
            return None
        return AccessGrant(person_id=row.person_id, cohort_id=row.cohort_id, role=row.role, expires_at=row.expires_at,
                           member_role=row.member_role)
