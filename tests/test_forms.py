"""Forms without a browser: build each page, set widget values, click, and check the store.

Runs on SQLite and PostgreSQL (the ``example`` fixture).
"""
from __future__ import annotations

import datetime as dt

import ipywidgets as widgets
import pytest

from workbook import Store, access
from workbook.forms import CardColumn, Page, PromptField, page, parse_query, query_string
from workbook.forms.fields import text_html

XSS = '<script>alert("x")</script><img src=x onerror="alert(1)">'


def link(store: Store, person: str, **params: str) -> str:
    """The query string of a fresh personal link."""
    token = access.issue_token(store, "example", person)
    extra = "".join(f"&{k}={v}" for k, v in params.items())
    return f"key={token}{extra}"


def kolb(experience: str) -> dict[str, object]:
    """Answers to the Kolb template (its three required prompts)."""
    return {"experience": experience, "observations": "noticed things", "experiments": ["try one thing"]}


def html_of(widget: widgets.Widget) -> str:
    """Every HTML widget's markup in a tree (what the browser would be given as markup)."""
    out = []
    stack = [widget]
    while stack:
        w = stack.pop()
        if isinstance(w, widgets.HTML):
            out.append(w.value)
        stack.extend(getattr(w, "children", ()))
    return "\n".join(out)


def fill_gibbs(pg: Page) -> None:
    f = pg.form
    assert f is not None
    f.fields["description"].value_widget.value = "We ran the planning workshop."
    f.fields["evaluation"].value_widget.value = "Good energy; ran over time."
    f.fields["conclusion"].value_widget.value = "Timebox the agenda."
    f.fields["confidence"].value_widget.value = 4
    f.fields["action_plan"].value_widget.value = "agree the agenda\n\nbook a prep slot\n"
    f.fields["mood"].value_widget.value = 5


def test_reflection_saves_every_prompt_type(example: Store) -> None:
    pg = page("reflection", link(example, "p01", exercise="gibbs"), store=example)
    assert pg.form is not None and pg.message is None
    kinds = {type(f.value_widget).__name__ for f in pg.form.fields.values() if isinstance(f, PromptField)}
    assert kinds == {"Textarea", "ToggleButtons"}
    assert pg.form.visibility.value == "coach"  # the example cohort's default
    fill_gibbs(pg)
    pg.form.visibility.value = "private"
    pg.form.submit_button.click()
    rows = example.find_entries("example", author_id="p01")
    assert len(rows) == 1
    e = rows[0]
    assert e.exercise_id == "gibbs" and e.visibility == "private"
    assert e.answers["action_plan"] == ["agree the agenda", "book a prep slot"]
    assert e.answers["confidence"] == 4 and e.mood == 5
    assert "Saved at" in pg.form.status.value
    assert pg.form.submit_button.disabled and pg.form.fields["description"].value_widget.disabled


def test_choice_prompt_and_required_marker(example: Store) -> None:
    pg = page("reflection", link(example, "p02", exercise="after-action-review"), store=example)
    assert pg.form is not None
    choice = pg.form.fields["outcome"].value_widget
    assert isinstance(choice, widgets.RadioButtons) and choice.value is None
    assert 'class="wb-required"' in html_of(pg.widget)
    for pid, f in pg.form.fields.items():
        if isinstance(f, PromptField) and f.prompt.type == "text":
            f.value_widget.value = f"answer to {pid}"
    choice.value = "as planned"
    assert pg.form.submit() is not None
    assert example.find_entries("example", author_id="p02")[0].answers["outcome"] == "as planned"


