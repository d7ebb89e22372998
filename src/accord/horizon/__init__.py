"""Horizon scanning: trend fits and forecasts for when regulation's thresholds will bind (pure).

Parsers turn Epoch's and METR's published text into rows, counting every row they cannot
use (``DataQuality``); fits are OLS in log space with pairs-bootstrap intervals (``fit_line``).
On top: the frontier training-compute trend (``compute_trend``), expected models above the
rulebook's compute thresholds per quarter and the date the largest run crosses 10^27
(``forecast_crossings``) and the rulebook's obligations each crossing brings
(``threshold_consequences``), METR's time-horizon doubling time (``doubling_time``, backtested
by ``metr_backtest``), the Epoch Capabilities Index at the frontier (``eci_trend``), ECCN 3A090
classification of Epoch's chips (``classify_chips``), backtests (``backtest``), accord's own
runs by model release date (``hazard_rates``, ``release_date``) and the outlook rendered as
Markdown or one self-contained HTML page (``outlook_markdown``, ``outlook_html``). No file is
read here (the pipeline reads them); thresholds come from ``accord.regulation``.
"""

from accord.horizon._backtest import Backtest, Scored, backtest
from accord.horizon._consequences import Consequence, consequences_dict, threshold_consequences
from accord.horizon._crossings import CrossingForecast, PeriodForecast, RecordCrossing, ThresholdOutlook, forecast_crossings
from accord.horizon._data import (
    ChipRow,
    DataQuality,
    EciRow,
    HorizonPoint,
    ModelRow,
    parse_chips,
    parse_eci,
    parse_metr,
    parse_models,
)
from accord.horizon._eci import ECI_SOURCE, EciTrend, eci_frontier, eci_trend
from accord.horizon._export import DATACENTER_ASSUMPTION, ChipClass, TppTrend, classify_chips, tpp_frontier_trend
from accord.horizon._fit import LineFit, fit_line
from accord.horizon._html import outlook_html
from accord.horizon._metr import METR_PUBLISHED, DoublingTime, MetrBacktest, doubling_time, metr_backtest
from accord.horizon._periods import quarters
from accord.horizon._render import outlook_markdown
from accord.horizon._runs import HazardRate, RunPoint, hazard_rates, release_date, runs_section
from accord.horizon._trend import EPOCH_PUBLISHED, ComputeTrend, compute_trend, frontier

__all__ = [
    "ECI_SOURCE",
    "Consequence",
    "EciRow",
    "EciTrend",
    "HazardRate",
    "MetrBacktest",
    "RunPoint",
    "consequences_dict",
    "eci_frontier",
    "eci_trend",
    "hazard_rates",
    "metr_backtest",
    "outlook_html",
    "parse_eci",
    "release_date",
    "runs_section",
    "threshold_consequences",
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
