"""The live retro pages: the push loop, the participant's board, the facilitator's desk, the projector.

Page tests build the pages in-process on both databases and drive their widgets (``view.live.check()``
is one tick of the push loop); the light-client tests run ``workbook serve`` and speak the widget
protocol, as a browser would, to see a change reach a second page by itself.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pytest

from workbook import Store, access, import_cohort, retro
from workbook.forms import live
from workbook.forms.retro import ENDED, NO_RETRO, DeskView, ParticipantView, ProjectorView, desk_page, retro_page

from .conftest import EXAMPLE

FAC = access.Viewer("f01", "example", "facilitator")
EXERCISE = "start-stop-continue"


# --- the push loop ---------------------------------------------------------------------------------

def test_live_polls_on_the_running_loop_and_renders_only_on_change() -> None:
    marker = {"v": 1}
    renders: list[Any] = []
    ticks: list[float] = []
    owner = widgets.VBox([])

    async def scenario() -> None:
        lv = live.Live(lambda: marker["v"], renders.append, on_tick=lambda: ticks.append(time.monotonic()),
                       ticking=lambda: marker["v"] == 2, owner=owner)
        lv.prime(1)
        assert lv.start() and lv.running
        await asyncio.sleep(2.3)
        assert renders == []  # nothing changed: no render
        marker["v"] = 2
        await asyncio.sleep(1.3)
        assert renders == [2]
        await asyncio.sleep(1.1)
        assert renders == [2] and len(ticks) >= 1  # the countdown ticks while ``ticking``
        marker["v"] = 3
        await asyncio.sleep(1.3)
        assert renders == [2, 3]
        n = len(ticks)
        await asyncio.sleep(1.1)
        assert len(ticks) == n  # no more countdown
        owner.close()  # the page is gone: the loop stops by itself
        await asyncio.sleep(1.2)
        assert not lv.running
        marker["v"] = 4
        await asyncio.sleep(1.2)
        assert renders == [2, 3]

    asyncio.run(scenario())


def test_live_survives_a_failing_marker_and_stops_when_asked() -> None:
    calls = {"n": 0}

    def marker() -> int:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database down")
        return 7

    seen: list[Any] = []

    async def scenario() -> None:
        lv = live.Live(marker, seen.append)
        assert lv.start()
        await asyncio.sleep(4.5)  # one failure backs off one extra interval, then it reads again
        assert seen == [7] and lv.failures == 0
        lv.stop()
        assert not lv.running

    asyncio.run(scenario())


def test_live_does_not_start_without_a_loop_or_when_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    lv = live.Live(lambda: 1, lambda _m: None)
    assert not lv.start()  # no running loop (a plain call): callers tick it themselves
    assert lv.check() and not lv.check()
    monkeypatch.setenv(live.ENV_SWITCH, "0")

    async def scenario() -> bool:
        return live.Live(lambda: 1, lambda _m: None).start()

    assert asyncio.run(scenario()) is False


# --- pages in-process ------------------------------------------------------------------------------

def link(store: Store, person: str, **params: str) -> str:
    token = access.issue_token(store, "example", person, replace=False)  # earlier pages' links stay valid
    return f"key={token}" + "".join(f"&{k}={v}" for k, v in params.items())


def html_of(w: widgets.Widget) -> str:
    """Every visible HTML value in a widget tree (hidden boxes left out)."""
    out, stack = [], [w]
    while stack:
        x = stack.pop()
        if getattr(getattr(x, "layout", None), "display", None) == "none":
            continue
        if isinstance(x, widgets.HTML):
            out.append(x.value)
        stack.extend(reversed(getattr(x, "children", ())))
    return "\n".join(out)


def find(w: widgets.Widget, css: str) -> list[widgets.Widget]:
    """Visible widgets carrying CSS class ``css`` (depth first, in page order)."""
    out, stack = [], [w]
    while stack:
        x = stack.pop()
        if getattr(getattr(x, "layout", None), "display", None) == "none":
            continue
        if css in getattr(x, "_dom_classes", ()):
            out.append(x)
        stack.extend(reversed(getattr(x, "children", ())))
    return out


def tick(*views: Any) -> None:
    """One tick of each page's push loop."""
    for v in views:
        v.live.check()


