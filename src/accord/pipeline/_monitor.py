"""``accord monitor``: run what is due, keep doing so, and say where each target stands.

Every decision is derived from the store: a monitor run carries ``meta["monitor"]`` (monitor,
target, version label, release date, cycle) and a deterministic id
(``mon-<monitor>-<target>-<cycle>``), so a second ``run-due`` in the same cycle, from cron,
a person or a restarted daemon, finds the run the first one started and resumes it (the
store's shard leases let two processes share it without sending an item twice). No state file
exists to drift from the results.

After a cycle's run completes it is judged and scored as ``accord run``/``evaluate`` would,
its version label is settled (``served``: the model version most of its replies reported),
it is compared with the target's previous complete monitor run (``compare_runs`` with the
file's correction and alpha; artifact ``monitor-compare``/``baseline``) and the alert goes to
the alerts API when the file's ``alerts.on`` says so. Each step is idempotent, so a process
killed between them leaves work the next call finishes: a complete run without its
``monitor-compare`` artifact is post-processed again; undelivered alerts of each target's
latest run are retried on every call (``deliver_alert`` skips sinks already sent).
"""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from accord.aio import run_sync
from accord.errors import AccordError, ExitCode, InputError
from accord.monitor import CycleRun, MonitorFile, MonitorTarget, next_boundary, parse_cadence, plan_target, rfc3339
from accord.pipeline._spec import RunSpec, TargetEntry
from accord.store import ResultStore, RunInfo

__all__ = [
    "COMPARE_KIND",
    "MonitorPass",
    "TargetOutcome",
    "arun_due",
    "check_cadence",
    "load_monitor",
    "monitor_daemon",
    "monitor_from_data",
    "monitor_run_spec",
    "monitor_status",
    "run_due",
]

#: Artifact of a monitor run: its comparison with the baseline (name ``baseline``).
COMPARE_KIND = "monitor-compare"
ALERT_KIND = "monitor-alert"


# -- the file ------------------------------------------------------------------------------


def _error(exc: Any, *, file: str | Path | None, node: Any, prefix: tuple[Any, ...] = ()) -> InputError:
    from accord.yamlio import locate

    err = exc.errors()[0]
    loc = (*prefix, *tuple(err["loc"]))
    path = tuple(p for p in loc if isinstance(p, (str, int)))
    line = locate(node, path) if node is not None else None
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    msg = str(err["msg"]).removeprefix("Value error, ")
    return InputError(
        f"{msg}{more}", file=file, line=line, field=".".join(str(p) for p in loc) or None,
        got=err.get("input") if err["type"] not in ("missing", "model_type") else None,
    )  # fmt: skip


def monitor_from_data(data: Any, *, file: str | Path | None = None, node: Any = None) -> MonitorFile:
    """Validate parsed data as a monitor file; errors name the file, line and field.

    The monitor's own fields are ``MonitorFile``'s; each target's run-spec fields are checked
    as a run spec's ``TargetEntry`` and ``run:`` as a ``RunSpec`` (the same errors, at the
    monitor file's lines), so a monitor accepts what ``accord run -c`` accepts.
    """
    from pydantic import ValidationError

    if not isinstance(data, dict):
        raise InputError(
            "a monitor file is a mapping of fields", file=file, expected="version:, name:, cadence:, targets:, run: (docs/monitor.md)",
            got=type(data).__name__,
        )  # fmt: skip
    try:
        mon = MonitorFile.model_validate(data)
    except ValidationError as exc:
        raise _error(exc, file=file, node=node) from None
    entries: list[TargetEntry] = []
    for i, t in enumerate(mon.targets):
        try:
            entries.append(TargetEntry.model_validate(t.entry_data()))
        except ValidationError as exc:
            raise _error(exc, file=file, node=node, prefix=("targets", i)) from None
    try:
        RunSpec.model_validate({**mon.run, "targets": [entries[0].model_dump()]})
    except ValidationError as exc:
        raise _error(exc, file=file, node=node, prefix=("run",)) from None
    return mon


