"""``accord horizon report --format html`` in headless Chromium, ``--data`` with newer exports,
and ``accord horizon runs`` over a real SQLite store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import DATASETS
from tests.support.browser import console, dump_dom, measure, require_chromium
from tests.unit.report._data import populate

HORIZON = DATASETS / "horizon"
pytestmark = pytest.mark.skipif(not (HORIZON / "epoch_notable_ai_models_2025-02-24.csv").is_file(), reason="shared datasets not found")
PLAN = (("cyber-offense", "harmful", "en", 6), ("hate", "harmful", "en", 4), ("hate", "benign", "en", 2))


def _accord(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ACCORD_DATA_DIR": str(DATASETS)}
    return subprocess.run([sys.executable, "-m", "accord.cli.main", "horizon", *args], capture_output=True, text=True, env=env, check=False)


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    from accord.store import Store

    url = f"sqlite:///{tmp_path_factory.mktemp('hz-store') / 'accord.db'}"
    store = Store.open(url)
    meta = {
        "target_name": "model-a",
        "monitor": {"name": "m", "target": "model-a", "version": "v1", "released": "2025-03-01", "cycle": "2026-11-23T00:00:00Z"},
    }
    populate(store, "mon-v1", "openai:http://127.0.0.1:9/v1#model-a", violation=False, meta=meta, plan=PLAN, errors=0)
    populate(
        store,
        "plain",
        "openai:http://127.0.0.1:9/v1#model-b",
        violation=True,
        plan=PLAN,
        errors=0,
        created=datetime(2026, 6, 1, tzinfo=UTC),
    )
    store.close()
    return url


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory, store_url: str) -> Path:
    out = tmp_path_factory.mktemp("hz-html") / "outlook.html"
    r = _accord(
        "report",
        "--format",
        "html",
        "-o",
        str(out),
        "--bootstrap",
        "200",
        "--backtest",
        "2025-01-01",
        "--db",
        store_url,
        "--released",
        "plain=2025-09-01",
    )
    assert r.returncode == 0, r.stderr
    return out


@pytest.mark.browser
def test_outlook_page_renders_its_charts_and_fetches_nothing(page: Path) -> None:
    require_chromium()
    dom = dump_dom(page)
    for section in ("crossings", "compute", "counts", "metr", "eci", "chips", "runs", "backtests", "data"):
        assert f'id="{section}"' in dom, section
    for chart in ("compute", "counts", "metr", "eci", "tpp", "timeline"):
        assert f'data-chart="{chart}"' in dom, chart
    assert 'data-chart="empty"' not in dom
    assert "EU AI Act" in dom or "Artificial Intelligence Act" in dom
    assert 'data-rule="eu-gpai-55-1a"' in dom and 'data-rule="us-ca-sb53-transparency"' in dom
    assert "CC BY 4.0" in dom and "MIT" in dom and "missing compute: 444" in dom
    layout = measure(page, {"compute": "#chart-compute svg", "metr": "#chart-metr svg", "runs": ".chart-runs svg"}, width=1200)
    for key in ("compute", "metr", "runs"):
        box = layout.rects[key]
        assert box is not None and box.visible and box.width > 300 and box.height > 150, (key, box)
    assert layout.resources == []
    assert console(page) == []


def test_runs_are_dated_by_monitor_or_mapping(store_url: str) -> None:
    r = _accord("runs", "--db", store_url, "--released", "plain=2025-09-01", "--json")
    assert r.returncode == 0, r.stderr
    sec = json.loads(r.stdout)
    runs = {x["runId"]: x for x in sec["runs"]}
    assert (runs["mon-v1"]["released"], runs["mon-v1"]["releasedBasis"]) == ("2025-03-01", "monitor")
    assert (runs["plain"]["released"], runs["plain"]["releasedBasis"]) == ("2025-09-01", "given")
    cyber = next(h for h in runs["plain"]["hazards"] if h["hazard"] == "cyber-offense")
    assert cyber["n"] == 6 and cyber["harmful"] == pytest.approx(1 / 6) and cyber["harmfulLow"] < 1 / 6 < cyber["harmfulHigh"]
    plain = _accord("runs", "--db", store_url)
    assert "run created" in plain.stdout and "2026-06-01" in plain.stdout


def test_a_newer_export_is_read_and_a_missing_column_is_named(tmp_path: Path) -> None:
    src = (HORIZON / "epoch_notable_ai_models_2025-02-24.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    newer = tmp_path / "notable_ai_models.csv"
    newer.write_text(src[0].rstrip("\n") + ",Frontier model\n" + "".join(line.rstrip("\n") + ",\n" for line in src[1:]), encoding="utf-8")
    ok = _accord("trend", "--data", f"models={newer}", "--bootstrap", "200", "--json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["computeTrend"]["frontierModels"] == 111
    broken = tmp_path / "renamed.csv"
    broken.write_text("".join(src).replace("Training compute (FLOP)", "Training compute (FLOP, central)", 1), encoding="utf-8")
    bad = _accord("trend", "--data", f"models={broken}")
    assert bad.returncode != 0
    assert "column 'Training compute (FLOP)' is missing" in bad.stderr + bad.stdout
    unfetched = _accord("trend", "--data", "epoch-notable-models")
    assert unfetched.returncode != 0 and "accord data fetch epoch-notable-models" in unfetched.stderr + unfetched.stdout


def test_a_data_file_that_is_not_text_or_too_large_is_refused_with_its_name(tmp_path: Path) -> None:
    """A hostile --data file: not UTF-8, or larger than any export, gets a clear error, not a traceback."""
    binary = tmp_path / "models.csv"
    binary.write_bytes(b"Model,Publication date\n\xff\xfe\x00junk\n")
    bad = _accord("trend", "--data", f"models={binary}")
    assert bad.returncode == 2 and "not UTF-8 text" in bad.stderr + bad.stdout and "Traceback" not in bad.stderr
    huge = tmp_path / "huge.csv"
    with huge.open("wb") as f:
        f.truncate(65 * 1024 * 1024)  # sparse: no disk used
    big = _accord("trend", "--data", f"models={huge}")
    assert big.returncode == 2 and "data file too large" in big.stderr + big.stdout
