"""Who may see what: the one module that makes access decisions. Every surface calls it.

Rules (an entry's ``visibility``):
- ``private``: its author only. Nobody else, not a coach, not a facilitator.
- ``coach``: its author and the author's coaches in that cohort (roster coach or a pairing in force).
- ``cohort``: every member of the cohort (participants, coaches, facilitators).
Released coach comments are shown to the entry's author; unreleased ones only to their writer.
Facilitators see aggregates of everything but free text only where shared with the cohort.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Unpack

from .errors import AccessDenied, FieldProblem, ValidationError
from .store.core import utcnow
from .store.models import (ROLES, AccessGrant, ActionItem, Comment, Entry, Goal, GoalProgress, Kudos, RetroCard,
                           Session)

if TYPE_CHECKING:
    import pandas as pd

    from .store import EntryFilters, Store

#: The query-string parameter carrying a personal link's secret. Not ``token``: Voila's own
#: ``--token`` login would intercept it and redirect to /login.
LINK_PARAMETER = "key"
TOKEN_BYTES = 24
#: What a missing, wrong, expired, revoked or forged link (or viewer assertion) is told, whichever it was.
LINK_REFUSED = ("This link is not valid (it may have expired or been replaced). "
                "Ask your facilitator for a new personal link.")


@dataclass(frozen=True)
class Viewer:
    """Somebody looking at the kit: a person with a role in a cohort."""

    person_id: str
    cohort_id: str
    role: str


def hash_token(token: str) -> str:
    """The stored form of a token (SHA-256 hex). Tokens are long random strings, so no salt is needed."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(store: "Store", cohort_id: str, person_id: str, role: str | None = None,
                expires_in: dt.timedelta | None = None, *, replace: bool = True) -> str:
    """Create a fresh random token for a member; earlier tokens of theirs stop working
    (with ``replace=False`` they keep working: an invitation adds a link, revoking is explicit).

    The token itself is returned once and never stored; only its hash is.
    """
    member = store.get_membership(cohort_id, person_id)
    role = role or member.role
    if role not in ROLES:
        raise ValidationError("unknown role", [FieldProblem("role", f"use one of {', '.join(ROLES)}")])
    if role != member.role and not (member.role == "facilitator"):
        raise AccessDenied(f"{person_id!r} is a {member.role} in {cohort_id!r}; a {role} link would grant more "
                           "than the roster says. Change the roster first")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires = utcnow() + expires_in if expires_in is not None else None
    if replace:
        store.save_token(hash_token(token), person_id, cohort_id, role, expires)
    else:
        store.add_token(hash_token(token), person_id, cohort_id, role, expires)
    return token


def revoke(store: "Store", cohort_id: str, person_id: str) -> int:
    """Revoke a member's links; returns how many were live."""
    store.get_membership(cohort_id, person_id)
    return store.revoke_tokens(cohort_id, person_id)


def authenticate(store: "Store", token: str | None, *, require_role: Iterable[str] | None = None) -> Viewer:
    """The viewer a link's token stands for, or :class:`AccessDenied` with a friendly message.

    A missing, wrong, expired or revoked token all get the same message: it must not tell an
    attacker which of them it was.
    """
    message = LINK_REFUSED
    if not token or len(token) > 200:
        raise AccessDenied(message)
    grant: AccessGrant | None = store.lookup_token(hash_token(token), utcnow())
    if grant is None:
        raise AccessDenied(message)
    viewer = Viewer(grant.person_id, grant.cohort_id, grant.role)
    # A link grants no more than the roster says now (as when it was issued): a facilitator
    # moved back to participant loses the facilitator pages of an older link.
    if viewer.role != grant.member_role and grant.member_role != "facilitator":
        raise AccessDenied(message)
    if require_role is not None and viewer.role not in set(require_role):
        raise AccessDenied("This page is not available with your link.")
    return viewer


def viewer_for(store: "Store", cohort_id: str, person_id: str) -> Viewer:
    """The viewer for a member already authenticated elsewhere, with the role the roster gives them.

    For notebooks opened in JupyterLab by a coach or facilitator. The forms server behind an
    authenticating proxy uses :func:`trusted_viewer` (a user header, only from the proxy's address).
    """
    m = store.get_membership(cohort_id, person_id)
    return Viewer(person_id, cohort_id, m.role)


