"""A whole Voila page: read the link, check its key, then show the form or a friendly message.

A notebook in ``workbook/notebooks/forms/`` is two calls: ``page("reflection", query_string())``. Every
failure a participant can cause (no key, a wrong, expired or revoked key, an unknown exercise,
a closed session) ends in a message that says what to do, and no form; nothing is written.
"""
from __future__ import annotations

import logging
import os
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from .. import access, retro
from ..errors import AccessDenied, NotFoundError, WorkbookError
from ..store.core import utcnow
from .entry import EntryForm, FormContext, checkin_form, reflection_form, retro_form
from ..html import STYLE, esc
from .fields import full_width, html_widget, text_html, text_widget
from .journal import JournalView

if TYPE_CHECKING:
    from ..exercises import Exercise
    from ..store import Store

log = logging.getLogger(__name__)

#: Page kinds, the exercise kind each one writes, and who may open it.
FORM_KINDS = {"reflection": "reflection", "checkin": "checkin", "retro": "retro"}
DEFAULT_EXERCISE = {"checkin": "mentorship-checkin", "retro": "start-stop-continue"}
PAGE_KINDS = (*FORM_KINDS, "journal", *access.PAGE_ROLES)

OUR_FAULT = ("Something went wrong on our side while opening this page. Please reload it in a minute; "
             "if it still fails, tell your facilitator.")
UNAVAILABLE = ("The workbook is not available right now. Please try again in a few minutes; "
               "if it still does not open, tell your facilitator.")
BAD_LINK = "This link is not complete. Please open the personal link exactly as you received it."

_default_store: "Store | None" = None


@dataclass
class Page:
    """What a page shows: the widget tree, plus handles for tests (``form``, ``journal``, ``message``)."""

    widget: widgets.VBox
    kind: str
    form: EntryForm | None = None
    journal: JournalView | None = None
    message: str | None = None
    viewer: access.Viewer | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        # Displaying the page displays its widget (the last expression of a notebook cell).
        return self.widget._repr_mimebundle_(**kwargs)


def query_string() -> str:
    """The page request's query string, in a plain or a preheated (warm) Voila kernel.

    A normal Voila kernel starts with ``QUERY_STRING`` in its environment. A warm one starts
    before any request, so it waits for it (:func:`workbook.jupyter_compat.wait_for_voila_request`,
    which also sets ``SCRIPT_NAME`` and the rest of the request's variables).
    """
    if os.environ.get("VOILA_PREHEAT", "False") not in ("", "False"):
        from ..jupyter_compat import wait_for_voila_request

        wait_for_voila_request()
    return os.environ.get("QUERY_STRING", "")


def prepare() -> None:
    """Warm up before the request arrives (preheated kernels): the database pool."""
    try:
        get_store()
    except WorkbookError:
        pass  # page() shows the message when the request comes


def get_store() -> "Store":
    """The process-wide store (``WORKBOOK_DB_URL``); never creates a database."""
    global _default_store
    if _default_store is None:
        from ..store import Store

        _default_store = Store(create=False)
    return _default_store


def parse_query(query: str | None) -> dict[str, str]:
    """The link's parameters (first value of each), from a query string with or without ``?``."""
    text = (query or "").lstrip("?")
    return {k: v[0] for k, v in urllib.parse.parse_qs(text, keep_blank_values=True).items() if v}


#: The participant's home page: every other page links back to it (its link carries no key).
HOME_PAGE = "home"


def page_link(page: str, text: str, css: str = "wb-link", **params: str) -> str:
    """HTML of a relative link to another page; no key in it (the browser's cookie carries it)."""
    query = f"?{urllib.parse.urlencode(params)}" if params else ""
    return f'<a class="{esc(css)}" href="{esc(f"{page}.ipynb{query}")}">{esc(text)}</a>'


def _shell(kind: str, children: list[widgets.Widget], *, home: bool = True) -> widgets.VBox:
    top: list[widgets.Widget] = [html_widget(STYLE)]
    if home and kind != HOME_PAGE:
        link = page_link(HOME_PAGE, "\u2190 Home", "wb-home-link")
        top.append(html_widget(f'<style>.wb-page a {{ color: #1565c0; text-decoration: underline; }}</style>'
                               f'<div class="wb-nav">{link}</div>'))
    box = widgets.VBox([*top, *children], layout=full_width())
    box.add_class("wb-page")
    box.add_class(f"wb-page-{kind}")
    return box


