"""Run specs: a run written down as data, so it can be reviewed, versioned and re-created.

A ``RunSpec`` holds everything that decides what a run sends and how it is judged and
scored: targets, suites, generation parameters, epochs, attacks, judge, packs, and the
engine's limits. ``accord run -c eval.yaml`` loads one (flags override its fields), the spec
of each run is stored with the run (artifact kind ``run-spec``), and ``accord runs show RUN
--spec`` prints it back as YAML that ``accord run -c`` accepts.

Secrets never belong in a spec: API keys are named by the environment variable that holds
them (``api_key_env``), never given by value, and the stored spec is the validated model,
which has no field for a key.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from accord.errors import InputError

#: Bytes a spec file may have: a spec is a page of YAML, not a dataset.
MAX_SPEC_BYTES = 1_000_000
SPEC_KIND = "run-spec"
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class TargetEntry(BaseModel):
    """One model under test: its target spec string and, optionally, a display name."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    spec: str = Field(min_length=1, description="Target spec, e.g. openai:http://127.0.0.1:8000/v1#my-model.")
    name: str | None = Field(default=None, description="Display name in every output (default: the provider's).")
    api_key_env: str | None = Field(default=None, description="Environment variable holding the API key (never the key).")
    options: dict[str, Any] = Field(default_factory=dict, description="Provider options (no secrets: reference env vars).")

    @field_validator("api_key_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_NAME.match(value):
            raise ValueError("must be the NAME of an environment variable (e.g. OPENAI_API_KEY), not a key")
        return value


class Generation(BaseModel):
    """Generation parameters sent with every request (part of the cache key)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    temperature: float = Field(default=0.0, ge=0.0)
    max_tokens: int = Field(default=512, ge=1)
    top_p: float | None = Field(default=None, gt=0.0, le=1.0)
    seed: int | None = None
    timeout_s: float = Field(default=60.0, gt=0.0)


class EngineLimits(BaseModel):
    """How hard the runner may push the target."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    concurrency: int = Field(default=16, ge=1)
    rpm: float | None = Field(default=None, gt=0.0)
    max_retries: int = Field(default=5, ge=0)
    cache: bool = True
    reuse_cache: str | None = Field(
        default=None,
        description="Reuse answers other runs cached, at most this old (90s, 30m, 24h, 7d); default: never.",
    )
    executor: str = Field(
        default="local",
        description="Where the requests are sent from: local (this process) or ray[:ADDRESS] (a Ray cluster's workers over a shared PostgreSQL store).",
    )
    workers: int | None = Field(default=None, ge=1, description="Ray tasks sharing the run (default: the cluster's CPUs); local: ignored.")

    @field_validator("executor")
    @classmethod
    def _check_executor(cls, value: str) -> str:
        from accord.pipeline._executor import parse_executor

        parse_executor(value)
        return value

    @field_validator("reuse_cache")
    @classmethod
    def _check_reuse_cache(cls, value: str | None) -> str | None:
        if value is not None:
            from accord.runner import parse_age

            parse_age(value)
        return value


class RunSpec(BaseModel):
    """A whole run (or one run per target) as data. See docs/run-specs.md."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    version: Literal[1] = 1
    run_id: str | None = Field(default=None, description="Run id; with several targets, each run is <run_id>-<target name>.")
    targets: list[TargetEntry] = Field(min_length=1)
    suites: list[str] = Field(min_length=1)
    mapping: dict[str, str] = Field(default_factory=dict, description="Column mapping for CSV/JSONL suites (prompt=text, ...).")
    generation: Generation = Field(default_factory=Generation)
    epochs: int = Field(default=1, ge=1)
    engine: EngineLimits = Field(default_factory=EngineLimits)
    attacks: list[str | dict[str, Any] | list[dict[str, Any]]] = Field(
        default_factory=list,
        description="Attacks: NAME[:key=value,...] joined by '+' (or {name, params} mappings); each item is sent plain and as every variant.",
    )
    attacker: TargetEntry | None = Field(
        default=None, description="The target that writes attack prompts (rewrites, PAIR, TAP, Crescendo)."
    )
    translator: TargetEntry | None = Field(default=None, description="The target that translates requests for the translate attack.")
    attack_judge: str | None = Field(default=None, description="The judge multi-turn attacks steer by (default: `judge`).")
    judge: str = "embedded"
    packs: list[str] = Field(default_factory=list, description="Pack ids or YAML files; empty means every built-in pack.")

    @field_validator("targets", mode="before")
    @classmethod
    def _targets_as_strings(cls, value: Any) -> Any:
        """``targets: [openai:...#m]`` is the short form of ``[{spec: openai:...#m}]``."""
        if isinstance(value, (str, dict)):
            value = [value]
        if isinstance(value, list):
            return [{"spec": v} if isinstance(v, str) else v for v in value]
        return value

    @field_validator("suites", "packs", "attacks", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, (str, dict)) else value

    @field_validator("attacker", "translator", mode="before")
    @classmethod
    def _helper_as_string(cls, value: Any) -> Any:
        """``attacker: openai:...#m`` is the short form of ``{spec: openai:...#m}``."""
        return {"spec": value} if isinstance(value, str) else value

    @field_validator("run_id")
    @classmethod
    def _run_id(cls, value: str | None) -> str | None:
        from accord.ids import RUN_ID_EXPECTED, RUN_ID_PATTERN

        if value is not None and RUN_ID_PATTERN.fullmatch(value) is None:
            raise ValueError(f"a run id is {RUN_ID_EXPECTED}")
        return value

    @model_validator(mode="after")
    def _distinct_targets(self) -> RunSpec:
        seen = [t.spec.strip() for t in self.targets]
        dupes = sorted({s for s in seen if seen.count(s) > 1})
        if dupes:
            raise ValueError(f"target listed twice: {', '.join(dupes)}")
        return self

    def for_target(self, target: TargetEntry, run_id: str) -> RunSpec:
        """The spec of the single run this spec makes for ``target`` (what is stored with it)."""
        return self.model_copy(update={"targets": [target], "run_id": run_id})

    def to_yaml(self) -> str:
        """YAML that ``accord run -c`` loads back into an equal spec."""
        import yaml  # type: ignore[import-untyped]

        data = self.model_dump(mode="json", exclude_none=True)
        return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def spec_from_data(data: Any, *, file: str | Path | None = None, node: Any = None) -> RunSpec:
    """Validate parsed data as a ``RunSpec``; errors name the file, line and field."""
    if not isinstance(data, dict):
        raise InputError(
            "a run spec is a mapping of fields",
            file=file,
            expected="targets:, suites:, ... (see docs/run-specs.md)",
            got=type(data).__name__,
        )
    try:
        return RunSpec.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        line = _locate(node, loc) if node is not None else None
        field = ".".join(str(p) for p in loc) or None
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise InputError(
            f"{err['msg']}{more}", file=file, line=line, field=field, got=err.get("input") if err["type"] != "missing" else None
        ) from None


def _locate(node: Any, loc: tuple[Any, ...]) -> int | None:
    from accord.yamlio import locate

    return locate(node, tuple(p for p in loc if isinstance(p, (str, int))))


def read_yaml_file(path: str | Path, what: str = "run spec") -> tuple[Any, Any]:
    """Read a YAML (or JSON) file of ``what`` with the limits every accord file gets (size here;
    depth and aliases in ``accord.yamlio``): (data, node), the node for locating errors by line."""
    import yaml

    from accord.yamlio import error_line, error_message, load_located

    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot read {what}: {exc.strerror}", file=p) from None
    if size > MAX_SPEC_BYTES:
        raise InputError(f"{what} too large", file=p, expected=f"at most {MAX_SPEC_BYTES:,} bytes", got=f"{size:,} bytes")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{what} is not UTF-8 text", file=p) from None
    try:
        return load_located(text)
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML: {error_message(exc)}", file=p, line=error_line(exc)) from None


def load_run_spec(path: str | Path) -> RunSpec:
    """Read and validate a YAML (or JSON) run spec file (size, depth and alias limits apply)."""
    data, node = read_yaml_file(path, "run spec")
    return spec_from_data(data, file=Path(path), node=node)
