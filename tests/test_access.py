"""Access rules: a private entry never reaches anyone but its author."""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from workbook import AccessDenied, Store, access
from workbook.access import Viewer

G = {"description": "d", "evaluation": "e", "conclusion": "c"}


@pytest.fixture
def three(example: Store) -> dict[str, int]:
    ids = {}
    for vis in ("private", "coach", "cohort"):
        ids[vis] = example.add_entry("example", "p01", "gibbs", {**G, "description": vis}, visibility=vis).id
    return ids


def seen(store: Store, who: str, role: str, **kw: object) -> set[str]:
    v = Viewer(who, "example", role)
    return {e.answers["description"] for e in access.readable_entries(store, v, **kw)}


def test_visibility_matrix(example: Store, three: dict[str, int]) -> None:
    assert seen(example, "p01", "participant") == {"private", "coach", "cohort"}  # author
    assert seen(example, "c01", "coach") == {"coach", "cohort"}  # p01's coach
    assert seen(example, "c02", "coach") == {"cohort"}  # another coach
    assert seen(example, "p02", "participant") == {"cohort"}  # a peer
    assert seen(example, "f01", "facilitator") == {"cohort"}  # facilitator: no private, no coach-only
    assert seen(example, "c01", "coach", author_id="p01") == {"coach", "cohort"}
    assert seen(example, "p02", "participant", author_id="p01") == {"cohort"}
    other = Viewer("p01", "other-cohort", "participant")
    assert not access.can_read(example, other, example.get_entry(three["private"]))


def test_filters_narrow_a_listing_but_never_what_a_viewer_may_read(example: Store, three: dict[str, int]) -> None:
    p01, c01 = Viewer("p01", "example", "participant"), Viewer("c01", "example", "coach")
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)
    assert [e.id for e in access.journal(example, p01, limit=1)] == [three["cohort"]]  # newest first
    assert [e.id for e in access.journal(example, p01, newest_first=False, limit=1)] == [three["private"]]
    assert seen(example, "c01", "coach", author_id="p01", kind="reflection") == {"coach", "cohort"}
    assert seen(example, "c01", "coach", kind="checkin") == set()
    assert seen(example, "p01", "participant", since=later) == set()
    shared = access.mentee_entries(example, c01, "p01", exercise_id="gibbs")
    assert {e.visibility for e in shared} == {"coach", "cohort"}
    assert [e.id for e in access.shared_with_cohort(example, "example", author_id="p01")] == [three["cohort"]]
    assert access.shared_with_cohort(example, "example", author_id="p02") == []
    answers = access.facilitator_frame(example, "example", per="answer", author_id="p01")
    assert set(answers["entry_id"]) == {three["cohort"]}
    assert access.facilitator_frame(example, "example", per="answer", visibility=["coach"]).empty
    frame = access.facilitator_frame(example, "example", author_id="p01", visibility=["private", "cohort"])
    assert sorted(frame["visibility"]) == ["cohort", "private"] and frame["answers"].isna().sum() == 1


def test_mentee_entries_only_for_their_coach(example: Store, three: dict[str, int]) -> None:
    got = access.mentee_entries(example, Viewer("c01", "example", "coach"), "p01")
    assert {e.visibility for e in got} == {"coach", "cohort"}
    with pytest.raises(AccessDenied):
        access.mentee_entries(example, Viewer("c02", "example", "coach"), "p01")


def test_comments_released_to_author_only(example: Store, three: dict[str, int]) -> None:
    coach = Viewer("c01", "example", "coach")
    c = access.comment_on(example, coach, three["coach"], "Draft thought")
    author = Viewer("p01", "example", "participant")
    entries = [example.get_entry(three["coach"])]
    assert access.visible_comments(example, author, entries) == []
    assert [x.id for x in access.visible_comments(example, coach, entries)] == [c.id]
    example.release_comment(c.id, by="c01")
    assert [x.body for x in access.visible_comments(example, author, entries)] == ["Draft thought"]
    with pytest.raises(AccessDenied):
        access.comment_on(example, coach, three["private"], "sneaky")
    with pytest.raises(AccessDenied):
        access.comment_on(example, Viewer("c02", "example", "coach"), three["coach"], "not mine")
    for peer in (Viewer("p02", "example", "participant"), Viewer("c02", "example", "coach")):
        with pytest.raises(AccessDenied):  # a cohort-visible entry is readable, but not theirs to coach
            access.comment_on(example, peer, three["cohort"], "drive-by")
    assert len(example.find_comments([three["cohort"]])) == 0


