"""Is a stored run complete enough to score, report or sign? (issue 15, problem 7)

A run is *complete* when it is not still running (its heartbeat or a shard lease is live),
every planned key (each item x epoch of the plain request; for a run imported from another
tool's log, each response the log holds) has a stored outcome (a response, or an error after
its retries), and every stored response is labelled by the judge in
question. ``accord score``, ``report`` and ``attest`` refuse anything less unless
``--allow-incomplete``; the attestation statement then records what was missing
(``completeness`` in the predicate) and the report shows it.

Errors are outcomes here: they count as unassessed in the verdicts and are shown there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from accord.errors import AccordError, ExitCode
from accord.store import ResultStore

#: Keys a message names at most (the counts are exact; the examples only help find them).
EXAMPLES = 3


class IncompleteRunError(AccordError):
    """The run is still running, lacks outcomes or lacks labels (exit code 3, ``INCOMPLETE``)."""

    exit_code = ExitCode.INCOMPLETE


@dataclass(frozen=True)
class Completeness:
    """What a run lacks before its results can stand for the whole plan."""

    run_id: str
    #: The run's status as read now (``running`` only while its heartbeat or a lease is live).
    status: str
    #: Planned keys (items x epochs of the plain request) and how many have a stored outcome.
    planned: int
    stored: int
    #: Stored responses of every variant, and how many of them are errors.
    responses: int
    errors: int
    #: Per judge in question: stored responses without its label.
    unlabelled: dict[str, int] = field(default_factory=dict)
    missing_examples: tuple[str, ...] = ()
    unlabelled_examples: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def missing(self) -> int:
        """Planned keys without a stored outcome."""
        return max(0, self.planned - self.stored)

    @property
    def running(self) -> bool:
        return self.status == "running"

    @property
    def complete(self) -> bool:
        return not self.running and not self.missing and not any(self.unlabelled.values())

    def problems(self) -> list[str]:
        """One phrase per thing missing, for messages and the report."""
        out: list[str] = []
        if self.running:
            out.append("it is still running (its heartbeat is live)")
        if self.missing:
            ex = f" (e.g. {', '.join(self.missing_examples)})" if self.missing_examples else ""
            out.append(f"{self.missing:,} of {self.planned:,} planned responses have no stored outcome{ex}")
        for judge, n in sorted(self.unlabelled.items()):
            if n:
                shown = self.unlabelled_examples.get(judge) or ()
                ex = f" (e.g. {', '.join(shown)})" if shown else ""
                out.append(f"{n:,} of {self.responses:,} stored responses have no label from judge '{judge}'{ex}")
        return out

    def fixes(self) -> list[str]:
        """The commands that complete the run, in the order to run them."""
        out: list[str] = []
        if self.running:
            out.append(f"wait for it to finish (accord runs show {self.run_id})")
        elif self.missing:
            out.append(f"resume it: accord runs show {self.run_id} --spec > spec.yaml && accord run -c spec.yaml --run-id {self.run_id}")
        for judge, n in sorted(self.unlabelled.items()):
            if n or (self.missing and not self.running):
                out.append(f"accord judge run {self.run_id} --judge {judge}")
        return out

    def to_dict(self, *, allowed: bool = False) -> dict[str, Any]:
        """The predicate's ``completeness`` and the report's record: counts, never texts."""
        return {
            "complete": self.complete,
            "allowIncomplete": allowed,
            "status": self.status,
            "planned": self.planned,
            "stored": self.stored,
            "missing": self.missing,
            "responses": self.responses,
            "errors": self.errors,
            "unlabelled": dict(sorted(self.unlabelled.items())),
        }


def _fmt(key: tuple[str, str, str, int]) -> str:
    suite, item, variant, epoch = key
    return f"{suite}/{item}" + (f"/{variant}" if variant != "none" else "") + (f"#{epoch}" if epoch else "")


def completeness(store: ResultStore, run_id: str, judges: Iterable[str] = ()) -> Completeness:
    """What ``run_id`` lacks: outcomes of planned keys, and labels of ``judges``."""
    run = store.require_run(run_id)
    done = store.done_keys(run_id)
    errors = len(store.errored_keys(run_id))
    planned = run.expected_responses
    variants = run.variant_ids
    wanted = set(variants)
    stored = sum(1 for k in done if k[2] in wanted)
    if run.meta.get("import"):
        # An imported run (issue 18) planned what the other tool's log holds: every stored
        # response, whatever its variant (garak's probes wrap one payload as several variants),
        # and nothing else. A log cut short is marked interrupted by the import itself.
        planned = stored = len(done)
    examples: list[str] = []
    if stored < planned:
        for it in store.iter_items(run_id):
            for variant in variants:
                for epoch in range(run.epochs):
                    if (it.suite_id, it.item_id, variant, epoch) not in done:
                        examples.append(_fmt((it.suite_id, it.item_id, variant, epoch)))
            if len(examples) >= EXAMPLES:
                break
    unlabelled: dict[str, int] = {}
    unlabelled_ex: dict[str, tuple[str, ...]] = {}
    for judge in dict.fromkeys(judges):
        todo = done - store.labelled_keys(run_id, judge)
        unlabelled[judge] = len(todo)
        unlabelled_ex[judge] = tuple(_fmt(k) for k in sorted(todo)[:EXAMPLES])
    return Completeness(
        run_id=run_id,
        status=run.status,
        planned=planned,
        stored=min(stored, planned),
        responses=len(done),
        errors=errors,
        unlabelled=unlabelled,
        missing_examples=tuple(examples[:EXAMPLES]),
        unlabelled_examples=unlabelled_ex,
    )


def require_complete(
    store: ResultStore, run_id: str, judges: Sequence[str] = (), *, allow_incomplete: bool = False, command: str = "score"
) -> Completeness:
    """``completeness``, refused with ``IncompleteRunError`` unless complete or ``allow_incomplete``."""
    result = completeness(store, run_id, judges)
    if result.complete or allow_incomplete:
        return result
    raise IncompleteRunError(
        f"run '{run_id}' is incomplete: " + "; ".join(result.problems()),
        why=f"`accord {command}` on part of a run would present it as the whole; re-run with --allow-incomplete to {command} it anyway "
        "(the attestation and the report then say it is incomplete)",
        fix="; then ".join(result.fixes()) or None,
    )
