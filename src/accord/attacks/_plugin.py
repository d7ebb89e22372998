"""The built-in attacks, registered through the same hook a third-party plugin uses.

Each built-in module lists its attack classes in ``ATTACKS``; importing them is cheap (no
model, no data: templates are read when a ``template`` attack is planned).
"""

from __future__ import annotations

import importlib

from accord.plugins import AttackRegistration, hookimpl

BUILTIN_MODULES = (
    "accord.attacks._encodings",
    "accord.attacks._templates",
    "accord.attacks._injection",
    "accord.attacks._rewrites",
    "accord.attacks._pair",
    "accord.attacks._tap",
    "accord.attacks._crescendo",
)


@hookimpl
def accord_attacks() -> list[AttackRegistration]:
    out: list[AttackRegistration] = []
    for path in BUILTIN_MODULES:
        module = importlib.import_module(path)
        out += [AttackRegistration(cls.name, cls, cls.summary) for cls in module.ATTACKS]
    return out
