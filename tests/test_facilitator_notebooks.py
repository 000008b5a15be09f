"""Facilitator notebooks run top to bottom under papermill against a real SQLite database."""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from workbook import Store, access, import_cohort, retro
from workbook.coach import CoachDesk
from workbook.html import esc

from .conftest import EXAMPLE, ROOT


def shown(out: Path) -> list[str]:
    """What an executed notebook shows: the value of every HTML widget (from the saved widget state).

    papermill has already raised if a cell failed, so the tests look at what a person would see.
    """
    nb = nbformat.read(out, as_version=4)
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    views = [o["data"]["application/vnd.jupyter.widget-view+json"]["model_id"] for c in nb.cells
             if c.cell_type == "code" for o in c.outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(views) == 1 and views[0] in state  # one page, displayed with its saved state
    return [m["state"]["value"] for m in state.values() if m["model_name"] == "HTMLModel"]


@pytest.fixture
def jupyter_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var in ("IPYTHONDIR", "MPLCONFIGDIR", "JUPYTER_RUNTIME_DIR"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    return tmp_path


@pytest.mark.slow
def test_live_retro_notebook_runs(jupyter_env: Path) -> None:
    import papermill as pm

    db = jupyter_env / "wb.db"
    store = Store(f"sqlite:///{db}")
    import_cohort(store, EXAMPLE)
    out = jupyter_env / "out.ipynb"

    def run() -> list[str]:
        pm.execute_notebook(str(ROOT / "notebooks/facilitator/live_retro.ipynb"), str(out),
                            parameters={"db_url": f"sqlite:///{db}", "exercise": "sailboat", "title": "Sprint 14"},
                            kernel_name="python3", progress_bar=False, cwd=str(jupyter_env))
        return shown(out)

    html = run()  # no retro running: the notebook opens one
    [s] = retro.running_retros(store, "example")
    assert (s.exercise_id, s.title) == ("sailboat", "Sprint 14")
    retro.add_card(store, access.viewer_for(store, "example", "p01"), s.id, "wind", "Good coaches")
    retro.set_phase(store, access.viewer_for(store, "example", "f01"), s.id, "discuss")
    html = run()  # run again: it joins the running retro, it opens no second one
    assert [r.id for r in retro.running_retros(store, "example")] == [s.id]
    participants = len(store.find_members("example", "participant"))
    assert f"1 of {participants} participants" in "\n".join(html)
    assert any("phase <b>discuss</b>" in h for h in html)
    wind = [h for h in html if "<h4>Wind: what is pushing us forward?</h4>" in h]
    assert wind == ["<div style='min-width:220px;margin-right:1.5em'><h4>Wind: what is pushing us forward?</h4>"
                    "<ul><li>Good coaches <b>(0)</b></li></ul></div>"]
    assert any("No votes yet" in h for h in html)  # a card without votes is not "most voted"
    store.close()


@pytest.mark.slow
def test_coach_notebook_runs(jupyter_env: Path) -> None:
    import papermill as pm

    from workbook.sample import generate_sample

    db = jupyter_env / "wb.db"
    store = Store(f"sqlite:///{db}")
    import_cohort(store, EXAMPLE)
    generate_sample(store, "example", weeks=2)
    mentees = [m for m in store.find_members("example", "participant") if m.coach_id == "c02"]
    for m in mentees:  # the newest entries: the mentee shown first has one of each
        store.add_entry("example", m.person_id, "kolb", {"experience": f"SHARED-{m.person_id}", "observations": "o",
                                                         "experiments": ["e"]}, visibility="coach")
        store.add_entry("example", m.person_id, "kolb", {"experience": f"PRIVATE-{m.person_id}", "observations": "o",
                                                         "experiments": ["e"]}, visibility="private")
    out = jupyter_env / "coach.ipynb"
    pm.execute_notebook(str(ROOT / "notebooks/coach/review.ipynb"), str(out),
                        parameters={"db_url": f"sqlite:///{db}", "coach": "c02"}, kernel_name="python3",
                        progress_bar=False, cwd=str(jupyter_env))
    html = "\n".join(shown(out))
    overview = CoachDesk(store, access.viewer_for(store, "example", "c02")).overview
    assert {s.person_id for s in overview} == {m.person_id for m in mentees}
    for s in overview:  # every mentee in the table, overdue or not, as the API computes it
        assert f"<tr><td>{esc(s.name)}</td><td>{s.shared_entries}</td>" in html
    first = overview[0].person_id
    assert f"SHARED-{first}" in html  # the first mentee's entries shared with the coach are shown...
    assert "PRIVATE-" not in html  # ...and nobody's private entry is
    assert html.count(">overdue</b>") == sum(s.overdue for s in overview)
    store.close()
