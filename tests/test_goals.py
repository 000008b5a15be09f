"""Goals in SMART form: who may set, agree, edit and close them; bad input changes nothing."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from workbook import AccessDenied, Store, ValidationError, access, goals, milestones
from workbook.access import Viewer

from .conftest import dump

P01, P02 = Viewer("p01", "example", "participant"), Viewer("p02", "example", "participant")
C01, C02 = Viewer("c01", "example", "coach"), Viewer("c02", "example", "coach")
F01 = Viewer("f01", "example", "facilitator")
SOON = dt.date.today() + dt.timedelta(days=60)


def test_owner_proposes_and_the_coach_agrees(example: Store) -> None:
    g = goals.create_goal(example, P01, "p01", "Speak up in meetings", measure="Once a week", target_date=SOON)
    assert (g.status, g.title, g.measure, g.target_date, g.proposed_by, g.agreed_at) == (
        "proposed", "Speak up in meetings", "Once a week", SOON, "p01", None)
    with pytest.raises(AccessDenied):
        goals.agree_goal(example, P01, g.id)  # not the side that proposed it
    with pytest.raises(AccessDenied):
        goals.agree_goal(example, C02, g.id)  # not their coach
    agreed = goals.agree_goal(example, C01, g.id)
    assert agreed.status == "agreed" and agreed.agreed_at is not None
    # both sides (and a facilitator) see the same status
    assert [x.status for x in goals.goals_of(example, C01, "p01")] == ["agreed"]
    assert [x.status for x in goals.goals_of(example, P01, "p01")] == ["agreed"]
    assert [x.id for x in goals.goals_of(example, F01, "p01")] == [g.id]


def test_coach_proposes_and_the_mentee_agrees(example: Store) -> None:
    g = goals.create_goal(example, C01, "p01", "Run a retro", measure="One retro run end to end", target_date=SOON)
    assert g.proposed_by == "c01" and g.status == "proposed"
    with pytest.raises(AccessDenied):
        goals.agree_goal(example, C01, g.id)
    assert goals.agree_goal(example, P01, g.id).status == "agreed"
    # an edit of an agreed goal is a new proposal by whoever changed it
    edited = goals.edit_goal(example, C01, g.id, measure="Two retros")
    assert (edited.status, edited.measure, edited.proposed_by, edited.agreed_at) == ("proposed", "Two retros",
                                                                                     "c01", None)
    assert goals.agree_goal(example, P01, g.id).status == "agreed"


def test_who_may_see_and_set_goals(example: Store) -> None:
    goals.create_goal(example, P01, "p01", "Mine", measure="m", target_date=SOON)
    for outsider in (P02, C02):
        with pytest.raises(AccessDenied):
            goals.goals_of(example, outsider, "p01")
        with pytest.raises(AccessDenied):
            goals.create_goal(example, outsider, "p01", "Theirs", measure="m", target_date=SOON)
    assert goals.create_goal(example, F01, "p01", "From facilitator", measure="m", target_date=SOON).proposed_by == "f01"
    with pytest.raises(AccessDenied):
        goals.goals_of(example, Viewer("p01", "other", "participant"), "p01")


@pytest.mark.parametrize("what, measure, target, field", [
    ("", "m", SOON, "what"),
    ("   ", "m", SOON, "what"),
    ("x" * 301, "m", SOON, "what"),
    ("Goal", "", SOON, "measure"),
    ("Goal", "m", dt.date(2020, 1, 1), "target_date"),
    ("Goal", "m", None, "target_date"),
])
def test_bad_goals_are_refused_and_nothing_changes(example: Store, what: str, measure: str, target: dt.date,
                                                   field: str) -> None:
    before = dump(example)
    with pytest.raises(ValidationError) as exc:
        goals.create_goal(example, P01, "p01", what, measure=measure, target_date=target)  # type: ignore[arg-type]
    assert field in {p.field for p in exc.value.problems}
    assert dump(example) == before


def test_past_target_date_message_is_clear(example: Store) -> None:
    with pytest.raises(ValidationError, match="goal was not saved") as exc:
        goals.create_goal(example, P01, "p01", "Goal", measure="m", target_date=dt.date(2020, 1, 1))
    assert "2020-01-01 is in the past" in str(exc.value.problems[0])


def test_reached_and_dropped(example: Store) -> None:
    g = goals.create_goal(example, P01, "p01", "Ship it", measure="Released", target_date=SOON)
    with pytest.raises(ValidationError):
        goals.set_goal_status(example, P01, g.id, "finished")
    with pytest.raises(AccessDenied):
        goals.set_goal_status(example, P02, g.id, "reached")
    reached = goals.set_goal_status(example, C01, g.id, "reached")
    assert reached.status == "reached" and reached.progress == 100
    assert [m.rule for m in milestones.milestones_of(example, P01, "p01")] == [f"goal-reached:{g.id}"]
    with pytest.raises(ValidationError, match="closed"):
        goals.edit_goal(example, P01, g.id, what="Ship it again")
    other = goals.create_goal(example, P01, "p01", "Other", measure="m", target_date=SOON)
    assert goals.set_goal_status(example, P01, other.id, "dropped").status == "dropped"


def test_progress_in_a_checkin_reaches_a_goal(example: Store) -> None:
    g = goals.create_goal(example, P01, "p01", "Learn SQL", measure="A query a day", target_date=SOON)
    goals.agree_goal(example, C01, g.id)
    assert access.record_progress(example, P01, g.id, 40).status == "agreed"
    assert access.record_progress(example, P01, g.id, 100).status == "reached"
    assert any(m.rule == f"goal-reached:{g.id}" for m in example.find_milestones("example", "p01"))
    assert access.record_progress(example, P01, g.id, 90).status == "agreed"  # taken back
    assert [h.progress for h in example.goal_history([g.id])] == [40, 100, 90]


def test_migration_0005_reads_old_goals_and_roster_coaches(tmp_path: Path) -> None:
    """Goals of 0.1 ("open"/"done") read as agreed/reached; the roster's coaches are pairs in force."""
    from workbook import mentoring

    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = Store(url, check_version=False)
    old.upgrade("0004_retro_live")
    now = dt.datetime(2026, 1, 5)
    with old.engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO cohorts VALUES ('old', 'Old', 'UTC', 5, 'coach', '{}', ?, ?)", (now, now))
        for pid in ("c1", "p1"):
            conn.exec_driver_sql("INSERT INTO people VALUES (?, ?, ?, ?, ?)", (pid, pid.upper(), f"{pid}@x.org",
                                                                              now, now))
        conn.exec_driver_sql(
            "INSERT INTO memberships (cohort_id, person_id, role, coach_id, skills, aspirations, timezone, languages, "
            "capacity, manager, active, created_at, updated_at) VALUES "
            "('old', 'c1', 'coach', NULL, '[]', '[]', 'UTC', '[]', 2, '', 1, ?, ?), "
            "('old', 'p1', 'participant', 'c1', '[]', '[]', 'UTC', '[]', 0, '', 1, ?, ?)", (now, now, now, now))
        for title, status in (("Open one", "open"), ("Done one", "done")):
            conn.exec_driver_sql("INSERT INTO goals (cohort_id, person_id, title, target_date, progress, status, "
                                 "created_at, updated_at) VALUES ('old', 'p1', ?, NULL, 0, ?, ?, ?)",
                                 (title, status, now, now))
    old.upgrade()
    old.close()
    s = Store(url)
    assert [(g.title, g.status, g.proposed_by) for g in s.find_goals("old")] == [
        ("Open one", "agreed", "p1"), ("Done one", "reached", "p1")]
    [pair] = mentoring.pairs_in_force(s, "old")
    assert (pair.coach_id, pair.mentee_id, pair.status) == ("c1", "p1", "roster")
    assert pair.created_at == now.replace(tzinfo=dt.timezone.utc)  # paired since the membership was made
    s.close()
