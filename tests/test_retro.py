"""Running a retro through its phases: cards, anonymity, votes within budget and caps, groups,
action items, on both databases (the ``example`` fixture is parametrised over SQLite and PostgreSQL)."""
from __future__ import annotations

import datetime as dt

import pytest

from workbook import AccessDenied, Store, ValidationError, retro
from workbook.access import Viewer

from .conftest import dump

FAC = Viewer("f01", "example", "facilitator")


def v(pid: str) -> Viewer:
    return Viewer(pid, "example", "participant")


def _unchanged(store: Store, call, error=ValidationError, match: str | None = None) -> None:
    """``call`` is refused with ``error`` and changes nothing (the change marker neither)."""
    before = dump(store)
    with pytest.raises(error, match=match):
        call()
    assert dump(store) == before


def test_phases_forward_and_back_with_timers_and_marker(example: Store) -> None:
    s = retro.open_session(example, FAC, "start-stop-continue", "Sprint 14 retro")
    st = retro.retro_state(example, s.id)
    assert (st.title, st.phase, st.closed, st.phase_ends_at) == ("Sprint 14 retro", "write", False, None)
    assert st.settings == retro.RetroSettings(votes_per_person=3) and st.settings.timers["vote"] == 120
    seen = {retro.change_marker(example, s.id)}
    for phase in retro.PHASES[2:-1]:
        st = retro.step(example, FAC, s.id)
        assert st.phase == phase
        m = retro.change_marker(example, s.id)
        assert m not in seen
        seen.add(m)
        if phase in retro.DEFAULT_TIMERS:
            assert st.seconds_left() in (retro.DEFAULT_TIMERS[phase], retro.DEFAULT_TIMERS[phase] - 1)
        else:
            assert st.seconds_left() is None
    assert retro.step(example, FAC, s.id, -1).phase == "discuss"
    assert retro.set_phase(example, FAC, s.id, "vote").phase == "vote"
    left = retro.extend_timer(example, FAC, s.id, 60).seconds_left()
    assert left is not None and 170 <= left <= 180
    assert retro.end_timer(example, FAC, s.id).seconds_left() == 0
    assert retro.set_phase(example, FAC, s.id, "review").phase == "review"
    _unchanged(example, lambda: retro.step(example, FAC, s.id, -1), match="phase")
    _unchanged(example, lambda: retro.set_phase(example, FAC, s.id, "brainstorm"), match="unknown phase")
    _unchanged(example, lambda: retro.step(example, v("p01"), s.id), AccessDenied)
    _unchanged(example, lambda: retro.set_phase(example, Viewer("f01", "other", "facilitator"), s.id, "vote"),
               AccessDenied)
    closed = retro.close_session(example, FAC, s.id)
    assert closed.closed and closed.phase == "closed" and closed.seconds_left() is None
    assert retro.running_retros(example, "example") == [] and retro.current_retro(example, "example") is None
    link = retro.retro_for_link(example, "example")
    assert link is not None and link.session_id == s.id and link.closed
    # back from closed reopens it
    assert retro.set_phase(example, FAC, s.id, "actions").phase == "actions"
    assert [r.id for r in retro.running_retros(example, "example")] == [s.id]


def test_open_refuses_a_duplicate_unless_forced_and_settings_override(example: Store) -> None:
    assert retro.retro_for_link(example, "example") is None
    s = retro.open_session(example, FAC, "start-stop-continue", settings={"votes_per_person": 5,
                                                                         "timers": {"write": 60}})
    _unchanged(example, lambda: retro.open_session(example, FAC, "start-stop-continue"), match="already running")
    other = retro.open_session(example, FAC, "4ls")  # another template may run at the same time
    forced = retro.open_session(example, FAC, "start-stop-continue", "Second room", force=True)
    assert [r.id for r in retro.running_retros(example, "example")] == [forced.id, other.id, s.id]
    st = retro.retro_state(example, s.id)
    assert st.settings.votes_per_person == 5 and st.settings.timers["write"] == 60
    assert st.settings.timers["vote"] == 120
    st = retro.update_settings(example, FAC, s.id, cap_per_card=2, show_authors=True)
    assert (st.settings.cap_per_card, st.settings.show_authors, st.settings.votes_per_person) == (2, True, 5)
    _unchanged(example, lambda: retro.update_settings(example, FAC, s.id, votes_per_person=0), match="settings")
    _unchanged(example, lambda: retro.update_settings(example, FAC, s.id, colour="red"), match="settings")
    _unchanged(example, lambda: retro.update_settings(example, v("p01"), s.id, cap_per_card=3), AccessDenied)
    _unchanged(example, lambda: retro.open_session(example, FAC, "gibbs"), match="retro templates")
    _unchanged(example, lambda: retro.open_session(example, v("p01"), "mad-sad-glad"), AccessDenied)
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    _unchanged(example, lambda: retro.open_session(example, FAC, "mad-sad-glad", closes_at=past), match="close")


