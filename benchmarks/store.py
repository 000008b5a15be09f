"""Store benchmark: our indexed, batched paths against a naive baseline measured in the same run.

For each backend (SQLite file, PostgreSQL):
1. insert throughput: 100k entries through ``Store.add_entries`` (validated, batched) against
   row-by-row INSERTs with a commit each into an unindexed table (measured on a sample, reported per row);
2. one person's journal out of 1M entries: ``Store.find_entries`` (index on cohort, author, time)
   against ``pandas.read_sql`` of the same query over the unindexed table;
3. a cohort-wide weekly participation aggregate: ``Store.weekly_participation`` (grouped in SQL)
   against ``pandas.read_sql`` of every row and a groupby in pandas.

Usage: python benchmarks/store.py [--entries 1000000] [--insert 100000] [--skip-postgres]
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from workbook import Store, import_cohort
from workbook.store import EntryDraft, Membership
from workbook.store.schema import entries

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
START = dt.datetime(2025, 1, 6, tzinfo=dt.timezone.utc)
NAIVE = sa.Table("naive_entries", sa.MetaData(), *[sa.Column(c.name, c.type) for c in entries.columns])


def timed(fn, repeat: int = 5) -> float:
    """Median seconds of ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def drafts(n: int, people: list[str], rng: random.Random) -> list[EntryDraft]:
    span = 365 * 24 * 3600
    return [EntryDraft(rng.choice(people), "mentorship-checkin",
                       {"wins": [f"win {i}"], "goal_progress": "steady progress on my goals", "mood": rng.randint(1, 5)},
                       rng.choice(["private", "coach", "cohort"]), created_at=START + dt.timedelta(seconds=rng.randrange(span)))
            for i in range(n)]


def bulk_fill(store: Store, total: int, people: list[str], rng: random.Random) -> None:
    """Grow the entries table to ``total`` rows fast (setup, not measured): copies of a template row."""
    with store._read() as conn:
        template = dict(conn.execute(sa.select(entries).limit(1)).one()._mapping)
    have = store.count_entries()
    span = 365 * 24 * 3600
    template.pop("id")
    batch = 20_000
    while have < total:
        n = min(batch, total - have)
        rows = [dict(template, author_id=rng.choice(people), client_id=None, mood=rng.randint(1, 5),
                     created_at=START + dt.timedelta(seconds=rng.randrange(span))) for _ in range(n)]
        for r in rows:
            r["updated_at"] = r["created_at"]
        with store._write() as conn:
            conn.execute(entries.insert(), rows)
        have += n


def copy_to_naive(store: Store) -> None:
    cols = ", ".join(c.name for c in entries.columns)
    with store._write() as conn:
        NAIVE.drop(conn, checkfirst=True)
        NAIVE.create(conn)
        conn.exec_driver_sql(f"INSERT INTO naive_entries ({cols}) SELECT {cols} FROM entries")


def run_backend(label: str, url: str, n_entries: int, n_insert: int) -> list[tuple[str, float, float]]:
    rng = random.Random(42)
    store = Store(url)
    import_cohort(store, ROOT / "cohorts" / "example")
    # A large programme: 2,000 participants, so one journal is a small slice of the table.
    extra = [Membership("example", f"x{i:05d}", f"Person {i}", f"x{i}@example.org", "participant")
             for i in range(2000)]
    with store._write() as conn:
        store.save_members("example", extra, conn)
    people = [m.person_id for m in store.find_members("example")]
    results: list[tuple[str, float, float]] = []

    # 1. inserts
    batch = drafts(n_insert, people, rng)
    t = time.perf_counter()
    for i in range(0, len(batch), 5000):
        store.add_entries("example", batch[i:i + 5000])
    ours = (time.perf_counter() - t) / n_insert
    with store._write() as conn:
        NAIVE.create(conn, checkfirst=True)
    sample = [dict(cohort_id="example", author_id=d.author_id, exercise_id=d.exercise_id, kind="checkin",
                   snapshot_id=1, session_id=None, visibility=d.visibility, answers=dict(d.answers), mood=3,
                   client_id=None, revision=1, created_at=d.created_at,
                   updated_at=d.created_at) for d in batch[:min(5000, n_insert)]]
    t = time.perf_counter()
    for i, row in enumerate(sample):
        with store.engine.begin() as conn:  # row by row, one commit each
            conn.execute(NAIVE.insert().values(id=10_000_000 + i, **row))
    naive = (time.perf_counter() - t) / len(sample)
    results.append((f"insert, per entry ({n_insert:,} batched vs {len(sample):,} row by row)", ours, naive))

    # 2. + 3. on a big table
    bulk_fill(store, n_entries, people, rng)
    copy_to_naive(store)
    with store._write() as conn:
        conn.exec_driver_sql("ANALYZE")
    who = "x00007"
    ours = timed(lambda: store.find_entries("example", author_id=who))
    naive = timed(lambda: pd.read_sql(sa.select(NAIVE).where((NAIVE.c.cohort_id == "example")
                                                             & (NAIVE.c.author_id == who))
                                      .order_by(NAIVE.c.created_at.desc()), store.engine), repeat=3)
    results.append((f"one person's journal out of {n_entries:,}", ours, naive))

    def naive_weekly() -> pd.DataFrame:
        frame = pd.read_sql(sa.select(NAIVE.c.author_id, NAIVE.c.created_at).where(NAIVE.c.cohort_id == "example"),
                            store.engine)
        local = pd.to_datetime(frame["created_at"], utc=True).dt.tz_convert("Europe/London")
        frame["week"] = (local.dt.normalize() - pd.to_timedelta(local.dt.day_of_week, unit="D"))
        return frame.groupby("week").agg(entries=("author_id", "size"), authors=("author_id", "nunique"))

    ours_frame = store.weekly_participation("example")
    check = naive_weekly()
    assert int(ours_frame["entries"].sum()) == int(check["entries"].sum()), "aggregates disagree"
    ours = timed(lambda: store.weekly_participation("example"), repeat=3)
    naive = timed(naive_weekly, repeat=2)
    results.append((f"weekly participation over {n_entries:,}", ours, naive))
    store.close()
    print(f"\n{label}")
    print(f"{'measure':<62} {'workbook':>12} {'naive':>12} {'speed-up':>9}")
    for name, a, b in results:
        print(f"{name:<62} {a * 1000:>10.3f}ms {b * 1000:>10.3f}ms {b / a:>8.1f}x")
    return results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entries", type=int, default=1_000_000)
    ap.add_argument("--insert", type=int, default=100_000)
    ap.add_argument("--skip-postgres", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run_backend("SQLite (file, WAL)", f"sqlite:///{tmp}/bench.db", args.entries, args.insert)
    if not args.skip_postgres:
        admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        name = f"wb_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as c:
            c.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            run_backend("PostgreSQL", PG_ADMIN.rsplit("/", 1)[0] + "/" + name, args.entries, args.insert)
        finally:
            with admin.connect() as c:
                c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