def test_tokens_hash_only_expiry_revocation_replacement(example: Store) -> None:
    token = access.issue_token(example, "example", "p01")
    v = access.authenticate(example, token)
    assert (v.person_id, v.role) == ("p01", "participant")
    import sqlalchemy as sa
    from workbook.store.schema import access_tokens

    with example._read() as conn:
        stored = [r.token_hash for r in conn.execute(sa.select(access_tokens))]
    assert token not in stored and access.hash_token(token) in stored
    newer = access.issue_token(example, "example", "p01")  # re-invite replaces
    with pytest.raises(AccessDenied, match="not valid"):
        access.authenticate(example, token)
    assert access.authenticate(example, newer).person_id == "p01"
    access.revoke(example, "example", "p01")
    with pytest.raises(AccessDenied, match="not valid"):
        access.authenticate(example, newer)
    short = access.issue_token(example, "example", "p02", expires_in=dt.timedelta(seconds=-1))
    with pytest.raises(AccessDenied, match="not valid"):
        access.authenticate(example, short)
    for bad in (None, "", "x" * 500, "wrong"):
        with pytest.raises(AccessDenied, match="not valid"):
            access.authenticate(example, bad)


def test_participant_cannot_get_a_facilitator_link(example: Store) -> None:
    with pytest.raises(AccessDenied, match="roster"):
        access.issue_token(example, "example", "p01", role="facilitator")
    token = access.issue_token(example, "example", "p01")
    with pytest.raises(AccessDenied):
        access.authenticate(example, token, require_role=["facilitator"])


def test_a_pairing_replaces_the_roster_coach(example: Store, three: dict[str, int]) -> None:
    example.replace_pairings("example", [("c02", "p01", 3.0, ["moved"])])
    assert example.coaches_of("example", "p01") == {"c02"}
    assert "p01" not in example.mentees_of("example", "c01") and "p01" in example.mentees_of("example", "c02")
    assert seen(example, "c01", "coach") == {"cohort"}
    assert seen(example, "c02", "coach") == {"coach", "cohort"}


def test_links_stop_working_when_removed_from_the_roster(example: Store, tmp_path) -> None:
    import shutil

    from workbook import import_cohort

    from .conftest import EXAMPLE

    token = access.issue_token(example, "example", "p18")
    assert access.authenticate(example, token).person_id == "p18"
    d = tmp_path / "example"
    shutil.copytree(EXAMPLE, d)
    rows = (d / "roster.csv").read_text(encoding="utf-8").splitlines()
    (d / "roster.csv").write_text("\n".join(r for r in rows if not r.startswith("p18,")) + "\n", encoding="utf-8")
    import_cohort(example, d)
    with pytest.raises(AccessDenied, match="not valid"):
        access.authenticate(example, token)


