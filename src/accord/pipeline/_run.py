"""The run job: a ``RunSpec`` in, one stored run per target out.

Everything a user can get wrong (target specs, suites, column mappings, attacks, a resume
that does not match) is checked for *every* target before the first run row is written, so
a typo in the third target never leaves two half-made runs behind. The spec of each run is
stored with it (artifact ``run-spec``) as soon as its row exists, so ``accord runs show RUN
--spec`` can re-create it even if the run is killed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accord.aio import run_sync
from accord.attacks import AttackPlan
from accord.errors import AccordError, InputError, StoreError
from accord.ids import validate_run_id
from accord.pipeline._executor import parse_executor
from accord.pipeline._spec import SPEC_KIND, RunSpec, TargetEntry
from accord.records import AttackJudge
from accord.runner import EngineConfig, ProgressMode, RunPlan, RunSummary, SuiteSource, execute_async, new_run_id, parse_age, scan_suites
from accord.store import ResultStore, SuiteRef
from accord.targets import GenParams, Target, load_target, parse_target

OnStart = Callable[[str, bool], None]


@dataclass
class PlannedRun:
    """One target's run, fully validated, not yet started."""

    run_id: str
    entry: TargetEntry
    target: Target
    target_name: str
    plan: RunPlan
    spec: RunSpec


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "target"


def display_name(target: Target, entry: TargetEntry) -> str:
    """The name shown for a target: the spec's override, else the provider's, else its spec."""
    if entry.name:
        return entry.name
    for holder in (target, getattr(target, "spec", None)):
        name = getattr(holder, "display_name", None)
        if isinstance(name, str) and name:
            return name
    return entry.spec


@dataclass(frozen=True)
class AttackSetup:
    """A spec's attacks resolved: the variants, the helper targets, the judge strategies consult."""

    plan: AttackPlan | None = None
    helpers: dict[str, Target] = field(default_factory=dict)
    judge: AttackJudge | None = None


def check_attacks(spec: RunSpec, data_dir: str | Path | None = None) -> AttackPlan | None:
    """Resolve ``spec.attacks`` and check the helpers they need are named (no target is built)."""
    helpers = {"attacker": spec.attacker, "translator": spec.translator}
    if not spec.attacks:
        named = [f"`{role}`" for role, entry in helpers.items() if entry is not None] + (["`attack_judge`"] if spec.attack_judge else [])
        if named:
            raise InputError(
                f"{' and '.join(named)} given without any attack", field="attacks", expected="at least one --attack, or drop the helper"
            )
        return None
    from accord.attacks import plan_attacks

    plan = plan_attacks(spec.attacks, field="attacks", data_dir=data_dir)
    for role in ("attacker", "translator"):
        if role in plan.needs and helpers[role] is None:
            users = sorted({v.attack for v in plan.variants if any(role in s.attack.needs for s in v.steps)})
            raise InputError(
                f"attack {users[0]!r} needs {'an' if role == 'attacker' else 'a'} {role} target",
                field=role,
                expected=f"--{role} TARGET (any accord target spec; `{role}:` in a run spec)",
            )
        if role not in plan.needs and helpers[role] is not None:
            raise InputError(
                f"`{role}` given but no attack uses one",
                field=role,
                expected=f"an attack that needs {'an' if role == 'attacker' else 'a'} {role}, or drop it",
            )
    if spec.attack_judge is not None and "judge" not in plan.needs:
        raise InputError(
            "`attack_judge` given but no attack consults a judge", field="attack_judge", expected="pair, tap or crescendo, or drop it"
        )
    return plan


def _attack_setup(spec: RunSpec, plan: AttackPlan | None, data_dir: str | Path | None, transport: dict[str, Any]) -> AttackSetup:
    if plan is None:
        return AttackSetup()
    helpers: dict[str, Target] = {}
    for role in ("attacker", "translator"):
        entry = getattr(spec, role)
        if entry is not None:
            helpers[role] = _load(entry, data_dir, {**dict(entry.options), **transport})
    judge = None
    if "judge" in plan.needs:
        from accord.judges import attack_judge

        judge = attack_judge(spec.attack_judge or spec.judge)
    return AttackSetup(plan, helpers, judge)


def _open_suites(spec: RunSpec, data_dir: str | Path | None) -> list[SuiteSource]:
    from accord.suites import open_suite

    mapping = dict(spec.mapping) or None
    return [open_suite(name, data_dir=None if data_dir is None else str(data_dir), mapping=mapping) for name in spec.suites]


