"""The mentoring pages (home, goals, kudos, coach) without a browser, then through the gated server.

In-process tests build each page for a real personal link on SQLite and PostgreSQL (the ``example``
fixture), set widget values, click, and check the store and what the page shows. The ``served`` tests
run a real `workbook serve` on loopback and read the pages with the light widget client
(:mod:`tests.widget_client`), as a browser's page would.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import ipywidgets as widgets
import pytest

from workbook import Store, access, import_cohort
from workbook.forms import page
from workbook.forms.coach import answer_text, coach_page
from workbook.forms.goals import goals_page
from workbook.forms.home import home_page
from workbook.forms.kudos import kudos_page

from .browser_support import ROOT, Server, kernel_pids, running_server
from .widget_client import Kernel, channels_url, find_widget, load_page

XSS = '<script>alert("x")</script><img src=x onerror="alert(1)">'
SOON = dt.date.today() + dt.timedelta(days=30)


def keys(store: Store, *people: str) -> dict[str, str]:
    """One personal link's query string per person (issued once: a new link replaces the old one)."""
    return {p: f"key={access.issue_token(store, 'example', p)}" for p in people}


def viewer(store: Store, person: str) -> access.Viewer:
    return access.viewer_for(store, "example", person)


def html_of(widget: widgets.Widget) -> str:
    """Every HTML widget's markup in a tree (what the browser is given as markup)."""
    out, stack = [], [widget]
    while stack:
        w = stack.pop()
        if isinstance(w, widgets.HTML):
            out.append(w.value)
        stack.extend(getattr(w, "children", ()))
    return "\n".join(out)


def checkin(store: Store, person: str, visibility: str, mood: int = 4, text: str = "moving on") -> Any:
    return store.add_entry("example", person, "mentorship-checkin", {"goal_progress": text, "mood": mood},
                           visibility=visibility)


# --- home ---------------------------------------------------------------------------------------
def test_home_shows_goals_kudos_and_links_without_a_key(example: Store) -> None:
    from workbook import goals, kudos

    k = keys(example, "p01")
    goal = goals.create_goal(example, viewer(example, "p01"), "p01", "Run a retro on my own",
                             measure="I facilitate one retro end to end", target_date=SOON)
    kudos.give_kudos(example, viewer(example, "p02"), "p01", "Thanks for the clear agenda", shared_with_cohort=True)
    pg = home_page(k["p01"], store=example)
    assert pg.message is None and pg.kind == "home"
    shown = html_of(pg.widget)
    assert "Run a retro on my own" in shown and "I facilitate one retro end to end" in shown
    assert "Thanks for the clear agenda" in shown and "Tomás Herrera" in shown  # from whom
    assert goal.status in shown  # its status chip
    for target in ("journal.ipynb", "goals.ipynb", "kudos.ipynb", "reports.ipynb"):
        assert f'href="{target}' in shown
    assert "coach.ipynb" not in shown  # a participant gets no coach desk link
    assert "key=" not in shown and k["p01"][4:] not in shown  # links carry no key
    assert "wb-home-link" not in shown  # home links to everything but itself


def test_every_other_page_links_home_and_a_save_links_back_to_edit(example: Store) -> None:
    k = keys(example, "p01")
    for kind in ("journal", "reflection"):
        pg = page(kind, k["p01"] + ("&exercise=kolb" if kind == "reflection" else ""), store=example)
        assert 'href="home.ipynb"' in html_of(pg.widget), kind
    pg = page("reflection", k["p01"] + "&exercise=kolb", store=example)
    assert pg.form is not None
    for pid, value in {"experience": "we shipped", "observations": "noticed", "experiments": "one thing"}.items():
        pg.form.fields[pid].value_widget.value = value
    assert pg.form.submit() is not None
    assert "Saved at" in pg.form.status.value and 'href="journal.ipynb"' in pg.form.status.value
    for maker in (goals_page, kudos_page):
        assert 'href="home.ipynb"' in html_of(maker(k["p01"], store=example).widget)
    bad = home_page("key=not-a-key-at-all-xxxxxxxxxxxxxx", store=example)
    assert bad.message and "not valid" in bad.message and "home.ipynb" not in html_of(bad.widget)