# --- every verb a surface calls refuses a viewer without the right, and changes nothing ---------
def _verb_cases(example: Store, three: dict[str, int]) -> dict[str, tuple[Any, Any]]:
    """For each public verb of `access` that acts: (a call by someone without the right, a call by someone with it)."""
    from workbook import retro

    p01, p02 = Viewer("p01", "example", "participant"), Viewer("p02", "example", "participant")
    c01, c02 = Viewer("c01", "example", "coach"), Viewer("c02", "example", "coach")
    f01 = Viewer("f01", "example", "facilitator")
    from workbook import goals, kudos, mentoring, milestones

    comment = access.comment_on(example, c01, three["coach"], "draft")
    draft = access.comment_on(example, c01, three["coach"], "draft to edit")
    gone = access.comment_on(example, c01, three["coach"], "draft to delete")
    goal = example.add_goal("example", "p01", "Speak up in meetings")
    soon = dt.date.today() + dt.timedelta(days=30)
    proposed = goals.create_goal(example, p01, "p01", "Proposed", measure="m", target_date=soon)
    session = retro.open_retro(example, f01, "start-stop-continue")
    example.add_entry("example", "p01", "start-stop-continue", {"start": ["Pairing"]}, session_id=session.id,
                      visibility="private")
    card = example.find_cards(session.id)[0]
    retro.set_phase(example, f01, session.id, "vote")
    item = example.add_action_item("example", "Book a room", session_id=session.id, owner_id="p02")
    answers = {**example.get_entry(three["private"]).answers, "description": "edited"}
    return {
        "edit_entry": (lambda: access.edit_entry(example, p02, three["private"], answers),
                       lambda: access.edit_entry(example, p01, three["private"], answers)),
        "comment_on": (lambda: access.comment_on(example, c02, three["coach"], "x"),
                       lambda: access.comment_on(example, c01, three["coach"], "x")),
        "release_comment": (lambda: access.release_comment(example, c02, comment.id),
                            lambda: access.release_comment(example, c01, comment.id)),
        "edit_comment": (lambda: access.edit_comment(example, c02, draft.id, "mine now"),
                         lambda: access.edit_comment(example, c01, draft.id, "better words")),
        "delete_comment": (lambda: access.delete_comment(example, c02, gone.id),
                           lambda: access.delete_comment(example, c01, gone.id)),
        "create_goal": (lambda: goals.create_goal(example, p02, "p01", "x", measure="m", target_date=soon),
                        lambda: goals.create_goal(example, c01, "p01", "x", measure="m", target_date=soon)),
        "agree_goal": (lambda: goals.agree_goal(example, p01, proposed.id),
                       lambda: goals.agree_goal(example, c01, proposed.id)),
        "edit_goal": (lambda: goals.edit_goal(example, c02, goal.id, what="y"),
                      lambda: goals.edit_goal(example, p01, goal.id, what="y")),
        "set_goal_status": (lambda: goals.set_goal_status(example, p02, goal.id, "dropped"),
                            lambda: goals.set_goal_status(example, f01, goal.id, "dropped")),
        "goals_of": (lambda: goals.goals_of(example, c02, "p01"), lambda: goals.goals_of(example, c01, "p01")),
        "schedule_checkin": (lambda: mentoring.schedule_checkin(example, c02, "p01", soon),
                             lambda: mentoring.schedule_checkin(example, c01, "p01", soon)),
        "pair_health": (lambda: mentoring.pair_health(example, p01), lambda: mentoring.pair_health(example, c01)),
        "record_milestone": (lambda: milestones.record_milestone(example, c02, "p01", "m"),
                             lambda: milestones.record_milestone(example, c01, "p01", "m")),
        "milestones_of": (lambda: milestones.milestones_of(example, p02, "p01"),
                          lambda: milestones.milestones_of(example, c01, "p01")),
        "give_kudos": (lambda: kudos.give_kudos(example, Viewer("p01", "other", "participant"), "p02", "x",
                                                shared_with_cohort=True),
                       lambda: kudos.give_kudos(example, p01, "p02", "x", shared_with_cohort=True)),
        "record_progress": (lambda: access.record_progress(example, c01, goal.id, 50),
                            lambda: access.record_progress(example, p01, goal.id, 50)),
        "set_action_status": (lambda: access.set_action_status(example, p01, item, "done"),
                              lambda: access.set_action_status(example, p02, item, "done")),
        "mentee_entries": (lambda: access.mentee_entries(example, c02, "p01"),
                           lambda: access.mentee_entries(example, c01, "p01")),
        "visible_cards": (lambda: access.visible_cards(example, Viewer("p01", "other", "participant"), session.id),
                          lambda: access.visible_cards(example, p01, session.id)),
        "vote": (lambda: retro.vote(example, p02, card.id), lambda: retro.vote(example, p01, card.id)),
        "issue_token": (lambda: access.issue_token(example, "example", "p01", role="facilitator"),
                        lambda: access.issue_token(example, "example", "p01")),
    }


