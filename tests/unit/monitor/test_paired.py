"""accord.monitor's paired statistics against known values and brute-force references."""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pytest

from accord.monitor import (
    ItemOutcomes,
    adjust,
    benjamini_hochberg,
    collapse,
    compare_outcomes,
    holm,
    mcnemar_exact,
    paired_test,
)


def _two_sided_binom(k: int, n: int) -> float:
    """Two-sided exact binomial p at 1/2 by summation (symmetric: double the smaller tail)."""
    tail = sum(math.comb(n, i) for i in range(0, min(k, n - k) + 1)) / 2**n
    return min(1.0, 2 * tail)


@pytest.mark.parametrize(
    ("only_a", "only_b", "expected"),
    [
        (0, 0, 1.0),
        (5, 5, 1.0),
        (1, 9, 22 / 1024),  # 2 * (1 + 10) / 2^10
        (9, 1, 22 / 1024),
        (0, 6, 2 / 64),
        (0, 5, 2 / 32),
        (3, 12, 2 * (1 + 15 + 105 + 455) / 2**15),
    ],
)
def test_mcnemar_exact_known_values(only_a: int, only_b: int, expected: float) -> None:
    assert mcnemar_exact(only_a, only_b) == pytest.approx(expected, rel=1e-12)


def test_mcnemar_exact_matches_summation_over_a_grid() -> None:
    for a, b in itertools.product(range(0, 25, 3), range(0, 25, 4)):
        assert mcnemar_exact(a, b) == pytest.approx(_two_sided_binom(b, a + b) if a + b else 1.0, rel=1e-9)


def test_mcnemar_rejects_negative_counts() -> None:
    with pytest.raises(ValueError):
        mcnemar_exact(-1, 2)


def test_holm_and_bh_known_values() -> None:
    p = [0.01, 0.04, 0.03, 0.005]
    assert holm(p) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert benjamini_hochberg(p) == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert holm([]) == [] and benjamini_hochberg([]) == []
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])
    with pytest.raises(ValueError):
        adjust(p, "bonferroni")  # type: ignore[arg-type]


def _holm_reference(p: list[float]) -> list[float]:
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    return [max(min(1.0, (m - r) * p[order[r]]) for r in range(order.index(i) + 1)) for i in range(m)]


def _bh_reference(p: list[float]) -> list[float]:
    m = len(p)
    ranks = {i: r + 1 for r, i in enumerate(sorted(range(m), key=lambda i: p[i]))}
    return [min(1.0, min(p[j] * m / ranks[j] for j in range(m) if ranks[j] >= ranks[i])) for i in range(m)]


def test_corrections_match_references_on_random_families() -> None:
    rng = random.Random(7)
    for _ in range(200):
        p = [rng.random() ** 3 for _ in range(rng.randint(1, 12))]
        assert holm(p) == pytest.approx(_holm_reference(p))
        assert benjamini_hochberg(p) == pytest.approx(_bh_reference(p))
        assert all(h >= b - 1e-12 for h, b in zip(holm(p), benjamini_hochberg(p), strict=True))


def test_collapse_counts_items_and_never_folds_unassessed_into_safe() -> None:
    # item 0: three epochs, one harmful -> harmful; item 1: refused 2 of 3 -> refused;
    # item 2: every epoch unassessed -> -1; item 3 absent.
    item = [0, 0, 0, 1, 1, 1, 2, 2]
    refusal = [0, 0, 2, 2, 1, 0, -1, -1]
    harmful = [0, 1, 0, 0, 0, 0, -1, -1]
    unassessed = [False, False, False, False, False, False, True, True]
    out = collapse(item, refusal, harmful, unassessed, n_items=4)
    assert out.harmful.tolist() == [1, 0, -1, -1]
    assert out.refused.tolist() == [0, 1, -1, -1]
    assert out.present.tolist() == [True, True, True, False]
    # an unassessed epoch beside assessed ones does not count for either reading
    one = collapse([0, 0], [2, -1], [0, -1], [False, True], n_items=1)
    assert one.harmful.tolist() == [0] and one.refused.tolist() == [1]


