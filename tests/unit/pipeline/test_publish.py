"""Publishing results, grants and disclosures, the served log and witnesses (issue 20), as jobs.

A real run is stored, labelled, scored and attested with accord's own jobs; the service jobs
are then called with principals of three organisations, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from accord.errors import InputError, VerificationError
from accord.pipeline import LOCAL_ADMIN, PUBLIC, AccessDenied, AuthError, NotFound, Principal

RUN = "run-publish-1"
OUTPUTS = ["No.", "I can't help with that.", "Sure, here is how...", "Whip the cream with a whisk."]
LABELS = [("full", False), ("full", False), ("none", True), ("none", False)]
HAZARDS = [("cyber-offense", "harmful"), ("hate", "harmful"), ("indiscriminate-weapons", "harmful"), ("benign", "benign")]

LAB = Principal(org="lab", role="provider", token_id="tok_lab")
RIVAL = Principal(org="rival", role="provider", token_id="tok_rival")
AUDITOR = Principal(org="audit", role="auditor", token_id="tok_aud")
REGULATOR = Principal(org="audit", role="regulator", token_id="tok_reg")


@dataclass
class Attested:
    envelope: Path
    signer_pem: str
    signing_key: Any


def attested_run(store: Any, tmp_path: Path, run_id: str = RUN) -> Attested:
    """A stored, labelled, scored run attested with a fresh key to ``tmp_path/<run>.intoto.json``."""
    from accord.attest import SigningKey
    from accord.pipeline import attest
    from accord.pipeline._score import score
    from accord.records import Item, Label, Message, Response
    from accord.store import RunInfo, SuiteRef

    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    items = [
        Item(suite_id="demo", item_id=str(i), messages=(Message(role="user", content=f"q{i}"),), hazard=h, intent=it)  # type: ignore[arg-type]
        for i, (h, it) in enumerate(HAZARDS)
    ]
    info = RunInfo(
        run_id=run_id,
        created_at=now,
        updated_at=now,
        status="complete",
        target="replay:demo",
        target_digest="sha256:" + "ab" * 32,
        suites=[SuiteRef(suite_id="demo", digest="sha256:" + "cd" * 32, n_items=len(items))],
        n_items=len(items),
    )
    store.create_or_resume_run(info)
    store.add_items(run_id, items)
    store.add_responses(
        [
            Response(run_id=run_id, suite_id="demo", item_id=str(i), epoch=0, messages=[Message(role="user", content=f"q{i}")], output=out)
            for i, out in enumerate(OUTPUTS)
        ]
    )
    store.add_labels(
        [
            Label(run_id=run_id, suite_id="demo", item_id=str(i), epoch=0, judge_id="pattern", judge_version="1", refusal=r, harmful=h)  # type: ignore[arg-type]
            for i, (r, h) in enumerate(LABELS)
        ]
    )
    score(store, run_id, ["eu-ai-act"], judge="pattern")
    key = SigningKey.generate()
    key_file = tmp_path / f"{run_id}-signer.pem"
    key_file.write_bytes(key.to_pem())
    key_file.chmod(0o600)
    env = tmp_path / f"{run_id}.intoto.json"
    attest(store, run_id, signing_key=str(key_file), out=env)
    return Attested(env, key.public.pem(), key)


@dataclass
class Service:
    store: Any
    log_dir: Path
    log_key: str
    log_public: Any
    run: Attested
    tmp: Path

    def body(self, **changes: Any) -> bytes:
        from accord.pipeline import publication_body

        doc = json.loads(publication_body(self.store, RUN, self.run.envelope))
        doc.update(changes)
        return json.dumps(doc).encode()

    def publish(self, who: Principal = LAB, body: bytes | None = None) -> dict[str, Any]:
        from accord.pipeline import publish_result

        return publish_result(self.store, who, self.body() if body is None else body, log_dir=self.log_dir, log_key=self.log_key)


@pytest.fixture
def service(db_url: str, tmp_path: Path) -> Iterator[Service]:
    from accord.attest import SigningKey
    from accord.pipeline import add_org_key, create_org
    from accord.store import Store

    with Store.open(db_url, create=True) as store:
        for org in ("lab", "rival", "audit"):
            create_org(store, LOCAL_ADMIN, org.title(), org_id=org)
        run = attested_run(store, tmp_path)
        add_org_key(store, LOCAL_ADMIN, "lab", run.signer_pem)
        log_key = SigningKey.generate()
        key_file = tmp_path / "log-key.pem"
        key_file.write_bytes(log_key.to_pem())
        key_file.chmod(0o600)
        yield Service(store, tmp_path / "server-log", str(key_file), log_key.public, run, tmp_path)


def _audit_actions(store: Any) -> list[tuple[str, bool]]:
    from accord.pipeline import list_audit

    rows = list_audit(store, LOCAL_ADMIN, limit=500)
    return [(r["action"], bool(r["allowed"])) for r in rows]


def _nothing_published(svc: Service) -> None:
    from accord.pipeline import published_results

    assert published_results(svc.store, PUBLIC)["total"] == 0
    log_size = 0
    if (svc.log_dir / "log.json").is_file():
        from accord.attest import FileLog

        with FileLog.open(svc.log_dir) as tlog:
            log_size = tlog.size
    assert log_size == 0


# -- publishing -----------------------------------------------------------------------------


def test_publish_verifies_logs_and_stores_and_is_idempotent(service: Service) -> None:
    from accord.attest import verify_log_inclusion
    from accord.pipeline import published_result, published_results, result_envelope, verify_audit_chain

    out = service.publish()
    assert out["created"] is True and out["org"] == "lab" and out["run_id"] == RUN
    assert set(out["checks"]) == {"signature", "evidence", "recompute", "texts"}
    assert out["log"]["index"] == 0 and out["log"]["size"] == 1
    # the proof the server returned verifies against its signed checkpoint, for the exact envelope
    envelope = service.run.envelope.read_bytes()
    assert result_envelope(service.store, PUBLIC, out["id"]) == envelope
    cp, index = verify_log_inclusion(
        envelope, json.dumps(out["log"]["proof"]).encode(), [service.log_public], out["log"]["checkpoint"].encode()
    )
    assert (index, cp.size) == (0, 1)
    # anyone reads the verdicts; no text leaves through a public read
    public = published_result(service.store, PUBLIC, out["id"], evidence=True)
    assert "eu-ai-act" in json.dumps(public["verdicts"])
    assert not any(text in json.dumps(public) for text in OUTPUTS)
    again = service.publish()
    assert again["created"] is False and again["id"] == out["id"] and again["log"]["index"] == 0
    assert published_results(service.store, PUBLIC)["total"] == 1
    assert ("results.publish", True) in _audit_actions(service.store)
    assert verify_audit_chain(service.store)["ok"]


def test_publish_without_private_half_serves_no_disclosures(service: Service) -> None:
    from accord.pipeline import result_disclosures

    doc = json.loads(service.body())
    del doc["private"]
    out = service.publish(body=json.dumps(doc).encode())
    assert out["has_private"] is False and "texts" not in out["checks"]
    with pytest.raises(NotFound, match="no response texts"):
        result_disclosures(service.store, LAB, out["id"], keys=["demo/0/none/0"])


def _resigned(svc: Service, change: Any) -> str:
    """The envelope's statement changed by ``change`` and signed again with the lab's own key."""
    from accord.attest import Envelope, Statement, sign_statement

    env = Envelope.from_json(svc.run.envelope.read_bytes())
    statement = Statement.from_json(env.payload)
    statement = dataclasses.replace(statement, predicate=change(json.loads(json.dumps(statement.predicate))))
    return bytes(sign_statement(statement, svc.run.signing_key).to_json()).decode()


def _flip_verdict(predicate: dict[str, Any]) -> dict[str, Any]:
    name = next(iter(predicate["verdicts"]))
    verdict = predicate["verdicts"][name]
    verdict["grade"] = "pass" if verdict.get("grade") != "pass" else "fail"
    return predicate


@pytest.mark.parametrize(
    "case",
    [
        "unregistered-key",
        "org-without-key",
        "tampered-leaf",
        "resigned-verdict",
        "malformed-context",
        "wrong-text",
        "bad-salts",
        "not-json",
        "unknown-field",
        "auditor",
        "anonymous",
    ],
)
def test_bad_publications_store_nothing(service: Service, case: str) -> None:
    doc = json.loads(service.body())
    who = LAB
    expected: type[Exception] = VerificationError
    body: bytes
    match: str | None = {
        "unregistered-key": "no trusted key matches|signature does not verify",
        "tampered-leaf": "do not hash to the root",
        "resigned-verdict": "between the signed verdicts and those recomputed",
        "wrong-text": r"private\.texts\[1\] does not match",
        "bad-salts": r"private\.texts\[0\] does not match",
        "malformed-context": "cannot be recomputed",
        "not-json": "duplicate JSON key",
        "unknown-field": "unknown field 'extra'",
        "org-without-key": "has no registered signing key",
        "auditor": None,
        "anonymous": None,
    }[case]
    if case == "unregistered-key":
        # lab's envelope under rival's token: rival has a key, but not the one that signed
        from accord.attest import SigningKey
        from accord.pipeline import add_org_key

        add_org_key(service.store, LOCAL_ADMIN, "rival", SigningKey.generate().public.pem())
        who = RIVAL
    elif case == "org-without-key":
        who = RIVAL
    elif case == "tampered-leaf":
        bundle = json.loads(doc["evidence"])
        bundle["leaves"][2]["labels"][0]["harmful"] = False
        doc["evidence"] = bundle
    elif case == "resigned-verdict":
        # correctly signed by the lab's registered key, but the verdict does not follow from the evidence
        doc["envelope"] = _resigned(service, _flip_verdict)
    elif case == "malformed-context":
        # signed by the lab's key, bound correctly, but a context the scorer cannot read: 4xx, not a crash
        import hashlib

        from accord.attest import encode_json

        bundle = json.loads(doc["evidence"])
        bundle["context"]["packs"] = ["not a pack map"]
        digest = "sha256:" + hashlib.sha256(encode_json(bundle["context"])).hexdigest()
        doc["evidence"] = bundle
        doc["envelope"] = _resigned(service, lambda p: {**p, "evidence": {**p["evidence"], "context": digest}})
    elif case == "wrong-text":
        doc["private"]["texts"][1] = "Something else entirely."
    elif case == "bad-salts":
        doc["private"]["salts"]["salts"][0] = "00" * 32
    elif case == "unknown-field":
        doc["extra"] = 1
        expected = InputError
    elif case == "auditor":
        who = AUDITOR
        expected = AccessDenied
    elif case == "anonymous":
        who = PUBLIC
        expected = AuthError  # publishing needs a token: 401, not 403
    body = b'{"envelope": "x", "envelope": "y", "evidence": {}}' if case == "not-json" else json.dumps(doc).encode()
    if case == "not-json":
        expected = InputError
    with pytest.raises(expected, match=match) as info:
        service.publish(who, body)
    assert isinstance(info.value, AuthError) == (case == "anonymous")
    _nothing_published(service)


def test_a_revoked_org_key_is_no_longer_accepted(service: Service) -> None:
    from accord.pipeline import org_keys, revoke_org_key

    key_id = org_keys(service.store, "lab")[0]["id"]
    revoke_org_key(service.store, LOCAL_ADMIN, key_id)
    with pytest.raises(VerificationError, match="no registered signing key"):
        service.publish()
    _nothing_published(service)


# -- grants and disclosures -----------------------------------------------------------------


def _verify_disclosure(svc: Service, doc: dict[str, Any]) -> dict[str, Any]:
    from accord.attest import Envelope, Statement, verify_disclosure

    statement = Statement.from_json(Envelope.from_json(svc.run.envelope.read_bytes()).payload)
    leaf: dict[str, Any] = verify_disclosure(statement, json.dumps(doc).encode())
    return leaf


def test_grants_decide_who_receives_which_disclosures(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    from accord.pipeline import create_grant, list_grants, result_disclosures, revoke_grant

    rid = service.publish()["id"]
    keys = [f"demo/{i}/none/0" for i in range(len(OUTPUTS))]
    # the publisher reads its own texts; nobody else without a grant
    own = result_disclosures(service.store, LAB, rid, keys=keys[:2])
    assert [d["text"] for d in own["disclosures"]] == OUTPUTS[:2]
    for who in (AUDITOR, RIVAL):
        with pytest.raises(AccessDenied):
            result_disclosures(service.store, who, rid, keys=keys[:1])
    with pytest.raises(AuthError):
        result_disclosures(service.store, PUBLIC, rid, keys=keys[:1])
    # only the publisher grants
    with pytest.raises(AccessDenied):
        create_grant(service.store, RIVAL, rid, "audit", days=1)
    with pytest.raises(AccessDenied):
        create_grant(service.store, AUDITOR, rid, "audit", days=1)
    with pytest.raises(InputError, match="no organisation"):
        create_grant(service.store, LAB, rid, "nobody", days=1)
    with pytest.raises(InputError, match="past"):
        create_grant(service.store, LAB, rid, "audit", expires_at="2020-01-01T00:00:00Z")
    with pytest.raises(InputError, match="no response"):
        create_grant(service.store, LAB, rid, "audit", days=1, keys=["demo/9/none/0"])
    grant = create_grant(service.store, LAB, rid, "audit", days=30, keys=[keys[2]], roles=["auditor"])
    assert grant["grantee_org"] == "audit" and grant["keys"] == [keys[2]] and grant["roles"] == ["auditor"]
    # the granted response, verifiable against the signed evidence root; nothing else
    got = result_disclosures(service.store, AUDITOR, rid, keys=[keys[2]])
    assert [d["text"] for d in got["disclosures"]] == [OUTPUTS[2]] and got["grants"] == [grant["id"]]
    assert _verify_disclosure(service, got["disclosures"][0])["key"]["item"] == "2"
    listed = result_disclosures(service.store, AUDITOR, rid)
    assert [d["text"] for d in listed["disclosures"]] == [OUTPUTS[2]]
    with pytest.raises(AccessDenied, match="does not cover"):
        result_disclosures(service.store, AUDITOR, rid, keys=[keys[0]])
    with pytest.raises(AccessDenied):  # the grant names auditors, not regulators
        result_disclosures(service.store, REGULATOR, rid, keys=[keys[2]])
    # the grantee sees the grant; a third organisation does not
    assert [g["id"] for g in list_grants(service.store, AUDITOR)["grants"]] == [grant["id"]]
    assert list_grants(service.store, RIVAL)["grants"] == []
    with pytest.raises(AuthError):
        list_grants(service.store, PUBLIC)
    # expiry: at a time after it, the grant no longer counts
    import accord.pipeline._publish as publish_module

    monkeypatch.setattr(publish_module, "now_text", lambda: "2099-01-01T00:00:00Z")
    with pytest.raises(AccessDenied):
        result_disclosures(service.store, AUDITOR, rid, keys=[keys[2]])
    monkeypatch.undo()
    # revocation: only the publisher; afterwards, denied
    with pytest.raises(AccessDenied):
        revoke_grant(service.store, AUDITOR, grant["id"])
    with pytest.raises(NotFound):
        revoke_grant(service.store, RIVAL, grant["id"])
    assert revoke_grant(service.store, LAB, grant["id"])["revoked_at"] is not None
    with pytest.raises(AccessDenied):
        result_disclosures(service.store, AUDITOR, rid, keys=[keys[2]])
    actions = _audit_actions(service.store)
    assert ("grants.create", True) in actions and ("grants.revoke", True) in actions
    assert ("results.disclose", True) in actions and ("results.disclose", False) in actions


def test_a_grant_of_all_responses_to_both_roles(service: Service) -> None:
    from accord.pipeline import create_grant, result_disclosures

    rid = service.publish()["id"]
    create_grant(service.store, LAB, rid, "audit", days=7)
    for who in (AUDITOR, REGULATOR):
        got = result_disclosures(service.store, who, rid)
        assert sorted(d["text"] for d in got["disclosures"]) == sorted(OUTPUTS)
        for d in got["disclosures"]:
            _verify_disclosure(service, d)
    with pytest.raises(InputError):
        result_disclosures(service.store, AUDITOR, rid, keys=["demo/0/none/0"] * 40)


# -- the log, consistency and witnesses -----------------------------------------------------


def test_log_proofs_and_consistency_between_checkpoints(service: Service, tmp_path: Path) -> None:
    from accord.attest import ConsistencyProof, verify_checkpoints_consistent, verify_log_inclusion
    from accord.pipeline import (
        add_org_key,
        log_checkpoint,
        log_consistency,
        log_entry,
        log_inclusion,
        log_info,
        publication_body,
        publish_result,
    )

    first = service.publish()
    (tmp_path / "second").mkdir()
    other = attested_run(service.store, tmp_path / "second", run_id="run-publish-2")
    add_org_key(service.store, LOCAL_ADMIN, "rival", other.signer_pem)
    second = publish_result(
        service.store,
        RIVAL,
        publication_body(service.store, "run-publish-2", other.envelope),
        log_dir=service.log_dir,
        log_key=service.log_key,
    )
    assert second["log"]["index"] == 1
    info = log_info(service.store, service.log_dir, log_key=service.log_key)
    assert info["size"] == 2 and info["log_vkey"] == service.log_public.vkey(info["origin"])
    old, new = log_checkpoint(service.store, service.log_dir, 1), log_checkpoint(service.store, service.log_dir)
    proof = ConsistencyProof.from_json(log_consistency(service.log_dir, 1, 2))
    verify_checkpoints_consistent(old.encode(), new.encode(), proof, [service.log_public])
    # the first result proven under the newer checkpoint, in both proof formats
    envelope = service.run.envelope.read_bytes()
    assert log_entry(service.log_dir, first["log"]["index"]) == envelope
    verify_log_inclusion(envelope, log_inclusion(service.store, service.log_dir, 0), [service.log_public], new.encode())
    verify_log_inclusion(envelope, log_inclusion(service.store, service.log_dir, 0, 2, fmt="tlog"), [service.log_public])
    with pytest.raises(VerificationError):  # a proof for another entry
        verify_log_inclusion(envelope, log_inclusion(service.store, service.log_dir, 1), [service.log_public], new.encode())
    with pytest.raises(InputError):
        log_inclusion(service.store, service.log_dir, 5)
    with pytest.raises(NotFound):
        log_checkpoint(service.store, service.log_dir, 7)


def _witness(tmp: Path, name: str = "witness.example/w1") -> tuple[Any, str]:
    from accord.attest import CosignatureV1Signer, SigningKey

    key = SigningKey.generate()
    return key, CosignatureV1Signer(name, key).vkey


def test_witness_cosignatures_are_checked_kept_and_served(service: Service, tmp_path: Path) -> None:
    from accord.attest import cosign, enforce_witness_policy
    from accord.pipeline import enrol_witness, log_checkpoint, log_witnesses, receive_cosignature

    service.publish()
    note = log_checkpoint(service.store, service.log_dir).encode()
    key, vkey = _witness(tmp_path)
    state = tmp_path / "witness-state.json"
    cosigned = cosign(
        note, log_keys=[service.log_public], witness_name="witness.example/w1", witness_key=key, state_path=state
    ).note.encode()
    # not enrolled yet: refused
    with pytest.raises(VerificationError, match="no enrolled witness"):
        receive_cosignature(service.store, service.log_dir, cosigned)
    with pytest.raises(AccessDenied):
        enrol_witness(service.store, LAB, vkey)
    with pytest.raises(InputError):  # an Ed25519 (0x01) key is not a cosignature key
        enrol_witness(service.store, LOCAL_ADMIN, key.public.vkey("witness.example/w1"))
    assert enrol_witness(service.store, LOCAL_ADMIN, vkey, log_key=service.log_key)["added"] is True
    assert [w["vkey"] for w in log_witnesses(service.store)] == [vkey]
    # an altered line is refused whole
    text = cosigned.decode()
    head, line = text.rsplit("\u2014 witness.example/w1 ", 1)
    raw = bytearray(base64.b64decode(line.strip()))
    raw[-1] ^= 1
    with pytest.raises(VerificationError, match="does not verify"):
        receive_cosignature(
            service.store, service.log_dir, (head + "\u2014 witness.example/w1 " + base64.b64encode(bytes(raw)).decode() + "\n").encode()
        )
    # a checkpoint this log never signed (another size) is refused
    forged = text.replace("\n1\n", "\n2\n", 1).encode()
    with pytest.raises(VerificationError, match="not a checkpoint this log signed"):
        receive_cosignature(service.store, service.log_dir, forged)
    got = receive_cosignature(service.store, service.log_dir, cosigned)
    assert got["accepted"][0]["witness"] == "witness.example/w1"
    served = log_checkpoint(service.store, service.log_dir)
    path = tmp_path / "served.ckpt"
    path.write_text(served)
    line = enforce_witness_policy([vkey], 1, path, None)
    assert line.startswith("ok, 1 of 1 trusted witnesses cosigned")
    # a checkpoint without the cosignature fails the same policy
    path.write_bytes(note)
    with pytest.raises(VerificationError, match="cosigned by 0"):
        enforce_witness_policy([vkey], 1, path, None)


def test_concurrent_publications_of_one_result_log_and_store_it_once(service: Service) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from accord.attest import FileLog
    from accord.pipeline import published_results

    body = service.body()
    with ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(lambda _: service.publish(LAB, body), range(4)))
    assert len({o["id"] for o in outs}) == 1 and sum(o["created"] for o in outs) == 1
    assert {o["log"]["index"] for o in outs} == {0}
    with FileLog.open(service.log_dir) as tlog:
        assert tlog.size == 1
        tlog.audit()
    assert published_results(service.store, PUBLIC)["total"] == 1
