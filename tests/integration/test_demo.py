"""The README's main job, end to end on the shared public transcripts (no made-up responses).

The demo's report is the page a new user opens first (issue 16): it must stay under 300 KB
for its nine targets, and at 1,400 px wide its first per-target section must start within
1,800 px (the summary, matrix and findings fit about one screen). Both are measured on the
real file: bytes on disk, and ``getBoundingClientRect`` in headless Chromium.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from accord.pipeline import plan_demo, run_demo
from accord.store import Store
from tests.support.browser import chromium_path, console, report_metrics

MAX_BYTES = 300_000
MAX_FIRST_DETAILS_TOP = 1_800


def test_demo_runs_judges_scores_and_reports_then_resumes_idempotently(datasets_dir: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    lines: list[str] = []
    result = run_demo(db=db, out_dir=tmp_path / "out", data_dir=str(datasets_dir), say=lines.append)

    plan = plan_demo(datasets_dir)
    assert len(plan) == 9  # XSTest's five models + JailbreakBench's four
    assert result.matrix.targets == [r.label for r in plan]
    assert {"EU", "CN", "US"} <= set(result.matrix.jurisdictions)
    store = Store.open(db)
    for dr in plan:
        counts = store.response_counts(dr.run_id)
        assert counts["responses"] == store.require_run(dr.run_id).expected_responses
        assert store.judges_for_run(dr.run_id)[0][0] == "embedded"
    # XSTest: 306 prompts per model, each answered once
    assert store.response_counts("demo-xstest-gpt4")["responses"] == 306
    html = result.report_path.read_text(encoding="utf-8")
    assert 'id="deployment-matrix"' in html and "<script src=" not in html
    _check_the_page(result.report_path, html, len(plan))

    # a second demo re-uses everything: nothing re-sent, nothing re-labelled
    again: list[str] = []
    run_demo(db=db, out_dir=tmp_path / "out", data_dir=str(datasets_dir), say=again.append)
    assert all("0 new labels" in line for line in again[1:])


def _check_the_page(page: Path, html: str, targets: int) -> None:
    """Size, one closed section per target, and (with Chromium) where the first one starts."""
    size = page.stat().st_size
    assert size < MAX_BYTES, f"the demo report is {size} bytes (limit {MAX_BYTES})"
    assert len(re.findall(r'<details class="target" id="', html)) == targets
    if chromium_path() is None and not os.environ.get("CI"):
        return  # no browser here: the layout is measured where Chromium is (CI must have it)
    metrics = report_metrics(page, width=1400)
    assert metrics["first_details_top"] is not None and metrics["first_details_top"] <= MAX_FIRST_DETAILS_TOP, metrics
    assert metrics["resources"] == [] and console(page) == []
