"""``accord log``: append to the Merkle transparency log, sign checkpoints, write proofs.

Key flags follow the one CLI grammar: ``--signing-key`` is a private key (it signs
checkpoints), ``--trusted-key`` a public key and ``--trust`` a file of them (they verify).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from accord.cli._common import JsonOption

app = typer.Typer(no_args_is_help=True, help="The Merkle transparency log.")

LogDirOption = Annotated[
    Path | None,
    typer.Option("--log-dir", help="Log directory. Default: ACCORD_LOG_DIR, else <user data dir>/log.", envvar="ACCORD_LOG_DIR"),
]
SigningKeyOption = Annotated[
    str | None,
    typer.Option(
        "--signing-key",
        help="The log's private checkpoint key (file). Default: ACCORD_LOG_SIGNING_KEY, else `accord keys init --log`'s key "
        "(legacy logs without one: the attestation key, with a migration warning).",
    ),
]
OutOption = Annotated[Path | None, typer.Option("-o", "--out", help="Write to this file instead of stdout.")]
TrustedKeyOption = Annotated[
    list[str] | None,
    typer.Option(
        "--trusted-key",
        help="Trusted log public key: the 'log key' line of `accord log info` (a verifier key named by the log origin), "
        "a PEM, or a file. Repeatable.",
    ),
]
TrustOption = Annotated[
    Path | None,
    typer.Option("--trust", help="Trust file: trusted public keys, one per line (or PEM blocks).", exists=True, dir_okay=False),
]


def log_dir(value: Path | None) -> Path:
    from accord.attest import default_log_dir

    return default_log_dir(value)


def _echo_json(doc: Any) -> None:
    import json

    typer.echo(json.dumps(doc, indent=2, ensure_ascii=False))


def _write(out: Path | None, data: bytes, *, quiet: bool = False) -> None:
    """``data`` to ``out``, else to stdout (unless ``quiet``: --json prints its own document)."""
    if out is not None:
        out.write_bytes(data)
        typer.echo(f"wrote {out}", err=True)
    elif not quiet:
        typer.echo(data.decode(), nl=False)


def log_trusted_keys(trusted_key: list[str] | None, trust: Path | None, *, fallback_signing: bool) -> list[Any]:
    """The ``--trusted-key`` and ``--trust`` keys; else, for a local operator, their own signing key."""
    from accord.attest import load_public_keys

    keys = load_public_keys(trusted_key or [])
    if trust is not None:
        keys += load_public_keys([str(trust)])
    if not keys and fallback_signing:
        from accord.attest import load_log_signing_key

        keys = [load_log_signing_key(warn=False)[0].public]
        typer.echo("note: no --trusted-key/--trust given; trusting your own log key", err=True)
    return keys


@app.command("append")
def append(
    files: Annotated[list[Path], typer.Argument(help="Files to append, one entry each, byte for byte.", exists=True, dir_okay=False)],
    log_dir_: LogDirOption = None,
    origin: Annotated[str | None, typer.Option("--origin", help="Origin (log name) when creating a new log.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Append files as entries; prints each entry's index once it is durable."""
    from accord.attest import FileLog

    with FileLog.open_or_create(log_dir(log_dir_), origin) as log:
        first = log.append_many([f.read_bytes() for f in files])
        size, name = log.size, log.origin
    if as_json:
        _echo_json({"origin": name, "size": size, "entries": [{"index": first + i, "file": str(f)} for i, f in enumerate(files)]})
        return
    for i, f in enumerate(files):
        typer.echo(f"{first + i}\t{f}")
    typer.echo(f"log {name}: {size} entries", err=True)


def _warn_key_change(previous: bytes | None, origin: str, signing: Any) -> None:
    """Tell the operator when this checkpoint's key is not the one that signed the previous one."""
    from accord.attest import Ed25519Verifier, verify_note
    from accord.errors import AccordError

    if previous is None:
        return
    try:
        verify_note(previous, [Ed25519Verifier(origin, signing.public)])
    except AccordError:
        typer.echo(
            f"note: the log's checkpoint key changed (the previous checkpoint was signed by another key). "
            f"Verifiers and witnesses must now trust {signing.public.vkey(origin)} (--trusted-log-key / --trusted-key).",
            err=True,
        )


def _checkpoint_dict(note: bytes) -> dict[str, Any]:
    import base64

    from accord.attest import Checkpoint, parse_note

    cp = Checkpoint.from_text(parse_note(note).text)
    return {"origin": cp.origin, "size": cp.size, "root": base64.b64encode(cp.root).decode()}


