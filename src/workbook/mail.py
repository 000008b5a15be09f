"""Messages that reach people: compose, send through SMTP, and log what went to whom (never a key).

``send(store, cohort_id, kind)`` mails one kind of message to the members it concerns:

- ``invites``: a personal link to the member's home page (a key is made for the mail; it is
  added, earlier links keep working; the key is in the mail only, never in the log);
- ``reminders``: participants who have not written a reflection this week (the cohort's week,
  Monday to Sunday in its time zone);
- ``nudges``: an overdue check-in, to the mentee and to the coach (:func:`workbook.mentoring.pair_health`);
- ``comments``: "your coach commented", for released comments not mailed yet (:mod:`workbook.access`
  decides which comments their reader sees).

Every message is plain text with an HTML alternative, dates in the cohort's time zone, and a link,
never the text of an entry or a comment. Each message is logged as soon as the server accepted it,
under an idempotency key (kind, person, what it is about: "home", "week 2026-01-05", "comment 12"),
so a re-run sends only what was not sent. A server that refuses or goes away ends the run with a
:class:`MailError` saying what was sent; refused recipients do not stop the others.

The server is ``WORKBOOK_SMTP_URL``: ``smtp://user:pass@host:587`` (STARTTLS when the server
offers it; ``?starttls=require`` insists, ``?starttls=never`` is for loopback only),
``smtps://user:pass@host:465`` (TLS from the start), or ``smtp://127.0.0.1:25`` (no login). A
private certificate authority: ``?cafile=/path/ca.pem``. The sender is ``WORKBOOK_SMTP_FROM`` or
``[mail] from`` in the cohort's cohort.toml.
"""
from __future__ import annotations

import datetime as dt
import email.policy
import html
import ipaddress
import os
import smtplib
import socket
import ssl
import sys
import textwrap
import urllib.parse
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from . import access
from .errors import ConfigError, FieldProblem, ValidationError, WorkbookError
from .invite import DEFAULT_BASE_URL, HOME_PAGE, _check_base_url, form_url
from .store.core import utcnow

if TYPE_CHECKING:
    from .store import Store
    from .store.models import Cohort, Membership

#: What ``workbook send`` can send, as the command names them.
KINDS: tuple[str, ...] = ("invites", "reminders", "nudges", "comments")
#: The kind each is logged under.
LOG_KIND = {"invites": "invite", "reminders": "reminder", "nudges": "nudge", "comments": "comment"}
SMTP_URL_VARIABLE = "WORKBOOK_SMTP_URL"
SENDER_VARIABLE = "WORKBOOK_SMTP_FROM"
BASE_URL_VARIABLE = "WORKBOOK_BASE_URL"
#: Released comments older than this are not announced any more (a first run does not mail the past).
COMMENT_WINDOW = dt.timedelta(days=14)
TIMEOUT_SECONDS = 30.0
#: RFC 5322 lines (CRLF) folded only past 998 characters: Python's folding of a header at an encoded
#: word drops the space between two non-ASCII words ("Lucía Fernández" arrives as "LucíaFernández").
MAIL_POLICY = email.policy.SMTP.clone(max_line_length=998)


class MailError(WorkbookError):
    """Sending stopped or some messages were refused; ``report`` says what was really sent (and logged)."""

    exit_code = 4

    def __init__(self, message: str, report: "SendReport | None" = None) -> None:
        super().__init__(message)
        self.report = report


# --- the server ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to hand messages over, read from an ``smtp://`` or ``smtps://`` URL."""

    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: str = "auto"  # auto | require | never (smtp:// only)
    cafile: str | None = None
    timeout: float = TIMEOUT_SECONDS

    @property
    def where(self) -> str:
        """``host:port`` for messages (never the password)."""
        return f"{self.host}:{self.port}"

    @property
    def loopback(self) -> bool:
        """Whether the server is on this machine (where a login without TLS stays on the machine)."""
        if self.host.lower() == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


