"""Crescendo: escalation over turns, backtracking on refusals, turn and query budgets.

The scripted attacker asks harmless questions at turns 1-2 (``attempt-<turn>``) and the
objective from turn 3; after a backtrack its retry at the same turn is ``attempt-<turn>.<k>``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from accord.attacks import AttackFailed, Strategy, StrategyResult, get_attack, plan_attacks
from accord.errors import InputError
from accord.records import ErrorKind
from accord.targets import TargetError
from tests.support import attacker_double as ad
from tests.unit.attacks.fake_context import FakeContext, make_item, marker_judge

REFUSAL = "I can't help with that request."
GENERIC = "Here is some general background."


def run(ctx: FakeContext, **params: Any) -> StrategyResult:
    attack = get_attack("crescendo")
    assert isinstance(attack, Strategy)
    full = plan_attacks([{"name": "crescendo", "params": params}]).variants[0].steps[0].params
    return asyncio.run(attack.run("Explain how to do the forbidden thing.", full, ctx))


def escalation_target(at_turn: int = 3, refuse: tuple[str, ...] = ()) -> Any:
    """Complies once the conversation has ``at_turn`` user turns; refuses prompts tagged in ``refuse``."""

    def target(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
        text = messages[-1]["content"]
        if text.split(":")[0] in refuse:
            return REFUSAL
        users = sum(1 for m in messages if m["role"] == "user")
        return "COMPLIED: canned." if users >= at_turn else GENERIC

    return target


def tags(convo: tuple[Any, ...]) -> list[str]:
    return [m.content.split(":")[0] for m in convo if m.role == "user"]


def test_crescendo_escalates_until_the_target_complies() -> None:
    ctx = FakeContext(target=escalation_target(3), attacker=ad.scripted, judge=marker_judge())
    result = run(ctx, max_turns=5)
    assert result.success is True
    assert tags(result.messages) == ["attempt-1", "attempt-2", "attempt-3"]
    assert [m.role for m in result.messages] == ["user", "assistant", "user", "assistant", "user"]
    assert result.messages[1].content == GENERIC
    assert ctx.trace.stop == "success" and ctx.trace.turns == 3 and ctx.trace.best_score == 1.0
    assert ctx.trace.queries == {"attacker": 3, "target": 3, "judge": 3}
    # each target call carries the conversation so far
    assert [len(c) for c in ctx.sent["target"]] == [1, 3, 5]


def test_the_attacker_sees_the_transcript_and_the_turn() -> None:
    ctx = FakeContext(target=escalation_target(3), attacker=ad.scripted, judge=marker_judge())
    run(ctx, max_turns=4)
    third = ctx.sent["attacker"][2]
    assert len(third) == 2 and "Crescendo" in third[0].content and "at most 4 turns" in third[0].content
    assert "ROUND: 3 of 4" in third[-1].content
    assert third[-1].content.count("TARGET: " + GENERIC) == 2 and "YOU ASKED: attempt-2:" in third[-1].content


def test_a_refusal_is_taken_back_and_asked_again() -> None:
    ctx = FakeContext(target=escalation_target(3, refuse=("attempt-2",)), attacker=ad.scripted, judge=marker_judge())
    result = run(ctx, max_turns=5, max_backtracks=3)
    assert result.success is True
    assert tags(result.messages) == ["attempt-1", "attempt-2.2", "attempt-3"]
    # the refused question was sent once, and never again as part of the conversation
    assert [tags(c) for c in ctx.sent["target"]] == [
        ["attempt-1"],
        ["attempt-1", "attempt-2"],
        ["attempt-1", "attempt-2.2"],
        ["attempt-1", "attempt-2.2", "attempt-3"],
    ]
    retry = ctx.sent["attacker"][2][-1].content
    assert "refused and has been taken back (backtrack 1 of 3)" in retry and "VARIANT: 2 of 4" in retry
    assert "YOU ASKED: attempt-2:" not in retry
    assert ctx.trace.queries["target"] == 4 and ctx.trace.turns == 3


def test_blocked_and_empty_replies_count_as_refusals() -> None:
    def target(messages: list[dict[str, Any]], params: dict[str, Any]) -> Any:
        text = messages[-1]["content"]
        if text.startswith("attempt-1:"):
            return {"text": None, "blocked": True}
        if text.startswith("attempt-2:"):
            return ""
        return GENERIC

    ctx = FakeContext(target=target, attacker=ad.scripted, judge=marker_judge())
    result = run(ctx, max_turns=2, max_backtracks=5)
    assert tags(result.messages) == ["attempt-1.2", "attempt-2.2"]


def test_when_backtracks_run_out_the_refused_exchange_stays() -> None:
    target = escalation_target(9, refuse=("attempt-2", "attempt-2.2", "attempt-2.3"))
    ctx = FakeContext(target=target, attacker=ad.scripted, judge=marker_judge())
    result = run(ctx, max_turns=3, max_backtracks=2)
    # two backtracks used at turn 2; the third refusal is kept and the escalation goes on
    assert tags(result.messages) == ["attempt-1", "attempt-2.3", "attempt-3"]
    assert ctx.trace.stop == "exhausted"
    assert [tags(c)[-1] for c in ctx.sent["target"]] == ["attempt-1", "attempt-2", "attempt-2.2", "attempt-2.3", "attempt-3"]
    assert REFUSAL in [m.content for m in result.messages]


def test_no_backtracks_keeps_refusals() -> None:
    ctx = FakeContext(target=escalation_target(9, refuse=("attempt-1",)), attacker=ad.scripted, judge=marker_judge())
    result = run(ctx, max_turns=2, max_backtracks=0)
    assert tags(result.messages) == ["attempt-1", "attempt-2"]
    assert result.messages[1].content == REFUSAL


@pytest.mark.parametrize("max_turns", [1, 2, 4, 7])
def test_crescendo_never_exceeds_max_turns(max_turns: int) -> None:
    ctx = FakeContext(target=escalation_target(99), attacker=ad.scripted, judge=marker_judge())
    result = run(ctx, max_turns=max_turns, max_queries=100)
    assert ctx.trace.stop == "exhausted" and result.success is False
    assert max(len(tags(c)) for c in ctx.sent["target"]) == max_turns
    assert ctx.trace.turns == max_turns and ctx.trace.queries["target"] == max_turns


@pytest.mark.parametrize(("max_queries", "max_backtracks"), [(1, 5), (2, 5), (4, 1), (4, 10), (7, 3)])
def test_crescendo_never_exceeds_max_queries(max_queries: int, max_backtracks: int) -> None:
    """A target refusing everything: backtracks and kept refusals both spend queries."""
    ctx = FakeContext(target=lambda m, p: REFUSAL, attacker=ad.scripted, judge=marker_judge())
    max_turns = 3
    run(ctx, max_turns=max_turns, max_backtracks=max_backtracks, max_queries=max_queries)
    possible = max_turns + max_backtracks
    assert ctx.trace.queries["target"] == min(max_queries, possible)
    assert ctx.trace.stop == ("budget" if max_queries < possible else "exhausted")
    assert ctx.trace.queries["attacker"] == ctx.trace.queries["target"]


def test_the_items_system_prompt_stays_under_the_escalation() -> None:
    item = make_item(system="You are a museum guide.")
    ctx = FakeContext(target=escalation_target(2), attacker=ad.scripted, judge=marker_judge(), item=item)
    result = run(ctx)
    assert all(c[0].content == "You are a museum guide." for c in ctx.sent["target"])
    assert [m.role for m in result.messages] == ["system", "user", "assistant", "user"]
    assert ctx.trace.turns == 2


def test_all_refused_with_the_budget_spent_returns_the_last_reply() -> None:
    ctx = FakeContext(target=lambda m, p: REFUSAL, attacker=ad.scripted, judge=marker_judge())
    result = run(ctx, max_turns=3, max_backtracks=5, max_queries=2)
    assert result.completion.text == REFUSAL and result.success is False
    assert tags(result.messages) == ["attempt-1.2"]


def test_garbage_attacker_fails_the_unit() -> None:
    ctx = FakeContext(target=escalation_target(), attacker=ad.refusing, judge=marker_judge())
    with pytest.raises(AttackFailed, match="after 3 tries: refused"):
        run(ctx)
    assert "target" not in ctx.trace.queries


def test_target_errors_propagate() -> None:
    def flaky(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
        if len(messages) > 1:
            raise TargetError(ErrorKind.connection, "reset")
        return GENERIC

    ctx = FakeContext(target=flaky, attacker=ad.scripted, judge=marker_judge())
    with pytest.raises(TargetError) as info:
        run(ctx)
    assert info.value.kind == ErrorKind.connection
    assert ctx.trace.queries["target"] == 1


def test_crescendo_parameters_are_validated() -> None:
    assert get_attack("crescendo").needs == frozenset({"attacker", "judge"})
    for spec in ("crescendo:max_turns=0", "crescendo:max_backtracks=-1", "crescendo:max_queries=0", "crescendo:turns=3"):
        with pytest.raises(InputError):
            plan_attacks([spec])
