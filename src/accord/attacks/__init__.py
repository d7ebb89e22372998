"""Attacks: transforms, rewrites by a helper model and multi-turn strategies (issue 19).

``plan_attacks(["base64", "template:aim"])`` turns ``--attack`` values into the run's fixed
list of variants (``AttackPlan``); the runner sends each item plain and as every variant,
applying transforms as it feeds units and running rewrites and strategies as per-unit
coroutines through an ``AttackContext``. ``accord attacks list|show`` describes them.
Third-party attacks register through the ``accord_attacks`` plugin hook (docs/plugins.md)
with a subclass of ``Transform``, ``Rewrite`` or ``Strategy``.
"""

from __future__ import annotations

from accord.attacks._attack import (
    Attack,
    AttackContext,
    AttackFailed,
    AttackKind,
    AttackTrace,
    Helper,
    NoParams,
    Rewrite,
    Role,
    Strategy,
    StrategyResult,
    Transform,
    last_user_text,
    with_last_user,
)
from accord.attacks._info import AttackInfo, ParamInfo, describe_attack
from accord.attacks._plan import MAX_VARIANTS, AttackPlan, Step, VariantPlan, get_attack, kind_of, plan_attacks, registered
from accord.attacks._spec import AttackRequest, StepRequest, describe, parse_attack, request_from_data
from accord.attacks._templates import template_slugs, templates_file
from accord.plugins import declare_builtin

declare_builtin("accord.attacks._plugin", ("accord_attacks",))


def attack_infos() -> list[AttackInfo]:
    """Every registered attack, described, sorted by kind then name."""
    order = {"transform": 0, "rewrite": 1, "strategy": 2}
    infos = [describe_attack(get_attack(name)) for name in registered()]
    return sorted(infos, key=lambda i: (order.get(i.kind, 3), i.name))


__all__ = [
    "MAX_VARIANTS",
    "Attack",
    "AttackContext",
    "AttackFailed",
    "AttackInfo",
    "AttackKind",
    "AttackPlan",
    "AttackRequest",
    "AttackTrace",
    "Helper",
    "NoParams",
    "ParamInfo",
    "Rewrite",
    "Role",
    "Step",
    "StepRequest",
    "Strategy",
    "StrategyResult",
    "Transform",
    "VariantPlan",
    "attack_infos",
    "describe",
    "describe_attack",
    "get_attack",
    "kind_of",
    "last_user_text",
    "parse_attack",
    "plan_attacks",
    "registered",
    "request_from_data",
    "template_slugs",
    "templates_file",
    "with_last_user",
]
