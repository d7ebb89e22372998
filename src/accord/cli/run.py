"""``accord run``: send every item of the suites to each target and store the responses.

A run is a ``RunSpec`` (``accord.pipeline``): from a YAML file (``-c eval.yaml``), from flags,
or both (flags override the file's fields). Only typer, the standard library and
``accord.cli._common`` are imported at module level; the pipeline is imported inside the
command, so every other accord command starts without it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from accord.cli._common import DataDirOption, DbOption, ExecutorOption, JsonOption, WorkersOption

AttackOption = Annotated[
    list[str] | None,
    typer.Option(
        "--attack",
        "-a",
        help="Also send each item as attacked: NAME[:key=value,...], steps joined by '+' (base64, template:<slug>, base64+template:<slug>, pair). Repeatable; see `accord attacks list`.",
    ),
]
AttackerOption = Annotated[str | None, typer.Option("--attacker", help="Target that writes attack prompts (rewrites, pair, tap, crescendo): any target spec.")]
TranslatorOption = Annotated[str | None, typer.Option("--translator", help="Target that translates requests for the translate attack: any target spec.")]
AttackJudgeOption = Annotated[str | None, typer.Option("--attack-judge", help="Judge that multi-turn attacks steer by (default: the run spec's judge, embedded).")]


def run(
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="Run spec file (YAML); flags below override its fields.", dir_okay=False)
    ] = None,
    target: Annotated[
        list[str] | None,
        typer.Option("--target", "-t", help="Target spec: openai:<base-url>#<model>, anthropic:<model>, hf:<path>, http:<url>, python:<module>:<fn>, replay:<file|dataset/...>. Repeatable."),
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Display name of the (single) target in every output.")] = None,
    suite: Annotated[list[str] | None, typer.Option("--suite", "-s", help="Suite: a built-in or dataset name, or a JSONL/CSV file. Repeatable.")] = None,
    epochs: Annotated[int | None, typer.Option("--epochs", min=1, help="Times each item is sent (default 1).")] = None,
    concurrency: Annotated[int | None, typer.Option("--concurrency", min=1, help="Requests in flight at once (default 16).")] = None,
    rpm: Annotated[float | None, typer.Option("--rpm", min=0.001, help="Requests-per-minute limit (retries count).")] = None,
    max_retries: Annotated[int | None, typer.Option("--max-retries", min=0, help="Retries per request on 429/5xx/time-outs/connection errors (default 5).")] = None,
    timeout: Annotated[float | None, typer.Option("--timeout", min=0.001, help="Per-request time-out in seconds (default 60).")] = None,
    temperature: Annotated[float | None, typer.Option("--temperature", min=0.0, help="Sampling temperature (default 0).")] = None,
    max_tokens: Annotated[int | None, typer.Option("--max-tokens", min=1, help="Most tokens per completion (default 512).")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Sampling seed, where the target supports one.")] = None,
    db: DbOption = None,
    run_id: Annotated[str | None, typer.Option("--run-id", help="Name the run; the same id resumes it. Default: a generated id, printed at start.")] = None,
    data_dir: DataDirOption = None,
    mapping: Annotated[str | None, typer.Option("--map", help="Column mapping for CSV/JSONL suites: prompt=text,hazard=category,...")] = None,
    api_key_env: Annotated[str | None, typer.Option("--api-key-env", help="Environment variable holding the API key.")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Always call the target; do not reuse cached responses.")] = False,
    reuse_cache: Annotated[
        str | None,
        typer.Option(
            "--reuse-cache",
            metavar="MAX_AGE",
            help="Reuse answers other runs cached for the same target, messages and parameters, at most MAX_AGE old (90s, 30m, 24h, 7d). Default: never; each reused response records its source run.",
        ),
    ] = None,
    retry_errors: Annotated[
        bool, typer.Option("--retry-errors", help="On resume, send items whose stored response is an error again; a success replaces the error (kept as an earlier attempt).")
    ] = False,
    max_response_bytes: Annotated[
        int | None, typer.Option("--max-response-bytes", min=1, help="Largest reply body accepted from an HTTP target (default 8 MiB); a bigger one is an error.")
    ] = None,
    ca_bundle: Annotated[
        Path | None, typer.Option("--ca-bundle", help="PEM file of extra CA certificates for HTTPS targets (SSL_CERT_FILE and the system store are used too).", dir_okay=False)
    ] = None,
    attack: AttackOption = None,
    attacker: AttackerOption = None,
    translator: TranslatorOption = None,
    attack_judge: AttackJudgeOption = None,
    executor: ExecutorOption = None,
    workers: WorkersOption = None,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No progress display (a bar on a terminal, a line every few seconds otherwise).")] = False,
    json_out: JsonOption = False,
) -> None:
    """Send every item of the suites to each target; store each response exactly once.

    Interrupt it (Ctrl-C or SIGTERM) and run the same command with the same --run-id to
    resume; --retry-errors also re-sends the items whose stored response is an error.
    Several processes may run the same --run-id at once: each takes other items.
    Exit codes: 0 complete, 2 bad input, 3 incomplete or mostly errors, 130 interrupted
    (Ctrl-C or SIGTERM).
    """
    import json
    import sys

    from accord.errors import ExitCode, InputError
    from accord.pipeline import print_start, want_progress
    from accord.pipeline import run as run_job

    if no_cache and reuse_cache is not None:
        raise InputError(
            "--reuse-cache and --no-cache contradict each other",
            field="--reuse-cache",
            expected="one of them: --no-cache never reads the cache, --reuse-cache MAX_AGE reads other runs' cached answers",
        )

    spec = build_spec(
        config,
        target=target,
        name=name,
        suite=suite,
        run_id=run_id,
        mapping=mapping,
        api_key_env=api_key_env,
        epochs=epochs,
        generation={"temperature": temperature, "max_tokens": max_tokens, "seed": seed, "timeout_s": timeout},
        engine={
            "concurrency": concurrency,
            "rpm": rpm,
            "max_retries": max_retries,
            "cache": False if no_cache else None,
            "reuse_cache": reuse_cache,
            "executor": executor,
            "workers": workers,
        },
        attacks={"attacks": attack, "attacker": attacker, "translator": translator, "attack_judge": attack_judge},
    )
    from accord.cli._common import open_store

    store = open_store(db, create=True)
    try:
        summaries = run_job(
            spec,
            store,
            data_dir=data_dir,
            progress=want_progress(no_progress),
            on_start=print_start,
            retry_errors=retry_errors,
            max_response_bytes=max_response_bytes,
            ca_bundle=ca_bundle,
        )
    finally:
        store.close()
    if json_out:
        payload: Any = [s.to_dict() for s in summaries]
        print(json.dumps(payload[0] if len(payload) == 1 else payload), flush=True)
    else:
        for summary in summaries:
            kinds = ", ".join(f"{k} {n}" for k, n in summary.error_kinds.items())
            print(
                f"{summary.status}: run {summary.run_id} ({summary.target_name}): {summary.responses}/{summary.expected} responses stored"
                f" ({summary.sent} this time, {summary.cached} from cache, {summary.skipped} already stored),"
                f" {summary.errors} errors{(' (' + kinds + ')') if kinds else ''}, {summary.blocked} blocked,"
                f" {summary.retries} retries; {summary.req_per_s:g} responses/s, {summary.wall_s:g} s, {summary.cpu_s:g} CPU-s",
                file=sys.stderr,
            )
    for summary in summaries:  # on stderr with --json too: stdout stays one JSON document
        print_details(summary)
    if any(s.status == "interrupted" for s in summaries):
        last = summaries[-1]
        print(f"interrupted: resume with --run-id {spec.run_id or last.run_id}", file=sys.stderr)
        raise typer.Exit(ExitCode.INTERRUPTED)
    if not all(s.complete for s in summaries):
        bad = [s.run_id for s in summaries if not s.complete]
        print(f"incomplete: {', '.join(bad)} (missing responses or mostly errors; re-run to resume)", file=sys.stderr)
        raise typer.Exit(ExitCode.INCOMPLETE)


def print_details(summary: Any) -> None:
    """The distinct error messages (with counts) and the congestion hint, on stderr."""
    import sys

    if getattr(summary, "variants", 0):
        helpers = ", ".join(f"{n} to the {role}" for role, n in summary.helper_requests.items())
        print(
            f"attacks: {summary.variants} variant(s) per item besides the plain one; {summary.requests} requests to the target"
            + (f", {helpers} (extra requests the attacks cost)" if helpers else ""),
            file=sys.stderr,
        )
    if summary.error_messages:
        shown = sum(summary.error_messages.values())
        print(f"errors ({len(summary.error_messages)} distinct shown{'' if shown >= summary.errors else f', of {summary.errors}'}):", file=sys.stderr)
        for text, n in summary.error_messages.items():
            print(f"  {n} x {text}", file=sys.stderr)
    if summary.advice:
        print(f"hint: {summary.advice}", file=sys.stderr)


def build_spec(
    config: Path | None,
    *,
    target: list[str] | None,
    name: str | None,
    suite: list[str] | None,
    run_id: str | None,
    mapping: str | None,
    api_key_env: str | None,
    epochs: int | None,
    generation: dict[str, Any],
    engine: dict[str, Any],
    attacks: dict[str, Any] | None = None,
) -> Any:
    """The run spec: the file's (if any), with every flag the user gave laid over it."""
    from accord.errors import InputError
    from accord.pipeline import load_run_spec, spec_from_data
    from accord.suites import parse_mapping

    data: dict[str, Any] = load_run_spec(config).model_dump(mode="json") if config is not None else {}
    if target:
        data["targets"] = [{"spec": t} for t in target]
    if name is not None or api_key_env is not None:
        targets = data.get("targets") or []
        if len(targets) != 1:
            flag = "--name" if name is not None else "--api-key-env"
            raise InputError(f"{flag} applies to a single target", field=flag, expected="exactly one --target (or name targets in the spec file)")
        if name is not None:
            targets[0]["name"] = name
        if api_key_env is not None:
            targets[0]["api_key_env"] = api_key_env
    if suite:
        data["suites"] = list(suite)
    if run_id is not None:
        data["run_id"] = run_id
    if mapping is not None:
        data["mapping"] = parse_mapping(mapping)
    if epochs is not None:
        data["epochs"] = epochs
    for key, value in (attacks or {}).items():
        if value:
            data[key] = list(value) if key == "attacks" else value
    for section, values in (("generation", generation), ("engine", engine)):
        given = {k: v for k, v in values.items() if v is not None}
        if given:
            data[section] = {**(data.get(section) or {}), **given}
    if not data.get("targets"):
        raise InputError("no target", field="--target", expected="--target SPEC or a spec file with `targets:` (-c eval.yaml)")
    if not data.get("suites"):
        raise InputError("no suite", field="--suite", expected="--suite NAME or a spec file with `suites:` (-c eval.yaml)")
    return spec_from_data(data, file=config)
