"""The Ray executor: a run's shards and a judge's batches on a Ray cluster's workers.

Ray schedules, accord does the work: each Ray task opens the shared PostgreSQL store, and
runs accord's own async engine, which claims one shard lease at a time (the hardening
issue's leases, ``accord.runner._leases``), sends the shard, marks it finished and claims
the next until none is left. A task is long-lived (one per worker slot, not one per shard)
so the engine's connection pool, cache look-ups and target client are set up once per
worker, not once per 256 items; the lease, not the task, is the unit of work and of
recovery:

- a task whose worker process or node dies is retried by Ray (``max_retries``); its leases
  stop being renewed and expire after ``lease_s``, and any task still running takes the
  shard over; its responses already stored are skipped (``done_keys``);
- exactly-once comes from the store's keys: a retried or duplicated task, or two tasks
  racing over an expired lease, insert a response key once (the store ignores the second);
- the driver stores the run's items before it submits a task, so workers read items from
  the store (``StoredItems``) and need no suite file; the driver dying kills its tasks
  (Ray ends a job's tasks with its driver), and the same command resumes the run.

Limits are cluster-wide: one ``PermitBank`` actor per run (``accord.pipeline._permits``).
Progress is the store's response count, polled by the driver.

Judging (``label_ray``): the driver reads the unlabelled responses, cuts them into batches
and sends each to a task that loads the judge once per worker process and writes its labels;
the store's (response, judge) key keeps a retried batch from labelling twice.

``import ray`` happens only in this module, inside functions: Ray is the ``accord[ray]``
extra and without it nothing else changes.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from accord.errors import AccordError, InputError
from accord.pipeline._executor import RAY_INSTALL, Executor
from accord.pipeline._spec import SPEC_KIND, RunSpec
from accord.redact import redact_auth
from accord.runner import Counters, ProgressMode, RunSummary, StoredItems, open_run
from accord.store import ResultStore

#: Ray retries a task whose worker died this many times (its shards are leased, so a retry
#: only finishes what is left).
TASK_RETRIES = 3
#: Environment variables a driver passes on to its tasks (never a secret: API keys and
#: database passwords are set on the cluster's nodes, see docs/scale.md).
FORWARD_ENV = ("ACCORD_LEASE_S", "ACCORD_SHARD_SIZE", "ACCORD_DATA_DIR", "ACCORD_HOME")
POLL_S = 0.5


def require_ray() -> Any:
    """The ``ray`` module, or a clear error saying how to install it."""
    try:
        import ray
    except ImportError:
        raise AccordError("the Ray executor needs Ray, which is not installed", fix=f"install it: {RAY_INSTALL}") from None
    return ray


def check_store(store: ResultStore) -> str:
    """The store's URL, if workers on other machines can share it (PostgreSQL); else refuse."""
    url = str(getattr(store, "url", "") or "")
    if not url.startswith(("postgresql", "postgres")):
        raise InputError(
            "the Ray executor needs a PostgreSQL store",
            field="--db",
            expected="--db postgresql://USER@HOST/DB (or ACCORD_DB): every worker writes to it",
            got=redact_auth(url) or "the embedded SQLite file",
            fix="workers on other machines cannot share a SQLite file; use PostgreSQL, or --executor local",
        )
    return url


def connect(executor: Executor) -> Any:
    """``ray.init`` once per process (the address, else ``RAY_ADDRESS``, else a local cluster),
    forwarding ``FORWARD_ENV`` to the tasks."""
    ray = require_ray()
    if ray.is_initialized():
        return ray
    env = {k: os.environ[k] for k in FORWARD_ENV if os.environ.get(k)}
    kwargs: dict[str, Any] = {"namespace": "accord", "ignore_reinit_error": True, "log_to_driver": False}
    if env:
        kwargs["runtime_env"] = {"env_vars": env}
    address = executor.address or os.environ.get("RAY_ADDRESS")
    if address is None:
        kwargs["include_dashboard"] = False
    try:
        ray.init(address=address, **kwargs)
    except ConnectionError as exc:
        raise AccordError(
            f"cannot reach the Ray cluster at {redact_auth(str(address))}",
            why=str(exc).splitlines()[0] if str(exc) else None,
            fix="start one (`ray start --head`, then `ray start --address HEAD:6379` on each worker node) or check --executor ray:ADDRESS",
        ) from None
    return ray


