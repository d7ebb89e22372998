"""The async engine: a fixed pool of workers draining a lazily fed queue.

One feeder task walks the suites' items lazily (never holding a suite), skips keys already
stored, answers what the response cache may answer (``reusable``: this run's own entries, and
other runs' only when ``reuse_cache_max_age_s`` allows), and puts the rest on a bounded queue; exactly
``concurrency`` worker tasks take units from it (no task per item, so memory and scheduling
cost do not grow with the suite). A worker retries retryable ``TargetError``s with full-jitter
backoff (``Retry-After`` as a floor) up to ``max_retries`` times; a request that still fails
becomes a stored ``Response`` with ``error_kind`` set, never a dropped key and never a
refusal. Finished responses go to the ``BatchWriter``.

With shard leases (``accord.runner._leases``) the feeder claims one shard of the run at a
time instead of walking every item, so processes sharing a run id take disjoint items; a
shard is marked finished by the writer once its last response is stored. After the last
shard, a sweep sends whatever the store still lacks (and, with ``--retry-errors``, stored
errors in shards finished earlier).

An ``AdaptiveLimit`` (AIMD) keeps the requests in flight at what the server sustains: it
halves on a time-out or 429 and grows back by one per window of successes, never above
``concurrency``. A server that queues requests (llama.cpp serves one at a time) would
otherwise turn ``--concurrency 64`` into time-outs that include the time spent queued.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import time
from collections import Counter, deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from accord.attacks import AttackFailed, AttackPlan, AttackTrace, VariantPlan
from accord.errors import AccordError, ExitCode
from accord.records import NO_VARIANT, AttackJudge, ErrorKind, Item, JudgeScore, Message, Response
from accord.runner._attacking import HelperFailed, UnitContext, run_variant
from accord.runner._backoff import backoff_delay
from accord.runner._cache import cache_key, completion_to_cache, params_for_key, parse_time, reusable
from accord.runner._leases import Leases
from accord.runner._limiter import AdaptiveLimit, RateLimiter
from accord.runner._progress import Counters
from accord.runner._sources import SuiteSource
from accord.runner._writer import BatchWriter
from accord.targets import Completion, GenParams, RequestContext, Target, TargetError

KeyTuple = tuple[str, str, str, int]
#: item, epoch, cache key, shard (-1: not leased), variant (None: the plain item), the messages
#: to send (None: the item's own, or a rewrite/strategy variant that makes them in the worker)
Unit = tuple[Item, int, "str | None", int, "VariantPlan | None", "tuple[Message, ...] | None"]

#: Error kinds that say "the server is over-full": the adaptive limit halves on them.
CONGESTION_KINDS = frozenset({ErrorKind.timeout, ErrorKind.rate_limited})


@dataclass(frozen=True)
class EngineConfig:
    concurrency: int = 16
    rpm: float | None = None
    max_retries: int = 5
    use_cache: bool = True
    chunk: int = 200  # items read, stored and looked up in the cache at a time
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 30.0
    timeout_grace_s: float = 1.0  # the runner's own guard, beyond the provider's time-out
    unreachable_after: int = 10  # stop when this many items (or all, if fewer) failed to connect/authenticate before any success
    adaptive: bool = True  # AIMD in-flight limit on time-outs/429s (never above ``concurrency``)
    shard_size: int = 256  # items per shard lease (a new run stores it; a resume uses the stored one)
    lease_s: float = 30.0  # a shard lease expires this long after its last heartbeat
    retry_errors: bool = False  # on resume, send stored errors again; a success replaces the error
    #: Reuse answers cached by *other* runs when at most this old (``--reuse-cache``); None:
    #: never (the default: the model behind a URL and alias may have changed since).
    reuse_cache_max_age_s: float | None = None


class Gate(Protocol):
    """A limit on requests shared by several engines (``accord.pipeline._permits``)."""

    async def acquire(self) -> Any: ...
    def release(self, permit: Any) -> None: ...


# Failures that say "this target cannot be reached at all" rather than "this item failed".
UNREACHABLE_KINDS = frozenset({ErrorKind.connection, ErrorKind.auth})


@dataclass(frozen=True)
class Failed:
    """A request that still failed after the retries: the last error, attempts, seconds spent."""

    error: TargetError
    attempts: int
    latency: float
    role: str = "target"


class TargetUnreachableError(AccordError):
    """Raised when a run's first requests all fail to connect or authenticate.

    Storing those as per-item errors would mark them done, so a resume would never retry
    them; instead they are dropped and the run stops, resumable once the target is fixed.
    """

    exit_code = ExitCode.INCOMPLETE


def error_text(response: Response) -> str:
    """How an error is counted in ``RunSummary.error_messages``: kind and message, shortened."""
    kind = response.error_kind.value if response.error_kind is not None else "error"
    text = " ".join((response.error or "").split())
    return f"{kind}: {text[:200]}{'...' if len(text) > 200 else ''}"


class Engine:
    def __init__(
        self,
        *,
        target: Target,
        target_digest: str,
        writer: BatchWriter,
        run_id: str,
        sources: Sequence[SuiteSource],
        epochs: int,
        params: GenParams,
        config: EngineConfig,
        counters: Counters,
        done_keys: set[KeyTuple] | frozenset[KeyTuple] = frozenset(),
        store_items: bool = True,
        seed: int | None = None,
        leases: Leases | None = None,
        retry_keys: set[KeyTuple] | None = None,
        n_items: int | None = None,
        attacks: AttackPlan | None = None,
        helpers: dict[str, Target] | None = None,
        attack_judge: AttackJudge | None = None,
        gate: Gate | None = None,
    ) -> None:
        self.target = target
        #: A limit shared with other processes (the Ray executor's cluster-wide permits):
        #: every attempt to the target holds one of its permits, taken outside the time-out.
        self.gate = gate
        self.target_digest = target_digest
        self.writer = writer
        self.run_id = run_id
        self.sources = sources
        self.epochs = epochs
        self.params = params
        self.config = config
        self.counters = counters
        #: Stored errors still to re-attempt (``--retry-errors``); a key leaves it when sent.
        self.retry_keys: set[KeyTuple] = set(retry_keys or ())
        self.done_keys = set(done_keys) - self.retry_keys if self.retry_keys else done_keys
        self.store_items = store_items
        self.leases = leases
        self.n_items = n_items
        #: The attack variants every item is sent as, besides the plain item (issue 19).
        self.variants: tuple[VariantPlan, ...] = attacks.variants if attacks else ()
        self.helpers: dict[str, Target] = dict(helpers or {})
        self.attack_judge = attack_judge
        self.helper_requests: Counter[str] = Counter()  # role -> requests sent to a helper (retries included)
        self.use_cache = config.use_cache and getattr(target, "cache", True)
        self.limiter = RateLimiter(config.rpm) if config.rpm else None
        self.window = AdaptiveLimit(config.concurrency) if config.adaptive else None
        self.rng = random.Random(seed)
        self._key_params = params_for_key(params)
        self._queue: asyncio.Queue[Unit | None] = asyncio.Queue(maxsize=max(2, 2 * config.concurrency))
        self.model_versions: set[str] = set()
        self._succeeded = False
        self._held: list[tuple[Response, int]] = []  # unreachable-kind failures before any success
        # what the run's end reports: distinct error texts, latencies, congestion signals
        self.error_messages: Counter[str] = Counter()
        self.latencies: deque[float] = deque(maxlen=4096)
        self._ok_at: deque[float] = deque(maxlen=4096)  # when recent successes ended (perf_counter)
        self._began = time.perf_counter()
        self.timeouts = 0
        self.rate_limited = 0
        # shard bookkeeping: units not yet handed to the writer, per shard (+1 while dispatching)
        self._open: dict[int, int] = {}
        # shards claimed and not yet marked finished in the store: until then our lease must
        # stand (releasing it would let a peer claim a shard whose answers are still queued)
        self._unfinished: set[int] = set()
        self._shard_done = asyncio.Event()
        self._cursor: Iterator[tuple[int, Item]] | None = None
        self._cursor_next = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self.swept = False
        self._active = 0  # units on the queue or with a worker

    # -- feeding -----------------------------------------------------------------------
    def _plan(self) -> Iterator[tuple[int, Item]]:
        seq = 0
        for source in self.sources:
            for item in source.iter_items():
                yield seq, item
                seq += 1

    async def _feed(self) -> None:
        if self.leases is not None:
            await self._feed_shards(self.leases)
        if not self._held:
            await self._sweep()
        for _ in range(self.config.concurrency):
            await self._queue.put(None)

    async def _sweep(self) -> None:
        """Walk every item and send what is not stored yet.

        Without leases this is the whole run. With leases it runs once every shard is
        finished and no process holds a lease, and only if the store still lacks responses
        (rows deleted by hand, a run stored before leases) or ``--retry-errors`` has stored
        errors left in shards finished earlier; then ``done_keys`` is read again first.
        """
        if self.leases is not None:
            store = self.writer.store
            counts = await self.writer.db(store.response_counts, self.run_id)
            expected = (self.n_items or 0) * self.epochs * (1 + len(self.variants))
            retry: set[KeyTuple] = set()
            if self.retry_keys:
                retry = self.retry_keys & set(await self.writer.db(store.errored_keys, self.run_id))  # type: ignore[attr-defined]
            if counts["responses"] >= expected and not retry:
                return
            done = await self.writer.db(store.done_keys, self.run_id)
            self.done_keys = done - retry if retry else done
            self.retry_keys = retry
            self.store_items = (await self.writer.db(store.count_items, self.run_id)) < (self.n_items or 0)
        self.swept = True
        chunk: list[tuple[int, Item]] = []
        for pair in self._plan():
            chunk.append(pair)
            if len(chunk) >= self.config.chunk:
                await self._dispatch(chunk, -1)
                chunk = []
        if chunk:
            await self._dispatch(chunk, -1)

    async def _feed_shards(self, leases: Leases) -> None:
        """Claim shards until none is left; wait for live peers, taking over a dead one's."""
        poll_s = max(0.05, min(1.0, leases.lease_s / 3))
        snapshot_at = time.monotonic()
        while True:
            shard = await leases.claim()
            if shard is None:
                if self._held and not self._active:
                    return  # only unreachable-kind failures left open: the run stops (drive)
                if self._unfinished:  # ours still in progress (or being written): wait for one
                    self._shard_done.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._shard_done.wait(), timeout=poll_s)
                    continue
                # our shards are all finished: drop their leases (finished ones count as
                # live until they expire) so that only peers with work left count
                await leases.release()
                if await leases.live_owners() == 0:
                    return
                await asyncio.sleep(poll_s)  # peers hold the rest: take over any that expires
                continue
            if self.done_keys and time.monotonic() - snapshot_at > leases.lease_s / 2:
                # a shard taken over from a dead process: its last writes may postdate our
                # snapshot of stored keys (they all predate its lease's expiry by > lease_s/2)
                self.done_keys = await self.writer.db(self.writer.store.done_keys, self.run_id)
                if self.retry_keys:
                    self.done_keys = self.done_keys - self.retry_keys
                snapshot_at = time.monotonic()
            await self._run_shard(leases, shard)

    async def _shard_items(self, lo: int, hi: int) -> list[tuple[int, Item]]:
        """Items with ``lo <= seq < hi``, read on from where the last shard ended."""
        if self._cursor is None or self._cursor_next > lo:
            self._cursor, self._cursor_next = self._plan(), 0
        out: list[tuple[int, Item]] = []
        skipped = 0
        while self._cursor_next < hi:
            pair = next(self._cursor, None)
            if pair is None:
                break
            self._cursor_next = pair[0] + 1
            if pair[0] >= lo:
                out.append(pair)
            else:
                skipped += 1
                if skipped % 1000 == 0:
                    await asyncio.sleep(0)  # never hold the event loop for a long walk
        return out

    async def _run_shard(self, leases: Leases, shard: int) -> None:
        lo, hi = leases.bounds(shard)
        pairs = await self._shard_items(lo, hi)
        self._open[shard] = 1  # held open while its units are being dispatched
        self._unfinished.add(shard)  # until the store has marked it finished
        step = self.config.chunk
        for i in range(0, len(pairs), step):
            await self._dispatch(pairs[i : i + step], shard)
        self._settle(shard)

    def _settle(self, shard: int) -> None:
        """One unit of ``shard`` is with the writer; the last one queues the shard's finish."""
        left = self._open[shard] - 1
        self._open[shard] = left
        if left == 0:
            del self._open[shard]
            leases = self.leases
            assert leases is not None and self._loop is not None
            loop = self._loop

            def finish() -> None:
                leases.finish(shard)
                loop.call_soon_threadsafe(self._finished, shard)

            self.writer.add_action(finish)

    def _finished(self, shard: int) -> None:
        self._unfinished.discard(shard)
        self._shard_done.set()

    def _units(self, chunk: list[tuple[int, Item]]) -> list[tuple[Item, int, VariantPlan | None]]:
        """The (item, epoch, variant) units of ``chunk`` not stored yet: the plain item, then each variant."""
        done = self.done_keys
        if not self.variants:
            return [
                (item, epoch, None)
                for _, item in chunk
                for epoch in range(self.epochs)
                if not done or (item.suite_id, item.item_id, NO_VARIANT, epoch) not in done
            ]
        plans: tuple[VariantPlan | None, ...] = (None, *self.variants)
        return [
            (item, epoch, plan)
            for _, item in chunk
            for plan in plans
            for epoch in range(self.epochs)
            if not done or (item.suite_id, item.item_id, plan.variant_id if plan else NO_VARIANT, epoch) not in done
        ]

    def _local_messages(self, item: Item, epoch: int, shard: int, plan: VariantPlan) -> tuple[Message, ...] | None:
        """A transform variant's messages; a transform that fails stores the unit as an error."""
        try:
            return plan.apply_local(item)
        except Exception as exc:  # an attack's bug or a text it cannot handle: recorded, never skipped
            why = str(exc) if isinstance(exc, AttackFailed) else f"{type(exc).__name__}: {exc}"
            kind = exc.kind if isinstance(exc, AttackFailed) else ErrorKind.internal
            error = TargetError(kind, f"attack {plan.attack}: {why}"[:2000])
            self._fail(item, epoch, shard, error, attempts=0, latency=0.0, plan=plan, messages=item.messages)
            return None

    async def _dispatch(self, chunk: list[tuple[int, Item]], shard: int) -> None:
        if self.store_items:
            self.writer.add_items(chunk[0][0], [item for _, item in chunk])
        units = self._units(chunk)
        if not units:
            return
        if self.retry_keys:
            for item, epoch, plan in units:
                self.retry_keys.discard((item.suite_id, item.item_id, plan.variant_id if plan else NO_VARIANT, epoch))
        if shard >= 0:
            self._open[shard] += len(units)
        # what each unit sends: the item's messages, a transform's output, or (None) made by the worker
        ready: list[tuple[Item, int, VariantPlan | None, tuple[Message, ...] | None]] = []
        for item, epoch, plan in units:
            if plan is None:
                ready.append((item, epoch, None, item.messages))
            elif plan.local:
                messages = self._local_messages(item, epoch, shard, plan)
                if messages is not None:
                    ready.append((item, epoch, plan, messages))
            else:
                ready.append((item, epoch, plan, None))
        cacheable = [u for u in ready if u[3] is not None] if self.use_cache else []
        hits: dict[str, Any] = {}
        keys: dict[int, str] = {}
        if cacheable:
            for u in cacheable:
                keys[id(u)] = cache_key(self.target_digest, u[3], self._key_params, u[1])  # type: ignore[arg-type]
            hits = await self.writer.db(self.writer.store.cache_get_many, list(keys.values()))
        for u in ready:
            item, epoch, plan, messages = u
            key = keys.get(id(u))
            hit = hits.get(key) if key is not None else None
            meta = hit.pop("_meta", {}) if hit is not None else {}
            if hit is not None and reusable(meta, self.run_id, self.config.reuse_cache_max_age_s):
                self._finish(
                    item,
                    epoch,
                    shard,
                    Completion.model_construct(**hit),
                    attempts=0,
                    latency=None,
                    cached=True,
                    source=meta,
                    plan=plan,
                    messages=messages,
                )
                await self.writer.wait_room()
            else:
                self._active += 1
                await self._queue.put((item, epoch, key, shard, plan, messages))

    # -- working -----------------------------------------------------------------------
    async def _worker(self) -> None:
        queue = self._queue
        while True:
            unit = await queue.get()
            if unit is None:
                return
            await self._process(*unit)
            self._active -= 1
            await self.writer.wait_room()

    async def _process(
        self, item: Item, epoch: int, key: str | None, shard: int, plan: VariantPlan | None = None, ready: tuple[Message, ...] | None = None
    ) -> None:
        if ready is None and plan is not None:
            await self._process_attack(item, epoch, shard, plan)
            return
        messages = list(ready if ready is not None else item.messages)
        vid = plan.variant_id if plan is not None else NO_VARIANT
        context = RequestContext.model_construct(suite_id=item.suite_id, item_id=item.item_id, variant_id=vid, epoch=epoch)
        outcome = await self.request(messages, context)
        if isinstance(outcome, Failed):
            self._fail(item, epoch, shard, outcome.error, attempts=outcome.attempts, latency=outcome.latency, plan=plan, messages=ready)
            return
        completion, attempts, latency = outcome
        cache_entry = (key, completion_to_cache(completion)) if key is not None else None
        self._finish(item, epoch, shard, completion, attempts=attempts, latency=latency, cache_entry=cache_entry, plan=plan, messages=ready)

    async def _process_attack(self, item: Item, epoch: int, shard: int, plan: VariantPlan) -> None:
        """A rewrite or strategy variant: one coroutine making its helper and target calls."""
        trace = AttackTrace(attack=plan.attack)
        ctx = UnitContext(self, item, epoch, plan, trace)
        started = time.perf_counter()
        attempts = 0
        try:
            messages, completion = await run_variant(plan, item, ctx)
        except HelperFailed as exc:
            failed = exc.failed
            where = "" if failed.role == "target" else f"{failed.role}: "
            error = TargetError(failed.error.kind, f"{where}{failed.error}"[:2000])
            attempts = failed.attempts
        except AttackFailed as exc:
            error = TargetError(exc.kind, f"attack {plan.attack}: {exc}"[:2000])
        except Exception as exc:  # an attack's bug: recorded against the unit, the run goes on
            error = TargetError(ErrorKind.internal, f"attack {plan.attack}: {type(exc).__name__}: {exc}"[:2000])
        else:
            latency = time.perf_counter() - started
            self._finish(
                item, epoch, shard, completion, attempts=ctx.target_attempts or 1, latency=latency, plan=plan, messages=messages, attack=trace.to_dict()
            )
            return
        # a failed unit keeps its trace (what was tried before it failed); it never stops the run
        latency = time.perf_counter() - started
        self._fail(item, epoch, shard, error, attempts=attempts, latency=latency, plan=plan, messages=ctx.last_sent, attack=trace.to_dict(), hold=False)

    async def request(
        self, messages: list[Message], context: RequestContext, *, target: Target | None = None, role: str = "target"
    ) -> tuple[Completion, int, float] | Failed:
        """Send one request with the run's retries and back-off; a final failure is returned.

        The target under test also goes through the rate limit and the adaptive in-flight
        window; a helper (``role`` attacker or translator) shares the retries and time-out
        but not the target's limits, and its requests are counted apart. A returned error
        is a ``Failed``.
        """
        c = self.counters
        params = self.params
        main = target is None
        target = self.target if target is None else target
        window = self.window if main else None
        limiter = self.limiter if main else None
        guard = params.timeout_s + self.config.timeout_grace_s
        attempt = 0
        while True:
            attempt += 1
            if limiter is not None:
                await limiter.acquire()
            generation = await window.acquire() if window is not None else 0
            c.in_flight += 1
            if main:
                c.requests += 1
            else:
                self.helper_requests[role] += 1
            started = time.perf_counter()
            error: TargetError
            try:
                completion = await self._send(target, messages, context, guard, self.gate if main else None)
            except TargetError as exc:
                error = exc
            except TimeoutError:
                error = TargetError(ErrorKind.timeout, f"no reply within {guard:g} s", retryable=True)
            except Exception as exc:  # a provider bug: record it against the item, keep the run going
                error = TargetError(ErrorKind.internal, f"{type(exc).__name__}: {exc}", retryable=False)
            else:
                c.in_flight -= 1
                latency = time.perf_counter() - started
                if window is not None:
                    window.release()
                    window.success()
                if main:
                    self.latencies.append(latency)
                    self._ok_at.append(started + latency)
                return completion, attempt, latency
            c.in_flight -= 1
            if main and error.kind in CONGESTION_KINDS:
                if error.kind is ErrorKind.timeout:
                    self.timeouts += 1
                else:
                    self.rate_limited += 1
                if window is not None:
                    window.congestion(generation, self.sustainable())
            if window is not None:
                window.release()
            if error.retryable and attempt <= self.config.max_retries:
                c.retries += 1
                await asyncio.sleep(
                    backoff_delay(
                        attempt,
                        base_s=self.config.backoff_base_s,
                        cap_s=self.config.backoff_cap_s,
                        retry_after_s=error.retry_after_s,
                        rng=self.rng,
                    )
                )
                continue
            return Failed(error, attempt, time.perf_counter() - started, role)

    async def _send(self, target: Target, messages: list[Message], context: RequestContext, guard: float, gate: Gate | None) -> Completion:
        """One attempt: a shared permit first (its wait is not part of the time-out), then the call."""
        permit = await gate.acquire() if gate is not None else None
        try:
            async with asyncio.timeout(guard):
                return await target.generate(messages, self.params, context=context)
        finally:
            if gate is not None:
                gate.release(permit)

    async def judge_call(self, judge: AttackJudge, objective: str, response: str) -> JudgeScore | HelperFailed:
        """One attack-judge rating with the run's time-out and retries (a model-backed judge can
        hang or fail transiently, like any target); counted as ``helper_requests["judge"]``.
        A rating that still fails is returned as ``HelperFailed`` (role ``judge``)."""
        guard = self.params.timeout_s + self.config.timeout_grace_s
        attempt = 0
        while True:
            attempt += 1
            self.helper_requests["judge"] += 1
            started = time.perf_counter()
            try:
                async with asyncio.timeout(guard):
                    return await judge.rate(objective, response)
            except TargetError as exc:
                error = exc
            except TimeoutError:
                error = TargetError(ErrorKind.timeout, f"the attack judge gave no score within {guard:g} s", retryable=True)
            if error.retryable and attempt <= self.config.max_retries:
                self.counters.retries += 1
                delay = backoff_delay(
                    attempt, base_s=self.config.backoff_base_s, cap_s=self.config.backoff_cap_s, retry_after_s=error.retry_after_s, rng=self.rng
                )
                await asyncio.sleep(delay)
                continue
            return HelperFailed(Failed(error, attempt, time.perf_counter() - started, "judge"))

    def _emit(self, response: Response, shard: int, cache_entry: tuple[str, dict[str, Any]] | None = None) -> None:
        self.writer.add(response, cache_entry)
        if shard >= 0:
            self._settle(shard)

    def _finish(
        self,
        item: Item,
        epoch: int,
        shard: int,
        completion: Completion,
        *,
        attempts: int,
        latency: float | None,
        cached: bool = False,
        cache_entry: tuple[str, dict[str, Any]] | None = None,
        source: dict[str, Any] | None = None,
        plan: VariantPlan | None = None,
        messages: tuple[Message, ...] | None = None,
        attack: dict[str, Any] | None = None,
    ) -> None:
        if completion.model_version:
            self.model_versions.add(completion.model_version)
        response = Response.model_construct(
            run_id=self.run_id,
            suite_id=item.suite_id,
            item_id=item.item_id,
            variant_id=plan.variant_id if plan is not None else NO_VARIANT,
            epoch=epoch,
            messages=list(messages if messages is not None else item.messages),
            output=completion.text,
            finish_reason=completion.finish_reason,
            blocked=completion.blocked,
            latency_s=latency,
            input_tokens=completion.input_tokens,
            output_tokens=completion.output_tokens,
            model_version=completion.model_version,
            attempts=attempts,
            cached=cached,
            provenance="reused" if cached else "produced",
            source_run=(source or {}).get("run_id") if cached else None,
            source_created_at=parse_time((source or {}).get("created_at")) if cached else None,
            attack=attack,
        )
        if not self._succeeded:
            self._succeeded = True
            self._release_held()
        self._emit(response, shard, cache_entry)
        self.counters.finished_one(error=False, blocked=completion.blocked, cached=cached)

    def _release_held(self) -> None:
        """The target did answer after all: the held failures were real per-item errors."""
        held, self._held = self._held, []
        for response, shard in held:
            self._emit_error(response, shard)

    def _emit_error(self, response: Response, shard: int) -> None:
        self.error_messages[error_text(response)] += 1
        self._emit(response, shard)
        self.counters.finished_one(error=True, blocked=False, cached=False)

    def _unreachable(self, error: TargetError | None = None) -> TargetUnreachableError:
        first = self._held[0][0] if self._held else None
        detail = f"{error.kind.value}: {str(error)[:300]}" if error is not None else (error_text(first) if first else "")
        return TargetUnreachableError(
            f"the target could not be reached: the first {len(self._held)} items all failed ({detail})",
            why="nothing was stored for them, so resuming retries them",
            fix="check the endpoint, network and API key, then run the same command with the same --run-id",
        )

    def _fail(
        self,
        item: Item,
        epoch: int,
        shard: int,
        error: TargetError,
        *,
        attempts: int,
        latency: float,
        plan: VariantPlan | None = None,
        messages: tuple[Message, ...] | None = None,
        attack: dict[str, Any] | None = None,
        hold: bool = True,
    ) -> None:
        response = Response.model_construct(
            run_id=self.run_id,
            suite_id=item.suite_id,
            item_id=item.item_id,
            variant_id=plan.variant_id if plan is not None else NO_VARIANT,
            epoch=epoch,
            messages=list(messages if messages is not None else item.messages),
            latency_s=latency,
            error_kind=error.kind,
            error=str(error)[:2000],
            attempts=attempts,
            attack=attack,
        )
        if hold and not self._succeeded and error.kind in UNREACHABLE_KINDS:
            self._held.append((response, shard))
            # a suite smaller than the threshold stops once all of its items failed so
            total = self.counters.total
            threshold = min(self.config.unreachable_after, total) if total > 0 else self.config.unreachable_after
            if len(self._held) >= max(1, threshold):
                raise self._unreachable(error)
            return
        self._emit_error(response, shard)

    # -- lifecycle ---------------------------------------------------------------------
    async def run(self) -> None:
        """Process every unit; on cancellation (Ctrl-C, SIGTERM), still write what finished."""
        loop = asyncio.get_running_loop()
        self._loop = loop
        setter = getattr(self.target, "set_concurrency", None)
        if callable(setter):
            setter(self.config.concurrency)
        writer_task = loop.create_task(self.writer.run())
        workers = [loop.create_task(self._worker()) for _ in range(self.config.concurrency)]
        feeder = loop.create_task(self._feed())
        beat = loop.create_task(self.leases.heartbeat()) if self.leases is not None else None

        async def drive() -> None:
            # Together, so a worker that stops the run (unreachable target) is seen at once,
            # not after a feeder that would wait forever on a queue nobody drains.
            await asyncio.gather(feeder, *workers)
            if self._held and not self._succeeded:
                # every request this run sent failed to connect: a small suite or a resume
                # with a few items left; storing them would mark them done
                raise self._unreachable()
            self._release_held()

        main = loop.create_task(drive())
        watched = {main, writer_task} | ({beat} if beat is not None else set())
        try:
            await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
            if writer_task.done():  # the store failed: stop sending, surface its error
                main.cancel()
                writer_task.result()
            if beat is not None and beat.done() and not main.done():  # the heartbeat failed
                main.cancel()
                beat.result()
            await main
        finally:
            others = [t for t in (main, feeder, *workers, beat) if t is not None]
            for task in others:
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)
            if not writer_task.done():
                self.writer.close()
                await writer_task

    def sustainable(self) -> int:
        """Requests in flight that the recent success rate serves within half the time-out.

        Little's law: in-flight = throughput x latency. Throughput is measured over the
        last two time-outs (at least 1 s, at most since the run began)."""
        now = time.perf_counter()
        span = min(max(1.0, 2 * self.params.timeout_s), max(now - self._began, 1e-3))
        recent = sum(1 for t in reversed(self._ok_at) if t >= now - span) if self._ok_at else 0
        return max(1, math.ceil(recent / span * self.params.timeout_s / 2))

    def p50_latency(self) -> float | None:
        """The median latency of recent successful requests (``None`` before any)."""
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return ordered[len(ordered) // 2]
