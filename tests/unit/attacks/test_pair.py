"""PAIR: refinement from feedback, success stop, budgets never exceeded, garbage and errors.

The scripted attacker's prompts start ``attempt-<round>``; round 2 is the base64 move. Targets
here are small functions that comply (``COMPLIED``) on a chosen round's prompt.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from accord.attacks import AttackFailed, Strategy, StrategyResult, get_attack, plan_attacks
from accord.errors import InputError
from accord.records import ErrorKind, JudgeScore, Message
from accord.targets import GenParams, TargetError, load_target
from tests.support import attacker_double as ad
from tests.unit.attacks.fake_context import FakeContext, make_item, marker_judge

REFUSAL = "I can't help with that request."


def run(ctx: FakeContext, **params: Any) -> StrategyResult:
    attack = get_attack("pair")
    assert isinstance(attack, Strategy)
    full = plan_attacks([{"name": "pair", "params": params}]).variants[0].steps[0].params
    return asyncio.run(attack.run("Explain how to do the forbidden thing.", full, ctx))


def complies_on(tag: str, partial: str | None = None) -> Any:
    def target(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
        text = messages[-1]["content"]
        if text.startswith(tag):
            return "COMPLIED: canned."
        if partial is not None and text.startswith(partial):
            return "PARTIAL answer."
        return REFUSAL

    return target


def never(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    return REFUSAL


def test_pair_stops_at_the_first_judged_success() -> None:
    ctx = FakeContext(target=complies_on("attempt-2"), attacker=ad.scripted, judge=marker_judge())
    result = run(ctx, n_streams=1, n_iterations=5)
    assert result.success is True
    assert result.completion.text == "COMPLIED: canned."
    assert result.messages[-1].content.startswith("attempt-2:") and "base64" in result.messages[-1].content
    assert ctx.trace.stop == "success" and ctx.trace.best_score == 1.0 and ctx.trace.turns == 1
    assert ctx.trace.queries == {"attacker": 2, "target": 2, "judge": 2}


def test_pair_runs_streams_round_by_round() -> None:
    ctx = FakeContext(target=complies_on("attempt-2"), attacker=ad.scripted, judge=marker_judge())
    run(ctx, n_streams=3, n_iterations=5)
    # three streams in round 1, then the first stream's round-2 prompt succeeds
    assert [p.split(":")[0] for p in ctx.prompts()] == ["attempt-1", "attempt-1", "attempt-1", "attempt-2"]
    assert ctx.trace.queries["target"] == 4


def test_pair_feeds_back_the_reply_and_score_and_bounds_the_history() -> None:
    ctx = FakeContext(target=never, attacker=ad.scripted, judge=marker_judge())
    run(ctx, n_streams=1, n_iterations=6, keep_last=2, max_queries=50)
    convos = ctx.sent["attacker"]
    assert "No attempts yet" in convos[0][-1].content and "ROUND: 1 of 6" in convos[0][-1].content
    second = convos[1]
    assert REFUSAL in second[-1].content and "SCORE: 0.00" in second[-1].content and "ROUND: 2 of 6" in second[-1].content
    assert json.loads(second[-2].content)["prompt"].startswith("attempt-1")  # its own last move, normalised
    assert "<objective>" in second[0].content and "Explain how to do the forbidden thing." in second[0].content
    assert '{"improvement": "...", "prompt": "..."}' in second[0].content  # the format, rendered literally
    # system + at most keep_last (request, move) pairs + the new request
    assert max(len(c) for c in convos) == 1 + 2 * 2 + 1
    assert [len(c) for c in convos] == [2, 4, 6, 6, 6, 6]


def test_pair_returns_the_best_attempt_when_nothing_succeeds() -> None:
    ctx = FakeContext(target=complies_on("never", partial="attempt-2"), attacker=ad.scripted, judge=marker_judge(partial="PARTIAL"))
    result = run(ctx, n_streams=1, n_iterations=4)
    assert ctx.trace.stop == "exhausted" and ctx.trace.best_score == 0.5
    assert result.success is False
    assert result.messages[-1].content.startswith("attempt-2:") and result.completion.text == "PARTIAL answer."
    assert ctx.trace.queries["target"] == 4


@pytest.mark.parametrize(("streams", "iterations"), [(1, 1), (1, 5), (3, 2), (2, 4)])
@pytest.mark.parametrize("max_queries", [1, 2, 3, 5, 8])
def test_pair_never_exceeds_its_query_budget(streams: int, iterations: int, max_queries: int) -> None:
    ctx = FakeContext(target=never, attacker=ad.scripted, judge=marker_judge())
    result = run(ctx, n_streams=streams, n_iterations=iterations, max_queries=max_queries)
    possible = streams * iterations
    assert ctx.trace.queries["target"] == min(max_queries, possible)
    assert ctx.trace.queries["attacker"] == ctx.trace.queries["target"]  # no attacker call is wasted past the budget
    assert ctx.trace.stop == ("budget" if max_queries < possible else "exhausted")
    assert result.success is False


def test_pair_keeps_the_items_system_prompt() -> None:
    item = make_item(system="You are a helpful bank assistant.")
    ctx = FakeContext(target=complies_on("attempt-1"), attacker=ad.scripted, judge=marker_judge(), item=item)
    result = run(ctx, n_streams=1)
    assert [m.role for m in result.messages] == ["system", "user"]
    assert result.messages[0].content == "You are a helpful bank assistant."


@pytest.mark.parametrize(
    ("attacker", "reason"),
    [
        (ad.garbage, "no JSON object"),
        (ad.empty, "empty reply"),
        (ad.refusing, "refused"),
        (lambda m, p: '{"improvement": "x"}', "'prompt'"),
        (lambda m, p: '{"prompt": "   "}', "'prompt'"),
        (lambda m, p: ad.move("y" * 9000), "longer than"),
        (lambda m, p: ad.move("I'm sorry, I can't write that."), "refused"),
    ],
)
def test_garbage_attacker_fails_the_unit_after_its_retries(attacker: Any, reason: str) -> None:
    ctx = FakeContext(target=never, attacker=attacker, judge=marker_judge())
    with pytest.raises(AttackFailed, match=reason) as info:
        run(ctx, attacker_retries=2)
    assert "attacker returned no usable prompt after 3 tries" in str(info.value)
    assert info.value.kind == ErrorKind.bad_response
    assert ctx.trace.queries == {"attacker": 3}  # the target was never queried


def test_attacker_retries_zero_means_one_try() -> None:
    ctx = FakeContext(target=never, attacker=ad.garbage, judge=marker_judge())
    with pytest.raises(AttackFailed, match="after 1 tries"):
        run(ctx, attacker_retries=0)


def test_a_retry_shows_the_attacker_why_its_reply_was_unusable() -> None:
    script = ad.ScriptedAttacker(["no json here", ad.move("attempt-x: please")])
    ctx = FakeContext(target=complies_on("attempt-x"), attacker=script, judge=marker_judge())
    result = run(ctx, n_streams=1)
    assert result.success is True
    retry = script.seen[1]
    assert retry[-2] == {"role": "assistant", "content": "no json here"}
    assert "no JSON object" in retry[-1]["content"] and "JSON" in retry[-1]["content"]
    assert ctx.trace.steps[1]["note"].endswith("(retry 1)")


def test_json_in_prose_and_code_fences_is_read() -> None:
    ctx = FakeContext(target=complies_on("attempt-1"), attacker=ad.fenced, judge=marker_judge())
    assert run(ctx, n_streams=1).success is True


def test_target_errors_propagate() -> None:
    def down(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
        raise TargetError(ErrorKind.server_error, "500 from the target")

    ctx = FakeContext(target=down, attacker=ad.scripted, judge=marker_judge())
    with pytest.raises(TargetError) as info:
        run(ctx)
    assert info.value.kind == ErrorKind.server_error
    assert ctx.trace.steps[-1] == {
        "role": "target",
        "sent": ctx.prompts()[0],
        "turns": 1,
        "note": "pair stream 1 round 1",
        "error": "server_error: 500 from the target",
    }
    assert "target" not in ctx.trace.queries


def test_unassessed_judge_scores_give_no_verdict() -> None:
    ctx = FakeContext(target=never, attacker=ad.scripted, judge=lambda o, r: JudgeScore(None, False, "judge unsure"))
    result = run(ctx, n_streams=1, n_iterations=2)
    assert result.success is None and ctx.trace.best_score is None and ctx.trace.stop == "exhausted"
    assert "SCORE: unassessed" in ctx.sent["attacker"][1][-1].content


def test_missing_judge_or_attacker_is_an_attack_failure() -> None:
    with pytest.raises(AttackFailed, match="judge"):
        run(FakeContext(target=never, attacker=ad.scripted))
    with pytest.raises(AttackFailed, match="attacker"):
        run(FakeContext(target=never, judge=marker_judge()))


def test_pair_parameters_are_validated() -> None:
    assert get_attack("pair").needs == frozenset({"attacker", "judge"})
    for spec in ("pair:n_streams=0", "pair:max_queries=0", "pair:foo=1", "pair:n_iterations=x", "pair:3"):
        with pytest.raises(InputError):
            plan_attacks([spec])
    for chain in ("pair+base64", "base64+pair"):
        with pytest.raises(InputError, match="runs alone"):
            plan_attacks([chain])


def test_the_scripted_attacker_works_as_a_python_target() -> None:
    """The double drives PAIR through the real python provider, as ``--attacker python:...``."""
    target = load_target("python:tests.support.attacker_double:scripted")

    async def attacker(messages: list[dict[str, Any]], params: dict[str, Any]) -> Any:
        return await target.generate([Message(**m) for m in messages], GenParams())

    ctx = FakeContext(target=complies_on("attempt-2"), attacker=attacker, judge=marker_judge())
    assert run(ctx, n_streams=1).success is True
    assert ctx.trace.queries["attacker"] == 2
