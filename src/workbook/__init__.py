"""workbook: a Jupyter-based facilitation and reflection workbook kit.

The public API lives here; the CLI, notebooks and Voila forms are thin layers over it.
"""
from __future__ import annotations

from .errors import (AccessDenied, CatalogueError, ConfigError, FieldProblem, NotFoundError, RosterError,
                     SchemaVersionError, StoreError, ValidationError, WorkbookError)
from .store import (AccessGrant, Cohort, Comment, Entry, EntryDraft, Goal, Membership, Pairing, Person, Revision,
                    Session, Store, open_store)
from .roster import ImportResult, import_cohort
from .access import Viewer, authenticate, issue_token, readable_entries, revoke
from . import access, retro

__version__ = "0.1.0"

#: The rest of the API (what the README's commands call), imported on first use so that
#: ``import workbook`` in a form kernel stays light (no pandas, scipy, papermill or matplotlib).
_LAZY = {
    "create_links": "workbook.invite", "revoke_links": "workbook.invite",
    "export_cohort": "workbook.interop", "export_person": "workbook.interop", "erase_person": "workbook.interop",
    "generate_sample": "workbook.sample",
    "propose": "workbook.matching", "apply": "workbook.matching", "MatchOptions": "workbook.matching",
    "generate_reports": "workbook.reports", "plan_reports": "workbook.reports",
    "serve": "workbook.serve", "ServeOptions": "workbook.serve",
    "open_retro": "workbook.retro", "current_retro": "workbook.retro",
    "open_session": "workbook.retro", "running_retros": "workbook.retro", "export_retro": "workbook.retro",
    # mentoring (issue 11): pairs and their health, goals, kudos, milestones
    "pairs_in_force": "workbook.mentoring", "pair_health": "workbook.mentoring",
    "schedule_checkin": "workbook.mentoring", "submit_pulse": "workbook.mentoring",
    "create_goal": "workbook.goals", "agree_goal": "workbook.goals", "set_goal_status": "workbook.goals",
    "give_kudos": "workbook.kudos", "record_milestone": "workbook.milestones",
    "send_messages": "workbook.mail",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'workbook' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
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
