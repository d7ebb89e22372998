"""``accord assess``: what each jurisdiction requires of an AI system, with citations.

Explicit subcommands only (``accord assess check FILE``, ``accord assess validate FILE``): a
default-command shim would let a file named ``validate`` change what the command does. Heavy
imports stay inside the commands.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from accord.cli._common import JsonOption

app = typer.Typer(
    no_args_is_help=True,
    help="What each jurisdiction requires of an AI system: accord assess check FILE | validate FILE | rules | schema.",
)

FileArg = Annotated[Path, typer.Argument(help="System description (YAML or JSON).", show_default=False)]
# No ``-j``: score and report use it for --judge, and one letter must not mean two things.
JurisdictionOption = Annotated[
    list[str] | None,
    typer.Option("--jurisdiction", help="eu, cn, us or labs; repeat or comma-separate. Default: all."),
]


def _as_of(value: str | None) -> date:
    from accord.errors import InputError

    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError("not a date", field="--as-of", expected="YYYY-MM-DD", got=value) from None


def _jurisdictions(values: list[str] | None) -> list[str] | None:
    from accord.errors import UnknownNameError
    from accord.regulation import JURISDICTIONS

    if not values:
        return None
    out: list[str] = []
    for v in values:
        for j in v.split(","):
            j = j.strip().lower()
            if j not in JURISDICTIONS:
                raise UnknownNameError("jurisdiction", j, JURISDICTIONS)
            if j not in out:
                out.append(j)
    return out


@app.command("check")
def check(
    file: FileArg,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Assess the law as it stands on this date (YYYY-MM-DD). Default: today.")] = None,
    jurisdiction: JurisdictionOption = None,
    as_json: JsonOption = False,
    output: Annotated[Path | None, typer.Option("-o", "--out", help="Write the assessment to this file (see --format) instead of stdout.")] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="Format of the -o file: md (default) or json.")] = None,
) -> None:
    """Assess FILE: per jurisdiction, each obligation with citation, status, confidence and why."""
    from accord.errors import InputError
    from accord.regulation import advisories, assess, assessment_json, assessment_markdown, load_hardware, load_rulebook, load_system

    if fmt is not None and output is None:
        raise InputError("--format chooses the format of the -o file", field="--format", fix="print JSON with --json, or add -o FILE")
    if fmt not in (None, "md", "json"):
        raise InputError("unknown format", field="--format", expected="md or json", got=fmt)
    day = _as_of(as_of)
    wanted = _jurisdictions(jurisdiction)
    system = load_system(file)
    for note in advisories(system):
        typer.echo(f"note: {note}", err=True)
    result = assess(system, load_rulebook(), day, wanted, chips=load_hardware()[1])
    if output is not None:
        output.write_text(assessment_json(result) if fmt == "json" else assessment_markdown(result), encoding="utf-8")
        typer.echo(f"wrote {output}", err=True)
        if not as_json:
            return
    typer.echo(assessment_json(result) if as_json else assessment_markdown(result), nl=False)


def _problem_dict(p: Any) -> dict[str, Any]:
    return {"line": p.line, "field": p.field, "message": p.message, "expected": p.expected, "got": p.got}


@app.command("validate")
def validate(
    files: Annotated[list[Path], typer.Argument(help="System descriptions to check.", show_default=False)],
    as_json: JsonOption = False,
) -> None:
    """Check system descriptions; name each wrong field (file:line, field path, expected, got).

    Every file is checked, even after a bad one; any problem exits 1 (the checked condition
    failed), after all of them are listed.
    """
    import json

    from accord.errors import ExitCode, InputError
    from accord.regulation import advisories, read_system

    report: list[dict[str, Any]] = []
    for f in files:
        entry: dict[str, Any] = {"file": str(f), "ok": False, "name": None, "notes": [], "problems": []}
        report.append(entry)
        try:
            system, problems = read_system(f)
        except InputError as exc:  # missing or unreadable: report it and go on to the next file
            entry["problems"].append({"line": exc.line, "field": exc.field, "message": exc.diagnostics().replace("\n", "; "), "expected": exc.expected, "got": exc.got})
            if not as_json:
                typer.echo(exc.diagnostics().replace("\n", "; "), err=True)
            continue
        if system is not None:
            entry.update(ok=True, name=system.name, notes=advisories(system))
            if not as_json:
                typer.echo(f"{f}: ok ({system.name})")
                for note in entry["notes"]:
                    typer.echo(f"{f}: note: {note}", err=True)
            continue
        entry["problems"] = [_problem_dict(p) for p in problems]
        if not as_json:
            for p in problems:
                typer.echo(str(p), err=True)
    if as_json:
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    if not all(e["ok"] for e in report):
        raise typer.Exit(ExitCode.CHECK_FAILED)


@app.command("schema")
def schema() -> None:
    """Print the JSON Schema of a system description (fields, choices, descriptions)."""
    import json

    from accord.regulation import SystemDescription

    typer.echo(json.dumps(SystemDescription.model_json_schema(), indent=2))


@app.command("rules")
def rules(jurisdiction: JurisdictionOption = None, as_json: JsonOption = False) -> None:
    """List every rule: id, citation, instrument and confidence tag."""
    import json

    from accord.regulation import load_rulebook

    wanted = _jurisdictions(jurisdiction)
    chosen = [r for r in load_rulebook().rules if not wanted or r.jurisdiction in wanted]
    if as_json:
        doc = [
            {
                "id": r.id,
                "jurisdiction": r.jurisdiction,
                "title": r.title,
                "conf": r.conf,
                "sources": [{"instrument": s.instrument, "citation": s.citation} for s in r.source],
            }
            for r in chosen
        ]
        typer.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    for r in chosen:
        cites = " | ".join(f"{s.instrument}: {s.citation}" for s in r.source)
        typer.echo(f"{r.id:28} [{r.conf}] {cites} — {r.title}")
