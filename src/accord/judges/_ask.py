"""Judges that ask a model through an accord target: the LLM and guard-model judges.

They differ in what they ask and how they read the answer, not in how they ask it: the target
is built from a spec, its digest goes into the judge version, requests fan out under one
semaphore with bounded retries, and the target is closed at the end. ``TargetJudge`` holds
that; subclasses implement ``_one``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from accord.judges._judge import BaseJudge, JudgeInput, Needs, Verdict
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


class TargetJudge(BaseJudge):
    """A judge backed by a model target: ``_one(item, sem)`` judges one response."""

    needs: Needs = "target"

    def __init__(self, spec: str, *, max_concurrency: int, max_tokens: int, attempts: int) -> None:
        from accord.targets import load_target

        self.spec = spec
        self.target = load_target(spec)
        self.max_concurrency = max_concurrency
        self.max_tokens = max_tokens
        self.attempts = max(1, attempts)

    def target_digest(self) -> str:
        """The target's digest for the judge version (the spec when it has none: provenance only)."""
        try:
            return str(self.target.digest())
        except Exception:
            return self.spec

    async def ask(self, messages: list[Message], sem: asyncio.Semaphore) -> tuple[str | None, str | None]:
        """(reply text, failure reason) for one request."""
        return await ask_target(self.target, messages, max_tokens=self.max_tokens, attempts=self.attempts, sem=sem)

    async def _one(self, item: JudgeInput, sem: asyncio.Semaphore) -> Verdict:
        raise NotImplementedError

    async def _assess_async(self, inputs: Sequence[JudgeInput]) -> list[Verdict]:
        sem = asyncio.Semaphore(self.max_concurrency)
        return list(await asyncio.gather(*(self._one(item, sem) for item in inputs)))

    async def aclose(self) -> None:
        await self.target.aclose()
