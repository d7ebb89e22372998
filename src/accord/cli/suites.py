"""``accord suites list | show | recorded`` (and ``commit`` / ``reveal`` from the attest side).

Suite names, descriptions and prompts are data: they are printed escaped, never read as rich
markup, so a prompt holding ``[/data]`` prints as written.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from accord.cli._common import DataDirOption, JsonOption, console

app = typer.Typer(no_args_is_help=True, help="List and inspect test suites.")

MapOption = Annotated[
    str | None,
    typer.Option("--map", help="CSV column mapping: field=column[,field=column] (e.g. prompt=text,hazard=category)."),
]


@app.command("list")
def list_(data_dir: DataDirOption = None, as_json: JsonOption = False) -> None:
    """Built-in suites, public-dataset loaders and fetchable datasets, and whether each is here."""
    from accord.suites import list_suites

    rows = list_suites(data_dir)
    if as_json:
        import json

        typer.echo(json.dumps([r.__dict__ for r in rows], indent=2))
        return
    from rich.markup import escape as esc
    from rich.table import Table

    table = Table("name", "kind", "here", "description")
    for r in rows:
        here = "[green]yes[/]" if r.available else f"[yellow]no[/] [dim]{esc(r.note or '')}[/]"
        table.add_row(esc(r.name), esc(r.kind), here, esc(r.description))
    console().print(table)


@app.command()
def show(
    name: Annotated[str, typer.Argument(help="Suite name or .jsonl/.csv file.")],
    data_dir: DataDirOption = None,
    mapping: MapOption = None,
    limit: Annotated[int, typer.Option("--limit", min=0, help="Items to list (0: none).")] = 10,
    as_json: JsonOption = False,
) -> None:
    """Validate a suite and show its size, digest, hazards, intents and locales.

    For a suite whose items carry families, framings, personas or sub-types (the floor), also
    the items and distinct families per hazard × language × framing, persona and sub-type
    (``breakdown`` in the JSON). For a suite whose items state per-pack expectations (the
    divergence suite), what each built-in pack requires and how many items two packs disagree
    on by design, one expecting a refusal and the other an answer (``expected`` in the JSON)."""
    from accord.frameworks import resolve
    from accord.suites import expected_behaviours, open_suite, parse_mapping, suite_breakdown

    source = open_suite(name, data_dir=data_dir, mapping=parse_mapping(mapping))
    summary = source.summary()
    all_items = list(source.iter_items())  # read once: the breakdown and the expectations both count it
    counts = suite_breakdown(all_items)
    expected = expected_behaviours(all_items, resolve(["cn-tc260", "eu-ai-act", "us-nist-600-1", "ailuminate-v1"])) if any(i.expect for i in all_items) else None
    if as_json:
        import itertools
        import json

        items = [
            {"item_id": i.item_id, "hazard": i.hazard, "intent": i.intent, "locale": i.locale, "prompt": i.prompt}
            for i in itertools.islice(all_items, limit)
        ]
        extra = {"breakdown": counts} if counts is not None else {}
        if expected is not None:
            extra["expected"] = expected
        typer.echo(json.dumps({**summary, **extra, "first_items": items}, ensure_ascii=False, indent=2))
        return
    _print_summary(source, summary, limit)
    if counts is not None:
        _print_breakdown(counts)
    if expected is not None:
        _print_expected(expected)


def _print_expected(expected: dict[str, Any]) -> None:
    """Per pack: items per required behaviour; then items two packs disagree on by design."""
    from rich.markup import escape as esc
    from rich.table import Table

    behaviours = sorted({b for per in expected["per_pack"].values() for b in per})
    table = Table("pack", *behaviours, title=f"what each pack requires ({expected['stated']} of {expected['items']} items state their own expectation)")
    for pack, per in expected["per_pack"].items():
        table.add_row(esc(pack), *[str(per.get(b, 0)) for b in behaviours])
    out = console()
    out.print(table)
    pairs = Table("packs", "a safe answer: acceptable to one only", "a refusal: acceptable to one only", title="designed disagreement (items)")
    for pair, n in expected["disagree"].items():
        pairs.add_row(esc(pair), str(n["answer"]), str(n["refusal"]))
    out.print(pairs)


def _print_breakdown(counts: dict[str, dict[str, dict[str, Any]]]) -> None:
    """Items/families per hazard × language: one column per framing, then personas and sub-types."""
    from rich.markup import escape as esc
    from rich.table import Table

    cells = [(h, loc, c) for h, by_locale in counts.items() for loc, c in by_locale.items()]
    framings = sorted({f for _, _, c in cells for f in c["framing"]})
    table = Table("hazard", "lang", "items/families", *framings, title="items/families per hazard × language × framing")
    for hazard, locale, c in cells:
        row = [f"{c['items']}/{c['families']}"] + [_pair(c["framing"].get(f)) for f in framings]
        table.add_row(esc(hazard), esc(locale), *row)
    out = console()
    out.print(table)
    table = Table("hazard", "lang", "persona", "subtype", title="items/families per persona and sub-type")
    for hazard, locale, c in cells:
        persona = ", ".join(f"{k} {_pair(v)}" for k, v in c["persona"].items())
        subtype = ", ".join(f"{k} {_pair(v)}" for k, v in c["subtype"].items())
        table.add_row(esc(hazard), esc(locale), esc(persona), esc(subtype))
    out.print(table)


def _pair(slot: dict[str, int] | None) -> str:
    return f"{slot['items']}/{slot['families']}" if slot else "0"


def _print_summary(source: Any, summary: dict[str, Any], limit: int) -> None:
    import itertools

    from rich.markup import escape as esc
    from rich.table import Table

    out = console()
    out.print(
        f"[bold]{esc(str(summary['suite_id']))}[/]  ({esc(str(summary['kind']))})  {esc(str(summary['description']))}", highlight=False
    )
    out.print(f"source: {summary['source']}", markup=False, highlight=False)
    out.print(f"items:  {summary['items']}", markup=False, highlight=False)
    out.print(f"digest: {summary['digest']}", markup=False, highlight=False)
    for key in ("hazards", "intents", "locales"):
        counts = summary[key]
        out.print(f"{key}: " + ", ".join(f"{k} {v}" for k, v in counts.items()), markup=False, highlight=False)
    if limit > 0:
        table = Table("item_id", "hazard", "intent", "locale", "prompt")
        for item in itertools.islice(source.iter_items(), limit):
            text = item.prompt.replace("\n", " ")
            cells = (item.item_id, item.hazard, item.intent, item.locale, text[:70] + ("…" if len(text) > 70 else ""))
            table.add_row(*(esc(str(c)) for c in cells))
        out.print(table)


@app.command()
def recorded(data_dir: DataDirOption = None, as_json: JsonOption = False) -> None:
    """Dataset transcripts usable as --target replay:NAME (XSTest models, JailbreakBench artifacts)."""
    from accord.errors import AccordError
    from accord.suites import recorded_names

    names = recorded_names(data_dir)
    if not names:
        where = f"under {data_dir}" if data_dir else "(no datasets directory set)"
        raise AccordError(f"no recorded transcripts {where}", fix="point ACCORD_DATA_DIR or --data-dir at the public datasets")
    if as_json:
        import json

        typer.echo(json.dumps(names, indent=2))
        return
    for n in names:
        typer.echo(n)


try:  # commit / reveal are written by the attest side; absent in builds without them
    from accord.cli.suites_commit import register

    register(app)
except ModuleNotFoundError:
    pass
