"""Verification: envelopes against trusted keys, log entries against signed checkpoints.

Each function returns what was verified or raises ``VerificationError`` (never anything
else, whatever the input bytes): callers can treat "no exception" as "verified". Error text
says which check failed and hints at the usual cause (a wrong key, a wrong log), because
"signature invalid" alone sends people looking in the wrong place (sigstore #1487).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from accord.attest._keys import PublicKey
from accord.attest._merkle import ProofError, hash_leaf, verify_consistency, verify_inclusion
from accord.attest._models import (
    INTOTO_PAYLOAD_TYPE,
    ConsistencyProof,
    Envelope,
    InclusionProof,
    Statement,
    parse_tlog_proof,
)
from accord.attest._note import Checkpoint, NoteVerifier, log_verifiers, parse_note, verify_checkpoint
from accord.errors import VerificationError


@dataclass(frozen=True)
class VerifiedStatement:
    """A statement whose envelope verified, and the key that signed it."""

    statement: Statement
    signer: PublicKey
    envelope: Envelope


def verify_envelope(
    data: bytes, keys: Sequence[PublicKey], *, payload_type: str = INTOTO_PAYLOAD_TYPE
) -> tuple[Envelope, PublicKey]:
    """DSSE verification (threshold 1): the first trusted key whose signature checks out."""
    if not keys:
        raise VerificationError("no trusted keys given", fix="pass --trusted-key PUBKEY or --trust FILE")
    env = Envelope.from_json(data)
    if not env.signatures:
        raise VerificationError("envelope carries no signatures")
    message = env.pae()
    tried = False
    for sig in env.signatures:
        # keyid is an unauthenticated hint: it may only narrow the candidate keys.
        candidates = [k for k in keys if not sig.keyid or k.keyid == sig.keyid]
        for key in candidates:
            tried = True
            if len(sig.sig) == 64 and key.verify(sig.sig, message):
                if env.payload_type != payload_type:
                    raise VerificationError(
                        f"unsupported payloadType {env.payload_type!r}", fix=f"expected {payload_type}"
                    )
                return env, key
    signed_by = ", ".join(s.keyid[:16] or "(no keyid)" for s in env.signatures)
    trusted = ", ".join(k.keyid[:16] for k in keys)
    raise VerificationError(
        "signature does not verify" if tried else "no trusted key matches the envelope's key id",
        why=f"envelope key id(s): {signed_by}; trusted: {trusted}",
        fix="wrong key? check the signer's public key (`accord keys show`); if it is right, the file was altered",
    )


def verify_attestation(data: bytes, keys: Sequence[PublicKey]) -> VerifiedStatement:
    """Verify a DSSE-wrapped in-toto Statement and parse the *same* bytes that were signed."""
    env, key = verify_envelope(data, keys)
    return VerifiedStatement(Statement.from_json(env.payload), key, env)


def load_proof(data: bytes) -> tuple[InclusionProof | None, tuple[int, tuple[bytes, ...], str] | None]:
    """A proof file is accord JSON or a C2SP tlog-proof; returns whichever it is."""
    if data.startswith(b"c2sp.org/tlog-proof@v1\n"):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise VerificationError("tlog-proof is not valid UTF-8") from exc
        return None, parse_tlog_proof(text)
    return InclusionProof.from_json(data), None


def verify_log_inclusion(
    entry: bytes,
    proof_data: bytes,
    log_keys: Sequence[PublicKey],
    checkpoint_data: bytes | None = None,
    *,
    origin: str | None = None,
) -> tuple[Checkpoint, int]:
    """Check that ``entry`` is in the log under a checkpoint signed by a trusted log key.

    ``proof_data`` is accord's JSON proof (then ``checkpoint_data`` is required) or a C2SP
    tlog-proof carrying its checkpoint (then a given ``checkpoint_data`` must be identical).
    Returns the verified checkpoint and the entry's index.
    """
    json_proof, tlog = load_proof(proof_data)
    if tlog is not None:
        index, hashes, note_text = tlog
        if checkpoint_data is not None and checkpoint_data != note_text.encode():
            raise VerificationError("the tlog-proof carries a different checkpoint than --log-checkpoint")
        checkpoint_data = note_text.encode()
        leaf = hash_leaf(entry)
    else:
        assert json_proof is not None
        if checkpoint_data is None:
            raise VerificationError("a JSON proof needs a checkpoint", fix="pass --log-checkpoint CKPT")
        index, hashes, leaf = json_proof.index, json_proof.hashes, json_proof.leaf_hash
        if leaf != hash_leaf(entry):
            raise VerificationError(
                "the proof is for a different entry", fix="prove the exact file that was appended to the log"
            )
    note = parse_note(checkpoint_data)
    cp_origin = note.text.split("\n", 1)[0]
    verifiers: list[NoteVerifier] = log_verifiers(log_keys, cp_origin)
    cp = verify_checkpoint(checkpoint_data, verifiers, origin=origin)
    if json_proof is not None:
        if json_proof.origin != cp.origin:
            raise VerificationError(f"proof is for log '{json_proof.origin}', checkpoint is from '{cp.origin}'")
        if json_proof.tree_size != cp.size:
            raise VerificationError(
                f"proof is for tree size {json_proof.tree_size}, checkpoint has size {cp.size}",
                fix="prove against the same checkpoint: `accord log prove ENTRY --checkpoint CKPT`",
            )
    try:
        verify_inclusion(leaf, index, cp.size, list(hashes), cp.root)
    except ProofError as exc:
        raise VerificationError(
            f"inclusion proof failed: {exc}", fix="wrong log or checkpoint? the entry is not in this tree"
        ) from exc
    return cp, index


def check_consistency(old: Checkpoint, new: Checkpoint, proof: ConsistencyProof) -> None:
    """``proof`` shows that the tree of ``new`` extends the tree of ``old`` unchanged.

    Both checkpoints must already be verified (signed by a trusted log key); this checks only
    the Merkle maths that links them, so a log that rewrote its history is caught.
    """
    if old.origin != new.origin:
        raise VerificationError(f"the checkpoints are from different logs: '{old.origin}' and '{new.origin}'")
    if (proof.origin, proof.old_size, proof.new_size) != (old.origin, old.size, new.size):
        raise VerificationError(
            f"consistency proof is for {proof.origin} {proof.old_size}->{proof.new_size}, "
            f"checkpoints are {old.origin} {old.size}->{new.size}"
        )
    try:
        verify_consistency(old.size, new.size, old.root, new.root, list(proof.hashes))
    except ProofError as exc:
        raise VerificationError(
            f"the log is not consistent with its earlier checkpoint: {exc}",
            why="the newer tree does not contain the older one unchanged: history was rewritten",
        ) from exc


def verify_checkpoints_consistent(
    old_data: bytes, new_data: bytes, proof: ConsistencyProof, log_keys: Sequence[PublicKey]
) -> tuple[Checkpoint, Checkpoint]:
    """Two signed checkpoints of one log, and a proof that the newer extends the older."""
    old_origin = parse_note(old_data).text.split("\n", 1)[0]
    old = verify_checkpoint(old_data, log_verifiers(log_keys, old_origin))
    new = verify_checkpoint(new_data, log_verifiers(log_keys, old.origin), origin=old.origin)
    check_consistency(old, new, proof)
    return old, new
