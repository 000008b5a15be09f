"""Planning a batch: which reports, from which template, under which page name.

Nothing here runs a kernel or writes a file: :func:`plan_reports` turns a cohort into
:class:`ReportJob` s (cohort first, then participants, then mentees), and :func:`page_name` is the
one naming rule the batch's files, the live app (:func:`workbook.access.allowed_reports`) and
erasure (:func:`is_page_of`) share.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError

if TYPE_CHECKING:
    from ..store import Store

#: Where the shipped templates live (package data, so a wheel install has them too).
TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "notebooks" / "reports"
KINDS: tuple[str, ...] = ("participant", "mentee", "cohort")


@dataclass(frozen=True)
class ReportJob:
    """One report to produce: which template, for whom, with which parameters, under which file name."""

    kind: str
    stem: str
    label: str
    template: Path
    parameters: dict[str, Any]


def _safe(part: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", part).strip("._") or "x"


def page_name(kind: str, person_id: str = "", coach_id: str = "") -> str:
    """A report's page name (file stem of the batch, report name of the live app).

    ``participant-<person>``, ``mentee-<coach>-<mentee>``, ``cohort``. Ids may contain the
    separator ``-``: inside a mentee page's name it is written ``~`` (never part of an id), so
    coach ``ann`` on ``lee-kim`` and coach ``ann-lee`` on ``kim`` get two pages, not one.
    """
    if kind == "participant":
        return f"participant-{_safe(person_id)}"
    if kind == "mentee":
        return f"mentee-{_safe(coach_id).replace('-', '~')}-{_safe(person_id).replace('-', '~')}"
    return kind


def is_page_of(stem: str, person_id: str) -> bool:
    """Whether the page named ``stem`` is about ``person_id``: their participant page, or a mentee page
    of which they are the coach or the mentee."""
    if stem == page_name("participant", person_id):
        return True
    if not stem.startswith("mentee-"):
        return False
    return _safe(person_id).replace("-", "~") in stem.removeprefix("mentee-").split("-")


def cohort_folder(reports_dir: Path, cohort_id: str) -> Path:
    """The folder a batch writes a cohort's pages into by default (``REPORTS/COHORT``)."""
    return Path(reports_dir) / _safe(cohort_id)


def _wanted(kinds: Iterable[str]) -> set[str]:
    wanted = set(KINDS) if "all" in kinds else set(kinds)
    unknown = wanted - set(KINDS)
    if unknown:
        raise ConfigError(f"unknown report kind {sorted(unknown)[0]!r}; use one of {', '.join(KINDS)} or all")
    return wanted


def cohort_reports(store: "Store", cohort_id: str, *, since: str = "", until: str = "",
                   templates_dir: Path | None = None) -> list[ReportJob]:
    """Every report the cohort has, in the batch's order: the cohort, each participant, each mentee per coach.

    Templates are not checked here (the index also lists pages of earlier batches, whatever
    templates made them); :func:`choose_reports` checks those of the reports a batch runs.
    """
    tdir = Path(templates_dir) if templates_dir else TEMPLATES_DIR
    cohort = store.get_cohort(cohort_id)
    names = store.member_names(cohort_id)
    base = {"cohort_id": cohort_id, "since": since, "until": until, "db_url": ""}
    jobs = [ReportJob("cohort", "cohort", cohort.name, tdir / "cohort.ipynb", dict(base))]
    participants = [m.person_id for m in store.find_members(cohort_id, "participant")]
    jobs += [ReportJob("participant", page_name("participant", pid), f"{names.get(pid, pid)} ({pid})",
                       tdir / "participant.ipynb", {**base, "person_id": pid}) for pid in participants]
    jobs += [ReportJob("mentee", page_name("mentee", pid, coach), f"{names.get(pid, pid)} for {names.get(coach, coach)}",
                       tdir / "mentee.ipynb", {**base, "person_id": pid, "coach_id": coach})
             for pid in participants for coach in sorted(store.coaches_of(cohort_id, pid))]
    return jobs


def choose_reports(store: "Store", jobs: Sequence[ReportJob], cohort_id: str, *, kinds: Iterable[str] = ("all",),
                   people: Sequence[str] = ()) -> list[ReportJob]:
    """The reports of ``jobs`` (a cohort's, see :func:`cohort_reports`) that a batch of ``kinds`` for ``people`` runs.

    ``people`` limits participant reports to those people and mentee reports to those mentees
    or coaches; the cohort report is chosen unless only some people were asked for.
    """
    kinds = list(kinds)
    wanted = _wanted(kinds)
    members = {m.person_id for m in store.find_members(cohort_id)}
    for p in people:
        if p not in members:
            raise ConfigError(f"{p!r} is not a member of cohort {cohort_id!r}; run `workbook people {cohort_id}`")
    chosen = set(people)

    def runs(j: ReportJob) -> bool:
        if j.kind not in wanted:
            return False
        if j.kind == "cohort":
            return not chosen or "cohort" in kinds
        return not chosen or bool(chosen & {j.parameters.get("person_id"), j.parameters.get("coach_id")})

    out = [j for j in jobs if runs(j)]
    for j in out:
        if not j.template.is_file():
            raise ConfigError(f"report template {j.template} is missing")
    return out


def plan_reports(store: "Store", cohort_id: str, *, kinds: Iterable[str] = ("all",), people: Sequence[str] = (),
                 since: str = "", until: str = "", templates_dir: Path | None = None) -> list[ReportJob]:
    """The reports of a batch, in a stable order (cohort first, then participants, then mentees).

    ``people`` limits participant reports to those people and mentee reports to those mentees
    or coaches; the cohort report is planned unless only some people were asked for.
    """
    kinds = list(kinds)
    _wanted(kinds)  # an unknown kind is named before the cohort is looked up
    return choose_reports(store, cohort_reports(store, cohort_id, since=since, until=until,
                                                templates_dir=templates_dir), cohort_id, kinds=kinds, people=people)
