"""The exercise catalogue: shipped TOML templates plus a cohort's custom ones."""
from __future__ import annotations

import builtins
import functools
import tomllib
from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path

from workbook.errors import CatalogueError, FieldProblem, NotFoundError, ValidationError

from .model import EXERCISE_ID_RE, EXERCISE_KINDS, Exercise, exercise_from_dict, template_error

_SHIPPED_PACKAGE = "workbook.exercises"
_SHIPPED_LABEL = "workbook/exercises/templates"


class Catalogue:
    """A set of exercises keyed by id. When two share an id, the later one wins."""

    def __init__(self, exercises: Iterable[Exercise]) -> None:
        self._by_id: dict[str, Exercise] = {}
        for exercise in exercises:
            self._by_id[exercise.id] = exercise
        self._ordered = sorted(self._by_id.values(), key=lambda e: (e.kind, e.title.casefold(), e.id))

    def get(self, exercise_id: str) -> Exercise:
        """The exercise with this id; raises ``NotFoundError`` if there is none."""
        try:
            return self._by_id[exercise_id]
        except KeyError:
            raise NotFoundError(
                "exercise", exercise_id, hint="run `workbook exercises list` to see the ids"
            ) from None

    def list(self, kind: str | None = None) -> builtins.list[Exercise]:
        """All exercises, or those of one kind, sorted by kind then title."""
        if kind is None:
            return builtins.list(self._ordered)
        if kind not in EXERCISE_KINDS:
            raise ValidationError(
                f"Unknown exercise kind {kind!r}",
                [FieldProblem("kind", f"choose one of: {', '.join(EXERCISE_KINDS)}")],
            )
        return [e for e in self._ordered if e.kind == kind]

    def __contains__(self, exercise_id: object) -> bool:
        return isinstance(exercise_id, str) and exercise_id in self._by_id

    def __iter__(self) -> Iterator[Exercise]:
        return iter(self._ordered)

    def __len__(self) -> int:
        return len(self._by_id)

    def __repr__(self) -> str:
        return f"Catalogue({len(self)} exercises: {', '.join(e.id for e in self._ordered)})"


def load_exercise_file(path: Path) -> Exercise:
    """Load one TOML template. Its id is the file stem unless the file sets ``id``.

    Raises ``CatalogueError`` naming the file, with one problem per bad field.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise template_error(
            str(path), [FieldProblem("file", f"could not be read ({err.strerror}); check the path")]
        ) from None
    return _parse_template(raw, path.stem, str(path))


def _parse_template(raw: bytes, stem: str, source_name: str) -> Exercise:
    try:
        # utf-8-sig: editors on Windows like to start files with a byte-order mark.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise template_error(
            source_name, [FieldProblem("file", "is not UTF-8 text; save it as UTF-8")]
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise template_error(
            source_name, [FieldProblem("file", f"is not valid TOML: {err}; fix the syntax")]
        ) from None
    if "id" not in data:
        if not EXERCISE_ID_RE.fullmatch(stem):
            raise template_error(source_name, [FieldProblem(
                "id",
                f"the file name {stem!r} is not a valid exercise id; rename the file using "
                "lowercase letters, digits and hyphens (e.g. my-retro.toml) or set id = \"my-retro\"",
            )])
        data = {"id": stem, **data}
    return exercise_from_dict(data, source_name)


def _combined_error(failures: builtins.list[tuple[str, CatalogueError]]) -> CatalogueError:
    """One error for many bad files; each problem's field is prefixed with its file."""
    names = ", ".join(label for label, _ in failures)
    count = len(failures)
    noun = "file has" if count == 1 else "files have"
    problems = [
        FieldProblem(f"{label} {p.field}", p.message, p.line)
        for label, err in failures
        for p in err.problems
    ]
    return CatalogueError(
        f"{count} exercise template {noun} problems ({names}); fix them and try again", problems
    )


@functools.lru_cache(maxsize=1)
def _shipped_exercises() -> tuple[Exercise, ...]:
    # Cached: every form, report and CLI call loads the catalogue, the shipped files never change.
    root = resources.files(_SHIPPED_PACKAGE).joinpath("templates")
    exercises: builtins.list[Exercise] = []
    failures: builtins.list[tuple[str, CatalogueError]] = []
    for entry in sorted(root.iterdir(), key=lambda t: t.name):
        if not entry.name.endswith(".toml") or not entry.is_file():
            continue
        label = f"{_SHIPPED_LABEL}/{entry.name}"
        try:
            exercises.append(_parse_template(entry.read_bytes(), entry.name[: -len(".toml")], label))
        except CatalogueError as err:
            failures.append((label, err))
    if failures:
        raise _combined_error(failures)
    return tuple(exercises)


def load_catalogue(extra_dirs: Iterable[Path] = ()) -> Catalogue:
    """The shipped exercises plus the custom ``*.toml`` templates of each directory in ``extra_dirs``.

    A custom template with the id of a shipped one replaces it. Directories that do not exist
    are skipped (most cohorts have no ``exercises/`` folder). Every bad file is reported: the
    problems of all files are collected into one ``CatalogueError``.
    """
    exercises = builtins.list(_shipped_exercises())
    failures: builtins.list[tuple[str, CatalogueError]] = []
    custom_labels: dict[str, str] = {}
    seen_dirs: set[Path] = set()
    for directory in extra_dirs:
        directory = Path(directory)
        if not directory.exists() or directory.resolve() in seen_dirs:
            continue
        seen_dirs.add(directory.resolve())
        if not directory.is_dir():
            label = str(directory)
            failures.append((label, template_error(label, [FieldProblem(
                "file", "is not a directory; pass the folder that holds the *.toml templates"
            )])))
            continue
        for path in sorted(directory.glob("*.toml")):
            label = str(path)
            try:
                exercise = load_exercise_file(path)
            except CatalogueError as err:
                failures.append((label, err))
                continue
            if exercise.id in custom_labels:
                failures.append((label, template_error(label, [FieldProblem(
                    "id",
                    f"{exercise.id!r} is already defined by {custom_labels[exercise.id]}; "
                    "give one of them a different id",
                )])))
                continue
            custom_labels[exercise.id] = label
            exercises.append(exercise)
    if failures:
        raise _combined_error(failures)
    return Catalogue(exercises)
