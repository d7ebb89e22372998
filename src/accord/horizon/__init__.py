"""Horizon scanning: trend fits and forecasts for when regulation's thresholds will bind (pure).

Parsers turn Epoch's and METR's published text into rows, counting every row they cannot
use (``DataQuality``); fits are OLS in log space with pairs-bootstrap intervals (``fit_line``).
On top: the frontier training-compute trend (``compute_trend``), expected models above the
rulebook's compute thresholds per quarter and the date the largest run crosses 10^27
(``forecast_crossings``), METR's time-horizon doubling time (``doubling_time``), ECCN 3A090
classification of Epoch's chips (``classify_chips``) and backtests (``backtest``). No file is
read here (the pipeline reads them); thresholds come from ``accord.regulation``.
"""

from accord.horizon._backtest import Backtest, Scored, backtest
from accord.horizon._crossings import CrossingForecast, PeriodForecast, RecordCrossing, ThresholdOutlook, forecast_crossings
from accord.horizon._data import (
    ChipRow,
    DataQuality,
    HorizonPoint,
    ModelRow,
    parse_chips,
    parse_metr,
    parse_models,
)
from accord.horizon._export import DATACENTER_ASSUMPTION, ChipClass, TppTrend, classify_chips, tpp_frontier_trend
from accord.horizon._fit import LineFit, fit_line
from accord.horizon._metr import METR_PUBLISHED, DoublingTime, doubling_time
from accord.horizon._periods import quarters
from accord.horizon._render import outlook_markdown
from accord.horizon._trend import EPOCH_PUBLISHED, ComputeTrend, compute_trend, frontier

__all__ = [
    "DATACENTER_ASSUMPTION",
    "EPOCH_PUBLISHED",
    "METR_PUBLISHED",
    "Backtest",
    "ChipClass",
    "ChipRow",
    "ComputeTrend",
    "CrossingForecast",
    "DataQuality",
    "DoublingTime",
    "HorizonPoint",
    "LineFit",
    "ModelRow",
    "PeriodForecast",
    "RecordCrossing",
    "Scored",
    "ThresholdOutlook",
    "TppTrend",
    "backtest",
    "classify_chips",
    "compute_trend",
    "doubling_time",
    "fit_line",
    "forecast_crossings",
    "frontier",
    "outlook_markdown",
    "parse_chips",
    "parse_metr",
    "parse_models",
    "quarters",
    "tpp_frontier_trend",
]
