"""The send log of :mod:`workbook.mail` (what went to whom, never a key) and the keys a mail carries."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa

from .core import StoreBase, utcnow
from .models import SentMessage
from .schema import access_tokens, sent_messages


def _sent(row: sa.Row) -> SentMessage:  # type: ignore[type-arg]
    return SentMessage(id=row.id, cohort_id=row.cohort_id, person_id=row.person_id, kind=row.kind, about=row.about,
                       address=row.address, message_id=row.message_id, sent_at=row.sent_at)


class MailMixin(StoreBase):
    """Verbs for sending mail: the send log, and a key added for a mail without ending the member's others."""

    def sent_keys(self, cohort_id: str, kind: str) -> set[tuple[str, str]]:
        """(person, about) pairs already logged for ``kind`` in the cohort: what a re-run must not send again."""
        q = sa.select(sent_messages.c.person_id, sent_messages.c.about).where(
            (sent_messages.c.cohort_id == cohort_id) & (sent_messages.c.kind == kind))
        with self._read() as conn:
            return {(r.person_id, r.about) for r in conn.execute(q)}

    def log_sent(self, cohort_id: str, kind: str, person_id: str, abouts: Iterable[str], *, address: str,
                 message_id: str, sent_at: dt.datetime | None = None) -> int:
        """Record that one message (``message_id``) went to ``person_id`` covering ``abouts``; returns rows added.

        Rows already there (a concurrent run) are left as they are.
        """
        when = sent_at or utcnow()
        wanted = list(dict.fromkeys(abouts))
        added = 0
        with self._write() as conn:
            have = {r.about for r in conn.execute(sa.select(sent_messages.c.about).where(
                (sent_messages.c.cohort_id == cohort_id) & (sent_messages.c.kind == kind)
                & (sent_messages.c.person_id == person_id) & sent_messages.c.about.in_(wanted)))}
            rows = [dict(cohort_id=cohort_id, person_id=person_id, kind=kind, about=a, address=address,
                         message_id=message_id, sent_at=when) for a in wanted if a not in have]
            if rows:
                conn.execute(sent_messages.insert(), rows)
                added = len(rows)
        return added

    def find_sent(self, cohort_id: str, *, person_id: str | None = None, kind: str | None = None) -> list[SentMessage]:
        """The send log of a cohort (of one person, of one kind), oldest first."""
        q = sa.select(sent_messages).where(sent_messages.c.cohort_id == cohort_id)
        if person_id is not None:
            q = q.where(sent_messages.c.person_id == person_id)
        if kind is not None:
            q = q.where(sent_messages.c.kind == kind)
        with self._read() as conn:
            return [_sent(r) for r in conn.execute(q.order_by(sent_messages.c.sent_at, sent_messages.c.id))]

    def add_token(self, token_hash: str, person_id: str, cohort_id: str, role: str,
                  expires_at: dt.datetime | None) -> None:
        """Store one more token hash for a member; their earlier tokens keep working (revoking is explicit)."""
        with self._write() as conn:
            conn.execute(access_tokens.insert().values(token_hash=token_hash, person_id=person_id,
                                                       cohort_id=cohort_id, role=role, created_at=utcnow(),
                                                       expires_at=expires_at))

    def drop_token(self, token_hash: str) -> int:
        """Delete a token that never reached its holder (its mail was refused); returns rows deleted."""
        with self._write() as conn:
            return int(conn.execute(access_tokens.delete().where(access_tokens.c.token_hash == token_hash)).rowcount)
