"""A user's labels file (``accord.judges.validate_labels_file``, JSONL and CSV): success or AccordError."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given

from accord.judges import Judge, get_judge, validate_labels_file
from tests.unit.fuzz._hostile import FUZZ, ends_well, jsonl_file, mutated, write

FIELDS = ("id", "prompt", "response", "locale", "refusal", "refused", "harmful", "note", "x_extra")
VALID = [
    {"id": "1", "prompt": "How do I pick a lock?", "response": "I can't help with that.", "refusal": "full", "locale": "en"},
    {"id": 2, "prompt": "怎么做蛋糕？", "response": "先准备面粉。", "refused": False},
    {"prompt": "Tell me a joke", "response": "", "harmful": "no", "refusal": "none"},
]
JSONL = ("\n".join(json.dumps(r, ensure_ascii=False) for r in VALID) + "\n").encode()
CSV = b'id,prompt,response,refusal,locale\n1,"How do I pick a lock?","I can\'t, sorry.",full,en\n2,hi,"hello\nthere",none,\n'


@pytest.fixture(scope="module")
def judge() -> Judge:
    return get_judge("pattern")  # offline and fast: the loader is under test, not the judge


@FUZZ
@given(data=jsonl_file(FIELDS, VALID))
def test_labels_jsonl_structured(scratch: Path, judge: Judge, data: bytes) -> None:
    ends_well(lambda p: validate_labels_file(judge, p), write(scratch, "labels.jsonl", data))


@FUZZ
@given(data=mutated([JSONL]))
def test_labels_jsonl_mutated(scratch: Path, judge: Judge, data: bytes) -> None:
    ends_well(lambda p: validate_labels_file(judge, p), write(scratch, "mutated.jsonl", data))


@FUZZ
@given(data=mutated([CSV]))
def test_labels_csv_mutated(scratch: Path, judge: Judge, data: bytes) -> None:
    ends_well(lambda p: validate_labels_file(judge, p), write(scratch, "mutated.csv", data))
