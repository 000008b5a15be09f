"""The facilitator's matching notebook runs top to bottom under papermill on a real SQLite file."""
from __future__ import annotations

import base64
from pathlib import Path

import nbformat
import pytest

from workbook import Store, import_cohort
from workbook.html import esc
from workbook.matching import cohort as matching

from .conftest import EXAMPLE, ROOT

NOTEBOOK = ROOT / "notebooks" / "facilitator" / "matching.ipynb"


@pytest.fixture
def jupyter_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var in ("IPYTHONDIR", "MPLCONFIGDIR", "JUPYTER_RUNTIME_DIR"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    return tmp_path


def test_notebook_has_typed_parameters() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    (params,) = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    for name in ("cohort: str", "db_url: str", "weights: str", "max_tz_gap: float", "keep_existing: bool"):
        assert name in params.source


@pytest.mark.slow
def test_matching_notebook_runs(jupyter_env: Path) -> None:
    import papermill as pm

    db = jupyter_env / "wb.db"
    store = Store(f"sqlite:///{db}")
    import_cohort(store, EXAMPLE)
    out = jupyter_env / "matching.ipynb"
    pm.execute_notebook(str(NOTEBOOK), str(out), parameters={"db_url": f"sqlite:///{db}", "max_tz_gap": 8.0},
                        kernel_name="python3", progress_bar=False, cwd=str(jupyter_env))
    nb = nbformat.read(out, as_version=4)
    # papermill has already raised on any error; what matters is what the facilitator is shown.
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    shown = [o["data"]["application/vnd.jupyter.widget-view+json"]["model_id"] for o in outputs
             if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(shown) == 1 and shown[0] in state  # the panel, with its saved state
    html = {m["state"]["value"] for m in state.values() if m["model_name"] == "HTMLModel"}
    buttons = {m["state"]["description"] for m in state.values() if m["model_name"] == "ButtonModel"}
    assert {"Swap mentors", "Fix pair", "Apply", "Propose again"} <= buttons
    # The same proposal the API makes, in its summary line and in the table, pair by pair.
    options = matching.match_options("", 8.0, ())
    result = matching.propose(store, "example", options)
    assert f"<b>{esc(matching.summary(result))}</b>" in html
    (table,) = [h for h in html if "<table class='wb-match'>" in h]
    names = {m.person_id: m.name for m in store.find_members("example")}
    for p in result.pairs:
        assert f"<td>{esc(names[p.mentor_id])}</td><td>{esc(names[p.mentee_id])}</td><td>{p.score:.2f}</td>" in table
    for u in result.unmatched:
        assert esc(names[u.mentee_id]) in table
    (png,) = [o["data"]["image/png"] for o in outputs if "image/png" in o.get("data", {})]
    assert base64.b64decode(png).startswith(b"\x89PNG")
    assert store.find_pairings("example") == []  # showing a proposal stores nothing
    store.close()
