"""Tamper evidence: flip every byte of an envelope, a checkpoint and proofs; all must fail cleanly.

Each position is flipped two ways (low bit, and all bits). A verification that passes, or
that fails with anything but ``VerificationError``, is a test failure.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accord.attest import (
    Ed25519Signer,
    FileLog,
    SigningKey,
    eval_statement,
    sign_statement,
    verify_attestation,
    verify_log_inclusion,
)
from accord.attest._commit import Reveal, commitment, commitment_statement, verify_reveal
from accord.errors import VerificationError

FLIPS = (0x01, 0xFF)


def _flipped(data: bytes) -> list[bytes]:
    out = []
    for i in range(len(data)):
        for mask in FLIPS:
            b = bytearray(data)
            b[i] ^= mask
            out.append(bytes(b))
    return out


def _all_fail(data: bytes, check: Callable[[bytes], object]) -> int:
    check(data)  # the untouched file verifies
    n = 0
    for bad in _flipped(data):
        with pytest.raises(VerificationError):
            check(bad)
        n += 1
    return n


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict:
    key = SigningKey.generate()
    st = eval_statement(
        run={
            "run_id": "run-7",
            "target": "replay:demo",
            "target_digest": "sha256:" + "ab" * 32,
            "suites": [{"suite_id": "demo", "digest": "sha256:" + "cd" * 32, "n_items": 10}],
            "status": "complete",
            "created_at": "2026-11-23T10:00:00Z",
        },
        counts={"responses": 10, "ok": 9, "blocked": 0, "errors": 1},
        accord_version="0.1.0",
    )
    envelope = sign_statement(st, key).to_json()
    log = FileLog.create(tmp_path_factory.mktemp("log") / "log", "test.example/log")
    log.append_many([b"a", b"b", b"c"])
    index = log.append(envelope)
    log.append_many([b"d", b"e"])
    checkpoint = log.checkpoint([Ed25519Signer(log.origin, key)]).encode()
    proof = log.inclusion_proof(index)
    return {
        "key": key,
        "envelope": envelope,
        "checkpoint": checkpoint,
        "proof": proof.to_json(),
        "tlog": proof.to_tlog_proof(checkpoint.decode()).encode(),
        "log": log,
    }


def test_envelope_every_byte(world: dict) -> None:
    n = _all_fail(world["envelope"], lambda d: verify_attestation(d, [world["key"].public]))
    assert n == 2 * len(world["envelope"]) > 1000


def test_checkpoint_every_byte(world: dict) -> None:
    w = world
    _all_fail(w["checkpoint"], lambda d: verify_log_inclusion(w["envelope"], w["proof"], [w["key"].public], d))


def test_json_proof_every_byte(world: dict) -> None:
    w = world
    _all_fail(w["proof"], lambda d: verify_log_inclusion(w["envelope"], d, [w["key"].public], w["checkpoint"]))


def test_tlog_proof_every_byte(world: dict) -> None:
    w = world
    _all_fail(w["tlog"], lambda d: verify_log_inclusion(w["envelope"], d, [w["key"].public]))


def test_logged_entry_every_byte(world: dict) -> None:
    w = world
    for bad in _flipped(w["envelope"]):
        with pytest.raises(VerificationError):
            verify_log_inclusion(bad, w["proof"], [w["key"].public], w["checkpoint"])


def test_reveal_every_byte(world: dict) -> None:
    w = world
    key, log = w["key"], w["log"]
    salt = bytes(range(32))
    digest = "sha256:" + "cd" * 32
    env = sign_statement(commitment_statement(commitment(salt, digest), label="demo"), key).to_json()
    idx = log.append(env)
    cp = log.checkpoint([Ed25519Signer(log.origin, key)])
    data = Reveal(digest, salt, env, log.inclusion_proof(idx), cp, suite="demo").to_json()
    _all_fail(data, lambda d: verify_reveal(Reveal.from_json(d), [key.public], [key.public]))


def test_truncations_and_garbage_fail_cleanly(world: dict) -> None:
    w = world
    pub = [w["key"].public]
    checks = {
        "envelope": lambda d: verify_attestation(d, pub),
        "checkpoint": lambda d: verify_log_inclusion(w["envelope"], w["proof"], pub, d),
        "proof": lambda d: verify_log_inclusion(w["envelope"], d, pub, w["checkpoint"]),
        "tlog": lambda d: verify_log_inclusion(w["envelope"], d, pub),
    }
    garbage = [b"", b"\xff", b"[]", b"null", b"{}", b"[" * 100_000, b'{"a":' * 50_000, b"\x00" * 64]
    for name, check in checks.items():
        data = w[name]
        # Dropping only the final newline of a JSON file leaves the same JSON: that one may pass.
        last = len(data) - 1 if name in ("envelope", "proof") else len(data)
        for cut in range(last):
            with pytest.raises(VerificationError):
                check(data[:cut])
        for junk in garbage:
            with pytest.raises(VerificationError):
                check(junk)
