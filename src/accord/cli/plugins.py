"""``accord plugins``: what the installed plugins (and the built-ins) register."""

from __future__ import annotations

import json

import typer

from accord.cli._common import JsonOption, console

app = typer.Typer(no_args_is_help=True)


@app.command("list")
def list_plugins(as_json: JsonOption = False) -> None:
    """Every plugin, built-in or installed (entry points in group 'accord'), and what it adds.

    A plugin that failed to load is listed with its error; it never stops accord.
    """
    from accord.pipeline import installed_plugins

    rows = installed_plugins()
    if as_json:
        typer.echo(json.dumps([p.to_json() for p in rows]))
        return
    from rich.table import Table

    table = Table(title="plugins")
    for col in ("plugin", "package", "registers", "status"):
        table.add_column(col, overflow="fold")
    for p in rows:
        package = "built-in" if p.builtin else f"{p.dist or '?'} {p.version or ''}".strip()
        registers = "; ".join(f"{kind}: {', '.join(names)}" for kind, names in p.registers.items() if names)
        table.add_row(p.name, package, registers or "-", f"error: {p.error}" if p.error else "ok")
    console().print(table)
