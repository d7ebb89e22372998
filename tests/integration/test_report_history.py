"""``accord report --history TARGET``: a target's runs over time from a real SQLite store (issue 23).

Three monitor runs of one target (``model-x``) across two versions: two clean runs of v1 and
one of v2 with a confirmed floor violation, whose ``monitor-compare`` artifact is a real
``compare_runs`` of it against the last v1 run. An ordinary run of another model shares the
store and must stay out of the history.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from accord.cli.main import app
from tests.unit.report._data import PLAN, populate

runner = CliRunner()
SPEC = "openai:http://127.0.0.1:9/v1#model-x"
RUNS = (
    ("mon-w-model-x-20261102T0000Z", "v1", datetime(2026, 11, 2, tzinfo=UTC), False),
    ("mon-w-model-x-20261109T0000Z", "v1", datetime(2026, 11, 9, tzinfo=UTC), False),
    ("mon-w-model-x-20261116T0000Z", "v2", datetime(2026, 11, 16, tzinfo=UTC), True),
)


def _monitor_meta(version: str, cycle: datetime) -> dict[str, Any]:
    released = "2026-11-10" if version == "v2" else "2026-10-01"
    return {
        "monitor": {
            "name": "weekly",
            "target": "model-x",
            "version": version,
            "released": released,
            "cycle": cycle.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    }


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    from accord.pipeline import compare_runs
    from accord.store import Store

    url = f"sqlite:///{tmp_path_factory.mktemp('history') / 'h.db'}"
    store = Store.open(url)
    for run_id, version, when, violation in RUNS:
        populate(store, run_id, SPEC, violation=violation, meta=_monitor_meta(version, when), created=when.replace(hour=3))
    populate(store, "other", "openai:http://127.0.0.1:9/v1#model-y", violation=False, created=datetime(2026, 11, 5, tzinfo=UTC))
    cmp = compare_runs(store, RUNS[1][0], RUNS[2][0])
    store.put_artifact(RUNS[2][0], "monitor-compare", "baseline", {**cmp.to_dict(), "baseline_run_id": RUNS[1][0]})
    store.close()
    return url


def _counts() -> dict[str, int]:
    harmful = sum(c for _h, intent, _l, c in PLAN if intent == "harmful")
    contested = sum(c for _h, intent, _l, c in PLAN if intent == "contested")
    benign = sum(c for _h, intent, _l, c in PLAN if intent == "benign")
    return {"harmful": harmful, "contested": contested, "benign": benign}


def test_history_json_orders_runs_marks_the_version_change_and_the_regression(db: str) -> None:
    res = runner.invoke(app, ["report", "--history", "model-x", "--db", db, "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["kind"] == "target-history" and doc["judge_id"] == "embedded"
    assert [t["target"] for t in doc["targets"]] == ["model-x"]  # the other model's run stays out
    t = doc["targets"][0]
    assert t["monitors"] == ["weekly"] and t["specs"] == [SPEC]
    pts = t["points"]
    assert [p["run_id"] for p in pts] == [r[0] for r in RUNS]  # oldest first
    assert [p["version"] for p in pts] == ["v1", "v1", "v2"] and {p["version_source"] for p in pts} == {"monitor"}
    assert pts[0]["at"].startswith("2026-11-02T00:00")  # the cycle's start, not the run's creation time
    assert [p["version_changed"] for p in pts] == [False, False, True] and pts[2]["previous_version"] == "v1"
    assert t["version_changes"] == 1 and t["versions"] == ["v1", "v2"] and pts[2]["released"] == "2026-11-10"

    n = _counts()
    clean, dirty = pts[1], pts[2]
    # harmful compliance over distinct harmful items; the one violation is counted, n is items
    assert (clean["harmful_compliance"]["k"], clean["harmful_compliance"]["n"]) == (0, n["harmful"])
    assert (dirty["harmful_compliance"]["k"], dirty["harmful_compliance"]["n"]) == (1, n["harmful"])
    lo, hi = dirty["harmful_compliance"]["low"], dirty["harmful_compliance"]["high"]
    assert 0 < lo < 1 / n["harmful"] < hi < 0.01
    # refusal over harmful + contested items: every harmful item refused but the violation
    assert (dirty["refusal"]["k"], dirty["refusal"]["n"]) == (n["harmful"] - 1, n["harmful"] + n["contested"])
    # two benign answers failed (timeouts): unassessed, out of n, never counted as refused or safe
    over = clean["over_refusal"]
    assert (over["k"], over["n"], over["unassessed"]) == (0, n["benign"] - 2, 2)
    cyber = next(h for h in dirty["hazards"] if h["hazard"] == "cyber-offense")
    assert cyber["harmful_compliance"]["k"] == 1 and cyber["over_refusal"]["n"] == 4

    assert clean["floor"] == "pass" and dirty["floor"] == "fail" and dirty["decision"] == "blocked"
    assert {v["decision"] for v in dirty["verdicts"]} == {"blocked"}
    # the stored comparison against the last v1 run: its regressions, not recomputed
    assert pts[0]["compare"] is None and pts[1]["compare"] is None
    cmp = dirty["compare"]
    assert cmp["baseline_run_id"] == RUNS[1][0] and cmp["tests"] > 0
    assert cmp["regression"] is bool(cmp["regressions"])
    assert t["regressions"] == (1 if cmp["regression"] else 0)


def test_history_html_and_markdown(db: str, tmp_path: Path) -> None:
    out = tmp_path / "h.html"
    res = runner.invoke(app, ["report", "--history", "model-x", "--monitor", "weekly", "--db", db, "-o", str(out), "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["runs"] == 3 and summary["version_changes"] == 1 and summary["format"] == "html"
    page = out.read_text()
    assert page.count('<tr data-run="mon-w-model-x-') >= 3
    assert re.search(r'<tr data-run="mon-w-model-x-20261116T0000Z" data-version="v2" class="version-changed', page)
    assert 'class="band"' in page and 'class="version-mark"' in page  # interval bands, the version line
    assert "http://" not in page.split("<body>", 1)[1].replace(SPEC, "")  # nothing outside but the spec itself
    md = runner.invoke(app, ["report", "--history", SPEC, "--db", db, "--format", "md"])
    assert md.exit_code == 0, md.output
    assert "version changed from v1" in md.stdout and "| Date (UTC) | Version |" in md.stdout
    assert "0/8, 2 unassessed" in md.stdout  # over-refusal: n and the unassessed apart


def _error(args: list[str]) -> str:
    """The error an invocation ends with (the CLI's handler prints it; the runner keeps it)."""
    res = runner.invoke(app, args)
    assert res.exit_code != 0, res.output
    return res.output + str(res.exception)


def test_history_refuses_what_it_cannot_show(db: str) -> None:
    assert "no stored run of target 'no-such-model'" in _error(["report", "--history", "no-such-model", "--db", db, "--format", "json"])
    assert "by monitor 'daily'" in _error(["report", "--history", "model-x", "--monitor", "daily", "--db", db, "--format", "json"])
    assert "takes no RUN" in _error(["report", "--history", "model-x", RUNS[0][0], "--db", db])
    assert "control character" in _error(["report", "--history", "bad\x01name", "--db", db])
    assert "no run given" in _error(["report", "--db", db])


def test_the_reports_timeline_uses_the_monitor_target_and_versions(db: str) -> None:
    res = runner.invoke(app, ["report", *(r[0] for r in RUNS), "--db", db, "--format", "json"])
    assert res.exit_code == 0, res.output
    charts = json.loads(res.stdout)["charts"]
    assert list(charts["timeline"]) == ["model-x"]
    assert [p["label"] for p in charts["timeline"]["model-x"]] == ["v1", "v1", "v2"]
