"""Judges: label each response (refusal, harmful compliance), validated against human labels.

Public surface: the ``Judge`` protocol and its records, ``get_judge`` (names users type:
``embedded``, ``pattern``, ``llm:<target>``, ``ensemble:a+b``, ``any-unsafe:a+b``),
``validate`` against the human-labelled datasets, and the agreement metrics.
"""

from typing import TYPE_CHECKING, Any

from accord.judges._attack_judge import JudgeAsAttackJudge, attack_judge
from accord.judges._judge import BaseJudge, Judge, JudgeInput, Verdict, judge_sync, precheck
from accord.judges._metrics import Agreement, agreement
from accord.judges._position import position_flags, position_held
from accord.judges._registry import DEFAULT_JUDGE, get_judge, known_names
from accord.stats import Estimate, wilson

__all__ = [
    "JudgeAsAttackJudge",
    "attack_judge",
    "DEFAULT_JUDGE",
    "Agreement",
    "BaseJudge",
    "Estimate",
    "Judge",
    "JudgeInput",
    "Verdict",
    "agreement",
    "get_judge",
    "judge_sync",
    "known_names",
    "position_flags",
    "position_held",
    "precheck",
    "wilson",
]


def load_card() -> dict[str, Any]:
    """The embedded judge's card (training data digests, held-out agreement); imported lazily
    because the embedded model module loads numpy."""
    from accord.judges._embedded import load_card as _load

    return _load()


__all__ += ["load_card"]

# Imported on first use: these load numpy/scipy (and, for training, scikit-learn), which
# ``import accord.judges`` must not pay for.
_LAZY: dict[str, str] = {
    "CARD_PATH": "accord.judges._embedded",
    "MODEL_PATH": "accord.judges._embedded",
    "catalog": "accord.judges._catalog",
    "train_and_write": "accord.judges._card",
    "validate": "accord.judges._validate",
    "validate_labels_file": "accord.judges._validate",
}
__all__ += list(_LAZY)


if TYPE_CHECKING:
    from accord.judges._card import train_and_write
    from accord.judges._catalog import catalog
    from accord.judges._embedded import CARD_PATH, MODEL_PATH
    from accord.judges._validate import validate, validate_labels_file


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'accord.judges' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
