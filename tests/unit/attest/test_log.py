"""The file-backed log: same roots and proofs as the reference maths, durable, crash-safe."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from accord.attest._keys import SigningKey
from accord.attest._log import FileLog, node_position, tree_nodes
from accord.attest._merkle import MemoryTree, hash_leaf, verify_consistency, verify_inclusion
from accord.attest._note import Ed25519Signer, Ed25519Verifier, verify_checkpoint
from accord.errors import AccordError, StoreError, VerificationError


def _entries(n: int, start: int = 0) -> list[bytes]:
    return [f"entry-{i}".encode() for i in range(start, start + n)]


def test_post_order_positions() -> None:
    assert [node_position(0, i) for i in range(5)] == [0, 1, 3, 4, 7]
    assert (node_position(1, 0), node_position(1, 1), node_position(2, 0)) == (2, 5, 6)
    assert [tree_nodes(n) for n in range(6)] == [0, 1, 3, 4, 7, 8]


def test_matches_memory_tree_across_batches(tmp_path: Path) -> None:
    entries = _entries(75)
    ref = MemoryTree(entries)
    with FileLog.create(tmp_path / "log", "test.example/log") as log:
        assert log.append_many(entries[:1]) == 0
        assert log.append_many(entries[1:30]) == 1
        for e in entries[30:]:
            log.append(e)
        assert log.size == 75
        for n in (1, 2, 3, 31, 64, 75):
            assert log.root(n) == ref.root(n)
        for i in (0, 1, 30, 63, 64, 74):
            p = log.inclusion_proof(i)
            assert list(p.hashes) == ref.inclusion_proof(i)
            verify_inclusion(hash_leaf(entries[i]), i, 75, p.hashes, ref.root())
        for m in (1, 7, 30, 64, 75):
            c = log.consistency_proof(m)
            verify_consistency(m, 75, ref.root(m), ref.root(), c.hashes)
        assert log.entry(42) == entries[42]
        assert log.find(entries[42]) == 42 and log.find(b"absent") is None


def test_reopen_and_checkpoint(tmp_path: Path) -> None:
    key = SigningKey.generate()
    with FileLog.create(tmp_path / "log", "test.example/log") as log:
        log.append_many(_entries(10))
        note = log.checkpoint([Ed25519Signer(log.origin, key)])
    with FileLog.open(tmp_path / "log") as log:
        assert log.size == 10
        cp = verify_checkpoint(note, [Ed25519Verifier(log.origin, key.public)])
        assert (cp.size, cp.root) == (10, log.root())
        assert log.latest_checkpoint() == note.encode()


def test_torn_tail_is_truncated_and_earlier_entries_survive(tmp_path: Path) -> None:
    path = tmp_path / "log"
    with FileLog.create(path, "test.example/log") as log:
        log.append_many(_entries(20))
        root = log.root()
    # A crash mid-append: bytes reached every data file, the commit record did not.
    for name, junk in (("entries.bin", b"\x00\x00\x01\x00partial"), ("entries.idx", b"\x00" * 5), ("tree.bin", b"\xff" * 50)):
        with open(path / name, "ab") as f:
            f.write(junk)
    (path / "state.json.tmp").write_text('{"size": 99')
    with FileLog.open(path, writable=True) as log:
        assert log.size == 20 and log.root() == root
        assert (path / "tree.bin").stat().st_size == tree_nodes(20) * 32
        log.append_many(_entries(5, start=20))
        ref = MemoryTree(_entries(25))
        assert log.root() == ref.root()
        assert [log.entry(i) for i in range(25)] == _entries(25)


def test_readers_never_truncate(tmp_path: Path) -> None:
    path = tmp_path / "log"
    with FileLog.create(path, "o") as log:
        log.append_many(_entries(3))
    with open(path / "entries.bin", "ab") as f:
        f.write(b"in-flight")
    size = (path / "entries.bin").stat().st_size
    with FileLog.open(path) as log:
        assert log.size == 3 and log.entry(2) == b"entry-2"
    assert (path / "entries.bin").stat().st_size == size


def test_damaged_committed_data_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "log"
    with FileLog.create(path, "o") as log:
        log.append_many(_entries(8))
    with FileLog.open(path) as log:
        log.audit()
    data = bytearray((path / "tree.bin").read_bytes())
    data[0] ^= 1  # leaf 0: only a full audit can see it (the root is not recomputed on open)
    (path / "tree.bin").write_bytes(bytes(data))
    with FileLog.open(path) as log, pytest.raises(StoreError, match="entry 0"):
        log.audit()
    data[0] ^= 1
    data[node_position(0, 7) * 32] ^= 1  # the last leaf: checked on every writable open
    (path / "tree.bin").write_bytes(bytes(data))
    with pytest.raises(StoreError, match="damaged"):
        FileLog.open(path, writable=True)
    os.truncate(path / "tree.bin", 32)
    with pytest.raises(StoreError, match="shorter"):
        FileLog.open(path, writable=True)


def test_create_refuses_existing_log(tmp_path: Path) -> None:
    FileLog.create(tmp_path / "log", "o").close()
    with pytest.raises(AccordError, match="already exists"):
        FileLog.create(tmp_path / "log", "o")
    with pytest.raises(AccordError, match="no transparency log"):
        FileLog.open(tmp_path / "elsewhere")


def test_file_log_reproduces_reference_vectors(tmp_path: Path, vectors_dir: Path) -> None:
    import json

    ref = json.loads((vectors_dir / "merkle-rfc6962-reference" / "reference-tree.json").read_text())
    derived = json.loads((vectors_dir / "signed-note" / "derived-checkpoints.json").read_text())
    with FileLog.create(tmp_path / "log", derived["log"]["key_name"]) as log:
        for leaf in ref["leaf_inputs_hex"]:
            log.append(bytes.fromhex(leaf))
        for size, root in ref["root_by_size_hex"].items():
            assert log.root(int(size)).hex() == root
        for case in ref["inclusion_proofs"]:
            p = log.inclusion_proof(case["leaf_index"], case["tree_size"])
            assert [h.hex() for h in p.hashes] == case["proof_hex"]
        for case in ref["consistency_proofs"]:
            if case["size1"] < case["size2"]:
                p = log.consistency_proof(case["size1"], case["size2"])
                assert [h.hex() for h in p.hashes] == case["proof_hex"]
        key = SigningKey.from_seed(bytes.fromhex(derived["log"]["secret_key_hex"]))
        note = log.checkpoint([Ed25519Signer(log.origin, key)])
        assert note == derived["checkpoints"][1]["signed_note"]
        c = log.consistency_proof(5, 8)
        assert [h.hex() for h in c.hashes] == derived["consistency_5_to_8"]["proof_hex"]
        tlog = derived["tlog_proof_index5_size8"]
        assert log.inclusion_proof(5).to_tlog_proof(note) == tlog["text"]
        assert log.find(bytes.fromhex(tlog["leaf_input_hex"])) == 5


def _writer(path: str, tag: str) -> None:
    with FileLog.open(path, writable=True) as log:
        for i in range(40):
            log.append(f"{tag}-{i}".encode())


def test_concurrent_writers_serialise(tmp_path: Path) -> None:
    import multiprocessing

    path = tmp_path / "log"
    FileLog.create(path, "o").close()
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_writer, args=(str(path), tag)) for tag in ("a", "b")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    with FileLog.open(path) as log:
        entries = [log.entry(i) for i in range(log.size)]
        assert sorted(entries) == sorted(f"{t}-{i}".encode() for t in "ab" for i in range(40))
        assert log.root() == MemoryTree(entries).root()
        log.audit()


def test_recovery_never_truncates_below_the_newest_signed_checkpoint(tmp_path: Path) -> None:
    """Finding 9: an older state.json is refused (not "recovered") once a checkpoint covers more."""
    path = tmp_path / "log"
    key = SigningKey.generate()
    with FileLog.create(path, "test.example/log") as log:
        log.append_many(_entries(4))
        old_state = (path / "state.json").read_bytes()
        log.append_many(_entries(4, start=4))
        log.checkpoint([Ed25519Signer(log.origin, key)])
        assert log.signed_floor() == (8, log.root())
    (path / "state.json").write_bytes(old_state)
    size = (path / "entries.bin").stat().st_size
    with pytest.raises(StoreError, match="rolled back"):
        FileLog.open(path, writable=True)
    with FileLog.open(path) as log, pytest.raises(StoreError, match="rolled back"):
        log.audit()
    assert (path / "entries.bin").stat().st_size == size


def test_verified_reads(tmp_path: Path) -> None:
    path = tmp_path / "log"
    with FileLog.create(path, "o") as log:
        log.append_many(_entries(8))
        root = log.root()
    data = bytearray((path / "entries.bin").read_bytes())
    data[data.index(b"entry-5")] ^= 1
    (path / "entries.bin").write_bytes(bytes(data))
    with FileLog.open(path) as log:
        assert log.verified_entry(4) == b"entry-4"
        with pytest.raises(VerificationError, match="leaf hash"):
            log.verified_entry(5)
        log.verified_inclusion_proof(1, 8, root)
        with pytest.raises(VerificationError):
            log.verified_inclusion_proof(1, 8, bytes(32))
