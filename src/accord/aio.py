"""Run a coroutine to completion from synchronous code, wherever that code is called from.

``asyncio.run`` refuses to start inside a running event loop, which is exactly where a
notebook cell, a FastAPI handler or a test running under an event loop calls the sync API
from. ``run_sync`` runs the coroutine on a fresh loop in a worker thread in that case, so one
sync entry point works in scripts and notebooks alike; async callers await the coroutine
themselves and never pay for the thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def in_running_loop() -> bool:
    """Whether this thread is inside a running event loop (a notebook cell is)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coro)``, or the same on a worker thread when a loop is already running.

    The worker thread has no signal handlers (only the main thread may install them), so a
    Ctrl-C in a notebook interrupts the kernel's loop, not the run; the run's own resume
    covers that. Exceptions propagate to the caller unchanged.
    """
    if not in_running_loop():
        return asyncio.run(coro)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="accord-run-sync", daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]
