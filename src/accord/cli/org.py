"""``accord org``, ``accord token``, ``accord audit``: administer the service's store (issue 20).

These act as the local administrator (``LOCAL_ADMIN``) on the store named by ``--db`` (the
one ``accord serve`` serves): whoever can write that database administers the service, so no
token is needed here. Every change is recorded in the private audit log. A token is printed
once, at creation; only its SHA-256 digest is kept.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from accord.cli._common import DbOption, JsonOption

org_app = typer.Typer(no_args_is_help=True, help="Organisations of the service and their signing keys.")
key_app = typer.Typer(no_args_is_help=True, help="The public keys an organisation signs its attestations with.")
token_app = typer.Typer(no_args_is_help=True, help="API tokens of the service (shown once, stored as digests).")
audit_app = typer.Typer(no_args_is_help=True, help="The service's private, hash-chained audit log.")
witness_app = typer.Typer(no_args_is_help=True, help="Witnesses whose cosignatures of the server's log checkpoints are accepted and served.")
org_app.add_typer(key_app, name="key")
org_app.add_typer(witness_app, name="witness")

LimitOption = Annotated[int, typer.Option("--limit", min=1, max=1000, help="Show at most this many (1-1000).")]


def _open(db: str | None, *, create: bool = False) -> Any:
    """The service store: admin changes create it (as ``accord serve`` would), reads do not."""
    from accord.pipeline import open_service_store, open_store

    return open_service_store(db) if create else open_store(db)


def _echo_json(doc: Any) -> None:
    typer.echo(json.dumps(doc, indent=2, ensure_ascii=False))


def _cell(value: Any) -> Any:
    """A table cell as plain text: no markup, control characters shown as '?' (audit records
    hold what callers sent, e.g. request paths, which must not drive the terminal)."""
    from rich.text import Text

    if value is None:
        return Text("")
    text = " ".join(map(str, value)) if isinstance(value, list) else str(value)
    return Text("".join("?" if ord(ch) < 32 or 127 <= ord(ch) < 160 else ch for ch in text))


def _table(rows: list[dict[str, Any]], cols: list[str]) -> None:
    from rich.table import Table

    from accord.cli._common import console

    table = Table(*cols)
    for r in rows:
        table.add_row(*(_cell(r.get(c)) for c in cols))
    console().print(table)


# -- org -----------------------------------------------------------------------------------
@org_app.command("add")
def org_add(
    name: Annotated[str, typer.Argument(help="The organisation's name (its id is the name's slug unless --id is given).")],
    org_id: Annotated[str | None, typer.Option("--id", help="The organisation's id: a-z, 0-9 and '-', at most 64 characters.")] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Register an organisation."""
    from accord.pipeline import LOCAL_ADMIN, create_org

    store = _open(db, create=True)
    try:
        row = create_org(store, LOCAL_ADMIN, name, org_id=org_id)
    finally:
        store.close()
    if json_out:
        _echo_json(row)
    else:
        typer.echo(f"organisation {row['id']} ({row['name']}) added")


@org_app.command("list")
def org_list(db: DbOption = None, limit: LimitOption = 100, json_out: JsonOption = False) -> None:
    """List organisations (by id)."""
    from accord.pipeline import list_orgs

    store = _open(db)
    try:
        rows = list_orgs(store, limit=limit)
    finally:
        store.close()
    if json_out:
        _echo_json(rows)
    elif not rows:
        typer.echo("no organisations (add one with `accord org add NAME`)")
    else:
        _table(rows, ["id", "name", "created"])


