"""The README's main job, end to end on the shared public transcripts (no made-up responses)."""

from __future__ import annotations

from pathlib import Path

from accord.pipeline import plan_demo, run_demo
from accord.store import Store


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

    # a second demo re-uses everything: nothing re-sent, nothing re-labelled
    again: list[str] = []
    run_demo(db=db, out_dir=tmp_path / "out", data_dir=str(datasets_dir), say=again.append)
    assert all("0 new labels" in line for line in again[1:])
