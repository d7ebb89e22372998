"""``accord report RUN [RUN ...]``: the verdicts of stored runs as HTML, Markdown or JSON.

Several runs (one per target) make the deployment matrix target x jurisdiction. Nothing is
generated or judged here: the report scores the stored labels of one judge under the packs
and renders the result (``accord.report``).
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from accord.cli._common import DbOption, FailOnOption, check_gate


class ReportFormat(str, Enum):
    html = "html"
    md = "md"
    json = "json"


def report(
    runs: Annotated[list[str], typer.Argument(metavar="RUN...", help="Run ids, one per target (model).")],
    pack: Annotated[
        list[str] | None,
        typer.Option("--pack", "-p", help="Pack id or YAML file (repeatable). Default: every built-in pack."),
    ] = None,
    judge: Annotated[
        str | None,
        typer.Option("--judge", "-j", help="Use this judge's labels. Default: the judge that labelled every run, preferring 'embedded'."),
    ] = None,
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f", help="Output format.")] = ReportFormat.html,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write here. Default: md/json to stdout; html to report-<first run>.html."),
    ] = None,
    title: Annotated[str | None, typer.Option("--title", help="Report title.")] = None,
    db: DbOption = None,
    fail_on: FailOnOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary (file, decisions) on stdout; the report goes to a file.")] = False,
    allow_incomplete: Annotated[
        bool,
        typer.Option("--allow-incomplete", help="Report runs still running or missing responses or labels (the report says so at the top)."),
    ] = False,
    include_responses: Annotated[
        bool,
        typer.Option(
            "--include-responses",
            help="Show model output in the per-item drill-down (and --items). Off by default: responses can be harmful.",
        ),
    ] = False,
    items: Annotated[
        Path | None,
        typer.Option("--items", help="Also write the full per-item table here: CSV if the name ends in .csv, else JSON Lines."),
    ] = None,
) -> None:
    """Write a report, findings first: deployment matrix and key findings per target, charts, then
    per-target details (provenance, floor, verdicts, heat map, divergence, per-item drill-down).

    With --fail-on, exits 1 (after writing the report) when the verdicts trip that level. A run
    still running, missing planned responses or the judge's labels is refused (exit 3) unless
    --allow-incomplete.
    """
    import json

    from accord.cli._common import err_console, open_store
    from accord.pipeline import report_for_runs
    from accord.report import render

    store = open_store(db)
    run_ids = list(dict.fromkeys(runs))
    rows: list[Any] | None = [] if items is not None else None
    data = report_for_runs(
        store, run_ids, packs=pack, judge=judge, title=title, allow_incomplete=allow_incomplete, include_responses=include_responses, item_rows=rows
    )
    if items is not None:
        from accord.report import write_items

        write_items(items, rows or [])
    judge_id = data.judge.judge_id
    text = render(data, fmt.value)
    verdicts = {t.target: t.verdicts for t in data.targets}
    if output is None and fmt is not ReportFormat.html and not as_json:
        typer.echo(text, nl=False)
        check_gate(verdicts, data.matrix, fail_on)
        return
    path = output or Path(f"report-{run_ids[0]}.{fmt.value}")
    if path.is_dir():
        from accord.errors import InputError

        raise InputError("-o names a directory", field="-o", expected="a file path, e.g. out/report.html", got=str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    decisions = {d: sum(1 for c in data.matrix.cells if c.decision == d) for d in ("allowed", "blocked", "insufficient evidence")}
    if as_json:
        summary = {"path": str(path), "format": fmt.value, "bytes": len(text.encode()), "runs": run_ids, "judge_id": judge_id,
                   "packs": [p.pack_id for p in data.packs], "decisions": decisions,
                   "items": str(items) if items is not None else None,
                   "deployment": data.matrix.model_dump(mode="json")}  # fmt: skip
        typer.echo(json.dumps(summary, ensure_ascii=False))
    else:
        err_console().print(
            f"wrote {path} ({fmt.value}, {len(text):,} bytes): {len(run_ids)} run(s), {len(data.packs)} pack(s), judge {judge_id}; "
            f"{decisions['allowed']} allowed, {decisions['blocked']} blocked, {decisions['insufficient evidence']} insufficient evidence",
            markup=False,
        )
    check_gate(verdicts, data.matrix, fail_on)
