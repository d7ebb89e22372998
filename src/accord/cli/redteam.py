"""``accord redteam commit | run | reveal | verify-reveal``: mutual red-teaming with a commitment.

Party A commits to its private campaign (suites + run spec, minus the target), runs it against
party B's endpoint, attests the run (the attestation names the commitment), then reveals; B
verifies that the revealed campaign is what was committed, and what was run. The logic lives in
``accord.pipeline`` (``_redteam``); this module only parses flags and prints.
``verify-reveal`` exits 1 when a check fails.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from accord.cli._common import DataDirOption, DbOption, ExecutorOption, JsonOption, WorkersOption

app = typer.Typer(no_args_is_help=True, help="Mutual red-teaming: commit to a campaign, run it, reveal it, verify the reveal.")

SpecOption = Annotated[
    Path, typer.Option("--config", "-c", help="The campaign's run spec (YAML); `targets:` may be left out.", dir_okay=False)
]
SuiteOption = Annotated[
    list[str] | None, typer.Option("--suite", "-s", help="Suite (name or file), replacing the spec's suites. Repeatable.")
]
LogDirOption = Annotated[Path | None, typer.Option("--log-dir", envvar="ACCORD_LOG_DIR", help="Transparency log directory.")]


def _echo_json(doc: Any) -> None:
    typer.echo(json.dumps(doc, indent=2, ensure_ascii=False))


@app.command("commit")
def commit(
    config: SpecOption,
    suite: SuiteOption = None,
    data_dir: DataDirOption = None,
    signing_key: Annotated[
        str | None,
        typer.Option("--signing-key", help="Private signing key file (default: ACCORD_SIGNING_KEY, else `accord keys init`'s key)."),
    ] = None,
    log_dir: LogDirOption = None,
    label: Annotated[
        str | None, typer.Option("--label", help="A public name for the campaign, signed in the commitment (default: none).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("-o", "--out", help="Also write the signed commitment envelope to this file (public).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Sign and log a commitment to a campaign: its suites, attacks, helpers and parameters, not the target."""
    from accord.pipeline import campaign_of, commit_campaign, load_campaign_spec

    campaign = campaign_of(load_campaign_spec(config, suites=suite), data_dir=data_dir)
    result = commit_campaign(campaign, signing_key=signing_key, log_dir=log_dir, label=label)
    if out is not None:
        out.write_bytes(result.envelope)
    if as_json:
        _echo_json(
            {**result.to_dict(), "variants": len(campaign.variants), "suites": list(campaign.suite_ids), "out": str(out) if out else None}
        )
        return
    typer.echo(f"commitment {result.commitment}")
    typer.echo(f"campaign   {len(campaign.suite_ids)} suite(s), {len(campaign.variants)} attack variant(s)")
    typer.echo(f"logged as entry {result.index} in {result.origin}")
    typer.echo(f"salt and campaign kept private in {result.secret} (mode 0600)")
    typer.echo(f"next: accord redteam run -c {config} -t TARGET; then accord attest RUN --log; later accord redteam reveal -c {config}")


