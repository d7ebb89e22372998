"""C2SP signed notes, tlog checkpoints and Ed25519 cosignatures.

A note is UTF-8 text ending in ``\\n``, one blank line, then signature lines
``— <name> <base64(keyid[4] || signature)>``. Signature types are pluggable: anything with
``name``, ``key_id`` and ``verify(text, sig)`` is a ``NoteVerifier`` (Ed25519 type 0x01 and the
Ed25519 ``cosignature/v1`` type 0x04 are built in), and anything with ``name``, ``key_id``
and ``sign(text)`` is a ``NoteSigner``.

Verification follows the spec: lines from unknown (name, key id) pairs are ignored, a known
key whose signature fails rejects the note, and a note with no verified signature is
rejected. Every failure is a ``VerificationError`` whose text names the likely cause.
"""

from __future__ import annotations

import base64
import binascii
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from accord.attest._keys import PublicKey, SigningKey, note_key_id
from accord.errors import InputError, VerificationError

EM_DASH = "\u2014"
SIG_ED25519 = 0x01
SIG_COSIGNATURE_V1 = 0x04
MAX_SIGNATURES = 100
MAX_NOTE_BYTES = 64 * 1024  # a checkpoint with 100 signature lines is under 16 KiB
MAX_CHECKPOINT_EXTENSIONS = 16


def b64decode_strict(text: str, what: str) -> bytes:
    """Standard base64 that must re-encode to exactly ``text`` (no slack in padding bits)."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise VerificationError(f"{what} is not valid base64") from exc
    if base64.b64encode(raw).decode() != text:
        raise VerificationError(f"{what} is not canonical base64")
    return raw


@runtime_checkable
class NoteVerifier(Protocol):
    """Checks one kind of note signature for one (name, key id)."""

    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> bytes: ...

    def verify(self, text: bytes, sig: bytes) -> bool: ...


@runtime_checkable
class NoteSigner(Protocol):
    """Produces one kind of note signature under one (name, key id)."""

    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> bytes: ...

    def sign(self, text: bytes) -> bytes: ...


@dataclass(frozen=True)
class Ed25519Verifier:
    """Signature type 0x01: Ed25519 over the note text."""

    name: str
    public: PublicKey
    key_id: bytes = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key_id", note_key_id(self.name, SIG_ED25519, self.public.raw))

    def verify(self, text: bytes, sig: bytes) -> bool:
        return len(sig) == 64 and self.public.verify(sig, text)


@dataclass(frozen=True)
class Ed25519Signer:
    """Signs notes with an Ed25519 key under ``name`` (for a log: its origin)."""

    name: str
    key: SigningKey
    key_id: bytes = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key_id", note_key_id(self.name, SIG_ED25519, self.key.public.raw))

    def sign(self, text: bytes) -> bytes:
        return self.key.sign(text)

    @property
    def vkey(self) -> str:
        return self.key.public.vkey(self.name)


@dataclass(frozen=True)
class CosignatureV1Verifier:
    """Signature type 0x04: a witness's ``cosignature/v1`` (timestamp || Ed25519 signature)."""

    name: str
    public: PublicKey
    key_id: bytes = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key_id", note_key_id(self.name, SIG_COSIGNATURE_V1, self.public.raw))

    @staticmethod
    def message(text: bytes, timestamp: int) -> bytes:
        return b"cosignature/v1\ntime %d\n" % timestamp + text

    def verify(self, text: bytes, sig: bytes) -> bool:
        if len(sig) != 72:
            return False
        (timestamp,) = struct.unpack(">Q", sig[:8])
        return self.public.verify(sig[8:], self.message(text, timestamp))


@dataclass(frozen=True)
class CosignatureV1Signer:
    """A witness's Ed25519 ``cosignature/v1`` signer (signature type 0x04).

    ``sign`` returns ``u64 big-endian timestamp || Ed25519(cosignature/v1\\ntime T\\n || text)``;
    ``timestamp`` fixes T (for vectors), else the current Unix time is used.
    """

    name: str
    key: SigningKey
    timestamp: int | None = None
    key_id: bytes = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key_id", note_key_id(self.name, SIG_COSIGNATURE_V1, self.key.public.raw))

    def sign(self, text: bytes) -> bytes:
        import time

        ts = int(time.time()) if self.timestamp is None else self.timestamp
        if not 0 <= ts < 2**63:
            raise ValueError("cosignature timestamp out of range")
        return struct.pack(">Q", ts) + self.key.sign(CosignatureV1Verifier.message(text, ts))

    @property
    def vkey(self) -> str:
        return cosigner_vkey(self.key.public, self.name)


