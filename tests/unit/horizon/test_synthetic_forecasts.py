"""Forecasts on synthetic data with a known trend: the frontier, the METR slope, count intervals."""

from __future__ import annotations

import datetime as dt

import numpy as np

from accord.horizon import HorizonPoint, ModelRow, doubling_time, forecast_crossings, frontier


def _day(year: float) -> dt.date:
    return dt.date.fromordinal(int(year * 365.2425))


def test_frontier_is_top_n_at_publication() -> None:
    rows = [
        ModelRow("a", dt.date(2020, 1, 1), 10.0),
        ModelRow("b", dt.date(2020, 2, 1), 5.0),
        ModelRow("c", dt.date(2020, 3, 1), 20.0),
        ModelRow("d", dt.date(2020, 4, 1), 7.0),
    ]
    assert [r.name for r in frontier(rows, 2)] == ["a", "b", "c"]  # d is third when published


def test_metr_method_recovers_a_known_doubling_time() -> None:
    rng = np.random.default_rng(3)
    start = dt.date(2023, 1, 1).toordinal()
    pts = []
    for i, day in enumerate(np.sort(rng.uniform(0, 900, 25))):
        minutes = 5 * 2 ** (day / 150) * 2 ** rng.normal(0, 0.3)
        pts.append(HorizonPoint(f"m{i}", dt.date.fromordinal(start + int(day)), float(minutes), None, None, True))
    pts.append(HorizonPoint("old", dt.date(2021, 1, 1), 0.1, None, None, True))  # before 2023: ignored
    d = doubling_time(pts, n_boot=500, max_minutes=1e9)
    assert abs(d.days - 150) < 15
    assert d.interval[0] < 150 < d.interval[1]
    assert "old" not in d.models


def test_count_prediction_intervals_cover_at_about_the_nominal_rate() -> None:
    """Models arrive as a Poisson process with log10 compute ~ 22 + 0.5 t + N(0, 1); the
    95% prediction interval of the cumulative count above 10^25 over 24 months should hold
    the simulated count in most worlds."""
    hits, worlds = 0, 40
    for s in range(worlds):
        rng = np.random.default_rng(s)
        n = rng.poisson(60 * 7)
        t = np.sort(rng.uniform(2018, 2025, n))
        logc = 22 + 0.5 * (t - 2018) + rng.normal(0, 1, n)
        rows = [ModelRow(f"m{i}", _day(ti), float(10**c)) for i, (ti, c) in enumerate(zip(t, logc, strict=True))]
        as_of = dt.date(2023, 1, 1)
        fc = forecast_crossings(rows, [{"flop": 1e25}], as_of=as_of, n_boot=300, seed=s)
        last = fc.thresholds[0].periods[-1]
        observed = sum(1 for r in rows if as_of <= r.published < last.end and r.flop > 1e25)
        hits += last.cumulative_low <= observed <= last.cumulative_high
    assert hits / worlds >= 0.85