@key_app.command("add")
def key_add(
    org: Annotated[str, typer.Argument(help="The organisation's id.")],
    public_key: Annotated[
        Path, typer.Argument(help="Its Ed25519 public key as PEM (`accord keys show --pem > key.pem`).", exists=True, dir_okay=False)
    ],
    name: Annotated[str | None, typer.Option("--name", help="A label for the key (e.g. ci, release).")] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Trust a public key to sign ORG's attestations (results the service accepts from ORG)."""
    from accord.errors import InputError
    from accord.pipeline import LOCAL_ADMIN, add_org_key

    if public_key.stat().st_size > 10_000:
        raise InputError("a public key file is at most 10,000 bytes", file=public_key)
    text = public_key.read_text(errors="replace")
    store = _open(db, create=True)
    try:
        row = add_org_key(store, LOCAL_ADMIN, org, text, name=name)
    finally:
        store.close()
    if json_out:
        _echo_json(row)
    else:
        typer.echo(f"key {row['id']} added to {org}")


@key_app.command("list")
def key_list(
    org: Annotated[str, typer.Argument(help="The organisation's id.")],
    revoked: Annotated[bool, typer.Option("--revoked", help="Include revoked keys.")] = False,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """List an organisation's trusted public keys."""
    from accord.pipeline import org_keys

    store = _open(db)
    try:
        rows = org_keys(store, org, include_revoked=revoked)
    finally:
        store.close()
    if json_out:
        _echo_json(rows)
    elif not rows:
        typer.echo(f"no keys for {org}")
    else:
        _table(rows, ["id", "name", "created", "revoked_at"])


@key_app.command("revoke")
def key_revoke(
    key_id: Annotated[str, typer.Argument(help="The key id (64 hex digits; `accord org key list ORG`).")],
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Stop trusting a key: new results signed by it are refused."""
    from accord.pipeline import LOCAL_ADMIN, revoke_org_key

    store = _open(db)
    try:
        row = revoke_org_key(store, LOCAL_ADMIN, key_id)
    finally:
        store.close()
    if json_out:
        _echo_json(row)
    else:
        typer.echo(f"key {key_id} revoked at {row['revoked_at']}")


# -- witnesses ----------------------------------------------------------------------------
@witness_app.command("add")
def witness_add(
    vkey: Annotated[str, typer.Argument(help="The witness's verifier key (C2SP note vkey: name+hash+base64; `accord log witness` prints it).")],
    log_key: Annotated[str | None, typer.Option("--log-key", help="The server log's signing key file (default: the user's log key).")] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Enrol a witness: POST /v1/log/cosign accepts its cosignatures and the server serves them with each checkpoint."""
    from accord.pipeline import LOCAL_ADMIN, enrol_witness

    store = _open(db, create=True)
    try:
        row = enrol_witness(store, LOCAL_ADMIN, vkey, log_key=log_key)
    finally:
        store.close()
    if json_out:
        _echo_json(row)
    else:
        typer.echo(f"witness {row.get('name', '?')} enrolled")


@witness_app.command("list")
def witness_list(db: DbOption = None, json_out: JsonOption = False) -> None:
    """The enrolled witnesses (their keys are public: verifiers pass them to `accord verify --witness`)."""
    from accord.pipeline import log_witnesses

    store = _open(db)
    try:
        rows = log_witnesses(store)
    finally:
        store.close()
    if json_out:
        _echo_json(rows)
    elif not rows:
        typer.echo("no witnesses enrolled")
    else:
        _table(rows, ["name", "vkey", "added_at"])


@witness_app.command("revoke")
def witness_revoke(
    vkey: Annotated[str, typer.Argument(help="The witness's verifier key, as enrolled.")],
    db: DbOption = None,
) -> None:
    """Stop accepting a witness's cosignatures."""
    from accord.errors import AccordError
    from accord.pipeline import LOCAL_ADMIN, revoke_witness

    store = _open(db)
    try:
        done = revoke_witness(store, LOCAL_ADMIN, vkey)
    finally:
        store.close()
    if not done:
        raise AccordError("no enrolled witness has that key", fix="see `accord org witness list`")
    typer.echo("witness revoked")


# -- token ---------------------------------------------------------------------------------
@token_app.command("create")
def token_create(
    org: Annotated[str, typer.Option("--org", help="The organisation the token acts for (its id).")],
    role: Annotated[str, typer.Option("--role", help="provider, auditor, regulator, public or admin.")],
    scope: Annotated[
        list[str] | None,
        typer.Option(
            "--scope",
            help="Limit the token to these scopes (repeatable): read, publish, incidents:write, grants:write, admin. Default: all of the role's.",
        ),
    ] = None,
    member: Annotated[str | None, typer.Option("--member", help="Who in the organisation holds it (shown in the audit log).")] = None,
    expires: Annotated[
        str | None, typer.Option("--expires", help="When it stops working: a duration (90d, 12h, 2w) or an ISO date.")
    ] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Create an API token. It is printed once, here: store it now; it cannot be shown again."""
    from accord.pipeline import LOCAL_ADMIN, create_token

    store = _open(db, create=True)
    try:
        row = create_token(store, LOCAL_ADMIN, org, role, scopes=scope, member=member, expires=expires)
    finally:
        store.close()
    if json_out:
        _echo_json(row)
        return
    typer.echo(row["token"])
    typer.echo(
        f"token {row['id']}: {row['role']} of {row['org']}, scopes {' '.join(row['scopes'])}"
        + (f", expires {row['expires']}" if row["expires"] else "")
        + "\nshown once: only its digest is stored. Send it as 'Authorization: Bearer <token>'.",
        err=True,
    )


@token_app.command("list")
def token_list(
    org: Annotated[str | None, typer.Option("--org", help="Only this organisation's tokens.")] = None,
    db: DbOption = None,
    limit: LimitOption = 100,
    json_out: JsonOption = False,
) -> None:
    """List tokens (ids, roles, scopes, expiry, revocation; never the tokens)."""
    from accord.pipeline import LOCAL_ADMIN, list_tokens

    store = _open(db)
    try:
        rows = list_tokens(store, LOCAL_ADMIN, org=org, limit=limit)
    finally:
        store.close()
    if json_out:
        _echo_json(rows)
    elif not rows:
        typer.echo("no tokens (create one with `accord token create --org ORG --role ROLE`)")
    else:
        _table(rows, ["id", "org", "role", "scopes", "member", "expires", "revoked_at", "last_used"])


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id (tok_...; `accord token list`).")],
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Revoke a token at once (idempotent)."""
    from accord.pipeline import LOCAL_ADMIN, revoke_token

    store = _open(db)
    try:
        row = revoke_token(store, LOCAL_ADMIN, token_id)
    finally:
        store.close()
    if json_out:
        _echo_json(row)
    else:
        typer.echo(f"token {token_id} revoked at {row['revoked_at']}")


# -- audit ---------------------------------------------------------------------------------
@audit_app.command("verify")
def audit_verify(db: DbOption = None, json_out: JsonOption = False) -> None:
    """Recompute the audit log's hash chain; exit 1 if any record was edited, inserted or deleted.

    Note the printed head (record number and hash) somewhere else: a later check that shows an
    earlier head means records were removed."""
    from accord.errors import ExitCode
    from accord.pipeline import verify_audit_chain

    store = _open(db)
    try:
        report = verify_audit_chain(store)
    finally:
        store.close()
    if json_out:
        _echo_json(report)
    elif report["ok"]:
        typer.echo(f"audit log intact: {report['rows']} records, head {report['head_seq']} {report['head_hash']}")
    else:
        typer.echo(f"audit log BROKEN ({report['rows']} records, head {report['head_seq']} {report['head_hash']}):", err=True)
        for p in report["problems"]:
            typer.echo(f"  {p}", err=True)
    if not report["ok"]:
        raise typer.Exit(ExitCode.CHECK_FAILED)


@audit_app.command("list")
def audit_list(
    org: Annotated[str | None, typer.Option("--org", help="Only decisions about callers of this organisation.")] = None,
    action: Annotated[str | None, typer.Option("--action", help="Only actions starting with this (e.g. incidents.).")] = None,
    denied: Annotated[bool, typer.Option("--denied", help="Only denials.")] = False,
    before: Annotated[int | None, typer.Option("--before", help="Only records numbered below this (paging back).")] = None,
    db: DbOption = None,
    limit: LimitOption = 50,
    json_out: JsonOption = False,
) -> None:
    """Show audit records, newest first."""
    from accord.pipeline import LOCAL_ADMIN, list_audit

    store = _open(db)
    try:
        rows = list_audit(store, LOCAL_ADMIN, org=org, action=action, allowed=False if denied else None, before=before, limit=limit)
    finally:
        store.close()
    if json_out:
        _echo_json(rows)
        return
    if not rows:
        typer.echo("no audit records")
        return
    for r in rows:
        r["decision"] = "allow" if r["allowed"] else "DENY"
    _table(rows, ["seq", "time", "principal", "action", "target", "decision", "reason"])
