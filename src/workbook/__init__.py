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

__all__ = [
    "AccessDenied", "CatalogueError", "ConfigError", "FieldProblem", "NotFoundError", "RosterError",
    "SchemaVersionError", "StoreError", "ValidationError", "WorkbookError",
    "AccessGrant", "Cohort", "Comment", "Entry", "EntryDraft", "Goal", "Membership", "Pairing", "Person", "Revision",
    "Session", "Store", "open_store", "ImportResult", "import_cohort", "Viewer", "authenticate", "issue_token",
    "readable_entries", "revoke", "access", "retro", "__version__",
]
