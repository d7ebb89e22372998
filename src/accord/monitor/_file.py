"""The monitor file: which targets to re-evaluate, how often, on what, and where alerts go.

```yaml
version: 1
name: nightly-floor                 # a slug: part of every run id
cadence: 24h                        # 90s, 30m, 24h, 7d, 2w
anchor: "2026-01-01T00:00:00Z"      # optional; cycles are [anchor + k*cadence, anchor + (k+1)*cadence)
targets:
  - name: prod                      # a slug, also the display name
    spec: openai:http://127.0.0.1:8000/v1#model
    api_key_env: PROD_KEY           # as in run specs: the NAME of the variable, never the key
    version: "2026-11-release"      # a fixed label, or `served`: what the endpoint reports
    released: 2026-11-20            # optional release date of that version
run: {suites: [xstest], judge: embedded}   # a run spec without targets/run_id
compare: {correction: holm, alpha: 0.05}
alerts: {on: regression, webhooks: [...], incident: {...}}
```

This module is the pure half: the monitor's own fields. A target entry's run-spec fields
(``spec``, ``api_key_env``, ``options``) and the ``run:`` block are run-spec data and are
validated as such by the loader (``accord.pipeline._monitor.load_monitor``), with the run
spec's own models, so a monitor accepts exactly what ``accord run -c`` accepts and refuses
secrets the same way.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from accord.monitor._schedule import EPOCH, parse_cadence
from accord.monitor._sinks import AlertSinks

__all__ = ["SERVED", "CompareSettings", "MonitorFile", "MonitorTarget"]

#: ``version: served``: label each run with the model version the endpoint reported.
SERVED = "served"
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
_SLUG_EXPECTED = "a slug: 1-40 of a-z 0-9 -, starting and ending with a letter or digit"
#: Fields of a target entry that belong to the monitor, not to the run spec's target.
MONITOR_TARGET_FIELDS = ("name", "version", "released")
#: Fields a monitor's ``run:`` block may not hold: the monitor sets them per target and cycle.
RUN_FIELDS_SET_BY_MONITOR = ("targets", "run_id")


def _slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError(f"must be {_SLUG_EXPECTED}")
    return value


class MonitorTarget(BaseModel):
    """One monitored model: its name, version label and release date, plus run-spec target
    fields (``spec``, ``api_key_env``, ``options``), which the loader checks as a run spec's
    target entry."""

    model_config = ConfigDict(extra="allow", frozen=True)
    name: str = Field(description="A slug naming the target in run ids and every output.")
    spec: str = Field(min_length=1, description="Target spec, as in run specs.")
    version: str | None = Field(
        default=None, min_length=1, max_length=128, description="Version label, or `served` for the one the endpoint reports."
    )
    released: date | None = Field(default=None, description="Release date of that version (horizon scanning reads it).")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _slug(value)

    @field_validator("version")
    @classmethod
    def _version(cls, value: str | None) -> str | None:
        if value is not None and (not value.isprintable() or value != value.strip()):
            raise ValueError("a version label is printable text without surrounding spaces")
        return value

    @field_validator("released", mode="before")
    @classmethod
    def _released(cls, value: Any) -> Any:
        if isinstance(value, datetime):  # a timestamp is not a release date
            raise ValueError("a release date is YYYY-MM-DD, without a time")
        return value

    @property
    def served(self) -> bool:
        """Whether the version label is read from the endpoint's replies."""
        return self.version == SERVED

    def entry_data(self) -> dict[str, Any]:
        """The run spec's target entry (``{spec, name, api_key_env, options, ...}``) this target makes."""
        extra = dict(self.model_extra or {})
        return {"spec": self.spec, "name": self.name, **extra}


class CompareSettings(BaseModel):
    """How a new run is compared with its baseline (``accord compare``'s options)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    correction: Literal["holm", "bh"] = "holm"
    alpha: float = Field(default=0.05, gt=0.0, lt=1.0)


class MonitorFile(BaseModel):
    """A whole monitor file (docs/monitor.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    version: Literal[1] = 1
    name: str = Field(description="A slug naming the monitor in run ids.")
    cadence: str = Field(description="How often each target is evaluated: 90s, 30m, 24h, 7d, 2w.")
    anchor: datetime = Field(default=EPOCH, description="Start of cycle 0 (UTC); default 1970-01-01T00:00:00Z.")
    targets: list[MonitorTarget] = Field(min_length=1, max_length=64)
    run: dict[str, Any] = Field(description="A run spec without `targets` and `run_id`.")
    compare: CompareSettings = Field(default_factory=CompareSettings)
    alerts: AlertSinks = Field(default_factory=AlertSinks)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _slug(value)

    @field_validator("cadence", mode="before")
    @classmethod
    def _cadence(cls, value: Any) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str):
            parse_cadence(value)
        return value

    @field_validator("anchor", mode="before")
    @classmethod
    def _anchor(cls, value: Any) -> Any:
        if isinstance(value, date) and not isinstance(value, datetime):
            return datetime.combine(value, time(0), tzinfo=UTC)
        return value

    @field_validator("anchor")
    @classmethod
    def _anchor_utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("give the anchor with its time zone, e.g. 2026-01-01T00:00:00Z")
        return value.astimezone(UTC)

    @field_validator("run", mode="before")
    @classmethod
    def _run(cls, value: Any) -> Any:
        if isinstance(value, dict):
            for key in RUN_FIELDS_SET_BY_MONITOR:
                if key in value:
                    raise ValueError(f"`{key}` is set by the monitor (one run per target and cycle); drop it from `run:`")
        return value

    @field_validator("alerts", mode="before")
    @classmethod
    def _alerts_on(cls, value: Any) -> Any:
        """``on: regression`` reads as ``{True: "regression"}`` in YAML 1.1 (``on`` is a
        boolean there): take the key back."""
        if isinstance(value, dict) and True in value and "on" not in value:
            return {("on" if k is True else k): v for k, v in value.items()}
        return value

    @field_validator("targets")
    @classmethod
    def _distinct_targets(cls, value: list[MonitorTarget]) -> list[MonitorTarget]:
        names = [t.name for t in value]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"target name listed twice: {', '.join(dupes)}")
        return value

    @property
    def cadence_s(self) -> int:
        """The cadence in whole seconds."""
        return parse_cadence(self.cadence)

    def target(self, name: str) -> MonitorTarget:
        for t in self.targets:
            if t.name == name:
                return t
        raise KeyError(name)
