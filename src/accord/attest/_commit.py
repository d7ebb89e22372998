"""Commit-reveal for private suites: prove a test set was fixed before a model was tested.

Commit: pick a random 32-byte salt, compute ``commitment = SHA-256(salt || digest)`` where
``digest`` is the 32 raw bytes of the suite's sha256 digest, sign a Statement whose only
subject is the commitment, and append the envelope to the transparency log. The suite, its
digest and the salt stay private (a digest alone could be confirmed by anyone holding a
guessed copy of the suite; the salt prevents that).

Reveal: publish salt, digest, the signed commitment, its inclusion proof and a checkpoint.
A verifier recomputes the commitment, checks the signature and the inclusion, and, given an
evaluation attestation logged in the same log, checks the time order: the commitment's log
index must be smaller, and the attestation must name the same suite digest. The log order is
the evidence; the self-declared times are reported but only as a cross-check.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from accord.attest._keys import PublicKey
from accord.attest._models import (
    ConsistencyProof,
    Envelope,
    InclusionProof,
    Statement,
    Subject,
    _obj,
    _str,
    b64,
    b64decode_any,
    digest_set,
    dumps,
    loads,
)
from accord.attest._note import Checkpoint
from accord.attest._predicate import rfc3339
from accord.attest._verify import check_consistency, verify_attestation, verify_log_inclusion
from accord.errors import VerificationError

COMMIT_PREDICATE_TYPE = "https://accord.dev/attestation/suite-commitment/v1"
REVEAL_FORMAT = "https://accord.dev/suite-reveal/v1"
SCHEME = "sha256(salt || suite-sha256)"


def new_salt() -> bytes:
    return os.urandom(32)


def _digest_bytes(suite_digest: str) -> bytes:
    try:
        ds = digest_set(suite_digest)
        raw = bytes.fromhex(ds["sha256"])
    except (ValueError, KeyError) as exc:
        raise VerificationError(f"not a sha256 suite digest: {suite_digest!r}") from exc
    if len(raw) != 32:
        raise VerificationError(f"not a sha256 suite digest: {suite_digest!r}")
    return raw


def commitment(salt: bytes, suite_digest: str) -> str:
    """Hex SHA-256(salt || raw suite digest)."""
    if len(salt) != 32:
        raise VerificationError("the salt must be 32 bytes")
    return hashlib.sha256(salt + _digest_bytes(suite_digest)).hexdigest()


def commitment_statement(commit_hex: str, *, committed_at: datetime | None = None, label: str | None = None) -> Statement:
    """The signed claim: "I committed to this value at this time". Reveals nothing else."""
    predicate: dict[str, Any] = {
        "scheme": SCHEME,
        "committedAt": rfc3339(committed_at or datetime.now(UTC)),
    }
    if label:
        predicate["label"] = label
    return Statement((Subject("commitment", {"sha256": commit_hex}),), COMMIT_PREDICATE_TYPE, predicate)


@dataclass(frozen=True)
class Reveal:
    """Everything a third party needs to check a commitment, in one file.

    ``suite`` is the label signed in the commitment (None if the committer hid the name).
    """

    suite_digest: str
    salt: bytes
    envelope: bytes
    proof: InclusionProof
    checkpoint: str
    suite: str | None = None

    def to_json(self) -> bytes:
        return dumps(
            {
                "format": REVEAL_FORMAT,
                "suite": self.suite,
                "suite_digest": self.suite_digest,
                "salt": b64(self.salt),
                "commitment": commitment(self.salt, self.suite_digest),
                "envelope": loads(self.envelope, "envelope"),
                "proof": self.proof.to_dict(),
                "checkpoint": self.checkpoint,
            }
        )

    @classmethod
    def from_json(cls, data: bytes) -> Reveal:
        obj = _obj(
            loads(data, "reveal"),
            "reveal",
            required={"format", "suite", "suite_digest", "salt", "commitment", "envelope", "proof", "checkpoint"},
        )
        if obj["format"] != REVEAL_FORMAT:
            raise VerificationError(f"unknown reveal format {obj['format']!r}")
        suite = obj["suite"]
        if suite is not None and not isinstance(suite, str):
            raise VerificationError("reveal suite must be a string or null")
        salt = b64decode_any(obj["salt"], "reveal salt")
        digest = _str(obj["suite_digest"], "reveal suite_digest")
        if commitment(salt, digest) != obj["commitment"]:
            raise VerificationError(
                "the salt and suite digest do not reproduce the commitment",
                why="the revealed suite is not the one that was committed",
            )
        envelope = Envelope.from_dict(obj["envelope"]).to_json()
        proof = InclusionProof.from_json(dumps(obj["proof"]))
        return cls(digest, salt, envelope, proof, _str(obj["checkpoint"], "reveal checkpoint"), suite)


@dataclass(frozen=True)
class RevealResult:
    commitment: str
    suite_digest: str
    committed_at: str
    checkpoint: Checkpoint
    commit_index: int
    signer: PublicKey
    attestation_index: int | None = None


def verify_reveal(
    reveal: Reveal,
    signer_keys: Sequence[PublicKey],
    log_keys: Sequence[PublicKey],
    *,
    suite_digest: str | None = None,
    attestation: tuple[bytes, bytes, bytes | None] | None = None,
    consistency: bytes | ConsistencyProof | None = None,
) -> RevealResult:
    """Check a reveal end to end; raises ``VerificationError`` naming the failed step.

    ``suite_digest``: the digest of the suite the verifier holds, if any (must match).
    ``attestation``: (envelope, proof, checkpoint or None) of an evaluation attestation in the
    same log; it must come after the commitment and name the revealed suite digest.
    ``consistency``: a consistency proof between the reveal's checkpoint and the attestation's
    (older to newer), required when they differ: log indexes from two checkpoints are only
    comparable if one tree extends the other.
    """
    c = commitment(reveal.salt, reveal.suite_digest)
    if suite_digest is not None and _digest_bytes(suite_digest) != _digest_bytes(reveal.suite_digest):
        raise VerificationError(
            "the suite you hold is not the committed suite",
            why=f"committed {reveal.suite_digest}, yours is {suite_digest}",
        )
    verified = verify_attestation(reveal.envelope, signer_keys)
    st = verified.statement
    if st.predicate_type != COMMIT_PREDICATE_TYPE:
        raise VerificationError(f"not a suite commitment (predicate {st.predicate_type})")
    if not any(s.digest.get("sha256") == c for s in st.subjects):
        raise VerificationError("the signed commitment is for a different value than salt and digest produce")
    if st.predicate.get("label") != reveal.suite:
        raise VerificationError(
            f"the reveal names suite {reveal.suite!r}, the signed commitment {st.predicate.get('label')!r}"
        )
    cp, index = verify_log_inclusion(reveal.envelope, reveal.proof.to_json(), log_keys, reveal.checkpoint.encode())
    result = RevealResult(c, reveal.suite_digest, str(st.predicate.get("committedAt")), cp, index, verified.signer)
    if attestation is None:
        return result
    env, proof, ckpt = attestation
    att = verify_attestation(env, signer_keys)
    att_cp, att_index = verify_log_inclusion(env, proof, log_keys, ckpt, origin=cp.origin)
    want = _digest_bytes(reveal.suite_digest).hex()
    if not any(s.digest.get("sha256") == want for s in att.statement.subjects):
        raise VerificationError("the evaluation attestation does not name the revealed suite")
    _same_history(cp, att_cp, consistency)
    if att_index <= index:
        raise VerificationError(
            f"time order violated: the evaluation (log entry {att_index}) was logged before the commitment "
            f"(entry {index})",
            why="the suite was not fixed in advance of this evaluation",
        )
    committed = str(st.predicate.get("committedAt", ""))
    created = str(att.statement.predicate.get("timeCreated", ""))
    if committed and created and created < committed:
        raise VerificationError("the attestation claims a time before the commitment's")
    return RevealResult(c, reveal.suite_digest, committed, att_cp, index, verified.signer, att_index)


def _same_history(a: Checkpoint, b: Checkpoint, consistency: bytes | ConsistencyProof | None) -> None:
    """Raise unless the two verified checkpoints are one history (equal, or proven consistent).

    Without this, a log owner who rewrote history between the two checkpoints could show the
    commitment early in one tree and the evaluation late in another, and the index comparison
    would pass. Equal sizes need no proof (the roots must simply match).
    """
    if (a.origin, a.size, a.root) == (b.origin, b.size, b.root):
        return
    old, new = (a, b) if a.size <= b.size else (b, a)
    if old.size == new.size:
        check_consistency(old, new, ConsistencyProof(old.origin, old.size, new.size, ()))
        return  # unreachable: equal sizes with different roots always fail above
    if consistency is None:
        raise VerificationError(
            f"the commitment and the evaluation are proven against different checkpoints "
            f"(tree sizes {a.size} and {b.size}) and no consistency proof links them",
            why="log indexes from two trees are comparable only if the newer tree extends the older; "
            "a log that rewrote its history could otherwise fake the time order",
            fix=f"ask the log operator for a consistency proof from size {old.size} to {new.size} "
            "(`accord log consistency OLD.ckpt NEW.ckpt -o consistency.json`; the reveal's checkpoint is its "
            "\"checkpoint\" field) and pass --consistency consistency.json, or prove both entries against one "
            "checkpoint (`accord log prove ENTRY --checkpoint CKPT` and `accord suites reveal` after "
            "`accord log checkpoint`)",
        )
    proof = consistency if isinstance(consistency, ConsistencyProof) else ConsistencyProof.from_json(consistency)
    check_consistency(old, new, proof)


def commit_secret(suite: str | None, suite_digest: str, salt: bytes, envelope: bytes, origin: str, index: int) -> bytes:
    """The private record kept by the committer until reveal time (never published)."""
    return dumps(
        {
            "suite": suite,
            "suite_digest": suite_digest,
            "salt": base64.b64encode(salt).decode(),
            "commitment": commitment(salt, suite_digest),
            "envelope": loads(envelope, "envelope"),
            "origin": origin,
            "index": index,
        }
    )
