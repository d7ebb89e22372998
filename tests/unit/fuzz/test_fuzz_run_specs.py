"""Run specs (``accord.pipeline.load_run_spec``): success or AccordError, never a hang."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given

from accord.pipeline import load_run_spec
from accord.yamlio import load
from tests.unit.fuzz._hostile import FUZZ, ends_well, mutated, write
from tests.unit.fuzz._yamlgen import yaml_doc

SPEC_TEXT = (Path(__file__).resolve().parents[3] / "examples" / "eval.yaml").read_bytes()
SPEC: dict[str, Any] = load(SPEC_TEXT.decode())
KEYS = ("run_id", "targets", "spec", "suites", "generation", "engine", "epochs", "api_key_env", "options", "mapping")


@FUZZ
@given(data=yaml_doc(SPEC, KEYS))
def test_run_spec_structured(scratch: Path, data: bytes) -> None:
    ends_well(load_run_spec, write(scratch, "eval.yaml", data))


@FUZZ
@given(data=mutated([SPEC_TEXT]))
def test_run_spec_mutated(scratch: Path, data: bytes) -> None:
    ends_well(load_run_spec, write(scratch, "mutated.yaml", data))
