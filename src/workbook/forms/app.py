"""One notebook for every page: the warm pool's kernels run ``app.ipynb``, which routes by the requested page.

``workbook serve --expect N`` keeps N kernels warm for a room (see :mod:`workbook.server`). Voila
keeps one pool per notebook, so eleven page notebooks would need eleven pools (one per page
type, each sized for the whole room). Instead the server answers every page of a warm server
from this one notebook: a warm kernel has imported every page module and opened its database
pool, then waits for its request; the request's path (``/voila/render/<page>.ipynb``, already
checked by the server's gate for that page's roles) names the page it builds. The page's own
gate runs again in the kernel (:func:`workbook.forms.pages.guarded_page`), so a page never
trusts the route alone.

Nothing here imports pandas, matplotlib or papermill: a form kernel stays light.
"""
from __future__ import annotations

import importlib
import os
import posixpath
from collections.abc import Callable
from typing import TYPE_CHECKING

from .pages import Page, message_page, prepare, query_string

if TYPE_CHECKING:
    from ..store import Store

#: The notebook of the warm pool (in the served forms folder).
APP_NOTEBOOK = "app.ipynb"

#: Every page the app builds: page name -> (module, function taking (query, store)).
ROUTES: dict[str, tuple[str, str]] = {
    "checkin": ("workbook.forms.pages", "page"),
    "journal": ("workbook.forms.pages", "page"),
    "participation": ("workbook.forms.pages", "page"),
    "reflection": ("workbook.forms.pages", "page"),
    "coach": ("workbook.forms.coach", "coach_page"),
    "goals": ("workbook.forms.goals", "goals_page"),
    "home": ("workbook.forms.home", "home_page"),
    "kudos": ("workbook.forms.kudos", "kudos_page"),
    "reports": ("workbook.forms.reports", "reports_page"),
    "retro": ("workbook.forms.retro", "retro_page"),
    "retro_desk": ("workbook.forms.retro", "desk_page"),
}

NO_PAGE = "There is no page here. Open the personal link you received, exactly as it was sent."


def warm() -> None:
    """What a warm kernel does before its request: import every page module, open the database pool."""
    for module in sorted({m for m, _ in ROUTES.values()}):
        importlib.import_module(module)
    prepare()


def requested_page(script_name: str | None = None) -> str:
    """The page a request names (``/voila/render/home.ipynb`` -> ``home``), or ``""``."""
    path = script_name if script_name is not None else os.environ.get("SCRIPT_NAME", "")
    name = posixpath.basename(path)
    return name[:-len(".ipynb")] if name.endswith(".ipynb") else ""


def builder(name: str) -> Callable[[str | None, "Store | None"], Page] | None:
    """The function that builds page ``name``, or None for a name that is not a page."""
    route = ROUTES.get(name)
    if route is None:
        return None
    module, function = route
    fn = getattr(importlib.import_module(module), function)
    if function == "page":
        return lambda query, store: fn(name, query, store)  # type: ignore[no-any-return]
    return fn  # type: ignore[no-any-return]


def app_page(query: str | None = None, script_name: str | None = None, store: "Store | None" = None) -> Page:
    """The page of this request: waits for the request (warm kernel), then builds the page it names."""
    if query is None:
        query = query_string()  # in a warm kernel this waits for the request, and sets SCRIPT_NAME
    build = builder(requested_page(script_name))
    if build is None:
        return message_page("app", NO_PAGE)
    return build(query, store)
