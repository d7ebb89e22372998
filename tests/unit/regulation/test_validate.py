"""System descriptions: every wrong field is named with file, line, path, expected and got."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.errors import InputError
from accord.regulation import check_system_text, load_system
from accord.yamlio import load

BAD = """\
name: Screening tool
roles: [provider, regulator]
deployment:
  jurisdictions: [eu]
  us_states: [california]
capabilities:
  emotion_recogniton: true
  interacts_with_people: maybe
model:
  training_compute_flop: -5
high_risk:
  annex_iii: [a3-9z]
"""


def test_every_problem_is_located() -> None:
    system, problems = check_system_text(BAD, "sys.yaml")
    assert system is None
    by_field = {p.field: p for p in problems}
    assert by_field["roles.1"].line == 2 and "provider" in (by_field["roles.1"].expected or "")
    assert by_field["roles.1"].got == "regulator"
    assert by_field["deployment.us_states"].line == 5
    typo = by_field["capabilities.emotion_recogniton"]
    assert typo.line == 7 and "did you mean 'emotion_recognition'" in typo.message
    assert by_field["capabilities.interacts_with_people"].expected == "true or false"
    assert by_field["capabilities.interacts_with_people"].line == 8
    assert by_field["model.training_compute_flop"].expected == "a number > 0"
    assert by_field["model.training_compute_flop"].line == 10
    assert by_field["high_risk.annex_iii.0"].line == 12
    assert all(str(p).startswith("sys.yaml:") for p in problems)
    assert [p.line for p in problems] == sorted(p.line or 0 for p in problems)


def test_derogation_needs_the_no_significant_risk_assessment() -> None:
    text = "name: x\nroles: [provider]\nhigh_risk:\n  annex_iii: [a3-4a]\n  derogation_conditions: [preparatory_task]\n"
    _, problems = check_system_text(text, "s.yaml")
    assert problems[0].field == "high_risk" and problems[0].line == 3
    assert "no_significant_risk" in problems[0].message


def test_missing_required_fields() -> None:
    _, problems = check_system_text("intended_purpose: x\n", "s.yaml")
    assert {p.field for p in problems} == {"name", "roles"}


def test_json_is_accepted_and_located() -> None:
    text = '{\n  "name": "bot",\n  "roles": ["provider"],\n  "model": {"parameters": "many"}\n}\n'
    system, problems = check_system_text(text, "s.json")
    assert system is None and problems[0].field == "model.parameters" and problems[0].line == 4


def test_syntax_error_and_wrong_top_level() -> None:
    _, problems = check_system_text("name: [unclosed\n", "s.yaml")
    assert problems[0].field == "(document)" and problems[0].line is not None
    _, problems = check_system_text("- a\n- b\n", "s.yaml")
    assert "mapping" in problems[0].message


def test_load_system_raises_input_error_listing_all(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(BAD)
    with pytest.raises(InputError) as exc:
        load_system(f)
    assert exc.value.line is not None and exc.value.field
    assert "emotion_recogniton" in exc.value.diagnostics()
    with pytest.raises(InputError, match="not found"):
        load_system(tmp_path / "missing.yaml")


def test_yaml_12_floats() -> None:
    doc = load("a: 1e25\nb: 1.0e25\nc: 5.0E+8\nd: 100\ne: 2026-08-02\nf: '1e25'\n")
    assert doc["a"] == 1e25 and doc["b"] == 1e25 and doc["c"] == 5e8
    assert doc["d"] == 100 and isinstance(doc["d"], int)
    assert str(doc["e"]) == "2026-08-02" and doc["f"] == "1e25"


def test_examples_validate() -> None:
    examples = Path(__file__).parents[3] / "examples" / "systems"
    files = sorted(examples.glob("*.yaml")) + sorted(examples.glob("*.json"))
    assert len(files) >= 3
    for f in files:
        system, problems = check_system_text(f.read_text(), str(f))
        assert system is not None, problems


def test_template_lists_every_field() -> None:
    # The commented template is the form a compliance officer fills in: keep it complete.
    from pydantic import BaseModel

    from accord.regulation import SystemDescription

    template = load((Path(__file__).parents[3] / "examples/systems/template.yaml").read_text())

    def walk(model: type[BaseModel], data: dict[str, object], prefix: str) -> list[str]:
        missing = []
        for name, info in model.model_fields.items():
            if name not in data:
                missing.append(prefix + name)
            elif isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
                sub = data[name]
                assert isinstance(sub, dict)
                missing += walk(info.annotation, sub, f"{prefix}{name}.")
        return missing

    assert walk(SystemDescription, template, "") == []


def test_advisories_point_out_gaps() -> None:
    from accord.regulation import SystemDescription, advisories

    bare = SystemDescription(name="x", roles=["provider"], model={"developer": True})
    notes = advisories(bare)
    assert any("no jurisdiction is in scope" in n for n in notes)
    assert any("training compute is unknown" in n for n in notes)
    full = SystemDescription(name="x", roles=["provider"], deployment={"jurisdictions": ["eu"]},
                             model={"developer": True, "training_compute_flop": 1e24})  # fmt: skip
    assert advisories(full) == []
