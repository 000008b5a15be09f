"""The reports app: a person's link lists the reports they may open and renders one, live.

``workbook/notebooks/forms/reports.ipynb`` is two calls: ``reports_page(query_string())``. The link
carries ``key`` and optionally ``report=<name>`` (names as in the batch: ``participant-p01``,
``mentee-c01-p01``, ``cohort``). Which names a key may open is decided from the store by
:func:`workbook.reports.live.allowed_reports`, never from the URL: any other name (another
person's page, ``../x``, a typo) gets the same message and nothing else.
"""
from __future__ import annotations

import html
import urllib.parse
from typing import TYPE_CHECKING

import ipywidgets as widgets

from .. import access
from .entry import FormContext
from .fields import text_widget
from .pages import Page, _shell, guarded_page, message_page

if TYPE_CHECKING:
    from ..reports.live import ReportRef
    from ..store import Store


KIND = "reports"
#: The link parameter naming one report.
REPORT_PARAMETER = "report"
NOT_AVAILABLE = ("This report is not available with your link. Open the list of your reports "
                 "(your reports link without anything added) and pick one there.")
NO_REPORTS = "There are no reports for you yet. Your facilitator will tell you when there are."


def report_link(name: str | None = None) -> str:
    """The relative link to the reports app (the list, or one report).

    It carries no key: the server hands the page the key this browser opened its personal link
    with (see :mod:`workbook.server`), so no key is ever part of a page's HTML or widget state.
    """
    return f"{KIND}.ipynb" + (f"?{urllib.parse.urlencode({REPORT_PARAMETER: name})}" if name else "")


def _a(href: str, text: str, css: str) -> str:
    return f'<a class="{css}" href="{html.escape(href, quote=True)}">{html.escape(text)}</a>'


def reports_page(query: str | None = None, store: "Store | None" = None) -> Page:
    """The reports page for the link whose query string is ``query``; never raises for a visitor's mistake.

    ``page.extra["reports"]`` lists the names offered, ``page.extra["report"]`` the one shown.
    """
    return guarded_page(KIND, query, store, _reports, refused=NOT_AVAILABLE)


def _reports(ctx: FormContext, params: dict[str, str]) -> Page:
    from ..reports.live import allowed_reports, render_report

    allowed = allowed_reports(ctx.store, ctx.viewer)
    wanted = params.get(REPORT_PARAMETER, "")
    if not wanted:
        return _listing(ctx.viewer, allowed)
    ref = next((r for r in allowed if r.name == wanted), None)
    if ref is None:
        return message_page(KIND, NOT_AVAILABLE, ctx.viewer)
    parts = render_report(ctx.store, ctx.viewer, ref)
    back = widgets.HTML(_a(report_link(), "\u2190 All your reports", "wb-report-back"))
    body = widgets.HTML("".join(parts), layout=widgets.Layout(width="100%"))
    body.add_class("wb-live-report")
    return Page(_shell(KIND, [back, body]), KIND, viewer=ctx.viewer,
                extra={"reports": [r.name for r in allowed], "report": ref.name, "html": "".join(parts)})


def _listing(viewer: access.Viewer, allowed: list["ReportRef"]) -> Page:
    if not allowed:
        pg = message_page(KIND, NO_REPORTS, viewer)
        pg.extra["reports"] = []
        return pg
    items = "".join(f"<li>{_a(report_link(r.name), r.title, 'wb-report-link')}</li>" for r in allowed)
    listing = widgets.HTML(f'<ul class="wb-report-list">{items}</ul>')
    return Page(_shell(KIND, [text_widget("Your reports", "wb-title"),
                              text_widget("Each report is made from the workbook as it is now.", "wb-muted"),
                              listing]),
                KIND, viewer=viewer, extra={"reports": [r.name for r in allowed], "report": None})
