"""``accord attest RUN`` signs what a stored run showed; ``accord verify FILE`` checks it offline.

Both call the pipeline's jobs (``accord.pipeline.attest`` / ``verify``). Key flags follow the
one grammar: ``--signing-key`` is a private key, ``--trusted-key`` a public one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from accord.cli._common import DbOption, FailOnOption, JsonOption, check_gate


def default_output(run_id: str) -> Path:
    """``<run>.intoto.json`` in the current folder, and never anywhere else.

    The run id is validated first (no ``/``, no ``..``); the name is checked again as a plain
    file name, so a validator that ever loosens cannot make ``attest`` write outside the folder.
    """
    import os

    from accord.errors import InputError

    name = f"{run_id}.intoto.json"
    seps = [s for s in (os.sep, os.altsep, "/", "\\") if s]
    if Path(name).name != name or any(s in name for s in seps) or name.startswith(".") or "\0" in name:
        raise InputError("the run id cannot name a file in this folder", field="RUN", got=run_id, fix="pass -o FILE")
    return Path(name)


def attest(
    run_id: Annotated[str, typer.Argument(metavar="RUN", help="Stored run id (see `accord runs list`).")],
    out: Annotated[Path | None, typer.Option("-o", "--output", help="Envelope file to write (default: <run>.intoto.json).", dir_okay=False)] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Bind this report file too (its sha256 becomes a subject).", exists=True, dir_okay=False)] = None,
    signing_key: Annotated[
        str | None, typer.Option("--signing-key", help="Private signing key file. Default: ACCORD_SIGNING_KEY, else `accord keys init`'s key.")
    ] = None,
    log: Annotated[bool, typer.Option("--log", help="Also append the envelope to the transparency log.")] = False,
    log_dir: Annotated[Path | None, typer.Option("--log-dir", envvar="ACCORD_LOG_DIR", help="Log directory for --log.")] = None,
    disclose: Annotated[
        str | None,
        typer.Option(
            "--disclose",
            metavar="KEY",
            help="Instead of signing: write one response's text with its salt and inclusion proof (suite/item[/variant][#epoch]) "
            "to -o (default <run>.disclosure.json). Needs --evidence.",
        ),
    ] = None,
    evidence: Annotated[
        Path | None, typer.Option("--evidence", help="With --disclose: the evidence bundle `accord attest` wrote.", exists=True, dir_okay=False)
    ] = None,
    salts: Annotated[
        Path | None,
        typer.Option("--salts", help="With --disclose: the private salts file (default: beside the bundle).", exists=True, dir_okay=False),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
    allow_incomplete: Annotated[
        bool,
        typer.Option("--allow-incomplete", help="Sign a run still running or missing responses or labels; the statement records it."),
    ] = False,
) -> None:
    """Sign an in-toto attestation (DSSE, Ed25519) of a stored run, binding its evidence bundle.

    Writes the envelope, the evidence bundle beside it (<run>.evidence.json, public) and the
    bundle's salts (<run>.evidence-salts.json, private: keep it to make disclosures). A run still
    running, missing planned responses or labels is refused (exit 3) unless --allow-incomplete.
    """
    from accord.ids import validate_run_id
    from accord.pipeline import attest as attest_job
    from accord.pipeline import open_store

    run_id = validate_run_id(run_id, field="RUN")
    if disclose is not None or evidence is not None or salts is not None:
        _disclose(run_id, disclose, evidence, salts, out, db, as_json)
        return
    path = out or default_output(run_id)
    store = open_store(db, create=False)  # attesting only reads: a mistyped --db must not make a new store
    try:
        result = attest_job(store, run_id, signing_key=signing_key, report=report, out=path, log=log, log_dir=log_dir, allow_incomplete=allow_incomplete)
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps(result.to_dict()))
        return
    typer.echo(f"wrote {path}  ({result.subjects} subjects, signed by {result.keyid})")
    if result.evidence_path is not None:
        typer.echo(f"wrote {result.evidence_path}  (evidence bundle, root {result.evidence_root})")
        typer.echo(f"wrote {result.salts_path}  (private: the salts, needed for disclosures; do not publish)")
    if result.log_index is not None:
        typer.echo(f"logged as entry {result.log_index} in {result.log_origin}; next: accord log checkpoint && accord log prove {result.log_index}")


def _disclose(run_id: str, key: str | None, evidence: Path | None, salts: Path | None, out: Path | None, db: str | None, as_json: bool) -> None:
    """``accord attest RUN --disclose KEY --evidence BUNDLE``: write one response's disclosure."""
    from accord.errors import InputError
    from accord.pipeline import disclose as disclose_job
    from accord.pipeline import open_store

    if key is None or evidence is None:
        raise InputError("--evidence and --salts go with --disclose KEY", field="--disclose" if key is None else "--evidence")
    path = out or Path(default_output(run_id).name.removesuffix(".intoto.json") + ".disclosure.json")
    store = open_store(db, create=False)
    try:
        doc, _ = disclose_job(store, run_id, key, evidence=evidence, salts=salts, out=path)
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps({"path": str(path), "index": doc["index"], "root": doc["root"]}))
        return
    typer.echo(f"wrote {path}  (response {doc['index']} of {doc['size']}, its text, salt and inclusion proof; check: accord verify ENVELOPE --disclosure {path})")


