"""The import job: other tools' logs (``accord.interop``) become stored accord runs (issue 18).

Each ``ImportedRun`` is written in one store transaction (``ResultStore.import_run``): the run,
its items, responses and the tool's own verdicts as labels, then the suite digest and counts.
A bad sample anywhere rolls the whole run back, so nothing is half-imported; re-importing the
same file finds the run it made (same run id, same source digest) and writes nothing.

Samples stream through in batches, so memory does not grow with the log: the job keeps only
the set of item ids seen (an item recurs once per epoch) and a running hash for the suite
digest (``accord.suites.DigestWriter``, equal to ``digest_items``; it takes the C JSON
encoder's path while items hold no numbers).

Another tool's log is someone else's file: its header metadata (task arguments, generation
config) passes through ``redact_auth`` before it is stored, so a key left in a task argument
never reaches the store, a report or a signed statement.
After an import, ``accord judge / score / report / attest`` work on the run unchanged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from accord.interop import ImportedRun
from accord.records import Item, Label, Response
from accord.store import ResultStore, RunInfo, SuiteRef
from accord.suites import DigestWriter

#: Samples per write batch: large enough to amortise the inserts, small enough to bound memory.
BATCH = 2000


@dataclass(frozen=True)
class ImportSummary:
    """What one import did, for the CLI and ``--json``."""

    run_id: str
    kind: str
    source: str
    target: str
    suite_id: str
    written: bool
    items: int
    responses: int
    errors: int
    labels: int
    judges: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["judges"] = list(self.judges)
        return out


def _redacted(value: Any) -> Any:
    """``value`` (JSON data) with anything that looks like a credential masked (``redact_auth``)."""
    import json

    from accord.redact import redact_auth

    return json.loads(redact_auth(json.dumps(value, ensure_ascii=False, default=str)))


def _run_info(r: ImportedRun, now: datetime) -> RunInfo:
    from accord import __version__

    return RunInfo(
        run_id=r.run_id,
        created_at=r.created_at,
        updated_at=now,
        status="running",
        target=r.target,
        target_digest="sha256:" + hashlib.sha256(r.target.encode("utf-8")).hexdigest(),
        suites=[SuiteRef(suite_id=r.suite_id, digest="sha256:" + "0" * 64, n_items=0)],
        params=_redacted({"generation": r.generation, "model": r.model}),
        epochs=max(1, r.epochs),
        n_items=0,
        accord_version=__version__,
        meta={"import": {**_redacted(r.meta), "kind": r.kind, "source_path": r.source_path, "source_digest": r.source_digest}},
    )


def import_logs(
    store: ResultStore,
    runs: Iterable[ImportedRun],
    *,
    batch_size: int = BATCH,
    progress: Callable[[str, int], None] | None = None,
) -> list[ImportSummary]:
    """Write each imported run (see the module doc); ``progress(run_id, samples_done)`` after
    each batch. Returns one summary per run, ``written=False`` for a run already imported."""
    return [_import_one(store, r, batch_size, progress) for r in runs]


class _Stream:
    """One run's samples as write batches, counting as they pass (and nothing else kept)."""

    def __init__(self, r: ImportedRun, batch_size: int, progress: Callable[[str, int], None] | None) -> None:
        self.r, self.batch_size, self.progress = r, batch_size, progress
        self.seen: set[tuple[str, str]] = set()
        self.digest = DigestWriter()
        self.responses = self.errors = self.labels = 0
        self.judges: set[str] = set()
        #: what each response records as its origin: the tool and the digest of its log
        self.source = f"{r.kind}:{r.source_digest if r.source_digest.startswith('sha256:') else 'sha256:' + r.source_digest}"

    def batches(self) -> Iterator[tuple[Sequence[Item], Sequence[Response], Sequence[Label]]]:
        r = self.r
        items: list[Item] = []
        responses: list[Response] = []
        labels: list[Label] = []
        for sample in r.samples():
            key = (sample.item.suite_id, sample.item.item_id)
            if key not in self.seen:
                self.seen.add(key)
                self.digest.add(sample.item)
                items.append(sample.item)
            resp = sample.response.model_copy(update={"run_id": r.run_id, "provenance": "imported", "source_run": self.source})
            responses.append(resp)
            self.responses += 1
            self.errors += resp.error_kind is not None
            for lb in sample.labels:
                labels.append(lb if lb.run_id == r.run_id else lb.model_copy(update={"run_id": r.run_id}))
                self.judges.add(lb.judge_id)
            self.labels += len(sample.labels)
            if len(responses) >= self.batch_size:
                yield items, responses, labels
                if self.progress is not None:
                    self.progress(r.run_id, self.responses)
                items, responses, labels = [], [], []
        if responses or items:
            yield items, responses, labels

    def finish(self) -> dict[str, Any]:
        complete = self.r.meta.get("complete", True) is not False
        return {
            "suites": [SuiteRef(suite_id=self.r.suite_id, digest=self.digest.digest(), n_items=len(self.seen))],
            "n_items": len(self.seen),
            "status": "complete" if complete else "interrupted",
            "updated_at": datetime.now(UTC),
        }


