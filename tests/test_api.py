"""The public API: what `workbook` exports is pinned (as httpx pins its `__all__`), and importing it stays light."""
from __future__ import annotations

import subprocess
import sys

import workbook

PINNED = [
    "AccessDenied", "CatalogueError", "ConfigError", "FieldProblem", "NotFoundError", "RosterError",
    "SchemaVersionError", "StoreError", "ValidationError", "WorkbookError",
    "AccessGrant", "Cohort", "Comment", "Entry", "EntryDraft", "Goal", "Membership", "Pairing", "Person", "Revision",
    "Session", "Store", "open_store", "ImportResult", "import_cohort", "Viewer", "authenticate", "issue_token",
    "readable_entries", "revoke", "access", "retro", "__version__",
    "create_links", "revoke_links", "export_cohort", "export_person", "erase_person", "generate_sample",
    "propose", "apply", "MatchOptions", "generate_reports", "plan_reports", "serve", "ServeOptions",
    "open_retro", "current_retro", "open_session", "running_retros", "export_retro",
    "pairs_in_force", "pair_health", "schedule_checkin", "submit_pulse", "create_goal", "agree_goal",
    "set_goal_status", "give_kudos", "record_milestone", "send_messages",
]


def test_public_api_is_pinned() -> None:
    assert workbook.__all__ == PINNED
    for name in PINNED:
        value = getattr(workbook, name)
        assert value is not None, name
        if callable(value) and not isinstance(value, type) and name != "__version__":
            assert value.__doc__, f"workbook.{name} has no docstring"


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        workbook.no_such_thing  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "no_such_thing" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_importing_workbook_stays_light() -> None:
    """A form kernel imports `workbook` first: none of the heavy libraries may come with it."""
    code = ("import sys, workbook, workbook.forms; "
            "print(' '.join(m for m in ('pandas', 'scipy', 'papermill', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"imported by `import workbook, workbook.forms`: {out}"
