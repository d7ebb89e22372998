"""Score a stored run: read its items and one judge's labels, return verdicts, persist them.

This is the edge between the store and the pure ``accord.frameworks`` package (which never
reads or writes anything): ``accord score``, ``accord demo``, ``accord.evaluate`` and library
callers use it, over any ``ResultStore``.

Persisted artifacts (``store.put_artifact``):
- kind ``verdicts``, name ``<judge_id>:<pack_id>``: one ``PackVerdict`` as JSON;
- kind ``divergence``, name ``<judge_id>``: ``Divergence.to_dict()``;
- kind ``hazard-pack``, name ``<judge_id>``: heat-map cells from ``hazard_pack_rates``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from accord.errors import AccordError
from accord.frameworks import Divergence, LabelTable, PackVerdict, ResolvedPack, divergence, hazard_pack_rates, resolve
from accord.frameworks import score as score_packs
from accord.pipeline._review import note_reviews, reviewed_labels
from accord.pipeline._stores import target_name
from accord.store import ResultStore


@dataclass(frozen=True)
class RunScore:
    """One run's verdicts under each pack, with the table and divergence they came from."""

    run_id: str
    target: str
    judge_id: str
    judge_version: str
    packs: list[ResolvedPack]
    table: LabelTable
    verdicts: list[PackVerdict]
    divergence: Divergence
    hazard_pack: list[dict[str, Any]]
    #: Responses that need human review and have none yet: scored as unassessed (``needs-review``).
    awaiting_review: int = 0
    #: Responses scored with a person's decision instead of the judge's label.
    reviewed: int = 0


def pick_judge(store: ResultStore, run_id: str, judge_id: str | None) -> tuple[str, str]:
    """The judge whose labels to score: the one asked for, or the only one there is.

    Its labels must all come from one version of it: a verdict (and the attestation over it)
    names one judge version, so a run half-labelled before a retrain is refused, not blended.
    """
    judges = store.judges_for_run(run_id)
    names = [j for j, _v, _n in judges]
    if not judges:
        raise AccordError(f"run '{run_id}' has no labels yet", fix=f"label it first: accord judge run {run_id}")
    if judge_id is None:
        if len(set(names)) > 1:
            raise AccordError(
                f"run '{run_id}' was labelled by several judges: {', '.join(sorted(set(names)))}",
                fix="choose one with --judge JUDGE_ID",
            )
        judge_id = names[0]
    return judge_id, judge_version(judges, run_id, judge_id)


def judge_version(judges: Sequence[tuple[str, str, int]], run_id: str, judge_id: str) -> str:
    """The one version of ``judge_id`` among a run's ``judges_for_run`` rows (see ``pick_judge``)."""
    versions = [(v, n) for j, v, n in judges if j == judge_id]
    if not versions:
        raise AccordError(
            f"judge '{judge_id}' has not labelled run '{run_id}'",
            fix="labelled by: " + ", ".join(sorted({j for j, _v, _n in judges})),
        )
    if len(versions) > 1:
        counts = ", ".join(f"{v}: {n}" for v, n in versions)
        raise AccordError(
            f"run '{run_id}' has labels from {len(versions)} versions of judge '{judge_id}' ({counts})",
            why="a verdict names one judge version; mixing them would misstate what judged the run",
            fix=f"relabel with the installed version: accord judge run {run_id} --judge {judge_id} --relabel",
        )
    return str(versions[0][0])


def score_run(
    store: ResultStore, run_id: str, pack_refs: Sequence[str] | None = None, judge_id: str | None = None, as_of: date | None = None
) -> RunScore:
    """Verdicts of ``run_id``'s labels under ``pack_refs`` (default: every built-in pack)."""
    run = store.require_run(run_id)
    judge, version = pick_judge(store, run_id, judge_id)
    packs = resolve(list(pack_refs) if pack_refs else None)
    items = list(store.iter_items(run_id))
    # Responses that need a person (judges disagree; harmful on a floor hazard) are unassessed
    # until decided; decided ones carry the decision (accord.pipeline._review).
    reviewed = reviewed_labels(store, run_id, judge, items)
    try:
        table = LabelTable.from_records(items, reviewed.labels)
    except ValueError as exc:
        raise AccordError(f"cannot score run '{run_id}': {exc}", why="labels must refer to the run's stored items") from exc
    if not len(table):
        raise AccordError(f"judge '{judge}' has no labels for run '{run_id}'", fix=f"accord judge run {run_id} --judge {judge}")
    target = target_name(run)
    verdicts = note_reviews(score_packs(table, packs, run_id=run_id, judge_id=judge, target=target, as_of=as_of), reviewed, run_id)
    div = divergence(table, packs)
    return RunScore(
        run_id,
        target,
        judge,
        version,
        packs,
        table,
        verdicts,
        div,
        hazard_pack_rates(table, packs),
        awaiting_review=reviewed.awaiting,
        reviewed=reviewed.decided,
    )


def score(
    store: ResultStore,
    run_id: str,
    packs: Sequence[str] | None = None,
    *,
    judge: str | None = None,
    as_of: date | None = None,
    save: bool = True,
) -> RunScore:
    """The score job: verdicts of one run under ``packs``, stored as artifacts unless ``save=False``."""
    result = score_run(store, run_id, packs, judge, as_of=as_of)
    if save:
        persist(store, result)
    return result


def persist(store: ResultStore, result: RunScore) -> int:
    """Store the verdicts, divergence and heat map as artifacts of the run; returns how many."""
    n = 0
    for v in result.verdicts:
        store.put_artifact(result.run_id, "verdicts", f"{result.judge_id}:{v.pack_id}", v.model_dump(mode="json"))
        n += 1
    store.put_artifact(result.run_id, "divergence", result.judge_id, result.divergence.to_dict())
    store.put_artifact(result.run_id, "hazard-pack", result.judge_id, {"cells": result.hazard_pack})
    return n + 2
