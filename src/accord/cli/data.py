"""``accord data list | fetch``: public datasets fetched by pinned URL and sha256 into the cache."""

from __future__ import annotations

from typing import Annotated

import typer

from accord.cli._common import JsonOption, console

app = typer.Typer(no_args_is_help=True, help="Fetch public datasets with pinned checksums.")


@app.command("list")
def list_(as_json: JsonOption = False) -> None:
    """Datasets `accord data fetch` knows: URL, pinned sha256 (or unverified), and whether fetched."""
    from accord.suites import REMOTE, fetch_status

    rows = [fetch_status(n) for n in REMOTE]
    if as_json:
        import json

        typer.echo(json.dumps(rows, indent=2))
        return
    from rich.markup import escape as esc
    from rich.table import Table

    table = Table("name", "fetched", "sha256", "url", "licence")
    for r in rows:
        sha = esc(r["sha256"]) if r["sha256"] != "unverified" else "[yellow]unverified[/]"
        fetched = "[green]yes[/]" + ("" if r["fetched_pinned"] else " [yellow](unpinned)[/]") if r["fetched"] else "no"
        table.add_row(esc(r["name"]), fetched, sha, esc(r["url"]), esc(r["licence"]))
    console().print(table)


@app.command()
def fetch(
    name: Annotated[str, typer.Argument(help="Dataset name (see `accord data list`).")],
    force: Annotated[bool, typer.Option("--force", help="Download again even if cached.")] = False,
    allow_unpinned: Annotated[
        bool, typer.Option("--allow-unpinned", help="Accept a dataset with no verified sha256; the first download's hash is recorded.")
    ] = False,
    sha256: Annotated[str | None, typer.Option("--sha256", help="Expected sha256 of the file (overrides the table).")] = None,
    url: Annotated[str | None, typer.Option("--url", help="Download from this mirror instead (the pin still applies).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Download NAME into the cache and verify its sha256."""
    from accord.suites import fetch as do_fetch

    result = do_fetch(name, force=force, allow_unpinned=allow_unpinned, sha256=sha256, url=url)
    if as_json:
        import json

        typer.echo(json.dumps({"name": result.name, "path": str(result.path), "sha256": result.sha256, "pinned": result.pinned, "downloaded": result.downloaded}))
        return
    from rich.markup import escape as esc

    verb = "fetched" if result.downloaded else "already cached"
    trust = "verified against the pinned sha256" if result.pinned else "[yellow]NOT verified[/]: no pinned sha256; recorded for later checks"
    console().print(f"{verb}: {esc(str(result.path))}\nsha256 {esc(result.sha256)} ({trust})", highlight=False)
