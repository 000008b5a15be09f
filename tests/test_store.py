"""The store on a real SQLite file and a real PostgreSQL database (every test runs on both)."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from workbook import AccessDenied, NotFoundError, Store, ValidationError
from workbook.store import EntryDraft

UTC = dt.timezone.utc
GIBBS = {"description": "We ran the workshop.", "evaluation": "Mostly good.", "conclusion": "Prepare more.",
         "mood": 4}


def test_fresh_database_gets_current_schema(store: Store) -> None:
    from workbook.store import head_revision

    assert store.current_revision() == head_revision()


def test_cohort_roundtrip_and_missing_cohort_names_key(example: Store) -> None:
    c = example.get_cohort("example")
    assert c.timezone == "Europe/London" and c.min_group_size == 5 and c.default_visibility == "coach"
    with pytest.raises(NotFoundError, match="'nope'.*workbook cohort list"):
        example.get_cohort("nope")


def test_add_entry_validates_and_defaults_visibility(example: Store) -> None:
    e = example.add_entry("example", "p01", "gibbs", GIBBS)
    assert e.visibility == "coach"  # the cohort default
    assert e.mood == 4 and e.kind == "reflection" and e.revision == 1
    assert e.created_at.tzinfo is not None
    again = example.get_entry(e.id)
    assert again.answers == GIBBS and again.created_at == e.created_at


def test_text_is_stored_exactly_as_typed(example: Store) -> None:
    text = "  <script>alert('x')</script>\n  ünïcødé — 😀 \t"
    e = example.add_entry("example", "p01", "what-so-what-now-what",
                          {"what": text, "so_what": "s", "now_what": "n"})
    assert example.get_entry(e.id).answers["what"] == text


def test_bad_answers_list_every_problem_and_store_nothing(example: Store) -> None:
    with pytest.raises(ValidationError) as err:
        example.add_entry("example", "p01", "gibbs", {"description": "", "mood": 9, "nope": "x"})
    fields = err.value.by_field()
    assert {"description", "mood", "nope"} <= set(fields)
    assert example.count_entries() == 0


def test_text_limit_message_says_what_to_do(example: Store) -> None:
    with pytest.raises(ValidationError, match="shorten|limit"):
        example.add_entry("example", "p01", "gibbs", {**GIBBS, "description": "x" * 20_001})
    assert example.count_entries() == 0


def test_unknown_visibility_and_non_member_are_refused(example: Store) -> None:
    with pytest.raises(ValidationError, match="visibility"):
        example.add_entry("example", "p01", "gibbs", GIBBS, visibility="public")
    with pytest.raises(AccessDenied):
        example.add_entry("example", "stranger", "gibbs", GIBBS)
    assert example.count_entries() == 0


def test_repeated_client_id_stores_one_entry(example: Store) -> None:
    a = example.add_entry("example", "p01", "gibbs", GIBBS, client_id="click-1")
    b = example.add_entry("example", "p01", "gibbs", GIBBS, client_id="click-1")
    assert a.id == b.id and example.count_entries() == 1
    # the same id from another author is another submission
    example.add_entry("example", "p02", "gibbs", GIBBS, client_id="click-1")
    assert example.count_entries() == 2


def test_edit_keeps_earlier_text_as_revision(example: Store) -> None:
    e = example.add_entry("example", "p01", "gibbs", GIBBS)
    edited = example.edit_entry(e.id, "p01", {**GIBBS, "conclusion": "Prepare much more."}, visibility="private")
    assert edited.revision == 2 and edited.visibility == "private"
    history = example.entry_history(e.id)
    assert [h.revision for h in history] == [1, 2]
    assert history[0].answers["conclusion"] == "Prepare more."
    assert history[1].answers["conclusion"] == "Prepare much more."
    assert example.get_entry(e.id).revision == 2


def test_session_rules(example: Store) -> None:
    now = dt.datetime.now(UTC)
    s = example.add_session("example", "kolb", opens_at=now - dt.timedelta(hours=1),
                            closes_at=now + dt.timedelta(hours=1))
    e = example.add_entry("example", "p03", "ignored-because-session", {
        "experience": "x", "observations": "y", "experiments": ["z"]}, session_id=s.id)
    assert e.exercise_id == "kolb" and e.session_id == s.id
    example.close_session(s.id, at=now - dt.timedelta(minutes=1))
    with pytest.raises(ValidationError, match="closed"):
        example.add_entry("example", "p04", "kolb", {"experience": "x", "observations": "y",
                                                     "experiments": ["z"]}, session_id=s.id)


def test_retro_entry_creates_cards_and_votes_respect_limit(example: Store) -> None:
    s = example.add_session("example", "start-stop-continue")
    example.add_entry("example", "p01", "start-stop-continue",
                      {"start": ["Agendas early", "Pairing"], "stop": ["Overrunning"]}, session_id=s.id)
    cards = example.find_cards(s.id)
    assert sorted(c.text for c in cards) == ["Agendas early", "Overrunning", "Pairing"]
    left = example.add_vote(cards[0].id, "p02", limit=2)
    assert left == 1
    with pytest.raises(ValidationError, match="already"):
        example.add_vote(cards[0].id, "p02", limit=2)
    example.add_vote(cards[1].id, "p02", limit=2)
    with pytest.raises(ValidationError, match="all 2 votes"):
        example.add_vote(cards[2].id, "p02", limit=2)
    assert example.find_cards(s.id)[0].votes == 1
    assert example.count_votes(s.id, "p02") == 2 and example.count_votes(s.id, "p03") == 0
    # one card read alone is the same record as on the board (author, cohort, session, votes)
    top = example.find_cards(s.id)[0]
    assert example.get_card(top.id) == top
    assert (top.author_id, top.cohort_id, top.session_id) == ("p01", "example", s.id)


def test_custom_template_change_keeps_old_snapshot(example: Store) -> None:
    e = example.add_entry("example", "p01", "gibbs", GIBBS)
    from workbook.store.schema import entries as t
    import sqlalchemy as sa

    with example._read() as conn:
        snap = conn.execute(sa.select(t.c.snapshot_id).where(t.c.id == e.id)).scalar_one()
    assert example.snapshot_exercise(snap).id == "gibbs"


def test_entries_frame_is_tidy(example: Store) -> None:
    at = dt.datetime(2026, 10, 5, 23, 30, tzinfo=UTC)  # Monday 00:30 in London (BST)
    example.add_entry("example", "p01", "gibbs", GIBBS, created_at=at)
    example.add_entry("example", "p02", "mentorship-checkin", {"wins": ["a", "b"], "mood": 3}, created_at=at)
    frame = example.entries_frame("example")
    assert list(frame.columns[:5]) == ["entry_id", "cohort_id", "author_id", "author_name", "exercise_id"]
    assert len(frame) == 2 and str(frame["created_at"].dt.tz) == "UTC"
    assert set(frame["week"]) == {pd.Timestamp("2026-10-05")}
    answers = example.entries_frame("example", per="answer")
    wins = answers[(answers.prompt_id == "wins")]
    assert wins.iloc[0]["value"] == "a\nb" and wins.iloc[0]["prompt_type"] == "list"
    assert len(answers) == len(GIBBS) + 2


def test_weekly_participation_uses_cohort_time_zone(example: Store) -> None:
    # Sunday 23:30 UTC in summer is Monday 00:30 in London: it belongs to the new week.
    mon = dt.datetime(2026, 10, 4, 23, 30, tzinfo=UTC)
    drafts = [EntryDraft("p01", "gibbs", GIBBS, created_at=mon),
              EntryDraft("p02", "gibbs", GIBBS, created_at=mon + dt.timedelta(days=1)),
              EntryDraft("p02", "gibbs", GIBBS, created_at=mon + dt.timedelta(days=2)),
              # after the clocks go back (25 Oct): 23:30 UTC Sunday is still Sunday in London
              EntryDraft("p03", "gibbs", GIBBS, created_at=dt.datetime(2026, 11, 1, 23, 30, tzinfo=UTC))]
    example.add_entries("example", drafts)
    weekly = example.weekly_participation("example")
    assert weekly.to_dict("records") == [
        {"week": pd.Timestamp("2026-10-05"), "entries": 3, "authors": 2},
        {"week": pd.Timestamp("2026-10-26"), "entries": 1, "authors": 1},
    ]


def test_bulk_add_is_all_or_nothing(example: Store) -> None:
    good = EntryDraft("p01", "gibbs", GIBBS)
    bad = EntryDraft("p02", "gibbs", {"description": ""})
    with pytest.raises(ValidationError):
        example.add_entries("example", [good, bad])
    assert example.count_entries() == 0


def test_comments_goals_pairings_kudos(example: Store) -> None:
    e = example.add_entry("example", "p01", "gibbs", GIBBS)
    c = example.add_comment(e.id, "c01", "Nice work")
    assert not c.released
    assert example.release_comment(c.id, by="c01").released
    g = example.add_goal("example", "p01", "Speak up in meetings")
    assert example.record_goal_progress(g.id, "p01", 100).status == "reached"
    with pytest.raises(ValidationError, match="0 to 100"):
        example.record_goal_progress(g.id, "p01", 120)
    assert example.coaches_of("example", "p01") == {"c01"}
    example.replace_pairings("example", [("c02", "p13", 5.0, ["offers SQL"])])
    assert example.coaches_of("example", "p13") == {"c02"}
    assert "p13" in example.mentees_of("example", "c02")
    with pytest.raises(NotFoundError):
        example.replace_pairings("example", [("c02", "ghost", 1.0, [])])
    example.add_kudos("example", "p01", "p02", "Thanks!")
    assert len(example.find_kudos("example", to_id="p02")) == 1


def test_naive_datetimes_are_refused(example: Store) -> None:
    with pytest.raises(Exception, match="naive"):
        example.add_entry("example", "p01", "gibbs", GIBBS, created_at=dt.datetime(2026, 1, 1))
    assert example.count_entries() == 0


def test_editing_a_retro_entry_keeps_votes_on_unchanged_cards(example: Store) -> None:
    s = example.add_session("example", "start-stop-continue")
    e = example.add_entry("example", "p01", "start-stop-continue", {"start": ["Keep me", "Drop me"]},
                          visibility="cohort", session_id=s.id)
    cards = {c.text: c for c in example.find_cards(s.id)}
    example.add_vote(cards["Keep me"].id, "p02", 3)
    example.add_vote(cards["Drop me"].id, "p02", 3)
    example.edit_entry(e.id, "p01", {"start": ["Keep me", "New one"], "stop": ["Stop this"]})
    after = {c.text: c for c in example.find_cards(s.id)}
    assert set(after) == {"Keep me", "New one", "Stop this"}
    assert after["Keep me"].id == cards["Keep me"].id and after["Keep me"].votes == 1
    example.close_session(s.id)
    with pytest.raises(ValidationError, match="closed"):
        example.edit_entry(e.id, "p01", {"start": ["Too late"]})
    assert example.get_entry(e.id).answers["start"] == ["Keep me", "New one"]


def test_entry_exercise_is_the_snapshot_it_was_written_against(example: Store) -> None:
    e = example.add_entry("example", "p01", "gibbs", GIBBS)
    assert example.entry_exercise(e.id).id == "gibbs"
    with pytest.raises(NotFoundError):
        example.entry_exercise(99999)


def test_store_is_true_mixins_over_one_base_and_enter_keeps_its_type(store: Store) -> None:
    """Each verb family subclasses StoreBase only; ``with Store(...) as s`` is typed as a Store."""
    import typing

    from workbook.store.core import StoreBase

    mixins = [c for c in Store.__mro__ if c.__name__.endswith("Mixin")]
    assert len(mixins) == 8 and all(c.__bases__ == (StoreBase,) for c in mixins)
    assert typing.get_type_hints(Store.__enter__)["return"] is typing.Self
    with Store(store.url) as again:
        assert type(again) is Store and again.find_cohorts() == store.find_cohorts()
