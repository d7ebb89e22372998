"""``accord monitor``: re-evaluate targets on a schedule and catch regressions between cycles.

``run-due FILE`` runs what is due now (for cron or a systemd timer) and exits; ``daemon FILE``
keeps doing so at each cycle boundary; ``status FILE`` says where each target stands;
``check FILE`` validates the file. Everything is derived from the store (docs/monitor.md).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from accord.cli._common import DataDirOption, DbOption, JsonOption

app = typer.Typer(no_args_is_help=True, help="Continuous monitoring: run what is due on a schedule, compare with the last run, alert.")

FileArg = Annotated[Path, typer.Argument(metavar="FILE", help="Monitor file (YAML, docs/monitor.md).", dir_okay=False)]
SigningKeyOption = Annotated[
    str | None,
    typer.Option(
        "--signing-key",
        help="Private key that signs webhook alerts (default: the file's alerts.signing_key, ACCORD_SIGNING_KEY, then accord keys init's).",
    ),
]
NowOption = Annotated[
    str | None, typer.Option("--now", help="Act as if it were this time (RFC 3339, e.g. 2026-12-07T00:00:00Z): for tests and replays.")
]


def _now(value: str | None) -> Any:
    from datetime import datetime

    from accord.errors import InputError

    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InputError("not a time", field="--now", expected="RFC 3339 with a time zone, e.g. 2026-12-07T00:00:00Z", got=value) from None
    if moment.tzinfo is None:
        raise InputError("a time without a time zone is ambiguous", field="--now", expected="e.g. 2026-12-07T00:00:00Z", got=value)
    return moment


def _print_pass(result: Any) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    con = Console(stderr=False)
    table = Table(
        "target",
        "cycle",
        "run id",
        "action",
        "status",
        "responses",
        "version",
        "regression?",
        "alerts",
        title=f"monitor {result.monitor} at {result.now}",
    )
    for t in result.targets:
        reg = "n/a (first run)" if t.regression is None and t.status == "complete" and not t.baseline_run_id else (
            "-" if t.regression is None else ("[red]REGRESSION[/]" if t.regression else "no")
        )  # fmt: skip
        alerts = ", ".join(f"{a['sink']}: {a['status']}" for a in t.alerts) or "-"
        table.add_row(
            escape(t.target), t.cycle or "-", escape(t.run_id or "-"), t.action, t.status,
            f"{t.responses}/{t.expected}" if t.expected else "-", escape(str(t.version or "-")), reg, escape(alerts),
        )  # fmt: skip
    con.print(table)
    for t in result.targets:
        if t.superseded:
            con.print(f"{escape(t.target)}: superseded (never run again): {escape(', '.join(t.superseded))}")
        if t.missed:
            con.print(f"{escape(t.target)}: {t.missed} cycle(s) missed since its last run")
        if t.baseline_run_id:
            con.print(
                f"{escape(t.target)}: compared with {escape(t.baseline_run_id)} (accord compare {escape(t.baseline_run_id)} {escape(t.run_id or '')})"
            )
        for note in t.notes:
            con.print(f"[yellow]note[/]: {escape(note)}")
        if t.error:
            sys.stderr.write(f"error: {t.target}: {t.error}\n")
    if result.interrupted:
        sys.stderr.write("interrupted: the run is left resumable; the next run-due (or daemon) resumes it\n")


@app.command("run-due")
def run_due(
    file: FileArg,
    db: DbOption = None,
    data_dir: DataDirOption = None,
    now: NowOption = None,
    signing_key: SigningKeyOption = None,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No progress display while a run is sent.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Run what is due now for every target of FILE, then exit (for cron or a systemd timer).

    Starts the current cycle's run, resumes it if it was interrupted, or does nothing if it is
    complete; a completed run is judged, scored, compared with the target's previous run and
    alerted on. Idempotent: two calls at once share the run. Exit codes: 0 nothing wrong,
    1 a regression was found, 2 bad input, 3 a due run is incomplete (target unreachable or
    mostly errors; the next call resumes it), 130 interrupted.
    """
    from accord.cli._common import open_store
    from accord.pipeline import load_monitor, want_progress
    from accord.pipeline import run_due as run_due_job

    mon = load_monitor(file)
    moment = _now(now)
    store = open_store(db, create=True)
    try:
        result = run_due_job(mon, store, now=moment, data_dir=data_dir, signing_key=signing_key, progress=want_progress(no_progress))
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
    else:
        _print_pass(result)
    if result.exit_code:
        raise typer.Exit(result.exit_code)