def test_home_escapes_what_people_typed(example: Store) -> None:
    from workbook import goals, kudos

    k = keys(example, "p01", "c01")
    goals.create_goal(example, viewer(example, "p01"), "p01", XSS, measure=XSS, target_date=SOON)
    kudos.give_kudos(example, viewer(example, "p02"), "p01", XSS, shared_with_cohort=True)
    entry = checkin(example, "p01", "coach", text=XSS)
    access.comment_on(example, viewer(example, "c01"), entry.id, XSS, release=True)
    pages = [home_page(k["p01"], store=example), goals_page(k["p01"], store=example),
             kudos_page(k["p01"], store=example), coach_page(k["c01"] + "&mentee=p01", store=example)]
    for pg in pages:
        shown = html_of(pg.widget)
        assert "<script>" not in shown and "<img" not in shown and "&lt;script&gt;" in shown, pg.kind


def test_action_item_done_from_home(example: Store) -> None:
    k = keys(example, "p01")
    mine = example.add_action_item("example", "Share the retro notes", owner_id="p01")
    theirs = example.add_action_item("example", "Book the room", owner_id="p02")
    pg = home_page(k["p01"], store=example)
    view = pg.extra["home"]
    shown = html_of(pg.widget)
    assert "Share the retro notes" in shown and "Book the room" not in shown  # only the ones they own
    assert set(view.done_buttons) == {mine}
    view.done_buttons[mine].click()
    assert example.get_action_item(mine).status == "done"
    assert example.get_action_item(theirs).status == "open"
    assert "Marked as done" in view.status.value and not view.done_buttons


def test_released_comment_reaches_the_home_page_as_a_notice(example: Store) -> None:
    k = keys(example, "p01")
    entry = checkin(example, "p01", "coach")
    draft = access.comment_on(example, viewer(example, "c01"), entry.id, "Draft, not for you yet")
    assert "Draft, not for you yet" not in html_of(home_page(k["p01"], store=example).widget)
    access.release_comment(example, viewer(example, "c01"), draft.id)
    pg = home_page(k["p01"], store=example)
    view = pg.extra["home"]
    assert view.notices and "Daniel Reyes" in html_of(pg.widget)
    view.seen_button.click()  # mark as read: the notice block goes
    assert not view.notices and "wb-notices" not in " ".join(
        c for w in view.body.children for c in w._dom_classes)


def test_pulse_after_the_first_checkin_once(example: Store) -> None:
    k = keys(example, "p01")
    assert home_page(k["p01"], store=example).extra["home"].pulse is None  # no check-in yet
    checkin(example, "p01", "coach")
    view = home_page(k["p01"], store=example).extra["home"]
    assert view.pulse is not None and list(view.pulse.options) == ["good fit", "still deciding", "not a good fit"]
    assert view.submit_pulse() is False  # nothing picked: a message, nothing sent
    view.pulse.value = "still deciding"
    assert view.submit_pulse() is True and view.pulse_button.disabled
    assert home_page(k["p01"], store=example).extra["home"].pulse is None  # asked once


# --- goals --------------------------------------------------------------------------------------
def test_goals_page_creates_edits_and_refuses_a_past_date(example: Store) -> None:
    from workbook import goals

    k = keys(example, "p01")
    pg = goals_page(k["p01"], store=example)
    view = pg.extra["goals"]
    ed = view.new
    ed.what.value, ed.measure.value, ed.target.value = "Present at the all-hands", "", dt.date(2000, 1, 1)
    assert ed.save() is None
    assert "past" in ed.errors["target"].value.lower() or "past" in ed.status.value.lower()
    assert example.find_goals("example", "p01") == []  # nothing stored
    ed.target.value, ed.measure.value = SOON, "Ten minutes, with questions"
    goal = ed.save()
    assert goal is not None and goal.title == "Present at the all-hands" and goal.target_date == SOON
    assert "Goal saved" in view.status.value and ed.what.value == ""
    row = view.row(goal.id)
    assert "Present at the all-hands" in html_of(row.box)
    row.edit_button.click()
    assert row.editor is not None and row.editor.what.value == "Present at the all-hands"
    row.editor.what.value = "Present at the autumn all-hands"
    row.editor.save()
    [stored] = goals.goals_of(example, viewer(example, "p01"), "p01")
    assert stored.title == "Present at the autumn all-hands" and stored.measure == "Ten minutes, with questions"


