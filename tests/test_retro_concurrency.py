"""Votes cast at the same moment from several processes never overspend a budget or a cap (both databases)."""
from __future__ import annotations

import multiprocessing as mp

import pytest

from workbook import Store, ValidationError, import_cohort, retro
from workbook.access import Viewer

from .conftest import EXAMPLE

FAC = Viewer("f01", "example", "facilitator")
PROCESSES = 6


def _voter(url: str, voter: str, targets: list[int], barrier: "mp.synchronize.Barrier",
           results: "mp.Queue[tuple[str, int]]") -> None:
    store = Store(url)
    viewer = Viewer(voter, "example", "participant")
    barrier.wait()
    for card_id in targets:
        try:
            retro.vote(store, viewer, card_id=card_id)
            results.put(("ok", card_id))
        except ValidationError as exc:
            results.put(("refused", card_id) if "vote" in str(exc) else ("other", card_id))
        except Exception as exc:  # a database error would be a failure of the design
            results.put((f"error {type(exc).__name__}: {exc}", card_id))
    store.close()


def _run(url: str, plans: list[tuple[str, list[int]]]) -> list[tuple[str, int]]:
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(len(plans))
    results: mp.Queue[tuple[str, int]] = ctx.Queue()
    procs = [ctx.Process(target=_voter, args=(url, voter, targets, barrier, results)) for voter, targets in plans]
    for p in procs:
        p.start()
    expected = sum(len(t) for _, t in plans)
    out = [results.get(timeout=120) for _ in range(expected)]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    return out


@pytest.mark.parametrize("cap", [1, 2])
def test_concurrent_votes_of_one_voter_never_overspend(store: Store, cap: int) -> None:
    import_cohort(store, EXAMPLE)
    s = retro.open_session(store, FAC, "start-stop-continue", settings={"votes_per_person": 3, "cap_per_card": cap})
    cards = [retro.add_card(store, Viewer(f"p0{i}", "example", "participant"), s.id, "start", f"card {i}")
             for i in range(1, 6)]
    retro.set_phase(store, FAC, s.id, "vote")
    url = store.url
    store.close()
    # The same voter in six processes at once, each trying every card twice (60 attempts, budget 3),
    # plus a second voter racing on the same cards (budget 3 of their own).
    plans = [("p09", cards * 2) for _ in range(PROCESSES - 1)] + [("p08", cards)]
    out = _run(url, plans)
    errors = [r for r in out if r[0] not in ("ok", "refused")]
    assert errors == []
    again = Store(url)
    try:
        votes = again.find_votes(s.id)
        for voter in ("p09", "p08"):
            mine = [v for v in votes if v.voter_id == voter]
            assert len(mine) == 3, voter
            assert sorted(v.slot for v in mine) == [1, 2, 3]
            per_card: dict[int, int] = {}
            for v in mine:
                per_card[v.card_id] = per_card.get(v.card_id, 0) + 1
            assert max(per_card.values()) <= cap
        assert sum(1 for r in out if r[0] == "ok") == 6
    finally:
        again.close()
