"""Tests of workbook.exercises: shipped templates, custom templates and answer validation."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from workbook.errors import CatalogueError, NotFoundError, ValidationError
from workbook.exercises import (
    Catalogue,
    Exercise,
    Prompt,
    exercise_from_dict,
    load_catalogue,
    load_exercise_file,
    validate_answers,
)

SHIPPED_IDS = {
    "gibbs", "kolb", "what-so-what-now-what", "after-action-review", "failure-journal",
    "transition", "milestone", "mentorship-checkin", "start-stop-continue", "4ls",
    "mad-sad-glad", "sailboat",
}

GOOD_TEMPLATE = """\
title = "Team pulse"
kind = "reflection"
framework = "Pulse"
source = "Our own"
description = "A quick pulse."

[[prompts]]
id = "note"
text = "Anything to add?"
type = "text"
required = true
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def exercise(*prompts: Prompt, kind: str = "reflection") -> Exercise:
    return Exercise(
        id="t", title="T", kind=kind, framework="", source="", description="",  # type: ignore[arg-type]
        prompts=prompts,
    )


def problems_of(err: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return err.value.by_field()


# --- shipped templates ------------------------------------------------------------------------

def test_all_shipped_templates_load_with_ids_from_file_names() -> None:
    catalogue = load_catalogue()
    assert {e.id for e in catalogue} == SHIPPED_IDS
    assert len(catalogue) == len(SHIPPED_IDS)


def test_shipped_prompt_ids_are_unique_and_every_template_is_complete() -> None:
    for ex in load_catalogue():
        ids = [p.id for p in ex.prompts]
        assert len(ids) == len(set(ids)), ex.id
        assert ex.title and ex.framework and ex.description, ex.id
        assert "(" in ex.source and len(ex.source) > 30, ex.id  # a citation with a year
        assert all(p.text.strip() for p in ex.prompts), ex.id
        if ex.kind != "retro":
            # Retro columns are all optional: a card is added to one column at a time.
            assert any(p.required for p in ex.prompts), ex.id


def test_every_kind_is_present() -> None:
    catalogue = load_catalogue()
    for kind in ("reflection", "checkin", "retro"):
        assert catalogue.list(kind), kind


def test_retro_templates_have_at_least_three_list_columns() -> None:
    retros = load_catalogue().list("retro")
    assert {e.id for e in retros} == {"start-stop-continue", "4ls", "mad-sad-glad", "sailboat"}
    for ex in retros:
        assert len(ex.columns) >= 3, ex.id
        assert all(p.type == "list" for p in ex.columns)
    assert [p.id for p in load_catalogue().get("sailboat").columns] == [
        "wind", "anchors", "rocks", "island"
    ]


def test_reflections_end_with_optional_mood_scale() -> None:
    for ex in load_catalogue().list("reflection"):
        mood = ex.prompts[-1]
        assert (mood.id, mood.type, mood.required) == ("mood", "scale", False), ex.id
        assert (mood.min, mood.max) == (1, 5)
        assert mood.labels is not None


def test_mentorship_checkin_prompts() -> None:
    checkin = load_catalogue().get("mentorship-checkin")
    assert checkin.kind == "checkin"
    assert [(p.id, p.type) for p in checkin.prompts] == [
        ("goal_progress", "text"), ("wins", "list"), ("blockers", "list"),
        ("next_steps", "list"), ("help_wanted", "text"), ("mood", "scale"),
    ]
    mood = checkin.prompt("mood")
    assert mood.required and (mood.min, mood.max) == (1, 5) and mood.labels


def test_templates_mix_prompt_types() -> None:
    catalogue = load_catalogue()
    assert catalogue.get("gibbs").prompt("confidence").type == "scale"
    assert catalogue.get("after-action-review").prompt("outcome").options
    assert catalogue.get("kolb").prompt("experiments").type == "list"


def test_to_dict_round_trips_through_json() -> None:
    for ex in load_catalogue():
        data = json.loads(json.dumps(ex.to_dict()))
        assert exercise_from_dict(data) == ex


def test_prompt_lookup() -> None:
    gibbs = load_catalogue().get("gibbs")
    assert gibbs.prompt("feelings").text.startswith("What were you")
    with pytest.raises(NotFoundError, match="nope"):
        gibbs.prompt("nope")


# --- the Catalogue ----------------------------------------------------------------------------

def test_get_unknown_exercise_says_how_to_list_ids() -> None:
    with pytest.raises(NotFoundError, match="workbook exercises list"):
        load_catalogue().get("no-such-exercise")


def test_list_is_sorted_by_kind_then_title() -> None:
    catalogue = load_catalogue()
    listed = catalogue.list()
    assert listed == sorted(listed, key=lambda e: (e.kind, e.title.casefold()))
    assert list(catalogue) == listed
    assert "gibbs" in catalogue and "nope" not in catalogue
    with pytest.raises(ValidationError, match="kind"):
        catalogue.list("poem")


def test_later_exercise_with_same_id_wins() -> None:
    a = load_catalogue().get("gibbs")
    b = exercise_from_dict({**a.to_dict(), "title": "Gibbs (ours)"})
    assert Catalogue([a, b]).get("gibbs").title == "Gibbs (ours)"


# --- custom templates -------------------------------------------------------------------------

def test_custom_dir_adds_and_overrides(tmp_path: Path) -> None:
    write(tmp_path, "team-pulse.toml", GOOD_TEMPLATE)
    write(tmp_path, "gibbs.toml", GOOD_TEMPLATE.replace("Team pulse", "Our Gibbs"))
    write(tmp_path, "notes.txt", "not a template")
    catalogue = load_catalogue([tmp_path, tmp_path / "missing"])
    assert len(catalogue) == len(SHIPPED_IDS) + 1
    assert catalogue.get("team-pulse").prompt("note").required
    assert catalogue.get("gibbs").title == "Our Gibbs"
    # The shipped part is cached but never changed by an override.
    assert load_catalogue().get("gibbs").title == "Gibbs' reflective cycle"


def test_id_field_overrides_file_name(tmp_path: Path) -> None:
    path = write(tmp_path, "My Pulse.toml", 'id = "pulse"\n' + GOOD_TEMPLATE)
    assert load_exercise_file(path).id == "pulse"
    bad = write(tmp_path, "Bad Name.toml", GOOD_TEMPLATE)
    with pytest.raises(CatalogueError, match="Bad Name"):
        load_exercise_file(bad)


def test_scale_defaults_are_filled_in() -> None:
    ex = exercise_from_dict({
        "id": "x", "title": "X", "kind": "checkin",
        "prompts": [{"id": "mood", "text": "Mood?", "type": "scale", "required": True}],
    })
    assert (ex.prompt("mood").min, ex.prompt("mood").max) == (1, 5)


PROMPT_HEAD = '\n[[prompts]]\nid = "p1"\ntext = "Q"\n'

BAD_FILES = {
    "syntax": (GOOD_TEMPLATE + "\nthis is not = = toml\n", "file", "not valid TOML"),
    "unknown-type": (GOOD_TEMPLATE + PROMPT_HEAD + 'type = "essay"\n', "prompts[1].type", "essay"),
    "choice-no-options": (GOOD_TEMPLATE + PROMPT_HEAD + 'type = "choice"\n', "prompts[1].options",
                          "required for a choice"),
    "duplicate-prompt": (GOOD_TEMPLATE + PROMPT_HEAD.replace("p1", "note") + 'type = "text"\n',
                         "prompts[1].id", "already used by prompts[0]"),
    "scale-range": (GOOD_TEMPLATE + PROMPT_HEAD + 'type = "scale"\nmin = 5\nmax = 3\n',
                    "prompts[1].max", "greater than min"),
    "column-on-text": (GOOD_TEMPLATE.replace('"reflection"', '"retro"') + PROMPT_HEAD
                       + 'type = "text"\ncolumn = true\n', "prompts[1].column", "only list prompts"),
    "unknown-kind": (GOOD_TEMPLATE.replace('"reflection"', '"poem"'), "kind", "unknown kind"),
    "misspelt-key": (GOOD_TEMPLATE.replace("[[prompts]]", "promts = 1\n[[prompts]]"), "promts",
                     "not a known field"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_template_names_file_and_field(tmp_path: Path, name: str) -> None:
    text, field, message = BAD_FILES[name]
    path = write(tmp_path, f"{name}.toml", text)
    with pytest.raises(CatalogueError) as err:
        load_exercise_file(path)
    assert str(path) in err.value.summary
    assert message in " ".join(err.value.by_field()[field])


def test_every_bad_file_is_reported_at_once(tmp_path: Path) -> None:
    for name, (text, _, _) in BAD_FILES.items():
        write(tmp_path, f"{name}.toml", text)
    write(tmp_path, "fine.toml", GOOD_TEMPLATE)
    with pytest.raises(CatalogueError) as err:
        load_catalogue([tmp_path])
    text = str(err.value)
    assert f"{len(BAD_FILES)} exercise template files have problems" in text
    for name, (_, field, message) in BAD_FILES.items():
        assert f"{tmp_path / name}.toml {field}: " in text
        assert message in text


def test_one_problem_per_bad_field_in_a_single_file() -> None:
    with pytest.raises(CatalogueError) as err:
        exercise_from_dict({"id": "x", "title": "", "kind": "retro", "prompts": [
            {"id": "a", "text": "A", "type": "list", "max_items": 0},
            {"id": "B", "text": "B", "type": "scale", "options": ["x"], "labels": ["low"]},
            {"id": "c", "text": "C", "type": "choice", "options": ["x", "x"], "required": "yes"},
        ]}, "custom.toml")
    fields = set(err.value.by_field())
    assert "custom.toml" in err.value.summary
    assert {"title", "prompts", "prompts[0].max_items", "prompts[1].id", "prompts[1].options",
            "prompts[1].labels", "prompts[2].options", "prompts[2].required"} <= fields


def test_duplicate_custom_ids_are_reported(tmp_path: Path) -> None:
    write(tmp_path, "a.toml", 'id = "same"\n' + GOOD_TEMPLATE)
    write(tmp_path, "b.toml", 'id = "same"\n' + GOOD_TEMPLATE)
    with pytest.raises(CatalogueError, match="already defined by"):
        load_catalogue([tmp_path])


# --- validate_answers -------------------------------------------------------------------------

TEXT = Prompt(id="story", text="Story?", type="text", required=True)
NOTE = Prompt(id="note", text="Note?", type="text", max_length=10)
SCALE = Prompt(id="mood", text="Mood?", type="scale", min=1, max=5)
CHOICE = Prompt(id="pick", text="Pick", type="choice", options=("a", "b", "c"))
LIST = Prompt(id="items", text="Items", type="list", max_items=2, max_length=5)
ALL = exercise(TEXT, NOTE, SCALE, CHOICE, LIST)


def test_text_is_stored_exactly_as_typed() -> None:
    raw = "  <script>alert(1)</script>\n"
    assert validate_answers(ALL, {"story": raw}) == {"story": raw}


def test_blank_text_counts_as_missing() -> None:
    with pytest.raises(ValidationError) as err:
        validate_answers(ALL, {"story": " \n\t", "mood": 3})
    assert problems_of(err) == {"story": ["required: please write something here"]}
    assert validate_answers(ALL, {"story": "x", "note": "   "}) == {"story": "x"}


def test_text_length_limit_message() -> None:
    with pytest.raises(ValidationError) as err:
        validate_answers(ALL, {"story": "x" * 25_013})
    assert problems_of(err) == {
        "story": ["is 25,013 characters long; the limit is 20,000 — shorten it"]
    }
    assert validate_answers(ALL, {"story": "x" * 20_000})["story"] == "x" * 20_000
    with pytest.raises(ValidationError, match="the limit is 10 "):
        validate_answers(ALL, {"story": "x", "note": "x" * 11})
    with pytest.raises(ValidationError, match="the limit is 100 "):
        validate_answers(ALL, {"story": "x" * 101}, max_text_length=100)


def test_scale_accepts_int_and_int_string_but_not_bool() -> None:
    assert validate_answers(ALL, {"story": "x", "mood": 4})["mood"] == 4
    assert validate_answers(ALL, {"story": "x", "mood": " 4"})["mood"] == 4
    for bad in (True, False, 0, 6, "four", "4.5", 4.5, [4]):
        with pytest.raises(ValidationError) as err:
            validate_answers(ALL, {"story": "x", "mood": bad})
        assert problems_of(err) == {"mood": ["must be a whole number from 1 to 5"]}, bad


def test_choice_must_be_one_of_the_options() -> None:
    assert validate_answers(ALL, {"story": "x", "pick": "b"})["pick"] == "b"
    with pytest.raises(ValidationError) as err:
        validate_answers(ALL, {"story": "x", "pick": "d"})
    assert problems_of(err) == {"pick": ["choose one of: a, b, c"]}


def test_list_drops_blank_items_and_enforces_limits() -> None:
    got = validate_answers(ALL, {"story": "x", "items": (" ab ", "", "  ", "cd")})
    assert got["items"] == [" ab ", "cd"]
    assert "items" not in validate_answers(ALL, {"story": "x", "items": ["", " "]})
    with pytest.raises(ValidationError) as err:
        validate_answers(ALL, {"story": "x", "items": ["a", "b", "c"]})
    assert problems_of(err) == {"items": ["has 3 items; the limit is 2 — remove 1"]}
    with pytest.raises(ValidationError, match="item 1 is 6 characters long"):
        validate_answers(ALL, {"story": "x", "items": ["abcdef"]})
    with pytest.raises(ValidationError, match="must be a list"):
        validate_answers(ALL, {"story": "x", "items": "abc"})
    with pytest.raises(ValidationError, match="item 2 must be text"):
        validate_answers(ALL, {"story": "x", "items": ["a", 3]})


def test_required_non_text_prompts() -> None:
    checkin = load_catalogue().get("mentorship-checkin")
    with pytest.raises(ValidationError) as err:
        validate_answers(checkin, {"wins": ["shipped it"]})
    assert problems_of(err) == {"mood": ["required: please pick a number from 1 to 5"]}
    assert validate_answers(checkin, {"mood": "3", "wins": ["shipped it"]}) == {
        "wins": ["shipped it"], "mood": 3,
    }


def test_all_problems_are_collected() -> None:
    with pytest.raises(ValidationError) as err:
        validate_answers(ALL, {"mood": True, "pick": "z", "items": ["a"] * 3, "extra": "?"})
    assert err.value.summary == "Some answers need attention"
    assert set(problems_of(err)) == {"story", "mood", "pick", "items", "extra"}
    assert problems_of(err)["extra"] == ["is not a prompt of this exercise"]


def test_nothing_answered_is_rejected_even_without_required_prompts() -> None:
    optional = exercise(NOTE, SCALE)
    for empty in ({}, {"note": "  "}, {"note": None, "mood": ""}):
        with pytest.raises(ValidationError, match="answer at least one prompt"):
            validate_answers(optional, empty)


def text_prompt_answers() -> st.SearchStrategy[tuple[Exercise, dict[str, str]]]:
    exercises = [e for e in load_catalogue() if any(p.type == "text" for p in e.prompts)]

    def answers_for(ex: Exercise) -> st.SearchStrategy[tuple[Exercise, dict[str, str]]]:
        # Required text prompts are always present (often blank), so both outcomes occur often.
        texts = [p for p in ex.prompts if p.type == "text"]
        required = st.fixed_dictionaries({p.id: st.text(max_size=60) for p in texts if p.required})
        optional = st.dictionaries(st.sampled_from([p.id for p in texts]), st.text(max_size=60))
        answers = st.tuples(required, optional).map(lambda pair: {**pair[1], **pair[0]})
        return st.tuples(st.just(ex), answers)

    return st.sampled_from(exercises).flatmap(answers_for)


@settings(max_examples=300, deadline=None, database=None)
@given(text_prompt_answers(), st.integers(min_value=1, max_value=80))
def test_text_answers_are_kept_identical_or_rejected(
    case: tuple[Exercise, dict[str, str]], limit: int
) -> None:
    ex, answers = case
    try:
        stored = validate_answers(ex, answers, max_text_length=limit)
    except ValidationError as err:
        assert err.problems
        event("rejected")
        return
    event("stored")
    for prompt_id, value in answers.items():
        if value.strip():
            assert stored[prompt_id] == value
        else:
            assert prompt_id not in stored
    assert set(stored) <= set(answers)


# --- characters ---------------------------------------------------------------------------------

@pytest.mark.parametrize("char", ["\x00", "\x01", "\x0b", "\x1b", "\x7f", "\x9f", "\ud83d"])
def test_control_characters_are_refused_in_every_prompt_type(char: str) -> None:
    name = {"\x00": "U+0000 NUL", "\x1b": "U+001B ESC", "\x7f": "U+007F DEL"}.get(char, f"U+{ord(char):04X}")
    with pytest.raises(ValidationError) as err:
        validate_answers(ALL, {"story": f"ab{char}", "note": "ok", "mood": f"3{char}", "pick": f"a{char}",
                               "items": ["fine", f"x{char}"]})
    got = problems_of(err)
    assert set(got) == {"story", "mood", "pick", "items"}
    if char == "\ud83d":  # half of a surrogate pair (as JSON can carry one): not text at all
        assert got["story"] == ["contains U+D83D at position 3, half of a character pair and not text; "
                                "type the text again"]
    else:
        assert got["story"] == [f"contains a control character ({name}) at position 3; remove it "
                                "(only tab and line breaks are allowed)"]
        assert got["items"] == [f"item 2 contains a control character ({name}) at position 2; remove it "
                                "(only tab and line breaks are allowed)"]
    assert got["mood"][0].startswith("must be a whole number from 1 to 5")
    assert got["pick"] == ["choose one of: a, b, c"]


def test_tab_and_every_line_break_a_browser_sends_are_kept() -> None:
    text = "one\ttwo\r\nthree\nfour\rfive"
    assert validate_answers(ALL, {"story": text, "items": ["a\tb", "c\r\n"]}) == {"story": text, "items": ["a\tb", "c\r\n"]}


@settings(max_examples=200, deadline=None, database=None)
@given(st.text(max_size=30), st.characters(categories=["Cc", "Cs"], exclude_characters="\t\n\r"), st.text(max_size=30))
def test_any_other_control_character_anywhere_is_refused(before: str, char: str, after: str) -> None:
    with pytest.raises(ValidationError) as err:
        validate_answers(ALL, {"story": "x" + before + char + after})
    assert list(problems_of(err)) == ["story"]
