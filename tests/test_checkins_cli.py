"""`workbook checkins`, `workbook people` (who is paired with whom) and `workbook goals`."""
from __future__ import annotations

import datetime as dt
import json

from click.testing import CliRunner, Result

from workbook import Store
from workbook.access import Viewer
from workbook.cli import main
from workbook.mentoring import submit_pulse


def run(store: Store, *args: str) -> Result:
    return CliRunner().invoke(main, ["--db", store.url, *args])


def test_people_shows_the_pairs_in_force(example: Store) -> None:
    out = run(example, "people", "example").stdout
    p01 = next(line for line in out.splitlines() if line.startswith("p01 "))
    assert "paired with: coach Daniel Reyes (c01)" in p01
    c01 = next(line for line in out.splitlines() if line.startswith("c01 "))
    assert "mentee Lucía Fernández (p01)" in c01
    # `match --apply` pairings show, replacing the roster's coach
    example.replace_pairings("example", [("c02", "p01", 1.0, ["matched"])])
    out = run(example, "people", "example").stdout
    p01 = next(line for line in out.splitlines() if line.startswith("p01 "))
    assert "coach Ingrid Solberg (c02)" in p01 and "c01" not in p01


def test_checkins_lists_pairs_overdue_first_and_flags_a_bad_fit(example: Store) -> None:
    r = run(example, "checkins", "example")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].split()[:2] == ["status", "overdue"]
    assert all(line.startswith("too early to tell") for line in lines[1:])  # pairs made today
    assert run(example, "checkins", "example", "--overdue").stdout == "No pairs overdue.\n"
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=40)
    example.add_entry("example", "p02", "mentorship-checkin", {"mood": 3}, visibility="coach", created_at=old)
    example.add_entry("example", "p01", "mentorship-checkin", {"mood": 3}, visibility="coach")
    submit_pulse(example, Viewer("p01", "example", "participant"), "not a good fit")
    data = json.loads(run(example, "checkins", "example", "--format", "json").stdout)
    p01 = next(d for d in data if d["mentee_id"] == "p01")
    assert p01["fit"] == "not a good fit" and p01["status"] == "at risk"
    out = run(example, "checkins", "example").stdout
    assert "** not a good fit **" in out and "1 pair(s) flagged" in out


def test_checkins_bad_cohort_is_one_line(example: Store) -> None:
    r = run(example, "checkins", "nope")
    assert r.exit_code == 1 and r.stderr.startswith("Error: cohort 'nope' not found") and r.stderr.count("\n") == 1


def test_goals_command(example: Store) -> None:
    assert run(example, "goals", "example").stdout == "No goals yet.\n"
    from workbook import goals
    goals.create_goal(example, Viewer("p01", "example", "participant"), "p01", "Speak up", measure="Weekly",
                      target_date=dt.date.today() + dt.timedelta(days=30))
    out = run(example, "goals", "example", "--person", "p01").stdout
    assert "Speak up" in out and "proposed" in out and "measure: Weekly" in out