@app.command("run")
def run(
    config: SpecOption,
    target: Annotated[
        list[str] | None, typer.Option("--target", "-t", help="Party B's target spec (not part of the commitment). Repeatable.")
    ] = None,
    suite: SuiteOption = None,
    name: Annotated[str | None, typer.Option("--name", help="Display name of the (single) target.")] = None,
    api_key_env: Annotated[str | None, typer.Option("--api-key-env", help="Environment variable holding the target's API key.")] = None,
    commitment: Annotated[
        Path | None,
        typer.Option(
            "--commitment",
            help="The private record `accord redteam commit` wrote (default: found by the campaign's digest).",
            dir_okay=False,
        ),
    ] = None,
    run_id: Annotated[str | None, typer.Option("--run-id", help="Name the run; the same id resumes it.")] = None,
    db: DbOption = None,
    data_dir: DataDirOption = None,
    concurrency: Annotated[int | None, typer.Option("--concurrency", min=1, help="Requests in flight at once (not committed).")] = None,
    rpm: Annotated[float | None, typer.Option("--rpm", min=0.001, help="Requests-per-minute limit (not committed).")] = None,
    max_retries: Annotated[int | None, typer.Option("--max-retries", min=0, help="Retries per request (not committed).")] = None,
    executor: ExecutorOption = None,
    workers: WorkersOption = None,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No progress display.")] = False,
    json_out: JsonOption = False,
) -> None:
    """`accord run` of a committed campaign: refused unless the spec and suites hash to the commitment.

    The run row records the commitment, so `accord attest` names it. Exit codes as `accord run`.
    """
    from accord.cli._common import open_store
    from accord.cli.run import print_details
    from accord.errors import ExitCode
    from accord.pipeline import campaign_run_spec, print_start, redteam_run, want_progress

    spec = campaign_run_spec(
        config,
        targets=target,
        suites=suite,
        name=name,
        api_key_env=api_key_env,
        run_id=run_id,
        engine={"concurrency": concurrency, "rpm": rpm, "max_retries": max_retries, "executor": executor, "workers": workers},
    )
    store = open_store(db, create=True)
    try:
        summaries = redteam_run(
            spec, store, secret=commitment, data_dir=data_dir, progress=want_progress(no_progress), on_start=print_start
        )
        metas = {s.run_id: (store.require_run(s.run_id).meta.get("commitment") or {}) for s in summaries}
    finally:
        store.close()
    if json_out:
        payload = [{**s.to_dict(), "commitment": metas[s.run_id]} for s in summaries]
        print(json.dumps(payload[0] if len(payload) == 1 else payload), flush=True)
    for s in summaries:
        c = metas[s.run_id]
        print(
            f"{s.status}: run {s.run_id} ({s.target_name}): {s.responses}/{s.expected} responses, {s.errors} errors; "
            f"commitment {str(c.get('commitment'))[:16]}… (log entry {c.get('index')})",
            file=sys.stderr,
        )
        print_details(s)
    if any(s.status == "interrupted" for s in summaries):
        raise typer.Exit(ExitCode.INTERRUPTED)
    if not all(s.complete for s in summaries):
        raise typer.Exit(ExitCode.INCOMPLETE)


