"""When a monitor's runs are due: cadence -> cycles, and what to do in the current one.

A monitor's time is cut into **cycles** ``[anchor + k*cadence, anchor + (k+1)*cadence)``; each
target gets at most one run per cycle, with a deterministic id
(``mon-<monitor>-<target>-<YYYYMMDDTHHMMZ of the cycle start>``), so a second ``run-due`` in
the same cycle finds the run the first one started and resumes it instead of starting another.
Nothing is remembered outside the store: what is due follows from the clock and the stored runs.

Only the **current** cycle is ever run. A cycle whose run is missing when it is over is
*missed* (there is no use in evaluating yesterday's model today); a stored run of an earlier
cycle that never completed is *superseded* by the current one and never run again alongside it.

Pure: the pipeline (``accord.pipeline._monitor``) reads the store and the clock.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

__all__ = [
    "EPOCH",
    "MAX_CADENCE_S",
    "MIN_CADENCE_S",
    "Action",
    "CycleRun",
    "TargetPlan",
    "cycle_index",
    "cycle_start",
    "format_cycle",
    "monitor_run_id",
    "next_boundary",
    "parse_cadence",
    "plan_target",
    "rfc3339",
]

#: The default anchor: cycles of 24h start at midnight UTC, of 1h on the hour.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: Shortest cadence accepted (tests use a few seconds; a real monitor runs hourly or daily).
MIN_CADENCE_S = 1
#: Longest cadence accepted: a year and a day.
MAX_CADENCE_S = 366 * 86400

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 7 * 86400.0}

Action = Literal["start", "resume", "done", "not-started"]
"""What the current cycle needs: ``start`` its run, ``resume`` an incomplete one, nothing
(``done``), or nothing yet (``not-started``: the clock is before the anchor)."""


def parse_cadence(text: str | int | float) -> int:
    """``90s``, ``30m``, ``24h``, ``7d``, ``2w`` (or plain seconds) -> whole seconds.

    The grammar of ``--reuse-cache`` ages (``accord.runner.parse_age``), plus weeks; a cadence
    must be a whole number of seconds between ``MIN_CADENCE_S`` and ``MAX_CADENCE_S`` so that
    cycle boundaries, and the run ids made from them, are exact.
    """
    if isinstance(text, bool):
        raise ValueError(f"not a cadence: {text!r} (use e.g. 30m, 24h, 7d)")
    raw = str(text).strip().lower()
    try:
        value = float(raw[:-1]) * _UNITS[raw[-1]] if raw and raw[-1] in _UNITS else float(raw)
    except ValueError:
        raise ValueError(f"not a cadence: {str(text)[:40]!r} (use e.g. 90s, 30m, 24h, 7d)") from None
    if not math.isfinite(value) or value != int(value):
        raise ValueError(f"a cadence is a whole number of seconds, got {str(text)[:40]!r}")
    seconds = int(value)
    if not MIN_CADENCE_S <= seconds <= MAX_CADENCE_S:
        raise ValueError(f"a cadence is between {MIN_CADENCE_S}s and {MAX_CADENCE_S // 86400}d, got {str(text)[:40]!r}")
    return seconds


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("a time without a time zone is ambiguous: give it in UTC (…Z)")
    return moment.astimezone(UTC)


def cycle_index(now: datetime, anchor: datetime, cadence_s: int) -> int | None:
    """The index ``k`` of the cycle ``now`` falls in; ``None`` before the anchor.

    Exact (``timedelta`` arithmetic in microseconds): a ``now`` on a boundary belongs to the
    cycle that starts there.
    """
    delta = _utc(now) - _utc(anchor)
    if delta < timedelta(0):
        return None
    return delta // timedelta(seconds=cadence_s)


def cycle_start(now: datetime, anchor: datetime, cadence_s: int) -> datetime | None:
    """Start of the cycle ``now`` falls in (UTC); ``None`` before the anchor."""
    k = cycle_index(now, anchor, cadence_s)
    return None if k is None else _utc(anchor) + k * timedelta(seconds=cadence_s)


def next_boundary(now: datetime, anchor: datetime, cadence_s: int) -> datetime:
    """The next cycle start strictly after ``now`` (the anchor itself when ``now`` is before it)."""
    k = cycle_index(now, anchor, cadence_s)
    if k is None:
        return _utc(anchor)
    return _utc(anchor) + (k + 1) * timedelta(seconds=cadence_s)


def _with_seconds(anchor: datetime, cadence_s: int) -> bool:
    """Whether this monitor's cycle starts can fall inside a minute (a cadence or anchor not
    on whole minutes): their run ids then carry seconds too, or two cycles would share one."""
    a = _utc(anchor)
    return cadence_s % 60 != 0 or a.second != 0 or a.microsecond != 0


def format_cycle(start: datetime, *, seconds: bool = False) -> str:
    """``YYYYMMDDTHHMMZ`` (``YYYYMMDDTHHMMSSZ`` with ``seconds``): the cycle part of a run id."""
    s = _utc(start)
    return s.strftime("%Y%m%dT%H%M%SZ" if seconds else "%Y%m%dT%H%MZ")


def rfc3339(moment: datetime) -> str:
    """``2026-12-07T00:00:00Z``: how ``meta["monitor"]["cycle"]`` records a cycle start."""
    return _utc(moment).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def monitor_run_id(monitor: str, target: str, start: datetime, *, anchor: datetime = EPOCH, cadence_s: int = 86400) -> str:
    """``mon-<monitor>-<target>-<YYYYMMDDTHHMMZ>``: the one run of ``target`` in the cycle
    starting at ``start``. Seconds are added (``…THHMMSSZ``) only for monitors whose cycles
    can start inside a minute."""
    return f"mon-{monitor}-{target}-{format_cycle(start, seconds=_with_seconds(anchor, cadence_s))}"


@dataclass(frozen=True)
class CycleRun:
    """A stored run of one monitor target, as the schedule sees it."""

    run_id: str
    cycle: datetime
    complete: bool


@dataclass(frozen=True)
class TargetPlan:
    """What one target needs now: the current cycle, its run id and the action."""

    action: Action
    cycle: datetime | None
    run_id: str | None
    next_due: datetime
    #: Stored runs of earlier cycles that never completed: superseded, never run again.
    superseded: tuple[str, ...] = field(default_factory=tuple)
    #: Cycles since the last stored run (before the current one) that have no run at all.
    missed: int = 0
    #: The latest complete run before the current cycle (the baseline a new run is compared with).
    previous_complete: str | None = None


def plan_target(
    now: datetime,
    *,
    monitor: str,
    target: str,
    anchor: datetime,
    cadence_s: int,
    runs: Sequence[CycleRun],
) -> TargetPlan:
    """Decide what ``target`` needs at ``now`` from its stored runs (any order)."""
    now = _utc(now)
    start = cycle_start(now, anchor, cadence_s)
    nxt = next_boundary(now, anchor, cadence_s)
    earlier = sorted((r for r in runs if start is None or r.cycle < start), key=lambda r: r.cycle)
    superseded = tuple(r.run_id for r in earlier if not r.complete)
    previous = next((r.run_id for r in reversed(earlier) if r.complete), None)
    if start is None:
        return TargetPlan("not-started", None, None, nxt, superseded, 0, previous)
    run_id = monitor_run_id(monitor, target, start, anchor=anchor, cadence_s=cadence_s)
    missed = 0
    if earlier:
        last = earlier[-1].cycle
        k_last = cycle_index(last, anchor, cadence_s)
        k_now = cycle_index(start, anchor, cadence_s)
        if k_last is not None and k_now is not None:
            missed = max(0, k_now - k_last - 1)
    current = [r for r in runs if r.cycle == start or r.run_id == run_id]
    if not current:
        return TargetPlan("start", start, run_id, start, superseded, missed, previous)
    if any(r.complete for r in current):
        return TargetPlan("done", start, run_id, nxt, superseded, missed, previous)
    return TargetPlan("resume", start, run_id, start, superseded, missed, previous)
