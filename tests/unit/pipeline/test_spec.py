"""Run specs: YAML in, a validated ``RunSpec`` out; errors name file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.errors import InputError
from accord.pipeline import RunSpec, load_run_spec, spec_from_data

REPO = Path(__file__).resolve().parents[3]


def test_example_spec_loads_and_round_trips_through_yaml(tmp_path: Path) -> None:
    spec = load_run_spec(REPO / "examples" / "eval.yaml")
    assert [t.spec for t in spec.targets] == ["replay:xstest/gpt4", "replay:xstest/mistralguard"]
    assert spec.targets[0].name == "GPT-4 (XSTest v2 transcript)" and spec.suites == ["xstest"]
    again = tmp_path / "again.yaml"
    again.write_text(spec.to_yaml())
    assert load_run_spec(again) == spec


def test_short_forms_for_targets_and_suites() -> None:
    spec = spec_from_data({"targets": "openai:http://127.0.0.1:8000/v1#m", "suites": "floor", "packs": "eu-ai-act"})
    assert spec.targets[0].spec.endswith("#m") and spec.suites == ["floor"] and spec.packs == ["eu-ai-act"]
    assert spec.generation.temperature == 0.0 and spec.engine.concurrency == 16 and spec.epochs == 1


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        ("targets: [replay:x.jsonl]\nsuites: [floor]\nepochs: 0\n", 3, "epochs"),
        ("targets: [replay:x.jsonl]\nsuites: [floor]\ngeneration:\n  temprature: 1\n", 4, "generation.temprature"),
        ("targets:\n  - spec: replay:x.jsonl\n    api_key_env: sk-live-123\nsuites: [floor]\n", 3, "targets.0.api_key_env"),
        ("suites: [floor]\n", 1, "targets"),
    ],
)
def test_errors_name_file_line_and_field(tmp_path: Path, text: str, line: int, field: str) -> None:
    path = tmp_path / "eval.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_run_spec(path)
    assert info.value.file == str(path) and info.value.line == line and info.value.field == field


def test_a_key_given_by_value_is_refused_and_never_echoed(tmp_path: Path) -> None:
    path = tmp_path / "eval.yaml"
    path.write_text("targets:\n  - spec: replay:x.jsonl\n    api_key: sk-live-123\nsuites: [floor]\n")
    with pytest.raises(InputError) as info:
        load_run_spec(path)
    assert "targets.0.api_key" in str(info.value) and "sk-live-123" not in info.value.diagnostics()


def test_bad_yaml_too_large_and_not_a_mapping(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("targets: [a\nsuites: b\n")
    with pytest.raises(InputError, match="not valid YAML"):
        load_run_spec(bad)
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * 1_000_001)
    with pytest.raises(InputError, match="too large"):
        load_run_spec(big)
    listy = tmp_path / "list.yaml"
    listy.write_text("- a\n- b\n")
    with pytest.raises(InputError, match="mapping"):
        load_run_spec(listy)


def test_duplicate_targets_and_bad_run_ids_are_refused() -> None:
    with pytest.raises(InputError, match="target listed twice"):
        spec_from_data({"targets": ["replay:a.jsonl", "replay:a.jsonl"], "suites": ["floor"]})
    with pytest.raises(InputError, match="run id"):
        spec_from_data({"targets": ["replay:a.jsonl"], "suites": ["floor"], "run_id": "../etc"})


def test_for_target_pins_one_target_and_its_run_id() -> None:
    spec = RunSpec.model_validate({"targets": ["replay:a.jsonl", "replay:b.jsonl"], "suites": ["floor"], "run_id": "r"})
    one = spec.for_target(spec.targets[1], "r-b")
    assert [t.spec for t in one.targets] == ["replay:b.jsonl"] and one.run_id == "r-b" and one.suites == spec.suites