def test_closes_at_is_respected(example: Store) -> None:
    soon = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
    s = retro.open_session(example, FAC, "4ls", closes_at=soon)
    assert not retro.retro_state(example, s.id).closed
    later = soon + dt.timedelta(minutes=1)
    st = retro.retro_state(example, s.id, now=later)
    assert st.closed and st.phase == "closed"
    assert retro.running_retros(example, "example", now=later) == []


def test_cards_written_hidden_until_reveal_and_anonymous(example: Store) -> None:
    s = retro.open_session(example, FAC, "start-stop-continue")
    a = retro.add_card(example, v("p01"), s.id, "start", "  Demo Fridays ")
    b = retro.add_card(example, v("p02"), s.id, "stop", "Long calls")
    m = retro.change_marker(example, s.id)
    retro.edit_card(example, v("p01"), a, "Demo on Fridays")
    assert retro.change_marker(example, s.id) != m
    own = retro.board(example, v("p01"), s.id)
    assert [(c.text, c.mine, c.author) for c in own.all_cards()] == [("Demo on Fridays", True, None)]
    assert retro.board(example, v("p03"), s.id).all_cards() == []
    # bad input: nothing changes
    _unchanged(example, lambda: retro.add_card(example, v("p01"), s.id, "start", "   "), match="empty card")
    _unchanged(example, lambda: retro.add_card(example, v("p01"), s.id, "start", "x" * (retro.MAX_CARD_CHARS + 1)),
               match="too long")
    _unchanged(example, lambda: retro.add_card(example, v("p01"), s.id, "later", "x"), match="unknown column")
    _unchanged(example, lambda: retro.edit_card(example, v("p02"), a, "mine now"), AccessDenied)
    _unchanged(example, lambda: retro.delete_card(example, v("p02"), a), AccessDenied)
    _unchanged(example, lambda: retro.add_card(example, Viewer("p01", "other", "participant"), s.id, "start", "x"),
               AccessDenied)
    retro.delete_card(example, v("p02"), b)
    retro.add_card(example, v("p02"), s.id, "stop", "Overrunning")
    assert retro.participation(example, FAC, s.id).submitted == 2
    retro.step(example, FAC, s.id)  # reveal
    seen = retro.board(example, v("p03"), s.id)
    assert sorted(c.text for c in seen.all_cards()) == ["Demo on Fridays", "Overrunning"]
    assert all(c.author is None and not c.mine for c in seen.all_cards())
    _unchanged(example, lambda: retro.add_card(example, v("p03"), s.id, "start", "late"), match="write phase")
    _unchanged(example, lambda: retro.edit_card(example, v("p01"), a, "changed"), match="write phase")
    retro.update_settings(example, FAC, s.id, show_authors=True)
    named = {c.text: c.author for c in retro.board(example, v("p03"), s.id).all_cards()}
    assert named["Demo on Fridays"] == example.member_names("example")["p01"]
    # each card is an entry of its author (privacy and erasure machinery see it)
    assert [e.author_id for e in example.find_entries("example", session_id=s.id, author_id="p01")] == ["p01"]


def test_live_cards_setting_shows_cards_during_write(example: Store) -> None:
    s = retro.open_session(example, FAC, "start-stop-continue", settings={"live_cards": True})
    retro.add_card(example, v("p01"), s.id, "start", "Visible at once")
    assert [c.text for c in retro.board(example, v("p02"), s.id).all_cards()] == ["Visible at once"]


def _to_vote(store: Store, session_id: int) -> None:
    retro.set_phase(store, FAC, session_id, "vote")


