"""accord: comparable, verifiable AI safety evaluation.

The public API is re-exported lazily so that ``import accord`` stays cheap (the CLI's start-up
time counts against every run).
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "AccordError": "accord.errors",
    "InputError": "accord.errors",
    "Message": "accord.records",
    "Response": "accord.records",
    "Label": "accord.records",
    "ResponseKey": "accord.records",
    "Item": "accord.suites",
    "Suite": "accord.suites",
    "load_suite": "accord.suites",
    "Target": "accord.targets",
    "parse_target": "accord.targets",
    "Store": "accord.store",
    "ResultStore": "accord.store",
    # the pipeline: one call from a script or a notebook cell
    "evaluate": "accord.pipeline",
    "aevaluate": "accord.pipeline",
    "evaluate_all": "accord.pipeline",
    "Evaluation": "accord.pipeline",
    "RunSpec": "accord.pipeline",
    "TargetEntry": "accord.pipeline",
    "load_run_spec": "accord.pipeline",
    "pipeline": "accord.pipeline",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'accord' has no attribute {name!r}")
    import importlib

    mod = importlib.import_module(module)
    return mod if module == f"accord.{name}" else getattr(mod, name)
