"""Checking a participant's answers against an exercise before they are stored."""
from __future__ import annotations

import re
from collections.abc import Mapping

from workbook.errors import FieldProblem, ValidationError
from workbook.text import bad_character

from .model import MAX_TEXT_LENGTH, Exercise, Prompt

_INT_RE = re.compile(r"[+-]?[0-9]{1,18}")


class _Missing:
    """Marks a prompt that was not answered (absent, None, blank text, empty list)."""


_MISSING = _Missing()


def validate_answers(
    exercise: Exercise, answers: Mapping[str, object], max_text_length: int = MAX_TEXT_LENGTH
) -> dict[str, object]:
    """Check ``answers`` (keyed by prompt id) and return the normalised dict to store.

    Text is stored exactly as typed (never stripped or escaped: escaping happens at display
    time), but blank text counts as unanswered, and text with a control character other than
    tab and line breaks (NUL, ESC...) is refused on every database alike. Scale answers become ``int`` (``"4"`` is
    accepted, ``True`` is not); list answers become a list with blank items dropped.
    Unanswered optional prompts are left out of the result. Every problem is collected and
    raised together as one ``ValidationError`` whose fields are prompt ids; an answer set with
    nothing answered at all is rejected too.
    """
    problems: list[FieldProblem] = []
    result: dict[str, object] = {}
    for prompt in exercise.prompts:
        value = answers.get(prompt.id)
        limit = prompt.max_length or max_text_length
        if prompt.type == "text":
            checked = _check_text(value, limit)
        elif prompt.type == "scale":
            checked = _check_scale(value, prompt)
        elif prompt.type == "choice":
            checked = _check_choice(value, prompt)
        else:
            checked = _check_list(value, prompt, limit)
        if isinstance(checked, FieldProblem):
            problems.append(FieldProblem(prompt.id, checked.message))
        elif isinstance(checked, _Missing):
            if prompt.required:
                problems.append(FieldProblem(prompt.id, _required_message(prompt)))
        else:
            result[prompt.id] = checked

    known = {p.id for p in exercise.prompts}
    for key in answers:
        if key not in known:
            problems.append(FieldProblem(str(key), "is not a prompt of this exercise"))

    if problems:
        raise ValidationError("Some answers need attention", problems)
    if not result:
        raise ValidationError(
            "Some answers need attention", [FieldProblem("answers", "answer at least one prompt")]
        )
    return result


# Each checker returns the value to store, _MISSING, or a FieldProblem (field filled in later).

def _too_long(text: str, limit: int, what: str = "is") -> FieldProblem | None:
    if len(text) > limit:
        return FieldProblem("", f"{what} {len(text):,} characters long; the limit is {limit:,} "
                                "— shorten it")
    return None


def _check_text(value: object, limit: int) -> object:
    if value is None:
        return _MISSING
    if not isinstance(value, str):
        return FieldProblem("", "must be text")
    if not value.strip():
        return _MISSING
    bad = bad_character(value)
    if bad:
        return FieldProblem("", bad)
    return _too_long(value, limit) or value


def _scale_message(prompt: Prompt) -> str:
    return f"must be a whole number from {prompt.scale_min} to {prompt.scale_max}"


def _check_scale(value: object, prompt: Prompt) -> object:
    if value is None:
        return _MISSING
    number: int | None = None
    if isinstance(value, bool):
        number = None  # bool is an int subclass, but True is not an answer on a scale
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)  # JSON and some widgets send 4.0 for 4
    elif isinstance(value, str):
        if not value.strip():
            return _MISSING
        if bad_character(value):  # "4\x85" would strip to 4: refuse it like any other text
            return FieldProblem("", f"{_scale_message(prompt)}; it {bad_character(value)}")
        if _INT_RE.fullmatch(value.strip()):
            number = int(value.strip())
    if number is None or not prompt.scale_min <= number <= prompt.scale_max:
        return FieldProblem("", _scale_message(prompt))
    return number


def _check_choice(value: object, prompt: Prompt) -> object:
    if value is None or (isinstance(value, str) and not value.strip()):
        return _MISSING
    if isinstance(value, str) and value in prompt.options:
        return value
    return FieldProblem("", f"choose one of: {', '.join(prompt.options)}")


def _check_list(value: object, prompt: Prompt, limit: int) -> object:
    if value is None:
        return _MISSING
    if not isinstance(value, (list, tuple)):
        return FieldProblem("", "must be a list of items")
    items: list[str] = []
    messages: list[str] = []
    for position, item in enumerate(value, start=1):
        if not isinstance(item, str):
            messages.append(f"item {position} must be text")
        elif item.strip():
            items.append(item)
            bad = bad_character(item)
            problem = _too_long(item, limit, f"item {position} is")
            if bad:
                messages.append(f"item {position} {bad}")
            elif problem:
                messages.append(problem.message)
    if prompt.max_items is not None and len(items) > prompt.max_items:
        extra = len(items) - prompt.max_items
        messages.append(f"has {len(items)} items; the limit is {prompt.max_items} — remove {extra}")
    if messages:
        return FieldProblem("", "; ".join(messages))
    return items if items else _MISSING


def _required_message(prompt: Prompt) -> str:
    if prompt.type == "scale":
        return f"required: please pick a number from {prompt.scale_min} to {prompt.scale_max}"
    if prompt.type == "choice":
        return f"required: choose one of: {', '.join(prompt.options)}"
    if prompt.type == "list":
        return "required: please add at least one item"
    return "required: please write something here"