def parse_smtp_url(url: str) -> SmtpSettings:
    """The settings of ``url``, or a :class:`ConfigError` that says what to write instead.

    >>> parse_smtp_url("smtp://me:s%40cret@mail.example.org").port
    587
    >>> parse_smtp_url("smtps://mail.example.org").port
    465
    """
    example = "smtp://user:password@mail.example.org:587 or smtps://user:password@mail.example.org:465"
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("smtp", "smtps"):
        raise ConfigError(f"{SMTP_URL_VARIABLE} must start with smtp:// or smtps://; use e.g. {example}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise ConfigError(f"{SMTP_URL_VARIABLE} has a bad port; use e.g. {example}") from None
    if not host:
        raise ConfigError(f"{SMTP_URL_VARIABLE} names no server; use e.g. {example}")
    user = urllib.parse.unquote(parts.username) if parts.username else None
    password = urllib.parse.unquote(parts.password) if parts.password is not None else None
    if port is None:
        port = 465 if parts.scheme == "smtps" else (587 if user else 25)
    query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(query) - {"starttls", "cafile", "timeout"})
    if unknown:
        raise ConfigError(f"{SMTP_URL_VARIABLE} has unknown parameter(s) {', '.join(unknown)}; "
                          "known: starttls=auto|require|never, cafile=PATH, timeout=SECONDS")
    starttls = query.get("starttls", ["auto"])[-1].lower()
    if starttls not in ("auto", "require", "never"):
        raise ConfigError(f"{SMTP_URL_VARIABLE}: starttls={starttls!r}; use auto, require or never")
    if parts.scheme == "smtps" and starttls == "require":
        starttls = "auto"  # TLS from the first byte already
    try:
        timeout = float(query.get("timeout", [TIMEOUT_SECONDS])[-1])
    except ValueError:
        raise ConfigError(f"{SMTP_URL_VARIABLE}: timeout must be a number of seconds") from None
    settings = SmtpSettings(parts.scheme, host, port, user, password, starttls,
                            query.get("cafile", [None])[-1] or None, timeout)
    if user and parts.scheme == "smtp" and starttls == "never" and not settings.loopback:
        raise ConfigError(f"{SMTP_URL_VARIABLE}: starttls=never would send the password to {settings.where} "
                          "unencrypted; use STARTTLS (the default) or smtps://")
    return settings


