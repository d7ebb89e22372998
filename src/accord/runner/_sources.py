"""What the runner needs from a suite: an id, a fresh lazy iterator of items, and a scan.

``accord.suites.open_suite`` returns objects of this shape; ``ItemsSource`` wraps items
already in memory (tests, attacks that build variants, library callers).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol, runtime_checkable

from accord.records import Item, digest_items


@runtime_checkable
class SuiteSource(Protocol):
    suite_id: str

    def iter_items(self) -> Iterator[Item]:
        """A fresh iterator over validated items, in order."""
        ...

    def scan(self) -> tuple[int, str]:
        """Validate every item in one streaming pass; return (count, digest)."""
        ...


class ItemsSource:
    """A suite whose items are already in memory."""

    def __init__(self, suite_id: str, items: Sequence[Item]) -> None:
        self.suite_id = suite_id
        self.items = tuple(items)

    def iter_items(self) -> Iterator[Item]:
        return iter(self.items)

    def scan(self) -> tuple[int, str]:
        return len(self.items), digest_items(self.items)


class StoredItems:
    """A run's items as the store holds them, in ``seq`` order (every suite of the run, one
    source): what a worker on another machine reads instead of the suite files, which only
    the driver needs. ``suite_id`` is a placeholder; each item keeps its own."""

    def __init__(self, store: Any, run_id: str, n_items: int, digest: str = "") -> None:
        self.store = store
        self.run_id = run_id
        self.suite_id = f"stored:{run_id}"
        self.n_items = n_items
        self.digest = digest

    def iter_items(self) -> Iterator[Item]:
        return iter(self.store.iter_items(self.run_id))

    def scan(self) -> tuple[int, str]:
        return self.n_items, self.digest
