"""Cluster-wide request limits: one ``PermitBank`` per (run, target) hands out permits.

Under the Ray executor several processes on several machines send one run's requests. A
per-process limit would multiply the user's ``concurrency`` and ``rpm`` by the number of
workers, so the bank (a named Ray actor, ``accord.pipeline._ray``) is the one place that
counts them: a permit is a slot of ``concurrency`` (held for the request, retries take a new
one) and, with ``rpm``, a start time spaced ``60 / rpm`` seconds from the previous one (the
engine's own even spacing, made global).

Why an actor and not the store: a permit is taken per request, and a row lock per request
on PostgreSQL would cost a round trip plus a commit (milliseconds, and write load on the
database every worker already writes responses to); an async actor answers from memory.
The cost is one actor round trip per request (the release is sent without waiting); see
docs/scale.md for the measured figure.

A permit expires ``hold_s`` after it was granted (the request's time-out plus a margin),
so the permits of a worker that dies mid-request come back instead of shrinking the limit
for the rest of the run. Pure asyncio: no Ray import, tested without a cluster.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections import Counter, deque
from typing import Any


class PermitBank:
    """``concurrency`` permits at once, at most ``rpm`` grants a minute (evenly spaced)."""

    def __init__(self, concurrency: int, rpm: float | None = None, hold_s: float = 120.0) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.limit = concurrency
        self.interval = 60.0 / rpm if rpm else 0.0
        self.hold_s = hold_s
        self._held: dict[int, float] = {}  # permit -> when it expires (monotonic)
        self._owner: dict[int, str] = {}  # permit -> the worker holding it (batched grants)
        self._wanting: Counter[str] = Counter()  # workers with a batch request waiting
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._next_slot = 0.0
        self._serial = 0
        self.granted = 0
        self.expired = 0
        self.peak = 0

    def _reap(self, now: float) -> None:
        """Take back permits whose holder never returned them (a worker that died)."""
        if len(self._held) < self.limit:
            return
        stale = [p for p, until in self._held.items() if until <= now]
        for p in stale:
            del self._held[p]
            self._owner.pop(p, None)
        self.expired += len(stale)

    async def acquire(self) -> tuple[int, float]:
        """Wait for a free slot; return ``(permit, delay_s)``: the caller sends after ``delay_s``
        (the rpm spacing), so the bank never sleeps on a caller's behalf."""
        loop = asyncio.get_running_loop()
        while True:
            now = time.monotonic()
            self._reap(now)
            if len(self._held) < self.limit and not self._waiters:
                break
            fut: asyncio.Future[None] = loop.create_future()
            self._waiters.append(fut)
            soonest = min(self._held.values(), default=now + self.hold_s)
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(fut), timeout=max(0.01, soonest - now))
            finally:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(fut)
            now = time.monotonic()
            self._reap(now)
            if len(self._held) < self.limit:
                break
        delay = 0.0
        if self.interval:
            slot = max(now, self._next_slot)
            self._next_slot = slot + self.interval
            delay = slot - now
        self._serial += 1
        permit = self._serial
        self._held[permit] = now + delay + self.hold_s
        self.granted += 1
        self.peak = max(self.peak, len(self._held))
        self._wake()
        return permit, delay

    async def acquire_many(self, n: int, owner: str = "") -> tuple[list[int], int]:
        """Wait for one permit, then take up to ``n - 1`` more that are free now (no rpm:
        a batch is granted at once). Returns the permits and ``owner``'s fair share (see
        ``share``). What a worker's ``RemotePermits`` asks for."""
        self._wanting[owner] += 1
        try:
            first, _ = await self.acquire()
        finally:
            self._wanting[owner] -= 1
            if self._wanting[owner] <= 0:
                del self._wanting[owner]
        out = [first]
        now = time.monotonic()
        while len(out) < n and len(self._held) < self.limit and not self._waiters:
            self._serial += 1
            self._held[self._serial] = now + self.hold_s
            self.granted += 1
            out.append(self._serial)
        for p in out:
            self._owner[p] = owner
        self.peak = max(self.peak, len(self._held))
        return out, self.share(owner)

    def share(self, owner: str = "") -> int:
        """The permits ``owner`` may keep for itself: ``concurrency`` split evenly between the
        workers holding permits or waiting for them (all of them when it is alone)."""
        workers = set(self._owner.values()) | set(self._wanting) | {owner}
        return max(1, self.limit // len(workers))

    def release(self, permit: int) -> None:
        """Give ``permit`` back (a no-op for one that already expired)."""
        self._owner.pop(permit, None)
        if self._held.pop(permit, None) is not None:
            self._wake()

    def _wake(self) -> None:
        """Wake as many waiters, oldest first, as there are free slots (a woken waiter that
        has not run yet still counts against them)."""
        free = self.limit - len(self._held)
        for fut in self._waiters:
            if free <= 0:
                return
            if not fut.done():
                fut.set_result(None)
            free -= 1

    def stats(self) -> dict[str, Any]:
        """Grants so far, the most held at once, permits taken back from dead holders."""
        return {"granted": self.granted, "peak": self.peak, "expired": self.expired, "held": len(self._held), "limit": self.limit}


class RemotePermits:
    """The engine's ``Gate`` over a ``PermitBank`` actor handle, with the round trips cut.

    Without ``rpm`` a worker keeps the permits it was granted while it has requests waiting
    for one: a finished request hands its permit straight to the next local request, so a
    busy worker talks to the bank only when its demand grows (one call for a batch of
    permits). It keeps at most its fair share (``PermitBank.share``: ``concurrency`` split
    between the workers holding or wanting permits), which it re-reads every ``poll_s``
    while it holds permits; a permit beyond the share, or one no local request waits for,
    goes back to the bank, whose waiters are served first in, first out. An idle permit is
    never kept, so the cluster-wide count stays exact. With ``rpm`` every request needs its
    own start time, so each one asks the bank.
    """

    def __init__(
        self, bank: Any, *, rpm: bool = False, poll_s: float = 0.25, batch: int = 16, max_keep_s: float = 15.0, give_up_s: float = 120.0
    ) -> None:
        self.bank = bank
        #: How long the bank may stay unreachable before the waiting requests fail: Ray restarts
        #: a crashed bank within seconds, but a bank owned by a driver that has exited (a second
        #: driver on the same run id reuses the first one's) never comes back, and a worker must
        #: not wait for it forever.
        self.give_up_s = give_up_s
        #: A permit is handed on locally only this long after the bank granted it: the bank
        #: takes back a permit ``hold_s`` (the time-out + 30 s) after the grant, and a request
        #: started on an older one could outlive it there.
        self.max_keep_s = max_keep_s
        self._granted: dict[int, float] = {}
        self.rpm = rpm
        self.poll_s = poll_s
        self.batch = batch
        self.owner = f"{os.getpid()}:{id(self):x}"
        self.waited_s = 0.0
        self.calls = 0  # awaited round trips to the bank (releases are not awaited)
        self.held = 0
        self.share = 1 << 30  # until the bank says otherwise
        self._waiters: deque[asyncio.Future[int]] = deque()
        self._asking: asyncio.Task[None] | None = None
        self._polling: asyncio.Task[None] | None = None

    async def acquire(self) -> int:
        started = time.monotonic()
        try:
            if self.rpm:
                self.calls += 1
                permit, delay = await self.bank.acquire.remote()
                if delay > 0:
                    await asyncio.sleep(delay)
                return -int(permit)  # negative: granted one by one, returned at once
            fut: asyncio.Future[int] = asyncio.get_running_loop().create_future()
            self._waiters.append(fut)
            loop = asyncio.get_running_loop()
            if self._asking is None or self._asking.done():
                self._asking = loop.create_task(self._ask())
            if self._polling is None or self._polling.done():
                self._polling = loop.create_task(self._poll())
            try:
                return await fut
            except asyncio.CancelledError:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(fut)
                if fut.done() and not fut.cancelled():
                    self.release(fut.result())  # granted while being cancelled: pass it on
                raise
        finally:
            self.waited_s += time.monotonic() - started

    async def _ask(self) -> None:
        """Ask the bank for as many permits as requests wait (a batch at most) until none waits."""
        failing_since: float | None = None
        while any(not f.done() for f in self._waiters):
            want = min(self.batch, sum(1 for f in self._waiters if not f.done()))
            self.calls += 1
            try:
                grants, self.share = await self.bank.acquire_many.remote(want, self.owner)
            except Exception as exc:  # the actor is restarting (Ray restarts it): ask again shortly
                now = time.monotonic()
                failing_since = failing_since if failing_since is not None else now
                if now - failing_since >= self.give_up_s:
                    self._fail_waiters(exc)
                    return
                await asyncio.sleep(self.poll_s)
                continue
            failing_since = None
            self.held += len(grants)
            now = time.monotonic()
            for permit in grants:
                self._granted[int(permit)] = now
                self._hand(int(permit))

    def _fail_waiters(self, cause: BaseException) -> None:
        """Fail every waiting request: the bank has been unreachable for ``give_up_s``."""
        from accord.errors import AccordError

        error = AccordError(
            f"the run's permit bank has not answered for {self.give_up_s:.0f} s",
            why=f"{type(cause).__name__}: the driver that owns it may have exited (a second driver on the same run id shares the first one's)",
            fix="run the same command again once no other driver is running this run: it resumes",
        )
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_exception(error)

    async def _poll(self) -> None:
        """While this worker holds permits, re-read its fair share now and then."""
        while self.held > 0 or self._waiters:
            await asyncio.sleep(self.poll_s)
            with contextlib.suppress(Exception):  # a restarting actor: keep the last share
                self.share = int(await self.bank.share.remote(self.owner))

    def _hand(self, permit: int) -> None:
        """Give ``permit`` to the oldest local waiter, else back to the bank."""
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_result(permit)
                return
        self._return(permit)

    def _return(self, permit: int) -> None:
        self.held -= 1
        self._granted.pop(permit, None)
        self.bank.release.remote(permit)

    def release(self, permit: Any) -> None:
        if permit is None:
            return
        permit = int(permit)
        if permit < 0:
            self.bank.release.remote(-permit)
        elif self._waiters and self.held <= self.share and time.monotonic() - self._granted.get(permit, 0.0) < self.max_keep_s:
            self._hand(permit)
        else:
            self._return(permit)
