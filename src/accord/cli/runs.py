"""``accord runs``: list, show, export and import stored runs (issue 18: Inspect AI, garak, promptfoo)."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from accord.cli._common import DbOption, JsonOption, console

app = typer.Typer(no_args_is_help=True)


def open_existing_store(db: str | None) -> Any:
    """The store, which must already exist: these commands only read, so a mistyped ``--db``
    is an error rather than a new, empty database, and the store is opened read-only (never
    created, migrated or written; readable on a read-only filesystem)."""
    from accord.pipeline import open_store

    return open_store(db, create=False, read_only=True)


class ExportFormat(str, Enum):
    jsonl = "jsonl"
    csv = "csv"
    inspect = "inspect"


@app.command("list")
def list_runs(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Every run in the store, newest first."""
    import json

    from rich.table import Table

    from accord.pipeline import target_name

    store = open_existing_store(db)
    runs = store.list_runs()
    rows = []
    for r in runs:
        c = store.response_counts(r.run_id)
        rows.append((r, c))
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        "run_id": r.run_id,
                        "created_at": r.created_at.isoformat(),
                        "status": r.status,
                        "target": r.target,
                        "target_name": target_name(r),
                        "suites": [s.suite_id for s in r.suites],
                        "expected": r.expected_responses,
                        **c,
                    }
                    for r, c in rows
                ]
            )
        )
        return
    table = Table(title=f"runs in {store.url}")
    # The run id is what a user copies into the next command: it is never cut or wrapped.
    widest = max((len(r.run_id) for r, _ in rows), default=3)
    table.add_column("run", no_wrap=True, overflow="ignore", min_width=widest)
    for col in ("created", "status", "target", "suites", "responses", "errors", "blocked"):
        table.add_column(col, overflow="fold")
    for r, c in rows:
        table.add_row(
            r.run_id,
            r.created_at.strftime("%Y-%m-%d %H:%M"),
            r.status,
            target_name(r),
            ", ".join(s.suite_id for s in r.suites),
            f"{c['responses']}/{r.expected_responses}",
            str(c["errors"]),
            str(c["blocked"]),
        )
    con = console()
    if not con.is_terminal:  # a pipe or a log: no terminal width to fit, so nothing is squeezed
        from rich.console import Console

        con = Console(width=max(120, widest + 100), highlight=False)
    con.print(table)


@app.command("show")
def show(
    run_id: Annotated[str, typer.Argument(help="Run id.")],
    db: DbOption = None,
    as_json: JsonOption = False,
    spec_only: Annotated[bool, typer.Option("--spec", help="Print only the run spec, as YAML that `accord run -c` accepts.")] = False,
) -> None:
    """Counts, errors by kind, target, suite digests, judges and the run spec of one run."""
    import json

    from rich.table import Table

    from accord.pipeline import stored_spec, target_name

    store = open_existing_store(db)
    run = store.require_run(run_id)
    spec = stored_spec(store, run_id)
    if spec_only:
        if spec is None:
            from accord.errors import AccordError

            raise AccordError(f"run '{run_id}' has no stored spec", why="it was stored by an accord version before run specs")
        typer.echo(spec.to_yaml(), nl=False)
        return
    counts = store.response_counts(run_id)
    errors = store.error_counts(run_id)
    judges = store.judges_for_run(run_id)
    if as_json:
        payload = run.model_dump(mode="json")
        payload.update(
            target_name=target_name(run),
            counts=counts,
            errors_by_kind=errors,
            judges=[{"judge_id": j, "version": v, "labels": n} for j, v, n in judges],
            spec=spec.model_dump(mode="json") if spec else None,
        )
        typer.echo(json.dumps(payload))
        return
    con = console()
    con.print(f"{run.run_id}  status={run.status}  created={run.created_at.isoformat(timespec='seconds')}", markup=False)
    con.print(f"target  {target_name(run)}  ({run.target})\ndigest  {run.target_digest}", markup=False)
    con.print(f"epochs  {run.epochs}   params {run.params}", markup=False)
    suites = Table("suite", "items", "digest", title="suites")
    for s in run.suites:
        suites.add_row(s.suite_id, str(s.n_items), s.digest)
    con.print(suites)
    con.print(
        f"responses {counts['responses']}/{run.expected_responses}  ok {counts['ok']}  blocked {counts['blocked']}  "
        f"errors {counts['errors']}  cached {counts['cached']}  retries {counts['retries']}"
    )
    if errors:
        et = Table("error kind", "count", title="errors (unassessed)")
        for k, n in errors.items():
            et.add_row(k, str(n))
        con.print(et)
    if judges:
        jt = Table("judge", "version", "labels", title="labels")
        for j, v, n in judges:
            jt.add_row(j, v, str(n))
        con.print(jt)
    if spec is not None:
        con.print("run spec (re-create with `accord runs show RUN --spec > eval.yaml && accord run -c eval.yaml`):")
        con.print(spec.to_yaml(), markup=False)


