"""The main job on embedded defaults: real models' recorded responses, end to end.

Nothing here is made up: the targets are published transcripts of real models — XSTest v2's
five (GPT-4, Llama-2-70b-chat with and without its system prompt, Mistral-7B-Instruct with
and without its guardrail prompt) and the JailbreakBench artifacts' four models under every
attack method — replayed through the same runner, store, judge, frameworks and report as a
live model would be. XSTest's safe prompts give the over-refusal side, its unsafe prompts and
the jailbreak transcripts give the harmful-compliance side.

Every step is idempotent (fixed run ids; stored responses and labels are skipped), so a
second ``make demo`` re-uses the store and an interrupted one resumes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accord.errors import AccordError


@dataclass(frozen=True)
class DemoRun:
    run_id: str
    target: str
    suites: tuple[str, ...]
    label: str


@dataclass
class DemoResult:
    runs: list[DemoRun]
    report_path: Path
    verdicts_path: Path
    matrix: Any
    counts: dict[str, dict[str, int]] = field(default_factory=dict)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def plan_demo(data_dir: str | Path | None = None) -> list[DemoRun]:
    """One run per real model: XSTest's five, and each JailbreakBench model over every attack."""
    from accord.suites import jbb_artifacts, xstest_models

    runs = [DemoRun(f"demo-xstest-{_slug(m)}", f"replay:xstest/{m}", ("xstest",), f"xstest:{m}") for m in xstest_models(data_dir)]
    by_model: dict[str, list[str]] = {}
    for art in jbb_artifacts(data_dir):
        by_model.setdefault(art.model, []).append(art.name)
    for model, names in sorted(by_model.items()):
        runs.append(DemoRun(f"demo-jbb-{_slug(model)}", f"replay:jailbreakbench/*/{model}", tuple(sorted(names)), f"jbb:{model}"))
    if not runs:
        raise AccordError("no recorded transcripts found", fix="point ACCORD_DATA_DIR (or --data-dir) at the shared public datasets")
    return runs


def run_demo(
    *,
    db: str | None,
    out_dir: Path,
    data_dir: str | None = None,
    judge_name: str = "embedded",
    say: Callable[[str], None] = print,
) -> DemoResult:
    from accord.frameworks import deployment_matrix
    from accord.judges import get_judge
    from accord.pipeline._label import label
    from accord.pipeline._report import report_for_runs
    from accord.pipeline._run import run
    from accord.pipeline._score import score
    from accord.pipeline._spec import EngineLimits, RunSpec, TargetEntry
    from accord.report import render
    from accord.store import Store

    store = Store.open(db)
    plan = plan_demo(data_dir)
    judge = get_judge(judge_name)
    out_dir.mkdir(parents=True, exist_ok=True)
    verdicts: dict[str, list[Any]] = {}
    counts: dict[str, dict[str, int]] = {}
    say(f"store: {store.url}")
    for dr in plan:
        spec = RunSpec(run_id=dr.run_id, targets=[TargetEntry(spec=dr.target, name=dr.label)], suites=list(dr.suites), engine=EngineLimits(concurrency=64))
        run(spec, store, data_dir=data_dir)
        labelled = label(store, dr.run_id, judge)
        scored = score(store, dr.run_id, judge=judge.judge_id)
        verdicts[dr.label] = scored.verdicts
        c = store.response_counts(dr.run_id)
        counts[dr.run_id] = c
        waiting = f"; {scored.awaiting_review} await human review (accord judge review {dr.run_id})" if scored.awaiting_review else ""
        say(
            f"{dr.label:<26} {c['responses']:>4} responses, {c['errors']} errors; "
            f"{labelled.new} new labels, {labelled.unassessed} unassessed{waiting}"
        )
    matrix = deployment_matrix(verdicts)
    data = report_for_runs(
        store,
        [dr.run_id for dr in plan],
        judge=judge.judge_id,
        title="accord demo: published transcripts of real models under every framework",
    )
    report_path = out_dir / "report.html"
    report_path.write_text(render(data, "html"), encoding="utf-8")
    verdicts_path = out_dir / "verdicts.json"
    verdicts_path.write_text(
        json.dumps({rid: [v.model_dump(mode="json") for v in vs] for rid, vs in verdicts.items()}, indent=1, ensure_ascii=False),
        encoding="utf-8",
    )
    (out_dir / "report.md").write_text(render(data, "md"), encoding="utf-8")
    return DemoResult(runs=plan, report_path=report_path, verdicts_path=verdicts_path, matrix=matrix, counts=counts)
