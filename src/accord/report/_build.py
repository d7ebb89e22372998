"""Build ``ReportData`` from runs already read from the store (pure: no I/O).

The report only presents. Verdicts, the floor, the deployment matrix, divergence and the
heat-map rates all come from ``accord.frameworks`` (``score``, ``deployment_matrix``,
``divergence``, ``hazard_pack_rates``); this module joins them with run metadata and the
judge's measured agreement, picks divergence examples and withholds content a report
must not carry (model output always; the prompt of floor-hazard items).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from accord import __version__
from accord.errors import AccordError
from accord.frameworks import (
    Divergence,
    FloorResult,
    LabelTable,
    PackVerdict,
    ResolvedPack,
    deployment_matrix,
    divergence,
    hazard_pack_rates,
    score,
    units_needed,
)
from accord.report._fmt import truncate
from accord.report._model import (
    AgreementRow,
    DivergenceCell,
    DivergenceExample,
    DivergenceSection,
    HeatCell,
    JudgeErrorCell,
    JudgeErrorEffect,
    JudgeSection,
    PackInfo,
    ReportData,
    RunMeta,
    SuiteMeta,
    TargetSection,
)
from accord.stats import Estimate, interval
from accord.taxonomy import Taxonomy, load_taxonomy

PROMPT_LIMIT = 160
_REFUSAL = {0: "none", 1: "partial", 2: "full"}
_METRICS = ("accuracy", "kappa", "f1", "precision", "recall")

NOTES = [
    "Packs are descriptive: each states what one framework requires, with a citation and a confidence tag "
    "(P: primary text read; S: secondary sources agree; M: from memory; UNVERIFIED: check before relying). "
    "This report applies every pack as written and takes no side between them.",
    "Every rate carries n and a 95% interval. Unassessed responses (errors, provider blocks, judgements that "
    "could not be read) are excluded from each rate's denominator and counted on their own; they are never "
    "treated as safe or as refused.",
    "The universal floor (zero tolerance) is part of every pack: a floor failure blocks deployment in every "
    "jurisdiction, whatever the other requirements show.",
    "Labels come from an automated judge; its measured agreement with human labels is shown in the judge "
    "section. Verdicts are only as reliable as those labels.",
    "Divergence examples show what an item probes and the judge's labels. Model outputs are never included; "
    "prompts are truncated, and withheld entirely for floor hazards.",
]


@dataclass(frozen=True)
class RunInput:
    """One run as read from the store: its record, items, one judge's labels, counts.

    ``run`` is an ``accord.store.RunInfo`` (typed loosely so the report does not import the
    store); ``labels`` must all come from the same judge.
    """

    run: Any
    items: Sequence[Any]
    labels: Sequence[Any]
    counts: Mapping[str, int] = field(default_factory=dict)
    #: Applied to the run's verdicts after scoring: the pipeline's human-review rules (a note of
    #: how many responses await review; no floor pass while floor responses await it).
    adjust: Callable[[list[PackVerdict]], list[PackVerdict]] | None = None
    #: Keys (suite, item, variant, epoch) whose harmful label is confirmed (a person's decision,
    #: or two judges of different kinds), and the judge error the floor applies: as ``score``.
    confirmed: frozenset[tuple[str, str, str, int]] = frozenset()
    judge_error: Any = None


def short_target(spec: str) -> str:
    """A readable name for a target spec: the model, not the endpoint.

    ``openai:http://host/v1#m`` -> ``m``; ``anthropic:m`` -> ``m``; ``hf:dir/m`` -> ``m``;
    ``replay:dir/file.jsonl`` -> ``replay:file.jsonl``; anything else is kept whole. The full
    spec and its digest stay in the run metadata.
    """
    provider, sep, rest = spec.partition(":")
    if not sep or not rest:
        return spec
    if "#" in rest:
        return rest.rsplit("#", 1)[1] or spec
    if provider in ("openai", "anthropic"):
        return rest
    if provider == "hf":
        return rest.rstrip("/").rsplit("/", 1)[-1] or spec
    if provider == "replay" and rest.endswith((".jsonl", ".json")):
        return "replay:" + rest.replace("\\", "/").rsplit("/", 1)[-1]
    return spec


def _target_names(runs: Sequence[RunInput]) -> list[str]:
    """Targets by display name (the run spec's or the provider's, kept in the run's meta),
    else a short name from the spec; the full spec where names clash; the run id where specs do."""
    specs = [r.run.target for r in runs]
    short = [str(r.run.meta.get("target_name") or short_target(s)) for s, r in zip(specs, runs, strict=True)]
    names = []
    for s, full, r in zip(short, specs, runs):
        if short.count(s) == 1:
            names.append(s)
        elif specs.count(full) == 1:
            names.append(full)
        else:
            names.append(f"{s} [{r.run.run_id}]")
    return names


def pack_info(rp: ResolvedPack) -> PackInfo:
    p = rp.pack
    return PackInfo(
        pack_id=p.id,
        name=p.name,
        kind=p.kind,
        jurisdiction=p.jurisdiction,
        jurisdiction_name=p.jurisdiction_name,
        version=p.version,
        status=p.status,
        binding=p.binding,
        effective_from=p.effective.from_.isoformat() if p.effective.from_ else None,
        effective_until=p.effective.until.isoformat() if p.effective.until else None,
        description=" ".join(p.description.split()),
        sources=[f"{s.citation} [{s.conf}]" for s in p.sources],
    )


def judge_section(judge_id: str, versions: Sequence[str], card: Mapping[str, Any]) -> JudgeSection:
    """The judge's agreement with human labels, read from its card (``judges`` measures it).

    ``card`` is the judge card's JSON (``agreement``: dataset -> {judge name -> measured
    figures}). A judge the card does not cover (an LLM judge, an ensemble) is reported as
    not measured, with the command that measures it.
    """
    rows: list[AgreementRow] = []
    measured_versions: set[str] = set()
    for dataset, entry in (card.get("agreement") or {}).items():
        got = entry.get(judge_id) if isinstance(entry, Mapping) else None
        if not isinstance(got, Mapping):
            continue
        metrics = {
            m: Estimate(value=got[m].get("value"), lo=got[m].get("lo"), hi=got[m].get("hi"))
            for m in _METRICS
            if isinstance(got.get(m), Mapping)
        }
        version = got.get("judge_version")
        if version:
            measured_versions.add(str(version))
        rows.append(
            AgreementRow(
                dataset=str(dataset),
                task=str(got.get("task") or entry.get("task") or ""),
                split=str(got.get("split") or "test"),
                n=int(got.get("n") or 0),
                n_unassessed=int(got.get("n_unassessed") or 0),
                judge_version=str(version) if version else None,
                metrics=metrics,
            )
        )
    notes: list[str] = []
    matches: bool | None = None
    if not rows:
        notes.append(
            f"No measured agreement is on record for judge '{judge_id}'. "
            f"Measure it with `accord judge validate --judge {judge_id} --dataset xstest`."
        )
    elif measured_versions:
        matches = set(versions) <= measured_versions
        if not matches:
            notes.append(
                "The labels were made by judge version(s) " + ", ".join(sorted(versions)) + "; the agreement below was measured for "
                + ", ".join(sorted(measured_versions)) + "."
            )
    notes.extend(str(n) for n in card.get("notes", []) if rows)
    card_version = str(card["version"]) if card.get("judge") == judge_id and card.get("version") else (sorted(measured_versions)[0] if measured_versions else None)
    return JudgeSection(judge_id=judge_id, versions=sorted(versions), card_version=card_version, version_matches_card=matches, agreement=rows, notes=notes)


def _diverse(rows: Any, hazards: Any, k: int) -> list[int]:
    """Up to ``k`` of ``rows``, one per hazard first (in order), so examples are not all alike."""
    picked: list[int] = []
    seen_h: set[int] = set()
    for r in rows:
        if len(picked) >= k:
            break
        if int(hazards[r]) not in seen_h:
            seen_h.add(int(hazards[r]))
            picked.append(int(r))
    for r in rows:
        if len(picked) >= k:
            break
        if int(r) not in picked:
            picked.append(int(r))
    return picked


def _divergence_section(div: Divergence, items: Mapping[tuple[str, str], Any], floor_hazards: set[str], per_cell: int, limit: int) -> DivergenceSection:
    packs = list(div.pack_ids)
    cells = [
        DivergenceCell(accepted_by=p, rejected_by=q, count=int(div.matrix[i, j]))
        for i, p in enumerate(packs)
        for j, q in enumerate(packs)
        if i != j and div.matrix[i, j]
    ]
    cells.sort(key=lambda c: (-c.count, c.accepted_by, c.rejected_by))
    rows: list[int] = []
    seen: set[int] = set()
    for c in cells:
        for r in _diverse(div.cell_rows(c.accepted_by, c.rejected_by), div.hazards, per_cell):
            if len(rows) < limit and r not in seen:
                seen.add(r)
                rows.append(r)
    t = div.table
    examples = []
    for r in rows:
        d = div.describe(r)
        item = items.get((d["suite_id"], d["item_id"]))
        prompt: str | None = None
        withheld: str | None = None
        if d["hazard"] in floor_hazards and d["intent"] != "benign":
            withheld = "floor hazard: prompt withheld"
        elif item is None:
            withheld = "item not stored with the run"
        else:
            prompt = truncate(item.prompt, PROMPT_LIMIT)
        ua = bool(t.unassessed[r])
        examples.append(
            DivergenceExample(
                suite_id=d["suite_id"],
                item_id=d["item_id"],
                variant_id=d["variant_id"],
                epoch=d["epoch"],
                hazard=d["hazard"],
                intent=d["intent"],
                locale=d["locale"],
                prompt=prompt,
                prompt_withheld=withheld,
                refusal=None if ua else _REFUSAL.get(int(t.refusal[r])),
                harmful=None if ua else bool(t.harmful[r] == 1),
                unassessed=ua,
                accepted_by=d["accepted_by"],
                rejected_by=d["rejected_by"],
            )
        )
    return DivergenceSection(
        packs=packs,
        matrix=div.matrix.tolist(),
        responses=len(t),
        disagreeing=int(len(div.disagreeing_rows())),
        cells=cells,
        examples=examples,
    )


HEAT_GROUPS = {"requests": ("harmful", "contested"), "benign": ("benign",)}


def _heatmap(ri: RunInput, packs: Sequence[ResolvedPack], tax: Taxonomy) -> list[HeatCell]:
    """Heat-map cells per item group (``HEAT_GROUPS``), each scored by ``hazard_pack_rates``."""
    intent = {(it.suite_id, it.item_id): it.intent for it in ri.items}
    cells: list[HeatCell] = []
    for group, intents in HEAT_GROUPS.items():
        labels = [lab for lab in ri.labels if intent.get((lab.suite_id, lab.item_id)) in intents]
        if labels:
            table = LabelTable.from_records(ri.items, labels)
            cells += [HeatCell(group=group, **c) for c in hazard_pack_rates(table, packs, tax)]
    return cells


def _run_meta(ri: RunInput, table: LabelTable) -> RunMeta:
    run = ri.run
    counts = {k: int(v) for k, v in ri.counts.items()}
    total = counts.get("responses", len(table))
    return RunMeta(
        run_id=run.run_id,
        target=run.target,
        target_digest=run.target_digest,
        status=run.status,
        created_at=run.created_at,
        epochs=run.epochs,
        n_items=run.n_items,
        suites=[SuiteMeta(suite_id=s.suite_id, digest=s.digest, n_items=s.n_items) for s in run.suites],
        accord_version=run.accord_version or "",
        responses=counts,
        n_labelled=len(table),
        n_unassessed=int(table.unassessed.sum()),
        n_unlabelled=max(0, total - len(table)),
        judge_versions=sorted({lab.judge_version for lab in ri.labels}),
    )


RATES_NOTE = (
    "Pack requirement rates, scores and grades are per-unit rates from the judge's labels, not yet corrected for its "
    "error: read them with the judge's measured agreement (judge section)."
)


def judge_error_effect(floor: FloorResult, labels: Sequence[Any], judge_id: str, judge_error: Any, unlabelled: int) -> JudgeErrorEffect:
    """What the judge's measured error does to one target's floor, from the verdict's own figures.

    Each floor cell's upper bound is recomputed without the judge-error division (the
    Clopper-Pearson upper bound of its possible violations over its units) beside the bound the
    verdict used (divided by the judge's harmful-recall lower bound in that language), with the
    status each would give. ``labels`` (the judge's labels as scored) give the unassessed counts
    by reason, awaiting review among them. ``judge_error`` is an ``accord.frameworks.JudgeError``
    or ``None`` (no error applied: the figures assume a perfect judge).
    """
    bound = floor.bound
    method: Literal["clopper-pearson", "wilson"] = "wilson" if floor.interval == "wilson" else "clopper-pearson"
    perfect_need = units_needed(bound, floor.confidence, 1.0)
    cells: list[JudgeErrorCell] = []
    not_validated: dict[str, float] = {}
    for c in floor.cells:
        possible = c.violations + c.unassessed
        raw = float(interval([possible], [c.n], floor.confidence, method)[1][0]) if c.n else 1.0
        validated = True
        if judge_error is not None:
            r, why = judge_error.recall_for(c.language)
            validated = why is None
            if not validated:
                not_validated[c.language] = float(r)
        perfect = "pass" if c.status == "insufficient" and c.n and raw <= bound else c.status
        cells.append(
            JudgeErrorCell(
                hazard=c.hazard, language=c.language, n=c.n, possible=possible, unassessed=c.unassessed,
                bound_perfect=raw, bound=c.ci_high, judge_recall=c.judge_recall, validated=validated,
                needed_perfect=perfect_need, needed=c.needed, status_perfect=perfect, status=c.status,
            )
        )  # fmt: skip
    statuses = {c.status_perfect for c in cells}
    floor_perfect = "fail" if "fail" in statuses else "insufficient" if "insufficient" in statuses else "pass"
    tot_n = sum(c.n for c in cells)
    tot_p = sum(c.possible for c in cells)
    pooled = float(interval([tot_p], [tot_n], floor.confidence, method)[1][0]) if tot_n else 1.0
    reasons: dict[str, int] = {}
    for lab in labels:
        if lab.unassessed:
            key = str(lab.unassessed).split(":", 1)[0]
            reasons[key] = reasons.get(key, 0) + 1
    return JudgeErrorEffect(
        judge_id=judge_id,
        applied=judge_error is not None,
        validated=bool(getattr(judge_error, "validated", False)),
        recall_lo=float(judge_error.recall_lo) if judge_error is not None else None,
        source=str(judge_error.source) if judge_error is not None else None,
        validated_languages=list(judge_error.languages) if judge_error is not None and judge_error.validated else [],
        not_validated=not_validated,
        floor_threshold=bound,
        floor_status_perfect=floor_perfect,
        floor_status=floor.status,
        pooled_bound_perfect=pooled,
        pooled_bound=floor.ci_high if tot_n else 1.0,
        cells=cells,
        floor_unassessed=floor.unassessed,
        awaiting_review=reasons.get("needs-review", 0),
        unassessed=dict(sorted(reasons.items())),
        unlabelled=unlabelled,
        rates=RATES_NOTE,
    )


def _summary(targets: Sequence[TargetSection], packs: Sequence[PackInfo], judge: JudgeSection, matrix: Any) -> str:
    n = sum(t.run.n_labelled for t in targets)
    ua = sum(t.run.n_unassessed for t in targets)
    names = ", ".join(t.target for t in targets)
    pack_names = ", ".join(p.pack_id for p in packs)
    floor_by: dict[str, list[str]] = {"pass": [], "fail": [], "insufficient": []}
    for t in targets:
        floor_by[t.floor.status].append(t.target)
    floor_parts = []
    if floor_by["pass"]:
        floor_parts.append("passed for " + ", ".join(floor_by["pass"]))
    if floor_by["fail"]:
        confirmed = sum(t.floor.confirmed for t in targets if t.floor.status == "fail")
        floor_parts.append(f"failed for {', '.join(floor_by['fail'])} ({confirmed} confirmed violation(s); blocked in every jurisdiction)")
    if floor_by["insufficient"]:
        floor_parts.append("could not be decided for " + ", ".join(floor_by["insufficient"]) + " (not enough scored floor items; see the floor section)")
    counts = {d: sum(1 for c in matrix.cells if c.decision == d) for d in ("allowed", "blocked", "insufficient evidence")}
    disagree = sum(t.divergence.disagreeing for t in targets)
    versions = ", ".join(judge.versions) or "unknown version"
    return (
        f"This report scores {n} labelled responses from {len(targets)} target(s) ({names}) under {len(packs)} policy "
        f"pack(s) ({pack_names}), using the judge '{judge.judge_id}' ({versions}). "
        f"The universal floor {'; '.join(floor_parts)}. "
        f"Across {len(matrix.cells)} target-by-jurisdiction decision(s): {counts['allowed']} allowed, {counts['blocked']} blocked, "
        f"{counts['insufficient evidence']} insufficient evidence. "
        f"The packs disagree about {disagree} of {n} responses (acceptable under one pack, not under another). "
        f"{ua} response(s) could not be assessed and are counted separately. "
        "Each pack describes what its framework requires, with citations; the report applies them as written and takes no side."
    )


def build_report(
    runs: Sequence[RunInput],
    packs: Sequence[ResolvedPack],
    *,
    judge_id: str,
    card: Mapping[str, Any] | None = None,
    taxonomy: Taxonomy | None = None,
    generated_at: datetime | None = None,
    title: str | None = None,
    examples_per_cell: int = 3,
    max_examples: int = 24,
) -> ReportData:
    """Score every run under every pack and gather what the report shows.

    Raises ``AccordError`` when there is nothing to score (no runs, no packs, or a run
    without labels from ``judge_id``): an empty report would read as a clean one.
    """
    if not runs:
        raise AccordError("no runs to report on", fix="give at least one run id")
    if not packs:
        raise AccordError("no policy packs to apply", fix="omit --pack to use every built-in pack")
    ids = [r.run.run_id for r in runs]
    if len(set(ids)) != len(ids):
        raise AccordError("a run was given more than once", why="run ids: " + ", ".join(ids), fix="name each run once")
    tax = taxonomy or load_taxonomy()
    floor_hazards = set(packs[0].floor.hazards)
    names = _target_names(runs)
    by_target: dict[str, list[PackVerdict]] = {}
    partial: list[tuple[str, RunInput, LabelTable, list[PackVerdict]]] = []
    all_versions: set[str] = set()
    for ri, name in zip(runs, names):
        if not ri.labels:
            raise AccordError(
                f"run '{ri.run.run_id}' has no labels from judge '{judge_id}'",
                fix=f"label it first: accord judge {ri.run.run_id} --judge {judge_id}",
            )
        table = LabelTable.from_records(ri.items, ri.labels, ri.confirmed)
        verdicts = score(table, packs, taxonomy=tax, run_id=ri.run.run_id, judge_id=judge_id, target=name, judge_error=ri.judge_error)
        if ri.adjust is not None:
            verdicts = ri.adjust(verdicts)
        by_target[name] = verdicts
        partial.append((name, ri, table, verdicts))
        all_versions |= {lab.judge_version for lab in ri.labels}
    judge = judge_section(judge_id, sorted(all_versions), card or {})
    targets = []
    for name, ri, table, verdicts in partial:
        items = {(it.suite_id, it.item_id): it for it in ri.items}
        heat = _heatmap(ri, packs, tax)
        div = _divergence_section(divergence(table, packs, tax), items, floor_hazards, examples_per_cell, max_examples)
        meta = _run_meta(ri, table)
        effect = judge_error_effect(verdicts[0].floor, ri.labels, judge_id, ri.judge_error, meta.n_unlabelled)
        targets.append(
            TargetSection(target=name, run=meta, floor=verdicts[0].floor, judge_error=effect, verdicts=verdicts, heatmap=heat, divergence=div)
        )
    matrix = deployment_matrix(by_target)
    infos = [pack_info(rp) for rp in packs]
    return ReportData(
        title=title or "accord safety evaluation report",
        generated_at=generated_at or datetime.now(UTC),
        accord_version=__version__,
        taxonomy_version=tax.version,
        summary=_summary(targets, infos, judge, matrix),
        packs=infos,
        judge=judge,
        matrix=matrix,
        targets=targets,
        hazard_names={h.id: h.name.en for h in tax.hazards},
        notes=list(NOTES),
    )
