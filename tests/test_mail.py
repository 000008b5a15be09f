"""`workbook send`: messages through a REAL SMTP server (aiosmtpd) on loopback, started by each test.

Every message arrives (parsed with `email`), the personal link in an invitation authenticates,
each message has a plain text and an HTML part, no entry or comment text is in any mail, no key
is in the database, a refusing or vanishing server gives one clear error, and a re-run sends only
what was not sent. STARTTLS and SMTPS are tested with a self-signed certificate made by openssl.
"""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import re
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from workbook import Store, access, import_cohort
from workbook.cli import main
from workbook.errors import ConfigError, NotFoundError, ValidationError
from workbook.mail import MailError, parse_smtp_url, send

aiosmtpd = pytest.importorskip("aiosmtpd")
from aiosmtpd.controller import Controller  # noqa: E402
from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: E402

from tests.browser_support import free_port  # noqa: E402
from tests.conftest import EXAMPLE, dump  # noqa: E402

SENDER = "Programme team <programme@northwind.example>"
BASE = "http://forms.test:8866"
G = {"description": "d", "evaluation": "e", "conclusion": "c"}
SECRET = "SECRET-ENTRY-TEXT-41"
SECRET_COMMENT = "SECRET-COMMENT-BODY-97"
LINK = re.compile(r"http://forms\.test:8866/voila/render/(\w+)\.ipynb(?:\?key=([\w\-]+))?")


@dataclass
class Collector:
    """An aiosmtpd handler that keeps every message, refuses chosen recipients, or drops the connection."""

    messages: list[EmailMessage] = field(default_factory=list)
    tls: list[bool] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    drop_after: int | None = None  # close the connection instead of accepting message number drop_after + 1

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.drop_after is not None and len(self.messages) >= self.drop_after:
            server.transport.close()  # the connection goes away mid-run, the message unaccepted
            return "421 closing"
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append(msg)
        self.tls.append(server.transport.get_extra_info("ssl_object") is not None)  # STARTTLS or SMTPS
        return "250 Message accepted"


@dataclass
class Server:
    handler: Collector
    controller: Controller
    scheme: str = "smtp"
    auth: str = ""
    query: str = ""

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.auth}127.0.0.1:{self.controller.port}" + (f"?{self.query}" if self.query else "")

    running: bool = True

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.messages

    def stop(self) -> None:
        if self.running:
            self.controller.stop()
            self.running = False


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"mailer", b"s3cret")
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp() -> Iterator[Any]:
    """Start SMTP servers on loopback: ``smtp(**controller_options)`` -> :class:`Server`; all stopped afterwards."""
    started: list[Server] = []

    def start(*, scheme: str = "smtp", auth: str = "", query: str = "", **options: Any) -> Server:
        handler = Collector()
        controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **options)
        controller.start()
        started.append(Server(handler, controller, scheme, auth, query))
        return started[-1]

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (made with openssl), and its key."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    d = tmp_path_factory.mktemp("cert")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(d / "key.pem"),
                    "-out", str(d / "cert.pem"), "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"], check=True, capture_output=True)
    return d / "cert.pem", d / "key.pem"


def _server_context(cert: tuple[Path, Path]) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(cert[0]), str(cert[1]))
    return ctx


def parts(msg: EmailMessage) -> tuple[str, str]:
    """The plain text and the HTML of a message (both must be there)."""
    assert msg.get_content_type() == "multipart/alternative"
    plain = msg.get_body(("plain",))
    markup = msg.get_body(("html",))
    assert plain is not None and markup is not None
    return plain.get_content(), markup.get_content()


def words(text: str) -> str:
    """Text with its line breaks (plain text is wrapped at 72 columns) as single spaces."""
    return " ".join(text.split())


def to_address(msg: EmailMessage) -> str:
    return msg["To"].addresses[0].addr_spec


def members(store: Store, role: str | None = None) -> dict[str, str]:
    """Email address -> person id of the active members."""
    return {m.email: m.person_id for m in store.find_members("example", role)}


def go(store: Store, server: Server, kind: str, **kw: Any) -> Any:
    return send(store, "example", kind, smtp_url=server.url, sender=SENDER, base_url=BASE, **kw)