def cosigner_vkey(public: PublicKey, name: str) -> str:
    """Verifier key text of a ``cosignature/v1`` witness: ``name+hexid+base64(0x04||key)``."""
    check_key_name(name)
    kid = note_key_id(name, SIG_COSIGNATURE_V1, public.raw).hex()
    return f"{name}+{kid}+" + base64.b64encode(bytes([SIG_COSIGNATURE_V1]) + public.raw).decode()


def check_key_name(name: str) -> str:
    """A signed-note key name: non-empty, no Unicode space, no '+', printable, at most 256 characters."""
    if not name or "+" in name or any(c.isspace() or not c.isprintable() for c in name) or len(name) > 256:
        raise InputError(
            f"invalid key name {name[:60]!r}", fix="a key name is non-empty, without spaces or '+', e.g. witness.example.org/w1"
        )
    return name


def parse_vkey(vkey: str) -> NoteVerifier:
    """A verifier key ``name+hexid+base64(type||key)`` of type 0x01 or 0x04."""
    parts = vkey.strip().split("+", 2)  # base64 may itself contain '+'; names may not
    if len(parts) != 3 or not parts[0]:
        raise VerificationError(f"malformed verifier key {vkey[:60]!r}", fix="expected name+hexid+base64(type||key)")
    name, hex_id, b64 = parts
    try:
        raw = base64.b64decode(b64, validate=True)
        kid = bytes.fromhex(hex_id)
    except (binascii.Error, ValueError) as exc:
        raise VerificationError(f"malformed verifier key {vkey[:60]!r}") from exc
    if len(raw) != 33 or len(kid) != 4:
        raise VerificationError(f"unsupported verifier key {vkey[:60]!r}", why="only Ed25519 keys are supported")
    verifier: NoteVerifier
    if raw[0] == SIG_ED25519:
        verifier = Ed25519Verifier(name, PublicKey(raw[1:], name=name))
    elif raw[0] == SIG_COSIGNATURE_V1:
        verifier = CosignatureV1Verifier(name, PublicKey(raw[1:], name=name))
    else:
        raise VerificationError(f"unsupported signature type 0x{raw[0]:02x} in verifier key")
    if verifier.key_id != kid:
        raise VerificationError(f"verifier key id {hex_id} does not match its name and key")
    return verifier


@dataclass(frozen=True)
class NoteSignature:
    name: str
    key_id: bytes
    sig: bytes

    def line(self) -> str:
        return f"{EM_DASH} {self.name} " + base64.b64encode(self.key_id + self.sig).decode() + "\n"


@dataclass(frozen=True)
class Note:
    """A parsed signed note: its text (ending in ``\\n``) and its signature lines."""

    text: str
    signatures: tuple[NoteSignature, ...]

    def to_text(self) -> str:
        return self.text + "\n" + "".join(s.line() for s in self.signatures)


def parse_note(data: bytes | str) -> Note:
    """Split a signed note into text and signatures; raises ``VerificationError`` if malformed."""
    if len(data) > MAX_NOTE_BYTES:
        raise VerificationError(f"signed note is too large ({len(data)} bytes, at most {MAX_NOTE_BYTES})")
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise VerificationError("signed note is not valid UTF-8") from exc
    if any((ord(c) < 0x20 and c != "\n") or ord(c) == 0x7F for c in data):
        raise VerificationError("signed note contains control characters")
    split = data.rfind("\n\n")
    if split < 0 or not data.endswith("\n"):
        raise VerificationError("malformed signed note: no blank line before the signatures")
    text, sig_block = data[: split + 1], data[split + 2 :]
    sigs: list[NoteSignature] = []
    if sig_block.count("\n") > MAX_SIGNATURES:
        raise VerificationError("signed note has too many signatures", why=f"at most {MAX_SIGNATURES} are read")
    for line in sig_block[:-1].split("\n") if sig_block else []:
        prefix = EM_DASH + " "
        if not line.startswith(prefix):
            raise VerificationError("malformed signature line in signed note")
        fields = line[len(prefix) :].split(" ")
        if len(fields) != 2 or not fields[0] or "+" in fields[0]:
            raise VerificationError("malformed signature line in signed note")
        raw = b64decode_strict(fields[1], "note signature")
        if len(raw) < 5:
            raise VerificationError("note signature is too short")
        sigs.append(NoteSignature(fields[0], raw[:4], raw[4:]))
    if not sigs:
        raise VerificationError("signed note has no signatures")
    if len(sigs) > MAX_SIGNATURES:
        raise VerificationError("signed note has too many signatures")
    return Note(text, tuple(sigs))