def test_every_acting_verb_refuses_a_viewer_without_the_right(example: Store, three: dict[str, int]) -> None:
    from .conftest import dump

    cases = _verb_cases(example, three)
    # The list is complete: every public function of `access` that changes something or reveals a
    # person's entries is covered here (new verbs must be added).
    acting = {"edit_entry", "comment_on", "release_comment", "record_progress", "set_action_status",
              "mentee_entries", "visible_cards", "issue_token", "edit_comment", "delete_comment"}
    public = {n for n in dir(access) if not n.startswith("_") and callable(getattr(access, n))}
    assert acting <= public and set(cases) >= acting
    for name, (refused, allowed) in cases.items():
        before = dump(example)
        with pytest.raises(AccessDenied):
            refused()
        assert dump(example) == before, f"{name}: a refused call changed the store"
        allowed()  # the same verb works for someone with the right


def test_predicates_agree_with_the_verbs(example: Store, three: dict[str, int]) -> None:
    entry = example.get_entry(three["private"])
    assert access.can_edit(Viewer("p01", "example", "participant"), entry)
    assert not access.can_edit(Viewer("f01", "example", "facilitator"), entry)
    assert not access.can_edit(Viewer("p01", "other", "participant"), entry)
    session = example.add_session("example", "start-stop-continue")
    example.add_entry("example", "p01", "start-stop-continue", {"start": ["Pairing"]}, session_id=session.id,
                      visibility="private")
    [card] = example.find_cards(session.id)
    shared = dataclasses.replace(card, visibility="cohort")
    assert access.can_see_card(Viewer("p01", "example", "participant"), card)
    assert not access.can_see_card(Viewer("p02", "example", "participant"), card)
    assert access.can_see_card(Viewer("p02", "example", "participant"), shared)
    assert not access.can_see_card(Viewer("p02", "other", "participant"), shared)
    assert access.page_roles("participation") == ("facilitator",) and access.page_roles("journal") is None


# --- a trusted authenticating proxy: user header -> roster person, and the server's signed viewer ---
SECRET = "t" * 43


def test_a_proxy_user_is_a_roster_person_by_id_or_email(example: Store) -> None:
    from workbook.store.models import Cohort, Membership

    p01 = Viewer("p01", "example", "participant")
    assert access.trusted_viewer(example, "p01") == p01
    assert access.trusted_viewer(example, " P01 ") == p01  # case-insensitive, trimmed
    email = example.get_person("c01").email
    assert access.trusted_viewer(example, email.upper()) == Viewer("c01", "example", "coach")
    assert access.trusted_viewer(example, "p01", "example", require_role=["participant"]) == p01
    for user, said in (("mallory", "nobody on any cohort"), ("", "not valid"), ("x" * 400, "not valid")):
        with pytest.raises(AccessDenied, match=said):
            access.trusted_viewer(example, user)
    with pytest.raises(AccessDenied, match="not available"):
        access.trusted_viewer(example, "p01", require_role=["facilitator"])
    # p01 is on a second cohort's roster: the server must say which cohort it serves.
    example.save_cohort(Cohort("autumn", "Autumn", "UTC", 3, "private", {}))
    mine = example.get_membership("example", "p01")
    example.save_members("autumn", [Membership("autumn", "p01", mine.name, mine.email, "coach")])
    with pytest.raises(AccessDenied, match="several cohorts .*autumn, example.*--cohort"):
        access.trusted_viewer(example, "p01")
    assert access.trusted_viewer(example, "p01", "autumn") == Viewer("p01", "autumn", "coach")
    assert access.trusted_viewer(example, mine.email, "example") == p01
    with pytest.raises(AccessDenied, match="nobody on the roster of 'autumn'"):
        access.trusted_viewer(example, "p02", "autumn")
    # Two people share an email: neither is guessed.
    other = example.get_membership("example", "p02")
    example.save_members("example", [dataclasses.replace(other, email=example.get_person("p03").email.upper())])
    with pytest.raises(AccessDenied, match=r"several people on the roster \(p02, p03\)"):
        access.trusted_viewer(example, example.get_person("p03").email)
    # Someone who left the roster is nobody.
    example.save_members("example", [dataclasses.replace(example.get_membership("example", "p04"), active=False)])
    with pytest.raises(AccessDenied, match="nobody on"):
        access.trusted_viewer(example, "p04")


