"""The results database: SQLite embedded by default, PostgreSQL for shared deployments.

``ResultStore`` is the typed protocol the pipeline is written against; ``Store`` is its
SQLAlchemy implementation. ``Store`` is imported lazily so that code which only needs the
protocol or the records (the pipeline's type hints, the report) never loads SQLAlchemy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from accord.store._protocol import KeyTuple, ResultStore
from accord.store._records import (
    MAX_NOTE_CHARS,
    MAX_REVIEWER_CHARS,
    ConfusionCounts,
    JudgeValidation,
    ReviewDecision,
    RunInfo,
    RunStatus,
    SuiteRef,
    ValidationTask,
)

if TYPE_CHECKING:
    from accord.store._federation import Federation
    from accord.store._incidents import Incidents
    from accord.store._orgs import Orgs
    from accord.store._published import Published
    from accord.store._store import Store

__all__ = [
    "MAX_NOTE_CHARS",
    "MAX_REVIEWER_CHARS",
    "ConfusionCounts",
    "Federation",
    "Incidents",
    "Orgs",
    "Published",
    "JudgeValidation",
    "KeyTuple",
    "ResultStore",
    "ReviewDecision",
    "RunInfo",
    "RunStatus",
    "Store",
    "SuiteRef",
    "ValidationTask",
    "write_export",
]


#: The service's tables and queries (issue 20), each in its own module: name -> module.
_SERVICE = {
    "Orgs": "accord.store._orgs",
    "Published": "accord.store._published",
    "Incidents": "accord.store._incidents",
    "Federation": "accord.store._federation",  # issue 21
}


def __getattr__(name: str) -> Any:
    if name in _SERVICE:
        import importlib

        return getattr(importlib.import_module(_SERVICE[name]), name)
    if name == "Store":
        from accord.store._store import Store

        return Store
    if name == "write_export":
        from accord.store._export import write_export

        return write_export
    raise AttributeError(f"module 'accord.store' has no attribute {name!r}")
