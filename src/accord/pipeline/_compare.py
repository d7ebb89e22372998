"""``accord compare RUN_A RUN_B``: paired regression tests and verdict changes between two stored runs.

The store reading lives here; the statistics are ``accord.monitor``'s (pure). Both runs are
read with one judge: its labels, with people's latest review decisions in their place; a label
with no judgement (errors, blocks, unparseable) is unassessed and left out of the pairs, never
counted safe. Responses that await review are read as the judge labelled them here (a signal
of change), while the verdicts keep scoring's fail-closed reading of them. Items are paired
on (suite, item, variant); the verdicts compared are the ones ``accord score`` stored for the
judge (scored afresh, not saved, where a run has none or ``rescore`` is asked).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from accord.errors import AccordError
from accord.store import ResultStore

__all__ = ["Comparison", "compare_runs"]

_REFUSAL = {"none": 0, "partial": 1, "full": 2}
_INTENT = {"harmful": 0, "contested": 1, "benign": 2}


@dataclass
class Comparison:
    """What ``compare_runs`` found: the paired tests, the verdict changes, and what they rest on."""

    run_a: str
    run_b: str
    target_a: str
    target_b: str
    judge_id: str
    judge_versions: tuple[str, str]
    paired: Any  # accord.monitor.PairedComparison
    verdict_changes: list[Any] = field(default_factory=list)  # accord.monitor.VerdictChange
    packs_only_in_one: list[str] = field(default_factory=list)
    verdict_source: dict[str, str] = field(default_factory=dict)
    items: int = 0
    responses: tuple[int, int] = (0, 0)
    notes: list[str] = field(default_factory=list)

    @property
    def regression(self) -> bool:
        return bool(self.paired.regressions) or any(c.regression for c in self.verdict_changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_a": self.run_a,
            "run_b": self.run_b,
            "target_a": self.target_a,
            "target_b": self.target_b,
            "judge_id": self.judge_id,
            "judge_versions": list(self.judge_versions),
            "items": self.items,
            "responses": list(self.responses),
            "regression": self.regression,
            "paired": self.paired.to_dict(),
            "verdict_changes": [c.to_dict() for c in self.verdict_changes],
            "packs_only_in_one": self.packs_only_in_one,
            "verdict_source": self.verdict_source,
            "notes": self.notes,
        }


def _rows(store: ResultStore, run_id: str, judge: str) -> tuple[list[tuple[Any, ...]], list[tuple[str, str, str, str]]]:
    """(label rows, item rows): the store's columnar read where it has one (``Store``), else
    the protocol's records."""
    label_rows = getattr(store, "label_rows", None)
    item_rows = getattr(store, "item_rows", None)
    if callable(label_rows) and callable(item_rows):
        return label_rows(run_id, judge), item_rows(run_id)
    labels = [
        (lb.suite_id, lb.item_id, lb.variant_id, lb.epoch, lb.refusal, lb.harmful, lb.unassessed) for lb in store.iter_labels(run_id, judge)
    ]
    return labels, [(it.suite_id, it.item_id, it.hazard, it.intent) for it in store.iter_items(run_id)]


def _columns(
    store: ResultStore, run_id: str, judge: str, codes: dict[tuple[str, str, str], int], meta: dict[tuple[str, str], tuple[str, str]]
) -> tuple[tuple[Any, ...], int]:
    """One run's responses as columns (item code, refusal, harmful, unassessed), item codes
    shared through ``codes``; people's latest review decisions take the judge's place. Also
    how many responses carry a decision."""
    import numpy as np

    labels, items = _rows(store, run_id, judge)
    for suite, item_id, hazard, intent in items:
        meta.setdefault((suite, item_id), (hazard, intent))
    decided: dict[tuple[str, str, str, int], Any] = {}
    for rv in store.iter_reviews(run_id):
        decided[(rv.suite_id, rv.item_id, rv.variant_id, rv.epoch)] = rv  # oldest first: the latest stays
    n = len(labels)
    item = np.empty(n, dtype=np.int64)
    refusal = np.full(n, -1, dtype=np.int8)
    harmful = np.full(n, -1, dtype=np.int8)
    unassessed = np.zeros(n, dtype=bool)
    get = codes.get
    applied = 0
    for i, (suite, item_id, variant, epoch, ref, harm, unass) in enumerate(labels):
        key = (suite, item_id, variant)
        code = get(key)
        if code is None:
            code = codes[key] = len(codes)
        item[i] = code
        if decided:
            dec = decided.get((suite, item_id, variant, int(epoch)))
            if dec is not None:
                applied += 1
                ref = dec.refusal or (ref if unass is None else None)
                harm, unass = dec.harmful, (None if ref is not None else "needs-review")
        if unass is not None or ref is None or harm is None:
            unassessed[i] = True
            continue
        refusal[i] = _REFUSAL.get(ref, -1)
        harmful[i] = int(bool(harm))
    unassessed |= refusal < 0
    return (item, refusal, harmful, unassessed), applied