def load_monitor(path: str | Path) -> MonitorFile:
    """Read and validate a monitor file (YAML; the run-spec size, depth and alias limits apply)."""
    from accord.pipeline._spec import read_yaml_file

    data, node = read_yaml_file(path, "monitor file")
    return monitor_from_data(data, file=Path(path), node=node)


def monitor_run_spec(mon: MonitorFile, target: MonitorTarget, run_id: str) -> RunSpec:
    """The run spec of ``target``'s run ``run_id``: the file's ``run:`` with that one target."""
    return RunSpec.model_validate({**mon.run, "targets": [target.entry_data()], "run_id": run_id})


# -- reading the store -----------------------------------------------------------------------


def _meta(info: RunInfo) -> dict[str, Any]:
    m = info.meta.get("monitor")
    return m if isinstance(m, dict) else {}


def _cycle(info: RunInfo) -> datetime | None:
    raw = _meta(info).get("cycle")
    try:
        return datetime.fromisoformat(str(raw).replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def target_runs(store: ResultStore, mon: MonitorFile) -> dict[str, list[RunInfo]]:
    """The stored runs of each of the monitor's targets, oldest cycle first."""
    out: dict[str, list[RunInfo]] = {t.name: [] for t in mon.targets}
    for info in store.list_runs():
        m = _meta(info)
        if m.get("name") == mon.name and m.get("target") in out and _cycle(info) is not None:
            out[str(m["target"])].append(info)
    for runs in out.values():
        runs.sort(key=lambda r: (_cycle(r) or datetime.min.replace(tzinfo=UTC), r.run_id))
    return out


def _counts(store: ResultStore, info: RunInfo) -> dict[str, int]:
    return store.response_counts(info.run_id)


def run_complete(store: ResultStore, info: RunInfo) -> bool:
    """``accord run``'s reading of complete: status complete, every expected response stored,
    fewer than half of them errors."""
    if info.status != "complete":
        return False
    c = _counts(store, info)
    return c["responses"] >= info.expected_responses and c["errors"] * 2 <= max(c["responses"], 1)


def _cycle_runs(store: ResultStore, runs: list[RunInfo]) -> list[CycleRun]:
    return [CycleRun(r.run_id, _cycle(r), run_complete(store, r)) for r in runs]  # type: ignore[arg-type]


def _served_version(store: ResultStore, run_id: str) -> str | None:
    """The model version most of the run's replies reported (``None`` when none did)."""
    seen: Counter[str] = Counter(r.model_version for r in store.iter_responses(run_id) if r.model_version)
    return seen.most_common(1)[0][0] if seen else None


# -- one pass ------------------------------------------------------------------------------------


@dataclass
class TargetOutcome:
    """What one ``run-due`` pass did for one target, and where it stands."""

    target: str
    action: str  # start | resume | done | not-started | error
    cycle: str | None = None
    run_id: str | None = None
    status: str = "not-started"  # complete | incomplete | interrupted | failed | not-started | error
    version: str | None = None
    responses: int = 0
    expected: int = 0
    errors: int = 0
    baseline_run_id: str | None = None
    regression: bool | None = None  # None: nothing compared (first run, or not complete)
    compared: bool = False  # a comparison was made by this pass
    alerts: list[dict[str, Any]] = field(default_factory=list)
    superseded: list[str] = field(default_factory=list)
    missed: int = 0
    next_due: str | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class MonitorPass:
    """One ``run-due`` pass over every target."""

    monitor: str
    now: str
    targets: list[TargetOutcome]
    interrupted: bool = False
    wall_s: float = 0.0

    @property
    def regression(self) -> bool:
        """A comparison made by this pass found a regression."""
        return any(t.compared and t.regression for t in self.targets)

    @property
    def exit_code(self) -> int:
        """130 interrupted; 2 a target could not be run (bad input); 1 a regression found;
        3 a due run is still incomplete (the target unreachable or mostly errors); else 0."""
        if self.interrupted:
            return int(ExitCode.INTERRUPTED)
        if any(t.action == "error" for t in self.targets):
            return int(ExitCode.BAD_INPUT)
        if self.regression:
            return int(ExitCode.CHECK_FAILED)
        if any(t.status in ("incomplete", "failed") for t in self.targets):
            return int(ExitCode.INCOMPLETE)
        return int(ExitCode.OK)

    def to_dict(self) -> dict[str, Any]:
        return {
            "monitor": self.monitor,
            "now": self.now,
            "interrupted": self.interrupted,
            "regression": self.regression,
            "exit_code": self.exit_code,
            "wall_s": round(self.wall_s, 3),
            "targets": [t.to_dict() for t in self.targets],
        }


@contextmanager
def _keeping_signal_handlers() -> Iterator[None]:
    """The runner installs its own SIGINT/SIGTERM handlers for a run and, on removing them,
    leaves the defaults; put the caller's back (the daemon's stop flag) afterwards."""
    main = threading.current_thread() is threading.main_thread()
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)} if main else {}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            if handler is not None:
                signal.signal(sig, handler)


