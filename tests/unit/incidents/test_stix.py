"""STIX 2.1 export/import: TLP 2.0 markings copied exactly, bundles valid under the OASIS JSON
schemas *and* OASIS's own validator, the validator's example vectors judged as it judges them,
hostile bundles refused with the object index and field, round trips lossless."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from accord.errors import InputError
from accord.incidents import Incident, IncidentReport, IncidentVersion
from accord.incidents._stix import (
    ACCORD_EXTENSION_ID,
    DEFAULT_SEVERITY,
    TLP1_MARKING_IDS,
    TLP2_EXTENSION_DEFINITION,
    TLP2_MARKING_IDS,
    UNSTATED_SYSTEM,
    bundle_of,
    check_object,
    definition_objects,
    exchange_objects,
    imported_modified,
    incident_object,
    load_bundle,
    parse_bundle,
    schema_errors,
    stix_time,
    tlp_marking,
    tlp_of_refs,
    to_report,
)

CREATED = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
UPDATED = datetime(2026, 11, 3, 12, 0, 0, 123000, tzinfo=UTC)
LEVEL_RECIPIENTS: dict[str, list[dict[str, Any]]] = {
    "CLEAR": [],
    "GREEN": [],
    "AMBER": [{"org": "beta", "clients": ["gamma"]}],
    "AMBER+STRICT": [{"org": "beta"}],
    "RED": [{"org": "beta", "member": "bob"}],
}


def report(tlp: str = "AMBER", **over: Any) -> IncidentReport:
    data: dict[str, Any] = {
        "title": "Assistant gave lethal dosing advice",
        "description": "The deployed assistant recommended a dangerous dose.",
        "system": {"name": "acme-chat", "version": "2.1", "provider": "acme"},
        "hazards": ["specialized-advice", "suicide-self-harm"],
        "severity": "serious incident",
        "harms": ["health"],
        "harmed": ["patients"],
        "jurisdictions": ["DE", "EU"],
        "system_classes": ["high-risk"],
        "status": "investigating",
        "links": [{"kind": "external", "ref": "aiid:23", "label": "AIID"}, {"kind": "url", "ref": "https://example.org/post"}],
        "aware_at": "2026-11-01T09:30:00Z",
        "occurred_at": "2026-10-30T00:00:00Z",
        "tlp": tlp,
        "recipients": LEVEL_RECIPIENTS[tlp],
    }
    data.update(over)
    return IncidentReport.model_validate(data)


def incident(tlp: str = "AMBER", **over: Any) -> Incident:
    return Incident(
        id=str(uuid.uuid4()),
        reporter_org="acme",
        created_at=CREATED,
        updated_at=UPDATED,
        version=2,
        report=report(tlp, **over),
        commitment="ab" * 32,
        log_index=7,
    )


@pytest.fixture(scope="module")
def tlp_vector() -> dict[str, Any]:
    from tests.conftest import VECTORS

    path = VECTORS / "stix-tlp" / "tlp-marking-definitions.json"
    if not path.is_file():
        pytest.skip(f"vector not found: {path}")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def derived_bundle() -> dict[str, Any]:
    from tests.conftest import VECTORS

    path = VECTORS / "stix-tlp" / "derived-ai-incident-bundle.json"
    if not path.is_file():
        pytest.skip(f"vector not found: {path}")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def schemas() -> Path:
    from tests.conftest import DATASETS

    path = DATASETS / "incidents" / "stix21_schemas" / "schemas"
    if not path.is_dir():
        pytest.skip(f"OASIS schemas not found at {path}")
    return path


def oasis_validate(data: Any) -> Any:
    from stix2validator import ValidationOptions, validate_instance

    return validate_instance(data, ValidationOptions(version="2.1"))


# --- the TLP objects are the published ones ---------------------------------------------------


def test_tlp2_markings_and_extension_are_field_for_field_the_published_objects(tlp_vector: dict[str, Any]) -> None:
    published = {m["name"].removeprefix("TLP:"): m for m in tlp_vector["tlp_2_0"]}
    assert set(published) == set(TLP2_MARKING_IDS)
    for level, obj in published.items():
        assert tlp_marking(level) == obj
        assert TLP2_MARKING_IDS[level] == obj["id"]
    assert TLP2_EXTENSION_DEFINITION == tlp_vector["tlp_2_0_extension_definition"]
    assert {m["id"]: m["definition"]["tlp"].upper().replace("WHITE", "CLEAR") for m in tlp_vector["tlp_1_0"]} == TLP1_MARKING_IDS


def test_tlp_level_names_are_accepted_with_prefix_and_any_case_and_unknown_ones_refused() -> None:
    assert tlp_marking("tlp:amber+strict")["id"] == TLP2_MARKING_IDS["AMBER+STRICT"]
    with pytest.raises(InputError):
        tlp_marking("WHITE")  # TLP 1.0's name: TLP 2.0 calls it CLEAR


def test_most_restrictive_marking_wins_and_tlp1_reads_as_tlp2() -> None:
    assert tlp_of_refs([TLP2_MARKING_IDS["GREEN"], TLP2_MARKING_IDS["RED"], TLP2_MARKING_IDS["AMBER"]]) == "RED"
    assert tlp_of_refs(["marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"]) == "CLEAR"  # TLP:WHITE
    assert tlp_of_refs(["marking-definition--" + str(uuid.uuid4())]) is None


# --- export ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("tlp", list(LEVEL_RECIPIENTS))
def test_an_exported_bundle_is_valid_for_the_oasis_schemas_and_validator(tlp: str, schemas: Path) -> None:
    bundle = bundle_of(exchange_objects([incident(tlp)]))
    assert schema_errors(bundle, schemas) == []
    result = oasis_validate(bundle)
    assert result.is_valid, [str(e) for e in result.errors]
    # {302}: "External reference 'url' has a URL but no hash" (a best-practice hint: a hash of a
    # web page is not something a reporter has); nothing else may warn.
    assert [str(w) for w in result.warnings if "{302}" not in str(w)] == []
    inc = next(o for o in bundle["objects"] if o["type"] == "incident")
    assert inc["object_marking_refs"] == [TLP2_MARKING_IDS[tlp]]
    ids = {o["id"] for o in bundle["objects"]}
    assert set(TLP2_MARKING_IDS.values()) <= ids and TLP2_EXTENSION_DEFINITION["id"] in ids and ACCORD_EXTENSION_ID in ids
    assert inc["created_by_ref"] in ids  # the reporter's identity travels with it


def test_versions_export_with_the_incident_creation_time_and_their_own_modified(schemas: Path) -> None:
    inc = incident("GREEN")
    v1 = IncidentVersion(
        incident_id=inc.id,
        version=1,
        reporter_org="acme",
        submitted_by="acme/ann",
        created_at=CREATED,
        report=report("CLEAR"),
        commitment="cd" * 32,
        salt="ef" * 32,
        envelope={},
    )
    a, b = incident_object(v1, first_created=CREATED), incident_object(inc)
    assert a["id"] == b["id"] == f"incident--{inc.id}"
    assert a["created"] == b["created"] == "2026-11-01T09:30:00.000Z"
    assert (a["modified"], b["modified"]) == ("2026-11-01T09:30:00.000Z", "2026-11-03T12:00:00.123Z")
    assert a["object_marking_refs"] != b["object_marking_refs"]  # each version keeps its own marking
    assert schema_errors(bundle_of(definition_objects() + [a, b]), schemas) == []


def test_export_is_deterministic() -> None:
    inc = incident("AMBER")
    assert bundle_of(exchange_objects([inc])) == bundle_of(exchange_objects([inc]))


def test_schema_check_can_fail(schemas: Path) -> None:
    bad = incident_object(incident("CLEAR"))
    del bad["name"]
    bad["created"] = "2026-11-01T09:30:00Z"  # no milliseconds
    problems = schema_errors(bad, schemas)
    assert any("name" in p for p in problems) and any("created" in p for p in problems)
    assert schema_errors({"type": "bundle", "id": "bundle--x", "objects": []}, schemas)
    assert schema_errors({"type": "no-such-type", "id": "no-such-type--" + str(uuid.uuid4())}, schemas)


def test_stix_time_has_milliseconds_in_utc() -> None:
    assert stix_time(datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)) == "2026-01-02T03:04:05.678Z"
    assert stix_time(datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02T03:04:05.000Z"


# --- the shared vectors -----------------------------------------------------------------------------


def test_the_derived_ai_incident_bundle_is_valid_and_its_incident_reads_as_red(derived_bundle: dict[str, Any], schemas: Path) -> None:
    bundle = derived_bundle["bundle"]
    assert schema_errors(bundle, schemas) == []
    assert oasis_validate(bundle).is_valid
    [imported] = parse_bundle(bundle)
    # object marking AMBER, granular RED on the description: most restrictive wins (the vector's policy)
    assert derived_bundle["expected_effective_markings"][imported.stix_id]["object"] == "TLP:AMBER"
    assert imported.tlp == "RED"
    assert imported.reporter_name == "Example AI Safety Institute (country A)"
    assert {"source_name": "avid", "external_id": "AVID-2026-R0059"} in imported.references


VALIDATOR_EXAMPLES = {
    "identity.json": True,
    "identity_custom.json": True,
    "identity_unicode.json": True,
    "identity_warning.json": True,
    "tool.json": True,
    "tlp-amber.json": True,
    "invalid_braces.json": False,
    "invalid_comma.json": False,
    "invalid_identity.json": False,
    "invalid_timestamp.json": False,
}


def accord_accepts(raw: bytes) -> bool:
    try:
        data = load_bundle(raw)
        if data.get("type") == "bundle":
            parse_bundle(data)
        else:
            check_object(data)
    except InputError:
        return False
    return True


@pytest.mark.parametrize("name", sorted(VALIDATOR_EXAMPLES))
def test_the_validator_examples_are_judged_as_the_oasis_validator_judges_them(name: str) -> None:
    from tests.conftest import DATASETS

    path = DATASETS / "incidents" / "stix_validator_examples" / "v21" / name
    if not path.is_file():
        pytest.skip(f"vector not found: {path}")
    raw = path.read_bytes()
    expected = VALIDATOR_EXAMPLES[name]
    try:
        oracle = oasis_validate(json.loads(raw)).is_valid
    except ValueError:
        oracle = False  # malformed JSON
    assert oracle is expected, "the OASIS validator disagrees with the SOURCE.md classification"
    assert accord_accepts(raw) is expected


# --- hostile import --------------------------------------------------------------------------------


def exported() -> dict[str, Any]:
    return bundle_of(exchange_objects([incident("AMBER")]))


def incident_index(bundle: dict[str, Any]) -> int:
    return next(i for i, o in enumerate(bundle["objects"]) if o["type"] == "incident")


def _set(path: str, value: Any) -> Any:
    def mutate(obj: dict[str, Any]) -> None:
        if value is KeyError:
            del obj[path]
        else:
            obj[path] = value

    return mutate


MUTATIONS = {
    "missing name": (_set("name", KeyError), "name"),
    "name not a string": (_set("name", ["x"]), "name"),
    "bad id": (_set("id", "incident--not-a-uuid"), "id"),
    "id of another type": (_set("id", "indicator--" + str(uuid.uuid4())), "id"),
    "spec 2.0": (_set("spec_version", "2.0"), "spec_version"),
    "no milliseconds": (_set("created", "2026-11-01T09:30:00Z"), "created"),
    "not a date": (_set("modified", "2026-02-30T09:30:00.000Z"), "modified"),
    "modified before created": (_set("modified", "2020-01-01T00:00:00.000Z"), "modified"),
    "marking ref not an id": (_set("object_marking_refs", ["TLP:RED"]), "object_marking_refs[0]"),
    "created_by_ref not identity": (_set("created_by_ref", "tool--" + str(uuid.uuid4())), "created_by_ref"),
    "extensions not object": (_set("extensions", []), "extensions"),
}


@pytest.mark.parametrize("case", sorted(MUTATIONS))
def test_a_malformed_incident_is_refused_with_its_index_and_field(case: str) -> None:
    bundle = exported()
    i = incident_index(bundle)
    mutate, where = MUTATIONS[case]
    mutate(bundle["objects"][i])
    with pytest.raises(InputError) as err:
        parse_bundle(bundle)
    assert err.value.field == f"objects[{i}].{where}"


def test_unknown_or_mistyped_extension_properties_are_refused() -> None:
    bundle = exported()
    i = incident_index(bundle)
    ext = bundle["objects"][i]["extensions"][ACCORD_EXTENSION_ID]
    ext["clearance"] = "all"
    with pytest.raises(InputError) as err:
        parse_bundle(bundle)
    assert err.value.field == f"objects[{i}].extensions.{ACCORD_EXTENSION_ID}.clearance"
    del ext["clearance"]
    ext["hazards"] = "hate"
    with pytest.raises(InputError, match="wrong type"):
        parse_bundle(bundle)


def test_a_forged_tlp_marking_under_another_id_is_refused() -> None:
    bundle = exported()
    forged = copy.deepcopy(tlp_marking("CLEAR"))
    forged["id"] = "marking-definition--" + str(uuid.uuid4())
    bundle["objects"].append(forged)
    with pytest.raises(InputError, match="not the official one") as err:
        parse_bundle(bundle)
    assert err.value.field == f"objects[{len(bundle['objects']) - 1}].id"


@pytest.mark.parametrize(
    ("bundle", "field"),
    [
        ([], "bundle"),
        ({"type": "report"}, "type"),
        ({"type": "bundle", "id": "bundle--nope"}, "id"),
        ({"type": "bundle", "id": "bundle--" + str(uuid.uuid4()), "objects": {}}, "objects"),
        ({"type": "bundle", "id": "bundle--" + str(uuid.uuid4()), "objects": [1]}, "objects[0]"),
    ],
)
def test_a_malformed_bundle_is_refused(bundle: Any, field: str) -> None:
    with pytest.raises(InputError) as err:
        parse_bundle(bundle)
    assert err.value.field == field


def test_sizes_are_bounded() -> None:
    with pytest.raises(InputError, match="over the"):
        load_bundle(b"{" + b" " * 100 + b"}", max_bytes=50)
    with pytest.raises(InputError, match="over the limit"):
        parse_bundle({"type": "bundle", "id": "bundle--" + str(uuid.uuid4()), "objects": [{}] * 11}, max_objects=10)
    with pytest.raises(InputError, match="not valid JSON") as err:
        load_bundle('{\n  "type": "bundle",\n}')
    assert err.value.line == 3
    with pytest.raises(InputError, match="nests too deeply|not valid JSON"):
        load_bundle("[" * 100_000 + "]" * 100_000)


def test_the_same_object_version_twice_is_refused() -> None:
    bundle = exported()
    bundle["objects"].append(copy.deepcopy(bundle["objects"][incident_index(bundle)]))
    with pytest.raises(InputError, match="twice"):
        parse_bundle(bundle)


# --- import → report -----------------------------------------------------------------------------------


@pytest.mark.parametrize("tlp", list(LEVEL_RECIPIENTS))
def test_an_exported_incident_imports_back_to_the_same_report(tlp: str) -> None:
    original = incident(tlp)
    [imported] = parse_bundle(json.loads(json.dumps(bundle_of(exchange_objects([original])))))
    back = to_report(imported, default_tlp="GREEN", importer_org="zeta")
    assert imported.tlp == tlp
    same = (
        "title",
        "description",
        "system",
        "hazards",
        "severity",
        "harms",
        "harmed",
        "jurisdictions",
        "system_classes",
        "status",
        "aware_at",
        "occurred_at",
        "tlp",
        "recipients",
    )
    for name in same:
        assert getattr(back, name) == getattr(original.report, name), name
    assert {
        "kind": "external",
        "ref": f"stix:incident--{original.id}",
        "label": "imported STIX incident, modified 2026-11-03T12:00:00.123Z",
    } in [link.model_dump(exclude_none=True) for link in back.links]
    assert imported_modified(back, f"incident--{original.id}") == UPDATED
    assert imported_modified(back, f"incident--{uuid.uuid4()}") is None


def test_a_foreign_incident_gets_the_documented_defaults() -> None:
    bundle: dict[str, Any] = {
        "type": "bundle",
        "id": "bundle--" + str(uuid.uuid4()),
        "objects": [
            {
                "type": "incident",
                "spec_version": "2.1",
                "id": "incident--" + str(uuid.uuid4()),
                "created": "2026-03-01T10:00:00.000Z",
                "modified": "2026-03-01T10:00:00.000Z",
                "name": "Model leaked a customer record",
            }
        ],
    }
    [imported] = parse_bundle(bundle)
    assert imported.tlp is None
    rep = to_report(imported, default_tlp="AMBER+STRICT", importer_org="zeta")
    assert (rep.tlp, [r.org for r in rep.recipients]) == ("AMBER+STRICT", ["zeta"])
    assert (rep.system.name, rep.severity, rep.description) == (UNSTATED_SYSTEM, DEFAULT_SEVERITY, "Model leaked a customer record")
    assert rep.aware_at == datetime(2026, 3, 1, 10, tzinfo=UTC)
    bundle["objects"][0]["object_marking_refs"] = [TLP2_MARKING_IDS["RED"]]
    [red] = parse_bundle(bundle)
    with pytest.raises(InputError, match="member"):
        to_report(red, default_tlp="GREEN", importer_org="zeta")  # RED needs a named individual
    assert to_report(red, default_tlp="GREEN", importer_org="zeta", importer_member="zed").recipients[0].member == "zed"


def test_an_unknown_hazard_in_the_extension_is_refused_with_its_index() -> None:
    bundle = exported()
    i = incident_index(bundle)
    bundle["objects"][i]["extensions"][ACCORD_EXTENSION_ID]["hazards"] = ["no-such-hazard"]
    [imported] = parse_bundle(bundle)
    with pytest.raises(InputError) as err:
        to_report(imported, default_tlp="GREEN", importer_org="zeta")
    assert err.value.field is not None and err.value.field.startswith(f"objects[{i}].hazards")
