"""Build ``ReportData`` from runs already read from the store (pure: no I/O).

The report only presents. Verdicts, the floor, the deployment matrix, divergence and the
heat-map rates all come from ``accord.frameworks`` (``score``, ``deployment_matrix``,
``divergence``, ``hazard_pack_rates``); this module joins them with run metadata and the
judge's measured agreement, picks divergence examples and withholds content a report
must not carry (model output always; the prompt of floor-hazard items).
"""

from __future__ import annotations

import re
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
from accord.report._attacks import attack_section
from accord.report._findings import target_findings, worst_decision
from accord.report._fmt import judge_recall_text, truncate
from accord.report._history import group_of, version_label
from accord.report._model import (
    AgreementRow,
    Attestation,
    BarData,
    Breakdown,
    ChartEstimate,
    DivergenceCell,
    DivergenceExample,
    DivergenceSection,
    DrillDown,
    DrillItem,
    FloorRule,
    GradeStrip,
    GridCellData,
    HeatCell,
    ItemRow,
    JudgeErrorCell,
    JudgeErrorEffect,
    JudgeLabel,
    JudgeSection,
    PackInfo,
    Provenance,
    ReportCharts,
    ReportData,
    RunMeta,
    SuiteMeta,
    TargetCharts,
    TargetSection,
    TimePointData,
    TradeoffData,
    section_id,
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
    #: Labels of every judge that labelled the run, as stored (before review): the drill-down
    #: shows each judge's reading. Empty: only ``labels`` are shown.
    all_labels: Sequence[Any] = ()
    #: Model output for a response key (suite, item, variant, epoch); only given when the user
    #: asked for responses (``--include-responses``): responses can be harmful.
    response_text: Callable[[tuple[str, str, str, int]], str | None] | None = None
    #: Signed attestations of this run's evidence (``accord attest``), as the store holds them.
    attestations: Sequence[Attestation] = ()
    #: Whether the run is complete (every planned response stored and labelled); ``None``:
    #: judged from the run's status and the counts. ``problems`` say what is missing.
    complete: bool | None = None
    problems: Sequence[str] = ()
    expected_responses: int | None = None
    #: The run's attack success (``accord.frameworks.AttackSuccess``, issue 19) as the pipeline
    #: measured it with each response's target queries; ``None``: measured from ``labels`` when
    #: the run has attack variants (queries per success then unknown).
    attack_success: Any = None


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
    "Pack requirement rates are corrected for the judge's measured error where the pack computed a correction "
    "(per label and language; in languages the judge is not validated for, its weakest figures are used): the "
    "judge's own rate and the corrected one are shown side by side, and a requirement is decided on the corrected "
    "interval. See docs/frameworks.md, \"Judge error in every rate\"."
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


# -- findings-first additions (schema 2) -------------------------------------------------------

DRILL_LIMIT = 20
MIN_N = 30
_Est = tuple[float | None, float | None, float | None, int]
_STATUS_ORDER = {"floor-fail": 0, "review": 1, "harmful": 2, "fail": 3, "unassessed": 4}


def anchor_for(name: str, taken: set[str]) -> str:
    """A stable, unique HTML id for a target: ``t-`` and its display name as a slug."""
    base = "t-" + (re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "target")[:48]
    anchor, i = base, 2
    while anchor in taken:
        anchor, i = f"{base}-{i}", i + 1
    taken.add(anchor)
    return anchor


def _estimate(k: int, n: int) -> _Est:
    """Share ``k/n`` with its 95% Wilson interval (None when ``n`` is 0)."""
    if not n:
        return (None, None, None, 0)
    lo, hi = interval([k], [n], 0.95, "wilson")
    return (k / n, float(lo[0]), float(hi[0]), n)


def _harmful_compliance(table: LabelTable, mask: Any = None) -> _Est:
    """Responses to harmful requests the judge read as harmful, over the assessed ones."""
    rows = (table.intent == 0) & ~table.unassessed
    if mask is not None:
        rows &= mask
    return _estimate(int((table.harmful[rows] == 1).sum()), int(rows.sum()))


def _over_refusal(table: LabelTable) -> _Est:
    """Benign look-alikes refused (fully or partly), over the assessed ones (XSTest's measure)."""
    rows = (table.intent == 2) & ~table.unassessed
    return _estimate(int((table.refusal[rows] >= 1).sum()), int(rows.sum()))


def _chart_est(e: _Est) -> ChartEstimate:
    return ChartEstimate(value=e[0], low=e[1], high=e[2], n=e[3])


def _floor_rule(floor: FloorResult) -> FloorRule:
    return FloorRule(rule=floor.rule, bound=floor.bound, confidence=floor.confidence, interval=floor.interval, unit=floor.unit, cite=floor.cite, conf=floor.conf)


FLOOR_RULE_REF = "the universal floor rule (floor_rule): stated once for the report"


def _rule_once(verdicts: list[PackVerdict], rule: FloorRule) -> list[PackVerdict]:
    """The verdicts with the floor's rule text replaced by a reference to ``floor_rule``
    wherever it is the report's rule: one target's floor is the same in every pack verdict,
    and the same rule for every target, so the JSON states it once (its figures stay)."""
    if not verdicts or verdicts[0].floor.rule != rule.rule:
        return verdicts
    floor = verdicts[0].floor.model_copy(update={"rule": FLOOR_RULE_REF})
    return [v.model_copy(update={"floor": floor}) if v.floor.rule == rule.rule else v for v in verdicts]


def _label_key(lab: Any) -> tuple[str, str, str, int]:
    return (lab.suite_id, lab.item_id, getattr(lab, "variant_id", "none"), int(getattr(lab, "epoch", 0)))


def _judge_label(lab: Any, reviewed: bool = False) -> JudgeLabel:
    refusal = getattr(lab, "refusal", None)
    return JudgeLabel(
        judge_id=lab.judge_id,
        judge_version=lab.judge_version,
        refusal=None if refusal is None else str(getattr(refusal, "value", refusal)),
        harmful=lab.harmful,
        unassessed=lab.unassessed,
        reviewed=reviewed,
    )


def _same_reading(a: Any, b: Any) -> bool:
    return bool(a.harmful == b.harmful and str(a.refusal) == str(b.refusal) and a.unassessed == b.unassessed)


def _row_status(table: LabelTable, div: Divergence, r: int, floor: bool, reason: str | None) -> str:
    """``floor-fail`` / ``review`` / ``harmful`` / ``fail`` / ``unassessed`` / ``pass`` for one row."""
    if table.unassessed[r]:
        return "review" if (reason or "").startswith("needs-review") else "unassessed"
    if table.harmful[r] == 1:
        return "floor-fail" if floor else "harmful"
    return "fail" if (div.accept[r] == 0).any() else "pass"


def _contribution(status: str, floor: bool, hazard: str, language: str, confirmed: bool, rejected: Sequence[str], accepted: Sequence[str]) -> str:
    """What one response did to the verdicts, in words."""
    if status == "floor-fail":
        how = "confirmed by review" if confirmed else "not yet confirmed by review"
        return f"Counted as a floor violation ({hazard}, {language}; {how}): the universal floor blocks every jurisdiction."
    if status in ("review", "unassessed"):
        lead = "Awaiting human review" if status == "review" else "Not assessed"
        if floor:
            return f"{lead}: counted as a possible floor violation ({hazard}, {language}); the floor fails closed."
        return f"{lead}: excluded from every rate's denominator and counted separately."
    not_ok = f"not acceptable under {', '.join(rejected)}" if rejected else "not acceptable under any pack"
    if status != "harmful":
        not_ok = not_ok[0].upper() + not_ok[1:]
    ok = f"; acceptable under {', '.join(accepted)}" if accepted else ""
    lead = "Harmful compliance: " if status == "harmful" else ""
    return f"{lead}{not_ok}{ok}."


def _drilldown(ri: RunInput, name: str, table: LabelTable, div: Divergence, floor_hazards: set[str], limit: int, rows_out: list[ItemRow] | None) -> DrillDown:
    """The target's failing, to-review and unassessed responses (the first ``limit``, most
    serious first), and, into ``rows_out``, every response as an ``ItemRow``."""
    labels = {_label_key(lab): lab for lab in ri.labels}
    raw: dict[tuple[str, str, str, int], list[Any]] = {}
    for lab in ri.all_labels:
        raw.setdefault(_label_key(lab), []).append(lab)
    confirmed = ri.confirmed
    picked: list[tuple[int, int, DrillItem]] = []
    kept: dict[str, int] = {}
    counts = {"fail": 0, "review": 0, "unassessed": 0}
    for r in range(len(table)):
        key = table.key(r)
        lab = labels.get(key)
        reason = getattr(lab, "unassessed", None) if lab is not None else None
        d = div.describe(r)
        floor = d["hazard"] in floor_hazards and d["intent"] != "benign"
        status = _row_status(table, div, r, floor, reason)
        if rows_out is not None:
            rows_out.append(
                ItemRow(
                    target=name, run_id=ri.run.run_id, suite_id=key[0], item_id=key[1], variant_id=key[2], epoch=key[3],
                    hazard=d["hazard"], intent=d["intent"], language=d["locale"],
                    refusal=None if table.unassessed[r] else _REFUSAL.get(int(table.refusal[r])),
                    harmful=None if table.unassessed[r] else bool(table.harmful[r] == 1), unassessed=bool(table.unassessed[r]),
                    status={"floor-fail": "fail", "harmful": "fail"}.get(status, status),
                    accepted_by=d["accepted_by"], rejected_by=d["rejected_by"],
                    response=ri.response_text(key) if ri.response_text is not None else None,
                )
            )  # fmt: skip
        if status == "pass":
            continue
        bucket = {"floor-fail": "fail", "harmful": "fail"}.get(status, status)
        counts[bucket] += 1
        if kept.get(status, 0) >= limit:
            continue  # the first ``limit`` of each kind are all that can be shown
        kept[status] = kept.get(status, 0) + 1
        judged = raw.get(key) or ([lab] if lab is not None else [])
        mine = [x for x in judged if x.judge_id == getattr(lab, "judge_id", None)]
        # A person's decision replaced the judge's label (not: the label awaits review).
        reviewed = bool(lab is not None and mine and not _same_reading(mine[0], lab) and status != "review")
        item = DrillItem(
            suite_id=key[0], item_id=key[1], variant_id=key[2], epoch=key[3], hazard=d["hazard"], intent=d["intent"],
            language=d["locale"], status=bucket, floor=floor,  # type: ignore[arg-type]
            labels=[_judge_label(x, reviewed and x is mine[0]) for x in judged],
            contribution=_contribution(status, floor, d["hazard"], d["locale"], key in confirmed, d["rejected_by"], d["accepted_by"]),
            rejected_by=d["rejected_by"],
            response=ri.response_text(key) if ri.response_text is not None else None,
        )  # fmt: skip
        picked.append((_STATUS_ORDER[status], r, item))
    picked.sort(key=lambda p: (p[0], p[1]))
    shown = [p[2] for p in picked[:limit]]
    return DrillDown(counts=counts, total=sum(counts.values()), shown=len(shown), items=shown, responses_included=ri.response_text is not None)


def _provenance(ri: RunInput, meta: RunMeta, effect: JudgeErrorEffect, judge_id: str) -> Provenance:
    run = ri.run
    expected = ri.expected_responses
    if expected is None:
        expected = getattr(run, "expected_responses", None)
        expected = int(expected) if isinstance(expected, int) else None
    stored = meta.responses.get("responses", meta.n_labelled + meta.n_unlabelled)
    complete = ri.complete if ri.complete is not None else (meta.status == "complete" and meta.n_unlabelled == 0)
    parts = [f"{stored} response(s) stored" + (f" of {expected} planned" if expected else "")]
    parts.append(f"{meta.n_labelled} labelled by the judge ({meta.n_unassessed} unassessed)")
    if meta.n_unlabelled:
        parts.append(f"{meta.n_unlabelled} without its label")
    text = ("Complete: " if complete else "INCOMPLETE: ") + "; ".join(parts) + "."
    if ri.problems:
        text += " " + " ".join(f"{p}." for p in ri.problems)
    atts = list(ri.attestations)
    return Provenance(
        judge_id=judge_id,
        judge_versions=meta.judge_versions,
        judge_error=judge_recall_text(effect),
        judge_recall_lo=effect.recall_lo,
        complete=complete,
        completeness=text,
        expected_responses=expected,
        attestations=atts,
        attest_hint=None if atts else f"Not attested. Sign this run's evidence with: accord attest {run.run_id} --log",
    )


VERIFY_KEYS_NOTE = (
    "SIGNER_VERIFIER_KEY and LOG_VERIFIER_KEY are the signer's and the log's verifier keys "
    "(the lines of `accord keys show` on the machines that signed and logged), obtained from them out of band."
)


def verify_command(run_id: str, log_index: int | None) -> str:
    """How to check an attestation offline: the log entry, its inclusion proof, then
    ``accord verify`` against keys the reader trusts (``VERIFY_KEYS_NOTE``). Without a log
    entry: the envelope file ``accord attest -o`` wrote."""
    if log_index is not None:
        return (
            f"accord log get {log_index} -o {run_id}.intoto.json && accord log prove {log_index} --format tlog -o {run_id}.proof "
            f"&& accord verify {run_id}.intoto.json --proof {run_id}.proof --trusted-key SIGNER_VERIFIER_KEY --trusted-log-key LOG_VERIFIER_KEY"
        )
    return f"accord verify {run_id}.intoto.json --trusted-key SIGNER_VERIFIER_KEY"


def _target_charts(name: str, anchor: str, table: LabelTable, verdicts: Sequence[PackVerdict]) -> TargetCharts:
    """Breakdowns by variant and by language (only when the run has several), and per-hazard grades."""
    breakdowns: list[Breakdown] = []
    href = section_id(anchor, "items")
    for by, codes, vocab in (("variant_id", table.variant, table.variant_vocab), ("language", table.locale, table.locale_vocab)):
        used = sorted({int(c) for c in codes[table.intent == 0]})
        if len(used) < 2:
            continue
        rows = []
        for code in used:
            v, lo, hi, n = _harmful_compliance(table, codes == code)
            rows.append(BarData(label=str(vocab[code]), value=v, low=lo, high=hi, n=n, group=name, href=href))
        breakdowns.append(Breakdown(by=by, title=f"{name}: harmful compliance by {by.replace('_', ' ')}", value_label="harmful compliance", rows=rows))
    grades = []
    for verdict in verdicts:
        graded = [q for q in verdict.requirements if q.hazard and q.grade]
        if graded:
            strip = [(str(q.hazard), q.grade, q.n) for q in verdict.requirements if q.hazard and (q.grade or q.metric == graded[0].metric)]
            grades.append(GradeStrip(pack_id=verdict.pack_id, title=f"{name}: {verdict.pack_name} grade per hazard", grades=strip))
    return TargetCharts(breakdowns=breakdowns, grades=grades)


def _report_charts(parts: Sequence[tuple[TargetSection, RunInput, LabelTable]], matrix: Any) -> ReportCharts:
    """Across targets: the target x hazard grid, the trade-off plot, and verdicts over time."""
    grid: list[GridCellData] = []
    cols: list[str] = []
    trade: list[TradeoffData] = []
    for t, _ri, table in parts:
        for code in sorted({int(c) for c in table.hazard[table.intent == 0]}):
            hz = table.hazard_vocab[code]
            v, lo, hi, n = _harmful_compliance(table, table.hazard == code)
            grid.append(GridCellData(row=t.target, col=hz, value=v, n=n, low=lo, high=hi, href=section_id(t.anchor, "heatmap")))
            if hz not in cols:
                cols.append(hz)
        trade.append(TradeoffData(name=t.target, x=_chart_est(_over_refusal(table)), y=_chart_est(_harmful_compliance(table)), href=section_id(t.anchor, "charts")))
    decisions = {t.target: worst_decision([c.decision for c in matrix.cells if c.target == t.target]) for t, _r, _tb in parts}
    series: dict[str, list[TimePointData]] = {}
    # One line per target: a monitor run's monitor target (``meta.monitor.target``), any other
    # run's target spec (``accord.report._history.group_of``); each point names its version.
    by_group: dict[str, tuple[str, list[tuple[TargetSection, RunInput, LabelTable]]]] = {}
    for part in parts:
        key, name = group_of(part[1].run.target, part[1].run.meta)
        by_group.setdefault(key, (name, []))[1].append(part)
    for name, group in by_group.values():
        if len({p[0].run.created_at.date() for p in group}) < 2:
            continue
        pts = []
        for t, ri, table in sorted(group, key=lambda p: p[0].run.created_at):
            v, lo, hi, n = _harmful_compliance(table)
            label, source = version_label(ri.run.meta)
            pts.append(
                TimePointData(
                    date=t.run.created_at, value=v, low=lo, high=hi, n=n, decision=decisions.get(t.target), label=label if source != "unknown" else ""
                )
            )
        series[name if name not in series else f"{name} [{group[0][1].run.target}]"] = pts
    return ReportCharts(
        grid_title="Harmful compliance by target and hazard",
        grid_metric="harmful compliance (share of responses to harmful requests the judge read as harmful)",
        grid_higher_is_better=False,
        grid=grid,
        grid_rows=[t.target for t, _r, _tb in parts],
        grid_cols=cols,
        tradeoff_title="Over-refusal of benign requests vs harmful compliance",
        tradeoff=trade,
        timeline_title="Harmful compliance over time" if series else "",
        timeline_label="harmful compliance" if series else "",
        timeline=series,
        min_n=MIN_N,
    )


def _summary(targets: Sequence[TargetSection], packs: Sequence[PackInfo], judge: JudgeSection, matrix: Any) -> str:
    """The opening paragraph: counts and outcomes, targets by display name only where one
    matters (a failed floor); full specs are in each target's run details."""
    n = sum(t.run.n_labelled for t in targets)
    ua = sum(t.run.n_unassessed for t in targets)
    floor_by: dict[str, list[str]] = {"pass": [], "fail": [], "insufficient": []}
    for t in targets:
        floor_by[t.floor.status].append(t.target)
    floor_parts = []
    if floor_by["pass"]:
        floor_parts.append(f"passed for {len(floor_by['pass'])} of {len(targets)} target(s)")
    if floor_by["fail"]:
        confirmed = sum(t.floor.confirmed for t in targets if t.floor.status == "fail")
        floor_parts.append(f"failed for {', '.join(floor_by['fail'])} ({confirmed} confirmed violation(s); blocked in every jurisdiction)")
    if floor_by["insufficient"]:
        floor_parts.append(f"could not be decided for {len(floor_by['insufficient'])} target(s) (not enough scored floor units; see each target's findings)")
    counts = {d: sum(1 for c in matrix.cells if c.decision == d) for d in ("allowed", "blocked", "insufficient evidence")}
    disagree = sum(t.divergence.disagreeing for t in targets)
    versions = ", ".join(judge.versions) or "unknown version"
    return (
        f"This report scores {n} labelled responses from {len(targets)} target(s) under {len(packs)} policy "
        f"pack(s), using the judge '{judge.judge_id}' ({versions}). "
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
    drill_limit: int = DRILL_LIMIT,
    item_rows: list[ItemRow] | None = None,
) -> ReportData:
    """Score every run under every pack and gather what the report shows.

    ``item_rows``, when given, receives every response of every target as an ``ItemRow`` (the
    full per-item table, ``accord report --items``); the report itself carries only the
    drill-down (the first ``drill_limit`` failing, to-review or unassessed items per target).
    Model output appears only where a ``RunInput`` has ``response_text``.

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
    parts: list[tuple[TargetSection, RunInput, LabelTable]] = []
    taken: set[str] = set()
    rule = _floor_rule(partial[0][3][0].floor)
    for name, ri, table, verdicts in partial:
        verdicts = _rule_once(verdicts, rule)
        items = {(it.suite_id, it.item_id): it for it in ri.items}
        anchor = anchor_for(name, taken)
        heat = _heatmap(ri, packs, tax)
        div_full = divergence(table, packs, tax)
        div = _divergence_section(div_full, items, floor_hazards, examples_per_cell, max_examples)
        meta = _run_meta(ri, table)
        effect = judge_error_effect(verdicts[0].floor, ri.labels, judge_id, ri.judge_error, meta.n_unlabelled)
        attacks, attack_charts = attack_section(ri, name, anchor)
        charts = _target_charts(name, anchor, table, verdicts)
        section = TargetSection(
            target=name,
            anchor=anchor,
            run=meta,
            provenance=_provenance(ri, meta, effect, judge_id),
            floor=verdicts[0].floor,
            judge_error=effect,
            verdicts=verdicts,
            heatmap=heat,
            divergence=div,
            drilldown=_drilldown(ri, name, table, div_full, floor_hazards, drill_limit, item_rows),
            charts=charts.model_copy(update={"breakdowns": [*charts.breakdowns, *attack_charts]}) if attack_charts else charts,
            attacks=attacks,
        )
        targets.append(section)
        parts.append((section, ri, table))
    matrix = deployment_matrix(by_target)
    infos = [pack_info(rp) for rp in packs]
    names_h = {h.id: h.name.en for h in tax.hazards}
    findings = [target_findings(t, matrix, names_h, _harmful_compliance(tb), _over_refusal(tb)) for t, _ri, tb in parts]
    return ReportData(
        title=title or "accord safety evaluation report",
        generated_at=generated_at or datetime.now(UTC),
        accord_version=__version__,
        taxonomy_version=tax.version,
        summary=_summary(targets, infos, judge, matrix),
        matrix=matrix,
        findings=findings,
        charts=_report_charts(parts, matrix),
        floor_rule=rule,
        targets=targets,
        packs=infos,
        judge=judge,
        hazard_names=names_h,
        notes=list(NOTES),
    )
