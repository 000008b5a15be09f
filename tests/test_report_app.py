"""The reports app (notebooks/forms/reports.ipynb) without a browser: who may list and open which report.

Canaries planted per visibility prove that a live page shows exactly what the batch page may:
private text only on the author's own page, coach-shared text also on their coach's mentee page,
neither on the cohort page.
"""
from __future__ import annotations

import json
from typing import Any

import pytest

from workbook import Store, access
from workbook.access import allowed_reports
from workbook.forms import reports_page
from workbook.forms.reports import NOT_AVAILABLE
from workbook.invite import create_links
from workbook.reports.live import template_sections
from workbook.sample import generate_sample
from workbook.serve import ServeOptions, report_apps, voila_command

from .browser_support import ROOT


def canary(vis: str, pid: str) -> str:
    return f"CANARY-{vis.upper()}-{pid}-Z"


@pytest.fixture
def site(example: Store) -> dict[str, Any]:
    """Two weeks of sample activity, canaries for p01 and p02, and a key for a few people."""
    generate_sample(example, "example", weeks=2)
    for pid in ("p01", "p02"):
        for vis in ("private", "coach", "cohort"):
            example.add_entry("example", pid, "gibbs",
                              {"description": f"{canary(vis, pid)} <script>alert(1)</script>",
                               "evaluation": "fine", "conclusion": "ok", "mood": 4}, visibility=vis)
    keys = {p: access.issue_token(example, "example", p) for p in ("p01", "p02", "c01", "c02", "f01")}
    return {"store": example, "keys": keys}


def open_page(site: dict[str, Any], who: str, report: str | None = None) -> Any:
    query = f"key={site['keys'][who]}" + (f"&report={report}" if report is not None else "")
    return reports_page(query, store=site["store"])


def html_of(page: Any) -> str:
    """Everything the page shows, as HTML (every widget's value)."""
    out: list[str] = []

    def walk(w: Any) -> None:
        if hasattr(w, "children"):
            for c in w.children:
                walk(c)
        elif isinstance(getattr(w, "value", None), str):
            out.append(w.value)

    walk(page.widget)
    return "".join(out)


def refused(page: Any) -> bool:
    text = html_of(page)
    return page.message == NOT_AVAILABLE and "CANARY" not in text and "<img" not in text and "wb-report-link" not in text


def test_participant_lists_and_opens_only_their_own_report(site: dict[str, Any]) -> None:
    listing = open_page(site, "p01")
    assert listing.message is None and listing.extra["reports"] == ["participant-p01"]
    links = html_of(listing)
    assert links.count('class="wb-report-link"') == 1 and "report=participant-p01" in links

    own = open_page(site, "p01", "participant-p01")
    text = html_of(own)
    assert own.message is None and own.extra["report"] == "participant-p01"
    assert "Reflection report: Lucía Fernández" in text
    for vis in ("private", "coach", "cohort"):
        assert canary(vis, "p01") in text
    assert "p02-Z" not in text
    assert "<script>alert(1)</script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert '<img class="wb-chart" src="data:image/png;base64,' in text
    # The same sections as the batch template, in its order.
    assert [s for k, s in template_sections("participant") if k == "section"][:2] == ["header", "at_a_glance"]

    for other in ("participant-p02", "cohort", "mentee-c01-p01", "mentee-c01-p02", "index",
                  "../participant-p02", "participant-p01/../participant-p02", "participant-p01.html",
                  "participant-p01 ", "PARTICIPANT-P01", "%2e%2e%2fcohort"):
        assert refused(open_page(site, "p01", other)), other


def test_coach_sees_current_mentees_shared_entries_only(site: dict[str, Any]) -> None:
    store = site["store"]
    mentees = sorted(store.mentees_of("example", "c01"))
    assert "p01" in mentees and "p02" in mentees
    listing = open_page(site, "c01")
    assert listing.extra["reports"] == [f"mentee-c01-{m}" for m in mentees]

    page = open_page(site, "c01", "mentee-c01-p01")
    text = html_of(page)
    assert page.message is None and "Mentee report: Lucía Fernández" in text
    assert canary("coach", "p01") in text and canary("cohort", "p01") in text
    assert canary("private", "p01") not in text and "p02-Z" not in text
    assert "<img" in text

    # Another coach's mentee, the participant's own page and the cohort page are not theirs.
    for other in ("mentee-c02-p04", "mentee-c01-p04", "participant-p01", "cohort"):
        assert refused(open_page(site, "c01", other)), other
    assert not any("c01" in name for name in open_page(site, "c02").extra["reports"])
    assert canary("private", "p02") not in html_of(open_page(site, "c01", "mentee-c01-p02"))


def test_facilitator_gets_the_cohort_page_without_private_or_coach_text(site: dict[str, Any]) -> None:
    listing = open_page(site, "f01")
    assert listing.extra["reports"] == ["cohort"]
    page = open_page(site, "f01", "cohort")
    text = html_of(page)
    assert page.message is None and "Cohort report:" in text and "<img" in text
    for pid in ("p01", "p02"):
        assert canary("private", pid) not in text and canary("coach", pid) not in text
    for other in ("participant-p01", "mentee-c01-p01", "index"):
        assert refused(open_page(site, "f01", other)), other


@pytest.mark.parametrize("query", ["", "report=participant-p01", "key=&report=cohort", "key=nope&report=cohort",
                                   "key=nope"])
def test_bad_key_shows_a_message_and_no_content(site: dict[str, Any], query: str) -> None:
    page = reports_page(query, store=site["store"])
    text = html_of(page)
    assert page.message and page.viewer is None
    assert "CANARY" not in text and "<img" not in text and "wb-report-link" not in text


def test_revoked_key_and_ended_pairing_take_reports_away(site: dict[str, Any]) -> None:
    store = site["store"]
    access.revoke(store, "example", "p02")
    gone = open_page(site, "p02", "participant-p02")
    assert gone.message and gone.viewer is None and "CANARY" not in html_of(gone)
    viewer = access.authenticate(store, site["keys"]["c01"])
    assert {r.name for r in allowed_reports(store, viewer)} == {f"mentee-c01-{m}"
                                                                 for m in store.mentees_of("example", "c01")}


def test_invite_gives_everyone_a_reports_link_and_serve_lists_the_app(example: Store) -> None:
    for inv in create_links(example, "example", base_url="http://h:1"):
        assert inv.links["reports"] == f"http://h:1/voila/render/reports.ipynb?key={inv.key}"
    assert report_apps(ServeOptions(port=8899)) == ["http://127.0.0.1:8899/voila/render/reports.ipynb?key=YOUR_KEY"]
    cmd = voila_command(ServeOptions())
    assert str((ROOT / "src" / "workbook" / "notebooks" / "forms").resolve()) in cmd
    assert not any(str(ROOT / "src" / "workbook" / "notebooks" / "reports") in c or str(ROOT / "reports") == c for c in cmd)
    nb = json.loads((ROOT / "src" / "workbook" / "notebooks" / "forms" / "reports.ipynb").read_text())
    assert len(nb["cells"]) == 2 and all(not c.get("outputs") and c.get("execution_count") is None
                                         for c in nb["cells"])