@pytest.fixture
def room(example: Store) -> dict[str, Any]:
    """A retro in its write phase and pages for two participants."""
    session = retro.open_session(example, FAC, EXERCISE, "Sprint 14 retro")
    sid = int(session.id)
    retro.set_phase(example, FAC, sid, "write")
    p1 = retro_page(link(example, "p01"), store=example)
    p2 = retro_page(link(example, "p02"), store=example)
    assert p1.message is None and p2.message is None
    return {"store": example, "sid": sid, "p1": p1.extra["view"], "p2": p2.extra["view"], "pages": (p1, p2)}


def add_card(view: ParticipantView, column: str, text: str) -> None:
    adder = view.pool.items[("add", column)]
    adder.text.value = text
    adder.add.click()


def test_cards_hidden_until_reveal_then_on_every_board(room: dict[str, Any]) -> None:
    store, sid, p1, p2 = room["store"], room["sid"], room["p1"], room["p2"]
    assert "Sprint 14 retro" in html_of(p1.widget) and 'data-phase="write"' in html_of(p1.widget)
    add_card(p1, "start", "Pair on reviews")
    assert "Card added" in p1.status.value and p1.pool.items[("add", "start")].text.value == ""
    [own] = find(p1.widget, "wb-own-text")
    assert own.value == "Pair on reviews"
    tick(p2)
    assert "Pair on reviews" not in html_of(p2.widget)  # others' cards hidden during write
    # Edit and an empty card (refused with the API's message, nothing stored).
    own.value = "Pair on code reviews"
    find(p1.widget, "wb-card-save")[0].click()
    add_card(p1, "stop", "   ")
    assert "wb-error" in p1.status.value
    assert [c.text for c in retro.board(store, access.Viewer("p01", "example", "participant"), sid).cards["start"]] \
        == ["Pair on code reviews"]
    retro.set_phase(store, FAC, sid, "reveal")
    tick(p1, p2)
    assert "Pair on code reviews" in html_of(p2.widget) and 'data-phase="reveal"' in html_of(p2.widget)
    assert not find(p2.widget, "wb-add-text") and not find(p1.widget, "wb-own-text")


def test_votes_respect_the_budget_with_a_clear_message(room: dict[str, Any]) -> None:
    store, sid, p1, p2 = room["store"], room["sid"], room["p1"], room["p2"]
    for col, text in (("start", "Demo on Fridays"), ("stop", "Long stand-ups"), ("continue", "Pairing")):
        add_card(p2, col, text)
    retro.set_phase(store, FAC, sid, "vote")
    retro.update_settings(store, FAC, sid, votes_per_person=2, cap_per_card=1)
    tick(p1)
    assert "2 votes left" in p1.votes_left.value
    votes = find(p1.widget, "wb-vote")
    assert len(votes) == 3
    votes[0].click()
    votes[1].click()
    assert "0 votes left" in p1.votes_left.value
    assert all(b.disabled for b in find(p1.widget, "wb-vote"))
    votes[2].click()  # a click that reached the kernel anyway: the API refuses it, the page says why
    used = sum(c.my_votes for col in retro.board(store, access.Viewer("p01", "example", "participant"),
                                                   sid).cards.values() for c in col)
    assert used == 2
    find(p1.widget, "wb-unvote")[0].click()
    assert "1 vote left" in p1.votes_left.value
    # The cap: a second vote on the same card is refused with the API's message.
    p1.pool.items[("card", next(k[1] for k in p1.pool.items if k[0] == "card"))]
    before = p1.status.value
    find(p1.widget, "wb-vote")[1].click()
    find(p1.widget, "wb-vote")[1].click()
    assert "wb-error" in p1.status.value and p1.status.value != before


