"""Batch reports: papermill templates per participant, per mentee and per cohort, as pages.

``generate_reports`` is the API behind ``workbook report``. Importing this package is cheap:
papermill and nbconvert load only when a batch runs.
"""
from __future__ import annotations

from .plan import KINDS, ReportJob, plan_reports
from .runner import BatchResult, ReportOutcome, generate_reports, run_report

__all__ = ["KINDS", "BatchResult", "ReportJob", "ReportOutcome", "generate_reports", "plan_reports", "run_report"]