def test_double_click_and_resubmit_store_one_entry(example: Store) -> None:
    pg = page("reflection", link(example, "p01", exercise="gibbs"), store=example)
    fill_gibbs(pg)
    first = pg.form.submit()
    pg.form.submit_button.click()
    pg.form.submit_button.click()
    assert pg.form.submit() == first
    # A re-sent request (same client id from the same rendered form) is harmless too.
    pg.form.saved = None
    again = pg.form.submit()
    assert again is not None and again.id == first.id
    assert example.count_entries("example") == 1
    # "Write another" starts over with a new submission id.
    old_id = pg.form.client_id
    pg.form.again_button.click()
    assert pg.form.client_id != old_id and pg.form.fields["description"].value_widget.value == ""
    fill_gibbs(pg)
    pg.form.submit_button.click()
    assert example.count_entries("example") == 2


def test_validation_messages_next_to_fields(example: Store) -> None:
    pg = page("reflection", link(example, "p01", exercise="gibbs"), store=example)
    f = pg.form
    f.fields["feelings"].value_widget.value = "only an optional answer"
    f.submit_button.click()
    assert example.count_entries("example") == 0
    assert "required" in f.fields["description"].error.value
    assert "required" in f.fields["conclusion"].error.value
    assert f.fields["feelings"].error.value == ""
    assert "Nothing was saved" in f.status.value
    assert not f.submit_button.disabled  # they can fix it and try again
    # Nothing answered at all (a retro has no required prompt): a general message.
    retro = page("retro", link(example, "p01"), store=example).form
    assert retro is not None and retro.submit() is None
    assert "at least one" in retro.general_error.value
    assert example.count_entries("example") == 0


def test_size_limit_is_visible_before_sending(example: Store) -> None:
    pg = page("reflection", link(example, "p01", exercise="gibbs"), store=example)
    f = pg.form
    fill_gibbs(pg)
    limit = example.settings.max_text_length
    f.fields["description"].value_widget.value = "x" * (limit + 1)
    assert f.submit_button.disabled
    assert "limit" in f.fields["description"].counter.value
    assert f.submit() is None and example.count_entries("example") == 0
    f.fields["description"].value_widget.value = "short again"
    assert not f.submit_button.disabled
    assert f.submit() is not None


def test_user_text_is_never_markup(example: Store) -> None:
    pg = page("reflection", link(example, "p01", exercise="gibbs"), store=example)
    fill_gibbs(pg)
    pg.form.fields["description"].value_widget.value = XSS
    pg.form.submit()
    assert example.find_entries("example", author_id="p01")[0].answers["description"] == XSS  # stored as typed
    coach = access.authenticate(example, access.issue_token(example, "example", "c01"))
    entry = example.find_entries("example", author_id="p01")[0]
    access.comment_on(example, coach, entry.id, XSS, release=True)
    jp = page("journal", link(example, "p01"), store=example)
    markup = html_of(jp.widget)
    assert "<script>" not in markup and "<img" not in markup
    assert "&lt;script&gt;" in markup and "&lt;img src=x onerror=" in markup
    assert text_html(XSS).count("<") == 2  # only our own <div></div>


def test_checkin_records_goal_progress_once(example: Store) -> None:
    goal = example.add_goal("example", "p01", "Lead a <b>workshop</b> alone")
    untouched = example.add_goal("example", "p01", "Read two books")
    pg = page("checkin", link(example, "p01"), store=example)
    f = pg.form
    assert f is not None and f.exercise.id == "mentorship-checkin" and f.goals is not None
    assert set(f.goals.sliders) == {goal.id, untouched.id}
    assert "<b>" not in html_of(pg.widget)
    f.goals.sliders[goal.id].value = 40
    f.fields["wins"].value_widget.value = "gave the demo"
    f.fields["mood"].value_widget.value = 3
    entry = f.submit()
    assert entry is not None and entry.kind == "checkin"
    f.submit_button.click()
    assert example.get_goal(goal.id).progress == 40
    history = example.goal_history([goal.id, untouched.id])
    assert [(h.goal_id, h.progress, h.entry_id) for h in history] == [(goal.id, 40, entry.id)]


