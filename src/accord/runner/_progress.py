"""Live counters of a run and the progress bar that shows them.

``Counters`` are plain integers bumped by the workers (one event loop, no locks). The bar is
drawn by rich on stderr, redrawn by a task on the event loop a few times a second (no
refresh thread competing for the GIL). When stderr is not a terminal (``2>log``, CI) a bar
would print nothing useful until the end, so ``ProgressLines`` writes one plain line every
few seconds instead; ``--no-progress`` turns both off.
"""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Literal

ProgressMode = Literal["bar", "lines"] | None


@dataclass
class Counters:
    total: int = 0  # work units this invocation must finish (after skipping stored keys)
    skipped: int = 0  # keys already stored (resume)
    done: int = 0
    in_flight: int = 0
    requests: int = 0  # attempts sent to the target, retries included
    retries: int = 0
    errors: int = 0
    blocked: int = 0
    cached: int = 0
    started: float = field(default_factory=time.monotonic)
    first_done: float | None = None
    last_done: float | None = None

    def finished_one(self, *, error: bool, blocked: bool, cached: bool) -> None:
        self.done += 1
        if error:
            self.errors += 1
        elif blocked:
            self.blocked += 1
        if cached:
            self.cached += 1
        now = time.monotonic()
        if self.first_done is None:
            self.first_done = now
        self.last_done = now

    def rate(self) -> float:
        """Work units finished per second since the run began."""
        elapsed = (self.last_done or time.monotonic()) - self.started
        return self.done / elapsed if elapsed > 0 else 0.0


def want_progress(disabled: bool) -> ProgressMode:
    """A bar on a terminal, progress lines anywhere else, nothing with ``--no-progress``."""
    if disabled:
        return None
    return "bar" if sys.stderr.isatty() else "lines"


def progress_display(mode: ProgressMode | bool, counters: Counters, *, label: str) -> ProgressBar | ProgressLines | None:
    """The display for ``mode`` (``True``/``False`` mean bar/none, for older callers)."""
    if mode is True or mode == "bar":
        return ProgressBar(counters, label=label)
    if mode == "lines":
        return ProgressLines(counters, label=label)
    return None


def line_interval_s() -> float:
    """Seconds between progress lines: ``ACCORD_PROGRESS_INTERVAL`` (e.g. 30 for quiet CI logs), else 5."""
    import os

    try:
        value = float(os.environ.get("ACCORD_PROGRESS_INTERVAL", "5"))
    except ValueError:
        return 5.0
    return value if value > 0 else 5.0


def progress_line(label: str, done: int, total: int, elapsed_s: float, extra: str = "") -> str:
    """One log line: ``run: 1200/5000 (24%) · 310/s · ETA 12s · 3 errors``. Shared by run and label."""
    pct = f" ({100 * done / total:.0f}%)" if total else ""
    rate = done / elapsed_s if elapsed_s > 0 else 0.0
    eta = f" · ETA {max(0.0, (total - done) / rate):.0f}s" if rate > 0 and total >= done else ""
    return f"{label}: {done}/{total}{pct} · {rate:.0f}/s{eta}{(' · ' + extra) if extra else ''}"


class ProgressLines:
    """Plain progress lines on stderr every ``every_s`` seconds (and one at the end).

    For logs and CI, where a redrawn bar shows nothing until the run ends. The ticker runs
    on the event loop like the bar, so it costs one wake-up per interval.
    """

    def __init__(self, counters: Counters, *, label: str, every_s: float | None = None) -> None:
        self.counters = counters
        self.label = label
        self.every_s = every_s if every_s is not None else line_interval_s()
        self._ticker: asyncio.Task[None] | None = None
        self._started = time.monotonic()

    def line(self) -> str:
        c = self.counters
        extra = f"{c.in_flight} in flight · {c.retries} retries · {c.errors} errors"
        return progress_line(self.label, c.done, c.total, time.monotonic() - self._started, extra)

    def start(self) -> None:
        self._started = time.monotonic()
        self._ticker = asyncio.get_running_loop().create_task(self._tick())

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.every_s)
            print(self.line(), file=sys.stderr, flush=True)

    def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
        print(self.line(), file=sys.stderr, flush=True)


class ProgressBar:
    """A rich progress bar over ``Counters``; call ``start()``/``stop()`` around the run."""

    def __init__(self, counters: Counters, *, label: str, refresh_s: float = 0.25) -> None:
        self.counters = counters
        self.label = label
        self.refresh_s = refresh_s
        self._progress: Any = None
        self._task_id: Any = None
        self._ticker: asyncio.Task[None] | None = None

    def start(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=24),
            TextColumn(
                "{task.completed}/{task.total} · [cyan]{task.fields[in_flight]}[/] in flight · "
                "[yellow]{task.fields[retries]}[/] retries · [red]{task.fields[errors]}[/] errors · "
                "{task.fields[rate]:.0f}/s · ETA"
            ),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            auto_refresh=False,
            transient=False,
        )
        self._progress.start()
        self._task_id = self._progress.add_task(self.label, total=self.counters.total, in_flight=0, retries=0, errors=0, rate=0.0)
        self._ticker = asyncio.get_running_loop().create_task(self._tick())

    def update(self) -> None:
        c = self.counters
        self._progress.update(
            self._task_id, total=c.total, completed=c.done, in_flight=c.in_flight, retries=c.retries, errors=c.errors, rate=c.rate()
        )
        self._progress.refresh()

    async def _tick(self) -> None:
        while True:
            self.update()
            await asyncio.sleep(self.refresh_s)

    def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
        if self._progress is not None:
            self.update()
            self._progress.stop()
