"""DSSE + in-toto: PAE bytes, Ed25519 (RFC 8032), the derived in-toto vector, our predicate."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from accord.attest import (
    PREDICATE_TYPE,
    Envelope,
    SigningKey,
    eval_statement,
    pae,
    sign_statement,
    summarize,
    verify_attestation,
    verify_envelope,
)
from accord.attest._models import Statement
from accord.errors import VerificationError


def test_rfc8032_vectors(vectors_dir: Path) -> None:
    data = json.loads((vectors_dir / "ed25519" / "rfc8032-section-7.1.json").read_text())
    assert len(data["tests"]) == 5
    for t in data["tests"]:
        key = SigningKey.from_seed(bytes.fromhex(t["secret_key"]))
        assert key.public.raw.hex() == t["public_key"]
        msg = bytes.fromhex(t["message"])
        sig = key.sign(msg)
        assert sig.hex() == t["signature"]
        assert key.public.verify(sig, msg)
        assert not key.public.verify(sig, msg + b"x")


def test_pae_protocol_vector(vectors_dir: Path) -> None:
    v = json.loads((vectors_dir / "dsse" / "dsse-protocol-test-vector.json").read_text())
    got = pae(v["payload_type"], v["serialized_body_utf8"].encode())
    assert got == bytes.fromhex(v["pae_hex"]) == v["pae_utf8"].encode()
    env = Envelope.from_dict(v["envelope"])
    assert env.pae() == got
    # The published signature is ECDSA P-256 (raw r||s): check it over *our* PAE bytes.
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    pub = ec.EllipticCurvePublicNumbers(int(v["key"]["x_decimal"]), int(v["key"]["y_decimal"]), ec.SECP256R1()).public_key()
    sig = env.signatures[0].sig
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    pub.verify(der, got, ec.ECDSA(hashes.SHA256()))


@pytest.fixture
def intoto(vectors_dir: Path) -> dict:
    return json.loads((vectors_dir / "dsse" / "derived-intoto-test-result-ed25519.json").read_text())


def test_derived_intoto_vector(intoto: dict) -> None:
    key = SigningKey.from_seed(bytes.fromhex(intoto["secret_key_hex"]))
    assert key.public.keyid == intoto["keyid"]
    st = Statement.from_json(intoto["serialized_body_utf8"].encode())
    assert st.to_json() == intoto["serialized_body_utf8"].encode()
    env = sign_statement(st, key)
    assert env.pae().hex() == intoto["pae_hex"]
    assert env.to_dict() == intoto["envelope"]
    verified = verify_attestation(json.dumps(intoto["envelope"]).encode(), [key.public])
    assert verified.statement.predicate["result"] == "PASSED"
    for neg in intoto["negative_cases"]:
        bad = dict(intoto["envelope"], **{k: v for k, v in neg.items() if k != "desc"})
        with pytest.raises(VerificationError):
            verify_envelope(json.dumps(bad).encode(), [key.public])


def test_url_safe_base64_is_accepted(intoto: dict) -> None:
    key = SigningKey.from_seed(bytes.fromhex(intoto["secret_key_hex"]))
    env = dict(intoto["envelope"])
    env["payload"] = base64.urlsafe_b64encode(base64.b64decode(env["payload"])).decode().rstrip("=")
    verify_envelope(json.dumps(env).encode(), [key.public])


def test_wrong_key_message_hints_at_key() -> None:
    st = eval_statement(
        run={"run_id": "r1", "target": "m", "target_digest": "sha256:" + "ab" * 32, "suites": []},
        counts={"responses": 0},
        accord_version="0.1.0",
    )
    env = sign_statement(st, SigningKey.generate()).to_json()
    with pytest.raises(VerificationError) as info:
        verify_attestation(env, [SigningKey.generate().public])
    assert "wrong key" in info.value.diagnostics()


def test_eval_statement_subjects_and_summary() -> None:
    run = {
        "run_id": "run-1",
        "target": "openai:gpt-x",
        "target_digest": "openai:gpt-x@2025-01-01",
        "suites": [{"suite_id": "s1", "digest": "sha256:" + "11" * 32, "n_items": 3}],
        "status": "complete",
        "created_at": "2026-11-23T10:00:00Z",
        "epochs": 1,
    }
    st = eval_statement(
        run=run,
        counts={"responses": 3, "ok": 3},
        accord_version="0.1.0",
        judges=[{"id": "refusal-embedded", "version": "1", "labels": 3}],
        verdicts={"eu-ai-act": {"grade": "pass", "floor": {"passed": True}}},
        report=("report.html", b"<html></html>"),
        now=datetime(2026, 11, 23, tzinfo=UTC),
    )
    key = SigningKey.generate()
    back = verify_attestation(sign_statement(st, key).to_json(), [key.public]).statement
    assert back.predicate_type == PREDICATE_TYPE
    names = [s.name for s in back.subjects]
    assert names == ["target:openai:gpt-x", "suite:s1", "report:report.html"]
    assert back.subjects[1].digest == {"sha256": "11" * 32}
    assert back.subjects[0].annotations["accord.digestOf"] == "openai:gpt-x@2025-01-01"
    assert back.predicate["floor"] == {"eu-ai-act": {"passed": True}}
    text = "\n".join(f"{a} {b}" for a, b in summarize(back))
    assert "run-1" in text and "eu-ai-act pass" in text and "2026-11-23T00:00:00Z" in text
