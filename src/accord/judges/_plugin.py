"""The built-in judges, registered through the same hook a third-party plugin uses."""

from __future__ import annotations

from accord.plugins import JudgeFactory, hookimpl


@hookimpl
def accord_judges() -> list[JudgeFactory]:
    from accord.judges._registry import BUILTINS

    judges = [JudgeFactory(i.name, i.factory, i.description, i.needs) for i in BUILTINS.values()]
    judges.append(
        JudgeFactory("llm", "accord.judges._llm:LLMJudge", "an LLM judge over any accord target: llm:<target spec>", "target", takes_argument=True)
    )
    return judges