async def _send_alert(
    store: ResultStore, mon: MonitorFile, target: MonitorTarget, info: RunInfo, payload: dict[str, Any], *,
    signing_key: str | None, now: datetime, out: TargetOutcome,
) -> None:  # fmt: skip
    """Hand the run's alert to the alerts API when ``alerts.on`` says so (idempotent)."""
    if mon.alerts.empty:
        return
    from accord.monitor import build_alert, should_send
    from accord.pipeline._alerts import adeliver_alert as deliver_alert

    baseline = payload.get("baseline_run_id")
    baseline_version = None
    if baseline:
        b = store.get_run(str(baseline))
        baseline_version = _meta(b).get("version") if b is not None else None
    created = datetime.fromisoformat(str(payload.get("compared_at") or rfc3339(now)).replace("Z", "+00:00"))
    alert = build_alert(
        monitor=mon.name, target=target.name, version=_meta(info).get("version"), baseline_version=baseline_version,
        run_id=info.run_id, baseline_run_id=baseline, comparison=payload if baseline else None, created_at=created,
    )  # fmt: skip
    if not should_send(alert, mon.alerts.on):
        return
    try:
        deliveries = await deliver_alert(store, alert, mon.alerts, signing_key=signing_key, now=now)
    except AccordError as exc:  # e.g. no signing key: the alert stays pending, the pass goes on
        out.alerts.append({"sink": "*", "kind": "alert", "status": "failed", "detail": exc.what})
        return
    out.alerts = [{"sink": d.sink, "kind": d.kind, "status": d.status, "detail": d.detail, "alert_id": alert.alert_id} for d in deliveries]


async def _post_process(
    store: ResultStore, mon: MonitorFile, target: MonitorTarget, info: RunInfo, baseline: str | None, *,
    signing_key: str | None, out: TargetOutcome,
) -> None:  # fmt: skip
    """Judge, score, settle the version label, compare with the baseline, alert."""
    from accord.pipeline._compare import compare_runs
    from accord.pipeline._label import alabel
    from accord.pipeline._score import score

    spec = monitor_run_spec(mon, target, info.run_id)
    packs = spec.packs or None
    labels = await alabel(store, info.run_id, spec.judge)
    score(store, info.run_id, packs, judge=labels.judge_id, as_of=date.today(), allow_incomplete=True)
    meta = dict(info.meta)
    mmeta = dict(_meta(info))
    if target.served:
        mmeta["version"] = _served_version(store, info.run_id)
    if mmeta != _meta(info):
        meta["monitor"] = mmeta
        store.set_run_status(info.run_id, info.status, meta=meta)
        info = info.model_copy(update={"meta": meta})
    out.version = mmeta.get("version")
    payload: dict[str, Any]
    if baseline is None:
        payload = {"baseline_run_id": None, "regression": False, "note": "the target's first complete monitor run: nothing to compare with"}
        out.regression = None
    else:
        await alabel(store, baseline, labels.judge_id)  # a baseline labelled by another judge (the file changed)
        result = compare_runs(
            store, baseline, info.run_id, judge=labels.judge_id, packs=packs, correction=mon.compare.correction, alpha=mon.compare.alpha
        )
        payload = {**result.to_dict(), "baseline_run_id": baseline}
        out.regression = result.regression
    now = datetime.now(UTC)
    payload["compared_at"] = rfc3339(now)
    store.put_artifact(info.run_id, COMPARE_KIND, "baseline", payload)
    out.baseline_run_id = baseline
    out.compared = True
    await _send_alert(store, mon, target, info, payload, signing_key=signing_key, now=now, out=out)


async def arun_due(
    mon: MonitorFile,
    store: ResultStore,
    *,
    now: datetime | None = None,
    data_dir: str | Path | None = None,
    signing_key: str | None = None,
    progress: Any = None,
    on_start: Callable[[str, bool], None] | None = None,
) -> MonitorPass:
    """``run_due`` for callers that run an event loop."""
    from accord.pipeline._run import _storing_spec, plan_runs
    from accord.runner import execute_async

    started = time.perf_counter()
    now = (now or datetime.now(UTC)).astimezone(UTC)
    cadence = mon.cadence_s
    result = MonitorPass(monitor=mon.name, now=rfc3339(now), targets=[])
    runs_by_target = target_runs(store, mon)
    for target in mon.targets:
        runs = runs_by_target[target.name]
        cycle_runs = _cycle_runs(store, runs)
        plan = plan_target(now, monitor=mon.name, target=target.name, anchor=mon.anchor, cadence_s=cadence, runs=cycle_runs)
        out = TargetOutcome(
            target=target.name, action=plan.action, cycle=rfc3339(plan.cycle) if plan.cycle else None, run_id=plan.run_id,
            superseded=list(plan.superseded), missed=plan.missed, next_due=rfc3339(plan.next_due),
        )  # fmt: skip
        result.targets.append(out)
        try:
            # complete runs of earlier cycles a killed process left without judging or comparing
            by_id = {r.run_id: r for r in runs}
            previous: str | None = None
            for cr in sorted(cycle_runs, key=lambda c: c.cycle):
                if plan.cycle is not None and cr.cycle >= plan.cycle:
                    break
                if cr.complete:
                    if not store.get_artifacts(cr.run_id, COMPARE_KIND):
                        await _post_process(
                            store, mon, target, by_id[cr.run_id], previous, signing_key=signing_key, out=TargetOutcome(target.name, "done")
                        )
                    previous = cr.run_id
            if plan.action in ("start", "resume") and plan.run_id is not None and plan.cycle is not None:
                spec = monitor_run_spec(mon, target, plan.run_id)
                (planned,) = plan_runs(spec, data_dir=data_dir, progress=progress, on_start=on_start, retry_errors=True)
                planned.plan.meta["monitor"] = {
                    "name": mon.name, "target": target.name, "version": None if target.served else target.version,
                    "released": target.released.isoformat() if target.released else None, "cycle": rfc3339(plan.cycle),
                }  # fmt: skip
                planned.plan.on_start = _storing_spec(store, planned, on_start)
                with _keeping_signal_handlers():
                    summary = await execute_async(store, planned.plan)
                out.responses, out.expected, out.errors = summary.responses, summary.expected, summary.errors
                if summary.status == "interrupted":
                    out.status = "interrupted"
                    result.interrupted = True
                    break
                info = store.require_run(plan.run_id)
                if summary.complete and run_complete(store, info):
                    out.status = "complete"
                    out.next_due = rfc3339(next_boundary(now, mon.anchor, cadence))
                    await _post_process(store, mon, target, info, plan.previous_complete, signing_key=signing_key, out=out)
                else:
                    out.status = "running" if info.status == "running" else "incomplete"
            elif plan.action == "done" and plan.run_id is not None:
                info = store.require_run(plan.run_id)
                c = _counts(store, info)
                out.status, out.responses, out.expected, out.errors = "complete", c["responses"], info.expected_responses, c["errors"]
                if not store.get_artifacts(plan.run_id, COMPARE_KIND):
                    await _post_process(store, mon, target, info, plan.previous_complete, signing_key=signing_key, out=out)
                else:
                    await _describe_latest(store, mon, target, info, signing_key=signing_key, now=now, out=out)
            elif plan.previous_complete is not None:  # before the anchor: still retry the last alert
                await _describe_latest(
                    store, mon, target, store.require_run(plan.previous_complete), signing_key=signing_key, now=now, out=out
                )
        except AccordError as exc:
            if exc.exit_code == ExitCode.INCOMPLETE:  # the target unreachable: the run stays resumable
                out.status, out.error = "incomplete", exc.diagnostics()
            else:
                out.action, out.status, out.error = "error", "error", exc.diagnostics()
    result.wall_s = time.perf_counter() - started
    return result


async def _describe_latest(
    store: ResultStore, mon: MonitorFile, target: MonitorTarget, info: RunInfo, *, signing_key: str | None, now: datetime,
    out: TargetOutcome,
) -> None:  # fmt: skip
    """Fill in the latest compared run's verdict and re-try its alert (sinks already sent are skipped)."""
    payload = store.get_artifacts(info.run_id, COMPARE_KIND).get("baseline")
    out.version = _meta(info).get("version")
    if not payload:
        return
    out.baseline_run_id = payload.get("baseline_run_id")
    out.regression = bool(payload.get("regression")) if out.baseline_run_id else None
    await _send_alert(store, mon, target, info, payload, signing_key=signing_key, now=now, out=out)


def run_due(
    mon: MonitorFile,
    store: ResultStore,
    *,
    now: datetime | None = None,
    data_dir: str | Path | None = None,
    signing_key: str | None = None,
    progress: Any = None,
    on_start: Callable[[str, bool], None] | None = None,
) -> MonitorPass:
    """Run what is due for every target of ``mon`` (idempotent: call it as often as you like).

    For each target: the current cycle's run is started, resumed (interrupted, killed, or
    mostly errors: stored errors are sent again) or left alone (complete); once complete it is
    judged, scored, compared with the previous complete run and alerted on. Runs of earlier
    cycles that never completed are reported as superseded, never run.
    """
    return run_sync(arun_due(mon, store, now=now, data_dir=data_dir, signing_key=signing_key, progress=progress, on_start=on_start))


# -- status ----------------------------------------------------------------------------------


def monitor_status(mon: MonitorFile, store: ResultStore, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Per target: the current cycle and its run, the last complete run and its version, when
    the next run is due, the last comparison's verdict and the alerts not yet delivered."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    out: list[dict[str, Any]] = []
    runs_by_target = target_runs(store, mon)
    for target in mon.targets:
        runs = runs_by_target[target.name]
        cycle_runs = _cycle_runs(store, runs)
        plan = plan_target(now, monitor=mon.name, target=target.name, anchor=mon.anchor, cadence_s=mon.cadence_s, runs=cycle_runs)
        by_id = {r.run_id: r for r in runs}
        current = by_id.get(plan.run_id or "")
        complete = [c for c in cycle_runs if c.complete]
        last = by_id[complete[-1].run_id] if complete else None
        compared = None
        pending: list[dict[str, Any]] = []
        if last is not None:
            payload = store.get_artifacts(last.run_id, COMPARE_KIND).get("baseline")
            if payload is not None:
                compared = {
                    "baseline_run_id": payload.get("baseline_run_id"),
                    "regression": bool(payload.get("regression")) if payload.get("baseline_run_id") else None,
                    "compared_at": payload.get("compared_at"),
                }
            for name, state in store.get_artifacts(last.run_id, ALERT_KIND).items():
                if str(state.get("status")) not in ("sent", "already-sent"):
                    pending.append(
                        {"sink": name, "status": state.get("status"), "attempts": state.get("attempts"), "detail": state.get("last_error")}
                    )
        out.append(
            {
                "target": target.name,
                "cycle": rfc3339(plan.cycle) if plan.cycle else None,
                "run_id": plan.run_id,
                "run_status": (
                    "complete" if plan.action == "done" else current.status if current is not None else "not-started"
                ),
                "due": plan.action in ("start", "resume"),
                "next_due": rfc3339(plan.next_due),
                "last_complete": None if last is None else {
                    "run_id": last.run_id, "cycle": _meta(last).get("cycle"), "version": _meta(last).get("version"),
                    "released": _meta(last).get("released"),
                },
                "comparison": compared,
                "pending_alerts": pending,
                "superseded": list(plan.superseded),
                "missed": plan.missed,
                "runs": len(runs),
            }
        )  # fmt: skip
    return out


# -- the daemon --------------------------------------------------------------------------------


def _retry_s(mon: MonitorFile, poll_s: float | None) -> float:
    """How soon to try again when a due run could not finish (target down, mostly errors)."""
    return poll_s if poll_s is not None else float(min(300, max(1, mon.cadence_s // 4)))


def monitor_daemon(
    mon: MonitorFile,
    store: ResultStore,
    *,
    poll_s: float | None = None,
    data_dir: str | Path | None = None,
    signing_key: str | None = None,
    on_pass: Callable[[MonitorPass], None] | None = None,
    stop: threading.Event | None = None,
    max_passes: int | None = None,
) -> int:
    """Call ``run_due`` at every cycle boundary (or every ``poll_s`` seconds) until stopped.

    SIGTERM and SIGINT stop it: a run under way is interrupted as ``accord run`` does (finished
    responses stored, the run left resumable by the next pass or the next daemon), a pass
    judging or comparing finishes first. Returns the exit code: 130 when stopped by a signal,
    0 when ``stop`` was set otherwise or ``max_passes`` were done.
    """
    stop = stop or threading.Event()
    signalled = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        signalled.set()
        stop.set()

    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, on_signal)
    passes = 0
    while not stop.is_set():
        result = run_due(mon, store, data_dir=data_dir, signing_key=signing_key)
        passes += 1
        if on_pass is not None:
            on_pass(result)
        if result.interrupted:
            signalled.set()
            break
        if max_passes is not None and passes >= max_passes:
            break
        now = datetime.now(UTC)
        retry = timedelta(seconds=_retry_s(mon, poll_s))
        wakes = []
        for t in result.targets:
            due = datetime.fromisoformat(str(t.next_due).replace("Z", "+00:00"))
            # a due run that could not finish (target down, another process on it): try again soon
            wakes.append(now + retry if due <= now or t.status in ("incomplete", "running", "error") else due)
        wake = min(wakes)
        if poll_s is not None:
            wake = min(wake, now + timedelta(seconds=poll_s))
        stop.wait(max(0.0, (wake - datetime.now(UTC)).total_seconds()) + 0.01)
    return int(ExitCode.INTERRUPTED) if signalled.is_set() else int(ExitCode.OK)


def check_cadence(text: str) -> int:
    """``parse_cadence`` as an ``InputError`` (for flags)."""
    try:
        return parse_cadence(text)
    except ValueError as exc:
        raise InputError(str(exc), field="--poll", expected="e.g. 30s, 5m") from None
