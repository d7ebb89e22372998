"""``ReportData``: everything a report shows, as one typed record.

The HTML and Markdown renderers read only this model, and ``--format json`` prints it, so
the three formats cannot drift apart: what a regulator reads in the HTML is exactly the
structured data a machine can check. Verdicts, the floor and the deployment matrix are the
``frameworks`` package's own records, carried unchanged; this module adds only what a
report needs around them (run metadata, the judge's measured agreement, heat-map cells and
divergence examples with harmful content withheld). A figure with its interval is the shared
``accord.stats.Estimate``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from accord.frameworks import DeploymentMatrix, FloorResult, PackVerdict
from accord.stats import Estimate

SCHEMA_VERSION = "2"


class _Rec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SuiteMeta(_Rec):
    suite_id: str
    digest: str
    n_items: int


class RunMeta(_Rec):
    """Where the responses came from and how many of them the verdicts rest on."""

    run_id: str
    #: The full target spec as the run recorded it (the report's display name may be shorter).
    target: str
    target_digest: str
    status: str
    created_at: datetime
    epochs: int
    n_items: int
    suites: list[SuiteMeta]
    accord_version: str
    responses: dict[str, int]
    #: Responses labelled by the report's judge (the rows the verdicts count).
    n_labelled: int
    #: Labelled but unreadable (errors, provider blocks, unparseable): shown, never folded in.
    n_unassessed: int
    #: Stored responses the report's judge never labelled (not in any verdict).
    n_unlabelled: int
    judge_versions: list[str]


class AgreementRow(_Rec):
    """The judge's measured agreement with human labels on one held-out dataset split."""

    dataset: str
    task: str
    split: str
    n: int
    n_unassessed: int
    judge_version: str | None = None
    metrics: dict[str, Estimate]


class JudgeSection(_Rec):
    judge_id: str
    versions: list[str]
    card_version: str | None = None
    #: True when the labels were made by the exact version the card measured.
    version_matches_card: bool | None = None
    agreement: list[AgreementRow]
    notes: list[str]


class PackInfo(_Rec):
    """A pack as the report applied it: what it is and where its rules come from."""

    pack_id: str
    name: str
    kind: str
    jurisdiction: str
    jurisdiction_name: str | None = None
    version: str
    status: str
    binding: bool
    effective_from: str | None = None
    effective_until: str | None = None
    description: str
    sources: list[str]


class HeatCell(_Rec):
    """Share of a hazard's responses a pack finds acceptable, with n and a 95% interval.

    ``group`` keeps the two sides of safety apart: ``requests`` (harmful and contested
    items, where helping is the risk) and ``benign`` (look-alikes, where refusing is).
    """

    group: str
    pack_id: str
    hazard: str
    n: int
    acceptable: int
    rate: float | None
    ci_low: float
    ci_high: float
    unassessed: int


class DivergenceCell(_Rec):
    accepted_by: str
    rejected_by: str
    count: int


class DivergenceExample(_Rec):
    """One response on which packs disagree: what it probes and what the judge read.

    Model output is never included. The prompt is truncated, and withheld entirely for
    floor hazards, so a report can be shared without carrying harmful content.
    """

    suite_id: str
    item_id: str
    variant_id: str
    epoch: int
    hazard: str
    intent: str
    locale: str
    prompt: str | None
    prompt_withheld: str | None = None
    refusal: str | None
    harmful: bool | None
    unassessed: bool
    accepted_by: list[str]
    rejected_by: list[str]


class DivergenceSection(_Rec):
    packs: list[str]
    #: ``matrix[i][j]``: responses pack ``packs[i]`` accepts and pack ``packs[j]`` rejects.
    matrix: list[list[int]]
    responses: int
    disagreeing: int
    cells: list[DivergenceCell]
    examples: list[DivergenceExample]


class JudgeErrorCell(_Rec):
    """One floor hazard in one language: its upper bound with a perfect judge and with the
    judge's measured error (the Clopper-Pearson upper bound divided by ``judge_recall``)."""

    hazard: str
    language: str
    n: int
    #: Units counted as possible violations: violating plus unassessed (the floor fails closed).
    possible: int
    unassessed: int
    bound_perfect: float
    bound: float
    judge_recall: float
    #: False where the judge has no validation for this language (its weakest figure is used).
    validated: bool
    needed_perfect: int
    needed: int
    status_perfect: str
    status: str


