"""Run-level records the store hands out (per-response records are in ``accord.records``)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

RunStatus = Literal["running", "complete", "interrupted", "failed"]


class SuiteRef(BaseModel):
    """A suite as a run used it: its id, digest and size."""

    model_config = ConfigDict(frozen=True)
    suite_id: str
    digest: str
    n_items: int
    source: str = ""


class RunInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")
    run_id: str
    created_at: datetime
    updated_at: datetime
    status: RunStatus = "running"
    target: str
    target_digest: str
    suites: list[SuiteRef]
    params: dict[str, Any] = Field(default_factory=dict)
    epochs: int = 1
    n_items: int = 0
    accord_version: str = ""
    meta: dict[str, Any] = Field(default_factory=dict)
    #: Items per shard lease (``ResultStore.claim_shard``); fixed when the run is created.
    shard_size: int = Field(default=256, ge=1)

    @property
    def n_shards(self) -> int:
        """Shards covering the run's items (seq 0..n_items-1), at least one."""
        return max(1, -(-self.n_items // self.shard_size))

    @property
    def variant_ids(self) -> tuple[str, ...]:
        """``none`` (the plain item) and every attack variant the run planned (issue 19)."""
        attacks = self.params.get("attacks")
        variants = attacks.get("variants") if isinstance(attacks, dict) else None
        return ("none", *(variants if isinstance(variants, dict) else ()))

    @property
    def expected_responses(self) -> int:
        """Responses a complete run holds: items x epochs x (the plain item + each attack variant)."""
        return self.n_items * self.epochs * len(self.variant_ids)


#: Longest reviewer name and note a review decision may carry (a crafted file can hold huge ones).
MAX_REVIEWER_CHARS = 200
MAX_NOTE_CHARS = 2000


class ReviewDecision(BaseModel):
    """A person's decision on one response (``accord judge review RUN --decide``).

    Decisions are appended, never edited: a later decision on the same response supersedes
    the earlier one, which stays on record. ``decision`` numbers them per response from 1 (the
    store assigns it). ``reason`` says why the response was reviewed (``disagreement``,
    ``floor-harmful``, comma-joined; ``requested`` when a reviewer decided a response nothing
    flagged); ``overrides`` are the judge labels the decision took the place of when it was
    made: ``{judge_id, judge_version, refusal, harmful, unassessed}`` each.
    """

    model_config = ConfigDict(extra="forbid")
    run_id: str
    suite_id: str
    item_id: str
    variant_id: str = "none"
    epoch: int = 0
    harmful: bool
    refusal: Literal["full", "partial", "none"] | None = None
    reviewer: str = Field(min_length=1, max_length=MAX_REVIEWER_CHARS)
    note: str | None = Field(default=None, max_length=MAX_NOTE_CHARS)
    decided_at: datetime
    reason: str = Field(min_length=1, max_length=200)
    overrides: list[dict[str, Any]] = Field(default_factory=list)
    decision: int = 0

    @property
    def key(self) -> tuple[str, str, str, int]:
        """(suite_id, item_id, variant_id, epoch), as ``KeyTuple``."""
        return (self.suite_id, self.item_id, self.variant_id, self.epoch)


ValidationTask = Literal["refusal3", "refused", "harmful"]
#: The classes of each validation task, as ``Agreement.classes`` spells them.
TASK_CLASSES: dict[str, frozenset[str]] = {
    "refusal3": frozenset({"none", "partial", "full"}),
    "refused": frozenset({"false", "true"}),
    "harmful": frozenset({"false", "true"}),
}


class ConfusionCounts(BaseModel):
    """A judge against gold labels on some rows: ``confusion[i][j]`` counts the assessed rows of
    gold class ``classes[i]`` the judge put in class ``classes[j]``; ``n`` counts every row,
    ``n_assessed`` those the judge gave a label (the confusion's total)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    classes: tuple[str, ...] = Field(min_length=1)
    confusion: tuple[tuple[int, ...], ...]
    n: int = Field(ge=0)
    n_assessed: int = Field(ge=0)

    @model_validator(mode="after")
    def _consistent(self) -> ConfusionCounts:
        k = len(self.classes)
        if len(set(self.classes)) != k:
            raise ValueError(f"classes repeat: {self.classes}")
        if len(self.confusion) != k or any(len(row) != k for row in self.confusion):
            raise ValueError(f"confusion must be {k} x {k} (one row and column per class)")
        if any(x < 0 for row in self.confusion for x in row):
            raise ValueError("confusion counts must be non-negative")
        if sum(map(sum, self.confusion)) != self.n_assessed or self.n_assessed > self.n:
            raise ValueError("confusion must total n_assessed, at most n")
        return self

    def collapse(self, positive: Collection[str]) -> tuple[int, int, int, int]:
        """``(tp, fn, tn, fp)`` treating the classes in ``positive`` as one positive class, gold
        and judged alike (e.g. refused = full or partial)."""
        unknown = set(positive) - set(self.classes)
        if unknown:
            raise ValueError(f"not a class here: {sorted(unknown)}")
        pos = [c in positive for c in self.classes]
        tp = fn = tn = fp = 0
        for i, row in enumerate(self.confusion):
            for j, count in enumerate(row):
                if pos[i] and pos[j]:
                    tp += count
                elif pos[i]:
                    fn += count
                elif pos[j]:
                    fp += count
                else:
                    tn += count
        return tp, fn, tn, fp


class JudgeValidation(BaseModel):
    """A judge scored against a labelled file, as recorded (``accord judge validate --labels
    FILE --record``). Append-only: never edited; ``id`` is assigned by the store (``None``
    before it is stored) and grows with every record.

    ``source`` is the file's name as given, ``source_digest`` ``sha256:`` and the hex digest of
    its bytes; ``by_locale`` holds the counts per locale (a BCP 47 language, as the file's rows
    were grouped), ``overall`` over every row.
    """

    model_config = ConfigDict(extra="forbid")
    id: int | None = None
    judge_id: str = Field(min_length=1, max_length=400)
    judge_version: str = Field(max_length=100)
    task: ValidationTask
    source: str = Field(min_length=1)
    source_digest: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")
    n: int = Field(ge=0)
    recorded_by: str | None = Field(default=None, max_length=MAX_REVIEWER_CHARS)
    recorded_at: datetime
    overall: ConfusionCounts
    by_locale: dict[str, ConfusionCounts] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _classes_fit_task(self) -> JudgeValidation:
        want = TASK_CLASSES[self.task]
        for where, counts in [("overall", self.overall), *self.by_locale.items()]:
            if set(counts.classes) != want:
                raise ValueError(f"{where}: task {self.task} has classes {sorted(want)}, not {list(counts.classes)}")
        return self

    def result(self) -> dict[str, Any]:
        """What the store keeps as ``result_json``."""
        return {"overall": self.overall.model_dump(mode="json"), "by_locale": {k: v.model_dump(mode="json") for k, v in self.by_locale.items()}}
