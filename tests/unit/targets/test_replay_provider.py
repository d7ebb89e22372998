"""The ``replay:`` target: recorded responses, located precisely when the file is wrong."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from accord.errors import InputError
from accord.records import ErrorKind, Message
from accord.targets import GenParams, RequestContext, TargetError, load_target

MSG = [Message(role="user", content="q")]


def write(path: Path, rows: list[object]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def ask(target: object, item: str, *, suite: str = "s", variant: str = "none", epoch: int = 0) -> object:
    ctx = RequestContext(suite_id=suite, item_id=item, variant_id=variant, epoch=epoch)
    return asyncio.run(target.generate(MSG, GenParams(), context=ctx))  # type: ignore[attr-defined]


def test_answers_by_item_suite_variant_and_epoch(tmp_path: Path) -> None:
    path = write(
        tmp_path / "r.jsonl",
        [
            {"item_id": "a", "output": "plain a", "model": "m-1"},
            {"item_id": "a", "output": "a in s2", "suite_id": "s2"},
            {"item_id": "a", "output": "a, epoch 1", "epoch": 1},
            {"item_id": "a", "output": "a attacked", "variant_id": "b64"},
            {"item_id": 7, "output": "numeric id"},
            "",
        ],
    )
    target = load_target(f"replay:{path}")
    first = ask(target, "a")
    assert first.text == "plain a" and first.model_version == "m-1"  # type: ignore[attr-defined]
    assert ask(target, "a", suite="s2").text == "a in s2"  # type: ignore[attr-defined]
    assert ask(target, "a", epoch=1).text == "a, epoch 1"  # type: ignore[attr-defined]
    assert ask(target, "a", epoch=2).text == "plain a"  # no epoch recorded: answers every epoch  # type: ignore[attr-defined]
    assert ask(target, "a", variant="b64").text == "a attacked"  # type: ignore[attr-defined]
    assert ask(target, "7").text == "numeric id"  # type: ignore[attr-defined]
    assert target.cache is False


def test_missing_record_is_an_unretryable_missing_record_error(tmp_path: Path) -> None:
    target = load_target(f"replay:{write(tmp_path / 'r.jsonl', [{'item_id': 'a', 'output': 'x'}])}")
    with pytest.raises(TargetError) as info:
        ask(target, "b")
    assert info.value.kind is ErrorKind.missing_record and not info.value.retryable
    with pytest.raises(TargetError):
        ask(target, "a", variant="other")


def test_null_output_is_a_recorded_non_response(tmp_path: Path) -> None:
    target = load_target(f"replay:{write(tmp_path / 'r.jsonl', [{'item_id': 'a', 'output': None}])}")
    with pytest.raises(TargetError) as info:
        ask(target, "a")
    assert info.value.kind is ErrorKind.missing_record and "recorded no response" in str(info.value)


def test_dataset_transcript_by_name(datasets_dir: Path) -> None:
    from accord.suites import recorded_responses

    records = list(recorded_responses("xstest/gpt4", data_dir=datasets_dir))
    target = load_target("replay:xstest/gpt4", data_dir=datasets_dir)
    assert len(target) == len(records) > 0  # type: ignore[arg-type]
    first = records[0]
    got = ask(target, first["item_id"], suite=first.get("suite_id") or "xstest")
    assert got.text == first["output"]  # type: ignore[attr-defined]
    assert target.digest() == load_target("replay:xstest/gpt4", data_dir=datasets_dir).digest()
    assert target.digest() != load_target("replay:xstest/llama2new", data_dir=datasets_dir).digest()


@pytest.mark.parametrize(
    ("rows", "line", "field"),
    [
        ([{"item_id": "a", "output": "x"}, "{not json"], 2, None),
        ([{"output": "x"}], 1, "item_id"),
        ([{"item_id": "", "output": "x"}], 1, "item_id"),
        ([{"item_id": "a"}], 1, "output"),
        ([{"item_id": "a", "output": 3}], 1, "output"),
        ([{"item_id": "a", "output": "x", "epoch": -1}], 1, "epoch"),
        ([{"item_id": "a", "output": "x", "epoch": "1"}], 1, "epoch"),
        ([{"item_id": "a", "output": "x", "variant_id": 3}], 1, "variant_id"),
        (["[1, 2]"], 1, None),
        ([{"item_id": "a", "output": "x"}, {"item_id": "b", "output": "y"}, {"item_id": "a", "output": "z"}], 3, "item_id"),
    ],
)
def test_bad_lines_name_file_line_and_field(tmp_path: Path, rows: list[object], line: int, field: str | None) -> None:
    path = write(tmp_path / "bad.jsonl", rows)
    with pytest.raises(InputError) as info:
        load_target(f"replay:{path}")
    assert info.value.file == str(path)
    assert info.value.line == line
    assert info.value.field == field


def test_non_utf8_empty_and_missing_files(tmp_path: Path) -> None:
    bad = tmp_path / "latin.jsonl"
    bad.write_bytes(b'{"item_id": "a", "output": "caf\xe9"}\n')
    with pytest.raises(InputError, match="UTF-8"):
        load_target(f"replay:{bad}")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    with pytest.raises(InputError, match="no records"):
        load_target(f"replay:{empty}")
    with pytest.raises(InputError, match="no such replay file"):
        load_target(f"replay:{tmp_path / 'absent.jsonl'}")


def test_digest_binds_the_exact_bytes(tmp_path: Path) -> None:
    one = load_target(f"replay:{write(tmp_path / 'a.jsonl', [{'item_id': 'a', 'output': 'x'}])}").digest()
    same = load_target(f"replay:{write(tmp_path / 'b.jsonl', [{'item_id': 'a', 'output': 'x'}])}").digest()
    other = load_target(f"replay:{write(tmp_path / 'c.jsonl', [{'item_id': 'a', 'output': 'y'}])}").digest()
    assert one == same != other
    assert one.startswith("replay:sha256:") and len(one) == len("replay:sha256:") + 64