@app.command("checkpoint")
def checkpoint(log_dir_: LogDirOption = None, signing_key: SigningKeyOption = None, out: OutOption = None, as_json: JsonOption = False) -> None:
    """Sign the current tree head (C2SP tlog-checkpoint) and print it (or write it with -o)."""
    from accord.attest import Ed25519Signer, FileLog, load_log_signing_key

    signing, _legacy = load_log_signing_key(signing_key)
    with FileLog.open(log_dir(log_dir_), writable=True) as log:
        previous = log.latest_checkpoint()
        note = log.checkpoint([Ed25519Signer(log.origin, signing)]).encode()
        _warn_key_change(previous, log.origin, signing)
    _write(out, note, quiet=as_json)
    if as_json:
        _echo_json({**_checkpoint_dict(note), "checkpoint": note.decode(), "out": str(out) if out else None})


@app.command("info")
def info(log_dir_: LogDirOption = None, signing_key: SigningKeyOption = None, as_json: JsonOption = False) -> None:
    """Origin, size, root and the log's verifier key (give that key to verifiers)."""
    import base64

    from accord.attest import FileLog
    from accord.errors import AccordError

    with FileLog.open(log_dir(log_dir_)) as log:
        path, origin, size, root = str(log.path), log.origin, log.size, base64.b64encode(log.root()).decode()
    from accord.attest import load_log_signing_key

    legacy = False
    try:
        log_key, legacy = load_log_signing_key(signing_key, warn=False)
        vkey: str | None = str(log_key.public.vkey(origin))
    except AccordError:  # no key here: the log can still be read
        vkey = None
    if as_json:
        _echo_json({"path": path, "origin": origin, "size": size, "root": root, "log_vkey": vkey, "log_key_is_attestation_key": legacy})
        return
    typer.echo(f"path:    {path}")
    typer.echo(f"origin:  {origin}")
    typer.echo(f"size:    {size}")
    typer.echo(f"root:    {root}")
    if vkey is not None:
        typer.echo(f"log key: {vkey}   (verifies checkpoints: --trusted-key / --trusted-log-key)")
        if legacy:
            typer.echo("         this is your attestation key (legacy); give the log its own: `accord keys init --log`")
    else:
        typer.echo("log key: (no signing key available)")


@app.command("get")
def get(
    index: Annotated[int, typer.Argument(help="Entry index.")],
    log_dir_: LogDirOption = None,
    out: OutOption = None,
) -> None:
    """Write entry INDEX exactly as appended (for monitors and auditors); no --json: the bytes are the result.

    The bytes are checked first: their leaf hash, and its path to the committed root. Altered
    bytes are an error (exit 1), never output.
    """
    from accord.attest import FileLog

    with FileLog.open(log_dir(log_dir_)) as log:
        data = log.verified_entry(index)
    if out is None:
        import sys

        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        out.write_bytes(data)


@app.command("audit")
def audit(log_dir_: LogDirOption = None, as_json: JsonOption = False) -> None:
    """Recompute every hash from the stored entries (O(n)) and check the committed root.

    Also checks the log was not rolled back below the newest checkpoint it signed. A damaged
    or rolled-back log is the checked condition failing (exit 1), not bad input.
    """
    from accord.attest import FileLog
    from accord.errors import ExitCode, StoreError

    with FileLog.open(log_dir(log_dir_)) as log:
        size, origin = log.size, log.origin
        try:
            log.audit()
        except StoreError as exc:
            if as_json:
                _echo_json({"ok": False, "origin": origin, "size": size, "error": exc.diagnostics()})
            else:
                typer.echo(f"damaged: {exc.diagnostics()}", err=True)
            raise typer.Exit(ExitCode.CHECK_FAILED) from None
    if as_json:
        _echo_json({"ok": True, "origin": origin, "size": size})
    else:
        typer.echo(f"ok: {size} entries, root matches")


def _resolve_entry(log: Any, entry: str) -> int:
    if entry.isdigit():
        return int(entry)
    path = Path(entry)
    if not path.is_file():
        from accord.errors import InputError

        raise InputError("no such file", field="ENTRY", expected="an entry index or the file that was appended", got=entry)
    index = log.find(path.read_bytes())
    if index is None:
        from accord.errors import AccordError

        raise AccordError(f"{path} is not in the log", fix="append it first: accord log append FILE")
    return int(index)


