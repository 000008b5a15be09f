"""Many writers on one SQLite file: nothing lost, no "database is locked"."""
from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

import pytest

from workbook import Store, import_cohort

from .conftest import EXAMPLE

WRITERS = 8
PER_WRITER = 40


def _writer(url: str, person: str, out: "mp.Queue[str]") -> None:
    try:
        store = Store(url)
        for i in range(PER_WRITER):
            store.add_entry("example", person, "mentorship-checkin", {"wins": [f"win {i}"], "mood": 3},
                            client_id=f"{person}-{i}")
            if i % 10 == 0:  # readers interleave with writers, as Voila kernels do
                store.find_entries("example", author_id=person)
        out.put("ok")
    except Exception as exc:  # report, don't hang the parent
        out.put(f"{type(exc).__name__}: {exc}")


@pytest.mark.slow
def test_eight_processes_write_to_one_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    import_cohort(Store(url), EXAMPLE)
    ctx = mp.get_context("spawn")
    out: "mp.Queue[str]" = ctx.Queue()
    people = [f"p{i:02d}" for i in range(1, WRITERS + 1)]
    procs = [ctx.Process(target=_writer, args=(url, p, out)) for p in people]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    assert results == ["ok"] * WRITERS
    assert Store(url).count_entries() == WRITERS * PER_WRITER