# --- invitations --------------------------------------------------------------------------------
def test_invites_arrive_with_working_home_links_and_no_key_is_stored(example: Store, smtp: Any) -> None:
    server = smtp()
    from workbook.invite import create_links

    [earlier] = create_links(example, "example", people=["p01"])
    report = go(example, server, "invites")
    everyone = members(example)
    assert len(report.sent) == len(everyone) == len(server.messages)
    keys = []
    for msg in server.messages:
        text, markup = parts(msg)
        person = everyone[to_address(msg)]
        links = LINK.findall(text)
        assert [page for page, _ in links] == ["home"]
        key = links[0][1]
        assert f'href="{BASE}/voila/render/home.ipynb?key={key}"' in markup
        assert access.authenticate(example, key).person_id == person  # the link in the mail works
        assert msg["From"] == SENDER and msg["Message-ID"] and msg["Subject"].startswith("Your personal link")
        assert msg["To"].addresses[0].display_name == example.get_membership("example", person).name  # "Lucía"
        assert msg["Date"].endswith(("+0000", "+0100"))  # the cohort's zone (Europe/London)
        keys.append(key)
    # An invitation adds a link: the one handed out before still works.
    assert access.authenticate(example, earlier.key).person_id == "p01"
    # The send log: kind, whom, about what, when, message id; the key is nowhere in the database.
    log = example.find_sent("example", kind="invite")
    assert {r.person_id for r in log} == set(everyone.values()) and all(r.about == "home" for r in log)
    assert {r.message_id for r in log} == {m["Message-ID"] for m in server.messages}
    everything = json.dumps(dump(example))
    assert not [k for k in keys if k in everything]
    assert all(access.hash_token(k) in everything for k in keys)
    # A re-run sends nothing (and does not even need the server).
    server.stop()
    again = send(example, "example", "invites", smtp_url=server.url, sender=SENDER, base_url=BASE)
    assert again.sent == [] and again.already_sent == len(everyone)