def cluster_workers(ray: Any, asked: int | None) -> int:
    """Tasks to start: ``asked``, else the cluster's CPUs (at least 1)."""
    if asked:
        return asked
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


# -- runs ----------------------------------------------------------------------------------


def _store_items(store: ResultStore, run_id: str, plan: Any, page: int = 2000) -> None:
    """Write the run's items (``seq`` across its suites) unless the store has them all."""
    if store.count_items(run_id) >= sum(s.n_items for s in plan.suites):
        return
    seq = 0
    for source in plan.sources:
        chunk: list[Any] = []
        for item in source.iter_items():
            chunk.append(item)
            if len(chunk) >= page:
                store.add_items(run_id, chunk, start_seq=seq)
                seq += len(chunk)
                chunk = []
        if chunk:
            store.add_items(run_id, chunk, start_seq=seq)
            seq += len(chunk)


def run_worker(
    spec_data: dict[str, Any], run_id: str, store_url: str, data_dir: str | None, options: dict[str, Any], bank: Any
) -> dict[str, Any]:
    """One Ray task: the engine over the run's leases until no shard is left. Returns the
    worker's ``RunSummary`` fields plus where and how long it ran."""
    from accord.pipeline._permits import RemotePermits
    from accord.pipeline._run import plan_runs
    from accord.pipeline._stores import open_store
    from accord.runner import cpu_seconds, execute

    started = time.perf_counter()
    cpu0 = cpu_seconds()
    spec = RunSpec.model_validate(spec_data)
    store = open_store(store_url)
    try:
        run = store.require_run(run_id)
        sources = [StoredItems(store, run_id, run.n_items)]
        planned = plan_runs(spec, data_dir=data_dir, prepared=(sources, list(run.suites)), **options)  # type: ignore[arg-type]
        plan = planned[0].plan
        plan.run_id = run_id
        if bank is not None:
            plan.gate = RemotePermits(bank, rpm=bool(spec.engine.rpm))
            plan.config = replace(plan.config, rpm=None)  # the bank spaces requests cluster-wide
        summary = execute(store, plan)
    finally:
        store.close()
    out = summary.to_dict()
    out.update(
        host=socket.gethostname(),
        pid=os.getpid(),
        task_wall_s=round(time.perf_counter() - started, 3),
        task_cpu_s=round(cpu_seconds() - cpu0, 3),
    )
    if bank is not None:
        out["permit_wait_s"] = round(plan.gate.waited_s, 3)
        out["permit_calls"] = plan.gate.calls
    return out


def _bank(ray: Any, run_id: str, spec: RunSpec) -> Any:
    """The run's ``PermitBank`` actor (one per run id and so per target; an existing one,
    e.g. of a driver still running, is reused)."""
    from accord.pipeline._permits import PermitBank

    hold_s = spec.generation.timeout_s + 30.0
    actor = ray.remote(num_cpus=0, max_concurrency=10_000, max_restarts=-1, max_task_retries=-1)(PermitBank)
    return actor.options(name=f"accord-permits:{run_id}", get_if_exists=True).remote(spec.engine.concurrency, spec.engine.rpm, hold_s)


async def run_ray(
    planned: Sequence[Any],
    store: ResultStore,
    executor: Executor,
    *,
    data_dir: str | Path | None,
    progress: ProgressMode | bool,
    options: dict[str, Any],
) -> list[RunSummary]:
    """Every planned run (one per target) on the cluster, in turn."""
    url = check_store(store)
    ray = connect(executor)
    results: list[RunSummary] = []
    for p in planned:
        results.append(await _run_one(ray, p, store, url, data_dir, progress, options))
        if results[-1].status == "interrupted":
            break
    return results


