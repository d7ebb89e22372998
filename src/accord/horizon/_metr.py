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
    return DoublingTime(fit_line(x, y, n_boot=n_boot, level=level, seed=seed), since, as_of, tuple(p.model for p in used), over)
