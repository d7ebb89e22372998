"""Backtests: forecast from an earlier date with only what was published before it, and
score the forecast against what came after (pure).

Scored: for each threshold, each whole quarter that ends on or before the data's last
date (is the observed count inside the prediction interval? expected − observed), and the
cumulative count from the as-of date to the data's last date (the window runs to that date,
so the last period is partial). Coverage is the share of scored quantities inside their
intervals. Caveat said in the report: Epoch's publication date stands in for "known at the
time"; estimates added to the database later (and models whose compute was never
estimated) make the recent past look emptier than it was.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from accord.horizon._crossings import CrossingForecast, forecast_crossings
from accord.horizon._data import ModelRow
from accord.horizon._fit import LEVEL, N_BOOT
from accord.horizon._periods import quarter_label


@dataclass(frozen=True)
class Scored:
    threshold: float
    label: str
    begin: dt.date
    end: dt.date
    expected: float
    low: int
    high: int
    observed: int

    @property
    def covered(self) -> bool:
        return self.low <= self.observed <= self.high

    def to_dict(self) -> dict[str, Any]:
        return {
            "flop": self.threshold,
            "period": self.label,
            "begin": self.begin.isoformat(),
            "end": self.end.isoformat(),
            "expected": self.expected,
            "low": self.low,
            "high": self.high,
            "observed": self.observed,
            "covered": self.covered,
            "error": self.expected - self.observed,
        }


@dataclass(frozen=True)
class Backtest:
    as_of: dt.date
    data_end: dt.date
    months: float
    level: float
    quarters: tuple[Scored, ...]
    cumulative: tuple[Scored, ...]
    forecast: CrossingForecast

    @property
    def coverage(self) -> float:
        scored = self.quarters + self.cumulative
        return sum(s.covered for s in scored) / len(scored) if scored else float("nan")

    @property
    def mean_abs_error(self) -> float:
        return sum(abs(s.expected - s.observed) for s in self.quarters) / len(self.quarters) if self.quarters else float("nan")

    def to_dict(self) -> dict[str, Any]:
        return {
            "asOf": self.as_of.isoformat(),
            "dataEnd": self.data_end.isoformat(),
            "months": self.months,
            "level": self.level,
            "coverage": self.coverage,
            "scored": len(self.quarters) + len(self.cumulative),
            "meanAbsErrorPerQuarter": self.mean_abs_error,
            "quarters": [s.to_dict() for s in self.quarters],
            "cumulative": [s.to_dict() for s in self.cumulative],
        }


def backtest(
    rows: list[ModelRow],
    thresholds: list[dict[str, Any]],
    *,
    as_of: dt.date,
    data_end: dt.date | None = None,
    n_boot: int = N_BOOT,
    level: float = LEVEL,
    seed: int = 0,
) -> Backtest:
    """Forecast as of ``as_of`` up to the data's end, and score it against the rows after ``as_of``."""
    end = data_end or max(r.published for r in rows)
    stop = end + dt.timedelta(days=1)  # the last date is observed: the window is [as_of, end]
    if stop <= as_of:
        raise ValueError(f"nothing to score: the data end on {end}, not after {as_of}")
    fc = forecast_crossings(rows, thresholds, as_of=as_of, until=stop, n_boot=n_boot, level=level, seed=seed)

    def observed(thr: float, begin: dt.date, until: dt.date) -> int:
        return sum(1 for r in rows if begin <= r.published < until and r.flop > thr)

    qs, cum = [], []
    for t in fc.thresholds:
        for p in t.periods:
            label = quarter_label(p.begin, p.end)
            if p.end <= stop and "(" not in label:  # whole quarters only; partial ones count in the cumulative
                qs.append(
                    Scored(
                        t.threshold,
                        label,
                        p.begin,
                        p.end,
                        p.expected,
                        p.predicted_low,
                        p.predicted_high,
                        observed(t.threshold, p.begin, p.end),
                    )
                )
        last = t.periods[-1]
        cum.append(
            Scored(
                t.threshold,
                f"{as_of.isoformat()}..{end.isoformat()}",
                as_of,
                stop,
                last.cumulative_expected,
                last.cumulative_low,
                last.cumulative_high,
                observed(t.threshold, as_of, stop),
            )
        )
    months = (stop - as_of).days / 30.4369
    return Backtest(as_of, end, months, level, tuple(qs), tuple(cum), fc)
