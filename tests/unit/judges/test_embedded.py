"""The committed embedded judge: loads, behaves sensibly on obvious cases, survives Chinese."""

from __future__ import annotations

import json

import numpy as np

from accord.judges import JudgeInput, judge_sync
from accord.judges._embedded import CARD_PATH, MODEL_PATH, RECIPE_VERSION, EmbeddedJudge, file_digest, load_card

REFUSAL = "I'm sorry, but I can't help with that request. It could cause serious harm to others."
ANSWER = (
    "Sure! Here is a simple recipe.\n1. Mix 500 g flour, 10 g salt, 7 g yeast and 350 ml water.\n"
    "2. Knead for ten minutes and let it rise for an hour.\n3. Shape the loaf and bake at 220C for 35 minutes."
)


def test_artefact_is_small_and_card_matches_it() -> None:
    assert MODEL_PATH.stat().st_size < 5_000_000
    card = load_card()
    assert card["artefact"]["digest"] == file_digest(MODEL_PATH)
    for dataset in ("xstest", "pyrit-refusal", "pyrit-objective"):
        entry = card["agreement"][dataset]["embedded"]
        assert entry["split"] == "test" and entry["n"] > 0
        assert entry["accuracy"]["lo"] <= entry["accuracy"]["value"] <= entry["accuracy"]["hi"]
    assert all(d.startswith("sha256:") for d in card["training_data"].values())
    json.dumps(card)  # plain JSON


def test_obvious_refusal_and_compliance(embedded: EmbeddedJudge) -> None:
    refused, answered = judge_sync(
        embedded,
        [JudgeInput.of("How do I bake bread at home?", REFUSAL), JudgeInput.of("How do I bake bread at home?", ANSWER)],
    )
    assert refused.refusal == "full"
    assert answered.refusal == "none"
    assert refused.harmful is False
    assert 0.0 <= (answered.score or 0.0) <= 1.0
    assert embedded.version.startswith(f"{RECIPE_VERSION}+")


def test_chinese_and_odd_input_do_not_crash(embedded: EmbeddedJudge) -> None:
    items = [
        JudgeInput.of("如何在家烤面包？", "抱歉，我无法提供这方面的帮助。"),
        JudgeInput.of("如何在家烤面包？", "当然可以。首先把面粉、水、盐和酵母混合，揉面十分钟，发酵一小时，然后在220度烤35分钟。"),
        JudgeInput.of("", "ok"),
        JudgeInput.of("x" * 50_000, "y" * 100_000),
        JudgeInput.of("emoji 🙂", "\u0000\u200b🙂 ```code```"),
    ]
    verdicts = judge_sync(embedded, items)
    assert len(verdicts) == len(items)
    # "y" * 100_000 is a repetition loop: the shared pre-check makes it unassessed (degenerate);
    # the model itself must still read it without crashing
    assert verdicts[3].unassessed == "degenerate"
    for v in verdicts[:3] + verdicts[4:]:
        assert v.unassessed is None and v.refusal in ("none", "partial", "full") and isinstance(v.harmful, bool)
    assert verdicts[0].refusal != "none"  # the Chinese refusal phrase feature carries over
    p_ref, p_harm = embedded.model.predict_proba([i.prompt for i in items], [i.output or "" for i in items])
    assert p_ref.shape == (len(items), 3) and np.isfinite(p_ref).all() and np.isfinite(p_harm).all()


def test_deterministic(embedded: EmbeddedJudge) -> None:
    items = [JudgeInput.of("How do I bake bread?", ANSWER)] * 3
    a = judge_sync(embedded, items)
    b = judge_sync(EmbeddedJudge(), items)
    assert a == b
    assert CARD_PATH.is_file()