def test_a_signed_viewer_is_verified_and_expires(example: Store) -> None:
    p01 = Viewer("p01", "example", "participant")
    now = dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)
    signed = access.sign_viewer(p01, SECRET, now=now)
    assert access.viewer_from_assertion(example, signed, SECRET, now=now) == p01
    later = now + access.ASSERTION_TTL
    with pytest.raises(AccessDenied, match="not valid"):
        access.viewer_from_assertion(example, signed, SECRET, now=later)  # expired
    assert access.viewer_from_assertion(example, signed, SECRET, now=later - dt.timedelta(seconds=1)) == p01
    payload, mac = signed.split(".")
    f01 = access.sign_viewer(Viewer("f01", "example", "facilitator"), SECRET, now=now).split(".")[0]
    tampered = [f"{f01}.{mac}", f"{payload}.{mac[:-2]}AA", f"{payload}x.{mac}", signed + ".x", "", "a.b",
                access.sign_viewer(p01, "u" * 43, now=now)]  # another payload, mac, or secret
    for bad in tampered:
        with pytest.raises(AccessDenied, match="not valid"):
            access.viewer_from_assertion(example, bad, SECRET, now=now)
    with pytest.raises(AccessDenied, match="not available"):
        access.viewer_from_assertion(example, signed, SECRET, require_role=["facilitator"], now=now)
    with pytest.raises(AccessDenied):  # no server secret, no assertion (too short to be one)
        access.sign_viewer(p01, "short")
    # The roster decides again: a changed role or a person who left is refused.
    member = example.get_membership("example", "p01")
    example.save_members("example", [dataclasses.replace(member, role="coach")])
    with pytest.raises(AccessDenied, match="not valid"):
        access.viewer_from_assertion(example, signed, SECRET, now=now)
    example.save_members("example", [dataclasses.replace(member, active=False)])
    with pytest.raises(AccessDenied, match="not valid"):
        access.recheck_member(example, p01)


def test_only_a_trusted_proxy_address_may_name_the_user() -> None:
    proxies = access.trusted_proxies(["127.0.0.1", "::1", "10.0.0.0/24"])
    for ip in ("127.0.0.1", "::1", "::ffff:127.0.0.1", "10.0.0.9"):
        assert access.is_trusted_proxy(ip, proxies), ip
    for ip in ("127.0.0.2", "10.0.1.1", "::2", "", None, "not-an-ip", "fe80::1%eth0"):
        assert not access.is_trusted_proxy(ip, proxies), ip
    assert not access.is_trusted_proxy("127.0.0.1", ())
    headers = {"X-Forwarded-User": " p01 "}
    assert access.proxy_user("127.0.0.1", headers, "X-Forwarded-User", proxies) == "p01"
    assert access.proxy_user("127.0.0.1", headers, "", proxies) is None  # no header configured
    assert access.proxy_user("192.0.2.7", headers, "X-Forwarded-User", proxies) is None  # not the proxy
    assert access.proxy_user("127.0.0.1", {"X-Forwarded-User": ""}, "X-Forwarded-User", proxies) is None
    with pytest.raises(ValueError, match="'localhost' is not an IP address"):
        access.trusted_proxies(["localhost"])


def test_a_page_takes_a_signed_viewer_only_without_a_key(example: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from workbook.forms.pages import page

    monkeypatch.setenv(access.ASSERTION_SECRET_ENV, SECRET)
    signed = access.sign_viewer(Viewer("p01", "example", "participant"))
    shown = page("journal", f"?wb_viewer={signed}", example)
    assert shown.viewer == Viewer("p01", "example", "participant") and shown.journal is not None
    forged = access.sign_viewer(Viewer("p01", "example", "participant"), "u" * 43)
    refused = page("journal", f"?wb_viewer={forged}", example)
    assert refused.viewer is None and "not valid" in (refused.message or "")
    key = access.issue_token(example, "example", "p02")
    assert page("journal", f"?key={key}&wb_viewer={signed}", example).viewer.person_id == "p02"  # the key wins
    form = page("reflection", f"?exercise=gibbs&wb_viewer={signed}", example).form
    assert form is not None and form.ctx.key is None and form.ctx.trusted
    member = example.get_membership("example", "p01")
    example.save_members("example", [dataclasses.replace(member, active=False)])
    with pytest.raises(AccessDenied):  # taken off the roster while the page is open: the next save stops
        form.ctx.check()
