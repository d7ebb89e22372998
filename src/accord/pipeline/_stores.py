"""Opening the results store and exporting a run: the store-facing jobs the front ends need.

Front ends (CLI, server) never import ``accord.store`` or ``accord.runner`` themselves
(docs/architecture.md); they open a store and read progress helpers through here.
"""

from __future__ import annotations

from typing import TextIO

from accord.runner import line_interval_s, print_start, progress_line, want_progress
from accord.store import ResultStore

__all__ = ["export_run", "line_interval_s", "open_store", "print_start", "progress_line", "want_progress"]


def open_store(db: str | None = None, *, create: bool = False) -> ResultStore:
    """The store at ``db`` (a URL or a path; ``None``: ``ACCORD_DB``, else the embedded SQLite
    file), migrated if needed. ``create=False`` refuses to make a new SQLite file, so a
    mistyped path on a read-only command is reported instead of silently created empty."""
    from accord.store import Store

    store: ResultStore = Store.open(db, create=create)
    return store


def export_run(store: ResultStore, run_id: str, fmt: str, out: TextIO) -> int:
    """Write one record per stored response of ``run_id`` (with its labels) as JSONL or CSV."""
    from accord.store import write_export

    store.require_run(run_id)
    return int(write_export(store, run_id, fmt, out))