@app.command("reveal")
def reveal(
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="The committed campaign's spec (checked unchanged; finds the record).", dir_okay=False),
    ] = None,
    suite: SuiteOption = None,
    data_dir: DataDirOption = None,
    commitment: Annotated[
        Path | None, typer.Option("--commitment", help="The private record `accord redteam commit` wrote.", dir_okay=False)
    ] = None,
    signing_key: Annotated[
        str | None, typer.Option("--signing-key", help="Log key that signs a fresh checkpoint if the latest one predates the commitment.")
    ] = None,
    log_dir: LogDirOption = None,
    out: Annotated[
        Path | None, typer.Option("-o", "--out", help="Reveal file to write (default: campaign-<commitment prefix>.reveal.json).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Publish the campaign with its salt, the signed commitment, an inclusion proof and a checkpoint."""
    from accord.errors import InputError
    from accord.pipeline import campaign_of, load_campaign_spec, read_secret, require_committed, reveal_campaign

    if config is None and commitment is None:
        raise InputError("nothing to reveal", field="--config", expected="-c SPEC (the committed campaign) or --commitment FILE")
    if config is not None:
        record = require_committed(campaign_of(load_campaign_spec(config, suites=suite), data_dir=data_dir), commitment)
    else:
        assert commitment is not None
        record = read_secret(commitment)
    data = reveal_campaign(record, log_dir=log_dir, log_signing_key=signing_key)
    target = out or Path(f"campaign-{record['commitment'][:12]}.reveal.json")
    target.write_bytes(data)
    if as_json:
        _echo_json(
            {
                "out": str(target),
                "commitment": record["commitment"],
                "campaign_digest": record["campaign_digest"],
                "commit_index": record["index"],
            }
        )
        return
    typer.echo(f"wrote {target}: campaign {record['campaign_digest']}, salt, commitment entry {record['index']}")
    typer.echo("publish it with the suite files; verifiers run: accord redteam verify-reveal FILE --trusted-key KEY ...")


@app.command("verify-reveal")
def verify_reveal(
    reveal_file: Annotated[Path, typer.Argument(help="A reveal file from `accord redteam reveal`.", exists=True, dir_okay=False)],
    trusted_key: Annotated[
        list[str] | None, typer.Option("--trusted-key", help="Trusted signer public key (party A's). Repeatable.")
    ] = None,
    trust: Annotated[
        Path | None, typer.Option("--trust", help="Trust file: trusted public keys, one per line.", exists=True, dir_okay=False)
    ] = None,
    trusted_log_key: Annotated[
        list[str] | None, typer.Option("--trusted-log-key", help="Trusted log key (default: the --trust, else --trusted-key, keys).")
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", "-c", help="The campaign spec you were given: must hash (with its suites) to the commitment.", dir_okay=False
        ),
    ] = None,
    suite: SuiteOption = None,
    data_dir: DataDirOption = None,
    attestation: Annotated[
        Path | None,
        typer.Option(
            "--attestation", help="The evaluation attestation: must name the commitment and come after it.", exists=True, dir_okay=False
        ),
    ] = None,
    attestation_proof: Annotated[
        Path | None, typer.Option("--attestation-proof", help="Its inclusion proof in the same log.", exists=True, dir_okay=False)
    ] = None,
    attestation_checkpoint: Annotated[
        Path | None, typer.Option("--attestation-checkpoint", help="Checkpoint for a JSON attestation proof.", exists=True, dir_okay=False)
    ] = None,
    consistency: Annotated[
        Path | None,
        typer.Option(
            "--consistency", help="Consistency proof between the reveal's checkpoint and the attestation's.", exists=True, dir_okay=False
        ),
    ] = None,
    evidence: Annotated[
        Path | None,
        typer.Option(
            "--evidence",
            help="The attestation's evidence bundle: every committed variant was run, nothing else.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Check a reveal: commitment, signature, log inclusion; with -c/--suite the files you hold;
    with --attestation that the attested run is the committed campaign, logged after it.

    A failed check exits 1 (with --json: ``ok: false`` and the reason).
    """
    from accord.attest import trusted_keys
    from accord.errors import AccordError, ExitCode, InputError, VerificationError
    from accord.pipeline import campaign_of, load_campaign_spec, suite_digests, verify_campaign_reveal

    signer_keys, log_keys = trusted_keys(trusted_key, trust, trusted_log_key)
    held = campaign_of(load_campaign_spec(config, suites=suite), data_dir=data_dir) if config is not None else None
    held_suites = suite_digests(suite, data_dir=data_dir) if suite and config is None else []
    att = None
    if attestation is not None:
        if attestation_proof is None:
            raise InputError("--attestation needs --attestation-proof", field="--attestation-proof")
        att = (
            attestation.read_bytes(),
            attestation_proof.read_bytes(),
            attestation_checkpoint.read_bytes() if attestation_checkpoint else None,
        )
    elif consistency is not None or evidence is not None:
        raise AccordError("--consistency and --evidence check the attested run: they need --attestation")
    try:
        result = verify_campaign_reveal(
            reveal_file.read_bytes(),
            signer_keys,
            log_keys,
            held=held,
            held_suites=held_suites,
            attestation=att,
            consistency=consistency.read_bytes() if consistency else None,
            evidence=evidence.read_bytes() if evidence else None,
        )
    except VerificationError as exc:
        if not as_json:
            raise
        _echo_json({"ok": False, "error": exc.diagnostics()})
        raise typer.Exit(ExitCode.CHECK_FAILED) from None
    if as_json:
        _echo_json(result.to_dict())
        return
    typer.echo(f"campaign     {result.campaign_digest}" + (f" ({result.label})" if result.label else ""))
    typer.echo(f"committed    {result.committed_at}, log entry {result.commit_index} in {result.origin}")
    for name, text in result.checks.items():
        typer.echo(f"{name:<12} {text}")
