"""The server's transparency log, served so that anyone can check it without trusting the server.

The log is an ``accord.attest.FileLog`` directory (the same format ``accord log`` writes);
every published result is appended as its exact envelope bytes and the server signs a new
C2SP checkpoint with its log key at once, keeping every checkpoint in the store
(``log_checkpoints``) so a proof for any published tree size has a signed checkpoint to be
checked against. Readers get checkpoints, inclusion and consistency proofs and entries;
nothing they receive needs trusting, because ``accord verify`` / ``accord log consistency``
check it all against the log's public key.

Witnesses (C2SP tlog-cosignature) are enrolled by the operator; one posts a checkpoint it has
cosigned, the server checks that the body is exactly a checkpoint it signed and that the line
verifies under an enrolled witness key, and serves it with the checkpoint from then on.
"""

from __future__ import annotations

import base64
import binascii
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from accord.errors import AccordError, InputError, StoreError, VerificationError
from accord.pipeline._access import LOCAL_ADMIN, NotFound, Principal

__all__ = [
    "enrol_witness",
    "log_append",
    "log_append_many",
    "log_checkpoint",
    "log_consistency",
    "log_entry",
    "log_inclusion",
    "log_info",
    "log_witnesses",
    "receive_cosignature",
    "revoke_witness",
]

#: The signature type byte of a C2SP ``cosignature/v1`` verifier key.
COSIGNATURE_V1 = 0x04
#: One append-and-sign at a time in this process: the log's ``flock`` serialises appends, but
#: not the creation of a new log (two first publications could each pick an origin).
_APPEND_LOCK = threading.Lock()


def now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _published(store: Any) -> Any:
    from accord.store import Published

    return Published(store)


def _log_key(key: str | None) -> Any:
    """The key that signs the server's checkpoints (``ServerConfig.signing_key``, else the user's log key)."""
    from accord.attest import load_log_signing_key

    try:
        signing, _legacy = load_log_signing_key(key, warn=False)
    except AccordError as exc:
        raise StoreError(
            "the server has no key to sign its log's checkpoints", why=exc.what, fix="run `accord keys init --log` where the server runs"
        ) from None
    return signing


@contextmanager
def _read_log(log_dir: Path) -> Iterator[Any]:
    from accord.attest import FileLog

    if not (Path(log_dir) / "log.json").is_file():
        raise NotFound("the server's log is empty: nothing has been published yet")
    tlog = FileLog.open(log_dir)
    try:
        yield tlog
    finally:
        tlog.close()


def log_append(store: Any, log_dir: Path, entry: bytes, *, log_key: str | None = None) -> dict[str, Any]:
    """Append ``entry`` (once: an entry already in the log keeps its index), sign a checkpoint
    covering it, keep that checkpoint in the store; returns index, checkpoint and a proof
    verified against the checkpoint's root."""
    from accord.attest import Checkpoint, Ed25519Signer, FileLog, parse_note

    signing = _log_key(log_key)
    with _APPEND_LOCK, FileLog.open_or_create(log_dir) as tlog:
        index = tlog.find(entry) if tlog.size else None  # a retry after a crash between log and store
        if index is None:
            index = tlog.append(entry)
        note = tlog.checkpoint([Ed25519Signer(tlog.origin, signing)])
        cp = Checkpoint.from_text(parse_note(note).text)
        proof = tlog.verified_inclusion_proof(index, cp.size, cp.root)
        origin = tlog.origin
    _published(store).add_checkpoint(origin, cp.size, cp.root.hex(), note, now_text())
    return {"origin": origin, "index": index, "size": cp.size, "checkpoint": note, "proof": proof.to_dict()}


def log_append_many(store: Any, log_dir: Path, entries: list[bytes], *, log_key: str | None = None) -> dict[str, Any]:
    """Append a batch of entries atomically and sign one checkpoint covering them (federation
    logs a synced page this way: one signature and one fsync per page, not per incident);
    returns origin, the first index, size and checkpoint. Entries are not de-duplicated."""
    from accord.attest import Checkpoint, Ed25519Signer, FileLog, parse_note

    if not entries:
        raise InputError("nothing to append")
    signing = _log_key(log_key)
    with _APPEND_LOCK, FileLog.open_or_create(log_dir) as tlog:
        first = tlog.append_many(entries)
        note = tlog.checkpoint([Ed25519Signer(tlog.origin, signing)])
        cp = Checkpoint.from_text(parse_note(note).text)
        origin = tlog.origin
    _published(store).add_checkpoint(origin, cp.size, cp.root.hex(), note, now_text())
    return {"origin": origin, "first": first, "size": cp.size, "checkpoint": note}


