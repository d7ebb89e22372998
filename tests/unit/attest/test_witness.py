"""Witness cosignatures (C2SP tlog-cosignature ``cosignature/v1``): vectors, the witness's state, k-of-n."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accord.attest._keys import SigningKey
from accord.attest._log import FileLog
from accord.attest._merkle import MemoryTree
from accord.attest._models import ConsistencyProof
from accord.attest._note import (
    MAX_NOTE_BYTES,
    Checkpoint,
    CosignatureV1Signer,
    CosignatureV1Verifier,
    Ed25519Signer,
    parse_note,
    parse_vkey,
    sign_note,
    verify_note,
)
from accord.attest._witness import (
    WitnessRefusal,
    WitnessState,
    cosign,
    load_witness_keys,
    parse_witness_key,
    verify_witnesses,
)
from accord.errors import InputError, StoreError, VerificationError


@pytest.fixture
def derived(vectors_dir: Path) -> dict:
    """Read in place from the shared vectors (not copied into the repository)."""
    return json.loads((vectors_dir / "signed-note" / "derived-checkpoints.json").read_text())


@pytest.fixture
def upstream(vectors_dir: Path) -> dict[str, dict]:
    data = json.loads((vectors_dir / "signed-note" / "upstream-examples.json").read_text())
    return {e["id"]: e for e in data["examples"]}


# -- part 1: cosignature/v1 against the public vectors ----------------------------------------


def test_cosignature_signs_byte_for_byte_like_the_vector(derived: dict) -> None:
    w = derived["witness"]
    cos = derived["cosignature"]
    key = SigningKey.from_seed(bytes.fromhex(w["secret_key_hex"]))
    signer = CosignatureV1Signer(w["key_name"], key, timestamp=cos["timestamp"])
    assert signer.vkey == w["vkey"]
    assert signer.key_id.hex() == w["key_id_hex"]
    size8 = next(c for c in derived["checkpoints"] if c["tree_size"] == 8)
    # The signed message is "cosignature/v1\ntime T\n" + the checkpoint body.
    assert CosignatureV1Verifier.message(size8["note_text"].encode(), cos["timestamp"]).decode() == cos["signed_message"]
    note = parse_note(size8["signed_note"])
    from accord.attest._note import NoteSignature

    line = NoteSignature(signer.name, signer.key_id, signer.sign(note.text.encode())).line()
    assert line == cos["signature_line"]
    # ... and the witness adds it to the log-signed note exactly as in the vector.
    from accord.attest._witness import add_signature

    assert (
        add_signature(note, NoteSignature(signer.name, signer.key_id, signer.sign(note.text.encode())))
        == cos["checkpoint_with_cosignature"]
    )


def test_cosignature_vector_verifies_under_a_policy(derived: dict) -> None:
    cos = derived["cosignature"]["checkpoint_with_cosignature"].encode()
    witnesses = load_witness_keys([derived["witness"]["vkey"]])
    check = verify_witnesses(cos, witnesses, 1)
    assert check.cosigned_by == (("witness.example.com/w1", 1700000000),)
    # The log-only checkpoint carries no cosignature: the policy fails.
    plain = derived["checkpoints"][1]["signed_note"].encode()
    with pytest.raises(VerificationError, match="0 of the trusted witnesses"):
        verify_witnesses(plain, witnesses, 1)
    # An altered timestamp (inside the signed message) breaks the cosignature.
    note = parse_note(cos)
    w = note.signatures[1]
    from accord.attest._note import Note, NoteSignature

    forged = Note(note.text, (note.signatures[0], NoteSignature(w.name, w.key_id, (1700000001).to_bytes(8, "big") + w.sig[8:])))
    with pytest.raises(VerificationError, match="does not verify"):
        verify_witnesses(forged.to_text().encode(), witnesses, 1)


def test_upstream_cosignature_example_parses_and_is_not_counted(upstream: dict[str, dict], derived: dict) -> None:
    """The C2SP example's witness key is unpublished: its line parses (76 bytes) but counts for no one."""
    case = upstream["c2sp-tlog-cosignature-example"]
    sig = parse_note(case["signed_note"]).signatures[1]
    assert len(sig.key_id + sig.sig) == 76 and int.from_bytes(sig.sig[:8], "big") == 1679315147
    # Same name as our derived witness, other key id: ignored, never verified against the wrong key.
    with pytest.raises(VerificationError, match="0 of the trusted"):
        verify_witnesses(case["signed_note"].encode(), load_witness_keys([derived["witness"]["vkey"]]), 1)


