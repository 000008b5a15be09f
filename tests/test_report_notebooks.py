"""Each report template runs under ``pytest --nbval-lax`` with its default parameters."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from workbook import Store, import_cohort
from workbook.sample import generate_sample

from .conftest import EXAMPLE, ROOT

TEMPLATES = sorted((ROOT / "src" / "workbook" / "notebooks" / "reports").glob("*.ipynb"))


@pytest.mark.slow
def test_templates_run_with_default_parameters(tmp_path: Path) -> None:
    """The defaults (cohort "example", first participant / mentee, db from $WORKBOOK_DB_URL) work."""
    assert [p.stem for p in TEMPLATES] == ["cohort", "mentee", "participant"]
    db = tmp_path / "wb.db"
    store = Store(f"sqlite:///{db}")
    import_cohort(store, EXAMPLE)
    generate_sample(store, "example", weeks=3)
    store.close()
    env = dict(os.environ, WORKBOOK_DB_URL=str(db), MPLBACKEND="Agg", IPYTHONDIR=str(tmp_path / "ipython"),
               MPLCONFIGDIR=str(tmp_path / "mpl"), JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
                           "--nbval-cell-timeout=120", *map(str, TEMPLATES)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout
