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
    judges.append(
        JudgeFactory(
            "guard",
            "accord.judges._guard:GuardJudge",
            # no square brackets: `judge list` prints descriptions as rich markup
            "an open guard model in its own format over any accord target: guard:<family>:<target spec>, "
            "family llama-guard-3, llama-guard-4 (add /prompt to send the task prompt), shieldgemma or wildguard",
            "target",
            takes_argument=True,
        )
    )
    return judges
