"""One run from start to finish: validate, create or resume the run row, drive the engine.

Everything a user can get wrong (suites, target spec, replay file, API key, a resume that
does not match the stored run) is checked *before* the run row is created and before any
request is sent, so bad input never leaves a half-written run behind.

Ctrl-C (SIGINT) and SIGTERM are handled alike: stop the workers, write every finished
response, release this process's shard leases, mark the run ``interrupted`` and return (the
CLI exits 130 for both); the same command with the same ``--run-id`` resumes, skipping
stored keys. A ``kill -9`` loses at most the unwritten batch (≤ ``batch_size`` responses or
``flush_interval_s`` of work, 0.5 s by default), which the resume sends again; the store's
insert-once keys make that safe. Its leases expire after ``lease_s`` (``ACCORD_LEASE_S``,
30 s by default), after which another process (or the resume) takes its shards over.

``--retry-errors`` (``EngineConfig.retry_errors``) re-sends, on resume, the keys whose stored
response is an error; a success replaces the error (the store keeps the old attempt).
"""

from __future__ import annotations

import asyncio
import resource
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from accord import __version__
from accord.attacks import AttackPlan
from accord.errors import AccordError, StoreError
from accord.records import NO_VARIANT, AttackJudge, utcnow
from accord.runner._cache import params_for_key
from accord.runner._engine import Engine, EngineConfig, error_text
from accord.runner._ids import new_run_id
from accord.runner._leases import DEFAULT_SHARD_SIZE, Leases, env_number, supports_leases
from accord.runner._progress import Counters, ProgressMode, progress_display
from accord.runner._sources import SuiteSource
from accord.runner._writer import BatchWriter
from accord.store import ResultStore, RunInfo, SuiteRef
from accord.targets import GenParams, Target


@dataclass
class RunSummary:
    """What ``accord run --json`` prints (first seven fields), plus detail for people."""

    run_id: str
    items: int
    responses: int
    errors: int
    wall_s: float
    cpu_s: float
    req_per_s: float
    status: str = "complete"
    resumed: bool = False
    sent: int = 0  # responses produced by this invocation (cached ones included)
    requests: int = 0  # requests sent by this invocation, retries included
    retries: int = 0
    cached: int = 0
    skipped: int = 0
    blocked: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    target: str = ""  # the target spec as typed
    target_name: str = ""  # its display name (the run spec's, else the provider's)
    epochs: int = 1
    #: The most frequent distinct error texts (``kind: message``) with their counts, top 5.
    error_messages: dict[str, int] = field(default_factory=dict)
    #: A one-line hint when the server queued or throttled requests (``None`` otherwise).
    advice: str | None = None
    #: The adaptive in-flight limit at the end (``None`` when adaptation is off).
    in_flight_limit: int | None = None
    retried_errors: int = 0  # stored errors sent again (``--retry-errors``)
    #: Attack variants each item is sent as besides the plain item (issue 19).
    variants: int = 0
    #: Requests sent to helper targets (``attacker``, ``translator``), retries included:
    #: extra requests an attack costs, reported apart from the target's.
    helper_requests: dict[str, int] = field(default_factory=dict)
    #: ``local`` or ``ray``; under Ray, one line per task (host, pid, sent, wall_s, req_per_s).
    executor: str = "local"
    workers: list[dict[str, Any]] = field(default_factory=list)

    @property
    def expected(self) -> int:
        """Responses a complete run holds: items x epochs x (the plain item + each variant)."""
        return (self.items * self.epochs if self.epochs else self.items) * (1 + self.variants)

    @property
    def complete(self) -> bool:
        """Every expected response is stored and fewer than half of them are errors."""
        return self.status == "complete" and self.responses >= self.expected and self.errors * 2 <= max(self.responses, 1)

    def to_dict(self) -> dict[str, Any]:
        """Everything, for ``accord run --json`` and the Python API."""
        return {**asdict(self), "expected": self.expected, "complete": self.complete}

    def json_line(self) -> dict[str, Any]:
        keys = ("run_id", "items", "responses", "errors", "wall_s", "cpu_s", "req_per_s")
        data = asdict(self)
        return {k: data[k] for k in keys}


def cpu_seconds() -> float:
    """User + system CPU of this process so far (interpreter start-up included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def process_age_s() -> float | None:
    """Seconds since this process started (Linux ``/proc``), so ``wall_s`` counts start-up too."""
    try:
        import os

        with open("/proc/self/stat") as fh:
            start_ticks = int(fh.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as fh:
            uptime = float(fh.read().split()[0])
        return max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return None


def scan_suites(sources: Sequence[SuiteSource], names: Sequence[str] | None = None) -> list[SuiteRef]:
    """Validate every suite fully (one streaming pass each) and return their refs.

    Two suites with the same id would make their keys collide, so that is refused here.
    """
    refs: list[SuiteRef] = []
    seen: dict[str, str] = {}
    for i, source in enumerate(sources):
        name = names[i] if names else source.suite_id
        if source.suite_id in seen:
            raise AccordError(
                f"two --suite arguments load the same suite id '{source.suite_id}' ({seen[source.suite_id]} and {name})",
                fix="pass each suite once",
            )
        seen[source.suite_id] = name
        n, digest = source.scan()
        if n == 0:
            raise AccordError(f"suite '{name}' has no items", fix="check the file or the --map column mapping")
        refs.append(SuiteRef(suite_id=source.suite_id, digest=digest, n_items=n, source=str(name)))
    return refs


@dataclass
class RunPlan:
    target: Target
    sources: Sequence[SuiteSource]
    suites: list[SuiteRef]
    params: GenParams = field(default_factory=GenParams)
    epochs: int = 1
    config: EngineConfig = field(default_factory=EngineConfig)
    run_id: str | None = None
    #: ``"bar"`` (a terminal), ``"lines"`` (a line every few seconds, for logs and CI),
    #: ``None`` (silent). ``True``/``False`` are accepted as bar/none for older callers.
    progress: ProgressMode | bool = None
    batch_size: int = 200
    flush_interval_s: float = 0.5
    on_start: Any = None  # callable(run_id, resumed) -> None, e.g. to print the id
    #: Kept in the run row's ``meta`` at creation, e.g. ``{"target_name": ...}``.
    meta: dict[str, Any] = field(default_factory=dict)
    #: Attack variants sent besides each plain item (``accord.attacks.plan_attacks``), the helper
    #: targets they need (``attacker``, ``translator``) and the judge strategies consult.
    attacks: AttackPlan | None = None
    helpers: dict[str, Target] = field(default_factory=dict)
    attack_judge: AttackJudge | None = None
    #: A limit shared with other processes (``Engine.gate``): the Ray executor's permits.
    gate: Any = None


def _run_info(plan: RunPlan, run_id: str, target_digest: str) -> RunInfo:
    now = utcnow()
    cfg = plan.config
    return RunInfo(
        run_id=run_id,
        created_at=now,
        updated_at=now,
        status="running",
        target=plan.target.spec.raw,
        target_digest=target_digest,
        suites=plan.suites,
        params={
            "generation": params_for_key(plan.params),
            "timeout_s": plan.params.timeout_s,
            "concurrency": cfg.concurrency,
            "rpm": cfg.rpm,
            "max_retries": cfg.max_retries,
            "cache": cfg.use_cache,
            "reuse_cache_max_age_s": cfg.reuse_cache_max_age_s,
            "shard_size": int(env_number("ACCORD_SHARD_SIZE", cfg.shard_size)),
            **_attack_params(plan),
        },
        epochs=plan.epochs,
        n_items=sum(s.n_items for s in plan.suites),
        accord_version=__version__,
        meta=dict(plan.meta),
    )


def _attack_params(plan: RunPlan) -> dict[str, Any]:
    """What the run row records of its attacks: the plan, the helpers' specs, the judge."""
    if not plan.attacks:
        return {}
    helpers = {role: t.spec.raw for role, t in sorted(plan.helpers.items())}
    judge = getattr(plan.attack_judge, "judge_id", None)
    return {"attacks": plan.attacks.to_params(), "attack_helpers": {**helpers, **({"judge": judge} if judge else {})}}


def _check_resume(existing: RunInfo | None, new: RunInfo) -> None:
    if existing is None:
        return
    if existing.params.get("attacks") != new.params.get("attacks"):
        raise StoreError(
            f"run '{new.run_id}' exists with other attacks",
            why="a run's variants are fixed when it starts: resuming with other --attack values would mix two campaigns",
            fix="resume with the same --attack values, or use a new --run-id",
        )
    if existing.params.get("attack_helpers") != new.params.get("attack_helpers"):
        raise StoreError(
            f"run '{new.run_id}' exists with another attacker, translator or attack judge",
            why=f"stored {existing.params.get('attack_helpers')}, asked {new.params.get('attack_helpers')}: one run would mix two",
            fix="resume with the same --attacker/--translator/--attack-judge, or use a new --run-id",
        )
    old_gen = existing.params.get("generation")
    if old_gen is not None and old_gen != new.params["generation"]:
        raise StoreError(
            f"run '{new.run_id}' exists with different generation parameters",
            why=f"stored {old_gen}, asked {new.params['generation']}",
            fix="use a new --run-id, or the same --temperature/--max-tokens to resume",
        )


def execute(store: ResultStore, plan: RunPlan) -> RunSummary:
    """Create or resume the run and drive it to the end (or to Ctrl-C). Blocking.

    Works inside a running event loop too (a notebook cell): the run then goes on a worker
    thread with its own loop (``accord.aio.run_sync``).
    """
    from accord.aio import run_sync

    return run_sync(execute_async(store, plan))


async def execute_async(store: ResultStore, plan: RunPlan) -> RunSummary:
    """``execute`` for callers that already run an event loop (the server, ``await accord.aevaluate``)."""
    run, resumed = open_run(store, plan)
    return await _drive(store, plan, run, resumed)


def open_run(store: ResultStore, plan: RunPlan) -> tuple[RunInfo, bool]:
    """Check ``plan`` against a stored run of the same id, create or resume its row, call
    ``plan.on_start``. The first half of ``execute_async``, also used by a driver that hands
    the run to other processes (the Ray executor) and does not send a request itself."""
    if plan.epochs < 1:
        raise AccordError("--epochs must be at least 1")
    if plan.config.concurrency < 1:
        raise AccordError("--concurrency must be at least 1")
    run_id = plan.run_id or new_run_id()
    info = _run_info(plan, run_id, plan.target.digest())
    _check_resume(store.get_run(run_id), info)
    run, resumed = store.create_or_resume_run(info)
    if plan.on_start is not None:
        plan.on_start(run_id, resumed)
    return run, resumed


async def _drive(store: ResultStore, plan: RunPlan, run: RunInfo, resumed: bool) -> RunSummary:
    loop = asyncio.get_running_loop()
    counters = Counters()
    cfg = plan.config
    retry = cfg.retry_errors and resumed
    if retry and not callable(getattr(store, "errored_keys", None)):
        raise AccordError("this store cannot retry stored errors", fix="upgrade accord, or run without --retry-errors")
    writer = BatchWriter(store, run.run_id, batch_size=plan.batch_size, interval_s=plan.flush_interval_s, replace_errors=retry)
    variant_ids = {NO_VARIANT} | ({v.variant_id for v in plan.attacks.variants} if plan.attacks else set())
    done_keys: set[tuple[str, str, str, int]] = set()
    retry_keys: set[tuple[str, str, str, int]] = set()
    store_items = True
    if resumed:
        done_keys = await writer.db(store.done_keys, run.run_id)
        store_items = (await writer.db(store.count_items, run.run_id)) < run.n_items
        if retry:
            errored = await writer.db(store.errored_keys, run.run_id)  # type: ignore[attr-defined]
            retry_keys = {k for k in errored if k[2] in variant_ids and k[3] < plan.epochs}
    plain_done = sum(1 for k in done_keys if k[2] in variant_ids and k[3] < plan.epochs)
    counters.skipped = max(0, plain_done - len(retry_keys))
    counters.total = max(0, run.n_items * plan.epochs * len(variant_ids) - counters.skipped)
    leases = None
    if supports_leases(store):
        shard_size = int(run.params.get("shard_size") or DEFAULT_SHARD_SIZE)
        lease_s = env_number("ACCORD_LEASE_S", cfg.lease_s)
        leases = Leases(store, run.run_id, n_items=run.n_items, shard_size=shard_size, lease_s=lease_s)
    engine = Engine(
        target=plan.target,
        target_digest=run.target_digest,
        writer=writer,
        run_id=run.run_id,
        sources=plan.sources,
        epochs=plan.epochs,
        params=plan.params,
        config=cfg,
        counters=counters,
        done_keys=done_keys,
        store_items=store_items,
        leases=leases,
        retry_keys=retry_keys,
        n_items=run.n_items,
        attacks=plan.attacks,
        helpers=plan.helpers,
        attack_judge=plan.attack_judge,
        gate=plan.gate,
    )
    bar = progress_display(plan.progress, counters, label="run")
    task = loop.create_task(engine.run())
    interrupted = False

    def stop(signum: int) -> None:
        nonlocal interrupted
        if not interrupted:
            interrupted = True
            task.cancel()
            loop.remove_signal_handler(signum)  # a second Ctrl-C stops at once

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop, sig)
        except (NotImplementedError, RuntimeError):  # not the main thread, or not POSIX
            pass
    started = time.perf_counter()
    status = "complete"
    if bar is not None:
        bar.start()
    try:
        await task
    except asyncio.CancelledError:
        if not interrupted:
            raise
        status = "interrupted"
    except BaseException:
        status = "failed"
        raise
    finally:
        engine_wall = time.perf_counter() - started
        if bar is not None:
            bar.stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.remove_signal_handler(sig)
            except (NotImplementedError, RuntimeError):
                pass
        try:
            await plan.target.aclose()
            for helper in plan.helpers.values():
                if helper is not plan.target:
                    await helper.aclose()
        finally:
            meta = dict(run.meta)
            served = plan.target.digest()
            if served != run.target_digest:
                meta["served_digest"] = served
            if engine.model_versions:
                meta["model_versions"] = sorted(engine.model_versions)[:50]
            try:
                peers = 0
                if leases is not None:
                    await leases.release()  # our unfinished shards are free again at once
                    if status != "complete":
                        peers = await leases.live_owners()
                if not peers:  # processes still working on this run set its status when they end
                    await writer.db(lambda: store.set_run_status(run.run_id, status, meta=meta))
            except Exception:
                if status != "failed":
                    raise  # otherwise keep the error that failed the run, not this one
            finally:
                writer.shutdown()
                if leases is not None:
                    leases.shutdown()
    counts = store.response_counts(run.run_id)
    age = process_age_s()
    return RunSummary(
        run_id=run.run_id,
        items=run.n_items,
        responses=counts["responses"],
        errors=counts["errors"],
        wall_s=round(age if age is not None else engine_wall, 3),
        cpu_s=round(cpu_seconds(), 3),
        req_per_s=round(counters.done / engine_wall, 1) if engine_wall > 0 else 0.0,
        status=status,
        resumed=resumed,
        sent=counters.done,
        requests=counters.requests,
        retries=max(0, counters.retries),
        cached=counters.cached,
        skipped=max(0, counters.skipped),
        blocked=counts["blocked"],
        error_kinds=store.error_counts(run.run_id),
        target=run.target,
        target_name=str(run.meta.get("target_name") or run.target),
        epochs=run.epochs,
        error_messages=_error_messages(store, run.run_id, engine, counts["errors"]),
        advice=congestion_advice(engine, plan.params.timeout_s, cfg.concurrency),
        in_flight_limit=engine.window.limit if engine.window is not None else None,
        retried_errors=len(retry_keys),
        variants=len(variant_ids) - 1,
        helper_requests=dict(sorted(engine.helper_requests.items())),
    )


