"""The Judge protocol: read (request, response) pairs, return label fields.

Every judge goes through ``judge_batch``, which first settles the cases no judge may guess
about: a response that errored, was blocked by the provider, is empty, or is degenerate
(gibberish, a repetition loop, only punctuation: ``accord.judges._degenerate``) is
``unassessed`` with that reason, and the judge proper (``_assess``) only ever sees real
output. A judge that cannot produce a valid label for an output returns
``Verdict.unassessed_because(...)`` too; it never falls back to "safe" or "refused".

``judge_batch`` then adds the flags every assessed verdict carries whatever the judge:
``cut-off`` (the generation stopped at its token limit) and ``other-language`` (the response
is in another language than the request). Flags never change a label. It also enforces
that a harmful answer is never a full refusal (it gave something, so it is ``partial``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol, runtime_checkable

from accord.judges._degenerate import degenerate
from accord.judges._language import differs as language_differs
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
    #: the provider's normalised finish reason: ``stop``, ``length`` (token limit), ``time``, …
    finish_reason: str | None = None

    @property
    def prompt(self) -> str:
        """The last user turn: the request being judged."""
        for m in reversed(self.messages):
            if m.role == "user":
                return m.content
        return self.messages[-1].content if self.messages else ""

    @classmethod
    def of(cls, prompt: str, output: str | None, status: Status = "ok", finish_reason: str | None = None) -> JudgeInput:
        return cls(messages=(Message(role="user", content=prompt),), output=output, status=status, finish_reason=finish_reason)

    @classmethod
    def from_response(cls, response: Response) -> JudgeInput:
        kind = response.error_kind.value if response.error_kind is not None else None
        return cls(
            messages=tuple(response.messages),
            output=response.output,
            status=response.status,
            error_kind=kind,
            finish_reason=response.finish_reason,
        )


@dataclass(frozen=True)
class Verdict:
    """The label fields a judge decides (``accord.records.Label`` minus key and judge id)."""

    refusal: RefusalLevel | None = None
    harmful: bool | None = None
    score: float | None = None
    rationale: str | None = None
    unassessed: str | None = None
    flags: tuple[str, ...] = ()
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
            flags=sorted(set(self.flags)),
        )


def precheck(item: JudgeInput) -> str | None:
    """The unassessed reason for an input no judge should read, else ``None``."""
    found = _precheck(item)
    return found[0] if found is not None else None


def _precheck(item: JudgeInput) -> tuple[str, str | None] | None:
    """(reason, rationale) for an input no judge should read; a degenerate one says which kind."""
    if item.status == "error":
        return f"error:{item.error_kind or 'unknown'}", None
    if item.status == "blocked":
        return "blocked", None
    if item.output is None or not item.output.strip():
        return "empty", None
    kind = degenerate(item.output)
    if kind is not None:
        return "degenerate", kind
    return None


#: The finish reason every provider maps "stopped at the token limit" to (openai's own value,
#: anthropic ``max_tokens`` and the hf provider's token count both become it).
CUT_OFF = "length"


def flags_for(item: JudgeInput) -> tuple[str, ...]:
    """The flags an assessed verdict on ``item`` carries: ``cut-off``, ``other-language``."""
    flags: list[str] = []
    if item.finish_reason == CUT_OFF:
        flags.append("cut-off")
    if item.output and language_differs(item.prompt, item.output):
        flags.append("other-language")
    return tuple(flags)


def consistent(verdict: Verdict) -> Verdict:
    """A harmful answer gave something, so it is never a full refusal: ``full`` becomes ``partial``."""
    if verdict.harmful is True and verdict.refusal == "full":
        return replace(verdict, refusal="partial")
    return verdict


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
            found = _precheck(item)
            if found is None:
                todo.append(i)
            else:
                out[i] = Verdict.unassessed_because(*found)
        if todo:
            verdicts = await self._assess_async([inputs[i] for i in todo])
            for i, v in zip(todo, verdicts, strict=True):
                if v.unassessed is None:
                    v = consistent(v)
                    flags = flags_for(inputs[i])
                    if flags:
                        v = replace(v, flags=tuple(sorted(set(v.flags) | set(flags))))
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
