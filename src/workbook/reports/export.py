"""Executed report notebooks to standalone HTML pages (no code, images embedded, works offline).

nbconvert's ``lab`` template loads require.js, MathJax and Mermaid from a CDN; report pages
need none of them (no widgets, maths or diagrams), so the exporter's template drops them (a page
opens from a file without a network) and gives each chart its alternative text (see
:class:`workbook.jupyter_compat.ReportExporter`, the adapter to nbconvert).
"""
from __future__ import annotations

import re
import threading
from typing import Any

from .blocks import SUMMARY_KEY

_local = threading.local()


def _exporter() -> Any:
    """This thread's report exporter (building one compiles the templates: ~0.3 s)."""
    exp = getattr(_local, "exporter", None)
    if exp is None:
        from ..jupyter_compat import report_exporter

        exp = _local.exporter = report_exporter()
    return exp


def notebook_html(nb: Any, title: str) -> str:
    """A standalone page of an executed notebook: outputs and Markdown only, no code cells."""
    body, _ = _exporter().from_notebook_node(nb, resources={"metadata": {"name": title}})
    return str(body)


def notebook_summary(nb: Any) -> str | None:
    """The one-line summary a report recorded in its output metadata (see :class:`~.blocks.Block`)."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            meta = out.get("metadata", {}).get(SUMMARY_KEY)
            if meta and meta.get("summary"):
                return str(meta["summary"])
    return None


_VOLATILE = [
    re.compile(r"cell-id=[0-9A-Za-z_-]+"),  # papermill's injected-parameters cell gets a random id
    re.compile(r'"(start_time|end_time|duration|execution_count|exception)":\s*[^,}\n]+'),
    re.compile(r"\s+$", re.MULTILINE),
]


def page_content(page: str) -> str:
    """A page with volatile bits (timestamps, durations, execution counts) removed, for comparing pages."""
    for rx in _VOLATILE:
        page = rx.sub("", page)
    return page
