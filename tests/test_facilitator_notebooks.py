"""Facilitator notebooks run top to bottom under papermill against a real SQLite database."""
from __future__ import annotations

from pathlib import Path

import pytest

from workbook import Store, access, import_cohort, retro

from .conftest import EXAMPLE, ROOT


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
    s = retro.open_retro(store, access.viewer_for(store, "example", "f01"), "sailboat")
    store.add_entry("example", "p01", "sailboat", {"wind": ["Good coaches"]}, visibility="cohort", session_id=s.id)
    out = jupyter_env / "out.ipynb"
    pm.execute_notebook(str(ROOT / "notebooks/facilitator/live_retro.ipynb"), str(out),
                        parameters={"db_url": f"sqlite:///{db}"}, kernel_name="python3", progress_bar=False,
                        cwd=str(jupyter_env))
    text = out.read_text(encoding="utf-8")
    assert "application/vnd.jupyter.widget-view+json" in text and '"ename"' not in text


@pytest.mark.slow
def test_coach_notebook_runs(jupyter_env: Path) -> None:
    import papermill as pm

    from workbook.sample import generate_sample

    db = jupyter_env / "wb.db"
    store = Store(f"sqlite:///{db}")
    import_cohort(store, EXAMPLE)
    generate_sample(store, "example", weeks=2)
    out = jupyter_env / "coach.ipynb"
    pm.execute_notebook(str(ROOT / "notebooks/coach/review.ipynb"), str(out),
                        parameters={"db_url": f"sqlite:///{db}", "coach": "c02"}, kernel_name="python3",
                        progress_bar=False, cwd=str(jupyter_env))
    text = out.read_text(encoding="utf-8")
    assert "application/vnd.jupyter.widget-view+json" in text and '"ename"' not in text
