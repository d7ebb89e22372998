"""``accord keys``: create and show the Ed25519 signing key (the private key is never printed).

``--signing-key`` names a private key everywhere; what these commands print for others is
what they pass as ``--trusted-key`` (attestations) or ``--trusted-log-key`` (checkpoints).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from accord.cli._common import JsonOption

app = typer.Typer(no_args_is_help=True, help="Signing keys.")

SigningKeyOption = Annotated[
    str | None,
    typer.Option("--signing-key", help="Private signing key file (PEM or base64/hex seed). Default: ACCORD_SIGNING_KEY, else the key from `accord keys init`."),
]


@app.command("init")
def init(
    force: Annotated[bool, typer.Option("--force", help="Replace an existing key (attestations signed with it will no longer match it).")] = False,
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Write the key to this file instead of the user config directory.")] = None,
    log: Annotated[
        bool, typer.Option("--log", help="Create the log's checkpoint key (separate from the attestation key) instead.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Create an Ed25519 signing key (file mode 0600); with --log, the log's own checkpoint key."""
    from accord.attest import init_key

    if log:
        from accord.attest import default_log_key_path

        key = init_key(out or default_log_key_path(), force=force)
        log_vkey, log_path = _log_vkey(key.public, None)
        if as_json:
            import json

            doc = {"path": str(key.source), "keyid": key.public.keyid, "log_vkey": log_vkey, "public_key_pem": key.public.pem()}
            typer.echo(json.dumps(doc, indent=2))
            return
        typer.echo(f"created log checkpoint key at {key.source} (mode 0600)")
        if log_vkey is not None:
            typer.echo(f"log verifier key: {log_vkey}   (checkpoints of {log_path}: --trusted-log-key)")
        if out is not None:
            typer.echo("not the default place: pass it to `accord log checkpoint --signing-key`, or set ACCORD_LOG_SIGNING_KEY")
        return
    key = init_key(out, force=force)
    if as_json:
        import json

        doc = {"path": str(key.source), "keyid": key.public.keyid, "vkey": key.public.vkey(), "public_key_pem": key.public.pem()}
        typer.echo(json.dumps(doc, indent=2))
        return
    typer.echo(f"created signing key at {key.source} (mode 0600)")
    typer.echo(f"key id:       {key.public.keyid}")
    typer.echo(f"verifier key: {key.public.vkey()}   (attestations: --trusted-key)")
    typer.echo("log checkpoints have their own key: `accord keys init --log` (then `accord log info` prints its verifier key)")


def _log_vkey(public: Any, log_dir: Path | None) -> tuple[str | None, str]:
    """(verifier key for checkpoints, where it came from): the same key named by the log's origin.

    Checkpoints are signed notes under the log's origin, so the ``accord``-named line cannot
    verify them; this is the line to give ``--trusted-log-key``. None when there is no log yet.
    """
    from accord.attest import FileLog, default_log_dir
    from accord.errors import AccordError

    path = default_log_dir(log_dir)
    try:
        with FileLog.open(path) as log:
            return str(public.vkey(log.origin)), str(path)
    except AccordError:
        return None, str(path)


@app.command("show")
def show(
    signing_key: SigningKeyOption = None,
    name: Annotated[str, typer.Option("--name", help="Key name used in the verifier-key text.")] = "accord",
    log_dir: Annotated[
        Path | None,
        typer.Option("--log-dir", envvar="ACCORD_LOG_DIR", help="Log whose checkpoint verifier key to print (default: <user data dir>/log)."),
    ] = None,
    pem: Annotated[bool, typer.Option("--pem", help="Print only the public key as PEM.")] = False,
    log: Annotated[bool, typer.Option("--log", help="Show the log's checkpoint key (`accord keys init --log`) instead.")] = False,
    witness_name: Annotated[
        str | None,
        typer.Option("--witness-name", help="Also print this key's witness (cosignature/v1) verifier key under NAME: what `verify --witness` takes."),
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Print the public key and key id (share these; they let others verify your attestations).

    Also prints the log verifier key: the same key under the log's origin name, which is what
    verifies that log's checkpoints (`accord verify --trusted-log-key`).
    """
    from accord.attest import load_signing_key

    if log:
        from accord.attest import load_log_signing_key

        signing = load_log_signing_key(signing_key)[0]
    else:
        signing = load_signing_key(signing_key)
    pub = signing.public
    witness_vkey = None
    if witness_name is not None:
        from accord.attest import cosigner_vkey

        witness_vkey = cosigner_vkey(pub, witness_name)
    if pem and json_out:
        from accord.errors import InputError

        raise InputError("--pem and --json print different things", field="--pem", fix="choose one (the JSON has the PEM as public_key_pem)")
    if pem:
        typer.echo(pub.pem(), nl=False)
        return
    log_pub = pub
    if not log and signing_key is None:  # the log verifier key is the log's own key, if it has one
        from accord.attest import load_log_signing_key
        from accord.errors import AccordError

        try:
            log_pub = load_log_signing_key(warn=False)[0].public
        except AccordError:
            pass
    log_vkey, log_path = _log_vkey(log_pub, log_dir)
    if json_out:
        import json

        doc = {"keyid": pub.keyid, "vkey": pub.vkey(name), "log_vkey": log_vkey, "public_key_pem": pub.pem(), "source": signing.source}
        if witness_vkey is not None:
            doc["witness_vkey"] = witness_vkey
        typer.echo(json.dumps(doc, indent=2))
        return
    typer.echo(f"source:           {signing.source}")
    typer.echo(f"key id:           {pub.keyid}")
    typer.echo(f"verifier key:     {pub.vkey(name)}   (attestations: --trusted-key)")
    if log_vkey is not None:
        typer.echo(f"log verifier key: {log_vkey}   (checkpoints of {log_path}: --trusted-log-key)")
    else:
        typer.echo(f"log verifier key: (no log at {log_path} yet; after `accord log append`, rerun this or `accord log info`)")
    if witness_vkey is not None:
        typer.echo(f"witness key:      {witness_vkey}   (cosignatures: accord verify --witness)")
    typer.echo(pub.pem(), nl=False)
