"""``accord suites commit | reveal | verify-reveal``: prove a private suite was fixed in advance.

Not a sub-app of its own: the suites CLI calls ``register(app)`` to add these commands to
the ``accord suites`` group. ``--signing-key`` (private) signs; ``--trusted-key`` and
``--trusted-log-key`` (public) verify. ``verify-reveal`` exits 1 when the reveal does not check
out (wrong suite, unknown signer, broken proof): the checked condition failed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from accord.cli._common import JsonOption


def _echo_json(doc: Any) -> None:
    import json

    typer.echo(json.dumps(doc, indent=2, ensure_ascii=False))


def _suite_digest(name: str) -> tuple[str, str]:
    """(suite id, digest) of a suite given by name or file path, via ``accord.suites.load_suite``."""
    from accord.errors import AccordError

    try:
        from accord.suites import load_suite
    except ImportError as exc:  # the suites loader is not installed in this build
        raise AccordError("suite loading is not available in this build", why=str(exc)) from exc
    suite = load_suite(name)
    return suite.suite_id, suite.digest


def _secrets_dir() -> Path:
    from accord.paths import user_data_dir

    path = user_data_dir() / "commitments"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _find_secret(suite_digest: str) -> Path | None:
    import json

    for path in sorted(_secrets_dir().glob("*.json")):
        try:
            if json.loads(path.read_text()).get("suite_digest") == suite_digest:
                return path
        except ValueError:
            continue
    return None


_SECRET_FIELDS = ("suite_digest", "salt", "envelope", "origin", "index")


def _read_secret(path: Path) -> dict[str, Any]:
    """The private record ``commit`` wrote, checked enough that ``reveal`` cannot trip on it."""
    import json

    from accord.errors import InputError

    if not path.is_file():
        raise InputError("commitment record not found", file=path, fix="pass the file `accord suites commit` wrote (see its output)")
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"not a commitment record: {exc}", file=path, expected="JSON written by `accord suites commit`") from exc
    missing = [f for f in _SECRET_FIELDS if not isinstance(record, dict) or f not in record]
    if missing:
        raise InputError("missing: not a commitment record", file=path, field=missing[0], expected="JSON written by `accord suites commit`")
    return dict(record)


def commit(
    name: Annotated[str, typer.Argument(help="Suite name or file.")],
    signing_key: Annotated[str | None, typer.Option("--signing-key", help="Private signing key file (default: ACCORD_SIGNING_KEY, else `accord keys init`'s key).")] = None,
    log_dir: Annotated[Path | None, typer.Option("--log-dir", envvar="ACCORD_LOG_DIR", help="Transparency log directory.")] = None,
    hide_name: Annotated[bool, typer.Option("--hide-name", help="Do not put the suite's name in the signed commitment.")] = False,
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Also write the signed commitment envelope to this file (public).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Sign and log a commitment to a suite (sha256 of a random salt and the suite digest)."""
    from accord.attest import (
        FileLog,
        commit_secret,
        commitment,
        commitment_statement,
        default_log_dir,
        load_signing_key,
        new_salt,
        sign_statement,
        write_private_file,
    )

    signing = load_signing_key(signing_key)
    suite_id, digest = _suite_digest(name)
    salt = new_salt()
    c = commitment(salt, digest)
    envelope = sign_statement(commitment_statement(c, label=None if hide_name else suite_id), signing).to_json()
    with FileLog.open_or_create(default_log_dir(log_dir)) as log:
        index = log.append(envelope)
        origin = log.origin
    secret = _secrets_dir() / f"{c}.json"
    write_private_file(secret, commit_secret(None if hide_name else suite_id, digest, salt, envelope, origin, index), force=False)
    if out is not None:
        out.write_bytes(envelope)
    if as_json:
        _echo_json(
            {
                "commitment": c,
                "suite": None if hide_name else suite_id,
                "origin": origin,
                "index": index,
                "secret": str(secret),
                "out": str(out) if out else None,
            }
        )
        return
    typer.echo(f"commitment {c}")
    typer.echo(f"logged as entry {index} in {origin}")
    typer.echo(f"salt kept private in {secret} (mode 0600); publish with: accord suites reveal {name}")