def test_closed_retro_is_read_only_and_says_so(room: dict[str, Any]) -> None:
    store, sid, p1 = room["store"], room["sid"], room["p1"]
    add_card(p1, "start", "Shorter meetings")
    retro.close_session(store, FAC, sid)
    tick(p1)
    text = html_of(p1.widget)
    assert ENDED in text and "Shorter meetings" in text
    for css in ("wb-add-text", "wb-add-card", "wb-own-text", "wb-vote", "wb-card-save", "wb-card-delete"):
        assert not find(p1.widget, css), css
    # The plain link now: no retro running, said plainly (and no form).
    fresh = retro_page(link(store, "p03"), store=store)
    assert NO_RETRO in html_of(fresh.widget) and not find(fresh.widget, "wb-add-text")
    # A link to that retro: the read-only board.
    again = retro_page(link(store, "p03", session=str(sid)), store=store)
    assert ENDED in html_of(again.widget) and not find(again.widget, "wb-add-text")


def test_waiting_page_finds_the_retro_when_it_opens(example: Store) -> None:
    pg = retro_page(link(example, "p01"), store=example)
    view = pg.extra["view"]
    assert NO_RETRO in html_of(pg.widget)
    session = retro.open_session(example, FAC, EXERCISE, "Opened later")
    retro.set_phase(example, FAC, int(session.id), "write")
    tick(view)
    assert "Opened later" in html_of(pg.widget) and find(pg.widget, "wb-add-text")


def test_desk_and_projector_are_for_facilitators(example: Store) -> None:
    assert desk_page(link(example, "p01"), store=example).message is not None
    assert access.page_roles("retro_desk") == ("facilitator",)
    pg = desk_page(link(example, "f01"), store=example)
    assert isinstance(pg.extra["view"], DeskView)
    proj = desk_page(link(example, "f01", view="projector"), store=example)
    assert isinstance(proj.extra["view"], ProjectorView)


