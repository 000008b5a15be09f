"""The store: every read and write of workbook data goes through :class:`Store`.

SQLite (a file, the default) and PostgreSQL (``postgresql+psycopg://``) share one code path.
"""
from __future__ import annotations

from .core import StoreBase, head_revision, utcnow
from .entries import EntriesMixin, EntryDraft, EntryFilters, exercise_digest
from .mail import MailMixin
from .mentoring import MentoringMixin
from .models import (ROLES, VISIBILITIES, AccessGrant, ActionItem, Cohort, Comment, Entry, Goal, GoalProgress,
                     Kudos, Membership, Milestone, Pairing, Person, RetroCard, RetroGroup, Revision, RosterImport,
                     Session)
from .models import ActionEvent, RetroStateRow, RetroVote
from .people import PeopleMixin
from .privacy import Erasure, ExportRecord, PrivacyMixin, Wipe, person_hash
from .retro import RetroMixin
from .roster import RosterMixin
from .tokens import TokensMixin


class Store(PeopleMixin, EntriesMixin, MentoringMixin, RetroMixin, TokensMixin, PrivacyMixin, RosterMixin,
            MailMixin, StoreBase):
    """Open a workbook database: ``Store()`` uses ``WORKBOOK_DB_URL`` or ``./workbook.db``.

    A fresh (empty) database gets the current schema; an older one asks for
    ``workbook db upgrade``; a newer one is refused with a clear message.
    """


def open_store(db_url: str | None = None, *, create: bool = True) -> Store:
    """Open the store at ``db_url`` (default from settings)."""
    return Store(db_url, create=create)


__all__ = ["Store", "open_store", "head_revision", "utcnow", "EntryDraft", "EntryFilters", "exercise_digest", "ROLES",
           "VISIBILITIES", "AccessGrant", "ActionItem", "Cohort", "Comment", "Entry", "Goal", "GoalProgress", "Kudos",
           "Membership", "Milestone", "Pairing", "Person", "RetroCard", "RetroGroup", "Revision", "RosterImport",
           "Session", "ActionEvent", "RetroStateRow", "RetroVote", "Erasure", "ExportRecord", "Wipe", "person_hash"]
