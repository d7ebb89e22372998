"""TAXII 2.1 and the exchange jobs over a real app and store (SQLite and PostgreSQL).

TLP 2.0 holds on every exchange path: a TAXII page, a STIX export, an object's versions and an
AVID export never carry an incident version the caller may not read. The TAXII surface answers
as the medallion reference server does (media types, 406/415, 403/404, 400 on bad paging, 202
status resources, date-added headers), pages walk the whole collection without gaps or
repeats, and a malformed POST stores nothing."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

from accord.attest import SigningKey  # noqa: E402
from accord.errors import InputError  # noqa: E402
from accord.pipeline import (  # noqa: E402
    LOCAL_ADMIN,
    PUBLIC,
    TAXII_COLLECTION_ID,
    AccessDenied,
    NotFound,
    Principal,
    add_incident_version,
    authenticate,
    create_org,
    create_token,
    export_avid,
    export_stix,
    import_aiid,
    import_stix,
    open_store,
    readable_incidents,
    report_incident,
)
from accord.server import ServerConfig, create_app  # noqa: E402

TAXII = "application/taxii+json;version=2.1"
ROOT = "/taxii2/api"
OBJECTS = f"{ROOT}/collections/{TAXII_COLLECTION_ID}/objects/"
N_DEFINITIONS = 8  # accord identity, TLP 2.0 + accord extension-definitions, 5 TLP 2.0 markings


def body(tlp: str = "CLEAR", **over: Any) -> dict[str, Any]:
    recipients = {
        "CLEAR": [],
        "GREEN": [],
        "AMBER": [{"org": "beta", "clients": ["gamma"]}],
        "AMBER+STRICT": [{"org": "beta"}],
        "RED": [{"org": "beta", "member": "bob"}],
    }[tlp]
    data: dict[str, Any] = {
        "title": f"{tlp} incident {uuid.uuid4().hex[:6]}",
        "description": f"secret-{tlp}-text",
        "system": {"name": "acme-chat", "version": "2.1"},
        "hazards": ["specialized-advice"],
        "severity": "serious incident",
        "harms": ["health"],
        "jurisdictions": ["DE"],
        "aware_at": "2026-11-01T09:30:00Z",
        "tlp": tlp,
        "recipients": recipients,
    }
    data.update(over)
    return data


class World:
    """Organisations acme (reporter), beta (recipient; bob named), gamma (beta's client), delta (stranger)."""

    def __init__(self, store: Any, tmp: Path) -> None:
        self.store = store
        key_file = tmp / "log-key.pem"
        key_file.write_bytes(SigningKey.generate().to_pem())
        os.chmod(key_file, 0o600)
        self.key = str(key_file)
        self.log_dir = tmp / "log"
        for org in ("acme", "beta", "gamma", "delta"):
            create_org(store, LOCAL_ADMIN, org)
        self.tokens: dict[str, str] = {}
        self.acme = self.token("acme", "provider", "ann")
        self.bob = self.token("beta", "regulator", "bob")
        self.eve = self.token("beta", "regulator", "eve")
        self.gamma = self.token("gamma", "auditor")
        self.delta = self.token("delta", "auditor")
        self.delta_reader = self.token("delta", "public")
        self.app = create_app(ServerConfig(log_dir=self.log_dir, signing_key=self.key), store=store)
        self.client = TestClient(self.app)
        self.incidents: dict[str, str] = {}  # tlp -> id
        for tlp in ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"):
            self.incidents[tlp] = self.report(tlp).incident_id

    def token(self, org: str, role: str, member: str | None = None) -> Principal:
        made = create_token(self.store, LOCAL_ADMIN, org, role, member=member)
        who = authenticate(self.store, made["token"])
        self.tokens[made["id"]] = made["token"]
        return who

    def headers(self, who: Principal | None) -> dict[str, str]:
        h = {"Accept": TAXII}
        if who is not None and who.token_id is not None:
            h["Authorization"] = f"Bearer {self.tokens[who.token_id]}"
        return h

    def report(self, tlp: str, who: Principal | None = None, **over: Any) -> Any:
        return report_incident(self.store, who or self.acme, body(tlp, **over), log_dir=self.log_dir, log_key=self.key)

    def readers(self) -> dict[str, Principal | None]:
        return {
            "acme": self.acme,
            "bob": self.bob,
            "eve": self.eve,
            "gamma": self.gamma,
            "delta": self.delta,
            "delta-public": self.delta_reader,
            "anonymous": None,
        }

    def walk(self, who: Principal | None, **params: Any) -> list[dict[str, Any]]:
        """Every object of the collection through the pages ``limit`` gives."""
        seen: list[dict[str, Any]] = []
        query = dict(params)
        for _ in range(200):
            r = self.client.get(OBJECTS, params=query, headers=self.headers(who))
            assert r.status_code == 200, r.text
            assert r.headers["content-type"] == TAXII
            page = r.json()
            seen.extend(page.get("objects", []))
            if not page["more"]:
                return seen
            query["next"] = page["next"]
        raise AssertionError("pagination did not end")


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[World]:
    store = open_store(db_url, create=True)
    try:
        yield World(store, tmp_path)
    finally:
        store.close()


READABLE = {
    "acme": {"CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"},
    "bob": {"CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"},
    "eve": {"CLEAR", "GREEN", "AMBER", "AMBER+STRICT"},
    "gamma": {"CLEAR", "GREEN", "AMBER"},
    "delta": {"CLEAR", "GREEN"},
    "delta-public": {"CLEAR", "GREEN"},
    "anonymous": {"CLEAR"},
}


def incident_uuids(objects: list[dict[str, Any]]) -> set[str]:
    return {o["id"].removeprefix("incident--") for o in objects if o["type"] == "incident"}


# --- TLP on every exchange path -------------------------------------------------------------------


def test_taxii_objects_hold_exactly_what_each_caller_may_read(world: World) -> None:
    for name, who in world.readers().items():
        expected = {world.incidents[t] for t in READABLE[name]}
        objects = world.walk(who)
        assert incident_uuids(objects) == expected, name
        text = json.dumps(objects)
        for tlp, incident_id in world.incidents.items():
            if tlp not in READABLE[name]:
                assert incident_id not in text and f"secret-{tlp}-text" not in text, (name, tlp)
        # the same set the JSON API's read path gives
        principal = who if who is not None else PUBLIC
        assert expected == {i.id for i in readable_incidents(world.store, principal, limit=500).items}


def test_an_unreadable_object_is_404_exactly_like_a_missing_one(world: World) -> None:
    red = f"incident--{world.incidents['RED']}"
    missing = f"incident--{uuid.uuid4()}"
    for path in ("", "versions/"):
        hidden = world.client.get(f"{OBJECTS}{red}/{path}", headers=world.headers(world.eve))
        absent = world.client.get(f"{OBJECTS}{missing}/{path}", headers=world.headers(world.eve))
        assert hidden.status_code == absent.status_code == 404
        assert hidden.json()["description"].replace(red, "X") == absent.json()["description"].replace(missing, "X")
        assert world.client.get(f"{OBJECTS}{red}/{path}", headers=world.headers(world.bob)).status_code == 200
    r = world.client.get(OBJECTS, params={"match[id]": red}, headers=world.headers(world.gamma))
    assert r.status_code == 200 and "objects" not in r.json()


def test_versions_are_judged_by_their_own_marking(world: World) -> None:
    first = world.report("RED", title="v1 red")
    add_incident_version(
        world.store, world.acme, first.incident_id, body("CLEAR", title="v2 clear"), log_dir=world.log_dir, log_key=world.key
    )
    oid = f"incident--{first.incident_id}"
    pub = world.client.get(f"{OBJECTS}{oid}/versions/", headers=world.headers(None)).json()
    bob = world.client.get(f"{OBJECTS}{oid}/versions/", headers=world.headers(world.bob)).json()
    assert len(pub["versions"]) == 1 and len(bob["versions"]) == 2 and pub["more"] is False
    every = world.client.get(f"{OBJECTS}{oid}/", params={"match[version]": "all"}, headers=world.headers(None)).json()["objects"]
    assert [o["name"] for o in every] == ["v2 clear"]
    assert "v1 red" not in json.dumps(export_stix(world.store, PUBLIC, incident_ids=[first.incident_id], all_versions=True))
    bob_all = export_stix(world.store, world.bob, incident_ids=[first.incident_id], all_versions=True)
    assert [o["name"] for o in bob_all["objects"] if o["type"] == "incident"] == ["v1 red", "v2 clear"]
    first_v = world.client.get(f"{OBJECTS}{oid}/", params={"match[version]": "first"}, headers=world.headers(world.bob)).json()["objects"]
    assert [o["name"] for o in first_v] == ["v1 red"]
    at = bob["versions"][1]
    exact = world.client.get(f"{OBJECTS}{oid}/", params={"match[version]": at}, headers=world.headers(world.bob)).json()["objects"]
    assert [o["modified"] for o in exact] == [at]


def test_stix_export_respects_tlp_and_validates(world: World) -> None:
    from stix2validator import ValidationOptions, validate_instance

    from tests.conftest import DATASETS

    for name, who in world.readers().items():
        principal = who if who is not None else PUBLIC
        bundle = export_stix(world.store, principal)
        assert incident_uuids(bundle["objects"]) == {world.incidents[t] for t in READABLE[name]}
    bundle = export_stix(world.store, world.acme)
    result = validate_instance(bundle, ValidationOptions(version="2.1"))
    assert result.is_valid, [str(e) for e in result.errors]
    schemas = DATASETS / "incidents" / "stix21_schemas" / "schemas"
    if schemas.is_dir():
        from accord.incidents import schema_errors

        assert schema_errors(bundle, schemas) == []
    with pytest.raises(NotFound):
        export_stix(world.store, world.gamma, incident_ids=[world.incidents["RED"]])


def test_avid_export_only_for_what_may_be_published(world: World) -> None:
    assert export_avid(world.store, PUBLIC, world.incidents["CLEAR"])["data_type"] == "AVID"
    assert export_avid(world.store, world.acme, world.incidents["RED"])["description"]["value"] == "secret-RED-text"
    with pytest.raises(AccessDenied):
        export_avid(world.store, world.bob, world.incidents["RED"])  # may read it, may not publish it
    with pytest.raises(NotFound):
        export_avid(world.store, world.gamma, world.incidents["RED"])


# --- TAXII protocol ------------------------------------------------------------------------------------


def test_discovery_root_and_collections(world: World) -> None:
    c = world.client
    d = c.get("/taxii2/", headers=world.headers(None))
    assert d.status_code == 200 and d.headers["content-type"] == TAXII
    assert d.json()["api_roots"] == [f"{ROOT}/"]
    assert TAXII in c.get(f"{ROOT}/", headers=world.headers(None)).json()["versions"]
    cols = c.get(f"{ROOT}/collections/", headers=world.headers(None)).json()["collections"]
    assert [(x["id"], x["can_read"], x["can_write"]) for x in cols] == [(TAXII_COLLECTION_ID, True, False)]
    mine = c.get(f"{ROOT}/collections/{TAXII_COLLECTION_ID}/", headers=world.headers(world.acme)).json()
    assert mine["can_write"] is True and mine["media_types"] == ["application/stix+json;version=2.1"]
    assert c.get(f"{ROOT}/collections/{uuid.uuid4()}/", headers=world.headers(None)).status_code == 404
    assert c.get(f"{ROOT}/collections/{uuid.uuid4()}/objects/", headers=world.headers(None)).status_code == 404


@pytest.mark.parametrize("accept", [None, "application/json", "application/taxii+json;version=2.0", "text/html"])
def test_a_request_that_does_not_accept_taxii_21_is_406(world: World, accept: str | None) -> None:
    headers = {} if accept is None else {"Accept": accept}
    r = world.client.get("/taxii2/", headers=headers)
    assert r.status_code == 406 and r.json()["http_status"] == "406"
    assert world.client.get("/taxii2/", headers={"Accept": "application/taxii+json"}).status_code == 200


def test_pages_walk_everything_once_with_date_added_headers(world: World) -> None:
    for _ in range(4):
        world.report("CLEAR")
    everything = world.walk(world.acme)
    for limit in (1, 3, 7):
        paged = world.walk(world.acme, limit=limit)
        assert [o["id"] for o in paged] == [o["id"] for o in everything]
    assert len(everything) == N_DEFINITIONS + 9 and len({o["id"] for o in everything}) == len(everything)
    r = world.client.get(OBJECTS, params={"limit": 10}, headers=world.headers(world.acme))
    page = r.json()
    assert page["more"] is True and len(page["objects"]) == 10
    assert r.headers["X-TAXII-Date-Added-First"] <= r.headers["X-TAXII-Date-Added-Last"]
    m = world.client.get(
        f"{ROOT}/collections/{TAXII_COLLECTION_ID}/manifest/", params={"limit": 10}, headers=world.headers(world.acme)
    ).json()
    assert [e["id"] for e in m["objects"]] == [o["id"] for o in page["objects"]]
    assert all(e["media_type"] == "application/stix+json;version=2.1" and e["version"] for e in m["objects"])


def test_filters_added_after_type_and_id(world: World) -> None:
    h = world.headers(world.acme)
    incidents_only = world.walk(world.acme, **{"match[type]": "incident"})
    assert {o["type"] for o in incidents_only} == {"incident"} and len(incidents_only) == 5
    markings = world.walk(world.acme, **{"match[type]": "marking-definition"})
    assert len(markings) == 5
    r = world.client.get(OBJECTS, headers=h)
    last = r.headers["X-TAXII-Date-Added-Last"]
    late = world.report("GREEN")
    newer = world.walk(world.acme, added_after=last)
    assert incident_uuids(newer) == {late.incident_id}
    one = world.walk(
        world.acme, **{"match[id]": f"incident--{late.incident_id},{'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1'}"}
    )
    assert sorted(o["type"] for o in one) == ["incident", "marking-definition"]
    assert world.walk(world.acme, **{"match[spec_version]": "2.0"}) == []


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "0"},
        {"limit": "-3"},
        {"limit": "ten"},
        {"next": "garbage"},
        {"added_after": "yesterday"},
        {"match[version]": "newest"},
        {"color": "red"},
    ],
)
def test_bad_paging_and_filters_are_400(world: World, params: dict[str, str]) -> None:
    r = world.client.get(OBJECTS, params=params, headers=world.headers(world.acme))
    assert r.status_code == 400 and r.headers["content-type"] == TAXII
    assert r.json()["http_status"] == "400" and "Traceback" not in r.text