def _error_messages(store: ResultStore, run_id: str, engine: Engine, stored_errors: int, top: int = 5) -> dict[str, int]:
    """The ``top`` most frequent error texts of the run's stored errors.

    This invocation's errors are tallied as they happen; when the store holds others
    (an earlier invocation's, another process's), the stored errors are read instead.
    """
    from collections import Counter

    tally = engine.error_messages
    if stored_errors and sum(tally.values()) != stored_errors:
        tally = Counter(error_text(r) for r in store.iter_responses(run_id) if r.error_kind is not None)
    elif not stored_errors:
        return {}
    return dict(tally.most_common(top))


def congestion_advice(engine: Engine, timeout_s: float, concurrency: int) -> str | None:
    """A one-line hint when the server queued requests (slow replies, time-outs, 429s)."""
    p50 = engine.p50_latency()
    slow = p50 is not None and p50 > 0.5 * timeout_s
    if not (slow or engine.timeouts or engine.rate_limited):
        return None
    parts = []
    if p50 is not None:
        parts.append(f"latency p50 {p50:.2g} s of a {timeout_s:g} s timeout")
    if engine.timeouts:
        parts.append(f"{engine.timeouts} timed out")
    if engine.rate_limited:
        parts.append(f"{engine.rate_limited} rate-limited (429)")
    window = engine.window
    suggest = min(window.limit, engine.sustainable()) if window is not None else concurrency
    if slow:
        suggest = min(suggest, max(1, concurrency // 2))
    suggest = max(1, min(suggest, concurrency))
    adapted = ""
    if window is not None and window.decreases:
        adapted = f"; accord lowered its requests in flight to as few as {window.lowest} (of {concurrency})"
    return f"the server queued or throttled requests: {', '.join(parts)}{adapted}; try --concurrency {suggest}"


def print_start(run_id: str, resumed: bool) -> None:
    verb = "resuming" if resumed else "run id"
    print(f"{verb}: {run_id}   (resume after an interruption with --run-id {run_id})", file=sys.stderr, flush=True)
