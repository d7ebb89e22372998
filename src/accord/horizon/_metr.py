"""METR time horizons: the doubling time of the 50% horizon, by METR's method (pure).

METR ("Measuring AI Ability to Complete Long Tasks", 2025, and the time-horizons page) fits
OLS of log2(p50 horizon, minutes) on release date over the models that were state of the
art at release (``is_sota``); the recent-trend figure uses models from 2023 on with p50 at
most 16 hours (longer estimates are unreliable on the task suite). The doubling time is
``1 / slope`` in days. METR's interval bootstraps tasks and runs, which needs per-run data
that the published YAML does not carry, so the interval here bootstraps models (pairs) —
wider or narrower than METR's, and said so in every report.

Published figure this is checked against: **165 days** for Time Horizon 1.0 since 2023
(METR, "Time Horizon 1.1", metr.org/blog/2026-1-29-time-horizon-1-1/, 2026-01-29, which
revised it to 131 days under TH1.1).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from accord.horizon._data import HorizonPoint
from accord.horizon._fit import LEVEL, N_BOOT, LineFit, fit_line
from accord.horizon._trend import band_dicts

SINCE = dt.date(2023, 1, 1)
MAX_MINUTES = 16 * 60.0
METR_PUBLISHED = {
    "days": 165.0,
    "suite": "METR-Horizon-v1 (TH1.0)",
    "since": "2023-01-01",
    "source": "METR, 'Time Horizon 1.1' (metr.org/blog/2026-1-29-time-horizon-1-1/, 2026-01-29): TH1.0 doubling time since 2023 = 165 days",
}


@dataclass(frozen=True, eq=False)
class DoublingTime:
    fit: LineFit
    since: dt.date
    as_of: dt.date | None
    models: tuple[str, ...]
    excluded_over_cap: tuple[str, ...]
    points: tuple[HorizonPoint, ...] = ()

    @property
    def days(self) -> float:
        return 1 / self.fit.slope if self.fit.slope > 0 else math.inf

    @property
    def interval(self) -> tuple[float, float]:
        """Doubling-time interval in days (the slope's interval inverted; a slope ≤ 0 is ∞)."""
        lo = 1 / self.fit.slope_high if self.fit.slope_high > 0 else math.inf
        hi = 1 / self.fit.slope_low if self.fit.slope_low > 0 else math.inf
        return lo, hi

    def to_dict(self) -> dict[str, Any]:
        lo, hi = self.interval
        return {
            "method": "OLS of log2(p50 minutes) on release date; is_sota models; p50 <= 16 h; pairs bootstrap over models",
            "since": self.since.isoformat(),
            "asOf": self.as_of.isoformat() if self.as_of else None,
            "doublingDays": self.days,
            "low": lo,
            "high": hi,
            "level": self.fit.level,
            "models": list(self.models),
            "excludedOverCap": list(self.excluded_over_cap),
            "metrPublished": METR_PUBLISHED,
            "fit": self.fit.summary(),
            "points": [
                {
                    "model": p.model,
                    "released": p.released.isoformat(),
                    "p50Minutes": p.p50_minutes,
                    "low": p.p50_low,
                    "high": p.p50_high,
                    "used": p.model in self.models,
                }
                for p in self.points
            ],
            "band": band_dicts(self.fit, self.since, self.as_of or max(p.released for p in self.points), months_ahead=12, days=True)
            if self.points
            else [],
        }


def doubling_time(
    points: list[HorizonPoint],
    *,
    since: dt.date = SINCE,
    max_minutes: float = MAX_MINUTES,
    as_of: dt.date | None = None,
    n_boot: int = N_BOOT,
    level: float = LEVEL,
    seed: int = 0,
) -> DoublingTime:
    """Doubling time (days) of the p50 horizon over SOTA models released in ``[since, as_of)``."""
    import numpy as np

    chosen = [p for p in points if p.is_sota and p.released >= since and (as_of is None or p.released < as_of)]
    over = tuple(p.model for p in chosen if p.p50_minutes > max_minutes)
    used = [p for p in chosen if p.p50_minutes <= max_minutes]
    if len(used) < 3:
        raise ValueError(f"only {len(used)} SOTA models since {since}: too few for a doubling time")
    x = np.array([p.released.toordinal() for p in used], dtype=float)
    y = np.log2([p.p50_minutes for p in used])
    sota = tuple(p for p in points if p.is_sota and p.released >= since and (as_of is None or p.released < as_of))
    return DoublingTime(fit_line(x, y, n_boot=n_boot, level=level, seed=seed), since, as_of, tuple(p.model for p in used), over, sota)


@dataclass(frozen=True)
class MetrScored:
    """One SOTA model released after the as-of date: predicted p50 (with interval) vs observed."""

    model: str
    released: dt.date
    predicted: float
    low: float
    high: float
    observed: float

    @property
    def covered(self) -> bool:
        return self.low <= self.observed <= self.high

    @property
    def error_doublings(self) -> float:
        """log2(observed / predicted): doublings the forecast was short (+) or over (-)."""
        return math.log2(self.observed / self.predicted)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "released": self.released.isoformat(),
            "predictedMinutes": self.predicted,
            "low": self.low,
            "high": self.high,
            "observedMinutes": self.observed,
            "covered": self.covered,
            "errorDoublings": self.error_doublings,
        }


