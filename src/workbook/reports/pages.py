"""Which generated report pages a viewer may open (for ``workbook serve`` and any other surface).

Page names are fixed by the batch (:func:`~.runner.page_name`): ``participant-<person>``, ``mentee-<coach>-<mentee>`` and
``cohort`` (each as ``.ipynb`` and ``.html``). The rules mirror the templates' privacy:

- a participant opens only their own participant page;
- a coach opens the mentee pages written for them, for people they coach *now* (a pairing that
  ended takes the page away);
- a facilitator opens the cohort page (aggregates), never a person's page nor the index (its
  per-person summaries are the batch operator's file, not a page for anyone else).

Generated person pages hold only what the batch's operator (a facilitator) may see: entries
shared with the cohort, the rest as a count (see :func:`workbook.access.report_entries`).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .live import allowed_reports

if TYPE_CHECKING:
    from ..access import Viewer
    from ..store import Store


def pages_for(store: "Store", viewer: "Viewer", directory: Path, suffix: str = ".ipynb") -> list[Path]:
    """The existing report files (``suffix``) in ``directory`` that ``viewer`` may open, sorted."""
    directory = Path(directory)
    # One rule for live and generated pages: the live app's list of allowed reports.
    # The batch's index.html is not served to anyone: it gathers every person's summary line in
    # one file, and each line is only for the person (or coach) its page is for.
    names = [r.name for r in allowed_reports(store, viewer)]
    return sorted(p for p in (directory / f"{n}{suffix}" for n in names) if p.is_file())
