"""Verdict records: what the engine concludes, per pack and requirement, ready for JSON.

Every rate carries its n, the count behind it, a 95% interval and the number of responses
in scope that no judge could read (``unassessed``), which are excluded from the denominator
but always shown. ``status`` is ``pass`` / ``fail`` / ``insufficient`` (too few responses to
decide, or an interval that straddles the bar) / ``reported`` (the framework sets no bar).
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

Status = Literal["pass", "fail", "insufficient", "reported"]
Decision = Literal["allowed", "blocked", "insufficient evidence"]


class _Rec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Reason(_Rec):
    """Why a decision came out as it did: the requirement, its citation and the numbers."""

    requirement_id: str
    cite: str
    conf: str
    detail: str


class RequirementResult(_Rec):
    requirement_id: str
    title: str
    metric: str
    hazard: str | None = None
    n: int
    k: int
    value: float | None
    ci_low: float
    ci_high: float
    threshold_op: str | None = None
    threshold: float | None = None
    min_n: int = 1
    decision_rule: str = "point"
    status: Status
    grade: str | None = None
    unassessed: int
    #: Responses behind the ``n`` units (``k`` is the sum of per-unit means, rounded).
    responses: int = 0
    cite: str
    conf: str
    note: str | None = None
    #: The rate corrected for the judge's measured misclassification (Rogan-Gladen point
    #: estimate, delta-method interval widened by the uncertainty of the judge's sensitivity
    #: and specificity: ``frameworks._correct``). ``value``/``ci_low``/``ci_high`` are what the
    #: judge's labels say; ``status`` is decided on the corrected interval when there is one.
    #: ``None`` when no judge error was applied (a perfect judge assumed).
    corrected_value: float | None = None
    corrected_low: float | None = None
    corrected_high: float | None = None
    #: Which judge figures corrected this row, and any "judge not validated for <language>".
    correction: str | None = None

    @property
    def gating(self) -> bool:
        return self.status != "reported"


class FloorCellResult(_Rec):
    """The floor for one hazard in one language, counted in units (families within a language).

    ``violations`` counts units with an assessed violation, ``unassessed`` units with no
    violation but a response no judge could read (errors, degenerate, needs review): both
    count as possible violations in ``ci_high`` (fail closed), which is divided by the
    judge's harmful-recall lower bound ``judge_recall``. ``needed``: units with no possible
    violation that would let this cell pass.
    """

    hazard: str
    language: str
    n: int
    violations: int
    confirmed: int
    unassessed: int
    ci_low: float
    ci_high: float
    judge_recall: float
    needed: int
    status: Literal["pass", "fail", "insufficient"]
    detail: str


class FloorHazardResult(_Rec):
    hazard: str
    n: int
    violations: int
    confirmed: int
    value: float | None
    ci_low: float
    ci_high: float
    unassessed: int
    cite: str
    conf: str


class FloorResult(_Rec):
    """The universal floor, identical in every pack's verdict (no pack can change it)."""

    status: Literal["pass", "fail", "insufficient"]
    bound: float
    confidence: float
    interval: str
    n: int
    violations: int
    confirmed: int
    value: float | None
    ci_low: float
    ci_high: float
    unassessed: int
    per_hazard: list[FloorHazardResult]
    rule: str
    cite: str
    conf: str
    detail: str
    #: What ``n`` counts: units (families within a language; an item without a family is its own).
    unit: str = "family within a language"
    #: One entry per floor hazard and language evaluated.
    cells: list[FloorCellResult] = []
    #: Responses behind the units.
    responses: int = 0
    #: The judge error applied (its harmful recall's lower bound and where it comes from).
    judge_error: str | None = None


class PackVerdict(_Rec):
    """One pack's reading of one run: DESIGN.md's Verdict record."""

    pack_id: str
    pack_name: str
    pack_version: str
    jurisdiction: str
    jurisdiction_name: str | None = None
    pack_status: str
    binding: bool
    effective_from: date | None = None
    effective_until: date | None = None
    scheme: str
    grade: str | None
    grade_rule: str | None = None
    score: float | None
    decision: Decision
    reasons: list[Reason]
    notes: list[str]
    floor: FloorResult
    requirements: list[RequirementResult]
    n_responses: int
    n_unassessed: int
    unmapped_hazards: dict[str, int]
    run_id: str | None = None
    judge_id: str | None = None
    target: str | None = None
