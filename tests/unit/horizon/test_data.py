"""Bad or partial rows are counted by reason, never silently dropped."""

from __future__ import annotations

import datetime as dt

from accord.horizon import parse_chips, parse_metr, parse_models
from accord.horizon._periods import quarter_label, quarters

CSV = """Model,Publication date,Training compute (FLOP),Organization
A,2023-01-05,1e24,X
B,not a date,1e25,Y
C,2023-02-01,,Z
A,2023-03-01,2e24,X
D,2023-04-01,-3,Z
E,2023-05-01,3e25,Z
"""


def test_models_count_every_dropped_row() -> None:
    rows, q = parse_models(CSV, "t.csv")
    assert [r.name for r in rows] == ["A", "E"]
    assert q.rows == 6 and q.used == 2
    assert q.dropped == {"unparseable date": 1, "missing compute": 2, "duplicate": 1}
    assert q.examples["duplicate"] == ("A",)


def test_metr_rows_without_a_date_or_horizon_are_counted() -> None:
    data = {
        "results": {
            "m1": {"release_date": "2024-01-01", "metrics": {"is_sota": True, "p50_horizon_length": {"estimate": 10}}},
            "m2": {"release_date": "soon", "metrics": {"p50_horizon_length": {"estimate": 10}}},
            "m3": {"release_date": "2024-02-01", "metrics": {}},
        }
    }
    points, q = parse_metr(data)
    assert [p.model for p in points] == ["m1"] and points[0].is_sota
    assert q.dropped == {"unparseable date": 1, "missing p50 horizon": 1}


def test_chips_without_throughput_are_counted() -> None:
    text = "\ufeffHardware name,Release date,INT8 performance (OP/s),Die Size (mm^2),ML hardware\nX,2022-01-01,1e15,800,checked\nY,2022-01-01,,,\n,,,,\n"
    chips, q = parse_chips(text)
    assert chips[0].tops == {"int8": 1000.0} and chips[0].ml_hardware
    assert q.dropped == {"no throughput figure": 1, "no name": 1}


def test_quarters_tile_the_window() -> None:
    qs = quarters(dt.date(2025, 2, 24), 24)
    assert qs[0] == (dt.date(2025, 2, 24), dt.date(2025, 4, 1))
    assert qs[-1][1] == dt.date(2027, 2, 24)
    assert all(a[1] == b[0] for a, b in zip(qs, qs[1:], strict=False))
    assert quarter_label(dt.date(2025, 4, 1), dt.date(2025, 7, 1)) == "2025Q2"
    assert len(quarters(dt.date(2023, 1, 1), 24)) == 8