def test_votes_budget_cap_hidden_totals_and_phase(example: Store) -> None:
    s = retro.open_session(example, FAC, "start-stop-continue", settings={"votes_per_person": 3, "cap_per_card": 2})
    a = retro.add_card(example, v("p01"), s.id, "start", "Pairing")
    b = retro.add_card(example, v("p02"), s.id, "stop", "Long calls")
    c = retro.add_card(example, v("p02"), s.id, "continue", "Demos")
    _unchanged(example, lambda: retro.vote(example, v("p03"), card_id=a), match="vote phase")
    _to_vote(example, s.id)
    assert retro.vote(example, v("p03"), card_id=a) == 2
    assert retro.vote(example, v("p03"), card_id=a) == 1
    _unchanged(example, lambda: retro.vote(example, v("p03"), card_id=a), match="cap")
    assert retro.vote(example, v("p03"), card_id=b) == 0
    _unchanged(example, lambda: retro.vote(example, v("p03"), card_id=c), match="no votes left")
    retro.vote(example, v("p04"), card_id=b)
    mine = retro.board(example, v("p03"), s.id)
    assert mine.votes_left == 0 and mine.card(a).my_votes == 2 and mine.card(a).votes is None  # hidden
    assert mine.top(3) == []
    assert retro.unvote(example, v("p03"), card_id=a) == 1
    _unchanged(example, lambda: retro.unvote(example, v("p05"), card_id=a), match="no vote")
    retro.step(example, FAC, s.id)  # discuss: totals shown
    done = retro.board(example, v("p05"), s.id)
    assert [(x.id, x.votes) for x in done.top(5)] == [(b, 2), (a, 1)]  # never a card with 0 votes
    _unchanged(example, lambda: retro.vote(example, v("p05"), card_id=c), match="voting has ended")
    _unchanged(example, lambda: retro.unvote(example, v("p03"), card_id=a), match="voting has ended")


def test_self_votes_can_be_forbidden(example: Store) -> None:
    s = retro.open_session(example, FAC, "4ls", settings={"allow_self_vote": False})
    col = retro.board(example, FAC, s.id).columns[0][0]
    mine = retro.add_card(example, v("p01"), s.id, col, "My own idea")
    _to_vote(example, s.id)
    _unchanged(example, lambda: retro.vote(example, v("p01"), card_id=mine), match="own card")
    assert retro.vote(example, v("p02"), card_id=mine) == 2


def test_groups_votes_on_groups_merge_split(example: Store) -> None:
    s = retro.open_session(example, FAC, "start-stop-continue", settings={"votes_per_person": 4})
    ids = [retro.add_card(example, v(p), s.id, "stop", t)
           for p, t in (("p01", "Meetings run long"), ("p02", "Long meetings"), ("p03", "No agenda"),
                        ("p04", "Late starts"))]
    _unchanged(example, lambda: retro.group_cards(example, FAC, s.id, "Meetings", ids[:2]), match="group phase")
    retro.set_phase(example, FAC, s.id, "group")
    _unchanged(example, lambda: retro.group_cards(example, FAC, s.id, "Nothing", []), match="needs cards")
    _unchanged(example, lambda: retro.group_cards(example, FAC, s.id, "  ", ids[:2]), match="title")
    _unchanged(example, lambda: retro.group_cards(example, v("p01"), s.id, "Mine", ids[:2]), AccessDenied)
    g1 = retro.group_cards(example, FAC, s.id, "Meetings", ids[:2])
    g2 = retro.group_cards(example, FAC, s.id, "Agenda", ids[2:3])
    retro.rename_group(example, FAC, g2, "Preparation")
    b = retro.board(example, v("p05"), s.id)
    assert [(g.title, g.card_ids) for g in b.groups] == [("Meetings", tuple(ids[:2])), ("Preparation", (ids[2],))]
    _to_vote(example, s.id)
    assert retro.vote(example, v("p05"), group_id=g1) == 3
    assert retro.vote(example, v("p06"), group_id=g2) == 3
    retro.set_phase(example, FAC, s.id, "group")
    merged = retro.merge_groups(example, FAC, [g1, g2], "Meetings and prep")
    retro.ungroup_cards(example, FAC, [ids[0]])  # split one card out; the group's vote follows the group
    retro.set_phase(example, FAC, s.id, "discuss")
    b = retro.board(example, v("p05"), s.id)
    [g] = b.groups
    assert (g.id, g.title, g.card_ids, g.votes) == (merged, "Meetings and prep", (ids[1], ids[2]), 2)
    topics = retro.discussion(example, FAC, s.id)
    assert topics[0].group_id == merged and topics[0].votes == 2
    assert {t.title for t in topics[1:]} == {"Meetings run long", "Late starts"}
    retro.set_phase(example, FAC, s.id, "group")
    retro.ungroup_cards(example, FAC, [ids[1], ids[2]])  # a group left without cards goes, with its votes
    assert retro.board(example, FAC, s.id).groups == [] and example.count_votes(s.id, "p05") == 0