def test_checkin_saved_but_goals_failed_keeps_answers_and_retries_goals(example: Store,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from workbook.errors import StoreError

    goal = example.add_goal("example", "p01", "Lead a workshop alone")
    pg = page("checkin", link(example, "p01"), store=example)
    f = pg.form
    assert f is not None and f.goals is not None
    f.goals.sliders[goal.id].value = 60
    f.fields["wins"].value_widget.value = "gave the demo"
    f.fields["mood"].value_widget.value = 3
    real = example.record_goal_progress

    def busy(*args: object, **kwargs: object) -> object:
        raise StoreError("database is busy")

    monkeypatch.setattr(example, "record_goal_progress", busy)
    assert f.submit() is None
    assert example.count_entries("example") == 1
    # The answers are stored: they are locked (a change now would be silently dropped by the retry).
    assert f.fields["wins"].value_widget.disabled and "goal progress" in f.status.value
    assert not f.submit_button.disabled
    monkeypatch.setattr(example, "record_goal_progress", real)
    entry = f.submit()
    assert entry is not None and example.count_entries("example") == 1
    assert [(h.progress, h.entry_id) for h in example.goal_history([goal.id])] == [(60, entry.id)]
    assert "Saved at" in f.status.value


def test_checkin_write_another_survives_a_store_hiccup_and_records_nothing_twice(
        example: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from workbook.errors import StoreError

    goal = example.add_goal("example", "p01", "Lead a workshop alone")
    f = page("checkin", link(example, "p01"), store=example).form
    assert f is not None and f.goals is not None
    f.goals.sliders[goal.id].value = 40
    f.fields["mood"].value_widget.value = 3
    assert f.submit() is not None

    def busy(*args: object, **kwargs: object) -> object:
        raise StoreError("database is busy")

    monkeypatch.setattr(example, "find_goals", busy)
    f.again_button.click()
    assert not f.submit_button.disabled and not f.goals.sliders[goal.id].disabled
    f.fields["mood"].value_widget.value = 4
    second = f.submit()
    assert second is not None and example.count_entries("example") == 2
    assert [h.progress for h in example.goal_history([goal.id])] == [40]  # the slider did not move again


def test_retro_cards_several_per_column(example: Store) -> None:
    session = example.add_session("example", "start-stop-continue", facilitator_id="f01")
    pg = page("retro", link(example, "p03", session=str(session.id)), store=example)
    f = pg.form
    assert f is not None and set(f.fields) == {"start", "stop", "continue"}
    # The cohort's default is "coach", but the shared board shows only cards shared with the cohort.
    assert example.get_cohort("example").default_visibility == "coach"
    assert f.visibility.value == "cohort"
    start = f.fields["start"]
    assert isinstance(start, CardColumn)
    start.cards[0].value = "pair reflections"
    start.add_button.click()
    start.add_button.click()
    start.cards[-1].value = "rotate the facilitator"
    f.fields["continue"].cards[0].value = "small groups"
    entry = f.submit()
    assert entry is not None and entry.session_id == session.id
    assert entry.answers == {"start": ["pair reflections", "rotate the facilitator"], "continue": ["small groups"]}
    cards = example.find_cards(session.id)
    assert sorted(c.text for c in cards) == ["pair reflections", "rotate the facilitator", "small groups"]
    assert len(access.cohort_cards(example, session.id)) == 3


def test_card_column_limit_shows_no_error_until_exceeded() -> None:
    from workbook.exercises import exercise_from_dict

    ex = exercise_from_dict({"id": "one-card", "title": "One card", "kind": "retro", "prompts": [
        {"id": "start", "text": "Start", "type": "list", "column": True, "max_items": 1}]})
    col = CardColumn(ex.prompts[0])
    assert len(col.cards) == 1 and col.error.value == ""
    col.set_value(["the one idea"])  # editing a full column (from the journal)
    assert col.value == ["the one idea"] and col.error.value == ""
    col.clear()
    assert len(col.cards) == 1 and col.error.value == ""
    col.add_button.click()
    assert len(col.cards) == 1 and "up to 1 cards" in col.error.value


def test_a_plain_retro_link_joins_the_retro_running_now(example: Store) -> None:
    pg = page("retro", link(example, "p01"), store=example)
    assert pg.form is not None and pg.form.session_id is None  # no retro yet: the default template
    example.add_session("example", "kolb", facilitator_id="f01")  # not a retro
    running = example.add_session("example", "4ls", facilitator_id="f01")
    pg = page("retro", link(example, "p01"), store=example)
    f = pg.form
    assert f is not None and f.session_id == running.id and f.exercise.id == "4ls"
    f.fields["liked"].cards[0].value = "the pairing"
    assert f.submit() is not None
    assert [c.text for c in access.cohort_cards(example, running.id)] == ["the pairing"]
    example.close_session(running.id)
    pg = page("retro", link(example, "p01"), store=example)
    assert pg.form is not None and pg.form.session_id is None


def test_closed_or_foreign_session_shows_a_message(example: Store) -> None:
    s = example.add_session("example", "4ls", facilitator_id="f01")
    example.close_session(s.id)
    pg = page("retro", link(example, "p01", session=str(s.id)), store=example)
    assert pg.form is None and "closed" in (pg.message or "")
    pg = page("retro", link(example, "p01", session="99999"), store=example)
    assert pg.form is None and "does not exist" in (pg.message or "")
    pg = page("retro", link(example, "p01", exercise="gibbs"), store=example)
    assert pg.form is None and "reflection" in (pg.message or "")
    pg = page("reflection", link(example, "p01", exercise="no-such-thing"), store=example)
    assert pg.form is None and "not available" in (pg.message or "")
    assert example.count_entries("example") == 0


def test_reflection_without_exercise_offers_a_choice(example: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    pg = page("reflection", link(example, "p01"), store=example)
    assert pg.form is None
    pg.extra["picker"].value = "kolb"
    assert pg.form is not None and pg.form.exercise.id == "kolb"
    # A failure while building the chosen form shows a message, not an empty space.
    from workbook.errors import StoreError

    def down(*args: object, **kwargs: object) -> object:
        raise StoreError("database is down")

    pg = page("reflection", link(example, "p01"), store=example)
    monkeypatch.setattr(example, "exercise", down)
    pg.extra["picker"].value = "kolb"
    assert pg.form is None and "not available right now" in html_of(pg.widget)


def test_journal_lists_own_entries_newest_first_with_released_comments(example: Store) -> None:
    t0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.timezone.utc)
    old = example.add_entry("example", "p01", "kolb", kolb("older one"), created_at=t0)
    new = example.add_entry("example", "p01", "kolb", kolb("newer one"),
                            created_at=t0 + dt.timedelta(days=3))
    other = example.add_entry("example", "p02", "kolb", kolb("someone else's"), visibility="cohort")
    coach = example.get_membership("example", "p01").coach_id
    assert coach
    example.add_comment(old.id, coach, "Released note", release=True)
    example.add_comment(old.id, coach, "Draft note, not yet shared")
    pg = page("journal", link(example, "p01"), store=example)
    j = pg.journal
    assert j is not None
    assert [c.entry.id for c in j.cards] == [new.id, old.id]
    markup = html_of(pg.widget)
    assert "Released note" in markup and "Draft note" not in markup and "someone else" not in markup
    with pytest.raises(KeyError):
        j.card(other.id)


def test_journal_refresh_during_a_store_hiccup_keeps_the_page(example: Store,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from workbook.errors import StoreError

    e = example.add_entry("example", "p01", "kolb", kolb("still shown"))
    j = page("journal", link(example, "p01"), store=example).journal
    assert j is not None

    def busy(*args: object, **kwargs: object) -> object:
        raise StoreError("database is busy")

    monkeypatch.setattr(example, "find_entries", busy)
    j.refresh_button.click()
    assert j.card(e.id) and "could not be loaded" in html_of(j.widget) and "still shown" in html_of(j.widget)


def test_journal_edit_makes_a_new_revision(example: Store) -> None:
    e = example.add_entry("example", "p01", "kolb", kolb("first draft"))
    pg = page("journal", link(example, "p01"), store=example)
    card = pg.journal.card(e.id)
    card.edit_button.click()
    assert card.fields["experience"].value_widget.value == "first draft"
    card.fields["experience"].value_widget.value = "second draft"
    card.visibility.value = "cohort"
    card.save_button.click()
    now = example.get_entry(e.id)
    assert now.revision == 2 and now.answers["experience"] == "second draft" and now.visibility == "cohort"
    assert [r.answers["experience"] for r in example.entry_history(e.id)] == ["first draft", "second draft"]
    assert "Saved at" in card.status.value
    # Saving again without changes writes nothing.
    card.edit_button.click()
    card.save_button.click()
    card.save_button.click()
    assert example.get_entry(e.id).revision == 2


@pytest.mark.parametrize("query", ["", "key=", "key=not-a-real-key", "exercise=gibbs", "key=" + "x" * 500])
def test_bad_keys_show_a_message_and_no_form(example: Store, query: str) -> None:
    for kind in ("reflection", "checkin", "retro", "journal", "participation"):
        pg = page(kind, query, store=example)
        assert pg.form is None and pg.journal is None
        assert "not valid" in (pg.message or "") and "facilitator" in (pg.message or "")
    assert example.count_entries("example") == 0


def test_expired_and_revoked_keys(example: Store) -> None:
    token = access.issue_token(example, "example", "p01", expires_in=dt.timedelta(seconds=-1))
    assert page("journal", f"key={token}", store=example).message
    token = access.issue_token(example, "example", "p01")
    pg = page("reflection", f"key={token}&exercise=gibbs", store=example)
    assert pg.form is not None
    access.revoke(example, "example", "p01")
    assert page("journal", f"key={token}", store=example).message
    # A page opened before the revocation cannot save any more.
    fill_gibbs(pg)
    assert pg.form.submit() is None
    assert "not valid" in pg.form.status.value
    assert example.count_entries("example") == 0
    # A journal opened before a revocation shows nothing more on Refresh.
    token = access.issue_token(example, "example", "p01")
    mine = example.add_entry("example", "p01", "kolb", kolb("written before the revocation"))
    journal = page("journal", f"key={token}", store=example).journal
    assert journal is not None and journal.card(mine.id)
    access.revoke(example, "example", "p01")
    journal.refresh_button.click()
    assert journal.cards == [] and "written before" not in html_of(journal.widget)
    assert "not valid" in html_of(journal.widget)


def test_a_participant_never_reads_another_persons_entries(example: Store) -> None:
    secret = example.add_entry("example", "p02", "kolb", kolb("p02 private thoughts"), visibility="private")
    coach_only = example.add_entry("example", "p02", "kolb", kolb("p02 for coach"), visibility="coach")
    pg = page("journal", link(example, "p01"), store=example)
    markup = html_of(pg.widget)
    assert "p02 private" not in markup and "p02 for coach" not in markup
    viewer = pg.viewer
    assert viewer is not None
    readable = {e.id for e in access.readable_entries(example, viewer)}
    assert secret.id not in readable and coach_only.id not in readable
    # Editing another person's entry through a journal card is refused by the store.
    card_entry = example.add_entry("example", "p01", "kolb", kolb("mine"))
    pg = page("journal", link(example, "p01"), store=example)
    card = pg.journal.card(card_entry.id)
    card.entry = secret  # a forged card: the store still checks the author
    card.start_edit()
    card.fields["experience"].value_widget.value = "overwritten"
    assert card.save() is None
    assert example.get_entry(secret.id).answers["experience"] == "p02 private thoughts"


def test_facilitator_page_refuses_participant_and_coach_keys(example: Store) -> None:
    for person in ("p01", "c01"):
        pg = page("participation", link(example, person), store=example)
        assert pg.message == "This page is not available with your link."
    example.add_entry("example", "p01", "kolb", kolb("free text the facilitator must not see"))
    pg = page("participation", link(example, "f01"), store=example)
    markup = html_of(pg.widget)
    assert pg.message is None and "Participation" in markup and "free text" not in markup


def test_a_link_grants_no_more_than_the_roster_role_now(example: Store) -> None:
    from dataclasses import replace

    token = access.issue_token(example, "example", "f01")
    assert page("participation", f"key={token}", store=example).message is None
    member = example.get_membership("example", "f01")
    # the roster now says participant (re-imported)
    example.save_members("example", [replace(member, role="participant")])
    pg = page("participation", f"key={token}", store=example)
    assert pg.message is not None and "Name" not in html_of(pg.widget)
    assert page("journal", f"key={token}", store=example).journal is None


def test_times_are_shown_in_the_viewers_zone(example: Store) -> None:
    from dataclasses import replace

    from workbook.forms import FormContext

    at = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.timezone.utc)
    ctx = FormContext(example, access.viewer_for(example, "example", "c03"))  # roster: Asia/Tokyo
    assert ctx.local_time(at) == "21:00" and ctx.local_time(at.replace(tzinfo=None)) == "21:00"
    member = example.get_membership("example", "c03")
    # an unknown zone in the roster: the cohort's (Europe/London)
    example.save_members("example", [replace(member, timezone="Mars/Olympus")])
    assert FormContext(example, ctx.viewer).local_time(at) == "12:00"


def test_query_string_helpers(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_query("?key=abc&exercise=gibbs&x=") == {"key": "abc", "exercise": "gibbs", "x": ""}
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    monkeypatch.setenv("QUERY_STRING", "key=k1")
    assert query_string() == "key=k1"
    monkeypatch.setenv("VOILA_PREHEAT", "False")
    assert query_string() == "key=k1"


def test_unknown_page_kind_is_a_programming_error(example: Store) -> None:
    with pytest.raises(ValueError):
        page("admin", "", store=example)


def test_a_bug_while_building_shows_a_calm_message(example: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    import workbook.forms.pages as page_module

    def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(page_module, "JournalView", broken)
    pg = page("journal", link(example, "p01"), store=example)
    assert pg.journal is None and "on our side" in (pg.message or "") and "boom" not in (pg.message or "")


def test_unreachable_database_shows_a_message(monkeypatch: pytest.MonkeyPatch) -> None:
    import workbook.forms.pages as page_module
    from workbook.errors import StoreError

    def down() -> Store:
        raise StoreError("database is unavailable")

    monkeypatch.setattr(page_module, "get_store", down)
    pg = page("reflection", "key=whatever&exercise=gibbs")
    assert pg.form is None and "not available right now" in (pg.message or "")


def test_extra_link_parameters_cannot_widen_what_is_shown(example: Store) -> None:
    theirs = example.add_entry("example", "p02", "kolb", kolb("p02 only"), visibility="private")
    query = link(example, "p01") + f"&author=p02&person=p02&entry={theirs.id}&role=facilitator&cohort=other"
    pg = page("journal", query, store=example)
    assert pg.journal is not None and pg.journal.cards == []
    assert "p02 only" not in html_of(pg.widget)
    assert page("participation", query, store=example).message == "This page is not available with your link."


def test_submitting_a_milestone_reflection_records_the_milestone(example: Store) -> None:
    before = {m.id for m in example.find_milestones("example", "p03")}
    pg = page("reflection", link(example, "p03", exercise="milestone"), store=example)
    assert pg.form is not None
    pg.form.fields["milestone"].value_widget.value = "Finished the first module"
    pg.form.fields["achievements"].value_widget.value = "shipped the demo\n"
    pg.form.fields["next_milestone"].value_widget.value = "Run a session alone; first step: pick the date"
    entry = pg.form.submit()
    assert entry is not None
    new = [m for m in example.find_milestones("example", "p03") if m.id not in before]
    assert [m.entry_id for m in new if m.entry_id == entry.id] == [entry.id]
