"""System descriptions (``accord.regulation.load_system`` / ``read_system``): success or AccordError."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given

from accord.regulation import load_system, read_system
from accord.yamlio import load
from tests.unit.fuzz._hostile import FUZZ, ends_well, mutated, write
from tests.unit.fuzz._yamlgen import yaml_doc

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "systems"
TEXTS = [(EXAMPLES / n).read_bytes() for n in ("frontier-model.yaml", "cv-screening.yaml", "credit-scoring.json")]
SYSTEM: dict[str, Any] = load(TEXTS[0].decode())
KEYS = ("name", "roles", "deployment", "placed_on_market", "model", "training_run", "gpu_type", "precision", "high_risk")


def _both(path: Path) -> object:
    _system, problems = read_system(path)
    for p in problems:
        assert len(str(p)) < 20_000
    return load_system(path)


@FUZZ
@given(data=yaml_doc(SYSTEM, KEYS))
def test_system_structured(scratch: Path, data: bytes) -> None:
    ends_well(_both, write(scratch, "system.yaml", data))


@FUZZ
@given(data=mutated(TEXTS))
def test_system_mutated(scratch: Path, data: bytes) -> None:
    ends_well(_both, write(scratch, "mutated.yaml", data))
