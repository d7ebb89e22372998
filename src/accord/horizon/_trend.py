"""The training-compute trend at the frontier (pure).

**Frontier definition** (docs/horizon.md): a model is *frontier* when, on its publication
date, its training compute ranks in the top ``top_n`` (default 10) of all models with a
compute estimate published up to and including that date. This is Epoch AI's "top 10 at
release" definition, chosen because it does not depend on later models (a backtest at an
earlier date sees the same frontier flags for the models it sees). The growth rate is
``10**slope`` of an OLS fit of log10(FLOP) on publication date (decimal years) over the
frontier models published on or after ``since`` (default 2010-01-01, Epoch's start of the
deep-learning era), with a pairs-bootstrap interval. Epoch's published comparison figure is
×4–5 per year (Epoch AI, "Training compute of frontier AI models grows by 4-5x per year",
2024-05-28).
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from accord.horizon._data import DAYS_PER_YEAR, ModelRow, year_fraction
from accord.horizon._fit import LEVEL, N_BOOT, LineFit, fit_line

TOP_N = 10
SINCE = dt.date(2010, 1, 1)
EPOCH_PUBLISHED = {
    "low": 4.0,
    "high": 5.0,
    "source": "Epoch AI, 'Training compute of frontier AI models grows by 4-5x per year' (epoch.ai, 2024-05-28)",
}


def frontier(rows: list[ModelRow], top_n: int = TOP_N) -> list[ModelRow]:
    """Models in the top ``top_n`` by compute among all published up to their own date."""
    if top_n < 1:
        raise ValueError("top_n must be at least 1")
    ordered = sorted(rows, key=lambda r: (r.published, -r.flop, r.name))
    seen: list[float] = []  # negative compute, ascending = largest first
    out: list[ModelRow] = []
    i = 0
    while i < len(ordered):
        j = i
        while j < len(ordered) and ordered[j].published == ordered[i].published:
            bisect.insort(seen, -ordered[j].flop)
            j += 1
        cutoff = -seen[min(top_n, len(seen)) - 1]
        out.extend(r for r in ordered[i:j] if r.flop >= cutoff)
        i = j
    return out


@dataclass(frozen=True, eq=False)
class ComputeTrend:
    """Growth of frontier training compute: the fit and the figures people quote."""

    fit: LineFit
    top_n: int
    since: dt.date
    as_of: dt.date | None
    frontier_models: int
    rows: tuple[ModelRow, ...] = ()

    @property
    def growth_per_year(self) -> float:
        return 10**self.fit.slope

    @property
    def growth_interval(self) -> tuple[float, float]:
        return 10**self.fit.slope_low, 10**self.fit.slope_high

    @property
    def doubling_months(self) -> float:
        return 12 * math.log10(2) / self.fit.slope if self.fit.slope > 0 else math.inf

    def to_dict(self) -> dict[str, Any]:
        lo, hi = self.growth_interval
        return {
            "definition": f"top {self.top_n} by training compute among models published up to each model's date; fit from {self.since}",
            "asOf": self.as_of.isoformat() if self.as_of else None,
            "frontierModels": self.frontier_models,
            "growthPerYear": self.growth_per_year,
            "growthLow": lo,
            "growthHigh": hi,
            "level": self.fit.level,
            "doublingMonths": self.doubling_months,
            "epochPublished": EPOCH_PUBLISHED,
            "fit": self.fit.summary(),
            "points": [{"name": r.name, "published": r.published.isoformat(), "flop": r.flop} for r in self.rows],
            "band": band_dicts(self.fit, self.since, (self.as_of or max(r.published for r in self.rows)), months_ahead=24),
        }


def compute_trend(
    rows: list[ModelRow],
    *,
    top_n: int = TOP_N,
    since: dt.date = SINCE,
    as_of: dt.date | None = None,
    n_boot: int = N_BOOT,
    level: float = LEVEL,
    seed: int = 0,
) -> ComputeTrend:
    """Fit log10 compute on date over the frontier (rows published before ``as_of`` only)."""
    import numpy as np

    seen = [r for r in rows if as_of is None or r.published < as_of]
    front = [r for r in frontier(seen, top_n) if r.published >= since]
    if len(front) < 3:
        raise ValueError(f"only {len(front)} frontier models since {since}: too few for a trend")
    x = np.array([year_fraction(r.published) for r in front])
    y = np.log10([r.flop for r in front])
    return ComputeTrend(fit_line(x, y, n_boot=n_boot, level=level, seed=seed), top_n, since, as_of, len(front), tuple(front))


def band_dicts(
    fit: LineFit, start: dt.date, end: dt.date, *, months_ahead: int = 0, steps: int = 40, days: bool = False
) -> list[dict[str, Any]]:
    """The fitted line and its bootstrap band from ``start`` to ``months_ahead`` past ``end``
    (x in decimal years, or in ordinal days with ``days``), for charts."""
    stop = end + dt.timedelta(days=round(months_ahead * 30.4369))
    a, b = start.toordinal(), stop.toordinal()
    ords = [a + (b - a) * i / (steps - 1) for i in range(steps)]
    xs = ords if days else [o / DAYS_PER_YEAR for o in ords]
    return [
        {"date": dt.date.fromordinal(round(o)).isoformat(), "fit": m, "low": lo, "high": hi}
        for o, (_, m, lo, hi) in zip(ords, fit.band(xs), strict=True)
    ]