def log_info(store: Any, log_dir: Path, *, log_key: str | None = None) -> dict[str, Any]:
    """Origin, size, root and the verifier key a reader must trust for the checkpoints."""
    from accord.attest import FileLog

    if not (Path(log_dir) / "log.json").is_file():
        return {"origin": None, "size": 0, "root": None, "log_vkey": None, "witnesses": log_witnesses(store)}
    with FileLog.open(log_dir) as tlog:
        origin, size, root = tlog.origin, tlog.size, tlog.root().hex()
    latest = _published(store).checkpoint(origin)
    return {
        "origin": origin,
        "size": size,
        "root": root,
        "checkpoint_size": latest["size"] if latest else None,
        "log_vkey": _log_key(log_key).public.vkey(origin),
        "witnesses": log_witnesses(store),
    }


def _origin(log_dir: Path) -> str:
    with _read_log(log_dir) as tlog:
        origin: str = tlog.origin
    return origin


def log_checkpoint(store: Any, log_dir: Path, size: int | None = None) -> str:
    """The signed checkpoint of ``size`` (None: the latest), with every enrolled witness's
    cosignature line appended (a C2SP signed note; unknown lines are ignored by verifiers)."""
    origin = _origin(log_dir)
    pub = _published(store)
    row = pub.checkpoint(origin, size)
    if row is None:
        raise NotFound(f"no checkpoint of size {size} was signed" if size is not None else "no checkpoint was signed yet")
    lines = "".join(c["line"] for c in pub.cosignatures(origin, int(row["size"])))
    note: str = row["note"] + lines
    return note


def log_inclusion(store: Any, log_dir: Path, index: int, size: int | None = None, *, fmt: str = "json") -> bytes:
    """Inclusion proof of entry ``index`` in the tree of ``size`` (None: the latest checkpoint's);
    ``fmt="tlog"``: a C2SP tlog-proof that carries that (cosigned) checkpoint."""
    if fmt not in ("json", "tlog"):
        raise InputError("unknown proof format", field="format", expected="json or tlog", got=fmt)
    origin = _origin(log_dir)
    pub = _published(store)
    row = pub.checkpoint(origin, size)
    if row is None:
        raise NotFound(
            f"no checkpoint of size {size} was signed" if size is not None else "no checkpoint was signed yet",
            fix="ask for a size the server signed (GET /v1/log)",
        )
    size = int(row["size"])
    if not 0 <= index < size:
        raise InputError(f"entry {index} is not in the tree of size {size}", field="index", expected=f"0..{size - 1}", got=index)
    with _read_log(log_dir) as tlog:
        proof = tlog.verified_inclusion_proof(index, size, bytes.fromhex(row["root"]))
    if fmt == "tlog":
        return str(proof.to_tlog_proof(log_checkpoint(store, log_dir, size))).encode()
    return bytes(proof.to_json())


def log_consistency(log_dir: Path, old: int, new: int) -> bytes:
    """Proof that the tree of ``new`` entries extends the tree of ``old`` unchanged (accord JSON)."""
    with _read_log(log_dir) as tlog:
        return bytes(tlog.consistency_proof(old, new).to_json())


def log_entry(log_dir: Path, index: int) -> bytes:
    """Entry ``index`` exactly as appended, after its leaf hash and path to the root check out."""
    with _read_log(log_dir) as tlog:
        return bytes(tlog.verified_entry(index))


# -- witnesses ------------------------------------------------------------------------------


def _witness_verifier(vkey: str) -> Any:
    """A ``cosignature/v1`` verifier key ``name+hexid+base64(0x04||key)``, checked."""
    from accord.attest import parse_vkey

    vkey = vkey.strip()
    parts = vkey.split("+", 2)
    try:
        raw = base64.b64decode(parts[2], validate=True) if len(parts) == 3 else b""
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 33 or raw[0] != COSIGNATURE_V1:
        raise InputError(
            "a witness key is a cosignature/v1 verifier key",
            field="vkey",
            expected="name+hexid+base64(0x04||key), the `witness key` line of `accord keys show --witness-name NAME`",
            got=vkey[:80],
        )
    try:
        return parse_vkey(vkey)
    except VerificationError as exc:
        raise InputError(exc.what, field="vkey", got=vkey[:80]) from None


