"""From ``--attack`` strings to a run's fixed list of variants.

``plan_attacks`` looks every step up in the registry (``accord_attacks`` plugins, built-ins
first), validates its parameters against the attack's model, expands each into the parameter
sets of its variants and takes the product over a chain's steps. Each variant gets its
``variant_id`` (``accord.records.variant_id``):

- one step: ``<name>-<digest of its resolved parameters>``: ``base64`` and
  ``base64:layers=1`` are the same variant, so the same id in every run;
- a chain: the step names joined by ``_`` (``base64_template``), and the digest of
  ``{"chain": [[name, params], ...]}``. Attack names use ``-`` only, so ``_`` splits a chain.

The plan is known before any request: the run row stores it (``AttackPlan.to_params``), a
resume with other attacks is refused, and the expected response count is
``items x epochs x (1 + variants)`` (the plain item is always sent too: it is the baseline
every attack is compared with).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from accord.attacks._attack import Attack, Helper, Item, Message, Rewrite, Strategy, Transform, last_user_text, with_last_user
from accord.attacks._spec import AttackRequest, StepRequest, request_from_data
from accord.errors import InputError, UnknownNameError
from accord.records import variant_id

#: A run may ask for many variants, not unboundedly many.
MAX_VARIANTS = 5000


@dataclass(frozen=True)
class Step:
    attack: Attack
    params: dict[str, Any]

    def to_json(self) -> list[Any]:
        return [self.attack.name, self.params]


@dataclass(frozen=True)
class VariantPlan:
    """One variant every item gets: its id, the attack it belongs to, the resolved steps."""

    variant_id: str
    attack: str  # the ``--attack`` text it came from (ASR is reported per attack)
    steps: tuple[Step, ...]

    @property
    def local(self) -> bool:
        """Only transforms: applied while feeding, no helper request."""
        return all(isinstance(s.attack, Transform) for s in self.steps)

    @property
    def strategy(self) -> Strategy | None:
        last = self.steps[-1].attack
        return last if isinstance(last, Strategy) else None

    def apply_local(self, item: Item) -> tuple[Message, ...]:
        """The messages of this variant of ``item`` (transforms only)."""
        text = last_user_text(item.messages)
        for step in self.steps:
            assert isinstance(step.attack, Transform)
            text = step.attack.apply(text, step.params, item)
        return with_last_user(item.messages, text)

    def to_json(self) -> dict[str, Any]:
        return {"attack": self.attack, "steps": [s.to_json() for s in self.steps]}


@dataclass(frozen=True)
class AttackPlan:
    """Every variant of a run, in order, and the helpers they need."""

    requests: tuple[AttackRequest, ...] = ()
    variants: tuple[VariantPlan, ...] = ()
    needs: frozenset[Helper] = field(default_factory=frozenset)

    def __bool__(self) -> bool:
        return bool(self.variants)

    def by_id(self) -> dict[str, VariantPlan]:
        return {v.variant_id: v for v in self.variants}

    def to_params(self) -> dict[str, Any]:
        """What the run row keeps: the attacks as asked, and every variant's resolved steps."""
        return {
            "attacks": [r.text for r in self.requests],
            "variants": {v.variant_id: v.to_json() for v in self.variants},
        }


def registered() -> dict[str, Any]:
    """Attack name -> registration (built-ins and plugins)."""
    from accord.plugins import attack_factories

    return attack_factories()


def get_attack(name: str, data_dir: str | Path | None = None) -> Attack:
    """The attack registered as ``name``; ``UnknownNameError`` lists the known ones."""
    regs = registered()
    if name not in regs:
        raise UnknownNameError("attack", name, sorted(regs))
    from accord.plugins import load_object

    obj = load_object(regs[name].factory)
    attack = obj() if isinstance(obj, type) else obj
    if not isinstance(attack, Attack):
        raise InputError(f"attack {name!r} is registered by a plugin but is not an accord.attacks.Attack", field="--attack")
    if data_dir is not None:
        attack.data_dir = str(data_dir)
    return attack