class _Connection:
    """One SMTP session, opened on first use; turns the library's exceptions into :class:`MailError` text."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def open(self) -> smtplib.SMTP:
        s = self.settings
        if self.smtp is not None:
            return self.smtp
        try:
            context = ssl.create_default_context(cafile=s.cafile)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"{SMTP_URL_VARIABLE}: cannot read cafile {s.cafile} ({_reason(exc)})") from None
        smtp: smtplib.SMTP | None = None
        try:
            if s.scheme == "smtps":
                smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
                encrypted = True
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
                smtp.ehlo()
                encrypted = False
                if s.starttls != "never" and smtp.has_extn("starttls"):
                    smtp.starttls(context=context)
                    smtp.ehlo()
                    encrypted = True
                elif s.starttls == "require":
                    raise MailError(f"the mail server at {s.where} does not offer STARTTLS (asked for with "
                                    "starttls=require); nothing was sent")
            if s.username:
                if not encrypted and not s.loopback:
                    raise MailError(f"the mail server at {s.where} offers no STARTTLS: the password would travel "
                                    "unencrypted, so nothing was sent; use smtps:// or a server with STARTTLS")
                smtp.login(s.username, s.password or "")
        except MailError:
            _quit(smtp)
            raise
        except smtplib.SMTPAuthenticationError as exc:
            _quit(smtp)
            raise MailError(f"the mail server at {s.where} refused the user name or password "
                            f"({_smtp_reason(exc)}); nothing was sent. Check {SMTP_URL_VARIABLE}") from None
        except smtplib.SMTPNotSupportedError:
            _quit(smtp)
            raise MailError(f"the mail server at {s.where} does not accept a login here (no AUTH offered); "
                            f"nothing was sent. Drop the user name from {SMTP_URL_VARIABLE} or use smtps://") from None
        except ssl.SSLError as exc:
            _quit(smtp)
            raise MailError(f"no secure connection to the mail server at {s.where} ({_reason(exc)}); nothing was "
                            f"sent. A private certificate authority goes in {SMTP_URL_VARIABLE} as ?cafile=PATH") from None
        except (smtplib.SMTPException, OSError) as exc:
            _quit(smtp)
            raise MailError(f"cannot reach the mail server at {s.where} ({_reason(exc)}); nothing was sent. "
                            f"Check {SMTP_URL_VARIABLE} and that the server runs") from None
        self.smtp = smtp
        return smtp

    def close(self) -> None:
        _quit(self.smtp)
        self.smtp = None


def _quit(smtp: smtplib.SMTP | None) -> None:
    if smtp is None:
        return
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _smtp_reason(exc: Any) -> str:
    code = getattr(exc, "smtp_code", None)
    text = getattr(exc, "smtp_error", b"")
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip() if code else (str(text) or type(exc).__name__)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return _smtp_reason(exc)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}".strip()
                         for code, text in exc.recipients.values())
    if isinstance(exc, socket.timeout):
        return "no answer in time"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


# --- what to send -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Planned:
    """One message to compose: to whom, about what (the log's keys) and what it says (no private content).

    ``link`` is None for an invitation: its personal link is made when it is sent.
    """

    kind: str
    person_id: str
    name: str
    address: str
    role: str
    subject: str
    abouts: tuple[str, ...]
    paragraphs: tuple[str, ...]
    link_label: str
    link: str | None


@dataclass(frozen=True)
class Sent:
    """A message the server accepted (and that is logged)."""

    person_id: str
    name: str
    address: str
    subject: str
    message_id: str


@dataclass
class SendReport:
    """What :func:`send` did: sent (or, in a dry run, would send), already sent before, left out and why."""

    cohort_id: str
    kind: str
    dry_run: bool
    planned: list[Planned] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    already_sent: int = 0
    no_address: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (person id <address>, the server's reason)

    def lines(self) -> list[str]:
        """What happened, for people (no key, no link)."""
        kind = self.kind
        out: list[str] = []
        if self.dry_run:
            out.append(f"Dry run: would send {len(self.planned)} {_plural(kind, len(self.planned))}; "
                       "nothing was sent or recorded.")
            out += [f"  {p.name} <{p.address}>: {p.subject}" for p in self.planned]
        else:
            out.append(f"Sent {len(self.sent)} {_plural(kind, len(self.sent))}.")
            out += [f"  {s.name} <{s.address}>: {s.subject}" for s in self.sent]
        if self.already_sent:
            out.append(f"{self.already_sent} already sent earlier (not sent again).")
        if self.no_address:
            out.append(f"No email address in the roster for: {', '.join(self.no_address)}.")
        return out


def _plural(kind: str, n: int) -> str:
    singular = LOG_KIND.get(kind, kind)
    return singular if n == 1 else kind


def _zone(cohort: "Cohort") -> ZoneInfo:
    return ZoneInfo(cohort.timezone)


def local_date(d: dt.date) -> str:
    """``Monday 5 January 2026`` (no zero padding, whatever the platform)."""
    return f"{d:%A} {d.day} {d:%B %Y}"


def local_time(t: dt.datetime, zone: ZoneInfo) -> str:
    """``Monday 5 January 2026, 09:30 GMT``: a moment in the cohort's time zone."""
    here = t.astimezone(zone)
    return f"{local_date(here.date())}, {here:%H:%M} {here.tzname()}"


def week_start(now: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """Monday 00:00 of ``now``'s week in ``zone`` (aware, in that zone)."""
    here = now.astimezone(zone)
    monday = here.date() - dt.timedelta(days=here.weekday())
    return dt.datetime.combine(monday, dt.time(0), tzinfo=zone)


def page_url(base_url: str, page: str, **params: str) -> str:
    """A page's address WITHOUT a key: the browser's cookie from the personal link opens it."""
    query = urllib.parse.urlencode({k: v for k, v in params.items() if v})
    return f"{base_url.rstrip('/')}/voila/render/{page}.ipynb" + (f"?{query}" if query else "")


def _recipients(store: "Store", cohort_id: str, people: Iterable[str] | None,
                roles: Sequence[str] | None = None) -> list["Membership"]:
    members = store.find_members(cohort_id, list(roles) if roles else None)
    if people is None:
        return members
    wanted = list(dict.fromkeys(people))
    by_id = {m.person_id: m for m in members}
    out = []
    problems = []
    for pid in wanted:
        m = by_id.get(pid) or store.get_membership(cohort_id, pid)  # unknown: NotFoundError
        if not m.active:
            problems.append(FieldProblem("person", f"{pid} left the cohort (inactive in the roster)"))
        elif pid not in by_id:
            problems.append(FieldProblem("person", f"{pid} is a {m.role}; this kind of message is not for them"))
        else:
            out.append(m)
    if problems:
        raise ValidationError("nothing was sent", problems)
    return out


def plan(store: "Store", cohort_id: str, kind: str, *, people: Iterable[str] | None = None,
         base_url: str = DEFAULT_BASE_URL, now: dt.datetime | None = None) -> list[Planned]:
    """The messages of ``kind`` the cohort's members should get now, sent before or not (see :func:`send`)."""
    kind = _kind(kind)
    cohort = store.get_cohort(cohort_id)
    now = now or utcnow()
    base = _check_base_url(base_url)
    zone = _zone(cohort)
    if kind == "invites":
        return _plan_invites(store, cohort, people, base)
    if kind == "reminders":
        return _plan_reminders(store, cohort, people, base, now, zone)
    if kind == "nudges":
        return _plan_nudges(store, cohort, people, base, now, zone)
    return _plan_comments(store, cohort, people, base, now, zone)


def _kind(kind: str) -> str:
    for k, singular in LOG_KIND.items():
        if kind in (k, singular):
            return k
    raise ValidationError("unknown kind of message", [FieldProblem("kind", f"use one of {', '.join(KINDS)}")])


def _plan_invites(store: "Store", cohort: "Cohort", people: Iterable[str] | None, base: str) -> list[Planned]:
    out = []
    for m in _recipients(store, cohort.id, people):
        out.append(Planned(
            "invites", m.person_id, m.name, m.email, m.role, f"Your personal link for {cohort.name}", ("home",),
            (f"This is your personal link to {cohort.name}. It opens your home page: your open forms, "
             "your goals, your journal and what your coach and cohort shared with you.",
             "The link is yours alone: do not forward it. If it ever stops working, or you think someone "
             "else has it, ask your facilitator for a new one."),
            "Open your home page", None))
    return out


def _plan_reminders(store: "Store", cohort: "Cohort", people: Iterable[str] | None, base: str, now: dt.datetime,
                    zone: ZoneInfo) -> list[Planned]:
    start = week_start(now, zone)
    wrote = {e.author_id for e in store.find_entries(cohort.id, kind="reflection",
                                                     since=start.astimezone(dt.timezone.utc))}
    sunday = start.date() + dt.timedelta(days=6)
    out = []
    for m in _recipients(store, cohort.id, people, ("participant",)):
        if m.person_id in wrote:
            continue
        out.append(Planned(
            "reminders", m.person_id, m.name, m.email, m.role, f"{cohort.name}: this week's reflection",
            (f"week {start.date().isoformat()}",),
            (f"A gentle reminder: you have not written a reflection this week yet (the week of "
             f"{local_date(start.date())}, until Sunday {sunday.day} {sunday:%B}).",
             "Ten quiet minutes are enough. Open your home page and pick the reflection form."),
            "Open your home page", page_url(base, HOME_PAGE)))
    return out


def _plan_nudges(store: "Store", cohort: "Cohort", people: Iterable[str] | None, base: str, now: dt.datetime,
                 zone: ZoneInfo) -> list[Planned]:
    from . import mentoring

    pair_health = getattr(mentoring, "pair_health", None)
    if pair_health is None:  # pragma: no cover - only before mentoring's pair health exists
        raise ConfigError("nudges need workbook.mentoring.pair_health, which this version of workbook lacks")
    members = {m.person_id: m for m in _recipients(store, cohort.id, None)}
    wanted = None if people is None else {m.person_id for m in _recipients(store, cohort.id, people)}
    out = []
    for h in pair_health(store, access.batch_audience(cohort.id), now=now):
        if h.overdue_days <= 0:
            continue
        about = f"pair {h.coach_id}/{h.mentee_id} due {h.next_due.isoformat()}"
        due = local_date(h.next_due)
        days = f"{h.overdue_days} day{'s' if h.overdue_days != 1 else ''}"
        mentee, coach = members.get(h.mentee_id), members.get(h.coach_id)
        if mentee is not None and (wanted is None or mentee.person_id in wanted):
            out.append(Planned(
                "nudges", mentee.person_id, mentee.name, mentee.email, mentee.role,
                f"{cohort.name}: time for a check-in with {h.coach_name}", (about,),
                (f"Your check-in with {h.coach_name} was due on {due} ({days} ago).",
                 f"Agree a time with {h.coach_name}, then write the check-in from your home page."),
                "Open your check-in", page_url(base, "checkin")))
        if coach is not None and (wanted is None or coach.person_id in wanted):
            out.append(Planned(
                "nudges", coach.person_id, coach.name, coach.email, coach.role,
                f"{cohort.name}: check-in with {h.mentee_name} is overdue", (about,),
                (f"Your check-in with {h.mentee_name} was due on {due} ({days} ago).",
                 "Your coach page shows your mentees, when each check-in is due, and lets you schedule the next."),
                "Open your coach page", page_url(base, "coach")))
    return out


def _plan_comments(store: "Store", cohort: "Cohort", people: Iterable[str] | None, base: str, now: dt.datetime,
                   zone: ZoneInfo) -> list[Planned]:
    names = store.member_names(cohort.id)
    since = now - COMMENT_WINDOW
    out = []
    for m in _recipients(store, cohort.id, people):
        viewer = access.Viewer(m.person_id, cohort.id, m.role)
        entries = {e.id: e for e in access.journal(store, viewer)}
        if not entries:
            continue
        new = sorted((c for c in access.visible_comments(store, viewer, entries.values())
                      if c.released_at is not None and c.author_id != m.person_id and c.released_at >= since),
                     key=lambda c: (c.released_at, c.id))
        if not new:
            continue
        lines = []
        for c in new:  # who commented on which entry and when: never what the entry or the comment says
            e = entries[c.entry_id]
            try:
                title = store.exercise(e.exercise_id, cohort.id).title
            except WorkbookError:
                title = e.exercise_id
            lines.append(f"{names.get(c.author_id, 'Your coach')} commented on your {title} of "
                         f"{local_date(e.created_at.astimezone(zone).date())}.")
        coaches = sorted({names.get(c.author_id, "your coach") for c in new})
        subject = (f"{cohort.name}: {coaches[0]} commented on your entry" if len(new) == 1
                   else f"{cohort.name}: {len(new)} new comments from {' and '.join(coaches)}")
        out.append(Planned("comments", m.person_id, m.name, m.email, m.role, subject,
                           tuple(f"comment {c.id}" for c in new),
                           (*lines, "Read it in your journal (the comment is shown there, not in this mail)."),
                           "Open your journal", page_url(base, "journal")))
    return out


# --- composing ----------------------------------------------------------------------------------
def compose(p: Planned, *, sender: str, link: str, cohort: "Cohort", now: dt.datetime) -> EmailMessage:
    """The message of ``p`` with ``link``: plain text and an HTML alternative, dated in the cohort's time zone."""
    zone = _zone(cohort)
    sent_at = local_time(now, zone)
    footer = (f"You get this because you are a member of {cohort.name}. "
              f"Sent {sent_at}. Questions? Ask your facilitator.")
    # Plain text wrapped at 72 columns; the link on a line of its own, never broken.
    text = "\n\n".join([f"Hello {p.name},", *map(_wrap, p.paragraphs), f"{p.link_label}:\n{link}",
                         f"-- \n{_wrap(footer)}"]) + "\n"
    body = "".join(f"<p>{html.escape(par)}</p>\n" for par in p.paragraphs)
    markup = (f"<!DOCTYPE html>\n<html><body style=\"font-family: sans-serif; line-height: 1.4\">\n"
              f"<p>Hello {html.escape(p.name)},</p>\n{body}"
              f"<p><a href=\"{html.escape(link, quote=True)}\">{html.escape(p.link_label)}</a></p>\n"
              f"<p style=\"color: #666; font-size: 90%\">{html.escape(footer)}</p>\n</body></html>\n")
    msg = EmailMessage(policy=MAIL_POLICY)
    msg["Subject"] = p.subject
    msg["From"] = sender
    msg["To"] = Address(display_name=p.name, addr_spec=p.address)
    msg["Date"] = format_datetime(now.astimezone(zone))
    domain = parseaddr(sender)[1].rpartition("@")[2] or None
    msg["Message-ID"] = make_msgid(domain=domain)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text)
    msg.add_alternative(markup, subtype="html")
    return msg


def _wrap(paragraph: str) -> str:
    return textwrap.fill(paragraph, width=72, break_long_words=False, break_on_hyphens=False)


def resolve_sender(cohort: "Cohort", sender: str | None = None) -> str:
    """The From address: ``sender``, else ``WORKBOOK_SMTP_FROM``, else ``[mail] from`` of the cohort."""
    mail_settings = cohort.settings.get("mail") if isinstance(cohort.settings.get("mail"), dict) else {}
    value = sender or os.environ.get(SENDER_VARIABLE) or str((mail_settings or {}).get("from") or "")
    address = parseaddr(value)[1]
    if not value or "@" not in address or any(ch in value for ch in "\r\n"):
        raise ConfigError(f"no valid sender address{f' ({value!r})' if value else ''}: set {SENDER_VARIABLE}, e.g. "
                          "'Programme team <programme@example.org>', or `from` under [mail] in cohort.toml")
    return value


def resolve_base_url(cohort: "Cohort", base_url: str | None = None) -> str:
    """Where members reach ``workbook serve``: ``base_url``, ``WORKBOOK_BASE_URL``, ``[mail] base_url``, or the default."""
    mail_settings = cohort.settings.get("mail") if isinstance(cohort.settings.get("mail"), dict) else {}
    value = base_url or os.environ.get(BASE_URL_VARIABLE) or str((mail_settings or {}).get("base_url") or "")
    return _check_base_url(value or DEFAULT_BASE_URL)


# --- sending ------------------------------------------------------------------------------------
def send(store: "Store", cohort_id: str, kind: str, *, people: Iterable[str] | None = None, dry_run: bool = False,
         smtp_url: str | None = None, base_url: str | None = None, sender: str | None = None,
         now: dt.datetime | None = None, expires_days: float | None = None, progress: bool = False) -> SendReport:
    """Send the messages of ``kind`` (``invites``, ``reminders``, ``nudges``, ``comments``) not sent before.

    ``people`` limits it to these member ids. ``dry_run`` composes and reports, but connects to no
    server, makes no key and records nothing. Each message is logged once the server accepted it,
    so a re-run sends only the rest. Raises :class:`MailError` (with ``report``) when the server
    cannot be reached, refuses the login, goes away, or refused some recipients (the others are
    still sent); a refused invitation's key is deleted again.
    """
    kind = _kind(kind)
    cohort = store.get_cohort(cohort_id)
    now = now or utcnow()
    base = resolve_base_url(cohort, base_url)
    if expires_days is not None and not expires_days > 0:
        raise ValidationError("bad expiry", [FieldProblem("expires", "give a number of days greater than 0")])
    wanted = plan(store, cohort_id, kind, people=people, base_url=base, now=now)
    log_kind = LOG_KIND[kind]
    done = store.sent_keys(cohort_id, log_kind)
    report = SendReport(cohort_id, kind, dry_run)
    for p in wanted:
        if all((p.person_id, a) in done for a in p.abouts):
            report.already_sent += 1
        elif not p.address or "@" not in p.address:
            report.no_address.append(p.person_id)
        else:
            # Only the parts not sent yet (a comment mail covers the comments not announced before).
            report.planned.append(p if not any((p.person_id, a) in done for a in p.abouts) else
                                  _only_new(p, done))
    if dry_run or not report.planned:
        return report
    settings = parse_smtp_url(smtp_url or os.environ.get(SMTP_URL_VARIABLE) or _missing_url())
    from_ = resolve_sender(cohort, sender)
    envelope_from = parseaddr(from_)[1]
    connection = _Connection(settings)
    try:
        smtp = connection.open()
        _deliver(store, cohort, report, smtp, settings, from_, envelope_from, base, now, expires_days, progress)
    finally:
        connection.close()
    if report.refused:
        who = "; ".join(f"{w}: {why}" for w, why in report.refused)
        raise MailError(f"the mail server refused {len(report.refused)} of {len(report.planned)} "
                        f"{kind} ({who}); {len(report.sent)} sent and recorded. Fix the address in the roster "
                        "(or wait, for a temporary refusal) and run again: only what was not sent goes out", report)
    return report


def _only_new(p: Planned, done: set[tuple[str, str]]) -> Planned:
    from dataclasses import replace

    keep = [i for i, a in enumerate(p.abouts) if (p.person_id, a) not in done]
    # A comment mail has one line per comment, then the closing line.
    paragraphs = p.paragraphs
    if len(paragraphs) == len(p.abouts) + 1:
        paragraphs = (*(paragraphs[i] for i in keep), paragraphs[-1])
    return replace(p, abouts=tuple(p.abouts[i] for i in keep), paragraphs=paragraphs)


def _missing_url() -> str:
    raise ConfigError(f"no mail server: set {SMTP_URL_VARIABLE}, e.g. smtp://user:password@mail.example.org:587 "
                      "(or try --dry-run first)")


def _deliver(store: "Store", cohort: "Cohort", report: SendReport, smtp: smtplib.SMTP, settings: SmtpSettings,
             from_: str, envelope_from: str, base: str, now: dt.datetime, expires_days: float | None,
             progress: bool) -> None:
    from tqdm import tqdm

    log_kind = LOG_KIND[report.kind]
    expires = dt.timedelta(days=expires_days) if expires_days is not None else None
    # On a terminal only (disable=None): a log file or a pipe gets no carriage-return clutter.
    bar = tqdm(report.planned, desc=f"sending {report.kind}", unit="mail", disable=None if progress else True,
               file=sys.stderr, leave=False)
    for p in bar:
        key = None
        link = p.link
        if link is None:  # an invitation: a key of its own, added to the member's others
            key = access.issue_token(store, cohort.id, p.person_id, expires_in=expires, replace=False)
            link = form_url(base, HOME_PAGE, key)
        msg = compose(p, sender=from_, link=link, cohort=cohort, now=now)
        try:
            smtp.send_message(msg, from_addr=envelope_from, to_addrs=[p.address])
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as exc:
            _forget(store, key)
            report.refused.append((f"{p.person_id} <{p.address}>", _reason(exc)))
            _reset(smtp)
            continue
        except (smtplib.SMTPException, OSError) as exc:
            _forget(store, key)
            bar.close()
            total = len(report.planned)
            raise MailError(f"the mail server at {settings.where} stopped the run ({_reason(exc)}) after "
                            f"{len(report.sent)} of {total} {report.kind}; those {len(report.sent)} are sent and "
                            "recorded. Run the same command again to send the rest", report) from None
        message_id = str(msg["Message-ID"])
        store.log_sent(cohort.id, log_kind, p.person_id, p.abouts, address=p.address, message_id=message_id,
                       sent_at=utcnow())
        report.sent.append(Sent(p.person_id, p.name, p.address, p.subject, message_id))
    bar.close()


def _forget(store: "Store", key: str | None) -> None:
    """A refused invitation's key reached nobody: it must not stay live."""
    if key is not None:
        store.drop_token(access.hash_token(key))


def _reset(smtp: smtplib.SMTP) -> None:
    try:
        smtp.rset()
    except (smtplib.SMTPException, OSError):
        pass


#: ``workbook.send_messages``: the name :func:`send` has in the package's API.
send_messages = send
