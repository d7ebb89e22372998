"""The fits on the shared public files, against the published figures and oracles.

Oracles: Epoch's notable-models export of 2025-02-24 has 17 models at or above 10^25 FLOP
and 1 above 10^26 (datasets/horizon/SOURCE.md); Epoch's frontier growth is x4-5 a year
(epoch.ai, 2024-05-28); METR's TH1.0 doubling time since 2023 is 165 days (METR, "Time
Horizon 1.1", metr.org/blog/2026-1-29-time-horizon-1-1/, 2026-01-29); ECCN 3A090 TPP of the
H100 is 15,832 and of the A100 4,992.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from accord import yamlio
from accord.horizon import (
    backtest,
    classify_chips,
    compute_trend,
    doubling_time,
    forecast_crossings,
    parse_chips,
    parse_metr,
    parse_models,
)
from accord.regulation import load_compute_spec, load_hardware
from tests.conftest import DATASETS

HORIZON = DATASETS / "horizon"
pytestmark = pytest.mark.skipif(not (HORIZON / "epoch_notable_ai_models_2025-02-24.csv").is_file(), reason="shared datasets not found")


@pytest.fixture(scope="module")
def models() -> list:
    rows, q = parse_models((HORIZON / "epoch_notable_ai_models_2025-02-24.csv").read_text(encoding="utf-8"))
    assert q.rows == 895 and q.used + q.dropped["missing compute"] == 895
    return rows


def _thresholds() -> list[dict]:
    return [t for t in load_compute_spec()["training_thresholds"] if t["flop"] >= 1e25]


def test_threshold_counts_match_the_oracle(models: list) -> None:
    assert sum(r.flop >= 1e25 for r in models) == 17
    assert sum(r.flop > 1e26 for r in models) == 1


def test_frontier_growth_agrees_with_epoch(models: list) -> None:
    t = compute_trend(models, n_boot=1000)
    lo, hi = t.growth_interval
    assert 4.0 <= t.growth_per_year <= 5.5
    assert lo < 5.0 and hi > 4.5  # overlaps Epoch's x4-5 band
    assert t.frontier_models > 100


def test_crossings_use_the_rulebook_thresholds(models: list) -> None:
    fc = forecast_crossings(models, _thresholds(), as_of=dt.date(2025, 2, 18), n_boot=500)
    assert [t.threshold for t in fc.thresholds] == [1e25, 1e26]
    assert [t.above_so_far for t in fc.thresholds] == [17, 1]
    assert len(fc.thresholds[0].periods) == 9  # 24 months from a mid-quarter date
    p = fc.thresholds[0].periods[1]
    assert p.expected_low <= p.expected <= p.expected_high and p.predicted_low <= p.predicted_high
    assert fc.record is not None and fc.record.already is None and fc.record.date is not None


@pytest.mark.parametrize(("as_of", "months"), [(dt.date(2023, 1, 1), 26), (dt.date(2024, 1, 1), 14)])
def test_backtests_cover_what_came_after(models: list, as_of: dt.date, months: int) -> None:
    b = backtest(models, _thresholds(), as_of=as_of, n_boot=1000)
    assert round(b.months) == months
    assert b.coverage >= 0.85
    assert all(s.covered for s in b.cumulative)


def test_metr_doubling_time_matches_the_published_figure() -> None:
    points, _ = parse_metr(yamlio.load((HORIZON / "metr_benchmark_results_1_0.yaml").read_text(encoding="utf-8")))
    d = doubling_time(points, n_boot=1000)
    assert d.days == pytest.approx(165, abs=3)
    lo, hi = d.interval
    assert lo < 165 < hi
    assert len(d.models) == 14


def test_chip_tpp_oracles() -> None:
    chips, _ = parse_chips(Path(HORIZON / "epoch_chip_dataset_2025-06.csv").read_text(encoding="utf-8-sig"))
    bits, _ = load_hardware()
    by_name = {c.chip.name: c for c in classify_chips(chips, bits, load_compute_spec()["eccn_3a090"])}
    h100, a100 = by_name["NVIDIA H100 SXM5 80GB"], by_name["NVIDIA A100 SXM4 80 GB"]
    assert h100.result is not None and round(h100.result.tpp) == 15832
    assert a100.result is not None and round(a100.result.tpp) == 4992
    assert h100.result.pd == pytest.approx(19.45, abs=0.01)
    assert a100.result.pd == pytest.approx(6.04, abs=0.01)
    assert h100.controlled and a100.controlled
    assert any(p.startswith("3A090.a.1") for p in a100.result.paragraphs)