def test_suggested_groups_duplicates_and_similar_cards(example: Store) -> None:
    s = retro.open_session(example, FAC, "start-stop-continue")
    texts = {"p01": "Meetings run too long", "p02": "Long meetings every day", "p03": "Pair programming",
             "p04": "More pair programming!", "p05": "pair programming", "p06": "Coffee machine broken"}
    ids = {p: retro.add_card(example, v(p), s.id, "stop", t) for p, t in texts.items()}
    retro.set_phase(example, FAC, s.id, "group")
    _unchanged(example, lambda: retro.suggest_groups(example, v("p01"), s.id), AccessDenied)
    found = retro.suggest_groups(example, FAC, s.id)
    groups = {frozenset(g.card_ids): g for g in found}
    meetings = frozenset({ids["p01"], ids["p02"]})
    pairing = frozenset({ids["p03"], ids["p04"], ids["p05"]})
    assert set(groups) == {meetings, pairing}
    assert "meetings" in groups[meetings].title.lower()
    dup = [g for g in retro.suggest_groups(example, FAC, s.id) if g.duplicate]
    assert dup == []  # the duplicate pair is inside the larger pairing group
    retro.reject_suggestion(example, FAC, s.id, groups[meetings])
    gid = retro.accept_suggestion(example, FAC, s.id, groups[pairing])
    assert retro.suggest_groups(example, FAC, s.id) == []
    assert set(retro.board(example, FAC, s.id).groups[0].card_ids) == pairing and gid


def test_exact_duplicates_are_one_suggestion(example: Store) -> None:
    s = retro.open_session(example, FAC, "start-stop-continue")
    a = retro.add_card(example, v("p01"), s.id, "start", "Daily stand-up.")
    b = retro.add_card(example, v("p02"), s.id, "start", "daily   STAND-UP")
    retro.add_card(example, v("p03"), s.id, "stop", "Weekend deploys")
    retro.set_phase(example, FAC, s.id, "group")
    [g] = retro.suggest_groups(example, FAC, s.id)
    assert g.duplicate and g.card_ids == (a, b)


def test_action_items_owner_history_and_my_actions(example: Store) -> None:
    s = retro.open_session(example, FAC, "4ls")
    i = retro.add_action(example, FAC, s.id, "Book the big room", owner_id="p01", due=dt.date(2026, 11, 1))
    _unchanged(example, lambda: retro.add_action(example, FAC, s.id, "   "), match="say what")
    _unchanged(example, lambda: retro.add_action(example, v("p01"), s.id, "x"), AccessDenied)
    _unchanged(example, lambda: retro.set_action(example, v("p01"), i, text="Book nothing"), AccessDenied)
    _unchanged(example, lambda: retro.set_action(example, v("p02"), i, status="done"), AccessDenied)
    assert [x.id for x in retro.my_actions(example, v("p01"))] == [i]
    retro.set_action(example, v("p01"), i, status="done")  # the owner marks it done
    retro.set_action(example, FAC, i, owner_id="p02", due=None)
    item = example.get_action_item(i)
    assert (item.status, item.owner_id, item.due) == ("done", "p02", None)
    assert [e.kind for e in retro.action_history(example, FAC, i)] == ["created", "done", "edited"]