def enrol_witness(store: Any, who: Principal, vkey: str, *, log_key: str | None = None) -> dict[str, Any]:
    """The operator (admin) enrols a witness whose cosignatures the server will accept and serve."""
    from accord.pipeline._orgs import audit, require

    require(who, roles=("admin",), store=store, action="witness.enrol", target="witness")
    verifier = _witness_verifier(vkey)
    try:
        own = _log_key(log_key).public.raw
    except StoreError:
        own = None
    if own is not None and verifier.public.raw == own:
        raise InputError("the witness key is the log's own key", field="vkey", fix="a witness signs with its own key")
    pub = _published(store)
    with pub.transaction() as conn:
        added = pub.add_witness(vkey.strip(), verifier.name, now_text(), who.describe(), conn=conn)
        audit(store, who, "witness.enrol", f"witness:{verifier.name}", True, "enrolled" if added else "already enrolled", conn=conn)
    return {"name": verifier.name, "vkey": vkey.strip(), "added": added}


def revoke_witness(store: Any, who: Principal, vkey: str) -> bool:
    from accord.pipeline._orgs import audit, require

    require(who, roles=("admin",), store=store, action="witness.revoke", target="witness")
    pub = _published(store)
    with pub.transaction() as conn:
        done = pub.revoke_witness(vkey.strip(), now_text(), conn=conn)
        audit(store, who, "witness.revoke", f"witness:{vkey.strip()[:200]}", True, "revoked" if done else "not enrolled", conn=conn)
    return bool(done)


def log_witnesses(store: Any) -> list[dict[str, str]]:
    """Enrolled witness keys (public: a verifier passes them to ``accord verify --witness``)."""
    return [{"name": w["name"], "vkey": w["vkey"], "added_at": w["added_at"]} for w in _published(store).witnesses()]


def receive_cosignature(store: Any, log_dir: Path, note_data: bytes, who: Principal = LOCAL_ADMIN) -> dict[str, Any]:
    """Accept a witness's cosigned checkpoint: its body must be a checkpoint this log signed,
    and each line by an enrolled witness must verify (one that does not is refused whole).
    The witness authenticates by its signature, so no token is needed."""
    from accord.attest import Checkpoint, parse_note, parse_vkey
    from accord.pipeline._orgs import audit

    note = parse_note(note_data)
    try:
        cp = Checkpoint.from_text(note.text)
    except VerificationError as exc:
        raise VerificationError(f"not a checkpoint: {exc.what}") from None
    origin = _origin(log_dir)
    pub = _published(store)
    row = pub.checkpoint(origin, cp.size) if cp.origin == origin else None
    if row is None or parse_note(row["note"]).text != note.text:
        raise VerificationError(
            "this is not a checkpoint this log signed",
            why=f"origin {cp.origin[:100]!r}, size {cp.size}",
            fix="cosign a checkpoint fetched from GET /v1/log/checkpoint",
        )
    body = note.text.encode()
    enrolled = {(v.name, v.key_id): (w["vkey"], v) for w in pub.witnesses() for v in [parse_vkey(w["vkey"])]}
    accepted: list[dict[str, Any]] = []
    for sig in note.signatures:
        found = enrolled.get((sig.name, sig.key_id))
        if found is None:
            continue
        vkey, verifier = found
        if not verifier.verify(body, sig.sig):
            raise VerificationError(
                f"the cosignature by witness '{sig.name}' does not verify", why="the checkpoint or the line was altered"
            )
        timestamp = int.from_bytes(sig.sig[:8], "big")
        line = f"\u2014 {sig.name} " + base64.b64encode(sig.key_id + sig.sig).decode() + "\n"
        pub.put_cosignature(origin, cp.size, vkey, line, timestamp, now_text())
        accepted.append({"witness": sig.name, "timestamp": timestamp})
    if not accepted:
        raise VerificationError(
            "no enrolled witness cosigned this checkpoint",
            fix="the operator enrols a witness key first (GET /v1/log/witnesses lists them)",
        )
    for a in accepted:
        audit(store, who, "log.cosign", f"checkpoint:{cp.size}", True, f"witness {a['witness']}")
    return {"origin": origin, "size": cp.size, "accepted": accepted}
