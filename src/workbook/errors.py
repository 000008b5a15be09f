"""Errors raised by workbook. Every message says what went wrong and what to do next."""
from __future__ import annotations

from dataclasses import dataclass


class WorkbookError(Exception):
    """Base class of every error workbook raises on purpose.

    The CLI prints ``str(error)`` and exits non-zero; no traceback reaches a user.
    """

    exit_code = 1


class ConfigError(WorkbookError):
    """A setting (database URL, path) is missing or malformed."""


class StoreError(WorkbookError):
    """The database refused or failed an operation; the transaction was rolled back."""


class SchemaVersionError(StoreError):
    """The database schema is older or newer than this version of workbook understands."""


class NotFoundError(WorkbookError):
    """A row that was asked for by key does not exist."""

    def __init__(self, what: str, key: object, hint: str = "") -> None:
        self.what = what
        self.key = key
        msg = f"{what} {key!r} not found"
        if hint:
            msg += f": {hint}"
        super().__init__(msg)


@dataclass(frozen=True)
class FieldProblem:
    """One problem with one field of an input (a prompt answer, a roster cell)."""

    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}, " if self.line is not None else ""
        return f"{where}{self.field}: {self.message}"


class ValidationError(WorkbookError):
    """Input was rejected; ``problems`` lists every problem, each tied to a field."""

    def __init__(self, summary: str, problems: list[FieldProblem] | None = None) -> None:
        self.summary = summary
        self.problems = list(problems or [])
        text = summary
        if self.problems:
            text += "\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(text)

    def by_field(self) -> dict[str, list[str]]:
        """Messages grouped by field, for showing next to form inputs."""
        out: dict[str, list[str]] = {}
        for p in self.problems:
            out.setdefault(p.field, []).append(p.message)
        return out


class RosterError(ValidationError):
    """A roster or cohort file was rejected; nothing from it was imported."""


class CatalogueError(ValidationError):
    """An exercise template file is malformed."""


class AccessDenied(WorkbookError):
    """The caller may not see or change this; the message never says what exists."""

    exit_code = 3
