"""Threshold crossings: how many models will be trained above 10^25 / 10^26 FLOP, and when
the largest run passes 10^27 (pure).

**Count model.** The log10 compute of models published at time t is a straight line
``a + b·t`` plus a residual drawn from the fitted residuals (their empirical distribution,
not a normal one), the line fitted by OLS over the models with a compute estimate
published in the ``fit_years`` before the as-of date; models arrive at a constant rate λ
per year, the number published in the last ``rate_years``. The expected number above a
threshold T in a period [t1, t2) is ``λ ∫ P(log10 C > log10 T | t) dt``. The interval of the
*expected* number comes from a pairs bootstrap of the line and its residuals with λ redrawn as Poisson; the
*prediction* interval of the count that will be observed adds Poisson noise on top, and is
the one a backtest scores. Thresholds are "greater than" values read from the regulation
rulebook (``compute.yaml``), not copied here.

**Largest run.** The record line is the frontier fit with ``top_n = 1`` (each model that
was the largest at its publication); the date it reaches 10^27 is solved for in every
bootstrap sample.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

from accord.horizon._data import ModelRow, date_of, year_fraction
from accord.horizon._fit import LEVEL, N_BOOT, LineFit, fit_line
from accord.horizon._periods import quarters
from accord.horizon._trend import compute_trend

FIT_YEARS = 5.0
RATE_YEARS = 2.0
GRID_PER_PERIOD = 16


@dataclass(frozen=True)
class PeriodForecast:
    """One threshold × one period: expected count with intervals, and the cumulative view."""

    threshold: float
    begin: dt.date
    end: dt.date
    expected: float
    expected_low: float
    expected_high: float
    predicted_low: int
    predicted_high: int
    cumulative_expected: float
    cumulative_low: int
    cumulative_high: int


@dataclass(frozen=True)
class ThresholdOutlook:
    """Where the count above one threshold stands at the as-of date and where it is going."""

    threshold: float
    triggers: tuple[dict[str, str], ...]
    above_so_far: int
    periods: tuple[PeriodForecast, ...]


@dataclass(frozen=True)
class RecordCrossing:
    """When the largest training run is forecast to pass ``threshold`` (``None`` = beyond the bootstrap)."""

    threshold: float
    already: ModelRow | None
    date: dt.date | None
    low: dt.date | None
    high: dt.date | None
    growth_per_year: float


@dataclass(frozen=True)
class CrossingForecast:
    as_of: dt.date
    level: float
    fit_years: float
    rate_years: float
    rate_per_year: float
    models_in_fit: int
    thresholds: tuple[ThresholdOutlook, ...]
    record: RecordCrossing | None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        def period(p: PeriodForecast) -> dict[str, Any]:
            return {
                "begin": p.begin.isoformat(),
                "end": p.end.isoformat(),
                "expected": p.expected,
                "expectedLow": p.expected_low,
                "expectedHigh": p.expected_high,
                "predictedLow": p.predicted_low,
                "predictedHigh": p.predicted_high,
                "cumulativeExpected": p.cumulative_expected,
                "cumulativeLow": p.cumulative_low,
                "cumulativeHigh": p.cumulative_high,
            }

        rec = self.record
        return {
            "asOf": self.as_of.isoformat(),
            "level": self.level,
            "fitYears": self.fit_years,
            "rateYears": self.rate_years,
            "ratePerYear": self.rate_per_year,
            "modelsInFit": self.models_in_fit,
            "thresholds": [
                {
                    "flop": t.threshold,
                    "triggers": [dict(x) for x in t.triggers],
                    "aboveSoFar": t.above_so_far,
                    "periods": [period(p) for p in t.periods],
                }
                for t in self.thresholds
            ],
            "largestRun": None
            if rec is None
            else {
                "flop": rec.threshold,
                "already": rec.already.name if rec.already else None,
                "date": _iso(rec.date),
                "low": _iso(rec.low),
                "high": _iso(rec.high),
                "recordGrowthPerYear": rec.growth_per_year,
            },
            "notes": list(self.notes),
        }


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


def forecast_crossings(
    rows: list[ModelRow],
    thresholds: list[dict[str, Any]],
    *,
    as_of: dt.date,
    months: int = 24,
    until: dt.date | None = None,
    record_threshold: float = 1e27,
    fit_years: float = FIT_YEARS,
    rate_years: float = RATE_YEARS,
    n_boot: int = N_BOOT,
    level: float = LEVEL,
    seed: int = 0,
) -> CrossingForecast:
    """Expected models above each threshold per quarter for ``months`` after ``as_of``."""
    import numpy as np

    seen = [r for r in rows if r.published < as_of]
    t_as_of = year_fraction(as_of)
    window = [r for r in seen if year_fraction(r.published) >= t_as_of - fit_years]
    recent = [r for r in seen if year_fraction(r.published) >= t_as_of - rate_years]
    if len(window) < 3 or not recent:
        raise ValueError(f"too few models with compute before {as_of} to forecast ({len(window)} in the fit window)")
    fit = fit_line([year_fraction(r.published) for r in window], np.log10([r.flop for r in window]), n_boot=n_boot, level=level, seed=seed)
    rate = len(recent) / rate_years
    x_w = np.array([year_fraction(r.published) for r in window])
    y_w = np.log10([r.flop for r in window])
    resid = np.sort(y_w - fit.predict(x_w))[None, :]
    boot_resid = _boot_residuals(fit, x_w, y_w, seed)
    rng = np.random.default_rng(seed + 1)
    b = fit.boot_slope.size
    rate_b = rng.poisson(len(recent), size=b) / rate_years
    alpha = (1 - level) / 2
    periods = quarters(as_of, months, until)
    outlooks = []
    for spec in sorted(thresholds, key=lambda t: float(t["flop"])):
        thr = float(spec["flop"])
        lt = math.log10(thr)
        mus, mus_b = [], []
        for begin, end in periods:
            t1, t2 = year_fraction(begin), year_fraction(end)
            grid = t1 + (np.arange(GRID_PER_PERIOD) + 0.5) / GRID_PER_PERIOD * (t2 - t1)  # midpoint rule
            p = _survival(resid, lt - fit.predict(grid)[None, :])[0]
            mus.append(rate * p.mean() * (t2 - t1))
            loc_b = fit.boot_intercept[:, None] + fit.boot_slope[:, None] * (grid[None, :] - fit.x0)
            pb = _survival(boot_resid, lt - loc_b)
            mus_b.append(rate_b * pb.mean(axis=1) * (t2 - t1))
        mu_b = np.stack(mus_b, axis=1)  # (boot, periods)
        draws = rng.poisson(mu_b)
        cum_draws = draws.cumsum(axis=1)
        cum_mu = np.cumsum(mus)
        out = []
        for k, (begin, end) in enumerate(periods):
            e_lo, e_hi = np.quantile(mu_b[:, k], [alpha, 1 - alpha])
            d_lo, d_hi = np.quantile(draws[:, k], [alpha, 1 - alpha])
            c_lo, c_hi = np.quantile(cum_draws[:, k], [alpha, 1 - alpha])
            out.append(
                PeriodForecast(
                    thr, begin, end, float(mus[k]), float(e_lo), float(e_hi), int(d_lo), int(d_hi), float(cum_mu[k]), int(c_lo), int(c_hi)
                )
            )
        above = sum(1 for r in seen if r.flop > thr)
        outlooks.append(ThresholdOutlook(thr, tuple(spec.get("triggers", ())), above, tuple(out)))
    return CrossingForecast(
        as_of,
        level,
        fit_years,
        rate_years,
        rate,
        len(window),
        tuple(outlooks),
        record_crossing(rows, record_threshold, as_of=as_of, n_boot=n_boot, level=level, seed=seed),
    )


def record_crossing(
    rows: list[ModelRow], threshold: float, *, as_of: dt.date, n_boot: int = N_BOOT, level: float = LEVEL, seed: int = 0
) -> RecordCrossing | None:
    """When the record line (top-1 frontier fit) reaches ``threshold``; ``None`` if it cannot be fitted."""
    import numpy as np

    seen = [r for r in rows if r.published < as_of]
    already = max((r for r in seen if r.flop > threshold), key=lambda r: r.flop, default=None)
    try:
        trend = compute_trend(seen, top_n=1, n_boot=n_boot, level=level, seed=seed)
    except ValueError:
        return None
    fit = trend.fit
    lt = math.log10(threshold)
    point = fit.x0 + (lt - fit.intercept) / fit.slope if fit.slope > 0 else math.inf
    ok = fit.boot_slope > 0
    when = fit.x0 + (lt - fit.boot_intercept[ok]) / fit.boot_slope[ok]
    # a sample with a flat or falling line never crosses: it counts as "later than any date"
    when = np.concatenate([when, np.full(int((~ok).sum()), np.inf)])
    alpha = (1 - level) / 2
    ordered = np.sort(when)  # order statistics: np.quantile interpolates inf - inf into nan
    lo = float(ordered[int(np.floor(alpha * (ordered.size - 1)))])
    hi = float(ordered[int(np.ceil((1 - alpha) * (ordered.size - 1)))])

    def to_date(y: float) -> dt.date | None:
        return date_of(y) if math.isfinite(y) else None

    return RecordCrossing(threshold, already, to_date(point), to_date(lo), to_date(hi), trend.growth_per_year)


def _boot_residuals(fit: LineFit, x: NDArray[np.float64], y: NDArray[np.float64], seed: int) -> NDArray[np.float64]:
    """Each bootstrap sample's residuals about its own line, sorted per row.

    The same resampled rows as ``fit_line`` drew (same seed), so sample b's residuals go
    with sample b's line; degenerate draws were dropped there and are dropped here.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    idx = rng.integers(0, x.size, size=(fit.boot_slope.size + fit.degenerate, x.size))
    bx, by = x[idx], y[idx]
    bxm = bx.mean(axis=1, keepdims=True)
    ok = ((bx - bxm) ** 2).sum(axis=1) > 0
    line = fit.boot_intercept[:, None] + fit.boot_slope[:, None] * (bx[ok] - fit.x0)
    return np.sort(by[ok] - line, axis=1)


def _survival(sorted_resid: NDArray[np.float64], need: NDArray[np.float64]) -> NDArray[np.float64]:
    """Row-wise share of residuals strictly above ``need`` (rows: samples, columns: dates).

    The empirical distribution of residuals, not a normal one: the models below the line
    (small academic runs) make the spread wide, and a normal tail fitted to that spread
    puts far too many models above 10^26.
    """
    import numpy as np

    rows, n = sorted_resid.shape
    if need.shape[0] != rows:
        need = np.broadcast_to(need, (rows, need.shape[1]))
    out = np.empty(need.shape)
    for i in range(rows):
        out[i] = n - np.searchsorted(sorted_resid[i], need[i], side="right")
    return out / n
