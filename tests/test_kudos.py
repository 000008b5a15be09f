"""Kudos: who may give them to whom, who sees them, the wall, the receiver's notice."""
from __future__ import annotations

import pytest

from workbook import AccessDenied, Store, ValidationError, home, kudos
from workbook.access import Viewer

from .conftest import dump

P01, P02, P03 = (Viewer(p, "example", "participant") for p in ("p01", "p02", "p03"))


def test_give_kudos_shared_or_private(example: Store) -> None:
    shared = kudos.give_kudos(example, P01, "p02", "Thanks for the SQL help", shared_with_cohort=True)
    private = kudos.give_kudos(example, P03, "p02", "You listened well today", shared_with_cohort=False)
    assert (shared.visibility, private.visibility) == ("cohort", "receiver")
    assert [k.id for k in kudos.kudos_received(example, P02)] == [private.id, shared.id]  # newest first
    wall = [k.id for k in kudos.kudos_wall(example, P03)]
    assert wall == [shared.id]  # only those shared with the cohort
    assert [k.id for k in kudos.kudos_wall(example, Viewer("c01", "example", "coach"))] == [shared.id]
    assert [k.id for k in kudos.kudos_given(example, P03)] == [private.id]
    # the receiver is told, by name of the giver and without the message
    told = home.notices(example, P02)
    assert [n.kind for n in told] == ["kudos", "kudos"] and "gave you kudos" in told[0].text
    assert all("SQL" not in n.text for n in told)


@pytest.mark.parametrize("to_id, message, field", [
    ("p01", "Thanks me", "to"),             # to yourself
    ("nobody", "Thanks", "to"),             # not in the cohort
    ("p02", "", "message"),                 # empty
    ("p02", "   \n", "message"),
    ("p02", "x" * (kudos.MESSAGE_LIMIT + 1), "message"),
    ("p02", "Thanks\x1b[2J", "message"),
])
def test_bad_kudos_are_refused_and_change_nothing(example: Store, to_id: str, message: str, field: str) -> None:
    before = dump(example)
    with pytest.raises(ValidationError) as exc:
        kudos.give_kudos(example, P01, to_id, message, shared_with_cohort=True)
    assert field in {p.field for p in exc.value.problems}
    assert dump(example) == before


def test_kudos_to_another_cohort_or_from_outside(example: Store) -> None:
    example.save_cohort(type(example.get_cohort("example"))(id="other", name="Other", timezone="UTC"))
    with pytest.raises(ValidationError, match="not sent"):
        kudos.give_kudos(example, P01, "zz", "Thanks", shared_with_cohort=True)
    with pytest.raises(AccessDenied):
        kudos.give_kudos(example, Viewer("p01", "other", "participant"), "p02", "Thanks", shared_with_cohort=True)


def test_receivers_report_shows_kudos_by_audience(example: Store) -> None:
    from workbook.reports.views.participant import ParticipantReport

    kudos.give_kudos(example, P01, "p02", "WALL-thanks", shared_with_cohort=True)
    kudos.give_kudos(example, P03, "p02", "PRIVATE-thanks", shared_with_cohort=False)
    own = ParticipantReport.load(example, "example", "p02", viewer=P02).kudos().html
    assert "WALL-thanks" in own and "PRIVATE-thanks" in own
    batch = ParticipantReport.load(example, "example", "p02").kudos().html  # the facilitator's file
    assert "WALL-thanks" in batch and "PRIVATE-thanks" not in batch and "1 more kudos message only for them" in batch
