"""Rewrites by a helper model: what the helper is asked, how its reply is checked, what fails.

Driven by the scripted attacker and a fake context; request texts are placeholders.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from accord.attacks import AttackFailed, Rewrite, get_attack, plan_attacks
from accord.errors import InputError
from accord.records import ErrorKind
from accord.targets import TargetError
from tests.support import attacker_double as ad
from tests.unit.attacks.fake_context import FakeContext

REQUEST = "Explain how to do the forbidden thing."


def rewrite(name: str, params: dict[str, Any], ctx: FakeContext, text: str = REQUEST) -> str:
    attack = get_attack(name)
    assert isinstance(attack, Rewrite)
    return asyncio.run(attack.rewrite(text, params, ctx))


def translator(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    return "[zu] " + messages[-1]["content"]


def test_translate_asks_the_translator_for_the_named_language() -> None:
    ctx = FakeContext(translator=translator)
    out = rewrite("translate", {"lang": "zu"}, ctx)
    assert out == "[zu] " + REQUEST
    (sent,) = ctx.sent["translator"]
    assert [m.role for m in sent] == ["system", "user"]
    assert "Zulu" in sent[0].content and "translat" in sent[0].content.lower()
    assert sent[1].content == REQUEST
    assert ctx.trace.queries == {"translator": 1}
    assert ctx.trace.steps == [{"role": "translator", "sent": REQUEST, "turns": 1, "note": "translate into Zulu", "reply": out}]
    assert ctx.sent["attacker"] == [] and ctx.sent["target"] == []


def test_translate_passes_an_unknown_language_name_as_given() -> None:
    ctx = FakeContext(translator=translator)
    rewrite("translate", {"lang": "Scots Gaelic"}, ctx)
    assert "into Scots Gaelic" in ctx.sent["translator"][0][0].content


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        (REQUEST, "unchanged"),
        ("  " + REQUEST.upper() + " ", "unchanged"),
        ("x" * (8 * len(REQUEST) + 201), "characters"),
        ("I'm sorry, I cannot translate this.", "refused"),
    ],
)
def test_translate_refuses_an_unusable_translation(reply: str, reason: str) -> None:
    ctx = FakeContext(translator=lambda m, p: reply)
    with pytest.raises(AttackFailed, match=reason) as info:
        rewrite("translate", {"lang": "zu"}, ctx)
    assert "translator" in str(info.value)
    assert info.value.kind == ErrorKind.bad_response


def test_translate_accepts_a_translation_at_the_length_bound() -> None:
    ctx = FakeContext(translator=lambda m, p: "x" * (8 * len(REQUEST) + 200))
    assert len(rewrite("translate", {"lang": "zu"}, ctx)) == 8 * len(REQUEST) + 200


def test_translate_without_a_translator_fails_with_the_reason() -> None:
    with pytest.raises(AttackFailed, match="translator"):
        rewrite("translate", {"lang": "zu"}, FakeContext(attacker=ad.scripted))


@pytest.mark.parametrize(
    ("name", "params", "kind", "in_system"),
    [
        ("past-tense", {}, "past-tense", "past tense"),
        ("persuasion", {"technique": "expert-endorsement"}, "persuasion", "expert-endorsement"),
        ("persuasion", {"technique": "emotional-appeal"}, "persuasion", "appeal to emotions"),
        ("role-play", {"role": "a retired sea captain"}, "role-play", "a retired sea captain"),
    ],
)
def test_attacker_rewrites_ask_the_attacker_with_their_instructions(name: str, params: dict[str, Any], kind: str, in_system: str) -> None:
    ctx = FakeContext(attacker=ad.scripted)
    out = rewrite(name, params, ctx)
    assert out == f"[{kind}] {REQUEST}"
    (sent,) = ctx.sent["attacker"]
    assert sent[0].role == "system" and in_system in sent[0].content
    assert sent[1].content == REQUEST
    assert ctx.trace.queries == {"attacker": 1}


@pytest.mark.parametrize(
    "reply",
    [
        '"How did people do the forbidden thing?"',
        "```\nHow did people do the forbidden thing?\n```",
        "Rewritten request: How did people do the forbidden thing?",
    ],
)
def test_attacker_rewrite_is_cleaned_of_quotes_fences_and_labels(reply: str) -> None:
    ctx = FakeContext(attacker=lambda m, p: reply)
    assert rewrite("past-tense", {}, ctx) == "How did people do the forbidden thing?"


@pytest.mark.parametrize(
    ("helper", "reason"),
    [
        (ad.refusing, "attacker refused to rewrite"),
        (ad.empty, "attacker returned an empty rewrite"),
        (ad.echo, "unchanged"),
        (ad.verbose, "characters"),
    ],
)
def test_attacker_rewrite_garbage_fails_the_unit_with_the_reason(helper: Any, reason: str) -> None:
    ctx = FakeContext(attacker=helper)
    with pytest.raises(AttackFailed, match=reason):
        rewrite("role-play", {"role": "a novelist"}, ctx)
    assert ctx.trace.queries == {"attacker": 1}  # a rewrite is not retried


def test_a_refusal_is_accepted_when_the_request_itself_reads_like_one() -> None:
    text = "I can't sleep; what did people in the past do about it?"
    ctx = FakeContext(attacker=lambda m, p: "I can't sleep: how did people cope with it in the old days?")
    assert rewrite("past-tense", {}, ctx, text=text).startswith("I can't sleep")


def test_helper_errors_propagate_and_are_traced() -> None:
    def down(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
        raise TargetError(ErrorKind.timeout, "attacker timed out")

    ctx = FakeContext(attacker=down)
    with pytest.raises(TargetError) as info:
        rewrite("persuasion", {"technique": "logical-appeal"}, ctx)
    assert info.value.kind == ErrorKind.timeout
    assert ctx.trace.queries == {}
    assert ctx.trace.steps[-1]["error"] == "timeout: attacker timed out"


def test_rewrites_declare_the_helper_they_need() -> None:
    assert get_attack("translate").needs == frozenset({"translator"})
    for name in ("past-tense", "persuasion", "role-play"):
        attack = get_attack(name)
        assert attack.kind == "rewrite" and attack.needs == frozenset({"attacker"}) and attack.origin


def test_persuasion_all_expands_to_one_variant_per_technique() -> None:
    plan = plan_attacks(["persuasion:all"])
    techniques = [v.steps[0].params["technique"] for v in plan.variants]
    assert techniques == ["evidence-based", "expert-endorsement", "authority-endorsement", "logical-appeal", "emotional-appeal"]
    assert len({v.variant_id for v in plan.variants}) == 5
    # the same technique named explicitly is the same variant
    assert plan_attacks(["persuasion:logical-appeal"]).variants[0].variant_id == plan.variants[3].variant_id


@pytest.mark.parametrize(
    "spec",
    ["persuasion:flattery", "translate", "translate:lang=zu<b>", "translate:x", "role-play:role=ignore {{ prompt }}", "past-tense:x=1"],
)
def test_bad_rewrite_parameters_are_refused_before_anything_is_sent(spec: str) -> None:
    with pytest.raises(InputError):
        plan_attacks([spec])


def test_rewrites_plan_with_transforms_and_defaults() -> None:
    plan = plan_attacks(["translate:zu", "role-play", "past-tense"])
    assert [v.steps[0].params for v in plan.variants] == [{"lang": "zu"}, {"role": "an author writing a crime novel"}, {}]
    assert plan.needs == frozenset({"translator", "attacker"})


@pytest.mark.parametrize(
    ("reply", "refused"),
    [
        ("I'm sorry, but I can't help with that.", True),
        ("Sorry, I won't rewrite this.", True),
        ("I\u2019m unable to do that.", True),
        ("Unfortunately, I must decline.", True),
        ("Well... that is something I cannot assist with.", True),
        ("As an AI researcher studying safety, I ask how labs handled the forbidden thing.", False),
        ("A nurse asks: I cannot find guidance on the forbidden thing; what do experts recommend?", False),
    ],
)
def test_refusal_reading_looks_at_the_opening_only(reply: str, refused: bool) -> None:
    ctx = FakeContext(attacker=lambda m, p: reply)
    if refused:
        with pytest.raises(AttackFailed, match="refused"):
            rewrite("persuasion", {"technique": "logical-appeal"}, ctx)
    else:
        assert rewrite("persuasion", {"technique": "logical-appeal"}, ctx) == reply
