"""The one statistics module: intervals agree with scipy's own, the record prints as before."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest

from accord.stats import Estimate, interval, proportion, wilson


@pytest.mark.parametrize(("method", "scipy_method", "tol"), [("wilson", "wilson", 1e-12), ("clopper-pearson", "exact", 1e-9)])
def test_intervals_match_scipy_binomtest(method: str, scipy_method: str, tol: float) -> None:
    ks, ns = zip(*[(k, n) for n in (1, 2, 5, 10, 37, 100) for k in range(n + 1)])
    low, high = interval(ks, ns, method=method)  # type: ignore[arg-type]
    for k, n, lo, hi in zip(ks, ns, low, high):
        ci = binomtest(k, n).proportion_ci(0.95, method=scipy_method)
        assert lo == pytest.approx(ci.low, abs=tol) and hi == pytest.approx(ci.high, abs=tol), (k, n)


def test_exact_edges() -> None:
    for method in ("wilson", "clopper-pearson"):
        low, high = interval([0, 10, 0], [10, 10, 0], method=method)  # type: ignore[arg-type]
        assert low[0] == 0.0 and high[1] == 1.0 and (low[2], high[2]) == (0.0, 1.0)


def test_wilson_scalar_and_estimate() -> None:
    est = wilson(6, 8)
    assert est.value == 0.75
    assert est.lo == pytest.approx(0.40926, abs=1e-4) and est.hi == pytest.approx(0.92852, abs=1e-4)
    assert est.fmt() == "0.750 [0.409, 0.929]"
    assert wilson(0, 0) == Estimate(None, None, None) and wilson(0, 0).fmt() == "n/a"
    assert Estimate(0.5, None, None).fmt() == "0.500"
    assert proportion(5, 10, method="clopper-pearson").lo == pytest.approx(0.187086, abs=1e-6)


def test_bad_input() -> None:
    with pytest.raises(ValueError):
        interval([3], [2])
    with pytest.raises(ValueError):
        interval([1], [2], method="agresti")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        interval([1], [2], confidence=1.5)
    assert interval(np.array([], dtype=int), np.array([], dtype=int))[0].shape == (0,)