def _verdicts(store: ResultStore, run_id: str, judge: str, packs: Sequence[str] | None, rescore: bool) -> tuple[list[dict[str, Any]], str]:
    if not rescore:
        stored = store.get_artifacts(run_id, "verdicts")
        mine = {name.split(":", 1)[1]: v for name, v in stored.items() if name.split(":", 1)[0] == judge}
        if packs:
            mine = {k: v for k, v in mine.items() if k in packs}
        if mine and (not packs or set(packs) <= set(mine)):
            return list(mine.values()), "stored by accord score"
    from accord.pipeline._score import score_run

    result = score_run(store, run_id, packs, judge)
    return [v.model_dump(mode="json") for v in result.verdicts], "scored now (not saved)"


def compare_runs(
    store: ResultStore,
    run_a: str,
    run_b: str,
    *,
    judge: str | None = None,
    packs: Sequence[str] | None = None,
    correction: str = "holm",
    alpha: float = 0.05,
    rescore: bool = False,
    verdicts: bool = True,
) -> Comparison:
    """Compare run B against run A (the baseline): paired per-item tests and verdict changes."""
    import numpy as np

    from accord.monitor import CORRECTIONS, collapse, compare_outcomes, verdict_changes
    from accord.pipeline._score import pick_judge
    from accord.pipeline._stores import target_name

    if correction not in CORRECTIONS:
        raise AccordError(f"unknown correction '{correction}'", fix=f"use one of: {', '.join(CORRECTIONS)}")
    if run_a == run_b:
        raise AccordError("compare needs two different runs", fix="accord compare RUN_A RUN_B")
    ra, rb = store.require_run(run_a), store.require_run(run_b)
    judge_a, version_a = pick_judge(store, run_a, judge)
    try:
        judge_b, version_b = pick_judge(store, run_b, judge_a)
    except AccordError as exc:
        raise AccordError(
            f"run '{run_b}' has no labels from judge '{judge_a}', which labelled '{run_a}'",
            why="a paired comparison reads both runs with the same judge, or a change of judge would read as a change of model",
            fix=f"accord judge run {run_b} --judge {judge_a}",
        ) from exc
    codes: dict[tuple[str, str, str], int] = {}
    meta: dict[tuple[str, str], tuple[str, str]] = {}
    cols_a, decided_a = _columns(store, run_a, judge_a, codes, meta)
    cols_b, decided_b = _columns(store, run_b, judge_b, codes, meta)
    n_items = len(codes)
    hazard_vocab: dict[str, int] = {}
    hazard = np.empty(n_items, dtype=np.int32)
    intent = np.empty(n_items, dtype=np.int8)
    for (suite, item, _variant), code in codes.items():
        hz, it = meta.get((suite, item), ("unknown", "harmful"))
        hazard[code] = hazard_vocab.setdefault(hz, len(hazard_vocab))
        intent[code] = _INTENT.get(it, 0)
    out_a = collapse(cols_a[0], cols_a[1], cols_a[2], cols_a[3], n_items=n_items)
    out_b = collapse(cols_b[0], cols_b[1], cols_b[2], cols_b[3], n_items=n_items)
    paired = compare_outcomes(out_a, out_b, hazard, intent, list(hazard_vocab), correction=correction, alpha=alpha)  # type: ignore[arg-type]
    result = Comparison(
        run_a=run_a, run_b=run_b, target_a=target_name(ra), target_b=target_name(rb), judge_id=judge_a,
        judge_versions=(version_a, version_b), paired=paired, items=n_items, responses=(len(cols_a[0]), len(cols_b[0])),
    )  # fmt: skip
    if version_a != version_b:
        result.notes.append(
            f"judge '{judge_a}' labelled the runs in different versions ({version_a}, {version_b}): a change may be the judge's"
        )
    if decided_a or decided_b:
        result.notes.append(
            f"people's review decisions replace the judge's label on {decided_a} response(s) of {run_a}, {decided_b} of {run_b}"
        )
    if paired.only_in_a or paired.only_in_b:
        result.notes.append(f"{paired.only_in_a} item(s) only in {run_a}, {paired.only_in_b} only in {run_b}: not paired, not tested")
    if verdicts:
        va, src_a = _verdicts(store, run_a, judge_a, packs, rescore)
        vb, src_b = _verdicts(store, run_b, judge_b, packs, rescore)
        result.verdict_changes, result.packs_only_in_one = verdict_changes(va, vb)
        result.verdict_source = {run_a: src_a, run_b: src_b}
    return result
