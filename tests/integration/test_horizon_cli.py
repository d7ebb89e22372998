"""``accord horizon`` end to end on the shared public files."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import DATASETS

pytestmark = pytest.mark.skipif(not (DATASETS / "horizon").is_dir(), reason="shared datasets not found")


def _accord(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ACCORD_DATA_DIR": str(DATASETS)}
    return subprocess.run(
        [sys.executable, "-m", "accord.cli.main", "horizon", *args, "--bootstrap", "300"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_report_json_has_every_section() -> None:
    out = _accord("report", "--format", "json", "--backtest", "2024-01-01")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert {"computeTrend", "crossings", "metr", "chips", "backtests", "dataQuality", "sources"} <= set(doc)
    assert doc["dataQuality"][0]["dropped"]["missing compute"] == 444
    assert [t["flop"] for t in doc["crossings"]["thresholds"]] == [1e25, 1e26]


def test_backtest_markdown_and_as_of() -> None:
    out = _accord("backtest", "--as-of", "2023-01-01")
    assert out.returncode == 0, out.stderr
    assert "Backtest from 2023-01-01 (26 months" in out.stdout
    trend = _accord("trend", "--as-of", "2020-01-01", "--json")
    assert json.loads(trend.stdout)["computeTrend"]["asOf"] == "2020-01-01"


def test_bad_date_is_an_input_error() -> None:
    out = _accord("metr", "--as-of", "yesterday")
    assert out.returncode != 0
    assert "expected YYYY-MM-DD" in out.stderr + out.stdout
