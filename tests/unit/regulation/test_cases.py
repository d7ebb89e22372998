"""Case systems with expected obligations (data in cases/*.yaml; one parametrised test).

Each check assesses a case at an as-of date and expects rules with a status (and date), a
citation containing ``cite`` (the article each expectation comes from), or their absence.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from accord.regulation import Rulebook, SystemDescription, assess, load_rulebook
from accord.yamlio import load as load_yaml

CASES = Path(__file__).parent / "cases"


def _checks() -> list[Any]:
    out = []
    for path in sorted(CASES.glob("*.yaml")):
        doc = load_yaml(path.read_text())
        for i, check in enumerate(doc["checks"]):
            out.append(pytest.param(doc["system"], check, id=f"{path.stem}@{check['as_of']}#{i}"))
    return out


@pytest.fixture(scope="module")
def book() -> Rulebook:
    return load_rulebook()


def test_enough_cases() -> None:
    assert len(list(CASES.glob("*.yaml"))) >= 25


@pytest.mark.parametrize(("system", "check"), _checks())
def test_case(book: Rulebook, system: dict[str, Any], check: dict[str, Any]) -> None:
    desc = SystemDescription.model_validate(system)
    result = assess(desc, book, check["as_of"], check.get("jurisdictions"))
    got = {o.rule_id: o for o in result.obligations}
    for exp in check.get("expect", []):
        ob = got.get(exp["rule"])
        assert ob is not None, f"expected {exp['rule']} ({exp['cite']}); got {sorted(got)}"
        assert exp["cite"] in ob.citation, f"{exp['rule']}: citation {ob.citation!r} lacks {exp['cite']!r}"
        assert ob.status.kind == exp["status"], f"{exp['rule']}: {ob.status.text}"
        if "date" in exp:
            assert ob.status.date == exp["date"], f"{exp['rule']}: {ob.status.text}"
        if "kind" in exp:
            assert ob.kind == exp["kind"]
        assert ob.why, f"{exp['rule']} has no reasons"
        assert ob.conf
    for rule_id in check.get("absent", []):
        assert rule_id in {r.id for r in book.rules}, f"unknown rule id in case: {rule_id}"
        assert rule_id not in got, f"{rule_id} should not apply: {got[rule_id].status.text}; why {got[rule_id].why}"
    for j, labels in (check.get("classification") or {}).items():
        for label in labels:
            assert any(label in c for c in result.classification[j]), f"{j}: no '{label}' in {result.classification[j]}"