def test_a_bad_token_is_401_not_public(world: World) -> None:
    r = world.client.get(OBJECTS, headers={"Accept": TAXII, "Authorization": "Bearer acc_nope"})
    assert r.status_code == 401 and r.json()["http_status"] == "401"


# --- TAXII add -------------------------------------------------------------------------------------------


def envelope_of(objects: list[dict[str, Any]]) -> bytes:
    return json.dumps({"objects": objects}).encode()


def foreign_incident(**over: Any) -> dict[str, Any]:
    obj = {
        "type": "incident",
        "spec_version": "2.1",
        "id": f"incident--{uuid.uuid4()}",
        "created": "2026-03-01T10:00:00.000Z",
        "modified": "2026-03-01T10:00:00.000Z",
        "name": "Model leaked a customer record",
        "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"],  # TLP:GREEN
    }
    obj.update(over)
    return obj


def post(world: World, who: Principal | None, raw: bytes, content_type: str = TAXII) -> Any:
    headers = world.headers(who) | {"Content-Type": content_type}
    return world.client.post(OBJECTS, content=raw, headers=headers)


def count(world: World) -> int:
    return len(readable_incidents(world.store, world.acme, limit=500).items) + len(
        readable_incidents(world.store, world.gamma, limit=500).items
    )


def test_add_stores_incidents_and_returns_a_status_only_its_org_reads(world: World) -> None:
    from accord.incidents import org_identity, tlp_marking

    inc = foreign_incident()
    r = post(
        world,
        world.gamma,
        envelope_of(
            [
                tlp_marking("GREEN"),
                inc,
                {**foreign_incident(), "type": "note", "id": f"note--{uuid.uuid4()}", "content": "x", "object_refs": [inc["id"]]},
            ]
        ),
    )
    assert r.status_code == 202 and r.headers["content-type"] == TAXII, r.text
    status = r.json()
    assert (status["status"], status["total_count"], status["success_count"], status["failure_count"], status["pending_count"]) == (
        "complete",
        3,
        2,
        1,
        0,
    )
    assert status["failures"][0]["id"].startswith("note--")
    got = world.client.get(f"{ROOT}/status/{status['id']}/", headers=world.headers(world.gamma))
    assert got.status_code == 200 and got.json() == status
    assert world.client.get(f"{ROOT}/status/{status['id']}/", headers=world.headers(world.delta)).status_code == 404
    # the stored incident: reported by gamma, GREEN, readable by the community through TAXII
    stored = [o for o in world.walk(world.delta) if o["type"] == "incident" and o["name"] == "Model leaked a customer record"]
    assert len(stored) == 1 and stored[0]["created_by_ref"] == org_identity("gamma")["id"]  # the importer reports it
    again = post(world, world.gamma, envelope_of([inc])).json()
    assert again["success_count"] == 1 and "already held" in again["successes"][0]["message"]
    newer = post(
        world, world.gamma, envelope_of([{**inc, "modified": "2026-03-02T10:00:00.000Z", "name": "Model leaked two records"}])
    ).json()
    assert newer["success_count"] == 1 and "stored as incident" in newer["successes"][0]["message"]
    oid = newer["successes"][0]["message"].rsplit(" ", 1)[1]
    assert len(world.client.get(f"{OBJECTS}incident--{oid}/versions/", headers=world.headers(world.delta)).json()["versions"]) == 2
    assert "already held" in post(world, world.gamma, envelope_of([inc])).json()["successes"][0]["message"]  # a replay of the old one
    assert len([o for o in world.walk(world.delta) if o["type"] == "incident" and o["name"] == "Model leaked two records"]) == 1