def test_witness_key_forms(derived: dict) -> None:
    w = derived["witness"]
    v = parse_witness_key(w["vkey"])
    assert v.key_id.hex() == w["key_id_hex"]
    # The same key as an Ed25519 (type 0x01) verifier key under the same name is accepted too.
    key = SigningKey.from_seed(bytes.fromhex(w["secret_key_hex"]))
    assert parse_witness_key(key.public.vkey(w["key_name"])).key_id == v.key_id
    for bad in ("nope", w["vkey"].replace("e8498172", "e8498173"), "a+b+c", "x y+00000000+" + w["vkey"].split("+")[2]):
        with pytest.raises(InputError):
            parse_witness_key(bad)
    assert len(load_witness_keys([w["vkey"], w["vkey"]])) == 1  # one key counts once


# -- part 2: the witness ----------------------------------------------------------------------


def _log(tmp_path: Path, name: str = "log") -> tuple[FileLog, SigningKey]:
    log = FileLog.create(tmp_path / name, "example.org/log")
    return log, SigningKey.from_seed(bytes(range(32)))


def _ckpt(log: FileLog, key: SigningKey) -> bytes:
    return log.checkpoint([Ed25519Signer(log.origin, key)]).encode()


def test_two_witnesses_cosign_a_growing_log(tmp_path: Path) -> None:
    log, key = _log(tmp_path)
    wkeys = {n: SigningKey.generate() for n in ("w1.example/a", "w2.example/b")}
    vkeys = [CosignatureV1Signer(n, k).vkey for n, k in wkeys.items()]
    prev: dict[str, int] = {}
    for round_ in range(3):
        log.append_many([f"entry {round_}-{i}".encode() for i in range(round_ + 2)])
        note = _ckpt(log, key)
        for n, k in wkeys.items():
            old = prev.get(n)
            proof = log.consistency_proof(old, log.size) if old else None
            res = cosign(
                note, log_keys=[key.public], witness_name=n, witness_key=k, state_path=tmp_path / f"{n.split('/')[1]}.json", proof=proof
            )
            note = res.note.encode()
            prev[n] = res.checkpoint.size
        check = verify_witnesses(note, load_witness_keys(vkeys), 2)
        assert {n for n, _ in check.cosigned_by} == set(wkeys)
        # The log signature is still there and still verifies.
        verify_note(note, [parse_vkey(key.public.vkey(log.origin))])
    state = WitnessState.load(tmp_path / "a.json")
    assert state.logs["example.org/log"] == (log.size, log.root())
    # Cosigning the same checkpoint again is fine (a fresh timestamp, one line per witness).
    again = cosign(
        note, log_keys=[key.public], witness_name="w1.example/a", witness_key=wkeys["w1.example/a"], state_path=tmp_path / "a.json"
    )
    assert len(parse_note(again.note).signatures) == 3


