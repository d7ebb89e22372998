"""Opening the results store and exporting a run: the store-facing jobs the front ends need.

Front ends (CLI, server) never import ``accord.store`` or ``accord.runner`` themselves
(docs/architecture.md); they open a store and read progress helpers through here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from accord.store import ResultStore

__all__ = ["export_run", "open_store", "target_name"]


def target_name(run: object) -> str:
    """The readable name of a run's target: the run spec's override, else the provider's
    display name (both kept in the run's ``meta``), else the raw spec (runs stored before
    display names existed). Light on purpose: ``accord runs list`` calls it."""
    meta = getattr(run, "meta", None) or {}
    name = meta.get("target_name")
    return str(name) if name else str(getattr(run, "target", ""))


def open_store(db: str | None = None, *, create: bool = False, read_only: bool = False) -> ResultStore:
    """The store at ``db`` (a URL or a path; ``None``: ``ACCORD_DB``, else the embedded SQLite
    file), migrated if needed. ``create=False`` refuses to make a new store (a missing or empty
    file, an empty database), so a mistyped path is reported instead of silently created empty.
    ``read_only=True`` never writes or migrates (and works on a read-only filesystem)."""
    from accord.store import Store

    store: ResultStore = Store.open(db, create=create, read_only=read_only)
    return store


def export_run(store: ResultStore, run_id: str, fmt: str, out: TextIO) -> int:
    """Write one record per stored response of ``run_id`` (with its labels) as JSONL or CSV."""
    from accord.store import write_export

    store.require_run(run_id)
    return int(write_export(store, run_id, fmt, out))