@dataclass(frozen=True, eq=False)
class MetrBacktest:
    as_of: dt.date
    before: DoublingTime
    after: DoublingTime | None
    scored: tuple[MetrScored, ...]

    @property
    def coverage(self) -> float:
        return sum(s.covered for s in self.scored) / len(self.scored) if self.scored else float("nan")

    @property
    def mean_abs_error(self) -> float:
        return sum(abs(s.error_doublings) for s in self.scored) / len(self.scored) if self.scored else float("nan")

    def to_dict(self) -> dict[str, Any]:
        lo, hi = self.before.interval
        return {
            "asOf": self.as_of.isoformat(),
            "method": "fit on SOTA models released before asOf (METR's method); 95% prediction interval = bootstrap line + resampled residual; scored on later SOTA models",
            "doublingDaysBefore": self.before.days,
            "lowBefore": lo,
            "highBefore": hi,
            "modelsBefore": list(self.before.models),
            "doublingDaysAll": self.after.days if self.after else None,
            "level": self.before.fit.level,
            "scored": len(self.scored),
            "coverage": self.coverage,
            "meanAbsErrorDoublings": self.mean_abs_error,
            "models": [s.to_dict() for s in self.scored],
        }


def metr_backtest(
    points: list[HorizonPoint],
    *,
    as_of: dt.date,
    since: dt.date = SINCE,
    max_minutes: float = MAX_MINUTES,
    n_boot: int = N_BOOT,
    level: float = LEVEL,
    seed: int = 0,
) -> MetrBacktest:
    """Doubling time fitted before ``as_of``, scored on every later SOTA model's p50.

    The prediction interval of a later model's log2 p50 draws, per bootstrap sample, that
    sample's line at the model's release date plus one of the fit's residuals (the empirical
    spread of SOTA models about the trend), so it covers where a single model lands, not only
    where the trend goes. Later models above the 16 h cap are scored too (the cap is about
    fitting, not about what happened) and flagged as such by their value.
    """
    import numpy as np

    before = doubling_time(points, since=since, max_minutes=max_minutes, as_of=as_of, n_boot=n_boot, level=level, seed=seed)
    fit = before.fit
    used = [p for p in points if p.model in set(before.models)]
    x = np.array([p.released.toordinal() for p in used], dtype=float)
    resid = np.log2([p.p50_minutes for p in used]) - fit.predict(x)
    rng = np.random.default_rng(seed + 7)
    later = [p for p in points if p.is_sota and p.released >= as_of]
    alpha = (1 - level) / 2
    scored = []
    for p in later:
        t = float(p.released.toordinal())
        draws = fit.boot_intercept + fit.boot_slope * (t - fit.x0) + rng.choice(resid, size=fit.boot_slope.size)
        lo, hi = np.quantile(draws, [alpha, 1 - alpha])
        scored.append(MetrScored(p.model, p.released, float(2 ** fit.predict([t])[0]), float(2**lo), float(2**hi), p.p50_minutes))
    try:
        after: DoublingTime | None = doubling_time(points, since=since, max_minutes=max_minutes, n_boot=n_boot, level=level, seed=seed)
    except ValueError:
        after = None
    return MetrBacktest(as_of, before, after, tuple(scored))