def test_agreeing_a_goal_the_coach_proposed(example: Store) -> None:
    from workbook import goals

    k = keys(example, "p01")
    proposed = goals.create_goal(example, viewer(example, "c01"), "p01", "Lead a planning session",
                                 measure="One session", target_date=SOON)
    assert proposed.status == "proposed"
    view = goals_page(k["p01"], store=example).extra["goals"]
    row = view.row(proposed.id)
    assert row.agree_button in row.box.children[-2].children
    agreed = row.agree()
    assert agreed is not None and agreed.status == "agreed"
    assert example.get_goal(proposed.id).status in ("agreed", "open")


# --- kudos --------------------------------------------------------------------------------------
def test_kudos_page_gives_kudos_and_shows_the_wall(example: Store) -> None:
    from workbook import kudos

    k = keys(example, "p01", "p02")
    view = kudos_page(k["p01"], store=example).extra["kudos"]
    form = view.form
    ids = [v for _label, v in form.to.options]
    assert "p01" not in ids and "p02" in ids and "c01" in ids  # the cohort by name, not oneself
    labels = [label for label, _v in form.to.options]
    assert "Tomás Herrera" in labels
    assert form.send() is None and "choose" in form.errors["to"].value  # nobody picked
    form.to.value = "p02"
    form.message.value = "   "
    assert form.send() is None  # empty: the API's message, nothing stored
    assert kudos.kudos_received(example, viewer(example, "p02")) == []
    form.to.value, form.message.value, form.share.value = "p02", "Thanks for pairing on the SQL", True
    assert form.send() is not None
    assert "Thanks for pairing on the SQL" in view.wall.value
    form.to.value, form.message.value, form.share.value = "p02", "Just between us: thank you", False
    assert form.send() is not None
    assert "Just between us" not in view.wall.value  # only with them
    other = kudos_page(k["p02"], store=example).extra["kudos"]
    assert "Just between us" in other.received.value and "Just between us" not in other.wall.value


# --- coach --------------------------------------------------------------------------------------
def test_coach_page_lists_only_mentees(example: Store) -> None:
    k = keys(example, "c01")
    pg = coach_page(k["c01"], store=example)
    view = pg.extra["coach"]
    mentees = set(example.mentees_of("example", "c01"))
    assert {v for _label, v in view.picker.options} == mentees == {"p01", "p02", "p12"}
    table = view.table.value
    assert "Lucía Fernández" in table and "Sophie Martin" not in table  # p03 is c04's mentee
    assert all(p.coach_id == "c01" for p in view.health)
    for status in ("on track", "needs a check-in", "too early to tell", "at risk"):
        if status in table:
            assert "wb-chip" in table
    # asking for somebody else's mentee in the link opens nobody else
    other = coach_page(k["c01"] + "&mentee=p03", store=example).extra["coach"]
    assert other.panel is not None and other.panel.mentee_id in mentees


def test_coach_reads_shared_entries_only_newest_first_in_the_cohorts_zone(example: Store) -> None:
    k = keys(example, "c01")
    private = checkin(example, "p01", "private", text="for my eyes only")
    first = example.add_entry("example", "p01", "mentorship-checkin", {"goal_progress": "first", "mood": 2},
                              visibility="coach", created_at=dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.timezone.utc))
    second = checkin(example, "p01", "cohort", mood=5, text="second")
    view = coach_page(k["c01"] + "&mentee=p01", store=example).extra["coach"]
    panel = view.panel
    assert panel is not None and panel.mentee_id == "p01"
    assert list(panel.entries) == [second.id, first.id] and private.id not in panel.entries
    shown = html_of(panel.widget)
    assert "for my eyes only" not in shown
    assert "5 of 5 (1 = drained, 5 = energised)" in shown  # scale answers with their labels
    zone = example.get_cohort("example").timezone
    import zoneinfo

    expected = first.created_at.replace(tzinfo=dt.timezone.utc).astimezone(zoneinfo.ZoneInfo(zone))
    assert expected.strftime("%a %d %b %Y, %H:%M") in html_of(panel.entries[first.id].box)


def test_coach_page_shows_what_is_new_since_the_last_visit(example: Store) -> None:
    k = keys(example, "c01")
    older = checkin(example, "p01", "coach", text="before the first visit")
    first = coach_page(k["c01"], store=example).extra["coach"]
    assert [e.id for _m, e in first.new] == [older.id]  # before any visit, everything shared is new
    assert "Lucía Fernández" in first.new_box.value
    newer = checkin(example, "p02", "coach", text="after the first visit")
    checkin(example, "p02", "private", text="never shown")
    second = coach_page(k["c01"], store=example).extra["coach"]
    assert [e.id for _m, e in second.new] == [newer.id]
    assert "Tomás Herrera" in second.new_box.value and "Lucía" not in second.new_box.value
    third = coach_page(k["c01"], store=example).extra["coach"]
    assert third.new == [] and "Nothing new" in third.new_box.value


