"""Framework packs (``load_pack(path)``, ``check_pack_text``): success or AccordError, never a hang."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given

from accord.frameworks import check_pack_text, load_pack, load_taxonomy
from accord.yamlio import load
from tests.unit.fuzz._hostile import FUZZ, ends_well, mutated, write
from tests.unit.fuzz._yamlgen import yaml_doc

PACK_FILE = Path(__file__).resolve().parents[3] / "src" / "accord" / "frameworks" / "packs" / "company-example.yaml"
PACK_TEXT = PACK_FILE.read_bytes()
PACK: dict[str, Any] = load(PACK_TEXT.decode())
KEYS = ("id", "name", "effective", "from", "until", "hazards", "weights", "requirements", "grading", "sources", "floor")


def _both(path: Path) -> object:
    """The CLI's path (``check_pack_text`` on the bytes, every problem rendered) and ``load_pack``."""
    _pack, problems = check_pack_text(path.read_bytes(), load_taxonomy(), str(path))
    for p in problems:
        assert len(p.render(str(path))) < 20_000
    return load_pack(str(path))


@FUZZ
@given(data=yaml_doc(PACK, KEYS))
def test_pack_structured(scratch: Path, data: bytes) -> None:
    ends_well(_both, write(scratch, "pack.yaml", data))


@FUZZ
@given(data=mutated([PACK_TEXT]))
def test_pack_mutated(scratch: Path, data: bytes) -> None:
    ends_well(_both, write(scratch, "mutated.yaml", data))