def test_carried_items_move_across_three_retros(example: Store) -> None:
    first = retro.open_session(example, FAC, "4ls", "Retro 1")
    keep = retro.add_action(example, FAC, first.id, "Book the big room", owner_id="p01")
    done = retro.add_action(example, FAC, first.id, "Share slides", owner_id="p01")
    drop = retro.add_action(example, FAC, first.id, "Buy a plant")
    retro.close_session(example, FAC, first.id)
    second = retro.open_session(example, FAC, "4ls", "Retro 2")
    assert retro.retro_state(example, second.id).phase == "review"
    assert [x.id for x in retro.review_items(example, FAC, second.id)] == [keep, done, drop]
    retro.review_item(example, FAC, second.id, keep, "carried")
    retro.review_item(example, FAC, second.id, done, "done")
    retro.review_item(example, FAC, second.id, drop, "dropped")
    _unchanged(example, lambda: retro.review_item(example, FAC, second.id, keep, "carried"), match="review")
    _unchanged(example, lambda: retro.review_item(example, FAC, second.id, keep, "later"), match="outcome")
    assert retro.review_items(example, FAC, second.id) == []
    retro.close_session(example, FAC, second.id)
    third = retro.open_session(example, FAC, "4ls", "Retro 3")
    assert [x.id for x in retro.review_items(example, FAC, third.id)] == [keep]
    retro.review_item(example, FAC, third.id, keep, "carried")
    # listed once everywhere: the cohort's items, the owner's, each retro's
    everything = retro.action_items(example, FAC, status=None)
    assert sorted(x.id for x in everything) == sorted([keep, done, drop])
    assert [x.id for x in retro.action_items(example, FAC)] == [keep]
    assert [x.id for x in retro.my_actions(example, v("p01"))] == [keep, done]
    assert [x.id for x in retro.action_items(example, FAC, status=None, session_id=third.id)] == [keep]
    assert retro.action_items(example, FAC, status=None, session_id=second.id) == []
    history = retro.action_history(example, FAC, keep)
    assert [(e.kind, e.session_id) for e in history] == [("created", first.id), ("carried", second.id),
                                                          ("carried", third.id)]


def test_participation_is_for_facilitators(example: Store) -> None:
    s = retro.open_session(example, FAC, "start-stop-continue")
    retro.add_card(example, v("p01"), s.id, "start", "x")
    p = retro.participation(example, FAC, s.id)
    assert (p.submitted, p.expected) == (1, 18)
    _unchanged(example, lambda: retro.participation(example, v("p01"), s.id), AccessDenied)


def test_old_form_entries_still_make_cards(example: Store) -> None:
    """The retro form of earlier releases (one entry with several cards) keeps working."""
    s = retro.open_retro(example, FAC, "start-stop-continue", "Sprint 1")
    example.add_entry("example", "p01", "start-stop-continue", {"start": ["Demo Fridays"], "stop": ["Long calls"]},
                      visibility="cohort", session_id=s.id)
    example.add_entry("example", "p02", "start-stop-continue", {"continue": ["SECRET card"]},
                      visibility="private", session_id=s.id)
    retro.step(example, FAC, s.id)
    b = retro.board(example, v("p03"), s.id)
    assert {c.text for c in b.all_cards()} == {"Demo Fridays", "Long calls"}  # a private card stays with its author
    secret = retro.board(example, v("p02"), s.id).cards["continue"][0]
    _to_vote(example, s.id)
    _unchanged(example, lambda: retro.vote(example, v("p03"), secret.id), AccessDenied)
    assert retro.vote(example, v("p03"), b.cards["start"][0].id) == 2


def test_cohort_report_lists_a_carried_item_once(example: Store) -> None:
    from workbook.reports.views.cohort import CohortReport

    sessions = []
    for n in (1, 2, 3):
        s = retro.open_session(example, FAC, "4ls", f"Retro {n}")
        for earlier in retro.review_items(example, FAC, s.id):
            retro.review_item(example, FAC, s.id, earlier.id, "carried")
        if n == 1:
            retro.add_action(example, FAC, s.id, "Book the big room", owner_id="p01")
        retro.close_session(example, FAC, s.id)
        sessions.append(s)
    html = CohortReport.load(example, "example").action_items().html
    assert html.count("Book the big room") == 1
    assert "Retro 3" in html and example.member_names("example")["p01"] in html


