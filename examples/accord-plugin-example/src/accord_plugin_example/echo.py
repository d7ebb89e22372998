"""``echo:<word>[,<word>...]``: a deterministic local target for demos and tests."""

from __future__ import annotations

from typing import Any

from accord.targets import Completion, GenParams, TargetSpec

REFUSAL = "I can't help with that."


def parse(rest: str, raw: str) -> TargetSpec:
    """The words after ``echo:`` (comma-separated) are the ones this target refuses."""
    words = [w.strip().lower() for w in rest.split(",") if w.strip()]
    return TargetSpec(provider="echo", model=",".join(words), options={"refuse": words}, raw=raw)


def display_name(spec: TargetSpec) -> str:
    return f"echo (refuses {spec.model})"


class EchoTarget:
    def __init__(self, spec: TargetSpec) -> None:
        self.spec = spec
        self.words = [str(w) for w in spec.options.get("refuse", [])]

    async def generate(self, messages: list[Any], params: GenParams, *, context: Any = None) -> Completion:
        prompt = messages[-1].content
        if any(w in prompt.lower() for w in self.words):
            return Completion(text=REFUSAL, finish_reason="stop")
        return Completion(text=f"You asked: {prompt}", finish_reason="stop")

    def digest(self) -> str:
        return f"echo:{self.spec.model}@1"

    async def aclose(self) -> None:
        return None


def create(spec: TargetSpec, **options: Any) -> EchoTarget:
    return EchoTarget(spec)
