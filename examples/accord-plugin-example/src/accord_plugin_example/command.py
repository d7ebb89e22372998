"""A command group the plugin adds: ``accord example words``."""

import json

import typer

app = typer.Typer(no_args_is_help=True)


@app.command("words")
def words(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The words the echo target refuses by default."""
    found = ["bomb"]
    typer.echo(json.dumps(found) if as_json else ", ".join(found))