def test_add_needs_write_scope_and_the_right_media_type(world: World) -> None:
    raw = envelope_of([foreign_incident()])
    before = count(world)
    assert post(world, None, raw).status_code == 403
    assert post(world, world.delta_reader, raw).status_code == 403  # a public-role token
    assert post(world, world.acme, raw, content_type="application/json").status_code == 415
    assert post(world, world.acme, raw, content_type="application/taxii+json;version=2.0").status_code == 415
    r = world.client.post(
        OBJECTS,
        content=raw,
        headers={
            "Content-Type": TAXII,
            "Accept": "application/json",
            **{k: v for k, v in world.headers(world.acme).items() if k == "Authorization"},
        },
    )
    assert r.status_code == 406
    assert count(world) == before


@pytest.mark.parametrize(
    ("objects", "field"),
    [
        ([foreign_incident(), foreign_incident(name=None)], "objects[1].name"),
        ([foreign_incident(created="2026-03-01T10:00:00Z")], "objects[0].created"),
        ([foreign_incident(), foreign_incident(id="incident--1")], "objects[1].id"),
        ([foreign_incident(), foreign_incident(modified="2020-01-01T00:00:00.000Z")], "objects[1].modified"),
    ],
)
def test_malformed_stix_is_400_naming_the_object_and_stores_nothing(world: World, objects: list[dict[str, Any]], field: str) -> None:
    objects = [{k: v for k, v in o.items() if v is not None} for o in objects]
    before = count(world)
    r = post(world, world.acme, envelope_of(objects))
    assert r.status_code == 400, r.text
    assert r.json()["field"] == field and "Traceback" not in r.text
    assert count(world) == before


