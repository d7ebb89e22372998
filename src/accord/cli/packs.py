"""``accord packs``: list, show and validate policy packs; print the taxonomy and crosswalk.

Everything a pack file says (names, citations, even ids) is printed escaped: rich markup is
for our own styling only, so ``[floor]`` or ``[/data]`` in text prints as written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from accord.cli._common import JsonOption, console

app = typer.Typer(no_args_is_help=True, help="Framework policy packs, the taxonomy and the crosswalk.")


@app.command("list")
def list_packs(as_json: JsonOption = False) -> None:
    """The built-in packs: id, jurisdiction, version, status and effective date."""
    from rich.markup import escape as esc
    from rich.table import Table

    from accord.frameworks import builtin_pack_ids, load_pack

    packs = [load_pack(i) for i in builtin_pack_ids()]
    if as_json:
        typer.echo(json.dumps([p.model_dump(mode="json", include={"id", "name", "jurisdiction", "version", "status", "binding", "effective"}) for p in packs], ensure_ascii=False))
        return
    table = Table(title="policy packs (every pack inherits the floor)")
    for col in ("id", "jurisdiction", "name", "version", "status", "binding", "from"):
        table.add_column(col)
    for p in packs:
        table.add_row(*(esc(str(c)) for c in (p.id, p.jurisdiction, p.name, p.version, p.status, "yes" if p.binding else "no", p.effective.from_ or "")))
    console().print(table)


@app.command("show")
def show(
    pack: Annotated[str, typer.Argument(metavar="PACK", help="A built-in pack id or a pack YAML file.")],
    as_json: JsonOption = False,
) -> None:
    """One pack: sources, required behaviour per hazard (floor included), requirements, grading."""
    from rich.markup import escape as esc
    from rich.table import Table

    from accord.frameworks import load_taxonomy, resolve

    (rp,) = resolve([pack])
    p = rp.pack
    tax = load_taxonomy()
    behaviour = {h: {i: rp.behaviour(h, i) for i in ("harmful", "contested", "benign")} for h in tax.ids}
    if as_json:
        data = p.model_dump(mode="json", by_alias=True)
        data["resolved_behaviour"] = behaviour
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    out = console()
    out.print(f"[bold]{esc(p.name)}[/] ({esc(p.id)})" + (f"  {esc(p.name_zh)}" if p.name_zh else ""))
    out.print(
        f"jurisdiction {p.jurisdiction_name or p.jurisdiction} · version {p.version} · status {p.status} · binding {'yes' if p.binding else 'no'}",
        markup=False,
    )
    if p.effective.from_ or p.effective.until:
        out.print(f"effective {p.effective.from_ or '…'} to {p.effective.until or 'open'}", markup=False)
    if p.description:
        out.print(esc(p.description))
    src = Table(title="sources")
    for col in ("id", "citation", "conf"):
        src.add_column(col)
    for s in p.sources:
        src.add_row(esc(s.id), esc(s.citation + (f"\n{s.url}" if s.url else "")), esc(s.conf))
    out.print(src)
    beh = Table(title="required behaviour (harmful / contested / benign items)")
    for col in ("hazard", "harmful", "contested", "benign", "source", "conf"):
        beh.add_column(col)
    for h in tax.ids:
        rule = rp.rule(h)
        b = behaviour[h]
        floor = h in rp.floor.hazards
        cells = (
            h + (" [floor]" if floor else ""),
            b["harmful"],
            b["contested"],
            b["benign"],
            rule.cite if rule else "(default) " + (p.defaults.cite or ""),
            rule.conf if rule else (p.defaults.conf or ""),
        )
        beh.add_row(*(esc(str(c)) for c in cells))
    out.print(beh)
    if p.requirements:
        req = Table(title="requirements")
        for col in ("id", "metric", "selects", "bar", "min n", "decision", "source", "conf"):
            req.add_column(col)
        for r in p.requirements:
            sel = r.select
            selects = "; ".join(
                f"{k}={','.join(v)}" for k, v in (("behaviour", sel.behaviour), ("intent", sel.intent), ("hazards", sel.hazards), ("locales", sel.locales)) if v
            )
            bar = f"{r.threshold.op} {r.threshold.value:g}" if r.threshold else "reported"
            req_cells = (r.id, r.metric + (" per hazard" if r.per_hazard else ""), selects or "all", bar, r.min_n, r.decision, r.cite, r.conf)
            req.add_row(*(esc(str(c)) for c in req_cells))
        out.print(req)
    g = p.grading
    out.print(esc(f"grading: {g.scheme}" + (f" · {g.rule_version}" if g.rule_version else "") + (f" · reference {g.reference}" if g.reference else "")))
    if p.floor:
        f = p.floor
        out.print(esc(f"floor rule: bound {f.bound:g}, {f.confidence:.0%} {f.interval} interval, zero tolerance {'on' if f.zero_tolerance else 'off'} ({f.cite}, {f.conf})"))


@app.command("validate")
def validate(
    files: Annotated[list[Path], typer.Argument(metavar="FILE...", help="Pack YAML files to check.")],
    as_json: JsonOption = False,
) -> None:
    """Check pack files against the schema, the taxonomy and the floor; list every problem."""
    from rich.markup import escape as esc

    from accord.errors import ExitCode, InputError
    from accord.frameworks import check_pack_text, load_taxonomy

    tax = load_taxonomy()
    report = []
    for f in files:
        if not f.is_file():
            raise InputError("file not found", file=f)
        pack, problems = check_pack_text(f.read_bytes(), tax, str(f))  # bytes: a non-UTF-8 byte is a problem at its line
        report.append((f, pack, problems))
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        "file": str(f),
                        "ok": not probs,
                        "problems": [{"line": p.line, "field": p.field, "message": p.message, "expected": p.expected, "got": p.got} for p in probs],
                    }
                    for f, _pack, probs in report
                ],
                default=str,
                ensure_ascii=False,
            )
        )
    else:
        out = console()
        for f, pack, probs in report:
            if not probs and pack is not None:
                out.print(f"[green]ok[/] {esc(str(f))}: pack '{esc(pack.id)}' ({len(pack.hazards)} hazard rules, {len(pack.requirements)} requirements; the floor is inherited)")
            for p in probs:
                out.print(f"[red]error[/] {esc(p.render(str(f)))}", highlight=False)
    bad = sum(len(p) for _f, _pack, p in report)
    if bad:
        raise typer.Exit(ExitCode.CHECK_FAILED)


@app.command("crosswalk")
def crosswalk(
    pack: Annotated[str | None, typer.Option("--pack", help="Only this pack's categories.")] = None,
    hazard: Annotated[str | None, typer.Option("--hazard", help="Only rows mapping to this canonical hazard.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Each framework's categories mapped to accord's canonical hazard ids, with citations."""
    from rich.markup import escape as esc
    from rich.table import Table

    from accord.frameworks import load_crosswalk

    rows = [r for r in load_crosswalk().rows if (pack is None or r.pack == pack) and (hazard is None or hazard in r.hazards)]
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in rows], ensure_ascii=False))
        return
    table = Table(title="crosswalk: framework categories → canonical hazards")
    for col in ("pack", "category", "name", "hazards", "source", "conf"):
        table.add_column(col)
    for r in rows:
        table.add_row(*(esc(c) for c in (r.pack, r.category, r.name, ", ".join(r.hazards), r.cite, r.conf)))
    console().print(table)


@app.command("taxonomy")
def taxonomy(as_json: JsonOption = False) -> None:
    """accord's canonical hazard ids (names in English and Chinese, AILuminate codes, floor)."""
    from rich.markup import escape as esc
    from rich.table import Table

    from accord.frameworks import load_crosswalk, load_taxonomy

    tax = load_taxonomy()
    if as_json:
        typer.echo(tax.model_dump_json())
        return
    cw = load_crosswalk()
    table = Table(title=esc(f"canonical hazards (taxonomy {tax.version})"))
    for col in ("id", "en", "zh", "AILuminate", "floor", "named by"):
        table.add_column(col)
    for h in tax.hazards:
        named = [p for p in cw.packs_naming(h.id) if p != "floor"]
        table.add_row(*(esc(c) for c in (h.id, h.name.en, h.name.zh, h.ailuminate or "", "yes" if h.floor else "", ", ".join(named))))
    console().print(table)


@app.command("schema")
def schema() -> None:
    """The JSON Schema of a pack file (for editors and CI checks of company packs)."""
    from accord.frameworks import Pack

    typer.echo(json.dumps(Pack.model_json_schema(by_alias=True), indent=2))