async def _run_one(ray: Any, p: Any, store: ResultStore, url: str, data_dir: Any, progress: Any, options: dict[str, Any]) -> RunSummary:
    from accord.runner import progress_display

    started = time.perf_counter()
    run, resumed = open_run(store, p.plan)
    await asyncio.to_thread(_store_items, store, run.run_id, p.plan)
    spec: RunSpec = p.spec
    n = cluster_workers(ray, spec.engine.workers)
    bank = _bank(ray, run.run_id, spec)
    variants = len(p.plan.attacks.variants) if p.plan.attacks else 0
    expected = run.n_items * run.epochs * (1 + variants)
    before = store.response_counts(run.run_id)
    counters = Counters(total=max(0, expected - before["responses"]), skipped=before["responses"])
    task = ray.remote(run_worker).options(num_cpus=1, max_retries=TASK_RETRIES, retry_exceptions=False)
    data = spec.model_dump(mode="json")
    refs = [task.remote(data, run.run_id, url, None if data_dir is None else str(data_dir), options, bank) for _ in range(n)]
    bar = progress_display(progress, counters, label=f"run (ray, {n} workers)")
    if bar is not None:
        bar.start()
    status = "complete"
    outs: list[dict[str, Any]] = []
    failure: BaseException | None = None
    pending = list(refs)
    try:
        while pending:
            ready, pending = ray.wait(pending, num_returns=len(pending), timeout=0)
            for ref in ready:
                try:
                    outs.append(ray.get(ref))
                except Exception as exc:  # a task that failed for good (after Ray's retries)
                    failure = failure or exc
            counts = await asyncio.to_thread(store.response_counts, run.run_id)
            _update(counters, counts, before)
            if pending:
                await asyncio.sleep(POLL_S)
    except (asyncio.CancelledError, KeyboardInterrupt):
        status = "interrupted"
        for ref in pending:
            ray.cancel(ref)
    finally:
        if bar is not None:
            bar.stop()
    counts = store.response_counts(run.run_id)
    _update(counters, counts, before)
    if failure is not None and status == "complete":
        status = "failed"
    elif counts["responses"] < expected and status == "complete":
        status = "interrupted"
    meta = dict(run.meta)
    meta["executor"] = {"kind": "ray", "workers": n}
    store.set_run_status(run.run_id, status, meta=meta)
    if failure is not None:
        raise AccordError(
            "a Ray task failed after its retries",
            why=redact_auth(str(failure).strip().splitlines()[-1] if str(failure).strip() else type(failure).__name__),
            fix=f"fix the cause and run the same command (--run-id {run.run_id}) to resume",
        )
    wall = time.perf_counter() - started
    return _summary(run, resumed, status, counts, store, outs, wall, variants)


def _update(counters: Counters, counts: dict[str, int], before: dict[str, int]) -> None:
    counters.done = max(0, counts["responses"] - before["responses"])
    counters.errors = max(0, counts["errors"] - before["errors"])
    counters.blocked = max(0, counts["blocked"] - before.get("blocked", 0))
    if counters.done and counters.first_done is None:
        counters.first_done = time.monotonic()
    counters.last_done = time.monotonic()


def _summary(
    run: Any, resumed: bool, status: str, counts: dict[str, int], store: ResultStore, outs: list[dict[str, Any]], wall: float, variants: int
) -> RunSummary:
    from accord.runner import cpu_seconds

    def total(key: str) -> int:
        return sum(int(o.get(key) or 0) for o in outs)

    sent = total("sent")
    helper: dict[str, int] = {}
    for o in outs:
        for role, k in (o.get("helper_requests") or {}).items():
            helper[role] = helper.get(role, 0) + int(k)
    return RunSummary(
        run_id=run.run_id,
        items=run.n_items,
        responses=counts["responses"],
        errors=counts["errors"],
        wall_s=round(wall, 3),
        cpu_s=round(cpu_seconds() + sum(float(o.get("task_cpu_s") or 0) for o in outs), 3),
        req_per_s=round(sent / wall, 1) if wall > 0 else 0.0,
        status=status,
        resumed=resumed,
        sent=sent,
        requests=total("requests"),
        retries=total("retries"),
        cached=total("cached"),
        skipped=max(0, counts["responses"] - sent),
        blocked=counts["blocked"],
        error_kinds=store.error_counts(run.run_id),
        target=run.target,
        target_name=str(run.meta.get("target_name") or run.target),
        epochs=run.epochs,
        variants=variants,
        helper_requests=dict(sorted(helper.items())),
        executor="ray",
        workers=[_worker_line(o) for o in outs],
    )