def test_desk_runs_a_retro_from_open_to_export(example: Store, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBOOK_EXPORT_DIR", str(tmp_path / "exports"))
    desk = desk_page(link(example, "f01"), store=example).extra["view"]
    desk.template.value = EXERCISE
    desk.new_title.value = "Sprint 15 retro"
    desk.open_button.click()
    sid = desk.session_id
    assert sid is not None and "Sprint 15 retro" in desk.title.value
    # A second one of the same template is refused with the API's message, then opened on purpose.
    desk.template.value = EXERCISE
    desk.open_button.click()
    assert "wb-error" in desk.status.value and desk.open_anyway.layout.display is None
    desk.running.value = sid
    proj = desk_page(link(example, "f01", view="projector", session=str(sid)), store=example).extra["view"]
    # Step to write; participants write.
    while desk.state.phase != "write":
        desk.next.click()
    p = {pid: retro_page(link(example, pid, session=str(sid)), store=example).extra["view"]
         for pid in ("p01", "p02", "p03")}
    add_card(p["p01"], "stop", "Too many meetings")
    add_card(p["p02"], "stop", "Too many meetings")
    add_card(p["p03"], "start", "Write shorter agendas")
    tick(desk)
    assert "3 of" in desk.participation.value and "Not yet" in desk.participation.value
    desk.plus5.click()
    assert desk.timer_running() and "left" in desk.timer.value, desk.status.value
    desk.end_timer.click()
    assert "Time is up" in desk.timer.value
    desk.next.click()  # reveal
    desk.next.click()  # group
    assert desk.state.phase == "group" and desk.grouping.layout.display is None
    desk.suggest_button.click()
    rows = find(desk.widget, "wb-suggestion")
    assert rows, desk.status.value
    find(rows[0], "wb-accept")[0].click()
    assert "created" in desk.status.value
    b = retro.board(example, FAC, sid)
    assert len(b.groups) == 1 and len(b.groups[0].card_ids) == 2
    # Group the loose card by hand, rename the group, then take it out again (split).
    loose = next(c.id for col in b.cards.values() for c in col if c.group_id is None)
    desk.pool.items[("pick", loose)].check.value = True
    desk.group_title.value = "Agendas"
    desk.group_button.click()
    assert len(retro.board(example, FAC, sid).groups) == 2
    gid = next(g.id for g in retro.board(example, FAC, sid).groups if g.title == "Agendas")
    row = desk.pool.items[("group", gid)]
    row.title.value = "Meeting agendas"
    row.rename.click()
    assert any(g.title == "Meeting agendas" for g in retro.board(example, FAC, sid).groups)
    desk.pool.items[("pick", loose)].check.value = True
    desk.split_button.click()
    assert all(c.group_id is None for col in retro.board(example, FAC, sid).cards.values() for c in col
               if c.id == loose)
    # Vote, then discuss: topics in vote order; the projector shows the board.
    desk.next.click()
    assert desk.state.phase == "vote"
    tick(p["p01"])
    find(p["p01"].widget, "wb-vote")[0].click()
    tick(proj)
    assert "wb-projector-board" in proj.board.value
    desk.next.click()
    assert desk.state.phase == "discuss" and "wb-topic" in desk.topics.value
    # Action items with an owner picked by name, a due date and a status.
    desk.action_text.value = "Cap meetings at 25 minutes"
    desk.owner.value = "p02"
    desk.due.value = dt.date(2030, 1, 31)
    desk.add_action.click()
    assert "Action item added" in desk.status.value
    [item] = [i for i in retro.action_items(example, FAC, status=None) if i.session_id == sid]
    assert item.owner_id == "p02" and item.due == dt.date(2030, 1, 31)
    names = example.member_names("example")
    assert names["p02"] in html_of(desk.action_rows)
    # The owner sees it under "My action items" and marks it done.
    tick(p["p02"])
    done = find(p["p02"].widget, "wb-action-done")
    assert done
    done[0].click()
    assert access.Viewer  # noqa: the status is the API's
    assert [i.status for i in retro.action_items(example, FAC, status=None) if i.id == item.id] == ["done"]
    # Close and export.
    desk.close_button.click()
    assert desk.state.closed
    tick(*p.values())
    assert all(ENDED in html_of(v.widget) for v in p.values())
    desk.export_button.click()
    assert "wb-download" in desk.export_result.value
    assert any((tmp_path / "exports").rglob("*.md")) and any((tmp_path / "exports").rglob("*.csv"))


def test_card_text_is_never_markup(room: dict[str, Any]) -> None:
    store, sid, p1, p2 = room["store"], room["sid"], room["p1"], room["p2"]
    xss = '<img src=x onerror="alert(1)">'
    add_card(p1, "start", xss)
    retro.set_phase(store, FAC, sid, "reveal")
    tick(p2)
    text = html_of(p2.widget)
    assert xss not in text and "&lt;img src=x" in text


def test_links_that_name_no_retro_get_a_message(example: Store) -> None:
    assert retro_page(link(example, "p01", exercise="gibbs"), store=example).message is not None
    assert retro_page(link(example, "p01", exercise="no-such-template"), store=example).message is not None
    assert retro_page(link(example, "p01", session="999"), store=example).message is not None
    assert retro_page("key=wrong", store=example).message is not None


# --- over the wire: two pages on a served retro, light widget-protocol clients -----------------------

def _html_values(states: dict[str, Any]) -> str:
    return "\n".join(s["state"].get("value", "") for s in states.values() if s["model_name"] == "HTMLModel")


@pytest.mark.slow
def test_a_card_reaches_another_open_page_by_itself(tmp_path: Path) -> None:
    """Two served pages; a card added on one appears on the other with no reload (its widget states
    are polled); a vote past the budget is refused on the page; closing makes the page read-only."""
    import websockets

    from .browser_support import running_server
    from .widget_client import Kernel, channels_url, find_widget, load_page

    url = f"sqlite:///{tmp_path / 'data' / 'workbook.db'}"
    store = Store(url)
    import_cohort(store, EXAMPLE)
    sid = int(retro.open_session(store, FAC, EXERCISE, "Wire retro").id)
    retro.set_phase(store, FAC, sid, "write")
    retro.update_settings(store, FAC, sid, live_cards=True, votes_per_person=1)
    keys = {p: access.issue_token(store, "example", p) for p in ("p01", "p02")}

    async def scenario(server: Any) -> None:
        loads = {p: await asyncio.to_thread(load_page, f"{server.url}/voila/render/retro.ipynb?key={k}")
                 for p, k in keys.items()}
        socks = {p: await websockets.connect(channels_url(server.port, ld.kernel_id), max_size=2**26,
                                             additional_headers={"Cookie": ld.cookie_header()})
                 for p, ld in loads.items()}
        try:
            k1, k2 = Kernel(socks["p01"]), Kernel(socks["p02"])
            s1 = await k1.request_states(60)

            async def wait_on_p2(predicate: Any, what: str) -> dict[str, Any]:
                deadline = time.monotonic() + 10  # the push polls once a second; the box is shared
                while time.monotonic() < deadline:
                    states = await k2.request_states(30)
                    if predicate(states):
                        return states
                    await asyncio.sleep(0.25)
                raise AssertionError(f"page 2 never showed {what}")

            text = find_widget(s1, "wb-add-text-start")  # the textarea itself
            await k1.comm_msg(text, {"method": "update", "state": {"value": "Ship smaller"}, "buffer_paths": []})
            await k1.comm_msg(find_widget(s1, "wb-add-card-start"), {"method": "custom",
                                                                     "content": {"event": "click"}})
            await wait_on_p2(lambda st: "Ship smaller" in _html_values(st), "the new card")
            retro.set_phase(store, FAC, sid, "vote")
            s2 = await wait_on_p2(lambda st: "1 vote left" in _html_values(st), "the vote phase")
            buttons = [mid for mid, s in s2.items() if "wb-vote" in s["state"].get("_dom_classes", [])]
            for b in buttons[:1] * 2:  # the second vote is over the budget of 1
                await k2.comm_msg(b, {"method": "custom", "content": {"event": "click"}})
            await wait_on_p2(lambda st: "0 votes left" in _html_values(st), "the vote counted")
            p2 = access.Viewer("p02", "example", "participant")
            board = retro.board(store, p2, sid)
            assert sum(c.my_votes for c in board.all_cards()) + sum(g.my_votes for g in board.groups) == 1
            retro.close_session(store, FAC, sid)
            closed = await wait_on_p2(lambda st: ENDED in _html_values(st), "the ended message")
            visible_inputs = [m for m, s in closed.items()
                              if s["model_name"] in ("TextareaModel", "ButtonModel")
                              and s["state"].get("_dom_classes") and any(
                                  c in ("wb-add-card", "wb-vote", "wb-card-save")
                                  for c in s["state"]["_dom_classes"])
                              and m in _shown(closed)]
            assert visible_inputs == []
        finally:
            for ws in socks.values():
                await ws.close()

    with running_server(tmp_path, url) as server:
        asyncio.run(scenario(server))
    store.close()


def _shown(states: dict[str, Any]) -> set[str]:
    """Model ids reachable from a root without passing a hidden (display none) box."""
    layouts = {m: s["state"] for m, s in states.items() if s["model_name"] == "LayoutModel"}

    def hidden(mid: str) -> bool:
        lay = states[mid]["state"].get("layout", "").removeprefix("IPY_MODEL_")
        return layouts.get(lay, {}).get("display") == "none"

    children = {c.removeprefix("IPY_MODEL_") for s in states.values() for c in s["state"].get("children", [])}
    roots = [m for m, s in states.items() if "children" in s["state"] and m not in children]
    out: set[str] = set()
    stack = list(roots)
    while stack:
        m = stack.pop()
        if m in out or m not in states or hidden(m):
            continue
        out.add(m)
        stack.extend(c.removeprefix("IPY_MODEL_") for c in states[m]["state"].get("children", []))
    return out