def test_a_legacy_copied_item_is_listed_once_after_the_upgrade(tmp_path) -> None:
    """An older workbook copied an open item into the next retro and left the original open: the
    migration marks the original carried, so the item is listed once (and the downgrade undoes it)."""
    from alembic import command

    from workbook import import_cohort
    from workbook.store.core import _alembic_config

    from .conftest import EXAMPLE

    url = f"sqlite:///{tmp_path / 'old.db'}"
    store = Store(url)
    import_cohort(store, EXAMPLE)
    s1 = store.add_session("example", "4ls")
    s2 = store.add_session("example", "4ls")
    store.add_entry("example", "p01", "4ls", {"liked": ["Pairing"]}, session_id=s1.id)
    [card] = store.find_cards(s1.id)
    store.add_vote(card.id, "p02", limit=3)
    with store.engine.begin() as conn:
        command.downgrade(_alembic_config(conn), "0003_erasures")
        conn.exec_driver_sql("INSERT INTO action_items (id, cohort_id, session_id, text, owner_id, status, carried_from,"
                             " created_at, updated_at) VALUES (1, 'example', ?, 'Book', 'p01', 'open', NULL, "
                             "'2026-01-01', '2026-01-01'), (2, 'example', ?, 'Book', 'p01', 'open', 1, "
                             "'2026-01-02', '2026-01-02')", (s1.id, s2.id))
        assert conn.exec_driver_sql("SELECT card_id, voter_id FROM retro_votes").all() == [(card.id, "p02")]
    store.close()
    store = Store(url, check_version=False)
    store.upgrade()
    store.close()
    store = Store(url)
    assert [(i.id, i.status) for i in retro.action_items(store, FAC, status=None)] == [(2, "open")]
    assert [i.id for i in retro.my_actions(store, v("p01"))] == [2]
    [vote] = store.find_votes(s1.id)  # the old vote kept, with its session and slot
    assert (vote.card_id, vote.voter_id, vote.slot, vote.group_id) == (card.id, "p02", 1, None)
    store.close()


def test_cohort_defaults_come_from_cohort_toml(example: Store) -> None:
    import dataclasses

    cohort = example.get_cohort("example")
    example.save_cohort(dataclasses.replace(cohort, settings={**cohort.settings, "retro": {
        "votes_per_person": 5, "cap_per_card": 2, "show_authors": True, "timers": {"vote": 60}}}))
    s = retro.open_session(example, FAC, "4ls")
    st = retro.retro_state(example, s.id).settings
    assert (st.votes_per_person, st.cap_per_card, st.show_authors, st.live_cards) == (5, 2, True, False)
    assert (st.timers["vote"], st.timers["write"]) == (60, 300)
    example.save_cohort(dataclasses.replace(cohort, settings={**cohort.settings, "retro": {"cap_per_card": "two"}}))
    with pytest.raises(ValidationError, match="settings") as err:
        retro.retro_state(example, s.id)
    assert "cohort.toml [retro] cap_per_card" in str(err.value)


def test_the_database_refuses_a_second_vote_in_the_same_slot(example: Store) -> None:
    """The budget does not rest on the code alone: (session, voter, slot) is unique, slot >= 1."""
    from workbook import StoreError
    from workbook.store.schema import retro_votes

    s = retro.open_session(example, FAC, "start-stop-continue", settings={"cap_per_card": 3})
    a = retro.add_card(example, v("p01"), s.id, "start", "Pairing")
    _to_vote(example, s.id)
    retro.vote(example, v("p02"), card_id=a)
    now = dt.datetime.now(dt.timezone.utc)
    for slot in (1, 0):
        with pytest.raises(StoreError, match="refused"):
            with example._write() as conn:
                conn.execute(retro_votes.insert().values(session_id=s.id, card_id=a, voter_id="p02", slot=slot,
                                                         created_at=now))
    assert example.count_votes(s.id, "p02") == 1


def test_erasing_a_voter_takes_their_card_and_group_votes(example: Store) -> None:
    s = retro.open_session(example, FAC, "start-stop-continue")
    a = retro.add_card(example, v("p01"), s.id, "start", "Pairing")
    b = retro.add_card(example, v("p02"), s.id, "start", "Demos")
    retro.set_phase(example, FAC, s.id, "group")
    g = retro.group_cards(example, FAC, s.id, "Practices", [a, b])
    retro.ungroup_cards(example, FAC, [a])
    _to_vote(example, s.id)
    retro.vote(example, v("p03"), card_id=a)
    retro.vote(example, v("p03"), group_id=g)
    retro.vote(example, v("p04"), group_id=g)
    example.erase_member("example", "p03", erased_by="test")
    assert [(x.voter_id, x.group_id) for x in example.find_votes(s.id)] == [("p04", g)]
