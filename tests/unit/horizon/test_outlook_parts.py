"""ECI parsing and trend, the rulebook's consequences of each threshold, the METR backtest,
run dating and per-hazard rates, and the column checks of newer exports."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import numpy as np
import pytest

from accord import yamlio
from accord.errors import InputError
from accord.horizon import (
    eci_trend,
    hazard_rates,
    metr_backtest,
    parse_chips,
    parse_eci,
    parse_metr,
    parse_models,
    release_date,
    threshold_consequences,
)
from accord.regulation import load_rulebook
from tests.conftest import DATASETS

HORIZON = DATASETS / "horizon"
shared = pytest.mark.skipif(not (HORIZON / "epoch_capabilities_index.csv").is_file(), reason="shared datasets not found")

ECI_CSV = """Model version,ECI Score,Release date,Organization,Model name
a-1,100,2023-01-10,Org,A
a-1,101,2023-01-10,Org,A
b-1,,2023-03-01,Org,B
c-1,abc,2023-04-01,Org,C
d-1,110,,Org,D
e-1,120,2023-06-01,Org,E
e-1-high,120,2023-06-01,Org,E
f-1,115,2023-09-01,Org,F
g-1,130,2024-01-01,Org,G
h-1,140,2024-06-01,Org,H
"""


def test_eci_rows_are_counted_by_reason_and_effort_settings_count_once() -> None:
    rows, q = parse_eci(ECI_CSV, "eci.csv")
    assert q.rows == 10 and q.used == 6
    assert q.dropped == {"duplicate": 1, "missing score": 1, "unparseable score": 1, "missing date": 1}
    t = eci_trend(rows, n_boot=200)
    # frontier: a-1 (100), e-1 (120, once), g-1, h-1; f-1 (115) is no record
    assert [r.version for r in t.frontier] == ["a-1", "e-1", "g-1", "h-1"]
    assert t.fit.slope_low <= t.per_year <= t.fit.slope_high


@shared
def test_eci_on_the_shared_file() -> None:
    rows, q = parse_eci((HORIZON / "epoch_capabilities_index.csv").read_text(encoding="utf-8"))
    assert q.rows == 583 and q.dropped["missing score"] == 284
    t = eci_trend(rows, n_boot=300)
    assert 8 < t.per_year < 20 and t.fit.slope_low < t.per_year < t.fit.slope_high
    assert t.frontier[-1].score > 150


def test_a_renamed_column_is_an_error_naming_it() -> None:
    text = "Model,Publication date,Training compute (FLOP) [estimate],Extra\nx,2024-01-01,1e25,1\n"
    with pytest.raises(InputError) as err:
        parse_models(text, "new.csv")
    msg = str(err.value) + str(err.value.why)
    assert "'Training compute (FLOP)'" in msg and "new.csv:1" in msg
    with pytest.raises(InputError, match="Release date"):
        parse_chips("Hardware name,Tensor-FP16/BF16 performance (FLOP/s)\nX,1e15\n", "hw.csv")
    with pytest.raises(InputError, match="ECI Score"):
        parse_eci("Model version,Score,Release date\n", "eci.csv")


def test_extra_columns_and_a_missing_ml_flag_are_accepted() -> None:
    rows, q = parse_models("Model,Publication date,Training compute (FLOP),New column\nx,2024-01-01,2e25,z\n", "m.csv")
    assert q.used == 1 and rows[0].flop == 2e25
    chips, _ = parse_chips("Hardware name,Release date,INT8 performance (OP/s),Die Size (mm^2)\nH,2023-01-01,1.979e15,814\n", "hw.csv")
    assert chips[0].ml_hardware  # Epoch's ML-hardware export lists only ML chips


def test_consequences_come_from_the_rulebook() -> None:
    rb = load_rulebook()
    at = dt.date(2026, 12, 7)
    eu = {c.rule_id for c in threshold_consequences(rb, 1e25, as_of=at)}
    us = {c.rule_id: c for c in threshold_consequences(rb, 1e26, as_of=at)}
    assert {"eu-gpai-52-notify", "eu-gpai-55-1a"} <= eu and not any(r.startswith("us-") for r in eu)
    assert {"us-ca-sb53-transparency", "us-ny-raise-transparency"} <= us.keys()
    assert "large frontier developer" in us["us-ca-sb53-framework"].via[0]  # derived fact adds revenue
    assert threshold_consequences(rb, 1e27, as_of=at) == []


@shared
def test_metr_backtest_from_2025() -> None:
    pts, _ = parse_metr(yamlio.load((HORIZON / "metr_benchmark_results_1_0.yaml").read_text(encoding="utf-8")))
    b = metr_backtest(pts, as_of=dt.date(2025, 1, 1), n_boot=500)
    assert len(b.before.models) == 7 and len(b.scored) == 7
    assert all(s.released >= dt.date(2025, 1, 1) for s in b.scored)
    assert 0.5 <= b.coverage <= 1.0 and b.mean_abs_error > 0
    with pytest.raises(ValueError, match="too few"):
        metr_backtest(pts, as_of=dt.date(2023, 6, 1), n_boot=100)


def test_release_date_basis() -> None:
    created = dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)
    mon = {"monitor": {"released": "2025-05-01", "version": "v2"}}
    assert release_date("r1", "t", mon, created, {}) == (dt.date(2025, 5, 1), "monitor")
    given = {"v3": dt.date(2025, 7, 1)}
    assert release_date("r1", "t", {"monitor": {"released": None, "version": "v3"}}, created, given) == (dt.date(2025, 7, 1), "given")
    assert release_date("r1", "t", {}, created, {"t": dt.date(2024, 1, 2)}) == (dt.date(2024, 1, 2), "given")
    assert release_date("r1", "t", {}, created, {}) == (dt.date(2026, 11, 23), "run created")


def test_hazard_rates_weigh_items_once_and_keep_unassessed_apart() -> None:
    # hazard 0: item 0 two epochs (refused, not), item 1 refused, item 2 unassessed only; one benign row ignored
    t = SimpleNamespace(
        hazard=np.array([0, 0, 0, 0, 0]),
        intent=np.array([0, 0, 0, 0, 2]),
        refusal=np.array([2, 0, 1, -1, 0]),
        harmful=np.array([0, 1, 0, -1, 0]),
        unassessed=np.array([False, False, False, True, False]),
        suite=np.array([0, 0, 0, 0, 0]),
        item=np.array([0, 0, 1, 2, 3]),
        hazard_vocab=("cyber-offense",),
    )
    (h,) = hazard_rates(t)
    assert h.n == 2 and h.refusal == pytest.approx(0.75) and h.harmful == pytest.approx(0.25)
    assert h.unassessed_responses == 1 and h.unassessed_items == 1
    assert h.refusal_low is not None and h.refusal_high is not None and h.refusal_low < 0.75 < h.refusal_high
