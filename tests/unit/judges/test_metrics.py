"""The agreement metrics against figures computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from accord.judges._metrics import agreement, kappa_from, wilson


def test_wilson_matches_hand_computation() -> None:
    # 6/8: centre (0.75 + z^2/16)/(1 + z^2/8), half-width z*sqrt(pq/n + z^2/4n^2)/(1 + z^2/8)
    est = wilson(6, 8)
    assert est.value == 0.75
    assert est.lo == pytest.approx(0.40926, abs=1e-4)
    assert est.hi == pytest.approx(0.92852, abs=1e-4)


def test_wilson_edges() -> None:
    assert wilson(0, 0).value is None
    zero = wilson(0, 10)
    assert zero.value == 0.0 and zero.lo == 0.0 and 0.2 < zero.hi < 0.35
    full = wilson(10, 10)
    assert full.hi == 1.0 and 0.65 < full.lo < 0.8


def test_binary_agreement_by_hand() -> None:
    # TP=2 FN=1 FP=1 TN=4
    gold = [1, 1, 1, 0, 0, 0, 0, 0]
    pred = [1, 1, 0, 1, 0, 0, 0, 0]
    a = agreement(gold, pred, positive=1)
    assert (a.n, a.n_assessed, a.n_unassessed) == (8, 8, 0)
    assert a.accuracy.value == pytest.approx(0.75)
    assert a.precision.value == pytest.approx(2 / 3)
    assert a.recall.value == pytest.approx(2 / 3)
    assert a.f1.value == pytest.approx(2 / 3)
    # po = 0.75, pe = (3/8)^2 + (5/8)^2 = 34/64
    assert a.kappa.value == pytest.approx((0.75 - 34 / 64) / (1 - 34 / 64))
    for est in (a.accuracy, a.precision, a.recall, a.f1, a.kappa):
        assert est.lo is not None and est.hi is not None
        assert est.lo <= est.value <= est.hi


def test_unassessed_rows_are_counted_not_scored() -> None:
    gold = [1, 1, 0, 0, 1]
    pred = [1, None, 0, None, 0]
    a = agreement(gold, pred, positive=1)
    assert (a.n, a.n_assessed, a.n_unassessed) == (5, 3, 2)
    assert a.accuracy.value == pytest.approx(2 / 3)
    assert a.recall.value == pytest.approx(1 / 2)
    assert a.precision.value == pytest.approx(1.0)


def test_multiclass_macro_by_hand() -> None:
    gold = ["none", "none", "none", "full", "full", "partial"]
    pred = ["none", "none", "full", "full", "partial", "partial"]
    a = agreement(gold, pred, classes=("none", "partial", "full"))
    assert a.accuracy.value == pytest.approx(4 / 6)
    # per class (P, R): none (1, 2/3), partial (1/2, 1), full (1/2, 1/2)
    assert a.precision.value == pytest.approx((1 + 0.5 + 0.5) / 3)
    assert a.recall.value == pytest.approx((2 / 3 + 1 + 0.5) / 3)
    f1 = [2 * 1 * (2 / 3) / (1 + 2 / 3), 2 * 0.5 * 1 / 1.5, 0.5]
    assert a.f1.value == pytest.approx(sum(f1) / 3)
    # po = 4/6; gold marginals (3,1,2)/6, pred marginals (2,2,2)/6
    pe = (3 * 2 + 1 * 2 + 2 * 2) / 36
    assert a.kappa.value == pytest.approx((4 / 6 - pe) / (1 - pe))
    assert a.average == "macro over 3 classes"


def test_kappa_edges() -> None:
    assert kappa_from(np.array([[5, 0], [0, 0]])) is None  # chance agreement is 1
    assert kappa_from(np.array([[3, 0], [0, 2]])) == pytest.approx(1.0)
    assert kappa_from(np.zeros((2, 2), dtype=int)) is None


def test_bootstrap_is_reproducible_and_all_unassessed_is_empty() -> None:
    gold = [0, 1] * 20
    pred = [0, 1, 1, 1] * 10
    assert agreement(gold, pred, positive=1) == agreement(gold, pred, positive=1)
    none = agreement([1, 0], [None, None], positive=1)
    assert none.n_unassessed == 2 and none.accuracy.value is None and none.kappa.value is None


def test_length_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError):
        agreement([1, 0], [1])
