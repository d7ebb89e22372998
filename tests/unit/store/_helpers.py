"""Records the store tests share."""

from __future__ import annotations

from datetime import UTC, datetime

from accord.store import RunInfo, SuiteRef


def make_run(run_id: str = "r1", n_items: int = 3, *, digest: str = "sha256:t", suites: list[SuiteRef] | None = None) -> RunInfo:
    """A minimal run record of ``n_items`` items in one suite (or ``suites``)."""
    now = datetime.now(UTC)
    return RunInfo(
        run_id=run_id,
        created_at=now,
        updated_at=now,
        target="replay:x.jsonl",
        target_digest=digest,
        suites=suites or [SuiteRef(suite_id="s", digest="sha256:s", n_items=n_items)],
        n_items=n_items,
    )
