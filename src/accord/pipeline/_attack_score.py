"""The attack-success job: read one run's attacked responses and a judge's labels, measure, persist.

The edge between the store and the pure ``accord.frameworks`` figures (``measure_attacks``):
the run row names its attacks (``params["attacks"]``, ``AttackPlan.to_params``), each
response its target queries (``Response.attack["queries"]["target"]``, one where absent),
the judge its labels with human review applied exactly as ``accord score`` reads them
(``reviewed_labels``: a response awaiting review is unassessed), and the judge's measured
error (``judge_error_of``) gives the corrected figures.

Persisted: artifact kind ``attack-success``, name ``<judge_id>``, ``AttackSuccess.to_dict()``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from accord.errors import AccordError
from accord.frameworks import AttackSuccess, attack_names, attack_rows, format_attack_success, measure_attacks
from accord.records import Response
from accord.store import ResultStore

ARTIFACT = "attack-success"


def target_queries(responses: Iterable[Response]) -> dict[tuple[str, str, str, int], int]:
    """Target queries per response key: a strategy's count from its trace, else one.

    A response whose trace records no target query (the attack failed before reaching the
    target) took none."""
    out: dict[tuple[str, str, str, int], int] = {}
    for r in responses:
        n = 1
        trace: Any = r.attack
        if isinstance(trace, dict) and isinstance(trace.get("queries"), dict):
            n = int(trace["queries"].get("target", 0))
        elif r.error_kind is not None and r.attempts == 0:
            n = 0  # a transform that failed before anything was sent
        out[(r.suite_id, r.item_id, r.variant_id, int(r.epoch))] = n
    return out


def attack_success(store: ResultStore, run_id: str, judge_id: str | None = None, *, save: bool = True) -> AttackSuccess:
    """Attack success of ``run_id`` under ``judge_id`` (default: the run's only judge), stored
    as the ``attack-success`` artifact unless ``save=False``.

    Raises ``AccordError`` when the run has no labels from the judge: figures from nothing
    would read as an attack that never worked."""
    from accord.pipeline._review import reviewed_labels
    from accord.pipeline._score import judge_error_of, pick_judge

    run = store.require_run(run_id)
    judge, version = pick_judge(store, run_id, judge_id)
    items = list(store.iter_items(run_id))
    labels = reviewed_labels(store, run_id, judge, items).labels
    if not labels:
        raise AccordError(f"judge '{judge}' has no labels for run '{run_id}'", fix=f"accord judge run {run_id} --judge {judge}")
    texts, variants = attack_names(run.params)
    try:
        rows = attack_rows(items, labels, variants, target_queries(store.iter_responses(run_id)))
    except ValueError as exc:
        raise AccordError(
            f"cannot measure attack success of run '{run_id}': {exc}", why="labels must refer to the run's stored items"
        ) from exc
    result = measure_attacks(rows, judge_id=judge, attacks=texts, judge_error=judge_error_of(store, judge, version))
    if save:
        store.put_artifact(run_id, ARTIFACT, judge, result.to_dict())
    return result


def stored_attack_success(store: ResultStore, run_id: str, judge_id: str) -> AttackSuccess | None:
    """The ``attack-success`` artifact ``attack_success`` stored for ``judge_id``, if any."""
    doc = store.get_artifacts(run_id, ARTIFACT).get(judge_id)
    return AttackSuccess.from_dict(doc) if doc else None


__all__ = ["ARTIFACT", "attack_success", "format_attack_success", "stored_attack_success", "target_queries"]
