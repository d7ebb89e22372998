"""Readable run ids: ``YYYYMMDD-HHMMSS-<adjective>-<noun>`` (sortable by time, easy to say)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

ADJECTIVES = (
    "amber", "brisk", "calm", "clear", "deft", "eager", "fair", "firm", "keen", "lucid",
    "mellow", "nimble", "plain", "quiet", "rapid", "sound", "steady", "sure", "swift", "vivid",
)
NOUNS = (
    "atlas", "beacon", "cedar", "delta", "ember", "falcon", "harbor", "heron", "juniper", "lantern",
    "maple", "meadow", "orbit", "otter", "quartz", "raven", "river", "sparrow", "summit", "willow",
)


def new_run_id(now: datetime | None = None) -> str:
    """A fresh id; the time prefix makes collisions need the same second and the same 1-in-400 words."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%d-%H%M%S}-{secrets.choice(ADJECTIVES)}-{secrets.choice(NOUNS)}"