def _worker_line(o: dict[str, Any]) -> dict[str, Any]:
    """What ``--json`` shows per task: where it ran, what it sent, how fast."""
    wall = float(o.get("task_wall_s") or 0)
    sent = int(o.get("sent") or 0)
    line = {"host": o.get("host"), "pid": o.get("pid"), "sent": sent, "requests": o.get("requests", 0), "wall_s": wall}
    line["req_per_s"] = round(sent / wall, 1) if wall > 0 else 0.0
    for key in ("permit_wait_s", "permit_calls"):
        if key in o:
            line[key] = o[key]
    return line


# -- judging --------------------------------------------------------------------------------

_JUDGES: dict[str, Any] = {}


def label_worker(
    store_url: str, run_id: str, judge_name: str, stale: list[list[Any]], batch: list[dict[str, Any]], items: list[dict[str, Any]]
) -> dict[str, Any]:
    """One Ray task: judge a batch of stored responses and write their labels. An embedded
    judge is loaded once per worker process (it takes seconds); a judge with a client to
    close (an LLM judge) is made per batch, since each batch runs on its own event loop."""
    from accord.judges import get_judge
    from accord.pipeline._label import label_batch, split_items
    from accord.pipeline._stores import open_store
    from accord.records import Item, Response

    started = time.perf_counter()
    judge = _JUDGES.get(judge_name)
    if judge is None:
        judge = get_judge(judge_name)
        if getattr(judge, "aclose", None) is None:
            _JUDGES[judge_name] = judge
    responses = [Response.model_validate(r) for r in batch]
    texts, positioned = split_items(Item.model_validate(it) for it in items)
    stale_keys = {(str(a), str(b), str(c), int(d)) for a, b, c, d in stale}

    async def go() -> tuple[int, int, int]:
        try:
            return await label_batch(store, judge, responses, texts, positioned, stale_keys)
        finally:
            close = getattr(judge, "aclose", None)
            if close is not None:
                await close()

    store = open_store(store_url)
    try:
        new, replaced, unassessed = asyncio.run(go())
    finally:
        store.close()
    wall = time.perf_counter() - started
    return {
        "new": new,
        "replaced": replaced,
        "unassessed": unassessed,
        "n": len(batch),
        "wall_s": round(wall, 3),
        "host": socket.gethostname(),
        "pid": os.getpid(),
    }


def label_ray(
    store: ResultStore,
    run_id: str,
    judge_name: str,
    executor: Executor,
    *,
    todo: list[Any],
    inputs: Callable[[list[Any]], list[dict[str, Any]]],
    stale: set[tuple[str, str, str, int]],
    batch_size: int,
    workers: int | None,
    progress: Callable[[int, int], None],
    done_before: int,
    total: int,
) -> tuple[int, int, int, list[dict[str, Any]]]:
    """Label ``todo`` on the cluster; returns (new, replaced, unassessed, per-task lines).

    At most two batches per worker are queued at a time, so a run of millions of responses
    is never all in the object store at once."""
    url = check_store(store)
    ray = connect(executor)
    n = cluster_workers(ray, workers)
    task = ray.remote(label_worker).options(num_cpus=1, max_retries=TASK_RETRIES, retry_exceptions=False)
    new = replaced = unassessed = done = 0
    lines: list[dict[str, Any]] = []
    pending: dict[Any, int] = {}
    start = 0
    while start < len(todo) or pending:
        while start < len(todo) and len(pending) < 2 * n:
            batch = todo[start : start + batch_size]
            keys = [list(k) for k in ((r.suite_id, r.item_id, r.variant_id, r.epoch) for r in batch) if k in stale]
            ref = task.remote(url, run_id, judge_name, keys, [r.model_dump(mode="json") for r in batch], inputs(batch))
            pending[ref] = len(batch)
            start += len(batch)
        ready, _ = ray.wait(list(pending), num_returns=1)
        for ref in ready:
            pending.pop(ref)
            out = ray.get(ref)
            new += out["new"]
            replaced += out["replaced"]
            unassessed += out["unassessed"]
            done += out["n"]
            lines.append(out)
            progress(done_before + done, total)
    return new, replaced, unassessed, lines


__all__ = ["SPEC_KIND", "check_store", "connect", "label_ray", "require_ray", "run_ray"]
