"""Replay files (``load_target("replay:<file>")``, then every record read back): success or AccordError."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from hypothesis import given

from accord.errors import AccordError
from accord.targets import GenParams, RequestContext, TargetError, load_target
from tests.unit.fuzz._hostile import FUZZ, ends_well, jsonl_file, mutated, write

FIELDS = ("item_id", "output", "suite_id", "variant_id", "epoch", "model")
VALID = [
    {"item_id": "a", "output": "I can't help with that.", "suite_id": "s", "model": "m"},
    {"item_id": 7, "output": None, "epoch": 1},
    {"item_id": "c", "output": "Sure: 🍞", "variant_id": "base64-868b289781a5"},
]
JSONL = ("\n".join(json.dumps(r, ensure_ascii=False) for r in VALID) + "\n").encode()
ASKED = [
    RequestContext(suite_id=s, item_id=i, variant_id=v, epoch=e)
    for s in ("s", "t")
    for i in ("a", "7", "c", "x")
    for v in ("none", "base64-868b289781a5")
    for e in (0, 1)
]


def _replay(path: Path) -> object:
    """Build the target, then ask it for every item the records could answer (and some they cannot)."""
    target = load_target(f"replay:{path}")

    async def ask() -> None:
        try:
            for ctx in ASKED:
                try:
                    done = await target.generate([], GenParams(), context=ctx)
                    assert done.text is not None
                except TargetError:
                    pass  # no record, or a null output: stored as unassessed
        finally:
            await target.aclose()

    asyncio.run(ask())
    return target


@FUZZ
@given(data=jsonl_file(FIELDS, VALID))
def test_replay_structured(scratch: Path, data: bytes) -> None:
    ends_well(_replay, write(scratch, "replay.jsonl", data))


@FUZZ
@given(data=mutated([JSONL]))
def test_replay_mutated(scratch: Path, data: bytes) -> None:
    ends_well(_replay, write(scratch, "mutated.jsonl", data))


def test_replay_accord_error_is_the_only_failure(scratch: Path) -> None:
    """Sanity: the property above does see an AccordError for an obviously bad file."""
    result = ends_well(_replay, write(scratch, "bad.jsonl", b'{"item_id": "a"}\n'))
    assert isinstance(result, AccordError)
