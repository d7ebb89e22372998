"""Streams responses (and the run's items) to the store in batches, off the event loop.

Workers hand finished responses to ``add``; a batch is written when it reaches
``batch_size`` or ``interval_s`` after its first entry, whichever comes first, as one
``executemany`` on a single database thread. One thread means writes stay in order and the
event loop never waits on SQLite or PostgreSQL; insert-once keys in the store mean a batch
that is written twice (a crash between write and bookkeeping) cannot duplicate anything.

Every flush happens at most ``interval_s`` after the previous one (0.5 s by default), whether
or not the workers are busy: the flush loop is its own task and nothing on the event loop
runs unbounded, so a ``kill -9`` loses at most the last ``interval_s`` of answers (plus the
write in progress). Actions queued with ``add_action`` run on the database thread after the
responses added before them are written: that is how a shard is marked finished only once
its responses are stored.

Memory is bounded: when more than ``max_pending`` responses wait, ``wait_room`` makes the
workers pause until the writer catches up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from accord.records import Response
from accord.store import ResultStore

T = TypeVar("T")


def fixed_sizes(rows: list[T], batch: int) -> Iterator[tuple[int, list[T]]]:
    """Split ``rows`` into pieces of ``batch`` rows, then powers of two: (offset, piece).

    Each distinct row count is a distinct multi-row INSERT statement, and both SQLAlchemy and
    the sqlite3 driver cache one prepared statement per shape (128 per connection in
    sqlite3). Flushes of arbitrary sizes filled those caches with hundreds of large
    statements (+50 MB of memory over a 100k-item run); with pieces drawn from
    ``{batch, 128, 64, ..., 1}`` there are at most ~9 shapes.
    """
    offset, n = 0, len(rows)
    while n - offset >= batch:
        yield offset, rows[offset : offset + batch]
        offset += batch
    size = 1 << max(0, (batch - 1).bit_length())
    while offset < n:
        while size > n - offset:
            size >>= 1
        yield offset, rows[offset : offset + size]
        offset += size


class BatchWriter:
    def __init__(
        self,
        store: ResultStore,
        run_id: str,
        *,
        batch_size: int = 200,
        interval_s: float = 0.5,
        max_pending: int | None = None,
        replace_errors: bool = False,
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.batch_size = batch_size
        self.interval_s = interval_s
        self.max_pending = max_pending or batch_size * 10
        #: ``--retry-errors``: a new response may replace a stored error of the same key.
        self.replace_errors = replace_errors
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="accord-db")
        self._responses: list[Response] = []
        self._cache: dict[str, dict[str, Any]] = {}
        self._items: list[tuple[int, Sequence[Any]]] = []
        self._actions: list[Callable[[], object]] = []
        self._kick = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self._closing = False
        self.written = 0  # responses the store newly inserted
        self.flushes = 0

    # -- called from the event loop ------------------------------------------------------
    async def db(self, fn: Callable[..., T], *args: Any) -> T:
        """Run one store call on the database thread (serialised with the writes)."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    def add(self, response: Response, cache_entry: tuple[str, dict[str, Any]] | None = None) -> None:
        self._responses.append(response)
        if cache_entry is not None:
            self._cache[cache_entry[0]] = cache_entry[1]
        if len(self._responses) >= self.batch_size:
            self._kick.set()
        if len(self._responses) >= self.max_pending:
            self._room.clear()

    def add_items(self, start_seq: int, items: Sequence[Any]) -> None:
        self._items.append((start_seq, items))
        self._kick.set()

    def add_action(self, fn: Callable[[], object]) -> None:
        """Run ``fn`` on the database thread right after everything added so far is written
        (e.g. mark a shard finished only once its responses are stored); flushes now."""
        self._actions.append(fn)
        self._kick.set()

    async def wait_room(self) -> None:
        if not self._room.is_set():
            await self._room.wait()

    @property
    def pending(self) -> int:
        return len(self._responses)

    async def run(self) -> None:
        """The flush loop; returns after ``close()`` once everything pending is written."""
        while True:
            try:
                await asyncio.wait_for(self._kick.wait(), timeout=self.interval_s)
            except TimeoutError:
                pass
            self._kick.clear()
            await self.flush()
            if self._closing and not (self._responses or self._items or self._actions):
                return

    async def flush(self) -> None:
        if not (self._responses or self._items or self._cache or self._actions):
            return
        responses, self._responses = self._responses, []
        cache, self._cache = self._cache, {}
        items, self._items = self._items, []
        actions, self._actions = self._actions, []
        self._room.set()
        self.written += await self.db(self._write, responses, cache, items, actions)
        self.flushes += 1

    def close(self) -> None:
        """Ask ``run()`` to write what is pending and return."""
        self._closing = True
        self._kick.set()

    # -- on the database thread ----------------------------------------------------------
    def _write(
        self,
        responses: list[Response],
        cache: dict[str, dict[str, Any]],
        items: list[tuple[int, Sequence[Any]]],
        actions: Sequence[Callable[[], object]] = (),
    ) -> int:
        for start, chunk in items:
            for offset, part in fixed_sizes(list(chunk), self.batch_size):
                self.store.add_items(self.run_id, part, start_seq=start + offset)
        if cache:
            entries = list(cache.items())
            for _, part in fixed_sizes(entries, self.batch_size):
                self.store.cache_put_many(dict(part), run_id=self.run_id)
        written = 0
        for _, part in fixed_sizes(responses, self.batch_size):
            if self.replace_errors:
                written += int(self.store.add_responses(part, replace_errors=True))  # type: ignore[call-arg]
            else:
                written += int(self.store.add_responses(part))
        for action in actions:
            action()
        return written

    def shutdown(self) -> None:
        self.executor.shutdown(wait=True)