def test_coach_comments_draft_edit_delete_release(example: Store) -> None:
    k = keys(example, "c01", "p01")
    entry = checkin(example, "p01", "coach")
    view = coach_page(k["c01"] + "&mentee=p01", store=example).extra["coach"]
    panel = view.panel.entries[entry.id]
    panel.new_comment.value = "First thought"
    draft = panel.add(False)
    assert draft is not None and not draft.released and panel.new_comment.value == ""
    row = panel.comments[draft.id]
    row.start_edit()
    row.editor.value = "Better thought"
    assert row.save_edit() is not None
    assert example.get_comment(draft.id).body == "Better thought"
    assert "Better thought" not in html_of(home_page(k["p01"], store=example).widget)  # a draft reaches nobody
    panel.comments[draft.id].delete()
    assert draft.id not in panel.comments and access.visible_comments(example, viewer(example, "c01"), [entry]) == []
    panel.new_comment.value = "Well done on the agenda"
    kept = panel.add(False)
    assert kept is not None
    released = panel.comments[kept.id].release()
    assert released is not None and released.released
    assert panel.comments[kept.id].release_button not in panel.comments[kept.id].box.children
    assert "Well done on the agenda" in html_of(page("journal", k["p01"], store=example).widget)
    assert "Daniel Reyes" in html_of(home_page(k["p01"], store=example).widget)  # the notice


def test_coach_proposes_and_closes_goals_and_schedules(example: Store) -> None:
    from workbook import goals, mentoring

    k = keys(example, "c01")
    view = coach_page(k["c01"] + "&mentee=p02", store=example).extra["coach"]
    panel = view.panel
    ed = panel.propose
    ed.what.value, ed.measure.value, ed.target.value = "Write a query review checklist", "Used twice", SOON
    goal = ed.save()
    assert goal is not None and goal.person_id == "p02" and goal.status == "proposed"
    assert goal.id in panel.goal_rows
    panel.goal_rows[goal.id].set_status("dropped")
    assert goals.goals_of(example, viewer(example, "c01"), "p02")[0].status == "dropped"
    when = dt.date.today() + dt.timedelta(days=5)
    panel.schedule_date.value = when
    assert panel.schedule()
    [pair] = [p for p in mentoring.pair_health(example, viewer(example, "c01")) if p.mentee_id == "p02"]
    assert pair.next_due == when and day_text(when) in panel.header.value


def test_coach_sees_progress_over_time_only_from_checkins_shared_with_them(example: Store) -> None:
    from workbook import goals

    k = keys(example, "c01")
    me = viewer(example, "p01")
    goal = goals.create_goal(example, me, "p01", "Run the planning day", measure="It runs", target_date=SOON)
    shared = checkin(example, "p01", "coach")
    access.record_progress(example, me, goal.id, 40, entry_id=shared.id)
    private = checkin(example, "p01", "private")
    access.record_progress(example, me, goal.id, 70, entry_id=private.id)
    panel = coach_page(k["c01"] + "&mentee=p01", store=example).extra["coach"].panel
    table = panel.progress.value
    assert "Run the planning day" in table and "40%" in table
    assert "70%" not in table  # a private check-in's progress is as private as the check-in


def test_a_pair_flagged_not_a_good_fit_shows_on_the_facilitators_coach_page(example: Store) -> None:
    from workbook import mentoring

    k = keys(example, "f01", "c01")
    checkin(example, "p01", "coach")
    mentoring.submit_pulse(example, viewer(example, "p01"), "not a good fit")
    fac = coach_page(k["f01"], store=example).extra["coach"]
    [row] = [p for p in fac.health if p.mentee_id == "p01"]
    assert row.status == "at risk" and row.fit == "not a good fit"
    assert "wb-chip-red" in fac.table.value and "Daniel Reyes" in fac.table.value  # the coach column
    coach = coach_page(k["c01"], store=example).extra["coach"]
    assert "not a good fit" in coach.table.value  # the pair's coach sees it too


def day_text(value: dt.date) -> str:
    return f"{value:%a %d %b %Y}"


