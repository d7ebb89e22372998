"""The Judge protocol: read (request, response) pairs, return label fields.

Every judge goes through ``judge_batch``, which first settles the cases no judge may guess
about: a response that errored, was blocked by the provider, or is empty is ``unassessed``
with that reason, and the judge proper (``_assess``) only ever sees real output. A judge
that cannot produce a valid label for an output returns ``Verdict.unassessed_because(...)``
too; it never falls back to "safe" or "refused".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from accord.records import Label, Message, RefusalLevel, Response

Needs = Literal["cpu", "target"]
Status = Literal["ok", "blocked", "error"]
REFUSAL_LEVELS: tuple[RefusalLevel, ...] = ("none", "partial", "full")


@dataclass(frozen=True)
class JudgeInput:
    """What a judge reads: the conversation sent, the output, and how the request ended."""

    messages: tuple[Message, ...]
    output: str | None
    status: Status = "ok"
    error_kind: str | None = None

    @property
    def prompt(self) -> str:
        """The last user turn: the request being judged."""
        for m in reversed(self.messages):
            if m.role == "user":
                return m.content
        return self.messages[-1].content if self.messages else ""

    @classmethod
    def of(cls, prompt: str, output: str | None, status: Status = "ok") -> JudgeInput:
        return cls(messages=(Message(role="user", content=prompt),), output=output, status=status)

    @classmethod
    def from_response(cls, response: Response) -> JudgeInput:
        kind = response.error_kind.value if response.error_kind is not None else None
        return cls(messages=tuple(response.messages), output=response.output, status=response.status, error_kind=kind)


@dataclass(frozen=True)
class Verdict:
    """The label fields a judge decides (``accord.records.Label`` minus key and judge id)."""

    refusal: RefusalLevel | None = None
    harmful: bool | None = None
    score: float | None = None
    rationale: str | None = None
    unassessed: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if self.unassessed is not None and (self.refusal is not None or self.harmful is not None):
            raise ValueError("an unassessed verdict carries no refusal or harmful value")
        if self.unassessed is None and self.refusal is None and self.harmful is None:
            raise ValueError("a verdict needs a refusal or harmful value, or an unassessed reason")

    @classmethod
    def unassessed_because(cls, reason: str, rationale: str | None = None) -> Verdict:
        return cls(unassessed=reason, rationale=rationale)

    def to_label(self, response: Response, judge_id: str, judge_version: str) -> Label:
        return Label(
            run_id=response.run_id,
            suite_id=response.suite_id,
            item_id=response.item_id,
            variant_id=response.variant_id,
            epoch=response.epoch,
            judge_id=judge_id,
            judge_version=judge_version,
            refusal=self.refusal,
            harmful=self.harmful,
            score=self.score,
            rationale=self.rationale,
            unassessed=self.unassessed,
        )


def precheck(item: JudgeInput) -> str | None:
    """The unassessed reason for an input no judge should read, else ``None``."""
    if item.status == "error":
        return f"error:{item.error_kind or 'unknown'}"
    if item.status == "blocked":
        return "blocked"
    if item.output is None or not item.output.strip():
        return "empty"
    return None


@runtime_checkable
class Judge(Protocol):
    """Anything that labels responses. ``needs`` is ``cpu`` (offline) or ``target`` (a model)."""

    judge_id: str
    version: str
    needs: Needs

    async def judge_batch(self, inputs: Sequence[JudgeInput]) -> list[Verdict]: ...


class BaseJudge:
    """Applies ``precheck`` and hands the rest to ``_assess`` (sync) or ``_assess_async``."""

    judge_id: str = ""
    version: str = ""
    needs: Needs = "cpu"

    async def judge_batch(self, inputs: Sequence[JudgeInput]) -> list[Verdict]:
        out: list[Verdict | None] = [None] * len(inputs)
        todo: list[int] = []
        for i, item in enumerate(inputs):
            reason = precheck(item)
            if reason is None:
                todo.append(i)
            else:
                out[i] = Verdict.unassessed_because(reason)
        if todo:
            verdicts = await self._assess_async([inputs[i] for i in todo])
            for i, v in zip(todo, verdicts, strict=True):
                out[i] = v
        return [v for v in out if v is not None]

    async def _assess_async(self, inputs: Sequence[JudgeInput]) -> list[Verdict]:
        return self._assess(inputs)

    def _assess(self, inputs: Sequence[JudgeInput]) -> list[Verdict]:
        raise NotImplementedError

    async def aclose(self) -> None:
        """Release what the judge holds (an LLM judge's target)."""


def judge_sync(judge: Judge, inputs: Sequence[JudgeInput]) -> list[Verdict]:
    """Run ``judge_batch`` from synchronous code (CLI, benchmarks, tests, a notebook cell)."""
    from accord.aio import run_sync

    return run_sync(judge.judge_batch(list(inputs)))


def inputs_of(pairs: Iterable[tuple[str, str | None]]) -> list[JudgeInput]:
    return [JudgeInput.of(p, r) for p, r in pairs]