@app.command("export")
def export(
    run_id: Annotated[str, typer.Argument(help="Run id.")],
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="jsonl or csv.")] = ExportFormat.jsonl,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")] = None,
    db: DbOption = None,
) -> None:
    """One record per stored response (with its labels), as JSONL or CSV; or the run as an
    Inspect AI log (``--format inspect -o FILE.eval``) that ``inspect view`` opens."""
    from accord.pipeline import export_run

    store = open_existing_store(db)
    store.require_run(run_id)
    if fmt is ExportFormat.inspect:
        from accord.errors import InputError
        from accord.pipeline import export_inspect

        if output is None or output.suffix not in (".eval", ".json"):
            raise InputError("--format inspect writes a log file", field="--output", expected="-o FILE.eval (or FILE.json)", got=str(output) if output else None)
        tmp = output.with_name(output.name + ".part" + output.suffix)
        n = export_inspect(store, run_id, str(tmp))
        tmp.replace(output)
        typer.echo(f"wrote {n} samples to {output} (open it with: inspect view --log-dir {output.parent})", err=True)
        return
    if output is None:
        export_run(store, run_id, fmt.value, sys.stdout)
        return
    tmp = output.with_name(output.name + ".part")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        n = export_run(store, run_id, fmt.value, fh)
    tmp.replace(output)
    typer.echo(f"wrote {n} records to {output}", err=True)


@app.command("import")
def import_(
    kind: Annotated[str, typer.Argument(help="What wrote the logs: inspect, garak, promptfoo (or a plugin's importer).")],
    paths: Annotated[list[str], typer.Argument(help="Log files or directories.")],
    hazard: Annotated[
        str, typer.Option("--hazard", help="Hazard id for samples whose metadata names none (a canonical id, see accord packs crosswalk).")
    ] = "benign",
    intent: Annotated[
        str, typer.Option("--intent", help="Intent for samples whose metadata names none: harmful, contested or benign.")
    ] = "benign",
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Make accord runs of logs other tools wrote: one run per task x model (Inspect), report
    (garak) or eval (promptfoo), with the tool's own scores as a labelled judge (``<tool>:<scorer>``).

    Each run is written in one transaction (a bad file imports nothing) and re-importing the
    same file changes nothing. Then ``accord judge``, ``score``, ``report`` and ``attest`` work
    on it as on any run."""
    import json

    from accord.cli._common import open_store
    from accord.errors import InputError
    from accord.pipeline import import_logs, importers

    found = importers()
    if kind not in found:
        raise InputError(f"unknown importer {kind!r}", field="KIND", expected=", ".join(sorted(found)))
    if intent not in ("harmful", "contested", "benign"):
        raise InputError(f"bad intent {intent!r}", field="--intent", expected="harmful, contested or benign")
    from accord.taxonomy import hazard_ids

    if hazard not in hazard_ids() and hazard != "benign":
        raise InputError(f"unknown hazard {hazard!r}", field="--hazard", expected="a canonical hazard id (accord packs crosswalk)")
    store = open_store(db, create=True)
    try:
        summaries = import_logs(store, found[kind](list(paths), hazard=hazard, intent=intent))
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps([s.to_dict() for s in summaries], ensure_ascii=False))
        return
    con = console()
    for s in summaries:
        what = "imported" if s.written else "already imported (unchanged)"
        judges = ", ".join(s.judges) or "none"
        con.print(
            f"{s.run_id}: {what} from {s.source}: {s.items} items, {s.responses} responses ({s.errors} errors), "
            f"{s.labels} labels by {judges}",
            markup=False,
        )
    if summaries:
        con.print(f"next: accord judge run {summaries[0].run_id} && accord score {summaries[0].run_id} --judge embedded", markup=False)
