"""``accord peer``: federate this server with other accord servers (issue 21).

These act as the local administrator on the store named by ``--db`` (the one ``accord serve``
serves), like ``accord org``. A peer is pinned by its server key (``--trusted-key``, obtained
from its operator out of band); ``--signing-key`` is this server's own key (the one that signs
its log's checkpoints, and with which it signs its pull requests and cosigns peers' logs).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from accord.cli._common import DbOption, JsonOption

app = typer.Typer(no_args_is_help=True, help="Federation: peer servers, their sharing policy, sync and witnessing.")

LogDirOption = Annotated[
    Path | None,
    typer.Option("--log-dir", help="This server's transparency log directory (default: <accord data dir>/server-log).", file_okay=False),
]
SigningKeyOption = Annotated[
    str | None,
    typer.Option(
        "--signing-key",
        help="This server's private key (signs its checkpoints and pull requests). Default: ACCORD_SIGNING_KEY, else `accord keys init`'s key.",
    ),
]


def _open(db: str | None) -> Any:
    from accord.pipeline import open_service_store

    return open_service_store(db)


def _log_dir(log_dir: Path | None) -> Path:
    from accord.pipeline import service_log_dir

    return Path(service_log_dir(log_dir))


def _echo_json(doc: Any) -> None:
    typer.echo(json.dumps(doc, indent=2, ensure_ascii=False))


def _orgs(values: list[str] | None) -> list[str]:
    out: list[str] = []
    for v in values or []:
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return out


@app.command("add")
def add(
    url: Annotated[str, typer.Argument(help="The peer's base URL (what its `accord serve` printed).")],
    trusted_key: Annotated[
        str,
        typer.Option("--trusted-key", help="The peer's server public key (verifier key, PEM, base64/hex, or a file), from its operator."),
    ],
    org: Annotated[
        list[str] | None,
        typer.Option(
            "--org",
            help="An organisation the peer speaks for (repeatable or comma-separated): it may report for it, and restricted TLP goes to it for it.",
        ),
    ] = None,
    pull: Annotated[bool, typer.Option("--pull/--no-pull", help="Pull the peer's incidents.")] = True,
    push: Annotated[bool, typer.Option("--push/--no-push", help="Let the peer pull this server's incidents.")] = True,
    relay: Annotated[
        bool,
        typer.Option(
            "--relay/--no-relay",
            help="Accept incidents the peer relays from other servers (reported by organisations it does not speak for).",
        ),
    ] = False,
    name: Annotated[str | None, typer.Option("--name", help="A short name for the peer (default: the name it gives).")] = None,
    db: DbOption = None,
    log_dir: LogDirOption = None,
    signing_key: SigningKeyOption = None,
    json_out: JsonOption = False,
) -> None:
    """Add or re-configure a peer; its key must match what it serves at /v1/federation/info."""
    from accord.pipeline import LOCAL_ADMIN, add_peer

    store = _open(db)
    try:
        row = add_peer(
            store,
            LOCAL_ADMIN,
            url,
            trusted_key=trusted_key,
            orgs=_orgs(org),
            pull=pull,
            push=push,
            relay=relay,
            name=name,
            log_dir=_log_dir(log_dir),
            log_key=signing_key,
        )
    finally:
        store.close()
    if json_out:
        _echo_json(row)
    else:
        typer.echo(
            f"peer {row['name']} ({row['origin']}) at {row['url']}: orgs {', '.join(row['orgs']) or '-'}; pull {row['pull']}, push {row['push']}, relay {row['relay']}"
        )


@app.command("list")
def list_(db: DbOption = None, json_out: JsonOption = False) -> None:
    """Peers with their policy, cursor, witnessed checkpoint and state (forked peers first)."""
    from accord.pipeline import list_peers

    store = _open(db)
    try:
        rows = list_peers(store)
    finally:
        store.close()
    rows.sort(key=lambda r: (r["state"] != "forked", r["name"]))
    if json_out:
        _echo_json(rows)
        return
    if not rows:
        typer.echo("no peers (add one with `accord peer add URL --trusted-key KEY --org ORG`)")
        return
    from rich.table import Table
    from rich.text import Text

    from accord.cli._common import console

    table = Table("name", "origin", "state", "orgs", "pull/push/relay", "cursor", "received", "witnessed", "last sync", "last error")
    for r in rows:
        state = Text(r["state"], style="bold red" if r["state"] == "forked" else "")
        table.add_row(
            Text(r["name"]),
            Text(r["origin"]),
            state,
            Text(",".join(r["orgs"])),
            "/".join("y" if r[k] else "n" for k in ("pull", "push", "relay")),
            str(r["cursor"]),
            str(r["received"]),
            str(r["witnessed_size"] if r["witnessed_size"] is not None else "-"),
            Text(r["last_sync_at"] or "-"),
            Text((r["last_error"] or "")[:120]),
        )
    console().print(table)


@app.command("remove")
def remove(ref: Annotated[str, typer.Argument(help="The peer's origin, name or URL.")], db: DbOption = None) -> None:
    """Stop syncing with a peer (what it sent stays)."""
    from accord.pipeline import LOCAL_ADMIN, remove_peer

    store = _open(db)
    try:
        row = remove_peer(store, LOCAL_ADMIN, ref)
    finally:
        store.close()
    typer.echo(f"peer {row['name']} ({row['origin']}) removed")


@app.command("resume")
def resume(
    ref: Annotated[str, typer.Argument(help="The peer's origin, name or URL.")],
    forget_witnessed: Annotated[
        bool,
        typer.Option(
            "--forget-witnessed",
            help="Trust the peer's next checkpoint afresh (you accept its new history); otherwise a log that still contradicts the witnessed one is flagged again.",
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """Resume sync from a peer flagged as forked, after looking at its evidence (`accord peer list --json`)."""
    from accord.pipeline import LOCAL_ADMIN, resume_peer

    store = _open(db)
    try:
        row = resume_peer(store, LOCAL_ADMIN, ref, forget_witnessed=forget_witnessed)
    finally:
        store.close()
    typer.echo(f"peer {row['name']} is {row['state']}")


@app.command("sync")
def sync(
    ref: Annotated[str | None, typer.Argument(help="One peer (origin, name or URL); default: every peer this server pulls from.")] = None,
    db: DbOption = None,
    log_dir: LogDirOption = None,
    signing_key: SigningKeyOption = None,
    json_out: JsonOption = False,
) -> None:
    """One sync round: witness each peer's log, then pull and apply its incidents. Exit 1 if a peer failed or forked."""
    from accord.pipeline import sync_all, sync_peer

    store = _open(db)
    try:
        results = (
            [sync_peer(store, _log_dir(log_dir), ref, log_key=signing_key)]
            if ref
            else sync_all(store, _log_dir(log_dir), log_key=signing_key)
        )
    finally:
        store.close()
    if json_out:
        _echo_json([r.as_dict() for r in results])
    else:
        if not results:
            typer.echo("no peer to pull from")
        for r in results:
            line = f"{r.peer}: {r.state}; {r.received} received, {r.skipped} already here, {r.refused} refused by policy; cursor {r.cursor}; witnessed size {r.witnessed_size}"
            typer.echo(line + (f"; error: {r.error}" if r.error else ""))
    if any(r.error for r in results):
        raise typer.Exit(1)
