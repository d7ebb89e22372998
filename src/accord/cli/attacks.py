"""``accord attacks list | show NAME``: what each attack does, its parameters, its origin.

Built-in and plugin attacks alike (the ``accord_attacks`` hook). ``show template`` also lists
the template slugs ``template:<slug>`` accepts (read in place under ACCORD_DATA_DIR).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from accord.cli._common import DataDirOption, JsonOption, console

app = typer.Typer(no_args_is_help=True)


@app.command("list")
def list_attacks(as_json: JsonOption = False) -> None:
    """Every attack: name, kind (transform, rewrite, strategy), what it needs, one line on what it does."""
    from accord.attacks import attack_infos

    infos = attack_infos()
    if as_json:
        typer.echo(json.dumps([i.to_json() for i in infos], ensure_ascii=False))
        return
    from rich.table import Table

    table = Table(title="attacks (use as --attack NAME[:key=value,...]; join steps with '+')")
    for col in ("attack", "kind", "needs", "what it does"):
        table.add_column(col, overflow="fold")
    for i in infos:
        table.add_row(i.name, i.kind, ", ".join(i.needs) or "-", i.summary)
    console().print(table)


@app.command("show")
def show_attack(
    name: Annotated[str, typer.Argument(help="Attack name (see `accord attacks list`).")],
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """One attack in full: what it does, its parameters with defaults, where the idea comes from."""
    from accord.attacks import describe_attack, get_attack

    info = describe_attack(get_attack(name))
    slugs: list[str] | None = None
    missing: str | None = None
    if name == "template":
        from accord.attacks import template_slugs
        from accord.errors import AccordError

        try:
            slugs = template_slugs(None if data_dir is None else str(data_dir))
        except AccordError as exc:  # the description is still worth showing
            missing = f"template slugs: not listed ({exc}); set ACCORD_DATA_DIR or pass --data-dir"
    if as_json:
        doc = info.to_json()
        if slugs is not None:
            doc["slugs"] = slugs
        typer.echo(json.dumps(doc, ensure_ascii=False, default=str))
        return
    lines = [f"{info.name} ({info.kind}): {info.summary}"]
    if info.needs:
        lines.append("needs: " + ", ".join(f"--{n}" if n != "judge" else "--attack-judge (default: the run's judge)" for n in info.needs))
    if info.description:
        lines += ["", info.description]
    lines += ["", "parameters:" if info.params else "parameters: none"]
    for p in info.params:
        default = "required" if p.required else f"default {p.default!r}"
        bare = " (the bare value: NAME:VALUE)" if p.name == info.primary else ""
        lines.append(f"  {p.name} ({p.type}, {default}){bare}: {p.description}")
    if info.origin:
        lines += ["", f"origin: {info.origin}"]
    if slugs is not None:
        lines += ["", f"{len(slugs)} templates (template:<slug>):", *(f"  {s}" for s in slugs)]
    if missing:
        lines += ["", missing]
    con = console()
    for line in lines:
        con.print(line, markup=False, highlight=False)