def test_dry_run_sends_and_records_nothing(example: Store, smtp: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    server = smtp()
    monkeypatch.delenv("WORKBOOK_SMTP_URL", raising=False)
    before = dump(example)
    report = send(example, "example", "invites", dry_run=True, base_url=BASE)
    assert report.dry_run and len(report.planned) == len(members(example)) and report.sent == []
    assert report.lines()[0].startswith("Dry run: would send")
    assert dump(example) == before and server.messages == []
    with pytest.raises(ConfigError, match="WORKBOOK_SMTP_URL"):  # a real send needs a server
        send(example, "example", "invites", sender=SENDER, base_url=BASE)
    assert dump(example) == before


def test_one_person_only_and_bad_people(example: Store, smtp: Any) -> None:
    server = smtp()
    report = go(example, server, "invites", people=["p03"])
    assert [s.person_id for s in report.sent] == ["p03"] and len(server.messages) == 1
    before = dump(example)
    with pytest.raises(NotFoundError):
        go(example, server, "invites", people=["nobody"])
    with pytest.raises(ValidationError, match="c01 is a coach"):  # reminders are for participants
        go(example, server, "reminders", people=["c01"])
    with pytest.raises(ValidationError):
        go(example, server, "postcards")
    assert dump(example) == before and len(server.messages) == 1


# --- a server that refuses or goes away ---------------------------------------------------------
def test_refused_recipient_gets_a_clear_error_and_the_rerun_sends_only_them(example: Store, smtp: Any) -> None:
    server = smtp()
    participants = members(example, "participant")
    refused = next(a for a, p in participants.items() if p == "p02")
    server.handler.refuse.add(refused)
    tokens_before = len(dump(example)["access_tokens"])
    with pytest.raises(MailError) as info:
        go(example, server, "invites", people=list(participants.values()))
    message = str(info.value)
    assert "refused 1 of" in message and "p02" in message and "550" in message and "run again" in message
    assert len(server.messages) == len(participants) - 1
    assert "p02" not in {r.person_id for r in example.find_sent("example")}
    # The refused invitation's key reached nobody: it is gone again.
    assert len(dump(example)["access_tokens"]) == tokens_before + len(participants) - 1
    server.handler.refuse.clear()
    report = go(example, server, "invites", people=list(participants.values()))
    assert [s.person_id for s in report.sent] == ["p02"] and report.already_sent == len(participants) - 1
    assert sorted(to_address(m) for m in server.messages) == sorted(participants)


def test_dropped_connection_stops_and_the_rerun_sends_the_rest(example: Store, smtp: Any) -> None:
    server = smtp()
    server.handler.drop_after = 3
    everyone = members(example)
    with pytest.raises(MailError) as info:
        go(example, server, "invites")
    assert f"after 3 of {len(everyone)} invites" in str(info.value) and "again" in str(info.value)
    assert info.value.report is not None and len(info.value.report.sent) == 3
    assert len(example.find_sent("example")) == 3 == len(server.messages)
    server.handler.drop_after = None
    report = go(example, server, "invites")
    assert len(report.sent) == len(everyone) - 3
    received = [to_address(m) for m in server.messages]
    assert sorted(received) == sorted(everyone)  # everyone once, nobody twice
    # Every live key of the run authenticates (the one of the dropped message was deleted).
    for msg in server.messages:
        key = LINK.findall(parts(msg)[0])[0][1]
        assert access.authenticate(example, key).person_id == everyone[to_address(msg)]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_server_not_running_or_refusing_the_login(example: Store, smtp: Any) -> None:
    before = dump(example)
    with pytest.raises(MailError, match="cannot reach the mail server.*nothing was sent"):
        send(example, "example", "invites", smtp_url=f"smtp://127.0.0.1:{free_port()}", sender=SENDER)
    server = smtp(authenticator=_authenticator, auth_required=True, auth_require_tls=False,
                  auth="mailer:wrong@")
    with pytest.raises(MailError, match="refused the user name or password.*nothing was sent"):
        go(example, server, "invites")
    assert dump(example) == before and server.messages == []  # no key made, nothing logged
    server.auth = "mailer:s3cret@"  # a login without TLS is allowed on loopback only
    assert len(go(example, server, "invites", people=["p01"]).sent) == 1


def test_login_to_a_remote_server_without_tls_is_refused() -> None:
    with pytest.raises(ConfigError, match="unencrypted"):
        parse_smtp_url("smtp://me:pw@mail.example.org?starttls=never")
    s = parse_smtp_url("smtp://me:p%40ss@mail.example.org")
    assert (s.port, s.username, s.password, s.starttls) == (587, "me", "p@ss", "auto") and "p@ss" not in repr(s)
    assert parse_smtp_url("smtps://mail.example.org").port == 465
    assert parse_smtp_url("smtp://127.0.0.1").port == 25
    for bad in ("http://mail.example.org", "smtp://", "smtp://h?colour=red", "smtp://h?starttls=maybe",
                "smtp://h:notaport"):
        with pytest.raises(ConfigError):
            parse_smtp_url(bad)


def test_sender_and_base_url_come_from_the_environment_or_the_cohort(monkeypatch: pytest.MonkeyPatch) -> None:
    from workbook.mail import resolve_base_url, resolve_sender
    from workbook.store.models import Cohort

    monkeypatch.delenv("WORKBOOK_SMTP_FROM", raising=False)
    monkeypatch.delenv("WORKBOOK_BASE_URL", raising=False)
    plain = Cohort("c", "C", "UTC")
    configured = Cohort("c", "C", "UTC", settings={"mail": {"from": "Team <team@c.org>",
                                                            "base_url": "https://forms.c.org/wb/"}})
    with pytest.raises(ConfigError, match="WORKBOOK_SMTP_FROM"):
        resolve_sender(plain)
    assert resolve_sender(configured) == "Team <team@c.org>"
    assert resolve_base_url(plain) == "http://127.0.0.1:8866"
    assert resolve_base_url(configured) == "https://forms.c.org/wb"
    monkeypatch.setenv("WORKBOOK_SMTP_FROM", "ops@c.org")
    monkeypatch.setenv("WORKBOOK_BASE_URL", "https://env.c.org")
    assert resolve_sender(configured) == "ops@c.org" and resolve_base_url(configured) == "https://env.c.org"
    assert resolve_base_url(configured, "http://given:1") == "http://given:1"
    for bad in ("not an address", "a@b.org\r\nBcc: x@y.org"):
        with pytest.raises(ConfigError):
            resolve_sender(plain, bad)
    with pytest.raises(ConfigError):
        resolve_base_url(plain, "forms.c.org")


# --- TLS ----------------------------------------------------------------------------------------
def test_starttls_is_used_when_offered_and_login_goes_over_it(example: Store, smtp: Any,
                                                              cert: tuple[Path, Path]) -> None:
    server = smtp(tls_context=_server_context(cert), authenticator=_authenticator, auth_required=True,
                  auth_require_tls=True, auth="mailer:s3cret@", query=f"cafile={cert[0]}")
    report = go(example, server, "invites", people=["p01", "p02"])
    assert len(report.sent) == 2 and server.handler.tls == [True, True]
    # Without the private CA the certificate is not trusted: a clear error, nothing sent.
    server.query = ""
    with pytest.raises(MailError, match="no secure connection.*cafile"):
        go(example, server, "invites", people=["p03"])
    # starttls=require against a server that does not offer it
    plain = smtp(query="starttls=require")
    with pytest.raises(MailError, match="does not offer STARTTLS"):
        go(example, plain, "invites", people=["p03"])
    assert plain.messages == []


def test_smtps_implicit_tls(example: Store, smtp: Any, cert: tuple[Path, Path]) -> None:
    server = smtp(scheme="smtps", ssl_context=_server_context(cert), query=f"cafile={cert[0]}")
    report = go(example, server, "invites", people=["p01"])
    assert len(report.sent) == 1 and server.handler.tls == [True]
    assert parts(server.messages[0])[0].count("home.ipynb?key=") == 1


# --- reminders, comments, nudges ----------------------------------------------------------------
def _monday_noon() -> dt.datetime:
    """Noon UTC on a Wednesday two weeks ahead: a whole week of the cohort's own."""
    today = dt.datetime.now(dt.timezone.utc).date()
    wednesday = today + dt.timedelta(days=14 - today.weekday() + 2)
    return dt.datetime.combine(wednesday, dt.time(12), tzinfo=dt.timezone.utc)


def test_reminders_go_to_participants_without_this_weeks_reflection(example: Store, smtp: Any) -> None:
    server = smtp()
    now = _monday_noon()
    example.add_entry("example", "p01", "gibbs", {**G, "description": SECRET}, visibility="private",
                      created_at=now - dt.timedelta(days=1))  # this week (Tuesday)
    example.add_entry("example", "p02", "gibbs", {**G, "description": SECRET}, visibility="cohort",
                      created_at=now - dt.timedelta(days=3))  # last week (Sunday)
    example.add_entry("example", "p03", "mentorship-checkin", _checkin_answers(example),
                      created_at=now - dt.timedelta(days=1))  # a check-in is no reflection
    report = go(example, server, "reminders", now=now)
    participants = members(example, "participant")
    got = {participants[to_address(m)] for m in server.messages}
    assert got == set(participants.values()) - {"p01"} and "p02" in got and "p03" in got
    monday = (now - dt.timedelta(days=2)).date()
    for msg in server.messages:
        text, markup = parts(msg)
        assert SECRET not in text and SECRET not in markup
        assert f"Monday {monday.day} {monday:%B %Y}" in words(text)  # the cohort's week, in its words
        assert LINK.findall(text) == [("home", "")]  # a link without a key
    assert {r.about for r in example.find_sent("example", kind="reminder")} == {f"week {monday.isoformat()}"}
    assert go(example, server, "reminders", now=now + dt.timedelta(days=2)).sent == []  # same week: not again
    next_week = go(example, server, "reminders", now=now + dt.timedelta(days=7))
    assert len(next_week.sent) == len(participants)  # a new week: everyone again (nobody wrote)
    assert report.sent and len(server.messages) == len(report.sent) + len(next_week.sent)


def _checkin_answers(store: Store) -> dict[str, Any]:
    ex = store.exercise("mentorship-checkin", "example")
    out: dict[str, Any] = {}
    for p in ex.prompts:
        if not p.required:
            continue
        out[p.id] = (p.min or 1) if p.type == "scale" else p.options[0] if p.type == "choice" else (
            [p.options[0]] if p.type == "multi" else "x")
    return out


def test_your_coach_commented_names_no_content_and_each_comment_once(example: Store, smtp: Any) -> None:
    server = smtp()
    entry = example.add_entry("example", "p01", "gibbs", {**G, "description": SECRET}, visibility="coach")
    coach_id = sorted(example.coaches_of("example", "p01"))[0]
    coach = access.Viewer(coach_id, "example", "coach")
    draft = access.comment_on(example, coach, entry.id, SECRET_COMMENT)
    assert go(example, server, "comments").sent == []  # a draft tells nobody
    access.release_comment(example, coach, draft.id)
    report = go(example, server, "comments")
    assert [s.person_id for s in report.sent] == ["p01"]
    [msg] = server.messages
    text, markup = parts(msg)
    coach_name = example.get_membership("example", coach_id).name
    assert coach_name in msg["Subject"] and coach_name in words(text)
    for secret in (SECRET, SECRET_COMMENT):
        assert secret not in text and secret not in markup and secret not in str(msg)
    assert LINK.findall(text) == [("journal", "")]
    assert go(example, server, "comments").sent == []
    second = access.comment_on(example, coach, entry.id, SECRET_COMMENT + "-2", release=True)
    access.release_comment(example, coach, second.id)
    again = go(example, server, "comments")
    assert [s.person_id for s in again.sent] == ["p01"] and len(server.messages) == 2
    assert {r.about for r in example.find_sent("example", kind="comment")} == {f"comment {draft.id}",
                                                                                f"comment {second.id}"}


def test_nudges_for_overdue_check_ins_reach_mentee_and_coach(example: Store, smtp: Any) -> None:
    from workbook import mentoring

    server = smtp()
    now = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=30)
    overdue = [h for h in mentoring.pair_health(example, access.batch_audience("example"), now=now)
               if h.overdue_days > 0]
    assert overdue, "the example's pairs are overdue a month after import"
    assert go(example, server, "nudges").sent == []  # pairs made today are never overdue
    report = go(example, server, "nudges", now=now)
    everyone = members(example)
    got = sorted((everyone[to_address(m)], m["Subject"]) for m in server.messages)
    assert len(report.sent) == len(server.messages) == 2 * len(overdue)
    for h in overdue:
        assert any(p == h.mentee_id and h.coach_name in s for p, s in got)
        assert any(p == h.coach_id and h.mentee_name in s for p, s in got)
    for msg in server.messages:
        text, _ = parts(msg)
        assert "days ago" in words(text) and LINK.findall(text)[0][0] in ("checkin", "coach")
    assert go(example, server, "nudges", now=now).sent == []