class JudgeErrorEffect(_Rec):
    """What the judge's measured error does to one target's headline figures.

    The floor's bounds are shown with a perfect judge and with the judge's harmful-recall
    lower bound applied; pack requirement rates carry their own judge-error correction where the
    pack computed one (``RequirementResult.corrected_*``; said so in ``rates``). Responses awaiting review and other unassessed ones are counted, as they count
    as possible floor violations.
    """

    judge_id: str
    #: False when no judge error was applied (the figures then assume a perfect judge).
    applied: bool
    #: The judge has validated figures at all (False: the weakest figure of any judge is used).
    validated: bool
    recall_lo: float | None = None
    source: str | None = None
    validated_languages: list[str] = []
    #: Languages evaluated for which the judge is not validated, with the figure used there.
    not_validated: dict[str, float] = {}
    floor_threshold: float
    floor_status_perfect: str
    floor_status: str
    #: Pooled over every floor hazard and language (display only: the floor decides per cell).
    pooled_bound_perfect: float
    pooled_bound: float
    cells: list[JudgeErrorCell]
    #: Floor responses no judge could read (errors, degenerate, awaiting review): possible violations.
    floor_unassessed: int
    awaiting_review: int
    #: Every unassessed response of the run by reason (``error``, ``degenerate``, ``needs-review``, ...).
    unassessed: dict[str, int]
    #: Stored responses without a label from this judge (in no figure).
    unlabelled: int
    rates: str


# -- findings first (schema 2) ----------------------------------------------------------------

#: The evidence sections every target has, each at the id ``f"{target.anchor}-{section}"``.
#: Findings link to them; the HTML and Markdown renderers must emit exactly these ids.
SECTIONS = ("run", "provenance", "floor", "judge-error", "verdicts", "heatmap", "divergence", "items", "charts")

FindingKind = Literal["decision", "blocks", "frameworks-disagree", "insufficient", "judge-error", "review", "unassessed", "evidence"]
Severity = Literal["high", "medium", "low", "info"]


def section_id(anchor: str, section: str) -> str:
    """The stable id of one evidence section of a target (``SECTIONS``)."""
    return f"{anchor}-{section}"


class Finding(_Rec):
    """One key finding about a target, in plain words, with a link to its evidence.

    ``text`` is what a reader needs without opening anything; ``decide`` says, where the
    evidence is insufficient, what would settle it (e.g. how many more units, none violating).
    """

    kind: FindingKind
    severity: Severity
    text: str
    #: Id of the section holding the evidence (``section_id(target.anchor, ...)``).
    anchor: str
    decide: str | None = None


class TargetFindings(_Rec):
    """A target's headline decision and its three to five key findings."""

    target: str
    anchor: str
    #: The target's decisions across jurisdictions in one phrase ("blocked everywhere", ...).
    headline: str
    #: The worst decision over every jurisdiction: blocked > insufficient evidence > allowed.
    decision: str
    findings: list[Finding]


class FloorRule(_Rec):
    """The universal floor's rule, stated once for the whole report (it is the same for every
    target and every pack; each target's floor section shows only its figures)."""

    rule: str
    bound: float
    confidence: float
    interval: str
    unit: str
    cite: str
    conf: str


class Attestation(_Rec):
    """A signed attestation of the run's evidence (``accord attest``), as the store holds it.

    ``digest`` is ``sha256:`` of the envelope's bytes, exactly the bytes appended to the
    transparency log; ``log_index`` is its entry there (``None`` when it was not logged or the
    log is not on this machine). ``verify`` is the command that checks it offline.
    """

    digest: str
    keyid: str
    #: When it was signed (the statement's ``timeCreated``).
    attested_at: datetime | None = None
    log_index: int | None = None
    log_origin: str | None = None
    #: Shell command that checks it (keys as placeholders: ``verify_note`` says which).
    verify: str
    verify_note: str = ""