@app.command("prove")
def prove(
    entry: Annotated[str, typer.Argument(help="Entry index, or the file that was appended.")],
    log_dir_: LogDirOption = None,
    checkpoint_file: Annotated[
        Path | None, typer.Option("--checkpoint", exists=True, dir_okay=False, help="Prove against this checkpoint (default: the log's latest).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="Proof document format: json (accord) or tlog (C2SP tlog-proof, checkpoint included).")] = "json",
    out: OutOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write an inclusion proof for ENTRY against a signed checkpoint."""
    from accord.attest import Checkpoint, FileLog, about_file, parse_note
    from accord.errors import AccordError, InputError

    if fmt not in ("json", "tlog"):
        raise InputError("unknown proof format", field="--format", expected="json or tlog", got=fmt)
    with FileLog.open(log_dir(log_dir_)) as log:
        note = checkpoint_file.read_bytes() if checkpoint_file else log.latest_checkpoint()
        if note is None:
            raise AccordError("the log has no checkpoint yet", fix="run `accord log checkpoint` first")
        with about_file(checkpoint_file or "the log's latest checkpoint"):
            cp = Checkpoint.from_text(parse_note(note).text)
        index = _resolve_entry(log, entry)
        if index >= log.size:
            raise InputError(f"entry {index} is not in the log", field="ENTRY", expected=f"0..{log.size - 1}", got=index)
        if cp.origin != log.origin:
            raise AccordError(f"the checkpoint is from log '{cp.origin}', this log is '{log.origin}'")
        if index >= cp.size:
            raise AccordError(
                f"entry {index} is newer than the checkpoint (size {cp.size})", fix="run `accord log checkpoint` first"
            )
        if log.root(cp.size) != cp.root:
            raise AccordError("this log does not match the checkpoint's root", why="wrong log, or its history changed")
        proof = log.verified_inclusion_proof(index, cp.size, cp.root)  # a damaged tree is an error, not a bad proof
    data = proof.to_json() if fmt == "json" else proof.to_tlog_proof(note.decode()).encode()
    _write(out, data, quiet=as_json)
    if as_json:
        import json

        body: Any = json.loads(data) if fmt == "json" else data.decode()
        _echo_json({"index": index, "origin": cp.origin, "tree_size": cp.size, "format": fmt, "proof": body, "out": str(out) if out else None})


@app.command("consistency")
def consistency(
    old: Annotated[Path, typer.Argument(help="The older signed checkpoint.", exists=True, dir_okay=False)],
    new: Annotated[Path, typer.Argument(help="The newer signed checkpoint.", exists=True, dir_okay=False)],
    proof_file: Annotated[Path | None, typer.Option("--proof", help="A consistency proof file (default: compute it from --log-dir).")] = None,
    log_dir_: LogDirOption = None,
    trusted_key: TrustedKeyOption = None,
    trust: TrustOption = None,
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Also write the consistency proof to this file.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Check that NEW extends OLD unchanged: catches a log that rewrote its history.

    Not consistent (or a bad signature) exits 1, the checked condition failed; with --json
    the document says why (``consistent: false``).
    """
    from accord.attest import Checkpoint, ConsistencyProof, FileLog, about_file, parse_note, verify_checkpoints_consistent
    from accord.errors import ExitCode, VerificationError

    keys = log_trusted_keys(trusted_key, trust, fallback_signing=True)
    old_b, new_b = old.read_bytes(), new.read_bytes()
    try:
        if proof_file is not None:
            with about_file(proof_file):
                proof = ConsistencyProof.from_json(proof_file.read_bytes())
        else:
            with about_file(old):
                o = Checkpoint.from_text(parse_note(old_b).text)
            with about_file(new):
                n = Checkpoint.from_text(parse_note(new_b).text)
            if o.size == 0 or o.size > n.size:
                raise VerificationError(f"cannot prove consistency from size {o.size} to size {n.size}")
            with FileLog.open(log_dir(log_dir_)) as log:
                if n.size > log.size:
                    raise VerificationError(f"the local log has {log.size} entries, the new checkpoint {n.size}")
                proof = ConsistencyProof(log.origin, o.size, n.size, ()) if o.size == n.size else log.consistency_proof(o.size, n.size)
        a, b = verify_checkpoints_consistent(old_b, new_b, proof, keys)
    except VerificationError as exc:
        if not as_json:
            raise
        _echo_json({"consistent": False, "error": exc.diagnostics()})
        raise typer.Exit(ExitCode.CHECK_FAILED) from None
    if out is not None:
        out.write_bytes(proof.to_json())
    if as_json:
        _echo_json({"consistent": True, "origin": a.origin, "old_size": a.size, "new_size": b.size, "out": str(out) if out else None})
    else:
        typer.echo(f"consistent: {a.origin} {a.size} -> {b.size}")


def _witness_state_default() -> Path:
    from accord.paths import user_data_dir

    return user_data_dir() / "witness" / "state.json"


@app.command("witness")
def witness(
    checkpoint_file: Annotated[Path, typer.Argument(metavar="CHECKPOINT", help="The log's new signed checkpoint.", exists=True, dir_okay=False)],
    name: Annotated[
        str,
        typer.Option("--name", envvar="ACCORD_WITNESS_NAME", help="This witness's key name (e.g. witness.example.org/w1); part of its verifier key."),
    ],
    signing_key: Annotated[
        str,
        typer.Option(
            "--signing-key",
            envvar="ACCORD_WITNESS_KEY",
            help="The witness's own private key file (`accord keys init -o witness.pem`); never the log's or an attestation key.",
        ),
    ],
    trusted_key: TrustedKeyOption = None,
    trust: TrustOption = None,
    state: Annotated[
        Path | None,
        typer.Option("--state", envvar="ACCORD_WITNESS_STATE", help="Witness state file: last cosigned checkpoint per log. Default: <user data dir>/witness/state.json."),
    ] = None,
    proof_file: Annotated[
        Path | None,
        typer.Option("--proof", exists=True, dir_okay=False, help="Consistency proof from the last cosigned size (`accord log consistency ... -o`)."),
    ] = None,
    log_dir_: Annotated[
        Path | None, typer.Option("--log-dir", help="Compute the consistency proof from this log directory instead of --proof.")
    ] = None,
    out: OutOption = None,
    as_json: JsonOption = False,
) -> None:
    """Cosign CHECKPOINT as a witness (C2SP cosignature/v1) if it is consistent with what this witness saw.

    Verifies the log's signature (--trusted-key / --trust: the log's key), then checks the tree
    against the last checkpoint this witness cosigned for that log: a smaller tree or the same
    size with another root (a fork) is refused (exit 1); a larger one needs a consistency
    proof (--proof, or --log-dir). Prints the checkpoint with the witness's line added.
    """
    from accord.attest import (
        ConsistencyProof,
        CosignatureV1Signer,
        FileLog,
        WitnessState,
        about_file,
        cosign,
        load_signing_key,
        parse_note,
        read_bounded,
    )
    from accord.errors import AccordError, ExitCode, InputError, VerificationError

    if proof_file is not None and log_dir_ is not None:
        raise InputError("--proof and --log-dir both give the consistency proof", field="--proof", fix="pass one")
    keys = log_trusted_keys(trusted_key, trust, fallback_signing=False)
    if not keys:
        raise AccordError("no log key to verify the checkpoint with", fix="pass the log's verifier key (`accord log info`) with --trusted-key")
    wkey = load_signing_key(signing_key)
    if any(k.raw == wkey.public.raw for k in keys):
        raise InputError("the witness key is the log's key", field="--signing-key", fix="a witness signs with its own key: accord keys init -o witness.pem")
    state_path = (state or _witness_state_default()).expanduser()
    note = read_bounded(checkpoint_file, what="checkpoint")
    origin: str | None = None
    try:
        with about_file(checkpoint_file):
            origin = parse_note(note).text.split("\n", 1)[0]
        proof = None
        if proof_file is not None:
            with about_file(proof_file):
                proof = ConsistencyProof.from_json(read_bounded(proof_file, 1 << 20, what="consistency proof"))
        elif log_dir_ is not None:
            from accord.attest import Checkpoint

            seen = WitnessState.load(state_path).logs.get(origin)
            new_size = Checkpoint.from_text(parse_note(note).text).size
            if seen is not None and 0 < seen[0] < new_size:
                with FileLog.open(log_dir_.expanduser()) as log:
                    if log.origin != origin:
                        raise InputError(f"the log at {log_dir_} is '{log.origin}', the checkpoint is from '{origin}'", field="--log-dir")
                    if new_size > log.size:
                        raise VerificationError(f"the local log has {log.size} entries, the checkpoint {new_size}")
                    proof = log.consistency_proof(seen[0], new_size)
        res = cosign(note, log_keys=keys, witness_name=name, witness_key=wkey, state_path=state_path, proof=proof)
    except VerificationError as exc:
        if not as_json:
            raise
        _echo_json({"cosigned": False, "origin": origin, "error": exc.diagnostics()})
        raise typer.Exit(ExitCode.CHECK_FAILED) from None
    _write(out, res.note.encode(), quiet=as_json)
    vkey = CosignatureV1Signer(name, wkey).vkey
    prev = f"{res.previous[0]}" if res.previous else "none (first checkpoint seen from this log)"
    if as_json:
        _echo_json(
            {
                "cosigned": True,
                "origin": res.checkpoint.origin,
                "size": res.checkpoint.size,
                "previous_size": res.previous[0] if res.previous else None,
                "timestamp": res.timestamp,
                "witness_vkey": vkey,
                "checkpoint": res.note,
                "out": str(out) if out else None,
            }
        )
    else:
        typer.echo(f"cosigned {res.checkpoint.origin} at size {res.checkpoint.size} (previously cosigned: {prev}); witness key {vkey}", err=True)
