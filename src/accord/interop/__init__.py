"""Interop: results other tools already have, in and out of accord (issue 18).

- **in**: Inspect AI logs (``.eval``/``.json``, read with Inspect's own reader: the ``inspect``
  extra), garak ``report.jsonl`` files and promptfoo eval results become accord runs
  (``ImportedRun``): the samples, the outputs, and the tool's own scores as labels of a judge
  named ``<tool>:<scorer>``. The pipeline's import job writes them (``accord runs import``).
- **out**: an accord run as an Inspect log (``accord runs export RUN --format inspect``), so
  ``inspect view`` opens it.

Pure readers and writers of files: no store, no network.
"""

from __future__ import annotations

from typing import Any

from accord.interop._model import ImportedRun, ImportedSample, Importer
from accord.plugins import declare_builtin

declare_builtin("accord.interop._plugin", ("accord_importers",))

#: Readers and writers, imported on first use (Inspect's own reader is an optional extra).
_LAZY = {
    "import_inspect": "accord.interop._inspect",
    "import_garak": "accord.interop._garak",
    "import_promptfoo": "accord.interop._promptfoo",
    "write_inspect_log": "accord.interop._inspect_out",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'accord.interop' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = ["ImportedRun", "ImportedSample", "Importer", "import_garak", "import_inspect", "import_promptfoo", "write_inspect_log"]