def message_page(kind: str, text: str, viewer: access.Viewer | None = None) -> Page:
    """A page with one friendly message and no form."""
    note = text_widget(text, "wb-message")
    note.add_class("wb-page-message")
    return Page(_shell(kind, [note], home=viewer is not None), kind, message=text, viewer=viewer)


def _session_exercise(ctx: FormContext, raw: str) -> tuple["Exercise", int]:
    try:
        sid = int(raw)
    except ValueError:
        raise NotFoundError("session", raw, "ask your facilitator for a current link") from None
    s = ctx.store.get_session(sid)
    if s.cohort_id != ctx.viewer.cohort_id:
        raise NotFoundError("session", sid, "ask your facilitator for a current link")
    if not s.is_open(utcnow()):
        raise AccessDenied("This session is closed, so it takes no more answers. "
                           "Ask your facilitator if you still want to add something.")
    return ctx.store.exercise(s.exercise_id, ctx.viewer.cohort_id), sid


def _exercise_picker(ctx: FormContext, kind: str, page: Page) -> list[widgets.Widget]:
    """No exercise in the link: let the person pick one of this kind."""
    choices = [(ex.title, ex.id) for ex in ctx.store.catalogue(ctx.viewer.cohort_id).list() if ex.kind == kind]
    picker = widgets.Dropdown(options=[("Choose an exercise...", "")] + choices, value="",
                              layout=widgets.Layout(width="60%"))
    picker.add_class("wb-exercise-picker")
    holder = widgets.VBox([])

    def chosen(change: dict[str, Any]) -> None:
        if not change["new"]:
            return
        try:  # a callback's exception would reach nobody: the visitor would just see no form
            form = _FORM_FACTORIES[kind](ctx, ctx.store.exercise(change["new"], ctx.viewer.cohort_id), None)
        except WorkbookError:
            log.exception("page %s: opening exercise %r failed", kind, change["new"])
            page.form = None
            holder.children = [text_widget(UNAVAILABLE, "wb-message")]
            return
        except Exception:
            log.exception("page %s: opening exercise %r failed", kind, change["new"])
            page.form = None
            holder.children = [text_widget(OUR_FAULT, "wb-message")]
            return
        page.form = form
        holder.children = [form.widget]

    picker.observe(chosen, names="value")
    page.extra["picker"] = picker
    return [text_widget("Which exercise would you like to do?", "wb-prompt-text"), picker, holder]


_FORM_FACTORIES = {"reflection": reflection_form, "checkin": checkin_form, "retro": retro_form}


def _participation(ctx: FormContext) -> widgets.Widget:
    """Facilitator view: who has written how much (counts and dates only, never free text)."""
    members = ctx.store.find_members(ctx.viewer.cohort_id)
    entries = ctx.store.find_entries(ctx.viewer.cohort_id)
    counts = Counter(e.author_id for e in entries)
    last: dict[str, Any] = {}
    for e in entries:  # newest first
        last.setdefault(e.author_id, e.created_at)
    rows = []
    for m in members:
        when = ctx.local_day(last[m.person_id]) if m.person_id in last else "never"
        cells = (m.name, m.role, counts.get(m.person_id, 0), when)
        rows.append("<tr>" + "".join(text_html(c, tag="td") for c in cells) + "</tr>")
    table = ("<table class='wb-table'><tr><th>Name</th><th>Role</th><th>Entries</th><th>Last entry</th></tr>"
             + "".join(rows) + "</table>")
    return widgets.VBox([text_widget("Participation", "wb-title"), widgets.HTML(table)])


def page(kind: str, query: str | None = None, store: "Store | None" = None) -> Page:
    """Build the page of ``kind`` for the link whose query string is ``query``.

    ``kind`` is one of :data:`PAGE_KINDS`. The link carries ``key`` (the personal secret,
    :data:`workbook.access.LINK_PARAMETER`) and optionally ``exercise`` or ``session``. Returns a
    :class:`Page` (displayable); never raises for anything a visitor can cause.
    """
    if kind not in PAGE_KINDS:
        raise ValueError(f"unknown page kind {kind!r}; use one of {', '.join(PAGE_KINDS)}")
    if kind == "coach":  # a gated page with a module of its own (forms/coach.py)
        from .coach import coach_page

        return coach_page(query, store)
    return guarded_page(kind, query, store, lambda ctx, params: _build(kind, ctx, params))


