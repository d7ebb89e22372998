"""Run-level records the store hands out (per-response records are in ``accord.records``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

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
    def expected_responses(self) -> int:
        """Responses a complete run holds for the plain items (variants add more)."""
        return self.n_items * self.epochs


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
