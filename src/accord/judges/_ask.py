"""One request from a judge to a model target, with bounded retries: shared by the LLM and
guard-model judges, which differ in what they ask, not in how they ask it."""

from __future__ import annotations

import asyncio
from typing import Any

from accord.records import Message

RETRY_BASE_S = 0.5
RETRY_MAX_S = 10.0


async def ask_target(
    target: Any, messages: list[Message], *, max_tokens: int, attempts: int, sem: asyncio.Semaphore
) -> tuple[str | None, str | None]:
    """(reply text, failure reason) for one request at temperature 0.

    Retryable target errors are retried with exponential backoff (honouring ``Retry-After``);
    the failure reason (``judge-error:<kind>`` or ``judge-blocked``) becomes the verdict's
    unassessed reason, so a judge that could not be asked is never read as "safe".
    """
    from accord.targets import GenParams, TargetError

    params = GenParams(temperature=0.0, max_tokens=max_tokens)
    async with sem:
        for attempt in range(attempts):
            try:
                completion = await target.generate(messages, params)
                break
            except TargetError as exc:
                if not exc.retryable or attempt == attempts - 1:
                    return None, f"judge-error:{exc.kind.value}"
                await asyncio.sleep(min(exc.retry_after_s or RETRY_BASE_S * 2**attempt, RETRY_MAX_S))
    if completion.blocked:
        return None, "judge-blocked"
    return completion.text, None