class Provenance(_Rec):
    """Where one target's figures come from: judge and its measured error, completeness,
    and any attestation of the run's evidence."""

    judge_id: str
    judge_versions: list[str]
    #: The judge's measured error in words (harmful recall's lower bound and its source, or
    #: that none was applied), and the number itself.
    judge_error: str
    judge_recall_lo: float | None = None
    complete: bool
    #: Completeness in words: planned, stored and labelled responses, unassessed, unlabelled.
    completeness: str
    expected_responses: int | None = None
    attestations: list[Attestation] = []
    #: When there is no attestation: the command that makes one.
    attest_hint: str | None = None


class JudgeLabel(_Rec):
    """One judge's label on one response (every judge that labelled it, not only the report's)."""

    judge_id: str
    judge_version: str
    refusal: str | None = None
    harmful: bool | None = None
    unassessed: str | None = None
    #: A person's review decision replaced this judge's label in the verdicts.
    reviewed: bool = False


DrillStatus = Literal["fail", "review", "unassessed"]


class DrillItem(_Rec):
    """One response that fails, awaits review or could not be assessed, and what it did to
    the verdicts. ``response`` (model output, possibly harmful) is only filled when the user
    asked for it (``accord report --include-responses``)."""

    suite_id: str
    item_id: str
    variant_id: str
    epoch: int
    hazard: str
    intent: str
    language: str
    status: DrillStatus
    floor: bool
    labels: list[JudgeLabel]
    #: The verdict contribution in words (floor violation, packs that do not accept it, ...).
    contribution: str
    rejected_by: list[str]
    response: str | None = None


class DrillDown(_Rec):
    """A target's drill-down: counts by status, and the items (the first ``limit``; all of
    them go to ``accord report --items FILE``)."""

    counts: dict[str, int]
    total: int
    shown: int
    items: list[DrillItem]
    responses_included: bool = False


class ItemRow(_Rec):
    """One row of the full per-item table (``accord report --items FILE``): every response
    of every target, with the report judge's label and the packs that accept or reject it."""

    target: str
    run_id: str
    suite_id: str
    item_id: str
    variant_id: str
    epoch: int
    hazard: str
    intent: str
    language: str
    refusal: str | None
    harmful: bool | None
    unassessed: bool
    status: str
    accepted_by: list[str]
    rejected_by: list[str]
    response: str | None = None


# Chart data: the same fields as ``accord.report._charts``' inputs, so a renderer passes
# ``GridCell(**cell.model_dump())``; JSON readers get the figures behind every chart.


class ChartEstimate(_Rec):
    value: float | None
    low: float | None
    high: float | None
    n: int


class GridCellData(_Rec):
    row: str
    col: str
    value: float | None
    n: int
    low: float | None
    high: float | None
    label: str = ""
    href: str = ""


class TradeoffData(_Rec):
    name: str
    x: ChartEstimate
    y: ChartEstimate
    href: str = ""


class BarData(_Rec):
    label: str
    value: float | None
    low: float | None
    high: float | None
    n: int
    group: str = ""
    href: str = ""


class Breakdown(_Rec):
    """Harmful compliance broken down by one dimension (``variant_id`` or ``language``)."""

    by: str
    title: str
    value_label: str
    rows: list[BarData]


class GradeStrip(_Rec):
    """One pack's per-hazard grades for a target: (hazard, grade or None, n)."""

    pack_id: str
    title: str
    grades: list[tuple[str, str | None, int]]


class TimePointData(_Rec):
    date: datetime
    value: float | None
    low: float | None
    high: float | None
    n: int
    decision: str | None = None
    #: The version label of the run (``meta.monitor.version``, else the served model version);
    #: empty where none is known. The chart marks where it changes.
    label: str = ""
    #: ``regression`` where the run's monitor comparison found one; empty otherwise.
    flag: str = ""


class TargetCharts(_Rec):
    """Charts of one target: breakdowns (only when the run has several variants/languages)
    and per-hazard grades (only where a pack grades per hazard)."""

    breakdowns: list[Breakdown] = []
    grades: list[GradeStrip] = []


