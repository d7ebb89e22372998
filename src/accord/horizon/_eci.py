"""The Epoch Capabilities Index (ECI) at the frontier over time (pure).

**What ECI is.** Epoch AI's Capabilities Index puts models on one scale by fitting an
item-response-theory model across many benchmarks (each benchmark has a difficulty and a
slope; each model a capability), so models scored on different benchmark sets are
comparable. Higher is more capable; the scale is already "logit-like", so the trend is a
straight line in ECI points per year, not a growth factor (Epoch AI, "Epoch Capabilities
Index", epoch.ai/benchmarks/eci).

**Frontier definition.** A model version is on the ECI frontier when its score is at least
the highest score of every version released up to and including its release date (a record
at release, like METR's ``is_sota``; it does not depend on later versions, so an ``--as-of``
fit sees the same flags); versions of one model released the same day with the same score
(effort settings, scored once) count once. The trend is OLS of ECI on release date (decimal years) over the
frontier versions released from ``since`` on, with a pairs-bootstrap interval of the slope.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from accord.horizon._data import EciRow, date_of, year_fraction
from accord.horizon._fit import LEVEL, N_BOOT, LineFit, fit_line
from accord.horizon._trend import band_dicts

SINCE = dt.date(2023, 1, 1)
ECI_SOURCE = "Epoch AI, 'Epoch Capabilities Index' (benchmark data, epoch.ai/benchmarks/eci), CC BY 4.0"


def eci_frontier(rows: list[EciRow]) -> list[EciRow]:
    """Versions whose score is a record (>= every earlier or same-day version's) at release.

    Versions released the same day with the same score (one model's effort settings, which
    Epoch scores once) count once, so a model with six settings does not weigh six times.
    """
    best = float("-inf")
    out: list[EciRow] = []
    by_day: dict[dt.date, list[EciRow]] = {}
    for r in rows:
        by_day.setdefault(r.released, []).append(r)
    for day in sorted(by_day):
        top = max(r.score for r in by_day[day])
        if top >= best:
            best = top
            out.extend({r.score: r for r in reversed(by_day[day]) if r.score >= top}.values())
    return out


@dataclass(frozen=True, eq=False)
class EciTrend:
    fit: LineFit
    since: dt.date
    as_of: dt.date | None
    frontier: tuple[EciRow, ...]
    versions: int

    @property
    def per_year(self) -> float:
        return self.fit.slope

    def to_dict(self) -> dict[str, Any]:
        return {
            "definition": (
                "ECI frontier = model versions whose score is a record at release; OLS of ECI on release date "
                f"over frontier versions released from {self.since}; pairs bootstrap"
            ),
            "since": self.since.isoformat(),
            "asOf": self.as_of.isoformat() if self.as_of else None,
            "versions": self.versions,
            "frontierVersions": len(self.frontier),
            "pointsPerYear": self.fit.slope,
            "low": self.fit.slope_low,
            "high": self.fit.slope_high,
            "level": self.fit.level,
            "latest": {
                "version": self.frontier[-1].version,
                "released": self.frontier[-1].released.isoformat(),
                "score": self.frontier[-1].score,
            },
            "points": [{"version": r.version, "released": r.released.isoformat(), "score": r.score} for r in self.frontier],
            "source": ECI_SOURCE,
            "fit": self.fit.summary(),
            "band": band_dicts(self.fit, self.since, self.as_of or self.frontier[-1].released, months_ahead=12),
        }

    def predict(self, when: dt.date) -> float:
        return float(self.fit.predict([year_fraction(when)])[0])


def eci_trend(
    rows: list[EciRow],
    *,
    since: dt.date = SINCE,
    as_of: dt.date | None = None,
    n_boot: int = N_BOOT,
    level: float = LEVEL,
    seed: int = 0,
) -> EciTrend:
    """Fit ECI on release date over the record-setting versions released in ``[since, as_of)``."""
    seen = [r for r in rows if as_of is None or r.released < as_of]
    front = [r for r in eci_frontier(seen) if r.released >= since]
    if len(front) < 3:
        raise ValueError(f"only {len(front)} ECI frontier versions since {since}: too few for a trend")
    fit = fit_line([year_fraction(r.released) for r in front], [r.score for r in front], n_boot=n_boot, level=level, seed=seed)
    return EciTrend(fit, since, as_of, tuple(front), len(seen))


__all__ = ["ECI_SOURCE", "EciTrend", "date_of", "eci_frontier", "eci_trend"]
