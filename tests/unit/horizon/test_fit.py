"""The trend fit on synthetic data with a known slope: recovery and interval coverage."""

from __future__ import annotations

import numpy as np
import pytest

from accord.horizon import fit_line


def test_recovers_a_known_slope() -> None:
    rng = np.random.default_rng(1)
    x = np.linspace(2015, 2025, 200)
    y = 20 + 0.65 * (x - 2015) + rng.normal(0, 0.3, x.size)
    fit = fit_line(x, y, n_boot=500)
    assert fit.slope == pytest.approx(0.65, abs=0.03)
    assert fit.slope_low < 0.65 < fit.slope_high
    assert fit.resid_sd == pytest.approx(0.3, rel=0.15)


def test_bootstrap_interval_covers_at_about_the_nominal_rate() -> None:
    """300 data sets, n=40, normal noise: a 95% percentile pairs bootstrap should cover ~93-96%."""
    true = 0.5
    hits = 0
    seeds = 300
    for s in range(seeds):
        rng = np.random.default_rng(1000 + s)
        x = rng.uniform(0, 10, 40)
        y = 1 + true * x + rng.normal(0, 1.0, 40)
        fit = fit_line(x, y, n_boot=400, seed=s)
        hits += fit.slope_low <= true <= fit.slope_high
    assert 0.89 <= hits / seeds <= 0.99


def test_rejects_too_few_or_flat_points() -> None:
    with pytest.raises(ValueError):
        fit_line([1, 2], [1, 2])
    with pytest.raises(ValueError):
        fit_line([1, 1, 1], [1, 2, 3])
