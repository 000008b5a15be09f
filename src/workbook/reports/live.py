"""Reports as live pages: the batch templates' sections, rendered now from the store for one viewer.

The Voila app ``workbook/notebooks/forms/reports.ipynb`` shows a person the reports they may open and
renders one on request. Which reports a viewer may open is decided by
:func:`workbook.access.allowed_reports` (re-exported here for the forms), from the store, so
nothing depends on a batch having run. A page is rendered by walking the template notebook in
``workbook/notebooks/reports/``: each markdown cell is shown as written and each
``report.<section>()`` cell calls that section of the same view object the batch uses, so a live page has the batch page's content (charts and tables,
every piece of user text escaped by :mod:`workbook.reports.blocks`).
"""
from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..access import ReportRef, allowed_reports
from ..html import STYLE, esc
from .blocks import Block, Chart
from .plan import TEMPLATES_DIR

if TYPE_CHECKING:
    from ..access import Viewer
    from ..store import Store

__all__ = ["ReportRef", "allowed_reports", "load_report", "render_report", "template_sections"]

#: A template cell that shows one section: ``report.header()`` (no arguments, a public name).
_SECTION = re.compile(r"^report\.([a-z][a-z0-9_]*)\(\)$")


def template_sections(kind: str, templates_dir: Path | None = None) -> list[tuple[str, str]]:
    """The template's display steps in order: ``("markdown", text)`` or ``("section", method name)``.

    The parameters cell and the cell that loads the report are skipped; the notebook is read as
    JSON (nbformat's import costs seconds and is not needed to read two keys).
    """
    path = Path(templates_dir or TEMPLATES_DIR) / f"{kind}.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    steps: list[tuple[str, str]] = []
    for cell in nb.get("cells", []):
        source = "".join(cell.get("source", ""))
        if cell.get("cell_type") == "markdown" and source.strip():
            steps.append(("markdown", source))
        elif cell.get("cell_type") == "code":
            m = _SECTION.match(source.strip())
            if m:
                steps.append(("section", m.group(1)))
    return steps


def load_report(store: "Store", viewer: "Viewer", ref: ReportRef) -> Any:
    """The view object for ``ref``, built for ``viewer`` (the batch's loaders, with the real reader).

    The batch builds the same objects for its audience, a facilitator; here the person reading
    gets everything the access rules give them (a participant's private entries, a coach's drafts).
    """
    from .views import CohortReport, MenteeReport, ParticipantReport

    if ref.kind == "participant":
        return ParticipantReport.load(store, viewer.cohort_id, ref.person_id, viewer=viewer)
    if ref.kind == "mentee":
        return MenteeReport.load(store, viewer.cohort_id, ref.person_id, ref.coach_id, viewer=viewer)
    if ref.kind == "cohort":
        return CohortReport.load(store, viewer.cohort_id)
    raise ValueError(f"unknown report kind {ref.kind!r}")


def markdown_html(text: str) -> str:
    """A template's markdown cell as HTML (template text is ours; raw HTML in it is escaped anyway)."""
    import mistune

    return str(mistune.create_markdown(escape=True)(text))


def output_html(value: Any) -> str:
    """One section's result as HTML: a :class:`Block` as is (already escaped), a :class:`Chart` as an image."""
    if isinstance(value, Chart):
        data = base64.b64encode(value.png).decode("ascii")
        return f'<img class="wb-chart" src="data:image/png;base64,{data}" alt="{esc(value.alt)}" style="max-width:100%">'
    if isinstance(value, Block):
        return f'<div class="wb-report">{value.html}</div>'
    return f'<pre class="wb-report">{esc(value)}</pre>'


def render_report(store: "Store", viewer: "Viewer", ref: ReportRef, templates_dir: Path | None = None) -> list[str]:
    """The report ``ref`` for ``viewer`` as HTML fragments, one per template cell shown.

    The caller decides that ``viewer`` may open ``ref`` (see :func:`allowed_reports`).
    """
    report = load_report(store, viewer, ref)
    parts = [STYLE]
    for what, arg in template_sections(ref.kind, templates_dir):
        if what == "markdown":
            parts.append(f'<div class="wb-report wb-md">{markdown_html(arg)}</div>')
        else:
            parts.append(output_html(getattr(report, arg)()))
    return parts
