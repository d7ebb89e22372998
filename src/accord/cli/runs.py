"""``accord runs``: list, show and export stored runs."""

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
    """One record per stored response (with its labels), as JSONL or CSV."""
    from accord.pipeline import export_run

    store = open_existing_store(db)
    store.require_run(run_id)
    if output is None:
        export_run(store, run_id, fmt.value, sys.stdout)
        return
    tmp = output.with_name(output.name + ".part")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        n = export_run(store, run_id, fmt.value, fh)
    tmp.replace(output)
    typer.echo(f"wrote {n} records to {output}", err=True)
