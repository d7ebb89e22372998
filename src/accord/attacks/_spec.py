"""The attack grammar: ``NAME[:key=value,...]`` steps joined by ``+``.

``--attack base64`` (one step, default parameters), ``--attack template:aim`` (a bare value
sets the attack's primary parameter), ``--attack template:slug=aim,n=1``, and composed
``--attack base64+template:aim`` (left to right: encode, then wrap the encoded request in the
template). A run spec's ``attacks:`` takes the same strings, or a mapping
``{name: prefix-injection, params: {prefix: "..."}}`` (or a list of such mappings for a
chain) where a value needs a comma, an equals sign or a plus.

This module only parses; ``accord.attacks.plan_attacks`` looks the names up and validates
each parameter against the attack's own model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from accord.errors import InputError

_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_KEY = re.compile(r"[a-z_][a-z0-9_]*")
#: A spec is a line of text, not a document.
MAX_SPEC_CHARS = 2000
MAX_STEPS = 8


@dataclass(frozen=True)
class StepRequest:
    """One step as asked for: the attack's name and its raw parameters (strings from the CLI)."""

    name: str
    raw: tuple[tuple[str, Any], ...] = ()
    positional: str | None = None  # the bare value of ``name:value``

    def params(self) -> dict[str, Any]:
        return dict(self.raw)


@dataclass(frozen=True)
class AttackRequest:
    """One ``--attack`` value: its text as given (how reports name it) and its steps."""

    text: str
    steps: tuple[StepRequest, ...]


def _bad(text: str, what: str, field: str) -> InputError:
    return InputError(
        f"cannot read attack {text!r}: {what}",
        field=field,
        expected="NAME[:key=value,...] steps joined by '+', e.g. base64, template:aim, base64+template:slug=aim (see `accord attacks list`)",
    )


def parse_step(text: str, *, whole: str, field: str) -> StepRequest:
    name, sep, rest = text.strip().partition(":")
    name = name.strip()
    if not _NAME.fullmatch(name):
        raise _bad(whole, f"{name!r} is not an attack name (lowercase words joined by '-')", field)
    if not sep:
        return StepRequest(name)
    if not rest.strip():
        raise _bad(whole, f"nothing after '{name}:'", field)
    raw: list[tuple[str, Any]] = []
    positional: str | None = None
    for i, part in enumerate(rest.split(",")):
        key, eq, value = part.partition("=")
        if not eq:
            if i != 0:
                raise _bad(whole, f"{part.strip()!r} needs key=value (only the first value may be bare)", field)
            positional = part.strip()
            if not positional:
                raise _bad(whole, "an empty value", field)
            continue
        key = key.strip()
        if not _KEY.fullmatch(key):
            raise _bad(whole, f"{key!r} is not a parameter name", field)
        if any(k == key for k, _ in raw):
            raise _bad(whole, f"parameter {key!r} given twice", field)
        raw.append((key, value.strip()))
    return StepRequest(name, tuple(raw), positional)


def parse_attack(text: str, *, field: str = "--attack") -> AttackRequest:
    """Parse one ``--attack`` string (``InputError`` names what is wrong and the grammar)."""
    if not isinstance(text, str) or not text.strip():
        raise _bad(str(text), "empty", field)
    if len(text) > MAX_SPEC_CHARS:
        raise _bad(text[:60] + "...", f"longer than {MAX_SPEC_CHARS} characters", field)
    parts = text.split("+")
    if len(parts) > MAX_STEPS:
        raise _bad(text, f"more than {MAX_STEPS} steps", field)
    steps = tuple(parse_step(p, whole=text, field=field) for p in parts)
    return AttackRequest(text.strip(), steps)


def request_from_data(value: Any, *, field: str) -> AttackRequest:
    """A run spec's ``attacks:`` entry: a grammar string, a ``{name, params}`` mapping, or a list of them."""
    if isinstance(value, str):
        return parse_attack(value, field=field)
    entries = value if isinstance(value, list) else [value]
    steps: list[StepRequest] = []
    for i, entry in enumerate(entries):
        where = f"{field}[{i}]" if isinstance(value, list) else field
        if not isinstance(entry, dict) or set(entry) - {"name", "params"} or "name" not in entry:
            raise InputError(
                "an attack entry is a string or a mapping {name: ..., params: {...}}",
                field=where,
                got=repr(entry)[:80],
            )
        name = entry["name"]
        params = entry.get("params") or {}
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise InputError("not an attack name", field=f"{where}.name", expected="lowercase words joined by '-'", got=repr(name)[:80])
        if not isinstance(params, dict) or not all(isinstance(k, str) and _KEY.fullmatch(k) for k in params):
            raise InputError("attack parameters are a mapping of names to values", field=f"{where}.params", got=repr(params)[:80])
        steps.append(StepRequest(name, tuple(sorted(params.items()))))
    if not steps or len(steps) > MAX_STEPS:
        raise InputError(f"an attack chain has 1 to {MAX_STEPS} steps", field=field)
    return AttackRequest(describe(steps), tuple(steps))


def describe(steps: list[StepRequest] | tuple[StepRequest, ...]) -> str:
    """A grammar string for steps (how a mapping-form attack is named in reports)."""
    out = []
    for step in steps:
        args = ([step.positional] if step.positional else []) + [f"{k}={v}" for k, v in step.raw]
        out.append(step.name + (":" + ",".join(str(a) for a in args) if args else ""))
    return "+".join(out)
