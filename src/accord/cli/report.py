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
    runs: Annotated[list[str] | None, typer.Argument(metavar="RUN...", help="Run ids, one per target (model).")] = None,
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
    history: Annotated[
        str | None,
        typer.Option(
            "--history",
            metavar="TARGET",
            help="Instead of RUNs: TARGET's history over its stored runs (a monitor target's name, a target spec or a run's target name).",
        ),
    ] = None,
    monitor: Annotated[str | None, typer.Option("--monitor", help="With --history: only this monitor's runs.")] = None,
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

    if history is not None or monitor is not None:
        _history(runs, history, monitor, pack, judge, fmt, output, title, db, as_json, fail_on, items, include_responses)
        return
    if not runs:
        from accord.errors import InputError

        raise InputError("no run given", field="RUN", expected="one or more run ids, or --history TARGET")
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


def _history(
    runs: list[str] | None,
    target: str | None,
    monitor: str | None,
    pack: list[str] | None,
    judge: str | None,
    fmt: ReportFormat,
    output: Path | None,
    title: str | None,
    db: str | None,
    as_json: bool,
    fail_on: Any,
    items: Path | None,
    include_responses: bool,
) -> None:
    """``accord report --history TARGET``: the target's runs over time (``accord.pipeline._history``)."""
    import json

    from accord.cli._common import err_console, open_store
    from accord.errors import InputError
    from accord.pipeline import history_for_target, render_history

    if target is None:
        raise InputError("--monitor goes with --history TARGET", field="--monitor")
    if runs:
        raise InputError("--history takes no RUN arguments: it reads every stored run of the target", field="RUN", got=" ".join(runs)[:80])
    for flag, given in (("--fail-on", fail_on), ("--items", items), ("--include-responses", include_responses)):
        if given:
            raise InputError(f"{flag} does not apply to --history", field=flag)
    store = open_store(db)
    data = history_for_target(store, target, monitor=monitor, packs=pack, judge=judge, title=title)
    text = render_history(data, fmt.value)
    if output is None and fmt is not ReportFormat.html and not as_json:
        typer.echo(text, nl=False)
        return
    slug = "".join(c if c.isalnum() or c in "-_." else "-" for c in target)[:60].strip("-.") or "target"
    path = output or Path(f"history-{slug}.{fmt.value}")
    if path.is_dir():
        raise InputError("-o names a directory", field="-o", expected="a file path, e.g. out/history.html", got=str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    runs_n = sum(len(t.points) for t in data.targets)
    regressions = sum(t.regressions for t in data.targets)
    changes = sum(t.version_changes for t in data.targets)
    if as_json:
        summary = {"path": str(path), "format": fmt.value, "bytes": len(text.encode()), "target": target, "monitor": monitor,
                   "judge_id": data.judge_id, "targets": [t.target for t in data.targets], "runs": runs_n,
                   "version_changes": changes, "regressions": regressions}  # fmt: skip
        typer.echo(json.dumps(summary, ensure_ascii=False))
    else:
        err_console().print(
            f"wrote {path} ({fmt.value}, {len(text):,} bytes): history of {', '.join(t.target for t in data.targets)}: "
            f"{runs_n} run(s), {changes} version change(s), {regressions} run(s) with a regression; judge {data.judge_id}",
            markup=False,
        )
