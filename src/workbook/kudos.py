"""Kudos: thanking someone in the cohort for something specific, shared with the cohort (the kudos
wall) or only with them. Who may give and see them is asked of :mod:`workbook.access`."""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from . import access
from .access import Viewer
from .errors import FieldProblem, NotFoundError, ValidationError
from .store.models import Kudos
from .text import bad_character

if TYPE_CHECKING:
    from .store import Store

__all__ = ["Kudos", "MESSAGE_LIMIT", "give_kudos", "kudos_received", "kudos_given", "kudos_wall"]

#: Kudos are short: one specific thing.
MESSAGE_LIMIT = 500


def give_kudos(store: "Store", viewer: Viewer, to_id: str, message: str, *, shared_with_cohort: bool,
               now: dt.datetime | None = None) -> Kudos:
    """Thank ``to_id`` for something specific; the receiver is told on their home page.

    Refused with a clear message and nothing stored: kudos to yourself, to someone who is not an
    active member of your cohort, an empty message, one over :data:`MESSAGE_LIMIT` characters.
    """
    access.check_give_kudos(store, viewer)
    problems = []
    text = (message or "").strip()
    if to_id == viewer.person_id:
        problems.append(FieldProblem("to", "you cannot give kudos to yourself; pick someone else"))
    else:
        try:
            receiver = store.get_membership(viewer.cohort_id, to_id)
        except NotFoundError:
            receiver = None
        if receiver is None or not receiver.active:
            problems.append(FieldProblem("to", f"{to_id!r} is not in your cohort; pick someone from it"))
    if not text:
        problems.append(FieldProblem("message", "say what you are thanking them for"))
    elif len(text) > MESSAGE_LIMIT:
        problems.append(FieldProblem("message", f"is {len(text):,} characters long; the limit is {MESSAGE_LIMIT}: "
                                                "keep it to one specific thing"))
    elif bad_character(text):
        problems.append(FieldProblem("message", str(bad_character(text))))
    if problems:
        raise ValidationError("the kudos were not sent", problems)
    giver = store.member_names(viewer.cohort_id).get(viewer.person_id, "Someone")
    kid = store.add_kudos(viewer.cohort_id, viewer.person_id, to_id, text, at=now,
                          visibility="cohort" if shared_with_cohort else "receiver",
                          notice=(to_id, "kudos", viewer.person_id, f"{giver} gave you kudos", "kudos"))
    return store.get_kudos(kid)


def kudos_received(store: "Store", viewer: Viewer) -> list[Kudos]:
    """The kudos the viewer received, newest first."""
    return [k for k in reversed(store.find_kudos(viewer.cohort_id, to_id=viewer.person_id))
            if access.can_see_kudos(viewer, k)]


def kudos_given(store: "Store", viewer: Viewer) -> list[Kudos]:
    """The kudos the viewer gave, newest first."""
    return [k for k in reversed(store.find_kudos(viewer.cohort_id, from_id=viewer.person_id))
            if access.can_see_kudos(viewer, k)]


def kudos_wall(store: "Store", viewer: Viewer) -> list[Kudos]:
    """The cohort's kudos wall: kudos shared with the cohort, newest first (any member)."""
    access.check_give_kudos(store, viewer)  # a member of the cohort (the same rule as giving)
    return [k for k in reversed(store.find_kudos(viewer.cohort_id))
            if access.is_on_kudos_wall(k) and access.can_see_kudos(viewer, k)]