def plan_runs(
    spec: RunSpec,
    *,
    data_dir: str | Path | None = None,
    progress: ProgressMode | bool = None,
    on_start: OnStart | None = None,
    retry_errors: bool = False,
    max_response_bytes: int | None = None,
    ca_bundle: str | Path | None = None,
    prepared: tuple[list[SuiteSource], list[SuiteRef]] | None = None,
) -> list[PlannedRun]:
    """Validate the whole spec and build one ``RunPlan`` per target. No store is touched.

    ``retry_errors`` (``accord run --retry-errors``) re-sends a resumed run's stored errors;
    ``max_response_bytes`` and ``ca_bundle`` go to every HTTP target (only when set).
    ``prepared``: sources and refs to use instead of opening ``spec.suites`` (a Ray worker
    reads the items the driver stored, not files that may exist only on the driver).
    """
    attack_plan = check_attacks(spec, data_dir)
    for entry in spec.targets:
        parse_target(entry.spec)  # every spec string, before any provider is built
    for helper in (spec.attacker, spec.translator):
        if helper is not None:
            parse_target(helper.spec)
    params = GenParams(**spec.generation.model_dump())
    config = EngineConfig(
        concurrency=spec.engine.concurrency,
        rpm=spec.engine.rpm,
        max_retries=spec.engine.max_retries,
        use_cache=spec.engine.cache,
        reuse_cache_max_age_s=None if spec.engine.reuse_cache is None else parse_age(spec.engine.reuse_cache),
        retry_errors=retry_errors,
    )
    transport = {"max_response_bytes": max_response_bytes, "ca_bundle": None if ca_bundle is None else str(ca_bundle)}
    planned: list[PlannedRun] = []
    names: set[str] = set()
    # Every target gets the same items: read and check the suites once (each run streams them
    # again from its own fresh iterator).
    if prepared is None:
        sources = _open_suites(spec, data_dir)
        refs = scan_suites(sources, spec.suites)
    else:
        sources, refs = prepared
    setup = _attack_setup(spec, attack_plan, data_dir, {k: v for k, v in transport.items() if v is not None})
    for entry in spec.targets:
        target = _load(entry, data_dir, {**dict(entry.options), **{k: v for k, v in transport.items() if v is not None}})
        name = display_name(target, entry)
        if spec.run_id is None:
            run_id = new_run_id()
        elif len(spec.targets) == 1:
            run_id = spec.run_id
        else:
            run_id = f"{spec.run_id}-{_slug(name)}"
        validate_run_id(run_id, field="run_id")  # <run_id>-<target name> may run past 128 characters
        if run_id in names:
            raise AccordError(f"two targets would share run id '{run_id}'", fix="give the targets distinct `name:`s")
        names.add(run_id)
        plan = RunPlan(
            target=target,
            sources=sources,
            suites=refs,
            params=params,
            epochs=spec.epochs,
            config=config,
            run_id=run_id,
            progress=progress,
            on_start=on_start,
            meta={"target_name": name},
            attacks=setup.plan,
            helpers=setup.helpers,
            attack_judge=setup.judge,
        )
        planned.append(PlannedRun(run_id, entry, target, name, plan, spec.for_target(entry, run_id)))
    return planned


def _load(entry: TargetEntry, data_dir: str | Path | None, options: dict[str, Any]) -> Target:
    try:
        return load_target(entry.spec, api_key_env=entry.api_key_env, data_dir=data_dir, **options)
    except TypeError as exc:  # a provider that does not take an option given in the spec
        raise AccordError(f"target {entry.spec}: {exc}", fix="check the target's `options:` (docs/targets.md)") from None


async def arun(
    spec: RunSpec,
    store: ResultStore,
    *,
    data_dir: str | Path | None = None,
    progress: ProgressMode | bool = None,
    on_start: OnStart | None = None,
    **options: Any,
) -> list[RunSummary]:
    """Run (or resume) every target of ``spec`` in turn; one ``RunSummary`` per target.

    ``options``: ``retry_errors``, ``max_response_bytes``, ``ca_bundle`` (see ``plan_runs``).
    ``spec.engine.executor`` ``ray[:ADDRESS]`` sends each run's shards from a Ray cluster's
    workers instead of this process (``accord.pipeline._ray``).
    """
    executor = parse_executor(spec.engine.executor)
    if executor.is_ray:
        from accord.pipeline._ray import check_store, run_ray

        check_store(store)  # before any suite is read: a SQLite store is refused at once
    planned = plan_runs(spec, data_dir=data_dir, progress=progress, on_start=on_start, **options)
    if executor.is_ray:
        for p in planned:
            p.plan.on_start = _storing_spec(store, p, on_start)
        return await run_ray(planned, store, executor, data_dir=data_dir, progress=progress, options=options)
    results: list[RunSummary] = []
    for p in planned:
        p.plan.on_start = _storing_spec(store, p, on_start)
        results.append(await execute_async(store, p.plan))
        if results[-1].status == "interrupted":
            break  # Ctrl-C stops the whole spec, not just this target
    return results


def run(
    spec: RunSpec,
    store: ResultStore,
    *,
    data_dir: str | Path | None = None,
    progress: ProgressMode | bool = None,
    on_start: OnStart | None = None,
    **options: Any,
) -> list[RunSummary]:
    """``arun`` from synchronous code; works inside a running event loop too."""
    return run_sync(arun(spec, store, data_dir=data_dir, progress=progress, on_start=on_start, **options))


def _storing_spec(store: ResultStore, p: PlannedRun, then: OnStart | None) -> OnStart:
    def on_start(run_id: str, resumed: bool) -> None:
        store.put_artifact(run_id, SPEC_KIND, "spec", p.spec.model_dump(mode="json"))
        if then is not None:
            then(run_id, resumed)

    return on_start


def stored_spec(store: ResultStore, run_id: str) -> RunSpec | None:
    """The spec a run was made from (``None`` for runs stored before specs existed)."""
    store.require_run(run_id)
    data = store.get_artifacts(run_id, SPEC_KIND).get("spec")
    if not data:
        return None
    try:
        return RunSpec.model_validate(data)
    except ValueError as exc:  # pydantic's ValidationError: a damaged or foreign row
        raise StoreError(f"the stored run spec of '{run_id}' does not validate", why=str(exc).splitlines()[0]) from None
