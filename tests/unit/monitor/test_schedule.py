"""Cycles and what is due: boundaries, missed cycles, a clock before the anchor (issue 23)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from accord.monitor import CycleRun, cycle_start, monitor_run_id, next_boundary, parse_cadence, plan_target

A = datetime(2026, 1, 1, tzinfo=UTC)
DAY = 86400


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("30m", 1800), ("24h", DAY), ("7d", 7 * DAY), ("2w", 14 * DAY), ("3600", 3600), (" 1.5h ", 5400), ("2s", 2)],
)
def test_cadences_parse_to_whole_seconds(text: str, seconds: int) -> None:
    assert parse_cadence(text) == seconds


@pytest.mark.parametrize("bad", ["", "0s", "-5m", "1.5s", "soon", "nan", "inf", "400d", "1e9"])
def test_bad_cadences_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="cadence"):
        parse_cadence(bad)


def test_a_time_on_a_boundary_belongs_to_the_cycle_starting_there() -> None:
    on = A + timedelta(days=3)
    assert cycle_start(on, A, DAY) == on
    assert cycle_start(on - timedelta(microseconds=1), A, DAY) == A + timedelta(days=2)
    assert next_boundary(on, A, DAY) == on + timedelta(days=1)


def test_before_the_anchor_nothing_is_due_until_the_anchor() -> None:
    early = A - timedelta(hours=1)
    assert cycle_start(early, A, DAY) is None and next_boundary(early, A, DAY) == A
    plan = plan_target(early, monitor="m", target="t", anchor=A, cadence_s=DAY, runs=[])
    assert plan.action == "not-started" and plan.run_id is None and plan.next_due == A


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        cycle_start(datetime(2026, 1, 2), A, DAY)


def test_run_ids_carry_seconds_only_when_cycles_can_start_inside_a_minute() -> None:
    assert monitor_run_id("nightly", "prod", A + timedelta(days=2), anchor=A, cadence_s=DAY) == "mon-nightly-prod-20260103T0000Z"
    assert monitor_run_id("m", "t", A + timedelta(seconds=4), anchor=A, cadence_s=2) == "mon-m-t-20260101T000004Z"
    # two 30 s cycles in one minute never share an id
    ids = {monitor_run_id("m", "t", A + timedelta(seconds=30 * k), anchor=A, cadence_s=30) for k in range(4)}
    assert len(ids) == 4


def test_start_resume_done_superseded_and_missed() -> None:
    now = A + timedelta(days=5, hours=3)
    cur = A + timedelta(days=5)
    rid = monitor_run_id("m", "t", cur, anchor=A, cadence_s=DAY)
    old_ok = CycleRun("r1", A + timedelta(days=1), True)
    old_bad = CycleRun("r2", A + timedelta(days=2), False)  # killed, never finished
    plan = plan_target(now, monitor="m", target="t", anchor=A, cadence_s=DAY, runs=[old_bad, old_ok])
    assert (plan.action, plan.run_id, plan.cycle, plan.next_due) == ("start", rid, cur, cur)
    assert plan.superseded == ("r2",) and plan.previous_complete == "r1"
    assert plan.missed == 2  # days 3 and 4 have no run at all

    resume = plan_target(now, monitor="m", target="t", anchor=A, cadence_s=DAY, runs=[old_ok, CycleRun(rid, cur, False)])
    assert resume.action == "resume" and resume.run_id == rid and resume.missed == 3
    done = plan_target(now, monitor="m", target="t", anchor=A, cadence_s=DAY, runs=[old_ok, CycleRun(rid, cur, True)])
    assert done.action == "done" and done.next_due == cur + timedelta(days=1) and done.previous_complete == "r1"


def test_first_cycle_has_no_baseline_and_nothing_missed() -> None:
    plan = plan_target(A, monitor="m", target="t", anchor=A, cadence_s=DAY, runs=[])
    assert plan.action == "start" and plan.previous_complete is None and plan.missed == 0 and plan.superseded == ()