def _not_found_text(exc: NotFoundError) -> str:
    if exc.what == "session":
        return "This link points to a session that does not exist. Ask your facilitator for a current link."
    return "This link names an exercise that is not available. Ask your facilitator for a current link."


def guarded_page(kind: str, query: str | None, store: "Store | None",
                 build: Callable[[FormContext, dict[str, str]], Page], *, refused: str | None = None) -> Page:
    """The one ladder every page climbs: read the link, check its key, build, or show a calm message.

    A key the store refuses (or a role the page does not admit, :func:`workbook.access.page_roles`)
    shows the reason; without a key, a viewer assertion the server signed for a proxy-authenticated
    request (:func:`workbook.access.viewer_from_assertion`) stands in for it; what the visitor's link
    names but may not have shows ``refused`` (default: the reason given); a store that is down, or a
    bug of ours, shows a message and logs the details.
    """
    params = parse_query(query)
    key = params.get(access.LINK_PARAMETER)
    # Without a key, the server may vouch for a viewer an authenticating proxy signed in (signed
    # by the server, see workbook.server); such a page re-checks the roster before every save.
    assertion = params.pop(access.ASSERTION_PARAMETER, None)
    trusted = not key and bool(assertion)
    try:
        store = store or get_store()
        if trusted:
            viewer = access.viewer_from_assertion(store, assertion, require_role=access.page_roles(kind))
        else:
            viewer = access.authenticate(store, key, require_role=access.page_roles(kind))
    except AccessDenied as exc:
        return message_page(kind, str(exc))
    except WorkbookError:
        log.exception("page %s: store unavailable", kind)
        return message_page(kind, UNAVAILABLE)
    ctx = FormContext(store, viewer, key, trusted=trusted)
    try:
        return build(ctx, params)
    except AccessDenied as exc:
        return message_page(kind, refused or str(exc), viewer)
    except NotFoundError as exc:
        return message_page(kind, refused or _not_found_text(exc), viewer)
    except WorkbookError:
        log.exception("page %s failed", kind)
        return message_page(kind, UNAVAILABLE, viewer)
    except Exception:  # a bug of ours: a calm message for the visitor, the details in the server log
        log.exception("page %s failed", kind)
        return message_page(kind, OUR_FAULT, viewer)


def _build(kind: str, ctx: FormContext, params: dict[str, str]) -> Page:
    if kind == "journal":
        view = JournalView(ctx)
        return Page(_shell(kind, [view.widget]), kind, journal=view, viewer=ctx.viewer)
    if kind == "participation":
        return Page(_shell(kind, [_participation(ctx)]), kind, viewer=ctx.viewer)
    session_id: int | None = None
    if not params.get("session") and not params.get("exercise") and kind == "retro":
        # A plain retro link joins the retro running now (the one the live board shows), so one
        # long-lived link serves every retro; without it the cards would reach no board.
        current = retro.current_retro(ctx.store, ctx.viewer.cohort_id)
        if current is not None:
            params = {**params, "session": str(current.id)}
    if params.get("session"):
        exercise, session_id = _session_exercise(ctx, params["session"])
    elif params.get("exercise") or kind in DEFAULT_EXERCISE:
        exercise = ctx.store.exercise(params.get("exercise") or DEFAULT_EXERCISE[kind], ctx.viewer.cohort_id)
    else:
        pg = Page(_shell(kind, []), kind, viewer=ctx.viewer)
        pg.widget.children = [*pg.widget.children, *_exercise_picker(ctx, kind, pg)]
        return pg
    if exercise.kind != FORM_KINDS[kind]:
        raise AccessDenied(f"This link opens a {kind} form, but the exercise it names is a {exercise.kind}. "
                           "Ask your facilitator for a current link.")
    form = _FORM_FACTORIES[kind](ctx, exercise, session_id)
    return Page(_shell(kind, [form.widget]), kind, form=form, viewer=ctx.viewer)
