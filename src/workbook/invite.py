"""Personal links: one random key per invitation, shown once, stored only as a hash.

A link opens a Voila page: ``{base_url}/voila/render/home.ipynb?key=KEY`` (the member's home page,
always the first link), ``.../reflection.ipynb?key=KEY&exercise=gibbs``...
Inviting someone again (to a new exercise, say) ADDS a key: their earlier links keep working.
Revoking is explicit (:func:`revoke_links`, ``workbook invite --revoke``) and stops them all.
"""
from __future__ import annotations

import csv
import datetime as dt
import urllib.parse
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import access
from .errors import ConfigError, FieldProblem, ValidationError
from .store.models import ROLES

if TYPE_CHECKING:
    from .store import Store

DEFAULT_BASE_URL = "http://127.0.0.1:8866"
DEFAULT_EXERCISE = "gibbs"
#: The page every member's first link opens: their home page, which links to the others.
HOME_PAGE = "home"
#: The pages each role gets a link to, home first (page kind -> extra query parameters).
#: Everyone also gets ``reports``: the reports app lists only the reports their key may open.
PAGES_BY_ROLE: dict[str, tuple[str, ...]] = {
    "participant": (HOME_PAGE, "reflection", "checkin", "retro", "journal", "reports"),
    "coach": (HOME_PAGE, "coach", "reflection", "journal", "reports"),
    "facilitator": (HOME_PAGE, "retro_desk", "participation", "coach", "reflection", "journal", "reports"),
}


@dataclass(frozen=True)
class Invitation:
    """One member's fresh links. ``key`` is the secret: it is never stored and never shown again."""

    person_id: str
    name: str
    email: str
    role: str
    key: str
    links: dict[str, str]
    expires_at: dt.datetime | None

    @property
    def url(self) -> str:
        """The member's main link: their home page."""
        return self.links.get(HOME_PAGE) or next(iter(self.links.values()))


def form_url(base_url: str, page: str, key: str, **params: str) -> str:
    """The URL of one form page for a key, e.g. ``.../voila/render/reflection.ipynb?key=K&exercise=gibbs``."""
    base = base_url.rstrip("/")
    query = urllib.parse.urlencode({access.LINK_PARAMETER: key, **{k: v for k, v in params.items() if v}})
    return f"{base}/voila/render/{page}.ipynb?{query}"


def _check_base_url(base_url: str) -> str:
    parts = urllib.parse.urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(f"--base-url {base_url!r} is not a web address; use e.g. {DEFAULT_BASE_URL} "
                          "or https://forms.example.org/workbook")
    return base_url.rstrip("/")


def links_for(base_url: str, role: str, key: str, *, exercise: str | None = None,
              session_id: int | None = None, kind: str = "reflection") -> dict[str, str]:
    """Page kind -> URL for one key.

    ``exercise`` or ``session_id`` goes on the page of ``kind`` (the exercise's kind: a retro
    session on the retro link, a check-in on the check-in link); the reflection link names
    :data:`DEFAULT_EXERCISE` when it is not that page.
    """
    out: dict[str, str] = {}
    for page in PAGES_BY_ROLE.get(role, PAGES_BY_ROLE["participant"]):
        params: dict[str, str] = {}
        if page == kind and session_id is not None:
            params["session"] = str(session_id)
        elif page == kind and exercise:
            params["exercise"] = exercise
        elif page == "reflection":
            params["exercise"] = DEFAULT_EXERCISE
        out[page] = form_url(base_url, page, key, **params)
    return out


def create_links(store: "Store", cohort_id: str, *, role: str | None = None, people: Iterable[str] | None = None,
                 base_url: str = DEFAULT_BASE_URL, expires_days: float | None = None,
                 exercise: str | None = None, session_id: int | None = None) -> list[Invitation]:
    """Issue a fresh key to every active member of ``cohort_id`` (only ``role``, only ``people``, or both).

    The key is added: each member's earlier links keep working (use :func:`revoke_links` to stop
    them). With both ``role`` and ``people``, every person named must have that role (else nothing
    changes). Returns the links, which hold the only copy of the keys: hand them out, then throw
    them away. The first link of each is the member's home page.
    """
    base = _check_base_url(base_url)
    if role is not None and role not in ROLES:
        raise ValidationError("unknown role", [FieldProblem("role", f"use one of {', '.join(ROLES)}")])
    if expires_days is not None and expires_days <= 0:
        raise ValidationError("bad expiry", [FieldProblem("expires", "give a number of days greater than 0")])
    store.get_cohort(cohort_id)
    kind = "reflection"
    if exercise is not None:  # an unknown exercise is refused before any key changes
        kind = store.exercise(exercise, cohort_id).kind
    if session_id is not None:
        session = store.get_session(session_id)
        if session.cohort_id != cohort_id:
            raise ValidationError("session of another cohort", [FieldProblem("session", "pick a session of this cohort")])
        kind = store.exercise(session.exercise_id, cohort_id).kind
    members = store.find_members(cohort_id, role)
    if people is not None:
        wanted = list(people)
        by_id = {m.person_id: m for m in members}
        members = [by_id[p] if p in by_id else store.get_membership(cohort_id, p) for p in wanted]
        gone = [m.person_id for m in members if not m.active]
        if gone:  # their links would only say "not valid": refuse before any key changes
            raise ValidationError("not active members", [FieldProblem(
                "person", f"{', '.join(gone)} left the cohort (inactive in the roster); nobody got a link")])
        other = [f"{m.person_id} is a {m.role}" for m in members if role is not None and m.role != role]
        if other:  # --role with --person: a filter the people named must pass, never silently ignored
            raise ValidationError(f"not a {role}", [FieldProblem(
                "role", f"{', '.join(other)}; drop --role or name only {role}s. Nobody got a link")])
    expires = dt.timedelta(days=expires_days) if expires_days is not None else None
    out = []
    for m in members:
        key = access.issue_token(store, cohort_id, m.person_id, expires_in=expires, replace=False)
        grant = store.lookup_token(access.hash_token(key), access.utcnow())
        out.append(Invitation(m.person_id, m.name, m.email, m.role, key,
                              links_for(base, m.role, key, exercise=exercise, session_id=session_id, kind=kind),
                              grant.expires_at if grant else None))
    return out


def revoke_links(store: "Store", cohort_id: str, person_id: str) -> int:
    """Stop every link of one member; returns how many keys were live."""
    return access.revoke(store, cohort_id, person_id)


CSV_COLUMNS = ("person_id", "name", "email", "role", "page", "url", "expires_at")


def write_links_csv(invitations: Sequence[Invitation], path: Path) -> int:
    """Write one row per (person, page) link; returns the number of rows.

    The file holds live secrets: it is created readable by its owner only.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(CSV_COLUMNS)
        for inv in invitations:
            for page, url in inv.links.items():
                w.writerow([inv.person_id, inv.name, inv.email, inv.role, page, url,
                            inv.expires_at.isoformat() if inv.expires_at else ""])
                rows += 1
    return rows
