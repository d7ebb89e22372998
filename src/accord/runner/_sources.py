"""What the runner needs from a suite: an id, a fresh lazy iterator of items, and a scan.

``accord.suites.open_suite`` returns objects of this shape; ``ItemsSource`` wraps items
already in memory (tests, attacks that build variants, library callers).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol, runtime_checkable

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
