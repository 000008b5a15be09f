"""The report objects the templates in ``workbook/notebooks/reports/`` call, one method per section.

Each report is built for a *viewer*, who reads the page, and loads its data once through
:mod:`workbook.access` from the :class:`~workbook.store.Store` it is given (a template opens its
store with :func:`report_store`, the live app passes its own); each method returns something a notebook displays (an escaped HTML
:class:`Block` or a PNG :class:`Chart`). The viewer is the real person in the live app
(:mod:`workbook.reports.live`) and, by default, :func:`workbook.access.batch_audience` (a
facilitator): the batch writes its pages to the facilitator's disk, so they hold only what a
facilitator may see, and what a page leaves out appears as a count.

- :class:`ParticipantReport`: one person's entries, the comments released to them, their goals,
  kudos and milestones. For the person themself: everything of theirs, private entries included.
  In the batch: entries shared with the cohort only; private and coach-only ones as a count.
- :class:`MenteeReport`: a mentee's entries for one coach, never private ones. For the coach
  themself: what the mentee shared with them or the cohort, with their own draft comments. In
  the batch: entries shared with the cohort only, coach-only ones as a count, no drafts.
- :class:`CohortReport`: aggregates of everything, suppressed below ``min_group_size``; free
  text only from entries shared with the cohort (the same for every viewer).

Figures (summaries, charts, streaks, goal progress) are drawn only from what the page shows, so
``index.html``, which repeats each page's summary line, holds nothing the pages do not.
"""
from __future__ import annotations

from ..context import report_store
from .cohort import CohortReport
from .mentee import MenteeReport
from .participant import ParticipantReport

__all__ = ["CohortReport", "MenteeReport", "ParticipantReport", "report_store"]
