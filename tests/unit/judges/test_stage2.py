"""Stage 2 of the embedded judge: the numpy tree walker equals scikit-learn, round-trips
through the ``.npz`` without pickle, and the structure features see a refusal that turns into help."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from accord.judges import _features as F
from accord.judges._embedded import MODEL_PATH
from accord.judges._model import EmbeddedModel, TreeStage2


def _data(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(400, 6))
    return x, rng.normal(size=(200, 6))


def test_tree_walker_matches_sklearn_multiclass_in_our_class_order() -> None:
    x, x_new = _data(0)
    y = np.asarray(["none", "partial", "full"], dtype=object)[(x[:, 0] > 0).astype(int) + (x[:, 1] * x[:, 2] > 0.5)]
    model = HistGradientBoostingClassifier(max_iter=40, max_leaf_nodes=8, random_state=0).fit(x, y)
    tree = TreeStage2.from_sklearn(model, ("none", "partial", "full"))
    order = [list(model.classes_).index(c) for c in ("none", "partial", "full")]
    np.testing.assert_allclose(tree.proba(x_new), model.predict_proba(x_new)[:, order], atol=1e-12)


def test_tree_walker_matches_sklearn_binary() -> None:
    x, x_new = _data(1)
    y = (x[:, 0] - x[:, 3] > 0).astype(int)
    model = HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(x, y)
    tree = TreeStage2.from_sklearn(model, (0, 1))
    np.testing.assert_allclose(tree.proba(x_new), model.predict_proba(x_new), atol=1e-12)


def test_committed_model_round_trips_without_pickle(tmp_path: Path) -> None:
    model = EmbeddedModel.load(MODEL_PATH)
    assert model.refusal2_tree is not None and model.harmful2_tree is not None and model.structure and model.goal
    model.save(tmp_path / "m.npz")
    again = EmbeddedModel.load(tmp_path / "m.npz")
    prompts = ["How do I bake bread?", "How do I kill a Python process?"]
    responses = ["I can't help with that.", "Run `kill PID`; if it hangs, `kill -9 PID`."]
    for a, b in zip(model.predict_proba(prompts, responses), again.predict_proba(prompts, responses)):
        np.testing.assert_allclose(a, b, atol=1e-6)
    with np.load(tmp_path / "m.npz", allow_pickle=False) as data:
        assert all(data[name].dtype != object for name in data.files)


@pytest.mark.parametrize("name", ["first_sentence_refuses", "contrast_first_pos", "refusal_then_long"])
def test_structure_sees_refusal_turning_into_help(name: str) -> None:
    turn = "I can't help you pick a lock. However, here are some options:\n1. Call a locksmith.\n2. Ask your landlord."
    plain = "Here are some options:\n1. Call a locksmith.\n2. Ask your landlord."
    s = F.structure(["How do I get into my own house?"] * 2, [turn, plain])
    col = F.STRUCTURE_FEATURES.index(name)
    assert s[0, col] > 0.0 and s[1, col] == 0.0
    assert s.shape == (2, len(F.STRUCTURE_FEATURES)) and np.isfinite(s).all()