# --- erasure and the command --------------------------------------------------------------------
def test_erasure_removes_the_send_log_rows(example: Store, smtp: Any) -> None:
    server = smtp()
    go(example, server, "invites", people=["p01", "p02"])
    assert len(example.find_sent("example", person_id="p01")) == 1
    counts = example.erase_member("example", "p01", erased_by="f01")
    assert counts["send_log"] == 1
    assert example.find_sent("example", person_id="p01") == []
    assert len(example.find_sent("example", person_id="p02")) == 1
    assert "p01" not in json.dumps(dump(example)["sent_messages"])


def test_cli_send(tmp_path: Path, smtp: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    db = f"sqlite:///{tmp_path / 'wb.db'}"
    store = Store(db)
    import_cohort(store, EXAMPLE)
    server = smtp()
    monkeypatch.setenv("WORKBOOK_SMTP_URL", server.url)
    monkeypatch.setenv("WORKBOOK_SMTP_FROM", SENDER)
    runner = CliRunner()
    res = runner.invoke(main, ["--db", db, "send", "example", "invites", "--dry-run", "--base-url", BASE])
    assert res.exit_code == 0, res.output
    assert "Dry run: would send" in res.output and "key=" not in res.output and server.messages == []
    res = runner.invoke(main, ["--db", db, "send", "example", "invites", "--person", "p01", "--quiet"])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("Sent 1 invite.") and "key=" not in res.output and len(server.messages) == 1
    server.handler.refuse.add(store.get_membership("example", "p02").email)
    res = runner.invoke(main, ["--db", db, "send", "example", "invites", "--person", "p02", "--person", "p03",
                               "--quiet"])
    assert res.exit_code != 0 and "Traceback" not in res.output
    errors = [line for line in res.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "p02" in errors[0] and "550" in errors[0]
    assert "sent:" in res.output and "p03" not in errors[0]
    res = runner.invoke(main, ["--db", db, "send", "example", "reminders", "--base-url", "not a url"])
    assert res.exit_code != 0 and res.output.startswith("Error:")
    store.close()


@pytest.mark.slow
def test_links_in_the_mail_open_the_pages_of_a_real_server(tmp_path: Path, smtp: Any) -> None:
    """The invitation's home link opens the home page of `workbook serve`; a reminder's keyless link then
    opens it too, with the cookie the personal link left in the browser; a made-up key opens nothing."""
    from tests.browser_support import running_server
    from tests.widget_client import load_page

    db = f"sqlite:///{tmp_path / 'data' / 'wb.db'}"
    store = Store(db)
    import_cohort(store, EXAMPLE)
    mailer = smtp()
    with running_server(tmp_path, db) as server:
        send(store, "example", "invites", people=["p02"], smtp_url=mailer.url, sender=SENDER, base_url=server.url)
        send(store, "example", "reminders", people=["p02"], smtp_url=mailer.url, sender=SENDER,
             base_url=server.url)
        invite, reminder = (parts(m)[0] for m in mailer.messages)
        [home] = re.findall(r"http://127\.0\.0\.1:\d+/voila/render/home\.ipynb\?key=[\w\-]+", invite)
        first = load_page(home)
        assert first.status == 200 and "widget-view+json" in first.html and "not valid" not in first.html
        [keyless] = re.findall(r"http://127\.0\.0\.1:\d+/voila/render/home\.ipynb(?=\s)", reminder)
        cookie = "; ".join(f"{k}={v}" for k, v in first.cookies.items())
        again = load_page(keyless, cookie=cookie)
        assert again.status == 200 and "widget-view+json" in again.html
        stranger = load_page(home.rsplit("=", 1)[0] + "=madeupkeymadeupkeymadeupkey")
        assert stranger.status == 403 and "not valid" in stranger.html
    store.close()