# --- a trusted authenticating proxy (JupyterHub, oauth2-proxy, a web server's auth) in front ---------
#: The query parameter by which the forms server hands a proxy-authenticated viewer to the page's
#: kernel, signed (:func:`sign_viewer`); the server replaces any such parameter a client sent.
ASSERTION_PARAMETER = "wb_viewer"
#: Environment variable with the forms server's secret for viewer assertions (its kernels inherit it).
ASSERTION_SECRET_ENV = "WORKBOOK_VIEWER_SECRET"
#: How long an assertion is good for: from the request to the kernel building the page (a kernel
#: started under a room's load can take a minute); the page then re-checks the roster on every save.
ASSERTION_TTL = dt.timedelta(minutes=10)
_MIN_SECRET = 32


def trusted_proxies(addresses: Iterable[str]) -> tuple[Any, ...]:
    """The proxy addresses or networks a server is told to trust (``127.0.0.1``, ``::1``, ``10.0.0.0/24``).

    Raises :class:`ValueError` naming a malformed one (the server refuses to start).
    """
    import ipaddress

    out = []
    for text in addresses:
        try:
            out.append(ipaddress.ip_network(text.strip(), strict=False))
        except ValueError:
            raise ValueError(f"--trusted-proxy {text!r} is not an IP address or network") from None
    return tuple(out)


