"""Request pacing: a requests-per-minute limit (``RateLimiter``) and an adaptive in-flight
limit (``AdaptiveLimit``).

A requests-per-minute limit spaces requests evenly, ``60 / rpm`` seconds apart.

Even spacing (rather than a bucket that lets a minute's worth through at once) is what
providers' per-second sub-limits expect. Every attempt, retries included, takes a slot.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque


class RateLimiter:
    def __init__(self, rpm: float) -> None:
        if rpm <= 0:
            raise ValueError("rpm must be positive")
        self.interval = 60.0 / rpm
        self._next = 0.0

    def reserve(self, now: float) -> float:
        """Book the next slot at or after ``now``; return how long to wait for it (pure)."""
        slot = max(now, self._next)
        self._next = slot + self.interval
        return slot - now

    async def acquire(self) -> None:
        wait = self.reserve(asyncio.get_running_loop().time())
        if wait > 0:
            await asyncio.sleep(wait)


class AdaptiveLimit:
    """An in-flight limit that fits the server: AIMD on time-outs and 429s.

    It starts at the ceiling (``--concurrency``), so a server that keeps up never waits on
    it. A time-out or a 429 halves it (at least 1); after each window of ``limit``
    successes it grows by one, never above the ceiling. A halving counts once per
    "generation": requests sent before the last halving reflect the old limit, so a burst of
    time-outs from one over-full window halves once, not once per request (TCP's rule). The
    engine may pass a lower ``cap``: the in-flight count its measured throughput serves
    within half the time-out (Little's law), so a server with one slot is found in one step.
    Costs a few integer operations per request while the limit is not binding.
    """

    def __init__(self, ceiling: int) -> None:
        if ceiling < 1:
            raise ValueError("ceiling must be at least 1")
        self.ceiling = ceiling
        self.limit = ceiling
        self.lowest = ceiling
        self.in_use = 0
        self.generation = 0
        self.decreases = 0
        self._good = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def acquire(self) -> int:
        """Wait for a slot; return the generation the request is sent in."""
        if not self._waiters and self.in_use < self.limit:
            self.in_use += 1
            return self.generation
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        try:
            await fut
        except BaseException:
            if fut.done() and not fut.cancelled():
                self.release()  # handed a slot while being cancelled: give it back
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(fut)
            raise
        return self.generation

    def release(self) -> None:
        self.in_use -= 1
        if self._waiters:
            self._wake()

    def _wake(self) -> None:
        while self._waiters and self.in_use < self.limit:
            fut = self._waiters.popleft()
            if not fut.done():
                self.in_use += 1
                fut.set_result(None)

    def success(self) -> None:
        if self.limit >= self.ceiling:
            return
        self._good += 1
        if self._good >= self.limit:
            self._good = 0
            self.limit += 1
            self._wake()

    def congestion(self, generation: int, cap: int | None = None) -> None:
        """A time-out or 429 on a request sent in ``generation``; ``cap``: what the measured
        throughput sustains (Little's law), when known, so one halving can go further."""
        if generation != self.generation:
            return
        self.generation += 1
        self.decreases += 1
        self._good = 0
        self.limit = max(1, min(self.limit // 2, cap if cap is not None else self.limit))
        self.lowest = min(self.lowest, self.limit)
