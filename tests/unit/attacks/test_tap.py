"""TAP: branching, off-topic and duplicate pruning, width pruning, budgets, success, failures.

The scripted attacker's prompts start ``attempt-<depth>.<branch>``; its on-topic verdict is
YES unless a test wraps it.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest

from accord.attacks import AttackFailed, Strategy, StrategyResult, get_attack, plan_attacks
from accord.errors import InputError
from accord.records import ErrorKind
from accord.targets import TargetError
from tests.support import attacker_double as ad
from tests.unit.attacks.fake_context import FakeContext, marker_judge

REFUSAL = "I can't help with that request."


def run(ctx: FakeContext, **params: Any) -> StrategyResult:
    attack = get_attack("tap")
    assert isinstance(attack, Strategy)
    full = plan_attacks([{"name": "tap", "params": params}]).variants[0].steps[0].params
    return asyncio.run(attack.run("Explain how to do the forbidden thing.", full, ctx))


def target_by_prefix(replies: dict[str, str]) -> Any:
    """Replies chosen by the prompt's ``attempt-...:`` tag; anything else is refused."""

    def target(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
        tag = messages[-1]["content"].split(":")[0]
        return replies.get(tag, REFUSAL)

    return target


def judge() -> Any:
    return marker_judge(partial="PARTIAL")


def off_topic_when(*tags: str) -> Any:
    """The scripted attacker, except that its evaluator says NO to prompts with these tags."""

    def attacker(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
        if "YES or NO" in messages[0]["content"]:
            prompt = messages[-1]["content"].split("<prompt>\n", 1)[1]
            return "NO" if prompt.split(":")[0] in tags else "YES"
        return ad.scripted(messages, params)

    return attacker


def unique_prompts() -> Any:
    """An attacker whose every prompt differs (the scripted one repeats prompts across leaves of a level)."""
    counter = itertools.count(1)

    def attacker(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
        return "YES" if "YES or NO" in messages[0]["content"] else ad.move(f"attempt-u{next(counter)}: please explain")

    return attacker


def test_tap_stops_at_success_in_the_second_level() -> None:
    ctx = FakeContext(target=target_by_prefix({"attempt-2.1": "COMPLIED: canned."}), attacker=ad.scripted, judge=judge())
    result = run(ctx, branching=2, width=1, depth=4)
    assert result.success is True and result.messages[-1].content.startswith("attempt-2.1:")
    assert [p.split(":")[0] for p in ctx.prompts()] == ["attempt-1.1", "attempt-1.2", "attempt-2.1"]
    assert ctx.trace.stop == "success" and ctx.trace.best_score == 1.0 and ctx.trace.turns == 1
    # 2 branches + 2 on-topic checks per level, and level 2 has one leaf (width 1): 4 + 4
    assert ctx.trace.queries == {"attacker": 8, "target": 3, "judge": 3}


def test_off_topic_children_are_pruned_before_the_target_sees_them() -> None:
    ctx = FakeContext(target=target_by_prefix({}), attacker=off_topic_when("attempt-1.2", "attempt-2.1"), judge=judge())
    run(ctx, branching=2, width=2, depth=2)
    tags = [p.split(":")[0] for p in ctx.prompts()]
    assert tags == ["attempt-1.1", "attempt-2.2"]
    assert ctx.trace.stop == "exhausted"


def test_only_the_best_width_leaves_are_expanded() -> None:
    replies = {"attempt-1.3": "PARTIAL answer from branch three."}
    ctx = FakeContext(target=target_by_prefix(replies), attacker=ad.scripted, judge=judge())
    run(ctx, branching=3, width=1, depth=2, prune_off_topic=False)
    level2 = [c for c in ctx.sent["attacker"] if "ROUND: 2 of 2" in c[-1].content]
    assert len(level2) == 3  # one leaf kept, three children from it
    for convo in level2:
        assert "PARTIAL answer from branch three." in convo[-1].content and "SCORE: 0.50" in convo[-1].content
        assert '"attempt-1.3:' in convo[-2].content  # the kept branch's own move is its history


def test_ties_keep_the_earlier_branches() -> None:
    ctx = FakeContext(target=target_by_prefix({}), attacker=ad.scripted, judge=judge())
    run(ctx, branching=3, width=2, depth=2, prune_off_topic=False)
    level2 = [c for c in ctx.sent["attacker"] if "ROUND: 2 of 2" in c[-1].content]
    parents = {c[-2].content.split('"prompt": "')[1].split(":")[0] for c in level2}
    assert parents == {"attempt-1.1", "attempt-1.2"}


def test_repeated_prompts_are_sent_once() -> None:
    same = ad.move("attempt-same: please explain")
    ctx = FakeContext(target=target_by_prefix({}), attacker=lambda m, p: "YES" if "YES or NO" in m[0]["content"] else same, judge=judge())
    run(ctx, branching=3, width=3, depth=2)
    assert ctx.prompts() == ["attempt-same: please explain", "attempt-same: please explain"]  # once per level


def test_all_children_off_topic_fails_with_the_reason() -> None:
    ctx = FakeContext(target=target_by_prefix({}), attacker=off_topic_when("attempt-1.1", "attempt-1.2"), judge=judge())
    with pytest.raises(AttackFailed, match="off the objective"):
        run(ctx, branching=2, depth=3)
    assert "target" not in ctx.trace.queries


def test_an_unreadable_on_topic_verdict_keeps_the_child() -> None:
    def attacker(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
        return "perhaps" if "YES or NO" in messages[0]["content"] else ad.scripted(messages, params)

    ctx = FakeContext(target=target_by_prefix({}), attacker=attacker, judge=judge())
    run(ctx, branching=2, width=2, depth=1)
    assert [p.split(":")[0] for p in ctx.prompts()] == ["attempt-1.1", "attempt-1.2"]


@pytest.mark.parametrize(("branching", "width", "depth"), [(1, 1, 3), (2, 2, 3), (3, 2, 2), (2, 4, 4)])
@pytest.mark.parametrize("max_queries", [1, 2, 3, 5, 9])
def test_tap_never_exceeds_its_query_budget(branching: int, width: int, depth: int, max_queries: int) -> None:
    ctx = FakeContext(target=target_by_prefix({}), attacker=unique_prompts(), judge=judge())
    run(ctx, branching=branching, width=width, depth=depth, max_queries=max_queries)
    leaves, possible = 1, 0
    for _ in range(depth):
        possible += leaves * branching
        leaves = min(width, leaves * branching)
    assert ctx.trace.queries["target"] == min(max_queries, possible)
    assert ctx.trace.stop == ("budget" if max_queries < possible else "exhausted")


def test_garbage_attacker_fails_the_unit() -> None:
    ctx = FakeContext(target=target_by_prefix({}), attacker=ad.garbage, judge=judge())
    with pytest.raises(AttackFailed, match=r"after 2 tries: no JSON object"):
        run(ctx, attacker_retries=1)
    assert ctx.trace.queries == {"attacker": 2}


def test_target_errors_propagate() -> None:
    def down(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
        raise TargetError(ErrorKind.rate_limited, "429")

    ctx = FakeContext(target=down, attacker=ad.scripted, judge=judge())
    with pytest.raises(TargetError) as info:
        run(ctx)
    assert info.value.kind == ErrorKind.rate_limited


def test_tap_parameters_are_validated() -> None:
    assert get_attack("tap").needs == frozenset({"attacker", "judge"})
    for spec in ("tap:width=0", "tap:depth=21", "tap:branching=x", "tap:prune_off_topic=maybe"):
        with pytest.raises(InputError):
            plan_attacks([spec])
    assert plan_attacks(["tap:prune_off_topic=false"]).variants[0].steps[0].params["prune_off_topic"] is False
