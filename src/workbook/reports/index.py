"""The batch's ``index.html``: every page of a cohort's folder with its one-line summary, failures listed."""
from __future__ import annotations

import datetime as dt
import html
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .plan import ReportJob


class IndexedPage(Protocol):
    """What the index reads of a report's outcome (:class:`~.runner.ReportOutcome` is one)."""

    job: "ReportJob"
    ok: bool
    html_path: Path | None
    summary: str | None
    error: str | None


def write_index(out_dir: Path, title: str, outcomes: Sequence["IndexedPage"]) -> Path:
    """Write ``out_dir/index.html``: every page with its one-line summary, failures listed; all escaped."""
    e = html.escape
    groups: dict[str, list["IndexedPage"]] = {"cohort": [], "participant": [], "mentee": []}
    for o in outcomes:
        groups.setdefault(o.job.kind, []).append(o)
    headings = {"cohort": "Cohort (for facilitators)", "participant": "Participants", "mentee": "Mentees (for their coaches)"}
    parts = []
    for kind, items in groups.items():
        if not items:
            continue
        rows = []
        for o in sorted(items, key=lambda o: o.job.label):
            if o.ok and o.html_path is not None:
                href = e(os.path.relpath(o.html_path, out_dir).replace(os.sep, "/"))
                rows.append(f'<tr><td><a href="{href}">{e(o.job.label)}</a></td><td>{e(o.summary or "")}</td></tr>')
            else:
                rows.append(f'<tr class="failed"><td>{e(o.job.label)}</td><td>failed: {e(o.error or "")}</td></tr>')
        parts.append(f"<h2>{e(headings.get(kind, kind))}</h2><table><tbody>{''.join(rows)}</tbody></table>")
    failed = sum(1 for o in outcomes if not o.ok)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)}</title>
<style>
body{{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.45}}
table{{border-collapse:collapse;width:100%}} td{{border-bottom:1px solid #e5e7eb;padding:.35rem .6rem;vertical-align:top}}
td:first-child{{white-space:nowrap;width:16rem}} tr.failed td{{background:#fde8e8}} .muted{{color:#555}}
</style></head><body>
<h1>{e(title)}</h1>
<p class="muted">{len(outcomes) - failed} pages{f", {failed} failed" if failed else ""} · generated {e(stamp)}</p>
{''.join(parts)}
</body></html>
"""
    path = out_dir / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
