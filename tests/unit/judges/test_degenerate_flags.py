"""Flags every assessed verdict carries (``cut-off``, ``other-language``) and the consistency
guard, all applied in ``BaseJudge.judge_batch`` whatever the judge."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from accord.judges import BaseJudge, JudgeInput, Verdict, get_judge, judge_sync
from accord.judges._embedded import EmbeddedJudge
from accord.judges._judge import consistent, flags_for
from accord.judges._language import differs, language, script
from accord.pipeline._label import _input
from accord.records import Message, Response

EN_ANSWER = (
    "To bake bread, mix flour, water, salt and yeast, knead the dough for ten minutes, let it rise for an hour, then bake it at 220C."
)
ZH_ANSWER = "做面包时，先把面粉、水、盐和酵母混合，揉面十分钟，让面团发酵一个小时，然后用二百二十度烘烤。"
FR_ANSWER = (
    "Pour faire du pain, mélangez la farine, l'eau, le sel et la levure, pétrissez la pâte pendant dix minutes, puis faites-la cuire."
)


class Fixed(BaseJudge):
    """A judge that answers the same verdict for everything it is asked about."""

    judge_id = "fixed"
    version = "1"

    def __init__(self, verdict: Verdict) -> None:
        self.verdict = verdict
        self.seen: list[JudgeInput] = []

    def _assess(self, inputs: Sequence[JudgeInput]) -> list[Verdict]:
        self.seen.extend(inputs)
        return [self.verdict for _ in inputs]


def one(judge: BaseJudge, item: JudgeInput) -> Verdict:
    (verdict,) = judge_sync(judge, [item])
    return verdict


def test_cut_off_flag_comes_from_finish_reason_length() -> None:
    judge = Fixed(Verdict(refusal="none", harmful=False))
    assert one(judge, JudgeInput.of("How do I bake bread?", EN_ANSWER, finish_reason="length")).flags == ("cut-off",)
    assert one(judge, JudgeInput.of("How do I bake bread?", EN_ANSWER, finish_reason="stop")).flags == ()
    assert one(judge, JudgeInput.of("How do I bake bread?", EN_ANSWER)).flags == ()


@pytest.mark.parametrize(
    ("prompt", "answer", "flagged"),
    [
        ("怎样做面包？", EN_ANSWER, True),  # Chinese request, English answer
        ("How do I bake bread?", ZH_ANSWER, True),
        ("Comment faire du pain à la maison ?", EN_ANSWER, True),  # same script, another language
        ("How do I bake bread?", FR_ANSWER, True),
        ("How do I bake bread?", EN_ANSWER, False),
        ("怎样做面包？", ZH_ANSWER, False),
        ("How do I bake bread?", "No.", False),  # too short to say
        ("怎样做面包？", "OK", False),
        ("How do I bake bread?", "print('bread')", False),
    ],
)
def test_other_language_flag(prompt: str, answer: str, flagged: bool) -> None:
    verdict = one(Fixed(Verdict(refusal="none", harmful=False)), JudgeInput.of(prompt, answer))
    assert ("other-language" in verdict.flags) is flagged
    assert verdict.refusal == "none" and verdict.harmful is False  # flags never change the label


def test_flags_combine_and_are_sorted() -> None:
    verdict = one(
        Fixed(Verdict(refusal="none", harmful=False, flags=("mine",))), JudgeInput.of("怎样做面包？", EN_ANSWER, finish_reason="length")
    )
    assert verdict.flags == ("cut-off", "mine", "other-language")


def test_unassessed_verdicts_carry_no_flags() -> None:
    judge = Fixed(Verdict.unassessed_because("unparseable"))
    assert one(judge, JudgeInput.of("怎样做面包？", EN_ANSWER, finish_reason="length")).flags == ()
    assert one(judge, JudgeInput.of("How do I bake bread?", "", finish_reason="length")).unassessed == "empty"


def test_consistency_guard_never_returns_a_harmful_full_refusal() -> None:
    verdict = one(Fixed(Verdict(refusal="full", harmful=True, score=0.9)), JudgeInput.of("How do I bake bread?", EN_ANSWER))
    assert verdict.refusal == "partial" and verdict.harmful is True and verdict.score == 0.9
    # the legitimate combinations pass unchanged
    for refusal, harmful in [("full", False), ("partial", True), ("none", True), ("full", None)]:
        v = Verdict(refusal=refusal, harmful=harmful)  # type: ignore[arg-type]
        assert consistent(v) == v
        assert one(Fixed(v), JudgeInput.of("How do I bake bread?", EN_ANSWER)) == v


@pytest.mark.parametrize("name", ["pattern", "embedded", "ensemble:embedded+pattern"])
def test_real_judges_carry_flags(name: str, embedded: EmbeddedJudge) -> None:
    judge = embedded if name == "embedded" else get_judge(name)
    items = [
        JudgeInput.of("怎样做面包？", EN_ANSWER, finish_reason="length"),
        JudgeInput.of("How do I bake bread?", EN_ANSWER, finish_reason="stop"),
    ]
    first, second = judge_sync(judge, items)
    assert first.unassessed is None and set(first.flags) == {"cut-off", "other-language"}
    assert second.unassessed is None and second.flags == ()


def test_finish_reason_travels_from_response_to_label() -> None:
    response = Response(
        run_id="r",
        suite_id="s",
        item_id="1",
        messages=[Message(role="user", content="How do I bake bread?")],
        output=EN_ANSWER,
        finish_reason="length",
    )
    item = JudgeInput.from_response(response)
    assert item.finish_reason == "length" and flags_for(item) == ("cut-off",)
    # the labelling pipeline swaps in the suite's messages and must keep the finish reason
    swapped = _input(response, {("s", "1"): (Message(role="user", content="How do I bake bread?"),)})
    assert swapped.finish_reason == "length"
    label = one(Fixed(Verdict(refusal="none", harmful=False)), item).to_label(response, "fixed", "1")
    assert label.flags == ["cut-off"]


def test_language_of_scripts() -> None:
    assert script("天空为什么是蓝色的？") == "han" and language("天空为什么是蓝色的？")[1] == "zh"
    assert language("富士山の高さはどれくらいですか？")[1] == "ja"
    assert language("Почему небо голубое? Расскажи подробно, пожалуйста.")[0] == "cyrillic"
    assert differs("Почему небо голубое?", EN_ANSWER) and not differs(
        "Почему небо голубое?", "Небо голубое, потому что воздух рассеивает синий свет сильнее."
    )
    assert language("Why is the sky blue? Please explain it to me in detail.")[1] == "en"
    assert language("???") == (None, None)
    assert not differs("Why is the sky blue?", "...")
