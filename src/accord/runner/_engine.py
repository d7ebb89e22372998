"""The async engine: a fixed pool of workers draining a lazily fed queue.

One feeder task walks the suites' items lazily (never holding a suite), skips keys already
stored, answers what the response cache holds, and puts the rest on a bounded queue; exactly
``concurrency`` worker tasks take units from it (no task per item, so memory and scheduling
cost do not grow with the suite). A worker retries retryable ``TargetError``s with full-jitter
backoff (``Retry-After`` as a floor) up to ``max_retries`` times; a request that still fails
becomes a stored ``Response`` with ``error_kind`` set, never a dropped key and never a
refusal. Finished responses go to the ``BatchWriter``.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from accord.errors import AccordError, ExitCode
from accord.records import ErrorKind, Item, Response
from accord.runner._backoff import backoff_delay
from accord.runner._cache import cache_key, completion_to_cache, params_for_key
from accord.runner._limiter import RateLimiter
from accord.runner._progress import Counters
from accord.runner._sources import SuiteSource
from accord.runner._writer import BatchWriter
from accord.targets import Completion, GenParams, RequestContext, Target, TargetError

KeyTuple = tuple[str, str, str, int]
Unit = tuple[Item, int, "str | None"]  # item, epoch, cache key


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
    unreachable_after: int = 10  # stop when this many items failed to connect/authenticate before any success


# Failures that say "this target cannot be reached at all" rather than "this item failed".
UNREACHABLE_KINDS = frozenset({ErrorKind.connection, ErrorKind.auth})


class TargetUnreachableError(AccordError):
    """Raised when a run's first requests all fail to connect or authenticate.

    Storing those as per-item errors would mark them done, so a resume would never retry
    them; instead they are dropped and the run stops, resumable once the target is fixed.
    """

    exit_code = ExitCode.INCOMPLETE


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
    ) -> None:
        self.target = target
        self.target_digest = target_digest
        self.writer = writer
        self.run_id = run_id
        self.sources = sources
        self.epochs = epochs
        self.params = params
        self.config = config
        self.counters = counters
        self.done_keys = done_keys
        self.store_items = store_items
        self.use_cache = config.use_cache and getattr(target, "cache", True)
        self.limiter = RateLimiter(config.rpm) if config.rpm else None
        self.rng = random.Random(seed)
        self._key_params = params_for_key(params)
        self._queue: asyncio.Queue[Unit | None] = asyncio.Queue(maxsize=max(2, 2 * config.concurrency))
        self.model_versions: set[str] = set()
        self._succeeded = False
        self._held: list[Response] = []  # unreachable-kind failures before any success

    # -- feeding -----------------------------------------------------------------------
    def _plan(self) -> Iterator[tuple[int, Item]]:
        seq = 0
        for source in self.sources:
            for item in source.iter_items():
                yield seq, item
                seq += 1

    async def _feed(self) -> None:
        chunk: list[tuple[int, Item]] = []
        for pair in self._plan():
            chunk.append(pair)
            if len(chunk) >= self.config.chunk:
                await self._dispatch(chunk)
                chunk = []
        if chunk:
            await self._dispatch(chunk)
        for _ in range(self.config.concurrency):
            await self._queue.put(None)

    async def _dispatch(self, chunk: list[tuple[int, Item]]) -> None:
        if self.store_items:
            self.writer.add_items(chunk[0][0], [item for _, item in chunk])
        done = self.done_keys
        units: list[tuple[Item, int]] = [
            (item, epoch)
            for _, item in chunk
            for epoch in range(self.epochs)
            if not done or (item.suite_id, item.item_id, "none", epoch) not in done
        ]
        if not units:
            return
        if not self.use_cache:
            for item, epoch in units:
                await self._queue.put((item, epoch, None))
            return
        keys = [cache_key(self.target_digest, item.messages, self._key_params, epoch) for item, epoch in units]
        hits = await self.writer.db(self.writer.store.cache_get_many, keys)
        for (item, epoch), key in zip(units, keys):
            hit = hits.get(key)
            if hit is not None:
                self._finish(item, epoch, Completion.model_construct(**hit), attempts=0, latency=None, cached=True)
                await self.writer.wait_room()
            else:
                await self._queue.put((item, epoch, key))

    # -- working -----------------------------------------------------------------------
    async def _worker(self) -> None:
        queue = self._queue
        while True:
            unit = await queue.get()
            if unit is None:
                return
            await self._process(*unit)
            await self.writer.wait_room()

    async def _process(self, item: Item, epoch: int, key: str | None) -> None:
        c = self.counters
        params = self.params
        messages = list(item.messages)
        context = RequestContext.model_construct(suite_id=item.suite_id, item_id=item.item_id, variant_id="none", epoch=epoch)
        guard = params.timeout_s + self.config.timeout_grace_s
        attempt = 0
        while True:
            attempt += 1
            if self.limiter is not None:
                await self.limiter.acquire()
            c.in_flight += 1
            c.requests += 1
            started = time.perf_counter()
            error: TargetError
            try:
                async with asyncio.timeout(guard):
                    completion = await self.target.generate(messages, params, context=context)
            except TargetError as exc:
                error = exc
            except TimeoutError:
                error = TargetError(ErrorKind.timeout, f"no reply within {guard:g} s", retryable=True)
            except Exception as exc:  # a provider bug: record it against the item, keep the run going
                error = TargetError(ErrorKind.internal, f"{type(exc).__name__}: {exc}", retryable=False)
            else:
                c.in_flight -= 1
                cache_entry = (key, completion_to_cache(completion)) if key is not None else None
                self._finish(item, epoch, completion, attempts=attempt, latency=time.perf_counter() - started, cache_entry=cache_entry)
                return
            c.in_flight -= 1
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
            self._fail(item, epoch, error, attempts=attempt, latency=time.perf_counter() - started)
            return

    def _finish(
        self,
        item: Item,
        epoch: int,
        completion: Completion,
        *,
        attempts: int,
        latency: float | None,
        cached: bool = False,
        cache_entry: tuple[str, dict[str, Any]] | None = None,
    ) -> None:
        if completion.model_version:
            self.model_versions.add(completion.model_version)
        response = Response.model_construct(
            run_id=self.run_id,
            suite_id=item.suite_id,
            item_id=item.item_id,
            epoch=epoch,
            messages=list(item.messages),
            output=completion.text,
            finish_reason=completion.finish_reason,
            blocked=completion.blocked,
            latency_s=latency,
            input_tokens=completion.input_tokens,
            output_tokens=completion.output_tokens,
            model_version=completion.model_version,
            attempts=attempts,
            cached=cached,
        )
        if not self._succeeded:
            self._succeeded = True
            self._release_held()
        self.writer.add(response, cache_entry)
        self.counters.finished_one(error=False, blocked=completion.blocked, cached=cached)

    def _release_held(self) -> None:
        """The target did answer after all: the held failures were real per-item errors."""
        for held in self._held:
            self.writer.add(held)
            self.counters.finished_one(error=True, blocked=False, cached=False)
        self._held = []

    def _fail(self, item: Item, epoch: int, error: TargetError, *, attempts: int, latency: float) -> None:
        response = Response.model_construct(
            run_id=self.run_id,
            suite_id=item.suite_id,
            item_id=item.item_id,
            epoch=epoch,
            messages=list(item.messages),
            latency_s=latency,
            error_kind=error.kind,
            error=str(error)[:2000],
            attempts=attempts,
        )
        if not self._succeeded and error.kind in UNREACHABLE_KINDS:
            self._held.append(response)
            if len(self._held) >= self.config.unreachable_after:
                raise TargetUnreachableError(
                    f"the target could not be reached: the first {len(self._held)} items all failed "
                    f"({error.kind.value}: {str(error)[:300]})",
                    why="nothing was stored for them, so resuming retries them",
                    fix="check the endpoint, network and API key, then run the same command with the same --run-id",
                )
            return
        self.writer.add(response)
        self.counters.finished_one(error=True, blocked=False, cached=False)

    # -- lifecycle ---------------------------------------------------------------------
    async def run(self) -> None:
        """Process every unit; on cancellation (Ctrl-C), still write what finished."""
        loop = asyncio.get_running_loop()
        setter = getattr(self.target, "set_concurrency", None)
        if callable(setter):
            setter(self.config.concurrency)
        writer_task = loop.create_task(self.writer.run())
        workers = [loop.create_task(self._worker()) for _ in range(self.config.concurrency)]
        feeder = loop.create_task(self._feed())

        async def drive() -> None:
            # Together, so a worker that stops the run (unreachable target) is seen at once,
            # not after a feeder that would wait forever on a queue nobody drains.
            await asyncio.gather(feeder, *workers)
            self._release_held()  # a run too small to trip the check keeps its errors

        main = loop.create_task(drive())
        try:
            await asyncio.wait({main, writer_task}, return_when=asyncio.FIRST_COMPLETED)
            if writer_task.done():  # the store failed: stop sending, surface its error
                main.cancel()
                writer_task.result()
            await main
        finally:
            for task in (main, feeder, *workers):
                task.cancel()
            await asyncio.gather(main, feeder, *workers, return_exceptions=True)
            if not writer_task.done():
                self.writer.close()
                await writer_task