@app.command("daemon")
def daemon(
    file: FileArg,
    db: DbOption = None,
    data_dir: DataDirOption = None,
    poll: Annotated[
        str | None,
        typer.Option("--poll", help="Also check this often (e.g. 5m), not only at cycle boundaries: picks up runs another process left."),
    ] = None,
    signing_key: SigningKeyOption = None,
) -> None:
    """Keep running what is due: a run-due pass at each cycle boundary (and every --poll).

    Prints one JSON line per pass on stdout (what `run-due --json` prints, on one line).
    SIGTERM or Ctrl-C stops it: a run under way keeps its finished responses and is resumed by
    the next pass or daemon. Exits 130 when stopped by a signal (systemd:
    SuccessExitStatus=130), 2 on bad input.
    """
    from accord.cli._common import open_store
    from accord.pipeline import check_cadence, load_monitor, monitor_daemon

    mon = load_monitor(file)
    poll_s = float(check_cadence(poll)) if poll is not None else None
    store = open_store(db, create=True)

    def on_pass(result: Any) -> None:
        print(json.dumps(result.to_dict(), separators=(",", ":")), flush=True)
        for t in result.targets:
            if t.error:
                sys.stderr.write(f"error: {t.target}: {t.error}\n")
        sys.stderr.flush()

    try:
        code = monitor_daemon(mon, store, poll_s=poll_s, data_dir=data_dir, signing_key=signing_key, on_pass=on_pass)
    finally:
        store.close()
    if code:
        raise typer.Exit(code)


@app.command("status")
def status(
    file: FileArg,
    db: DbOption = None,
    now: NowOption = None,
    as_json: JsonOption = False,
) -> None:
    """Per target: the current cycle and its run, the last complete run and its version, when
    the next run is due, the last comparison's verdict, alerts not yet delivered."""
    from accord.cli._common import open_store
    from accord.pipeline import load_monitor, monitor_status

    mon = load_monitor(file)
    store = open_store(db)
    try:
        rows = monitor_status(mon, store, now=_now(now))
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps({"monitor": mon.name, "cadence": mon.cadence, "targets": rows}, indent=2))
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(
        "target",
        "cycle",
        "run",
        "last complete",
        "version",
        "comparison",
        "next due",
        "pending alerts",
        title=f"monitor {mon.name} (every {mon.cadence})",
    )
    for r in rows:
        last = r["last_complete"] or {}
        cmp = r["comparison"]
        verdict = (
            "-"
            if cmp is None
            else "first run"
            if not cmp["baseline_run_id"]
            else ("[red]REGRESSION[/]" if cmp["regression"] else "no regression")
        )
        table.add_row(
            escape(r["target"]), r["cycle"] or "-", escape(f"{r['run_id'] or '-'} ({r['run_status']})"), escape(last.get("run_id") or "-"),
            escape(str(last.get("version") or "-")), verdict, ("now" if r["due"] else r["next_due"]), str(len(r["pending_alerts"])),
        )  # fmt: skip
    Console().print(table)


@app.command("check")
def check(file: FileArg, as_json: JsonOption = False) -> None:
    """Validate FILE (fields, cadence, targets as run-spec target entries, run: as a run spec)."""
    from accord.errors import InputError
    from accord.pipeline import load_monitor

    try:
        mon = load_monitor(file)
    except InputError as exc:  # a checked file with problems: exit 1 (docs/cli.md), the problem printed
        if as_json:
            typer.echo(json.dumps({"ok": False, "file": str(file), "line": exc.line, "field": exc.field, "error": exc.diagnostics()}))
        else:
            sys.stderr.write(f"error: {exc.diagnostics()}\n")
        raise typer.Exit(1) from None
    doc = {"ok": True, "file": str(file), "name": mon.name, "cadence_s": mon.cadence_s, "targets": [t.name for t in mon.targets]}
    if as_json:
        typer.echo(json.dumps(doc))
    else:
        typer.echo(f"ok: monitor {mon.name}, every {mon.cadence}, targets: {', '.join(doc['targets'])}")
