"""The roster import's writes: cohort, people, memberships and the erasure records they respect, at once."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from .core import StoreBase
from .models import Cohort, Membership, RosterImport
from .people import check_cohort, deactivate_others, write_cohort, write_members
from .privacy import close_erasures, open_erasures


class RosterMixin(StoreBase):
    """The one verb a roster import calls."""

    if TYPE_CHECKING:  # from EntriesMixin (see StoreBase)
        def forget_catalogue(self) -> None: ...

    def import_roster(self, cohort: Cohort, members: Sequence[Membership], *, readmit: Iterable[str] = (),
                      readmitted_by: str | None = None) -> RosterImport:
        """Create or update a cohort and its people from a parsed roster, in ONE write transaction.

        ``members`` is the whole roster: active members it no longer lists are deactivated. People
        erased from the cohort stay erased (skipped, and nobody's coach or manager any more) unless
        ``readmit`` names them: their erasure record is then closed and they are imported again.
        """
        check_cohort(cohort)
        ids = [m.person_id for m in members]
        with self._write() as conn:
            write_cohort(conn, cohort)
            readmitted = close_erasures(conn, cohort.id, readmit, readmitted_by=readmitted_by)
            # An erased person stays erased: a roster that still lists them brings nothing of them back.
            skipped = {p: e.erased_at for p, e in open_erasures(conn, cohort.id, ids).items()}
            if skipped:
                members = [replace(m, coach_id=None if m.coach_id in skipped else m.coach_id,
                                   manager="" if m.manager in skipped else m.manager)
                           for m in members if m.person_id not in skipped]
            created, updated = write_members(conn, cohort.id, members)
            gone = deactivate_others(conn, cohort.id, ids)
        self.forget_catalogue()  # the cohort's custom templates may have changed
        return RosterImport(created, updated, gone, skipped, tuple(readmitted))