def reveal(
    name: Annotated[str, typer.Argument(help="Suite name or file that was committed.")],
    secret: Annotated[Path | None, typer.Option("--secret", help="The private commitment record (default: found by suite digest).")] = None,
    signing_key: Annotated[str | None, typer.Option("--signing-key", help="Log key that signs a fresh checkpoint if the latest one predates the commitment (default: ACCORD_LOG_SIGNING_KEY, else `accord keys init --log`'s key).")] = None,
    log_dir: Annotated[Path | None, typer.Option("--log-dir", envvar="ACCORD_LOG_DIR", help="Transparency log directory.")] = None,
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Reveal file to write (default: <suite>.reveal.json).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Publish salt and digest with the signed commitment, its inclusion proof and a checkpoint."""
    import base64

    from accord.attest import Checkpoint, Ed25519Signer, Envelope, FileLog, Reveal, default_log_dir, load_log_signing_key, parse_note
    from accord.errors import AccordError

    suite_id, digest = _suite_digest(name)
    path = secret or _find_secret(digest)
    if path is None:
        raise AccordError(
            f"no commitment found for suite {suite_id} ({digest})",
            why="either it was never committed, or the suite changed since (its digest differs)",
            fix="pass --secret FILE, or commit first: accord suites commit NAME",
        )
    record = _read_secret(path)
    if record["suite_digest"] != digest:
        raise AccordError("the suite changed since it was committed", why=f"committed {record['suite_digest']}, now {digest}")
    envelope = Envelope.from_dict(record["envelope"]).to_json()
    with FileLog.open(default_log_dir(log_dir), writable=True) as log:
        if log.origin != record["origin"]:
            raise AccordError(f"the commitment was logged in '{record['origin']}', this log is '{log.origin}'")
        index = int(record["index"])
        if index >= log.size or log.entry(index) != envelope:
            raise AccordError("the log entry does not hold this commitment", why="wrong log directory?")
        note = log.latest_checkpoint()
        if note is None or Checkpoint.from_text(parse_note(note).text).size <= index:
            note = log.checkpoint([Ed25519Signer(log.origin, load_log_signing_key(signing_key)[0])]).encode()
        size = Checkpoint.from_text(parse_note(note).text).size
        proof = log.inclusion_proof(index, size)
    rv = Reveal(digest, base64.b64decode(record["salt"]), envelope, proof, note.decode(), suite=record.get("suite"))
    target = out or Path(f"{suite_id}.reveal.json")
    target.write_bytes(rv.to_json())
    if as_json:
        _echo_json({"out": str(target), "suite": suite_id, "suite_digest": digest, "commit_index": index, "checkpoint_size": size})
        return
    typer.echo(f"wrote {target}: salt, digest {digest}, commitment entry {index}, checkpoint size {size}")


def verify_reveal(
    reveal_file: Annotated[Path, typer.Argument(help="A reveal file from `accord suites reveal`.", exists=True, dir_okay=False)],
    trusted_key: Annotated[
        list[str] | None,
        typer.Option("--trusted-key", help="Trusted signer public key (verifier key, PEM, base64/hex, or a file). Repeatable."),
    ] = None,
    trust: Annotated[Path | None, typer.Option("--trust", help="Trust file: trusted public keys, one per line (or PEM blocks).", exists=True, dir_okay=False)] = None,
    trusted_log_key: Annotated[
        list[str] | None,
        typer.Option(
            "--trusted-log-key",
            help="Trusted log key: the 'log verifier key' line of `accord keys show` / `accord log info`, a PEM, or a file. "
            "Repeatable. Default: the --trust, else --trusted-key, keys, trusted under the log's origin.",
        ),
    ] = None,
    suite: Annotated[str | None, typer.Option("--suite", help="Check against the suite you hold (name or file).")] = None,
    attestation: Annotated[Path | None, typer.Option("--attestation", help="An evaluation attestation that must come after the commitment.", exists=True, dir_okay=False)] = None,
    attestation_proof: Annotated[Path | None, typer.Option("--attestation-proof", help="Its inclusion proof in the same log.", exists=True, dir_okay=False)] = None,
    attestation_checkpoint: Annotated[Path | None, typer.Option("--attestation-checkpoint", help="Checkpoint for a JSON attestation proof.", exists=True, dir_okay=False)] = None,
    consistency: Annotated[
        Path | None,
        typer.Option(
            "--consistency",
            help="Consistency proof between the reveal's checkpoint and the attestation's (from `accord log consistency OLD NEW -o FILE`); needed when they differ.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Recompute the commitment, check signature and inclusion, and (with --attestation) time order.

    A reveal that does not check out exits 1 (with --json: ``ok: false`` and the reason).
    """
    from accord.attest import Reveal, about_file, trusted_keys
    from accord.attest import verify_reveal as _verify
    from accord.errors import AccordError, ExitCode, VerificationError

    signer_keys, log_keys = trusted_keys(trusted_key, trust, trusted_log_key)
    with about_file(reveal_file):
        revealed = Reveal.from_json(reveal_file.read_bytes())
    held = _suite_digest(suite)[1] if suite else None
    att = None
    if attestation is not None:
        if attestation_proof is None:
            raise AccordError("--attestation needs --attestation-proof")
        att = (
            attestation.read_bytes(),
            attestation_proof.read_bytes(),
            attestation_checkpoint.read_bytes() if attestation_checkpoint else None,
        )
    if consistency is not None and attestation is None:
        raise AccordError("--consistency links the reveal to an evaluation: it needs --attestation")
    cons = None
    if consistency is not None:
        from accord.attest import ConsistencyProof

        with about_file(consistency):
            cons = ConsistencyProof.from_json(consistency.read_bytes())
    try:
        result = _verify(revealed, signer_keys, log_keys, suite_digest=held, attestation=att, consistency=cons)
    except VerificationError as exc:
        if not as_json:
            raise
        _echo_json({"ok": False, "error": exc.diagnostics()})
        raise typer.Exit(ExitCode.CHECK_FAILED) from None
    if as_json:
        _echo_json(
            {
                "ok": True,
                "commitment": result.commitment,
                "signer_keyid": result.signer.keyid,
                "suite_digest": result.suite_digest,
                "suite_matches": True if held else None,
                "committed_at": str(result.committed_at),
                "commit_index": result.commit_index,
                "origin": result.checkpoint.origin,
                "attestation_index": result.attestation_index,
            }
        )
        return
    typer.echo(f"commitment   {result.commitment}  ok (signed by {result.signer.keyid[:16]})")
    typer.echo(f"suite digest {result.suite_digest}" + ("  matches the suite you hold" if held else ""))
    typer.echo(f"committed    {result.committed_at}, log entry {result.commit_index} in {result.checkpoint.origin}")
    if result.attestation_index is not None:
        typer.echo(f"evaluation   log entry {result.attestation_index}: after the commitment  ok")


def register(app: typer.Typer) -> None:
    """Add ``commit``, ``reveal`` and ``verify-reveal`` to the ``accord suites`` group."""
    app.command("commit")(commit)
    app.command("reveal")(reveal)
    app.command("verify-reveal")(verify_reveal)