@pytest.mark.parametrize("raw", [b"{", b"[]", b'{"objects": {}}', b'{"objects": [], "extra": 1}', b"\xff\xfe"])
def test_a_malformed_envelope_is_400(world: World, raw: bytes) -> None:
    r = post(world, world.acme, raw)
    assert r.status_code == 400 and r.json()["http_status"] == "400"


def test_an_oversized_body_is_413(world: World) -> None:
    raw = envelope_of([foreign_incident(description="x" * (9 * 1024 * 1024))])
    assert post(world, world.acme, raw).status_code == 413


# --- imports through the jobs ---------------------------------------------------------------------------


def test_import_stix_round_trips_between_two_organisations(world: World) -> None:
    exported = export_stix(world.store, world.bob, incident_ids=[world.incidents["AMBER+STRICT"]])
    result = import_stix(world.store, world.bob, exported, log_dir=world.log_dir, log_key=world.key)
    [added] = result.added
    copy = next(i for i in readable_incidents(world.store, world.bob, limit=500).items if i.id == added["incident_id"])
    assert copy.reporter_org == "beta" and copy.tlp == "AMBER+STRICT"
    assert copy.report.title.startswith("AMBER+STRICT incident") and copy.report.recipients[0].org == "beta"
    assert import_stix(world.store, world.bob, exported, log_dir=world.log_dir, log_key=world.key).added == []
    with pytest.raises(InputError):
        import_stix(world.store, world.bob, {"type": "bundle"}, log_dir=world.log_dir, log_key=world.key)


