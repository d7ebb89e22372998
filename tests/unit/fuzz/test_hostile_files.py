"""Issue 12, findings 7 and 8: crafted files end as file:line:field errors, never tracebacks or hangs.

Finding 7: a lone surrogate in a suite, deeply nested JSON/YAML, impossible dates in a pack
and a system description, a ``\\xff`` byte in a pack or system description, duplicate JSON
keys and a numeric ``prompt`` each become an ``InputError`` naming the file, the line and
(where there is one) the field. Finding 8: a 1 KB "billion laughs" alias bomb is refused at
once by ``accord packs validate`` and ``accord assess validate``, and no error message prints
a huge value.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from accord.errors import AccordError, InputError
from accord.frameworks import check_pack_text, load_pack, load_taxonomy
from accord.judges import get_judge, validate_labels_file
from accord.pipeline import load_run_spec
from accord.regulation import check_system_text, load_system
from accord.suites import open_suite
from accord.targets import load_target
from tests.unit.fuzz._hostile import BILLION_LAUGHS

REPO = Path(__file__).resolve().parents[3]
PACK = (REPO / "src" / "accord" / "frameworks" / "packs" / "company-example.yaml").read_text(encoding="utf-8")
SYSTEM = "name: Support bot\nroles: [provider]\ndeployment:\n  jurisdictions: [eu]\n  placed_on_market: 2026-01-15\n"
DEEP = "[" * 100_000 + "]" * 100_000


def _where(exc: InputError) -> tuple[str | None, int | None, str | None]:
    return exc.file, exc.line, exc.field


def _scan(path: Path) -> InputError:
    with pytest.raises(InputError) as info:
        open_suite(str(path)).scan()
    return info.value


def _jsonl(path: Path, *lines: str) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


GOOD_ROW = '{"id": "ok", "prompt": "hello"}'


# --- finding 7: lone surrogates ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ('{"id": "a", "prompt": "x\\ud800y"}', "prompt"),
        ('{"id": "a", "prompt": "\\udc80"}', "prompt"),
        ('{"id": "a", "messages": [{"role": "user", "content": "\\udfff"}]}', "messages[0].content"),
        ('{"id": "a", "prompt": "p", "tags": ["\\ud800"]}', "tags[0]"),
        ('{"id": "\\ud800", "prompt": "p"}', "id"),
    ],
)
def test_lone_surrogate_in_a_suite_row_is_an_input_error(tmp_path: Path, row: str, field: str) -> None:
    path = _jsonl(tmp_path / "s.jsonl", GOOD_ROW, row)
    err = _scan(path)
    assert _where(err) == (str(path), 2, field), err.diagnostics()
    assert "surrogate" in err.what


def test_a_valid_surrogate_pair_escape_is_text(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "s.jsonl", '{"id": "a", "prompt": "smile \\ud83d\\ude00"}')
    assert open_suite(str(path)).load().items[0].prompt == "smile \U0001f600"


def test_lone_surrogate_in_a_csv_messages_cell(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text('id,messages\na,"[{""role"": ""user"", ""content"": ""\\ud800""}]"\n', encoding="utf-8")
    err = _scan(path)
    assert _where(err) == (str(path), 2, "messages[0].content"), err.diagnostics()


def test_lone_surrogate_in_yaml_is_an_error_at_its_line() -> None:
    _pack, problems = check_pack_text(PACK.replace('name: "Example Corp', 'name: "\\ud800 Example Corp'), load_taxonomy(), "p.yaml")
    assert problems and problems[0].line == 5 and "surrogate" in problems[0].message


# --- finding 7: deep nesting ---------------------------------------------------------------------


def test_deeply_nested_json_in_a_suite_line(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "s.jsonl", GOOD_ROW, '{"id": "a", "prompt": "p", "meta": ' + DEEP + "}")
    err = _scan(path)
    assert _where(err)[:2] == (str(path), 2) and "nested deeper" in err.what


def test_deeply_nested_json_in_labels_and_replay(tmp_path: Path) -> None:
    labels = _jsonl(tmp_path / "l.jsonl", '{"prompt": "p", "response": "r", "refused": true, "x_deep": ' + DEEP + "}")
    with pytest.raises(InputError) as info:
        validate_labels_file(get_judge("pattern"), labels)
    assert _where(info.value)[:2] == (str(labels), 1)
    replay = _jsonl(tmp_path / "r.jsonl", '{"item_id": "a", "output": "x", "x": ' + DEEP + "}")
    with pytest.raises(InputError) as info:
        load_target(f"replay:{replay}")
    assert _where(info.value)[:2] == (str(replay), 1)


def test_deeply_nested_yaml(tmp_path: Path) -> None:
    path = tmp_path / "system.yaml"
    path.write_text("name: " + DEEP + "\nroles: [provider]\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_system(path)
    assert _where(info.value)[:2] == (str(path), 1)


# --- finding 7: dates that do not exist -----------------------------------------------------------


def test_impossible_date_in_a_pack(tmp_path: Path) -> None:
    path = tmp_path / "pack.yaml"
    path.write_text(PACK.replace("from: 2026-01-01", "from: 2026-13-45"), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_pack(str(path))
    assert _where(info.value) == (str(path), 13, "effective.from"), info.value.diagnostics()


def test_impossible_date_in_a_system_description(tmp_path: Path) -> None:
    path = tmp_path / "system.yaml"
    path.write_text(SYSTEM.replace("2026-01-15", "2026-02-30"), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_system(path)
    assert _where(info.value) == (str(path), 5, "deployment.placed_on_market"), info.value.diagnostics()
    assert "2026-02-30" in info.value.diagnostics()


def test_a_date_shaped_text_field_stays_text() -> None:
    system, problems = check_system_text(SYSTEM.replace("Support bot", "2026-13-45"))
    assert not problems and system is not None and system.name == "2026-13-45"


# --- finding 7: bytes that are not UTF-8 ----------------------------------------------------------


def test_xff_byte_in_a_pack(tmp_path: Path) -> None:
    path = tmp_path / "pack.yaml"
    path.write_bytes(PACK.encode().replace(b"Example Corp internal policy", b"Example Corp \xff policy"))
    with pytest.raises(InputError) as info:
        load_pack(str(path))
    assert _where(info.value)[:2] == (str(path), 7) and "not UTF-8" in info.value.what
    _pack, problems = check_pack_text(path.read_bytes(), load_taxonomy(), str(path))  # what `packs validate` calls
    assert [(p.line, "not UTF-8" in p.message) for p in problems] == [(7, True)]


def test_xff_byte_in_a_system_description(tmp_path: Path) -> None:
    path = tmp_path / "system.yaml"
    path.write_bytes(SYSTEM.encode().replace(b"Support", b"Supp\xffort"))
    with pytest.raises(InputError) as info:
        load_system(path)
    assert _where(info.value)[:2] == (str(path), 1) and "not UTF-8" in info.value.what


def test_packs_validate_reports_a_bad_byte_with_its_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from accord.cli.main import app

    path = tmp_path / "pack.yaml"
    path.write_bytes(PACK.encode().replace(b"Example Corp internal policy", b"Example Corp \xff policy"))
    res = CliRunner().invoke(app, ["packs", "validate", str(path), "--json"])
    assert res.exit_code == 1, res.output
    [entry] = json.loads(res.stdout)
    assert entry["problems"][0]["line"] == 7 and "not UTF-8" in entry["problems"][0]["message"]


# --- finding 7: duplicate keys and non-text prompts ------------------------------------------------


def test_duplicate_json_key_in_a_suite_row(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "s.jsonl", GOOD_ROW, '{"id": "a", "prompt": "benign", "prompt": "harmful"}')
    err = _scan(path)
    assert _where(err) == (str(path), 2, "prompt") and "twice" in err.what


def test_duplicate_json_key_in_a_labels_row(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "l.jsonl", '{"prompt": "p", "response": "r", "refused": true, "refused": false}')
    with pytest.raises(InputError) as info:
        validate_labels_file(get_judge("pattern"), path)
    assert _where(info.value) == (str(path), 1, "refused")


def test_duplicate_json_key_in_a_replay_row(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "r.jsonl", '{"item_id": "a", "output": "no", "output": "yes"}')
    with pytest.raises(InputError) as info:
        load_target(f"replay:{path}")
    assert _where(info.value) == (str(path), 1, "output")


def test_duplicate_key_nested_in_messages(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "s.jsonl", '{"id": "a", "messages": [{"role": "user", "content": "a", "content": "b"}]}')
    assert _where(_scan(path)) == (str(path), 1, "content")


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ('{"id": "a", "prompt": 5}', "prompt"),
        ('{"id": "a", "prompt": 1.5}', "prompt"),
        ('{"id": "a", "prompt": ["x"]}', "prompt"),
        ('{"id": "a", "prompt": "p", "hazard": 5}', "hazard"),
        ('{"id": "a", "prompt": "p", "locale": 5}', "locale"),
        ('{"id": "a", "prompt": "p", "answer": 42}', "answer"),
        ('{"id": "a", "prompt": "p", "intent": true}', "intent"),
        ('{"id": "a", "messages": [{"role": "user", "content": 5}]}', "messages[0].content"),
    ],
)
def test_non_text_fields_are_errors(tmp_path: Path, row: str, field: str) -> None:
    path = _jsonl(tmp_path / "s.jsonl", row)
    err = _scan(path)
    assert _where(err) == (str(path), 1, field), err.diagnostics()


def test_numeric_ids_are_still_read_as_text(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "s.jsonl", '{"id": 7, "prompt": "p"}')
    assert open_suite(str(path)).load().items[0].item_id == "7"


def test_non_text_label_fields_are_errors(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "l.jsonl", '{"id": ["x"], "prompt": "p", "response": "r", "refused": true}')
    with pytest.raises(InputError) as info:
        validate_labels_file(get_judge("pattern"), path)
    assert _where(info.value) == (str(path), 1, "id")
    path = _jsonl(tmp_path / "l2.jsonl", '{"prompt": 5, "response": "r", "refused": true}')
    with pytest.raises(InputError) as info:
        validate_labels_file(get_judge("pattern"), path)
    assert _where(info.value) == (str(path), 1, "prompt")


def test_a_lone_cr_in_a_csv_is_an_input_error(tmp_path: Path) -> None:
    """Found by the fuzzer: ``csv.Error`` escaped the CSV reader."""
    path = tmp_path / "s.csv"
    path.write_bytes(b"id,prompt\na,one\rtwo\n")
    err = _scan(path)
    assert _where(err)[:2] == (str(path), 2)


# --- finding 8: the alias bomb --------------------------------------------------------------------


def _bomb_file(tmp_path: Path, tail: str) -> Path:
    path = tmp_path / "bomb.yaml"
    path.write_text(BILLION_LAUGHS + tail, encoding="utf-8")
    assert path.stat().st_size < 1100  # the 1 KB document of the issue
    return path


@pytest.mark.parametrize(
    "command", [["packs", "validate"], ["packs", "validate", "--json"], ["assess", "validate"], ["assess", "validate", "--json"]]
)
def test_billion_laughs_does_not_hang_validate(tmp_path: Path, command: list[str]) -> None:
    path = _bomb_file(tmp_path, "name: *l9\nroles: *l9\nid: *l9\n")
    res = subprocess.run([sys.executable, "-m", "accord.cli.main", *command, str(path)], capture_output=True, text=True, timeout=20)
    assert res.returncode == 1, res.stderr[-2000:]
    out = res.stdout + res.stderr
    assert "aliases expand" in out and len(out) < 5_000 and "Traceback" not in out


def test_billion_laughs_everywhere_yaml_is_read(tmp_path: Path) -> None:
    path = _bomb_file(tmp_path, "targets: *l9\nsuites: *l9\n")
    for load in (load_pack, load_system, load_run_spec):
        with pytest.raises(AccordError) as info:
            load(str(path))
        assert "aliases expand" in info.value.diagnostics() and str(path) in info.value.diagnostics()


def test_no_error_message_prints_a_huge_value(tmp_path: Path) -> None:
    """A value under the expansion limit (9^4 strings) still never reaches a message whole."""
    path = tmp_path / "small-bomb.yaml"
    path.write_text(BILLION_LAUGHS.split("l5:")[0] + "name: *l4\nroles: *l4\nid: *l4\n", encoding="utf-8")
    _pack, problems = check_pack_text(path.read_bytes(), load_taxonomy(), str(path))
    assert problems and all(len(p.render(str(path))) < 1_000 for p in problems)
    with pytest.raises(InputError) as info:
        load_system(path)
    assert len(info.value.diagnostics()) < 5_000
    long = InputError("bad", file="f", expected="text", got="x" * 100_000).diagnostics()
    assert len(long) < 300 and ("…" in long or "..." in long)