def _validate(attack: Attack, step: StepRequest, text: str, field: str) -> BaseModel:
    raw = step.params()
    if step.positional is not None:
        if attack.primary is None:
            raise InputError(
                f"attack {attack.name!r} takes no bare value",
                field=field,
                expected=f"{attack.name}:key=value,... (see `accord attacks show {attack.name}`)",
                got=text,
            )
        if attack.primary in raw:
            raise InputError(f"{attack.name}: {attack.primary!r} given twice", field=field, got=text)
        raw[attack.primary] = step.positional
    try:
        return attack.Params.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or attack.name
        known = ", ".join(attack.Params.model_fields) or "none"
        raise InputError(
            f"attack {attack.name!r}, parameter {where!r}: {err['msg']}",
            field=field,
            expected=f"parameters: {known} (see `accord attacks show {attack.name}`)",
            got=text,
        ) from None


def _variant_id(steps: Sequence[Step]) -> str:
    if len(steps) == 1:
        return variant_id(steps[0].attack.name, steps[0].params)
    name = "_".join(s.attack.name for s in steps)
    return variant_id(name, {"chain": [s.to_json() for s in steps]})


def plan_attacks(values: Iterable[Any], *, field: str = "--attack", data_dir: str | Path | None = None) -> AttackPlan:
    """Resolve ``--attack`` values (strings, or run-spec mappings) into the run's variants.

    ``data_dir``: where attacks that read public data (``template``) find it (``--data-dir``)."""
    requests: list[AttackRequest] = []
    variants: list[VariantPlan] = []
    seen: dict[str, str] = {}
    needs: set[Helper] = set()
    for i, value in enumerate(values):
        where = f"{field}[{i}]" if field == "attacks" else field
        request = request_from_data(value, field=where)
        if any(r.text == request.text for r in requests):
            raise InputError(f"attack {request.text!r} given twice", field=where, expected="each attack once")
        resolved: list[list[Step]] = []
        for step in request.steps:
            attack = get_attack(step.name, data_dir)
            if isinstance(attack, Strategy) and len(request.steps) > 1:
                # it writes every prompt itself from the item's request: a step before it would be
                # lost (or, as its objective, mislead its judge), and nothing may follow its conversation
                raise InputError(
                    f"{attack.name} is a multi-turn strategy: it runs alone, not in a chain",
                    field=where,
                    expected=f"--attack {attack.name}[:key=value,...] on its own",
                    got=request.text,
                )
            attack.check()
            params = _validate(attack, step, request.text, where)
            resolved.append([Step(attack, p) for p in attack.expand(params)])
            needs |= attack.needs
        for combo in itertools.product(*resolved):
            vid = _variant_id(combo)
            if vid in seen:
                if seen[vid] == request.text:
                    continue  # an attack expanding to the same variant twice (n larger than the pool)
                steps_text = "+".join(s.attack.name + (f" {s.params}" if s.params else "") for s in combo)
                raise InputError(
                    f"attacks {seen[vid]!r} and {request.text!r} make the same variant ({steps_text})",
                    field=where,
                    expected="each attack once",
                )
            seen[vid] = request.text
            variants.append(VariantPlan(vid, request.text, tuple(combo)))
            if len(variants) > MAX_VARIANTS:
                raise InputError(f"the attacks make more than {MAX_VARIANTS} variants per item", field=where, got=request.text)
        requests.append(request)
    return AttackPlan(tuple(requests), tuple(variants), frozenset(needs))


def kind_of(plan: VariantPlan) -> str:
    """``transform``, ``rewrite`` (a helper rewrites the request) or ``strategy``."""
    if plan.strategy is not None:
        return "strategy"
    if any(isinstance(s.attack, Rewrite) for s in plan.steps):
        return "rewrite"
    return "transform"
