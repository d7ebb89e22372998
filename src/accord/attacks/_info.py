"""What ``accord attacks list|show`` prints: each attack's kind, summary, parameters, origin."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

from accord.attacks._attack import Attack


@dataclass(frozen=True)
class ParamInfo:
    name: str
    type: str
    default: Any
    required: bool
    description: str


@dataclass(frozen=True)
class AttackInfo:
    name: str
    kind: str
    summary: str
    description: str
    origin: str
    primary: str | None
    needs: tuple[str, ...]
    params: tuple[ParamInfo, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "summary": self.summary,
            "description": self.description,
            "origin": self.origin,
            "primary": self.primary,
            "needs": list(self.needs),
            "params": [p.__dict__ for p in self.params],
        }


def _type_name(annotation: Any) -> str:
    text = getattr(annotation, "__name__", None) or str(annotation)
    return text.replace("typing.", "")


def describe_attack(attack: Attack) -> AttackInfo:
    """An attack's public description, from its class attributes, docstring and parameter model."""
    params = []
    for name, f in attack.Params.model_fields.items():
        default = None if f.is_required() else f.get_default(call_default_factory=True)
        params.append(ParamInfo(name, _type_name(f.annotation), default, f.is_required(), f.description or ""))
    doc = inspect.getdoc(type(attack)) or ""
    return AttackInfo(
        name=attack.name,
        kind=attack.kind,
        summary=attack.summary,
        description=doc,
        origin=attack.origin,
        primary=attack.primary,
        needs=tuple(sorted(attack.needs)),
        params=tuple(params),
    )