def test_fork_and_rollback_are_refused(tmp_path: Path) -> None:
    log, key = _log(tmp_path)
    log.append_many([b"a", b"b", b"c"])
    wk = SigningKey.generate()
    state = tmp_path / "w.json"
    first = cosign(_ckpt(log, key), log_keys=[key.public], witness_name="w", witness_key=wk, state_path=state)
    assert first.previous is None
    # A fork: same size, other root (the operator shows another history, same key).
    fork = sign_note(Checkpoint(log.origin, 3, MemoryTree([b"a", b"B", b"c"]).root()).to_text(), [Ed25519Signer(log.origin, key)])
    with pytest.raises(WitnessRefusal, match="fork"):
        cosign(fork.encode(), log_keys=[key.public], witness_name="w", witness_key=wk, state_path=state)
    # A larger forked tree with a proof from the forked log: the proof does not link to what was seen.
    forked = MemoryTree([b"a", b"B", b"c", b"d"])
    bigger = sign_note(Checkpoint(log.origin, 4, forked.root()).to_text(), [Ed25519Signer(log.origin, key)])
    proof = ConsistencyProof(log.origin, 3, 4, tuple(forked.consistency_proof(3, 4)))
    with pytest.raises(WitnessRefusal, match="not consistent"):
        cosign(bigger.encode(), log_keys=[key.public], witness_name="w", witness_key=wk, state_path=state, proof=proof)
    # No proof at all: an error, not a cosignature.
    with pytest.raises(VerificationError, match="consistency proof"):
        cosign(bigger.encode(), log_keys=[key.public], witness_name="w", witness_key=wk, state_path=state)
    # A smaller tree (rollback).
    small = sign_note(Checkpoint(log.origin, 2, log.root(2)).to_text(), [Ed25519Signer(log.origin, key)])
    with pytest.raises(WitnessRefusal, match="already cosigned size 3"):
        cosign(small.encode(), log_keys=[key.public], witness_name="w", witness_key=wk, state_path=state)
    # None of the refusals moved the state.
    assert WitnessState.load(state).logs[log.origin] == (3, log.root())
    # A checkpoint not signed by the trusted log key is not cosigned either.
    other = sign_note(Checkpoint(log.origin, 3, log.root()).to_text(), [Ed25519Signer(log.origin, SigningKey.generate())])
    with pytest.raises(VerificationError, match="no trusted key"):
        cosign(other.encode(), log_keys=[key.public], witness_name="w", witness_key=wk, state_path=state)


def test_damaged_state_is_not_reset(tmp_path: Path) -> None:
    state = tmp_path / "w.json"
    state.write_text("{not json")
    with pytest.raises(StoreError, match="unreadable witness state"):
        WitnessState.load(state)


def test_hostile_notes_are_bounded(derived: dict) -> None:
    base = derived["cosignature"]["checkpoint_with_cosignature"]
    witnesses = load_witness_keys([derived["witness"]["vkey"]])
    line = derived["cosignature"]["signature_line"]
    with pytest.raises(VerificationError, match="too many signatures"):
        parse_note(base + line * 200)
    with pytest.raises(VerificationError, match="too large"):
        parse_note(base + "x" * MAX_NOTE_BYTES)
    many_ext = "o\n1\n" + derived["checkpoints"][0]["note_text"].split("\n")[2] + "\n" + "ext\n" * 40
    with pytest.raises(VerificationError, match="extension lines"):
        Checkpoint.from_text(many_ext)
    with pytest.raises(InputError):
        verify_witnesses(base.encode(), witnesses, 2)  # more than the keys given
    with pytest.raises(InputError):
        verify_witnesses(base.encode(), witnesses, 0)


def test_every_byte_flip_of_a_cosigned_checkpoint_fails_cleanly(derived: dict) -> None:
    """Log signature + 1-of-1 witness policy: any single-byte change fails with VerificationError only."""
    from accord.attest._note import verify_checkpoint

    data = derived["cosignature"]["checkpoint_with_cosignature"].encode()
    log = [parse_vkey(derived["log"]["vkey"])]
    witnesses = load_witness_keys([derived["witness"]["vkey"]])

    def check(d: bytes) -> None:
        verify_checkpoint(d, log)
        verify_witnesses(d, witnesses, 1)

    check(data)
    for i in range(len(data)):
        for mask in (0x01, 0xFF):
            bad = bytearray(data)
            bad[i] ^= mask
            with pytest.raises(VerificationError):
                check(bytes(bad))


def test_cli_bounds_the_checkpoint_it_reads(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from accord.cli.main import app

    big = tmp_path / "big"
    big.write_bytes(b"x" * (MAX_NOTE_BYTES + 1))
    key = tmp_path / "w.pem"
    key.write_bytes(SigningKey.generate().to_pem())
    log_key = SigningKey.generate().public.vkey("example.org/log")
    res = CliRunner().invoke(app, ["log", "witness", str(big), "--name", "w", "--signing-key", str(key), "--trusted-key", log_key])
    assert isinstance(res.exception, InputError) and "too large" in str(res.exception)