def test_import_aiid_is_idempotent(world: World) -> None:
    from tests.conftest import DATASETS

    aiid = DATASETS / "incidents" / "aiid"
    if not (aiid / "incidents.csv").is_file():
        pytest.skip("AIID snapshot not found")
    first = import_aiid(world.store, world.delta, aiid, log_dir=world.log_dir, log_key=world.key, limit=5)
    assert first.added == 5 and first.skipped == 0
    again = import_aiid(world.store, world.delta, aiid, log_dir=world.log_dir, log_key=world.key, limit=5)
    assert again.added == 0 and again.skipped == 5
    public = {i.id for i in readable_incidents(world.store, PUBLIC, limit=500).items}
    assert set(first.incident_ids) <= public


def test_pages_of_all_versions_never_exceed_the_limit(world: World) -> None:
    v = world.report("CLEAR", title="three versions")
    for n in (2, 3):
        add_incident_version(world.store, world.acme, v.incident_id, body("CLEAR", title=f"v{n}"), log_dir=world.log_dir, log_key=world.key)
    query: dict[str, Any] = {"match[type]": "incident", "match[version]": "all", "limit": 2}
    names: list[str] = []
    for _ in range(50):
        page = world.client.get(OBJECTS, params=query, headers=world.headers(None)).json()
        assert len(page.get("objects", [])) <= 2
        names += [o["name"] for o in page.get("objects", [])]
        if not page["more"]:
            break
        query["next"] = page["next"]
    # the CLEAR incident of the fixture and all three versions of this one, each once
    assert sorted(n for n in names if not n.startswith("CLEAR incident")) == ["three versions", "v2", "v3"]
    assert len(names) == 4
