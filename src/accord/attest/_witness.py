"""Witnesses: cosign a log's checkpoints (C2SP tlog-cosignature, ``cosignature/v1``), check k-of-n.

A witness holds its own Ed25519 key and a small state file recording, per log origin, the
last checkpoint it cosigned (size and root). Given a new checkpoint it

1. verifies the log's signature with the log keys it trusts;
2. checks the new tree against the one it saw: a smaller tree (rollback) or the same size
   with another root (a fork) is refused; a larger tree needs a consistency proof
   (RFC 9162, the same maths as ``accord log consistency``);
3. records the new (size, root) in its state *before* it releases the cosignature, and adds
   its ``cosignature/v1`` line to the note.

A cosignature means "as of time T, this is the largest consistent tree I have seen for this
origin". A relying party that trusts n witnesses and requires k of them
(``verify_witnesses``) is shown a fork only if k witnesses were shown it too.

Everything read is bounded: notes by ``MAX_NOTE_BYTES`` (and at most ``MAX_SIGNATURES``
lines), checkpoints by ``MAX_CHECKPOINT_EXTENSIONS``, the state file by ``MAX_STATE_BYTES``.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from accord.attest._keys import PublicKey, SigningKey, _fsync_dir, parse_public_key
from accord.attest._models import ConsistencyProof
from accord.attest._note import (
    MAX_NOTE_BYTES,
    SIG_COSIGNATURE_V1,
    SIG_ED25519,
    Checkpoint,
    CosignatureV1Signer,
    CosignatureV1Verifier,
    Note,
    NoteSignature,
    NoteVerifier,
    b64decode_strict,
    check_key_name,
    log_verifiers,
    parse_note,
    verify_checkpoint,
)
from accord.errors import AccordError, InputError, StoreError, VerificationError

STATE_VERSION = 1
MAX_STATE_BYTES = 4 * 1024 * 1024
MAX_WITNESS_KEYS = 256


class WitnessRefusal(VerificationError):
    """The witness will not cosign: the checkpoint contradicts what it cosigned before (exit 1)."""


def read_bounded(path: Path, limit: int = MAX_NOTE_BYTES, *, what: str = "file") -> bytes:
    """Read at most ``limit`` bytes of ``path``; a longer file is an error, never read whole."""
    with open(path, "rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise InputError(f"{what} is too large", file=path, expected=f"at most {limit} bytes")
    return data


# -- witness state --------------------------------------------------------------------------


@dataclass
class WitnessState:
    """The last checkpoint cosigned per log origin: ``{origin: (size, root)}``."""

    path: Path
    logs: dict[str, tuple[int, bytes]]

    @classmethod
    def load(cls, path: Path) -> WitnessState:
        if not path.exists():
            return cls(path, {})
        try:
            doc = json.loads(read_bounded(path, MAX_STATE_BYTES, what="witness state"))
            if doc.get("version") != STATE_VERSION or not isinstance(doc.get("logs"), dict):
                raise ValueError("unknown version")
            logs = {}
            for origin, rec in doc["logs"].items():
                root = base64.b64decode(rec["root"], validate=True)
                size = rec["size"]
                if not isinstance(size, int) or size < 0 or len(root) != 32:
                    raise ValueError(origin)
                logs[str(origin)] = (size, root)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise StoreError(
                f"unreadable witness state {path}",
                why="a witness that forgets what it cosigned could be made to cosign a fork",
                fix="restore the state file from a backup; do not delete it",
            ) from exc
        return cls(path, logs)

    def save(self) -> None:
        doc = {
            "version": STATE_VERSION,
            "logs": {o: {"size": s, "root": base64.b64encode(r).decode()} for o, (s, r) in sorted(self.logs.items())},
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.urandom(6).hex()}.tmp")
        with open(tmp, "wb") as f:
            f.write(json.dumps(doc, indent=1).encode() + b"\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
        _fsync_dir(self.path.parent)  # the rename itself survives a crash


# -- cosigning ------------------------------------------------------------------------------


@dataclass(frozen=True)
class WitnessResult:
    note: str
    checkpoint: Checkpoint
    previous: tuple[int, bytes] | None
    timestamp: int


def check_against_seen(cp: Checkpoint, seen: tuple[int, bytes] | None, proof: ConsistencyProof | None) -> None:
    """Raise ``WitnessRefusal`` unless ``cp`` is consistent with the (size, root) last cosigned."""
    from accord.attest._verify import check_consistency

    if seen is None:
        return
    size, root = seen
    if cp.size < size:
        raise WitnessRefusal(
            f"refusing to cosign {cp.origin} at size {cp.size}: rollback, this witness already cosigned size {size}",
            why="a smaller tree than one already witnessed is a rollback (or a fork shown to someone else)",
            fix="witness the log's latest checkpoint",
        )
    if cp.size == size:
        if cp.root != root:
            raise WitnessRefusal(
                f"refusing to cosign {cp.origin} at size {size}: fork, the root differs from the one this witness cosigned",
                why="two checkpoints of one size with different roots are a fork: the log showed two histories",
                fix="keep both checkpoints as evidence; do not cosign this log until the operator explains",
            )
        return
    if size == 0:
        return  # every tree extends the empty tree
    if proof is None:
        raise VerificationError(
            f"a consistency proof from size {size} to {cp.size} is needed",
            fix="pass --proof (from `accord log consistency OLD NEW -o FILE`) or --log-dir of the log",
        )
    old = Checkpoint(cp.origin, size, root)
    try:
        check_consistency(old, cp, proof)
    except VerificationError as exc:
        raise WitnessRefusal(
            f"refusing to cosign {cp.origin} at size {cp.size}: fork, it is not consistent with size {size} cosigned before ({exc})",
            why="the new tree does not contain the tree this witness saw: history was rewritten (a fork)",
            fix="keep both checkpoints as evidence; do not cosign this log until the operator explains",
        ) from exc


def add_signature(note: Note, sig: NoteSignature) -> str:
    """The note with ``sig`` appended; an earlier line by the same (name, key id) is replaced."""
    kept = tuple(s for s in note.signatures if (s.name, s.key_id) != (sig.name, sig.key_id))
    return Note(note.text, (*kept, sig)).to_text()


@contextmanager
def _state_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # not POSIX: one witness run at a time is the caller's duty
        yield
        return
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def cosign(
    checkpoint_note: bytes,
    *,
    log_keys: Sequence[PublicKey],
    witness_name: str,
    witness_key: SigningKey,
    state_path: Path,
    proof: ConsistencyProof | None = None,
    timestamp: int | None = None,
) -> WitnessResult:
    """Verify ``checkpoint_note``, check it against the witness state, cosign it, record it."""
    check_key_name(witness_name)
    note = parse_note(checkpoint_note)
    origin = note.text.split("\n", 1)[0]
    if not log_keys:
        raise AccordError("no log key to verify the checkpoint with", fix="pass the log's verifier key with --trusted-key")
    cp = verify_checkpoint(checkpoint_note, log_verifiers(log_keys, origin))
    with _state_lock(state_path):  # two witness runs must not both cosign against one old state
        state = WitnessState.load(state_path)
        previous = state.logs.get(cp.origin)
        check_against_seen(cp, previous, proof)
        signer = CosignatureV1Signer(witness_name, witness_key, timestamp)
        sig = signer.sign(note.text.encode())
        state.logs[cp.origin] = (cp.size, cp.root)
        state.save()  # recorded before the cosignature leaves this function
    out = add_signature(note, NoteSignature(witness_name, signer.key_id, sig))
    return WitnessResult(out, cp, previous, int.from_bytes(sig[:8], "big"))


# -- verifying a witness policy -------------------------------------------------------------


def parse_witness_key(text: str, *, source: str = "--witness") -> CosignatureV1Verifier:
    """A witness key: its cosigner verifier key ``name+id+base64(0x04||key)``, or an Ed25519
    verifier key ``name+id+base64(0x01||key)`` of the same key and name (the cosignature key
    id is then derived with type 0x04)."""
    text = text.strip()
    parts = text.split("+", 2)
    if len(parts) != 3 or not parts[0]:
        raise InputError(
            "a witness key is a verifier key name+hexid+base64",
            file=source,
            fix="use the witness's `accord keys show --witness-name NAME` line",
            got=text[:80],
        )
    name, kid_hex, b64 = parts
    try:
        raw = b64decode_strict(b64, "witness key")
        kid = bytes.fromhex(kid_hex)
    except (VerificationError, ValueError) as exc:
        raise InputError("malformed witness key", file=source, got=text[:80]) from exc
    if len(raw) != 33 or len(kid) != 4 or raw[0] not in (SIG_COSIGNATURE_V1, SIG_ED25519):
        raise InputError("unsupported witness key", file=source, expected="an Ed25519 cosignature/v1 verifier key", got=text[:80])
    if raw[0] == SIG_ED25519:
        parse_public_key(text, source=source)  # checks its key id
        return CosignatureV1Verifier(check_key_name(name), PublicKey(raw[1:], name=name))
    verifier = CosignatureV1Verifier(check_key_name(name), PublicKey(raw[1:], name=name))
    if verifier.key_id != kid:
        raise InputError("witness key id does not match its name and key", file=source, got=kid_hex)
    return verifier


def load_witness_keys(values: Sequence[str]) -> list[CosignatureV1Verifier]:
    """``--witness`` values: each a verifier key, or a file of them (one per line, ``#`` comments)."""
    out: list[CosignatureV1Verifier] = []
    for value in values:
        try:
            path = Path(value).expanduser()
            is_file = path.is_file()
        except (OSError, ValueError):
            is_file = False
        if is_file:
            text = read_bounded(path, MAX_NOTE_BYTES, what="witness key file").decode("utf-8", "replace")
            for lineno, line in enumerate(text.splitlines(), 1):
                line = line.split("#", 1)[0].strip()
                if line:
                    out.append(parse_witness_key(line, source=f"{path}:{lineno}"))
        else:
            out.append(parse_witness_key(value))
        if len(out) > MAX_WITNESS_KEYS:
            raise InputError(f"more than {MAX_WITNESS_KEYS} witness keys")
    unique: list[CosignatureV1Verifier] = []
    for v in out:
        if all(v.public.raw != u.public.raw for u in unique):  # one key counts once, whatever its names
            unique.append(v)
    return unique


@dataclass(frozen=True)
class WitnessCheck:
    cosigned_by: tuple[tuple[str, int], ...]  # (witness name, timestamp)
    required: int
    trusted: int

    def describe(self) -> str:
        names = ", ".join(f"{n} (t={t})" for n, t in self.cosigned_by) or "none"
        return f"ok, {len(self.cosigned_by)} of {self.trusted} trusted witnesses cosigned (need {self.required}): {names}"


def verify_witnesses(checkpoint_note: bytes, witnesses: Sequence[NoteVerifier], min_witnesses: int) -> WitnessCheck:
    """Enforce a k-of-n policy: at least ``min_witnesses`` distinct trusted witness keys cosigned.

    Lines from unknown witnesses are ignored; a trusted witness's line that does not verify
    rejects the checkpoint (it was altered). The log's own signature is checked elsewhere.
    """
    if min_witnesses < 1:
        raise InputError("--min-witnesses must be at least 1", got=min_witnesses)
    if min_witnesses > len(witnesses):
        raise InputError(
            f"--min-witnesses {min_witnesses} is more than the {len(witnesses)} witness keys given",
            fix="pass more --witness keys or lower --min-witnesses",
        )
    note = parse_note(checkpoint_note)
    body = note.text.encode()
    seen: dict[bytes, tuple[str, int]] = {}
    for sig in note.signatures:
        for w in witnesses:
            if (w.name, w.key_id) != (sig.name, sig.key_id):
                continue
            if not w.verify(body, sig.sig):
                raise VerificationError(
                    f"the cosignature by witness '{sig.name}' does not verify",
                    why="the checkpoint or the cosignature line was altered",
                )
            raw = w.public.raw if isinstance(w, CosignatureV1Verifier) else w.key_id
            seen.setdefault(raw, (sig.name, int.from_bytes(sig.sig[:8], "big")))
    if len(seen) < min_witnesses:
        names = ", ".join(w.name for w in witnesses)
        raise VerificationError(
            f"the log checkpoint is cosigned by {len(seen)} of the trusted witnesses, {min_witnesses} required",
            why=f"trusted witnesses: {names}. A checkpoint the witnesses did not cosign may be a fork shown only to you",
            fix="get the checkpoint cosigned (`accord log witness`), or use one the witnesses cosigned",
        )
    return WitnessCheck(tuple(seen.values()), min_witnesses, len(witnesses))


def policy_checkpoint(checkpoint: Path | None, proof: Path | None) -> bytes:
    """The checkpoint note ``accord verify`` checked the inclusion against: ``--log-checkpoint``,
    else the one a C2SP tlog-proof carries (the same bytes the log signature was checked on)."""
    if checkpoint is not None:
        return read_bounded(checkpoint, what="log checkpoint")
    if proof is not None:
        from accord.attest._models import about_file
        from accord.attest._verify import load_proof

        with about_file(proof):
            _, tlog = load_proof(read_bounded(proof, 16 * 1024 * 1024, what="proof"))
        if tlog is not None:
            return tlog[2].encode()
    raise InputError(
        "--witness needs the log checkpoint the verification uses",
        field="--witness",
        fix="pass --proof (a tlog-proof) or --log-checkpoint CKPT with --proof",
    )


def enforce_witness_policy(witness_values: Sequence[str], min_witnesses: int | None, checkpoint: Path | None, proof: Path | None) -> str:
    """``accord verify --witness KEY... [--min-witnesses N]``: N (default 1) of the given witnesses
    cosigned the checkpoint. Returns the line ``verify`` prints; raises ``VerificationError``."""
    if not witness_values:
        raise InputError("--min-witnesses needs --witness keys", field="--min-witnesses", fix="pass --witness KEY (repeatable)")
    witnesses = load_witness_keys(list(witness_values))
    note = policy_checkpoint(checkpoint, proof)
    return verify_witnesses(note, witnesses, 1 if min_witnesses is None else min_witnesses).describe()
