"""Participant web forms: ipywidgets factories over exercises, wired to the store and access rules.

Voila serves ``workbook/notebooks/forms/*.ipynb``; each notebook only calls :func:`page`. Everything here
is testable without a browser: build a form, set ``.value`` on its widgets, click, check the store.
"""
from __future__ import annotations

from .entry import EntryForm, FormContext, GoalSliders, build_fields, checkin_form, reflection_form, retro_form
from .fields import CardColumn, PromptField, text_html, text_widget, visibility_picker
from .journal import JournalCard, JournalView
from .pages import PAGE_KINDS, Page, get_store, message_page, page, parse_query, prepare, query_string
from .reports import reports_page

__all__ = [
    "CardColumn", "EntryForm", "FormContext", "GoalSliders", "JournalCard", "JournalView", "PAGE_KINDS", "Page",
    "PromptField", "build_fields", "checkin_form", "get_store", "message_page", "page", "parse_query", "prepare",
    "query_string", "reflection_form", "reports_page", "retro_form", "text_html", "text_widget", "visibility_picker",
]
