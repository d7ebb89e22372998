"""Shard leases: how several processes share one run without sending a request twice.

A run's items are split into contiguous shards of ``shard_size`` items (by ``seq``, the
item's position across the run's suites; the size is stored with the run so every process
and every resume uses the same split). A process claims one shard at a time from the store
(``claim_shard``: atomic, never a shard that is finished or held by a live lease), sends its
items, and marks it finished once its responses are stored; a heartbeat renews its leases
every ``lease_s / 3``. A process that dies stops renewing, and after ``lease_s`` another
process takes its unfinished shards over. On exit (clean, Ctrl-C, SIGTERM) the leases are
released so a resume can claim the unfinished shards at once.

Lease calls go to their own database thread, so a heartbeat is never queued behind a slow
batch write; ``finish`` runs on the writer's thread (after the shard's responses).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

LEASE_METHODS = ("claim_shard", "renew_leases", "finish_shard", "release_leases", "live_owners")
DEFAULT_SHARD_SIZE = 256
DEFAULT_LEASE_S = 30.0


def supports_leases(store: object) -> bool:
    """Whether ``store`` implements the shard-lease API (test doubles may not)."""
    return all(callable(getattr(store, name, None)) for name in LEASE_METHODS)


def env_number(name: str, default: float) -> float:
    """A positive number from the environment (``ACCORD_LEASE_S``, ``ACCORD_SHARD_SIZE``), else ``default``."""
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


def new_owner() -> str:
    """This process's lease owner id: host, pid and a random tag (a pid is reused)."""
    return f"{socket.gethostname()[:64]}:{os.getpid()}:{secrets.token_hex(4)}"


class Leases:
    def __init__(self, store: Any, run_id: str, *, n_items: int, shard_size: int, lease_s: float) -> None:
        self.store = store
        self.run_id = run_id
        self.shard_size = max(1, int(shard_size))
        self.n_shards = max(1, -(-n_items // self.shard_size))
        self.lease_s = lease_s
        self.owner = new_owner()
        self.claimed = 0
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="accord-lease")

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, lambda: fn(*args, **kwargs))

    def bounds(self, shard: int) -> tuple[int, int]:
        """The ``seq`` range ``[lo, hi)`` of ``shard``."""
        return shard * self.shard_size, (shard + 1) * self.shard_size

    async def claim(self) -> int | None:
        shard: int | None = await self._call(self.store.claim_shard, self.run_id, self.owner, n_shards=self.n_shards, lease_s=self.lease_s)
        if shard is not None:
            self.claimed += 1
        return shard

    async def live_owners(self) -> int:
        return int(await self._call(self.store.live_owners, self.run_id))

    def finish(self, shard: int) -> None:
        """Called on the writer's database thread, after the shard's responses are written."""
        self.store.finish_shard(self.run_id, shard, self.owner)

    async def heartbeat(self) -> None:
        """Renew this process's leases every ``lease_s / 3`` until cancelled."""
        every = self.lease_s / 3
        while True:
            await asyncio.sleep(every)
            await self._call(self.store.renew_leases, self.run_id, self.owner, lease_s=self.lease_s)

    async def release(self) -> None:
        await self._call(self.store.release_leases, self.run_id, self.owner)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True)