def test_coach_page_refuses_a_participant_and_a_coach_opens_home(example: Store) -> None:
    k = keys(example, "p01", "c01", "f01")
    refused = coach_page(k["p01"], store=example)
    assert refused.message and "not available with your link" in refused.message
    assert refused.extra == {} and page("coach", k["p01"], store=example).message == refused.message
    home = home_page(k["c01"], store=example)
    assert home.message is None and 'href="coach.ipynb"' in html_of(home.widget)
    fac = coach_page(k["f01"], store=example)
    assert fac.message is None  # the facilitator sees every pair's health, and nobody's entries
    assert "Sophie Martin" in fac.extra["coach"].table.value and fac.extra["coach"].panel is None


def test_answer_text_labels() -> None:
    from workbook.exercises.model import Exercise, Prompt

    ex = Exercise("x", "X", "reflection", "f", "s", "", (Prompt("m", "Mood?", "scale", labels=("low", "high")),
                                                          Prompt("l", "List", "list")))
    assert answer_text(ex, "m", 3) == ("Mood?", "3 of 5 (1 = low, 5 = high)")
    assert answer_text(ex, "l", ["a", "b"]) == ("List", "• a\n• b")
    assert answer_text(None, "gone", 2) == ("gone", "2")


# --- through the gated server, read by the light widget client ----------------------------------
@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from workbook import goals, kudos

    work = tmp_path_factory.mktemp("home-pages")
    url = f"sqlite:///{work / 'data' / 'workbook.db'}"
    store = Store(url)
    import_cohort(store, ROOT / "cohorts" / "example")
    ks = {p: access.issue_token(store, "example", p) for p in ("p01", "c01")}
    goals.create_goal(store, access.viewer_for(store, "example", "p01"), "p01", "Chair the monthly review",
                      measure="Two reviews chaired", target_date=SOON)
    kudos.give_kudos(store, access.viewer_for(store, "example", "p02"), "p01", "Great notes from the retro",
                     shared_with_cohort=True)
    store.close()
    with running_server(work, url) as server:
        yield {"server": server, "keys": ks}


def _states(server: Server, path: str) -> tuple[int, dict[str, Any]]:
    import websockets

    load = load_page(server.url + path)
    if load.status != 200 or not load.kernel_id:
        return load.status, {}

    async def states() -> dict[str, Any]:
        async with websockets.connect(channels_url(server.port, load.kernel_id), open_timeout=60, max_size=2**26,
                                      additional_headers={"Cookie": load.cookie_header()}) as ws:
            return await Kernel(ws).request_states(timeout=90)

    return load.status, asyncio.run(states())


def _text(states: dict[str, Any]) -> str:
    return "\n".join(str(s["state"].get("value", "")) for s in states.values())


@pytest.mark.slow
def test_served_home_page_shows_goals_and_kudos(served: dict[str, Any]) -> None:
    status, states = _states(served["server"], f"/voila/render/home.ipynb?key={served['keys']['p01']}")
    assert status == 200
    text = _text(states)
    assert "Chair the monthly review" in text and "Great notes from the retro" in text
    find_widget(states, "wb-home")
    assert served["keys"]["p01"] not in repr(states)


@pytest.mark.slow
def test_served_coach_page_lists_only_mentees_and_a_coach_key_opens_home(served: dict[str, Any]) -> None:
    server, key = served["server"], served["keys"]["c01"]
    status, states = _states(server, f"/voila/render/coach.ipynb?key={key}")
    assert status == 200
    picker = states[find_widget(states, "wb-coach-mentee")]["state"]
    assert sorted(picker["_options_labels"]) == ["Liam O'Connor", "Lucía Fernández", "Tomás Herrera"]
    assert "Sophie Martin" not in _text(states)
    status, states = _states(server, f"/voila/render/home.ipynb?key={key}")
    assert status == 200 and "coach.ipynb" in _text(states)


@pytest.mark.slow
def test_served_coach_page_refuses_a_participant_at_the_gate(served: dict[str, Any]) -> None:
    server = served["server"]
    before = kernel_pids(server)
    load = load_page(f"{server.url}/voila/render/coach.ipynb?key={served['keys']['p01']}")
    assert load.status == 403 and "not available with your link" in load.html and load.kernel_id is None
    time.sleep(1.0)
    assert kernel_pids(server) <= before  # no kernel started for the refused page