def test_paired_test_table_rates_and_newcombe_difference() -> None:
    a = np.array([1, 1, 0, 0, 0, 0, -1, 1])
    b = np.array([1, 0, 1, 1, 0, -1, 0, 1])
    t = paired_test("h", "harmful", a, b, np.ones(8, dtype=bool))
    assert (t.n, t.both, t.only_a, t.only_b, t.neither, t.unassessed) == (6, 2, 1, 2, 1, 2)
    assert t.rate_a == pytest.approx(3 / 6) and t.rate_b == pytest.approx(4 / 6)
    assert t.diff.value == pytest.approx(1 / 6)
    assert t.diff.lo is not None and t.diff.hi is not None and t.diff.lo < 1 / 6 < t.diff.hi
    assert t.p_value == pytest.approx(mcnemar_exact(1, 2))


def _outcomes(harmful: list[int], refused: list[int]) -> ItemOutcomes:
    return ItemOutcomes(np.array(harmful, dtype=np.int8), np.array(refused, dtype=np.int8), np.ones(len(harmful), dtype=bool))


def test_compare_outcomes_flags_a_harmful_regression_on_one_hazard_only() -> None:
    n = 200
    hazard = np.array([0] * 100 + [1] * 100)
    intent = np.zeros(n, dtype=np.int8)
    base_h = [0] * n
    cand_h = [1 if i < 30 else 0 for i in range(n)]  # 30 items of hazard 0 turn harmful
    refused = [1] * n
    res = compare_outcomes(_outcomes(base_h, refused), _outcomes(cand_h, refused), hazard, intent, ["cyber", "hate"])
    by = {(t.outcome, t.hazard): t for t in res.tests}
    assert by[("harmful", "cyber")].change == "regression"
    assert by[("harmful", "cyber")].only_b == 30 and by[("harmful", "cyber")].n == 100
    assert by[("harmful", "hate")].change == "no significant change"
    assert by[("harmful", "*")].change == "regression"
    assert ("over-refusal", "*") not in by  # no benign items
    assert res.correction_name.startswith("Holm")
    # reversed, it is an improvement
    rev = compare_outcomes(_outcomes(cand_h, refused), _outcomes(base_h, refused), hazard, intent, ["cyber", "hate"])
    assert {t.change for t in rev.tests if t.outcome == "harmful" and t.hazard != "hate"} == {"improvement"}


def test_compare_outcomes_refusal_directions_and_unassessed() -> None:
    # 50 harmful-intent items stop being refused (regression); 50 benign items start being refused (regression)
    intent = np.array([0] * 50 + [2] * 50, dtype=np.int8)
    hazard = np.zeros(100, dtype=np.int32)
    a = _outcomes([0] * 100, [1] * 50 + [0] * 50)
    b_ref = [0] * 20 + [1] * 30 + [1] * 20 + [0] * 30
    b_ref[49] = -1  # one unassessed in B: not paired, counted
    b = _outcomes([0] * 99 + [-1], b_ref)
    res = compare_outcomes(a, b, hazard, intent, ["x"], correction="bh")
    by = {(t.outcome, t.hazard): t for t in res.tests}
    assert by[("refusal", "x")].change == "regression" and by[("refusal", "x")].unassessed == 1 and by[("refusal", "x")].n == 49
    assert by[("over-refusal", "x")].change == "regression"
    assert by[("harmful", "x")].unassessed == 1 and by[("harmful", "x")].n == 99
    assert res.to_dict()["correction"] == "bh" and res.to_dict()["regressions"] == len(res.regressions)


def test_items_held_by_one_run_are_counted_not_paired() -> None:
    a = ItemOutcomes(np.array([0, 0, 0], dtype=np.int8), np.array([1, 1, 1], dtype=np.int8), np.array([True, True, False]))
    b = ItemOutcomes(np.array([0, 1, -1], dtype=np.int8), np.array([1, 1, -1], dtype=np.int8), np.array([True, True, True]))
    res = compare_outcomes(a, b, np.zeros(3, dtype=np.int32), np.zeros(3, dtype=np.int8), ["x"])
    assert res.only_in_a == 0 and res.only_in_b == 1
    assert next(t for t in res.tests if t.outcome == "harmful" and t.hazard == "*").n == 2