def sign_note(text: str, signers: Sequence[NoteSigner]) -> str:
    """Sign ``text`` (must end in ``\\n``) with each signer, in order."""
    if not text.endswith("\n"):
        raise ValueError("note text must end with a newline")
    body = text.encode()
    sigs = tuple(NoteSignature(s.name, s.key_id, s.sign(body)) for s in signers)
    return Note(text, sigs).to_text()


def verify_note(data: bytes | str, verifiers: Sequence[NoteVerifier]) -> tuple[Note, list[NoteVerifier]]:
    """Verify a note; returns it with the verifiers whose signatures checked out."""
    note = parse_note(data)
    body = note.text.encode()
    verified: list[NoteVerifier] = []
    for sig in note.signatures:
        for v in verifiers:
            if v.name == sig.name and v.key_id == sig.key_id:
                if not v.verify(body, sig.sig):
                    raise VerificationError(
                        f"the signature by '{sig.name}' (key {sig.key_id.hex()}) does not verify",
                        why="the note was altered after signing",
                    )
                if v not in verified:
                    verified.append(v)
    if not verified:
        names = ", ".join(f"{s.name}+{s.key_id.hex()}" for s in note.signatures)
        known = ", ".join(f"{v.name}+{v.key_id.hex()}" for v in verifiers) or "(none)"
        renamed = _same_key_other_name(note, verifiers)
        if renamed is not None:
            sig, trusted = renamed
            right = trusted.public.vkey(sig.name)
            raise VerificationError(
                f"the key you trust as '{trusted.name}' signed this note, but under the name '{sig.name}'",
                why="a signed-note verifier key binds a name and a key; a log signs its checkpoints under its "
                "origin, so a key named otherwise (e.g. the 'accord' line of `accord keys show`) does not match",
                fix=f"pass the log's verifier key {right} (`accord log info` or `accord keys show --log-dir DIR` "
                "prints it), or the signer's PEM public key, with --trusted-log-key",
            )
        raise VerificationError(
            "no trusted key signed this note",
            why=f"signed by {names}; trusted: {known}",
            fix="wrong log key? pass the log's verifier key (`accord log info` prints it) with --trusted-log-key or --trust",
        )
    return note, verified


def _same_key_other_name(note: Note, verifiers: Sequence[NoteVerifier]) -> tuple[NoteSignature, Ed25519Verifier] | None:
    """A signature line whose key id is a trusted Ed25519 key under a different name, if any.

    Used only to explain a failure: the signature is not accepted (the name is part of what
    the verifier key binds), but the user learns which verifier key would have matched.
    """
    for sig in note.signatures:
        for v in verifiers:
            if isinstance(v, Ed25519Verifier) and v.name != sig.name:
                if note_key_id(sig.name, SIG_ED25519, v.public.raw) == sig.key_id:
                    return sig, v
    return None


@dataclass(frozen=True)
class Checkpoint:
    """C2SP tlog-checkpoint body: origin, tree size, root hash, optional extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def to_text(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode(), *self.extensions]
        return "\n".join(lines) + "\n"

    @classmethod
    def from_text(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "" or any(not line for line in lines[:-1]):
            raise VerificationError("malformed checkpoint: expected origin, size and root lines")
        origin, size_s, root_s, *ext = lines[:-1]
        if len(ext) > MAX_CHECKPOINT_EXTENSIONS:
            raise VerificationError(f"malformed checkpoint: more than {MAX_CHECKPOINT_EXTENSIONS} extension lines")
        if len(size_s) > 20:
            raise VerificationError("malformed checkpoint: tree size is too large")
        if not size_s.isdigit() or not size_s.isascii() or (size_s != "0" and size_s.startswith("0")):
            raise VerificationError("malformed checkpoint: tree size is not a plain decimal")
        root = b64decode_strict(root_s, "checkpoint root hash")
        if len(root) != 32:
            raise VerificationError("malformed checkpoint: the root hash is not 32 bytes")
        return cls(origin, int(size_s), root, tuple(ext))


def verify_checkpoint(
    data: bytes | str, verifiers: Sequence[NoteVerifier], *, origin: str | None = None
) -> Checkpoint:
    """Verify a signed checkpoint note and parse its body; checks the origin if given."""
    note, _ = verify_note(data, verifiers)
    cp = Checkpoint.from_text(note.text)
    if origin is not None and cp.origin != origin:
        raise VerificationError(
            f"checkpoint is from log '{cp.origin}', expected '{origin}'", fix="wrong log? check --log-checkpoint"
        )
    return cp


def log_verifiers(keys: Sequence[PublicKey], origin: str) -> list[NoteVerifier]:
    """Note verifiers for a log: named keys as named, unnamed keys under the log's origin."""
    return [Ed25519Verifier(k.name or origin, k) for k in keys]
