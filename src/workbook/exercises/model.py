"""Exercise templates: the data model, and building it from plain data (parsed TOML or JSON).

Validation collects every problem of a template before raising, so a facilitator editing a
custom template fixes it in one pass instead of one error at a time.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from workbook.errors import CatalogueError, FieldProblem, NotFoundError

PromptType = Literal["text", "scale", "choice", "list"]
ExerciseKind = Literal["reflection", "checkin", "retro"]

PROMPT_TYPES: tuple[str, ...] = get_args(PromptType)
EXERCISE_KINDS: tuple[str, ...] = get_args(ExerciseKind)

#: Longest text answer (or list item) accepted when a prompt sets no ``max_length``.
MAX_TEXT_LENGTH = 20_000
DEFAULT_SCALE_MIN = 1
DEFAULT_SCALE_MAX = 5

PROMPT_ID_RE = re.compile(r"[a-z][a-z0-9_]*")
EXERCISE_ID_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

_EXERCISE_KEYS = ("id", "title", "kind", "framework", "source", "description", "prompts")
_PROMPT_KEYS = (
    "id", "text", "type", "required", "help", "max_length", "min", "max",
    "labels", "options", "max_items", "column",
)
# Which prompt types each type-specific key applies to.
_KEY_TYPES: dict[str, tuple[str, ...]] = {
    "max_length": ("text", "list"),
    "min": ("scale",),
    "max": ("scale",),
    "labels": ("scale",),
    "options": ("choice",),
    "max_items": ("list",),
}


@dataclass(frozen=True)
class Prompt:
    """One question of an exercise, with the rules its answer must follow."""

    id: str
    text: str
    type: PromptType
    required: bool = False
    help: str = ""
    max_length: int | None = None
    min: int | None = None
    max: int | None = None
    labels: tuple[str, str] | None = None
    options: tuple[str, ...] = ()
    max_items: int | None = None
    column: bool = False

    @property
    def scale_min(self) -> int:
        """Lowest allowed value of a scale prompt (``min``, default 1)."""
        return DEFAULT_SCALE_MIN if self.min is None else self.min

    @property
    def scale_max(self) -> int:
        """Highest allowed value of a scale prompt (``max``, default 5)."""
        return DEFAULT_SCALE_MAX if self.max is None else self.max

    def to_dict(self) -> dict[str, Any]:
        """The prompt as JSON-serialisable data; fields left at their default are omitted."""
        out: dict[str, Any] = {"id": self.id, "text": self.text, "type": self.type}
        if self.required:
            out["required"] = True
        if self.help:
            out["help"] = self.help
        for key in ("max_length", "min", "max", "max_items"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.labels is not None:
            out["labels"] = list(self.labels)
        if self.options:
            out["options"] = list(self.options)
        if self.column:
            out["column"] = True
        return out


@dataclass(frozen=True)
class Exercise:
    """An exercise template from the catalogue: metadata plus its ordered prompts."""

    id: str
    title: str
    kind: ExerciseKind
    framework: str
    source: str
    description: str
    prompts: tuple[Prompt, ...]

    def prompt(self, prompt_id: str) -> Prompt:
        """The prompt with this id; raises ``NotFoundError`` if the exercise has none."""
        for p in self.prompts:
            if p.id == prompt_id:
                return p
        ids = ", ".join(p.id for p in self.prompts)
        raise NotFoundError("prompt", prompt_id, hint=f"exercise {self.id!r} has: {ids}")

    @property
    def columns(self) -> tuple[Prompt, ...]:
        """The retro card columns (prompts with ``column = true``), in template order."""
        return tuple(p for p in self.prompts if p.column)

    def to_dict(self) -> dict[str, Any]:
        """The exercise as JSON-serialisable data; ``exercise_from_dict`` rebuilds an equal one."""
        return {
            "id": self.id,
            "title": self.title,
            "kind": self.kind,
            "framework": self.framework,
            "source": self.source,
            "description": self.description,
            "prompts": [p.to_dict() for p in self.prompts],
        }


def template_error(source_name: str, problems: list[FieldProblem]) -> CatalogueError:
    """The error for one bad template; the summary names the file so the user knows where to look."""
    return CatalogueError(f"Exercise template {source_name} is not valid; fix it and try again", problems)


def exercise_from_dict(data: Mapping[str, Any], source_name: str = "<dict>") -> Exercise:
    """Build an ``Exercise`` from parsed TOML/JSON data, checking every field.

    Raises ``CatalogueError`` naming ``source_name``, with one ``FieldProblem`` per bad field
    (``field`` is the TOML path, e.g. ``prompts[2].type``). Scale prompts get their default
    ``min``/``max`` filled in, so the result says exactly which values are allowed.
    """
    problems: list[FieldProblem] = []
    exercise = _parse_exercise(data, problems)
    if problems or exercise is None:
        raise template_error(source_name, problems)
    return exercise


class _Reader:
    """Typed access to one TOML table; every bad value becomes a FieldProblem."""

    def __init__(self, data: Mapping[str, Any], prefix: str, problems: list[FieldProblem]) -> None:
        self.data = data
        self.prefix = prefix
        self.problems = problems

    def problem(self, key: str, message: str) -> None:
        self.problems.append(FieldProblem(f"{self.prefix}{key}", message))

    def unknown_keys(self, known: tuple[str, ...]) -> None:
        for key in self.data:
            if key not in known:
                self.problem(str(key), f"is not a known field; use one of: {', '.join(known)}")

    def string(self, key: str, required: bool = False) -> str:
        value = self.data.get(key)
        if value is None:
            if required:
                self.problem(key, "required: add it to the template")
            return ""
        if not isinstance(value, str):
            self.problem(key, 'must be text in quotes, e.g. key = "..."')
            return ""
        if required and not value.strip():
            self.problem(key, "must not be empty")
        return value

    def boolean(self, key: str) -> bool:
        value = self.data.get(key, False)
        if not isinstance(value, bool):
            self.problem(key, "must be true or false")
            return False
        return value

    def integer(self, key: str, minimum: int | None = None) -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(key, "must be a whole number")
            return None
        if minimum is not None and value < minimum:
            self.problem(key, f"must be at least {minimum}")
            return None
        return value

    def strings(self, key: str) -> tuple[str, ...] | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            self.problem(key, 'must be a list of texts, e.g. ["a", "b"]')
            return None
        return tuple(value)


def _parse_exercise(data: Mapping[str, Any], problems: list[FieldProblem]) -> Exercise | None:
    if not isinstance(data, Mapping):
        problems.append(FieldProblem("file", "must be a table of fields (title, kind, prompts, ...)"))
        return None
    r = _Reader(data, "", problems)
    r.unknown_keys(_EXERCISE_KEYS)
    exercise_id = r.string("id", required=True)
    if exercise_id and not EXERCISE_ID_RE.fullmatch(exercise_id):
        r.problem("id", f"{exercise_id!r} is not a valid id; use lowercase letters, digits and "
                        "single hyphens, e.g. 'start-stop-continue'")
    title = r.string("title", required=True)
    kind = r.string("kind", required=True)
    kind_ok = kind in EXERCISE_KINDS
    if kind and not kind_ok:
        r.problem("kind", f"unknown kind {kind!r}; use one of: {', '.join(EXERCISE_KINDS)}")
    framework = r.string("framework")
    source = r.string("source")
    description = r.string("description")

    raw_prompts = data.get("prompts")
    prompts: list[Prompt] = []
    if raw_prompts is None:
        r.problem("prompts", "required: add at least one [[prompts]] table")
    elif not isinstance(raw_prompts, (list, tuple)):
        r.problem("prompts", "must be a list of [[prompts]] tables")
    elif not raw_prompts:
        r.problem("prompts", "must not be empty: add at least one [[prompts]] table")
    else:
        seen: dict[str, int] = {}
        for index, raw in enumerate(raw_prompts):
            prompt = _parse_prompt(raw, index, kind if kind_ok else None, seen, problems)
            if prompt is not None:
                prompts.append(prompt)
        if kind == "retro" and raw_prompts and not any(
            isinstance(p, Mapping) and p.get("column") is True for p in raw_prompts
        ):
            r.problem("prompts", "a retro needs at least one list prompt with column = true")

    if problems:
        return None
    return Exercise(
        id=exercise_id,
        title=title,
        kind=kind,  # type: ignore[arg-type]  # checked against EXERCISE_KINDS above
        framework=framework,
        source=source,
        description=description,
        prompts=tuple(prompts),
    )


def _parse_prompt(
    raw: object, index: int, kind: str | None, seen: dict[str, int], problems: list[FieldProblem]
) -> Prompt | None:
    where = f"prompts[{index}]"
    if not isinstance(raw, Mapping):
        problems.append(FieldProblem(where, "must be a [[prompts]] table with id, text and type"))
        return None
    before = len(problems)
    r = _Reader(raw, f"{where}.", problems)
    r.unknown_keys(_PROMPT_KEYS)

    prompt_id = r.string("id", required=True)
    if prompt_id:
        if not PROMPT_ID_RE.fullmatch(prompt_id):
            r.problem("id", f"{prompt_id!r} is not a valid prompt id; start with a lowercase letter "
                            "and use only lowercase letters, digits and _")
        elif prompt_id in seen:
            r.problem("id", f"{prompt_id!r} is already used by prompts[{seen[prompt_id]}]; "
                            "prompt ids must be unique within an exercise")
        else:
            seen[prompt_id] = index
    text = r.string("text", required=True)
    ptype = r.string("type", required=True)
    type_ok = ptype in PROMPT_TYPES
    if ptype and not type_ok:
        r.problem("type", f"unknown type {ptype!r}; use one of: {', '.join(PROMPT_TYPES)}")
    required = r.boolean("required")
    help_text = r.string("help")
    max_length = r.integer("max_length", minimum=1)
    lo = r.integer("min")
    hi = r.integer("max")
    labels = r.strings("labels")
    options = r.strings("options")
    max_items = r.integer("max_items", minimum=1)
    column = r.boolean("column")

    if type_ok:
        for key, types in _KEY_TYPES.items():
            if key in raw and ptype not in types:
                r.problem(key, f"only applies to {' and '.join(types)} prompts; "
                               f"remove it or change the type")
    if column:
        if type_ok and ptype != "list":
            r.problem("column", 'only list prompts can be retro columns; set type = "list" '
                                "or remove column")
        if kind is not None and kind != "retro":
            r.problem("column", 'columns are only used by retro exercises; set kind = "retro" '
                                "or remove column")

    if ptype == "scale":
        lo = DEFAULT_SCALE_MIN if lo is None else lo
        hi = DEFAULT_SCALE_MAX if hi is None else hi
        if lo >= hi:
            r.problem("max", f"must be greater than min (min is {lo}, max is {hi})")
        if labels is not None and (len(labels) != 2 or not all(s.strip() for s in labels)):
            r.problem("labels", 'must be two words, for the low and the high end, '
                                'e.g. ["very low", "very high"]')
    if ptype == "choice":
        if not options:
            r.problem("options", 'required for a choice prompt: list the allowed answers, '
                                 'e.g. options = ["yes", "no"]')
        else:
            if not all(o.strip() for o in options):
                r.problem("options", "must not contain empty texts")
            if len(set(options)) != len(options):
                r.problem("options", "must not contain the same option twice")

    if len(problems) > before:
        return None
    return Prompt(
        id=prompt_id,
        text=text,
        type=ptype,  # type: ignore[arg-type]  # checked against PROMPT_TYPES above
        required=required,
        help=help_text,
        max_length=max_length,
        min=lo,
        max=hi,
        labels=(labels[0], labels[1]) if labels is not None else None,
        options=options or (),
        max_items=max_items,
        column=column,
    )