def verify(
    file: Annotated[Path, typer.Argument(help="A DSSE envelope written by `accord attest`.", exists=True, dir_okay=False)],
    trusted_key: Annotated[
        list[str] | None, typer.Option("--trusted-key", help="Trusted signer public key (verifier key, PEM, base64/hex, or a file). Repeatable.")
    ] = None,
    trust: Annotated[Path | None, typer.Option("--trust", help="Trust file: trusted public keys, one per line (or PEM blocks).", exists=True, dir_okay=False)] = None,
    log_checkpoint: Annotated[Path | None, typer.Option("--log-checkpoint", help="Signed log checkpoint the proof is against.", exists=True, dir_okay=False)] = None,
    proof: Annotated[Path | None, typer.Option("--proof", help="Inclusion proof (accord JSON or C2SP tlog-proof).", exists=True, dir_okay=False)] = None,
    trusted_log_key: Annotated[
        list[str] | None,
        typer.Option(
            "--trusted-log-key",
            help="Trusted log public key: the 'log verifier key' line of `accord keys show` / `accord log info`, a PEM, or a file. "
            "Repeatable. Default: the --trust, else --trusted-key, keys, trusted under the checkpoint's origin.",
        ),
    ] = None,
    evidence: Annotated[
        Path | None, typer.Option("--evidence", help="Evidence bundle: check it is the one signed (root and context).", exists=True, dir_okay=False)
    ] = None,
    recompute: Annotated[
        bool, typer.Option("--recompute", help="With --evidence: recompute every signed verdict from the bundle; fail on any difference.")
    ] = False,
    disclosure: Annotated[
        Path | None,
        typer.Option("--disclosure", help="A disclosed response (`accord attest RUN --disclose KEY`): check it against the signed root.", exists=True, dir_okay=False),
    ] = None,
    witness: Annotated[
        list[str] | None,
        typer.Option(
            "--witness",
            help="Trusted witness key (the witness's `accord keys show --witness-name NAME` line, or a file of them). Repeatable. "
            "The log checkpoint must carry their cosignatures (see --min-witnesses).",
        ),
    ] = None,
    min_witnesses: Annotated[
        int | None, typer.Option("--min-witnesses", min=1, help="How many of the --witness keys must have cosigned the checkpoint (default 1).")
    ] = None,
    fail_on: FailOnOption = None,
    json_out: JsonOption = False,
) -> None:
    """Check an attestation's signature (and, with --proof, its log inclusion); print what it attests.

    Exits 1 when a check fails, or when the attested verdicts trip --fail-on.
    """
    from accord.errors import AccordError
    from accord.pipeline import verify as verify_job

    if log_checkpoint is not None and proof is None:
        raise AccordError("--log-checkpoint needs --proof", fix="accord log prove INDEX -o proof.json")
    result = verify_job(
        file,
        trusted_keys=trusted_key or [],
        trust_file=trust,
        trusted_log_keys=trusted_log_key or [],
        checkpoint=log_checkpoint,
        proof=proof,
        evidence=evidence,
        recompute=recompute,
        disclosure=disclosure,
    )
    if witness or min_witnesses is not None:  # k-of-n witness policy on the checkpoint just verified
        from accord.attest import enforce_witness_policy

        result.checks["witnesses"] = enforce_witness_policy(witness or [], min_witnesses, log_checkpoint, proof)
    if json_out:
        typer.echo(json.dumps(result.to_dict(), indent=2))
    else:
        rows = list(result.checks.items()) + result.summary
        width = max(len(k) for k, _ in rows)
        for k, v in rows:
            typer.echo(f"{k:<{width}}  {v}")
    if fail_on is not None:
        from accord.frameworks import deployment_matrix

        verdicts = result.verdicts()
        if not verdicts:
            raise AccordError("the attestation carries no verdicts to check --fail-on against", fix="score the run before attesting it")
        check_gate(verdicts, deployment_matrix(verdicts), fail_on)
