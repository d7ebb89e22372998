"""The response cache key: what must match for a stored completion to stand in for a request.

sha256 over the canonical JSON of (target digest, exact messages, generation parameters,
epoch). The time-out is left out: it bounds how long we wait, not what the model says. The
epoch is in, so ``--epochs 3`` at temperature > 0 gets three samples.

The key cannot tell whether the model behind a URL and alias changed, so an entry another run
produced is reused only when that run asks for it (``--reuse-cache MAX_AGE``) and the entry is
at most that old (``reusable``); a run always may reuse its own entries. Each stored response
records which it was (``Response.provenance``, ``source_run``, ``source_created_at``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from accord.records import Message
from accord.targets import Completion, GenParams

NOT_IN_KEY = {"timeout_s"}


def params_for_key(params: GenParams) -> dict[str, Any]:
    return {k: v for k, v in params.model_dump().items() if k not in NOT_IN_KEY}


def cache_key(target_digest: str, messages: Iterable[Message], params: dict[str, Any], epoch: int) -> str:
    """Hex sha256; ``params`` comes from ``params_for_key`` (computed once per run)."""
    payload = [target_digest, [[m.role, m.content] for m in messages], params, epoch]
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def completion_to_cache(c: Completion) -> dict[str, Any]:
    return {
        "text": c.text,
        "finish_reason": c.finish_reason,
        "blocked": c.blocked,
        "input_tokens": c.input_tokens,
        "output_tokens": c.output_tokens,
        "model_version": c.model_version,
    }


def parse_time(text: str | None) -> datetime | None:
    """An ISO time as stored (``created_at``), UTC when it names no zone; None stays None."""
    if not text:
        return None
    when = datetime.fromisoformat(text)
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def reusable(meta: dict[str, Any], run_id: str, max_age_s: float | None, *, now: datetime | None = None) -> bool:
    """Whether a cache entry (``meta``: its ``run_id`` and ``created_at``) may answer for ``run_id``.

    The run's own entries always; another run's (or one of unknown origin) only with
    ``max_age_s`` set and the entry at most that old.
    """
    if meta.get("run_id") is not None and meta.get("run_id") == run_id:
        return True
    if max_age_s is None:
        return False
    created = parse_time(meta.get("created_at"))
    if created is None:
        return False
    age = ((now or datetime.now(UTC)) - created).total_seconds()
    return age <= max_age_s


def parse_age(text: str) -> float:
    """``--reuse-cache`` ages: ``90s``, ``30m``, ``24h``, ``7d`` (or plain seconds) -> seconds."""
    units = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
    raw = text.strip().lower()
    try:
        value = float(raw[:-1]) * units[raw[-1]] if raw and raw[-1] in units else float(raw)
    except ValueError:
        raise ValueError(f"not an age: {text!r} (use e.g. 90s, 30m, 24h, 7d)") from None
    if not value >= 0 or value == float("inf"):
        raise ValueError(f"not an age: {text!r} (a non-negative number with s, m, h or d)")
    return value
