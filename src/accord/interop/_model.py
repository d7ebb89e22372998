"""What an importer hands the import job: one external log as an accord run, streamed.

Importers (``accord.interop``: Inspect AI, garak, promptfoo; plugins may add more) read a file
another tool wrote and yield ``ImportedRun``s: a header (what the run was, where it came from)
and a *re-iterable* stream of ``ImportedSample``s (the item, the response, and the other tool's
own verdicts as labels of a judge named ``<tool>:<scorer>``). They never touch the store: the
pipeline's import job (``accord.pipeline.import_logs``) writes each run in one transaction, so
a bad file leaves nothing half-imported, and skips a run already imported from the same bytes.

Why a stream: a 100,000-sample Inspect log must import in bounded memory; the job reads the
samples once, in batches. Why re-iterable (``samples`` is a callable): the header is checked and
the run created before any sample is read, and a failure half-way must be able to say which
sample broke without having buffered the others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from accord.records import Item, Label, Response


@dataclass(frozen=True)
class ImportedSample:
    """One sample of the external log: what was asked, what came back, what the tool scored.

    ``response.run_id`` and each label's ``run_id`` may be left empty (``""``): the job fills
    in the run id. Labels carry ``judge_id`` ``<tool>:<scorer>`` and a ``judge_version`` naming
    the tool's version; a score the tool could not compute is a label with ``unassessed``."""

    item: Item
    response: Response
    labels: tuple[Label, ...] = ()


@dataclass(frozen=True)
class ImportedRun:
    """One run to create: a task x model of an Inspect log, a garak report, a promptfoo eval.

    ``run_id`` must be deterministic for the same input (e.g. ``inspect-<task>-<model>-<12 hex
    of the log's digest>``) so a re-import finds the run it made. ``source_digest`` is the
    sha256 of the file's bytes; ``target`` is the display spec (``inspect:<model>``);
    ``samples()`` yields the samples in a stable order, each time it is called."""

    kind: str
    source_path: str
    source_digest: str
    run_id: str
    target: str
    suite_id: str
    created_at: datetime
    samples: Callable[[], Iterator[ImportedSample]]
    model: str | None = None
    epochs: int = 1
    #: Generation config as the tool recorded it (temperature, max_tokens, seed ...).
    generation: dict[str, Any] = field(default_factory=dict)
    #: Anything else worth keeping from the log header (tool version, task args, log status).
    meta: dict[str, Any] = field(default_factory=dict)
    n_samples_hint: int | None = None


#: An importer: paths (files or directories) in, runs out. Errors name the file and field
#: (``accord.errors.InputError``) and are raised before the first sample of a bad file is used.
Importer = Callable[[list[str]], Iterator[ImportedRun]]


__all__ = ["ImportedRun", "ImportedSample", "Importer"]
