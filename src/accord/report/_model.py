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

from pydantic import BaseModel, ConfigDict

from accord.frameworks import DeploymentMatrix, FloorResult, PackVerdict
from accord.stats import Estimate

SCHEMA_VERSION = "1"


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
    lower bound applied; pack requirement rates are not corrected for judge error (said so in
    ``rates``). Responses awaiting review and other unassessed ones are counted, as they count
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


class TargetSection(_Rec):
    """Everything measured for one target (one run)."""

    target: str
    run: RunMeta
    floor: FloorResult
    #: What the judge's measured error does to this target's headline figures.
    judge_error: JudgeErrorEffect | None = None
    verdicts: list[PackVerdict]
    heatmap: list[HeatCell]
    divergence: DivergenceSection


class ReportData(_Rec):
    schema_version: str = SCHEMA_VERSION
    title: str
    generated_at: datetime
    accord_version: str
    taxonomy_version: str
    summary: str
    packs: list[PackInfo]
    judge: JudgeSection
    matrix: DeploymentMatrix
    targets: list[TargetSection]
    hazard_names: dict[str, str]
    notes: list[str]
