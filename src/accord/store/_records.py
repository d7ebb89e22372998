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