def is_trusted_proxy(remote_ip: str | None, proxies: Iterable[Any]) -> bool:
    """Whether a request's peer address (the socket's, never a forwarded-for header) is a trusted proxy's.

    ``proxies`` as :func:`trusted_proxies` returns them; an IPv4 address seen as IPv6 (``::ffff:a.b.c.d``)
    counts as the IPv4 one. No proxies: nobody is trusted.
    """
    import ipaddress

    try:
        address = ipaddress.ip_address((remote_ip or "").split("%")[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address.version == net.version and address in net for net in proxies)


def proxy_user(remote_ip: str | None, headers: Mapping[str, str], header: str | None,
               proxies: Iterable[Any]) -> str | None:
    """The user a trusted proxy's header names, or None: no header configured, a peer that is not a
    trusted proxy, or no (or an empty) header. Then the request is treated as if it had no header at all."""
    if not header or not is_trusted_proxy(remote_ip, proxies):
        return None
    value = (headers.get(header) or "").strip()
    return value or None


def trusted_viewer(store: "Store", user: str, cohort_id: str | None = None, *,
                   require_role: Iterable[str] | None = None) -> Viewer:
    """The viewer for ``user``, a name an authenticating proxy vouches for (a hub user name, an email).

    ``user`` is matched to an active roster member: a person id, else an email, case-insensitive
    (:meth:`Store.find_memberships_of_user`). ``cohort_id`` is the cohort this server serves; without it
    the person must be an active member of exactly one cohort. The role is the roster's. Raises
    :class:`AccessDenied` with a message for the person when nobody, several people or several
    cohorts match, or when the page (``require_role``) is not for their role.
    Only call this for a header the server was told to trust, from the proxy's own address.
    """
    name = (user or "").strip()
    if not name or len(name) > 320:
        raise AccessDenied(LINK_REFUSED)
    found = store.find_memberships_of_user(name)
    if cohort_id is not None:
        found = [m for m in found if m.cohort_id == cohort_id]
    if not found:
        where = f"the roster of {cohort_id!r}" if cohort_id else "any cohort's roster"
        raise AccessDenied(f"You are signed in as {name!r}, but nobody on {where} has that user name or email. "
                           "Ask your facilitator to add you, or open the personal link you received.")
    cohorts = sorted({m.cohort_id for m in found})
    if len(cohorts) > 1:
        raise AccessDenied(f"You are signed in as {name!r}, who is on the roster of several cohorts "
                           f"({', '.join(cohorts)}), and this server does not say which one it serves. "
                           "Open the personal link you received, or ask your facilitator to start the "
                           "server with --cohort.")
    if len(found) > 1:
        raise AccessDenied(f"You are signed in as {name!r}, which matches several people on the roster "
                           f"({', '.join(m.person_id for m in found)}). Ask your facilitator to fix the roster, "
                           "or open the personal link you received.")
    viewer = Viewer(found[0].person_id, found[0].cohort_id, found[0].role)
    if require_role is not None and viewer.role not in set(require_role):
        raise AccessDenied("This page is not available with your link.")
    return viewer


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _assertion_secret(secret: str | None) -> bytes:
    value = secret if secret is not None else os.environ.get(ASSERTION_SECRET_ENV, "")
    if len(value) < _MIN_SECRET:
        raise AccessDenied(LINK_REFUSED)  # no secret, no assertion: nothing can be vouched for
    return value.encode("utf-8")


def _assertion_mac(secret: bytes, payload: str) -> str:
    return _b64(hmac.new(secret, payload.encode("ascii"), hashlib.sha256).digest())


def sign_viewer(viewer: Viewer, secret: str | None = None, *, ttl: dt.timedelta = ASSERTION_TTL,
                now: dt.datetime | None = None) -> str:
    """A tamper-proof statement "this request is ``viewer``'s" for the page's kernel, good for ``ttl``.

    HMAC-SHA256 with ``secret`` (default: the :data:`ASSERTION_SECRET_ENV` variable) over the person,
    cohort, role and expiry. The forms server signs; :func:`viewer_from_assertion` verifies.
    """
    expires = int(((now or utcnow()) + ttl).timestamp())
    payload = _b64(json.dumps([viewer.person_id, viewer.cohort_id, viewer.role, expires],
                              separators=(",", ":")).encode("utf-8"))
    return f"{payload}.{_assertion_mac(_assertion_secret(secret), payload)}"


def viewer_from_assertion(store: "Store", assertion: str | None, secret: str | None = None, *,
                          require_role: Iterable[str] | None = None, now: dt.datetime | None = None) -> Viewer:
    """The viewer an assertion of :func:`sign_viewer` stands for, still an active member in that role.

    A missing, forged, tampered or expired assertion, or one whose person has left the roster or
    changed role since, gets the same message as a bad link (:data:`LINK_REFUSED`).
    """
    if not assertion or len(assertion) > 1000 or assertion.count(".") != 1:
        raise AccessDenied(LINK_REFUSED)
    payload, mac = assertion.split(".")
    if not hmac.compare_digest(mac.encode("ascii", "replace"),
                               _assertion_mac(_assertion_secret(secret), payload).encode("ascii")):
        raise AccessDenied(LINK_REFUSED)
    try:
        person_id, cohort_id, role, expires = json.loads(_unb64(payload))
        expired = int(expires) <= (now or utcnow()).timestamp()
    except (ValueError, TypeError):
        raise AccessDenied(LINK_REFUSED) from None
    if expired:
        raise AccessDenied(LINK_REFUSED)
    viewer = recheck_member(store, Viewer(str(person_id), str(cohort_id), str(role)))
    if require_role is not None and viewer.role not in set(require_role):
        raise AccessDenied("This page is not available with your link.")
    return viewer


def recheck_member(store: "Store", viewer: Viewer) -> Viewer:
    """``viewer`` again if they are still an active member of their cohort in the same role, else
    :class:`AccessDenied` (:data:`LINK_REFUSED`). A proxy-authenticated page calls it before each save:
    someone taken off the roster, or given another role, stops at their next save."""
    from .errors import NotFoundError

    try:
        member = store.get_membership(viewer.cohort_id, viewer.person_id)
    except NotFoundError:
        raise AccessDenied(LINK_REFUSED) from None
    if not member.active or member.role != viewer.role:
        raise AccessDenied(LINK_REFUSED)
    return viewer


def can_read(store: "Store", viewer: Viewer, entry: Entry, *, coaches: set[str] | None = None) -> bool:
    """Whether ``viewer`` may read ``entry``."""
    if entry.cohort_id != viewer.cohort_id:
        return False
    if entry.author_id == viewer.person_id:
        return True
    if entry.visibility == "cohort":
        return True
    if entry.visibility == "coach":
        if coaches is None:
            coaches = store.coaches_of(entry.cohort_id, entry.author_id)
        return viewer.person_id in coaches
    return False


def readable_entries(store: "Store", viewer: Viewer, *, author_id: str | None = None,
                     **filters: Unpack["EntryFilters"]) -> list[Entry]:
    """The entries ``viewer`` may read (optionally of one author), newest first."""
    if author_id == viewer.person_id:
        return store.find_entries(viewer.cohort_id, author_id=author_id, **filters)
    if author_id is not None:
        vis = _visibilities(viewer, author_id, store.coaches_of(viewer.cohort_id, author_id))
        return store.find_entries(viewer.cohort_id, author_id=author_id, visibility=sorted(vis), **filters)
    mentees = set(store.mentees_of(viewer.cohort_id, viewer.person_id))
    rows = store.find_entries(viewer.cohort_id, **filters)
    return [e for e in rows if e.author_id == viewer.person_id or e.visibility == "cohort"
            or (e.visibility == "coach" and e.author_id in mentees)]


def journal(store: "Store", viewer: Viewer, **filters: Unpack["EntryFilters"]) -> list[Entry]:
    """The viewer's own entries, newest first."""
    return store.find_entries(viewer.cohort_id, author_id=viewer.person_id, **filters)


def mentee_entries(store: "Store", viewer: Viewer, mentee_id: str, **filters: Unpack["EntryFilters"]) -> list[Entry]:
    """A mentee's entries shared with this coach (never private ones)."""
    if viewer.person_id not in store.coaches_of(viewer.cohort_id, mentee_id):
        raise AccessDenied(f"you are not {mentee_id!r}'s coach in this cohort")
    return store.find_entries(viewer.cohort_id, author_id=mentee_id, visibility=["coach", "cohort"], **filters)


def visible_comments(store: "Store", viewer: Viewer, entries: Iterable[Entry]) -> list[Comment]:
    """Comments on these entries that ``viewer`` may read.

    The author sees released comments; a comment's writer sees their own, released or not.
    """
    listed = [e for e in entries if can_read(store, viewer, e)]
    own_ids = {e.id for e in listed if e.author_id == viewer.person_id}
    out = []
    for c in store.find_comments([e.id for e in listed]):
        if c.author_id == viewer.person_id or (c.entry_id in own_ids and c.released):
            out.append(c)
    return out


def comment_on(store: "Store", viewer: Viewer, entry_id: int, body: str, *, release: bool = False) -> Comment:
    """A coach comments on an entry their mentee shared with them (or with the cohort)."""
    entry = store.get_entry(entry_id)
    coaches = store.coaches_of(entry.cohort_id, entry.author_id)
    if viewer.person_id not in coaches or not can_read(store, viewer, entry, coaches=coaches):
        raise AccessDenied("you can comment only on entries your mentees shared with you")
    return store.add_comment(entry_id, viewer.person_id, body, release=release)


#: Pages that only some roles may open (every other page: any member with a valid link).
PAGE_ROLES: dict[str, tuple[str, ...]] = {"participation": ("facilitator",),
                                          "coach": ("coach", "facilitator")}
#: The retro desk (and its projector view, ``?view=projector``): facilitators only (forms/retro.py).
PAGE_ROLES["retro_desk"] = ("facilitator",)


def page_roles(page: str) -> tuple[str, ...] | None:
    """The roles that may open ``page`` (a served notebook's name), or None when any member may."""
    return PAGE_ROLES.get(page)


def require_role(viewer: Viewer, *roles: str) -> None:
    """Raise :class:`AccessDenied` unless the viewer has one of ``roles``."""
    if viewer.role not in roles:
        raise AccessDenied("This page is not available with your link.")


# --- verbs the surfaces call: each checks its rule here, then asks the store -----------------
def can_edit(viewer: Viewer, entry: Entry) -> bool:
    """Only an entry's author edits it (coaches comment, facilitators never change anyone's words)."""
    return entry.cohort_id == viewer.cohort_id and entry.author_id == viewer.person_id


def edit_entry(store: "Store", viewer: Viewer, entry_id: int, answers: Mapping[str, Any], *,
               visibility: str | None = None) -> Entry:
    """The author replaces an entry's answers (the earlier text is kept as a revision)."""
    if not can_edit(viewer, store.get_entry(entry_id)):
        raise AccessDenied("only the author can edit an entry; nothing was changed")
    return store.edit_entry(entry_id, viewer.person_id, answers, visibility=visibility)


def can_release(viewer: Viewer, comment: Comment) -> bool:
    """Only the coach who wrote a comment decides when its reader sees it."""
    return comment.author_id == viewer.person_id


def release_comment(store: "Store", viewer: Viewer, comment_id: int) -> Comment:
    """A coach releases their draft comment to the entry's author, who is told on their home page."""
    comment = store.get_comment(comment_id)
    if not can_release(viewer, comment):
        raise AccessDenied("only the coach who wrote a comment can release it")
    entry = store.get_entry(comment.entry_id)
    names = store.member_names(entry.cohort_id)
    title = store.exercise(entry.exercise_id, entry.cohort_id).title
    text = f"{names.get(viewer.person_id, 'Your coach')} commented on your entry “{title}”"
    return store.release_comment(comment_id, by=viewer.person_id,
                                 notice=(entry.author_id, "comment", viewer.person_id, text, "journal"))


def edit_comment(store: "Store", viewer: Viewer, comment_id: int, body: str) -> Comment:
    """A coach rewrites their draft comment (a released one is final: ValidationError)."""
    if not can_release(viewer, store.get_comment(comment_id)):
        raise AccessDenied("only the coach who wrote a comment can edit it; nothing was changed")
    return store.edit_comment(comment_id, body)


def delete_comment(store: "Store", viewer: Viewer, comment_id: int) -> None:
    """A coach deletes their draft comment (a released one is final: ValidationError)."""
    if not can_release(viewer, store.get_comment(comment_id)):
        raise AccessDenied("only the coach who wrote a comment can delete it; nothing was changed")
    store.delete_comment(comment_id)


def can_record_progress(viewer: Viewer, goal: Goal) -> bool:
    """Progress on a goal is recorded by its owner (in a check-in)."""
    return goal.cohort_id == viewer.cohort_id and goal.person_id == viewer.person_id


def record_progress(store: "Store", viewer: Viewer, goal_id: int, progress: int, note: str = "", *,
                    entry_id: int | None = None) -> Goal:
    """The goal's owner records progress (0-100 %); 100 marks it reached (and the milestone rules run)."""
    if not can_record_progress(viewer, store.get_goal(goal_id)):
        raise AccessDenied("only the goal's owner can record progress on it")
    goal = store.record_goal_progress(goal_id, viewer.person_id, progress, note, entry_id=entry_id)
    if goal.status == "reached":
        from . import milestones  # the rules build on access, not the reverse

        milestones.evaluate(store, goal.cohort_id, goal.person_id)
    return goal


# --- mentoring rules: goals, pairs, pulse, kudos, milestones ----------------------------------
def _is_member(store: "Store", cohort_id: str, person_id: str) -> bool:
    from .errors import NotFoundError

    try:
        return store.get_membership(cohort_id, person_id).active
    except NotFoundError:
        return False


def is_coach_of(store: "Store", viewer: Viewer, person_id: str) -> bool:
    """Whether ``viewer`` coaches ``person_id`` now (a pair in force, see ``mentoring.pairs_in_force``)."""
    return bool(viewer.person_id) and viewer.person_id in store.coaches_of(viewer.cohort_id, person_id)


def can_manage_goals(store: "Store", viewer: Viewer, person_id: str) -> bool:
    """A person's goals are set, edited and seen by themself, their coach and the cohort's facilitators."""
    return (viewer.person_id == person_id or viewer.role == "facilitator"
            or is_coach_of(store, viewer, person_id)) and _is_member(store, viewer.cohort_id, person_id)


def check_goals(store: "Store", viewer: Viewer, person_id: str, what: str = "see") -> None:
    """Raise :class:`AccessDenied` unless ``viewer`` may ``what`` (see, set, change) ``person_id``'s goals."""
    if not can_manage_goals(store, viewer, person_id):
        raise AccessDenied(f"only {person_id!r} themself, their coach or a facilitator can {what} their goals; "
                           "nothing was changed")


def can_agree_goal(store: "Store", viewer: Viewer, goal: Goal) -> bool:
    """A goal is agreed by the other side of the pair: the owner agrees what their coach (or a
    facilitator) proposed; their coach or a facilitator agrees what the owner proposed."""
    if goal.cohort_id != viewer.cohort_id or not can_manage_goals(store, viewer, goal.person_id):
        return False
    owner_proposed = goal.proposed_by in (None, goal.person_id)
    return viewer.person_id != goal.person_id if owner_proposed else viewer.person_id == goal.person_id


def check_agree_goal(store: "Store", viewer: Viewer, goal: Goal) -> None:
    """Raise :class:`AccessDenied` unless ``viewer`` is the other side of the pair (see :func:`can_agree_goal`)."""
    if not can_agree_goal(store, viewer, goal):
        raise AccessDenied("a goal is agreed by the other side of the pair (the owner, or their coach or "
                           "facilitator); nothing was changed")


def can_schedule_checkin(store: "Store", viewer: Viewer, mentee_id: str) -> bool:
    """A pair's next check-in is scheduled by its coach or by a facilitator."""
    return viewer.role == "facilitator" or is_coach_of(store, viewer, mentee_id)


def check_schedule_checkin(store: "Store", viewer: Viewer, mentee_id: str) -> None:
    """Raise :class:`AccessDenied` unless :func:`can_schedule_checkin`."""
    if not can_schedule_checkin(store, viewer, mentee_id):
        raise AccessDenied(f"only {mentee_id!r}'s coach or a facilitator can schedule their check-in")


def sees_all_pairs(viewer: Viewer) -> bool:
    """Facilitators see the health of every pair; a coach only their own (see mentoring.pair_health)."""
    return viewer.role == "facilitator"


def check_pair_health(viewer: Viewer) -> None:
    """Raise :class:`AccessDenied` unless the viewer is a coach or facilitator (pair health is theirs)."""
    if viewer.role not in ("coach", "facilitator"):
        raise AccessDenied("pair health is for coaches and facilitators")


def can_see_pulse(viewer: Viewer, coach_id: str, mentee_id: str) -> bool:
    """A pulse answer is private to the cohort's facilitators and that pair's coach (and who gave it)."""
    return viewer.role == "facilitator" or viewer.person_id in (coach_id, mentee_id)


def can_give_pulse(viewer: Viewer, mentee_id: str) -> bool:
    """Only the mentee answers the pulse about their pair."""
    return viewer.person_id == mentee_id


def check_give_pulse(viewer: Viewer, mentee_id: str) -> None:
    """Raise :class:`AccessDenied` unless :func:`can_give_pulse`."""
    if not can_give_pulse(viewer, mentee_id):
        raise AccessDenied("only the mentee answers the pulse about their mentor")


def can_give_kudos(store: "Store", viewer: Viewer) -> bool:
    """Every active member of a cohort may thank another (who may receive: see workbook.kudos)."""
    return bool(viewer.person_id) and _is_member(store, viewer.cohort_id, viewer.person_id)


def check_give_kudos(store: "Store", viewer: Viewer) -> None:
    """Raise :class:`AccessDenied` unless :func:`can_give_kudos`."""
    if not can_give_kudos(store, viewer):
        raise AccessDenied("only members of the cohort can give kudos")


def can_see_kudos(viewer: Viewer, kudos: Kudos) -> bool:
    """Kudos are seen by their giver and receiver, and by the whole cohort when shared with it."""
    return kudos.cohort_id == viewer.cohort_id and (
        kudos.visibility == "cohort" or viewer.person_id in (kudos.from_id, kudos.to_id))


def is_on_kudos_wall(kudos: Kudos) -> bool:
    """Whether kudos go on the cohort's wall (shared with the cohort)."""
    return kudos.visibility == "cohort"


def can_record_milestone(store: "Store", viewer: Viewer, person_id: str) -> bool:
    """Milestones are recorded by hand by a facilitator or the person's coach."""
    return ((viewer.role == "facilitator" or is_coach_of(store, viewer, person_id))
            and _is_member(store, viewer.cohort_id, person_id))


def check_record_milestone(store: "Store", viewer: Viewer, person_id: str) -> None:
    """Raise :class:`AccessDenied` unless :func:`can_record_milestone`."""
    if not can_record_milestone(store, viewer, person_id):
        raise AccessDenied(f"only a facilitator or {person_id!r}'s coach can record their milestones")


def can_see_milestones(store: "Store", viewer: Viewer, person_id: str) -> bool:
    """A person's milestones are seen by themself, their coach and the facilitators."""
    return can_manage_goals(store, viewer, person_id)


def check_see_milestones(store: "Store", viewer: Viewer, person_id: str) -> None:
    """Raise :class:`AccessDenied` unless :func:`can_see_milestones`."""
    if not can_see_milestones(store, viewer, person_id):
        raise AccessDenied(f"{person_id!r}'s milestones are for them, their coach and the facilitators")


def can_see_card(viewer: Viewer, card: RetroCard) -> bool:
    """A retro card is on a member's board when its entry is shared with the cohort, or it is their own."""
    return card.cohort_id == viewer.cohort_id and (
        card.visibility == "cohort" or card.author_id == viewer.person_id)


def visible_cards(store: "Store", viewer: Viewer, session_id: int) -> list[RetroCard]:
    """The cards of a retro session ``viewer`` may see, most voted first."""
    session = store.get_session(session_id)
    if session.cohort_id != viewer.cohort_id:
        raise AccessDenied("This retro is not part of your cohort.")
    return [c for c in store.find_cards(session_id) if can_see_card(viewer, c)]


def can_vote(viewer: Viewer, session: Session, card: RetroCard) -> bool:
    """A member votes on cards of their cohort's retro that are on their board."""
    return session.cohort_id == viewer.cohort_id and card.session_id == session.id and can_see_card(viewer, card)


def can_set_action_status(viewer: Viewer, item: ActionItem) -> bool:
    """An action item is marked done/dropped by the cohort's facilitators or by its owner."""
    return item.cohort_id == viewer.cohort_id and (viewer.role == "facilitator" or item.owner_id == viewer.person_id)


def set_action_status(store: "Store", viewer: Viewer, item_id: int, status: str) -> None:
    """Mark an action item done, dropped or open again."""
    if not can_set_action_status(viewer, store.get_action_item(item_id)):
        raise AccessDenied("only a facilitator or the action item's owner can change its status")
    store.set_action_status(item_id, status)


# --- facilitator reports: aggregates of everything, free text only where shared with the cohort ---
def shared_with_cohort(store: "Store", cohort_id: str, *, author_id: str | Iterable[str] | None = None,
                       **filters: Unpack["EntryFilters"]) -> list[Entry]:
    """Entries their authors shared with the whole cohort (``cohort`` visibility), newest first.

    This is the only free text a cohort-wide report may show; it does not depend on who reads it.
    """
    return store.find_entries(cohort_id, author_id=author_id, visibility=["cohort"], **filters)


def is_shared_with_cohort(entry: Entry) -> bool:
    """Whether an entry's answers may leave in anything cohort-wide (exports, listings, xAPI, cohort pages)."""
    return entry.visibility == "cohort"


def cohort_cards(store: "Store", session_id: int) -> list[RetroCard]:
    """Retro cards of a session whose entry was shared with the cohort, most voted first."""
    return [c for c in store.find_cards(session_id) if c.visibility == "cohort"]


def aggregate_frame(store: "Store", cohort_id: str, **filters: Unpack["EntryFilters"]) -> "pd.DataFrame":
    """Every entry of a cohort as metadata only (no answers, hence no free text), for aggregates.

    Columns as :meth:`Store.entries_frame` without ``answers``; ``mood`` stays, of every entry,
    because cohort aggregates (:mod:`workbook.analytics`, with small-group suppression) count
    it. Never write its rows out one per person: exports and listings use :func:`facilitator_frame`.
    """
    frame = store.entries_frame(cohort_id, **filters)
    return frame.drop(columns=["answers"])


#: Columns of :meth:`Store.entries_frame` that come from answers: they follow the entry's visibility.
ANSWER_COLUMNS: tuple[str, ...] = ("answers", "mood")


def facilitator_frame(store: "Store", cohort_id: str, *, per: str = "entry",
                      author_id: str | Iterable[str] | None = None, visibility: Iterable[str] | None = None,
                      **filters: Unpack["EntryFilters"]) -> "pd.DataFrame":
    """Every entry of a cohort, with its answers only where its author shared it with the cohort.

    Columns as :meth:`Store.entries_frame`. Every answer follows the entry's visibility, whatever
    its prompt type: for private and coach-only entries ``answers`` is None and ``mood`` (a scale
    answer) is missing; the metadata (who, when, which exercise, visibility) stays. With
    ``per="answer"``, answer rows of shared entries only. For exports and ``workbook entries``.
    """
    if per == "answer":
        shared_rows = ([] if visibility is not None and "cohort" not in visibility
                       else shared_with_cohort(store, cohort_id, author_id=author_id, **filters))
        return store.entries_frame(cohort_id, entries_list=shared_rows, per="answer")
    frame = store.entries_frame(cohort_id, author_id=author_id, visibility=visibility, **filters)
    shared = frame["visibility"] == "cohort"
    frame["answers"] = [a if ok else None for a, ok in zip(frame["answers"], shared)]
    for column in ANSWER_COLUMNS[1:]:
        frame[column] = frame[column].where(shared)
    return frame


# --- report pages about one person: what the page's reader and the file's audience may both see ---
def batch_audience(cohort_id: str) -> Viewer:
    """Whoever runs a facilitator's command that writes files (``workbook report``): a facilitator, nobody in particular.

    A file on the facilitator's disk holds only what a facilitator may see: free text only where
    its author shared it with the cohort. No person id: never an author, never anyone's coach.
    """
    return Viewer("", cohort_id, "facilitator")


@dataclass(frozen=True)
class ReportEntries:
    """What a report page about one person shows (see :func:`report_entries`)."""

    entries: list[Entry]                     # newest first
    comments: list[Comment]                  # on those entries only
    withheld: dict[str, int]                 # visibility -> entries left out that the reader's own link shows
    goals: list[Goal]                        # progress and status as recorded where the page may look
    goal_history: list[GoalProgress]         # progress records the page may show, oldest first
    progress_withheld: int                   # progress records left out that the reader's own link shows


def _visibilities(viewer: Viewer, author_id: str, coaches: set[str]) -> set[str]:
    """The visibilities of ``author_id``'s entries that ``viewer`` may read."""
    if viewer.person_id and viewer.person_id == author_id:
        return {"private", "coach", "cohort"}
    if viewer.person_id and viewer.person_id in coaches:
        return {"coach", "cohort"}
    return {"cohort"}


def report_entries(store: "Store", audience: Viewer, author_id: str, *, reader: Viewer | None = None,
                   **filters: Unpack["EntryFilters"]) -> ReportEntries:
    """The entries, comments and goal progress of ``author_id`` a report page may show, and counts of the rest.

    ``reader`` is whom the page is for: the author (participant page) or one of their coaches
    (mentee page); anyone else is refused. ``audience`` is whoever may read the page's file: the
    reader themself for a live page (the default), :func:`batch_audience` for a page a
    facilitator's command writes to disk. The page shows only what both may read:

    - entries: both may read them; the ones only the reader may read are counted by visibility
      (``withheld``) when the audience is a facilitator (who sees counts of everything);
    - comments: on shown entries only, as the reader sees them; drafts only in the reader's own
      (live) page, never in a file written for someone else;
    - goal progress: records made outside any entry or in an entry both may read (a check-in's
      progress is as private as the check-in); a goal's progress and status are its latest such record.
    """
    from dataclasses import replace

    reader = reader or audience
    cohort_id = reader.cohort_id
    coaches = store.coaches_of(cohort_id, author_id)
    if reader.person_id != author_id and reader.person_id not in coaches:
        raise AccessDenied(f"a report on {author_id!r} is for them or their coach")
    may_read = _visibilities(reader, author_id, coaches)
    shown_vis = may_read & _visibilities(audience, author_id, coaches)
    rows = store.find_entries(cohort_id, author_id=author_id, visibility=sorted(may_read), **filters)
    shown = [e for e in rows if e.visibility in shown_vis]
    own_page = (audience.person_id, audience.cohort_id) == (reader.person_id, reader.cohort_id)
    report_counts = audience.role == "facilitator" and not own_page
    withheld: dict[str, int] = {}
    if report_counts:
        for e in rows:
            if e.visibility not in shown_vis:
                withheld[e.visibility] = withheld.get(e.visibility, 0) + 1
    comments = [c for c in visible_comments(store, reader, shown) if c.released or own_page]
    goals = store.find_goals(cohort_id, author_id)
    history = store.goal_history([g.id for g in goals])
    kept, left_out = history, 0
    if shown_vis != {"private", "coach", "cohort"} and any(h.entry_id is not None for h in history):
        vis_of = {e.id: e.visibility for e in store.find_entries(cohort_id, author_id=author_id)}
        kept = [h for h in history if h.entry_id is None or vis_of.get(h.entry_id) in shown_vis]
        # Counted like the entries: only progress the reader's own link shows, and only for a facilitator.
        left_out = sum(1 for h in history if h.entry_id is not None
                       and vis_of.get(h.entry_id) in may_read - shown_vis) if report_counts else 0
    if len(kept) < len(history):
        latest = {h.goal_id: h.progress for h in kept}
        goals = [replace(g, progress=latest.get(g.id, 0),
                         status="reached" if latest.get(g.id, 0) >= 100
                         else "agreed" if g.status == "reached" else g.status)
                 for g in goals]
    return ReportEntries(shown, comments, withheld, goals, kept, left_out)


@dataclass(frozen=True)
class ReportRef:
    """One report a viewer may open: its page name (as in the batch), kind, title and whom it is about."""

    name: str
    kind: str
    title: str
    person_id: str = ""
    coach_id: str = ""


def allowed_reports(store: "Store", viewer: Viewer) -> list[ReportRef]:
    """The reports ``viewer`` may open, in a stable order, named like the batch's pages.

    Participant -> their own page; coach -> ``mentee-<coach>-<mentee>`` for each person they
    coach now (a pairing that ended takes the page away); facilitator -> ``cohort`` (never a
    person's page, nor the batch's index: its per-person summaries are the operator's file).
    Applied to the store, not to files: the live app needs no batch to have run.
    """
    from .reports.plan import page_name  # the batch's naming rule (reports build on access, not the reverse)

    names = store.member_names(viewer.cohort_id)
    if viewer.role == "participant":
        return [ReportRef(page_name("participant", viewer.person_id), "participant",
                          f"Your reflection report ({names.get(viewer.person_id, viewer.person_id)})",
                          person_id=viewer.person_id)]
    if viewer.role == "coach":
        return [ReportRef(page_name("mentee", m, viewer.person_id), "mentee",
                          f"Mentee report: {names.get(m, m)}", person_id=m, coach_id=viewer.person_id)
                for m in sorted(store.mentees_of(viewer.cohort_id, viewer.person_id))]
    if viewer.role == "facilitator":
        cohort = store.get_cohort(viewer.cohort_id)
        return [ReportRef("cohort", "cohort", f"Cohort report: {cohort.name}")]
    return []