class ReportCharts(_Rec):
    """Charts across targets: the target x hazard grid, the trade-off plot and, when one
    target has runs at several dates, the timeline."""

    grid_title: str
    #: What the grid's value is (``value_label`` of the chart), and which way is better.
    grid_metric: str
    grid_higher_is_better: bool
    grid: list[GridCellData]
    grid_rows: list[str]
    grid_cols: list[str]
    tradeoff_title: str
    tradeoff: list[TradeoffData]
    timeline_title: str = ""
    timeline_label: str = ""
    timeline: dict[str, list[TimePointData]] = {}
    #: Cells with fewer units than this are drawn as thin evidence.
    min_n: int = 30


# -- attacks (issue 19) --------------------------------------------------------------------------


class AttackRate(_Rec):
    """Attack success of one attack on one hazard (``hazard`` ``None``: every hazard), with the
    interval clustered by behaviour (``accord.frameworks.AttackCell``)."""

    attack: str
    hazard: str | None = None
    n_behaviours: int
    n_attempts: int
    successes: int
    unassessed: int
    value: float | None
    low: float | None
    high: float | None
    n_eff: float | None = None
    #: Rogan-Gladen corrected for the judge's measured harmful-label error (``None``: not corrected).
    corrected_value: float | None = None
    corrected_low: float | None = None
    corrected_high: float | None = None
    correction: str | None = None
    queries: int | None = None
    queries_per_success: float | None = None


class AnyAttackRate(_Rec):
    """Share of attacked behaviours at least one attack variant broke (Clopper-Pearson)."""

    hazard: str | None = None
    n_behaviours: int
    successes: int
    unassessed: int
    value: float | None
    low: float | None
    high: float | None


class LanguageRefusal(_Rec):
    """The plain item's refusal rate in one language, over behaviours asked in several."""

    locale: str
    n_behaviours: int
    refused: int
    value: float | None
    low: float | None
    high: float | None


class LanguageGapRow(_Rec):
    """One language's refusal rate minus the reference's, paired by behaviour (Newcombe)."""

    locale: str
    reference: str
    n_pairs: int
    both: int
    only_locale: int
    only_reference: int
    neither: int
    value: float | None
    low: float | None
    high: float | None


class AttackSection(_Rec):
    """A target's attack success: only present when its run had attack variants. The section
    sits at ``section_id(anchor, "attacks")``; its charts are the target's breakdowns whose
    ``by`` starts with ``attack``."""

    judge_id: str
    attacks: list[str]
    rates: list[AttackRate]
    any_attack: list[AnyAttackRate]
    reference_locale: str | None = None
    languages: list[LanguageRefusal] = []
    gaps: list[LanguageGapRow] = []
    method: str
    notes: list[str] = []


class TargetSection(_Rec):
    """Everything measured for one target (one run). ``target`` is the display name; the full
    spec is ``run.target``. Its sections sit at ``section_id(anchor, s)`` for ``s`` in ``SECTIONS``."""

    target: str
    anchor: str
    run: RunMeta
    provenance: Provenance
    floor: FloorResult
    #: What the judge's measured error does to this target's headline figures.
    judge_error: JudgeErrorEffect | None = None
    verdicts: list[PackVerdict]
    heatmap: list[HeatCell]
    divergence: DivergenceSection
    drilldown: DrillDown
    charts: TargetCharts
    #: Attack success (issue 19); ``None`` when the run had no attack variants.
    attacks: AttackSection | None = None


class ReportData(_Rec):
    """The report, findings first: summary, deployment matrix and key findings, then charts,
    then the details per target, then the judge, packs and notes."""

    schema_version: str = SCHEMA_VERSION
    title: str
    generated_at: datetime
    accord_version: str
    taxonomy_version: str
    summary: str
    matrix: DeploymentMatrix
    findings: list[TargetFindings]
    charts: ReportCharts
    floor_rule: FloorRule
    targets: list[TargetSection]
    packs: list[PackInfo]
    judge: JudgeSection
    hazard_names: dict[str, str]
    notes: list[str]
