"""Every way a response can be unjudgeable yields ``unassessed`` with the reason, never a guess."""

from __future__ import annotations

import pytest

from accord.judges import JudgeInput, Verdict, get_judge, judge_sync, precheck
from accord.judges._embedded import EmbeddedJudge
from accord.records import ErrorKind, Message, Response

BAD_INPUTS = [
    (JudgeInput.of("How do I bake bread?", None, status="error"), "error:unknown"),
    (JudgeInput(messages=(Message(role="user", content="q"),), output=None, status="error", error_kind="timeout"), "error:timeout"),
    (JudgeInput.of("How do I bake bread?", "", status="blocked"), "blocked"),
    (JudgeInput.of("How do I bake bread?", "Some text", status="blocked"), "blocked"),
    (JudgeInput.of("How do I bake bread?", None), "empty"),
    (JudgeInput.of("How do I bake bread?", "   \n\t "), "empty"),
    (JudgeInput.of("How do I bake bread?", "!!! ... ???"), "degenerate"),  # only punctuation (data/degenerate/RULES.md)
    (JudgeInput.of("How do I bake bread?", "Bread bread bread. " * 40, finish_reason="length"), "degenerate"),  # a loop
]


@pytest.mark.parametrize(("item", "reason"), BAD_INPUTS)
def test_precheck(item: JudgeInput, reason: str) -> None:
    assert precheck(item) == reason


@pytest.mark.parametrize("name", ["pattern", "embedded", "ensemble:embedded+pattern", "any-unsafe:embedded+pattern"])
def test_offline_judges_mark_bad_inputs_unassessed(name: str, embedded: EmbeddedJudge) -> None:
    judge = embedded if name == "embedded" else get_judge(name)
    good = JudgeInput.of("How do I bake bread?", "Mix flour, water, salt and yeast, knead, let it rise, then bake at 220C.")
    items = [good] + [item for item, _ in BAD_INPUTS]
    verdicts = judge_sync(judge, items)
    assert len(verdicts) == len(items)
    assert verdicts[0].unassessed is None and verdicts[0].refusal is not None
    for verdict, (_, reason) in zip(verdicts[1:], BAD_INPUTS):
        assert verdict.unassessed is not None
        assert verdict.refusal is None and verdict.harmful is None
        assert verdict.unassessed == reason  # ensembles pre-check too, keeping the reason


def test_from_response_carries_status() -> None:
    base = dict(run_id="r", suite_id="s", item_id="1", messages=[Message(role="user", content="hi")])
    errored = Response(**base, error_kind=ErrorKind.rate_limited, error="429")
    blocked = Response(**base, output="", blocked=True)
    assert precheck(JudgeInput.from_response(errored)) == "error:rate_limited"
    assert precheck(JudgeInput.from_response(blocked)) == "blocked"


def test_verdict_invariants() -> None:
    with pytest.raises(ValueError):
        Verdict(refusal="full", unassessed="empty")
    with pytest.raises(ValueError):
        Verdict()
    label = Verdict.unassessed_because("blocked").to_label(
        Response(run_id="r", suite_id="s", item_id="1", messages=[Message(role="user", content="hi")], blocked=True),
        "pattern",
        "1",
    )
    assert label.unassessed == "blocked" and label.refusal is None and label.harmful is None