def _import_one(store: ResultStore, r: ImportedRun, batch_size: int, progress: Callable[[str, int], None] | None) -> ImportSummary:
    stream = _Stream(r, batch_size, progress)
    stored, written = store.import_run(_run_info(r, datetime.now(UTC)), stream.batches(), stream.finish)
    if written:
        responses, errors, labels, judges = stream.responses, stream.errors, stream.labels, stream.judges
    else:  # imported before: report what is stored
        counts = store.response_counts(stored.run_id)
        responses, errors = counts["responses"], counts["errors"]
        labels, judges = 0, {j for j, _v, _n in store.judges_for_run(stored.run_id)}
    return ImportSummary(
        run_id=stored.run_id, kind=r.kind, source=r.source_path, target=stored.target, suite_id=r.suite_id, written=written,
        items=stored.n_items, responses=responses, errors=errors, labels=labels, judges=tuple(sorted(judges)),
    )  # fmt: skip


def export_inspect(store: ResultStore, run_id: str, path: str) -> int:
    """Write a stored run as an Inspect AI log (``accord runs export RUN --format inspect``):
    every response as a sample, each judge's labels as a scorer, the stored verdicts as
    metadata (``accord.interop.write_inspect_log``). Returns the samples written."""
    from accord.interop import write_inspect_log

    run = store.require_run(run_id)
    items = list(store.iter_items(run_id))
    responses = list(store.iter_responses(run_id))
    by_judge: dict[str, list[Label]] = {}
    for lb in store.iter_labels(run_id):
        by_judge.setdefault(lb.judge_id, []).append(lb)
    verdicts = store.get_artifacts(run_id, "verdicts")
    return int(write_inspect_log(path, run, items, responses, by_judge, verdicts, deployment=_deployment(verdicts)))


def _deployment(verdicts: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The stored verdicts' deployment matrix (``frameworks.deployment_matrix``, the one rule),
    for the log's metadata; ``None`` when the run was never scored, or by several judges
    (one matrix per target and judge would mix two judges' readings)."""
    from accord.frameworks import PackVerdict, deployment_matrix

    parsed = [PackVerdict.model_validate(v) for v in verdicts.values()]
    if not parsed or len({v.judge_id for v in parsed}) != 1:
        return None
    target = parsed[0].target or parsed[0].run_id or "run"
    return deployment_matrix({target: parsed}).model_dump(mode="json")


def importers() -> dict[str, Callable[..., Iterator[ImportedRun]]]:
    """Importers by ``accord runs import`` kind: the built-ins (``accord.interop``) and those
    plugins register, all through the ``accord_importers`` hook."""
    import accord.interop  # noqa: F401  (declares the built-in importers)
    from accord.plugins import importer_sources

    return {name: reg.load() for name, reg in importer_sources().items()}


__all__ = ["BATCH", "ImportSummary", "export_inspect", "import_logs", "importers"]
