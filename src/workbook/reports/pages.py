"""Which generated report pages a viewer may open (for ``workbook serve`` and any other surface).

Page names are fixed by the batch: ``participant-<person>``, ``mentee-<coach>-<mentee>`` and
``cohort`` (each as ``.ipynb`` and ``.html``). The rules mirror the templates' privacy:

- a participant opens only their own participant page;
- a coach opens the mentee pages written for them, for people they coach *now* (a pairing that
  ended takes the page away);
- a facilitator opens the cohort page (aggregates) and the index, never a person's page.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .runner import _safe

if TYPE_CHECKING:
    from ..access import Viewer
    from ..store import Store


def pages_for(store: "Store", viewer: "Viewer", directory: Path, suffix: str = ".ipynb") -> list[Path]:
    """The existing report files (``suffix``) in ``directory`` that ``viewer`` may open, sorted."""
    directory = Path(directory)
    names: list[str] = []
    if viewer.role == "participant":
        names = [f"participant-{_safe(viewer.person_id)}"]
    elif viewer.role == "coach":
        names = [f"mentee-{_safe(viewer.person_id)}-{_safe(m)}"
                 for m in store.mentees_of(viewer.cohort_id, viewer.person_id)]
    elif viewer.role == "facilitator":
        names = ["cohort"] + (["index"] if suffix == ".html" else [])
    return sorted(p for p in (directory / f"{n}{suffix}" for n in names) if p.is_file())
