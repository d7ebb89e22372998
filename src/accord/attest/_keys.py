"""Ed25519 keys: create, store (mode 0600), load from a file or the environment, parse public keys.

One signing key per user, kept in ``accord.paths.user_config_dir()`` as unencrypted PKCS#8
PEM that only its owner can read; it is never printed. CI passes a key through
``ACCORD_SIGNING_KEY`` (PEM text, base64 or hex of the 32-byte seed, or a Go ``note``
``PRIVATE+KEY+...`` line) or ``--signing-key FILE`` in the same formats.

Public keys are accepted in every form a user meets: a signed-note verifier key
(``name+hexid+base64(0x01||key)``), PEM SubjectPublicKeyInfo, or the raw 32 bytes in base64
or hex. The DSSE key id is the hex SHA-256 of the DER SubjectPublicKeyInfo (the convention the
shared vectors use); it is only a hint, never a trust decision.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from accord.errors import AccordError, InputError

ENV_VAR = "ACCORD_SIGNING_KEY"
KEY_FILE_NAME = "signing-key.pem"
DEFAULT_KEY_NAME = "accord"
SIG_ED25519 = 0x01

_PEM_RE = re.compile(r"-----BEGIN ([A-Z ]+)-----.*?-----END \1-----", re.S)


def note_key_id(name: str, sig_type: int, public_raw: bytes) -> bytes:
    """C2SP signed-note key id: SHA-256(name || 0x0A || type || public key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([sig_type]) + public_raw).digest()[:4]


def _b64_or_hex(text: str, size: int) -> bytes | None:
    text = text.strip()
    if re.fullmatch(r"[0-9a-fA-F]+", text) and len(text) == 2 * size:
        return bytes.fromhex(text)
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            return None
    return raw if len(raw) == size else None


@dataclass(frozen=True)
class PublicKey:
    """An Ed25519 public key, optionally bound to a signed-note key name."""

    raw: bytes
    name: str | None = None

    def __post_init__(self) -> None:
        if len(self.raw) != 32:
            raise ValueError("an Ed25519 public key is 32 bytes")

    @property
    def key(self) -> Ed25519PublicKey:
        return Ed25519PublicKey.from_public_bytes(self.raw)

    @property
    def keyid(self) -> str:
        """DSSE key id hint: hex SHA-256 of the DER SubjectPublicKeyInfo."""
        der = self.key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        return hashlib.sha256(der).hexdigest()

    def verify(self, signature: bytes, message: bytes) -> bool:
        """True iff ``signature`` is a valid Ed25519 signature of ``message`` by this key."""
        try:
            self.key.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    def vkey(self, name: str | None = None) -> str:
        """Signed-note verifier key text ``name+hexid+base64(0x01||key)``."""
        name = name or self.name or DEFAULT_KEY_NAME
        kid = note_key_id(name, SIG_ED25519, self.raw).hex()
        return f"{name}+{kid}+" + base64.b64encode(bytes([SIG_ED25519]) + self.raw).decode()

    def pem(self) -> str:
        return self.key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()


class SigningKey:
    """An Ed25519 private key. Its repr never shows key material."""

    def __init__(self, private: Ed25519PrivateKey, *, source: str = "memory") -> None:
        self._private = private
        self.source = source
        self.public = PublicKey(
            private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        )

    def __repr__(self) -> str:
        return f"SigningKey(keyid={self.public.keyid[:16]}..., source={self.source!r})"

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate(), source="generated")

    @classmethod
    def from_seed(cls, seed: bytes, *, source: str = "seed") -> SigningKey:
        """RFC 8032: the 32-byte secret key (seed)."""
        return cls(Ed25519PrivateKey.from_private_bytes(seed), source=source)

    @classmethod
    def from_text(cls, text: str, *, source: str) -> SigningKey:
        """Parse PEM PKCS#8, a Go ``PRIVATE+KEY+name+id+b64`` line, or base64/hex of the seed."""
        text = text.strip()
        if "-----BEGIN" in text:
            try:
                key = serialization.load_pem_private_key(text.encode(), password=None)
            except (ValueError, TypeError) as exc:
                raise InputError("not a readable PEM private key", file=source, expected="unencrypted PKCS#8 Ed25519 PEM") from exc
            if not isinstance(key, Ed25519PrivateKey):
                raise InputError("the PEM key is not Ed25519", file=source, expected="an Ed25519 key")
            return cls(key, source=source)
        if text.startswith("PRIVATE+KEY+"):
            parts = text[len("PRIVATE+KEY+") :].split("+", 2)  # base64 may itself contain '+'
            raw = _b64_or_hex(parts[-1], 33) if len(parts) == 3 else None
            if raw is None or raw[0] != SIG_ED25519:
                raise InputError("malformed note private key", file=source, expected="PRIVATE+KEY+name+hexid+base64(0x01||seed)")
            return cls.from_seed(raw[1:], source=source)
        seed = _b64_or_hex(text, 32)
        if seed is None:
            raise InputError(
                "unrecognised signing key",
                file=source,
                expected="PEM (PKCS#8 Ed25519), or base64/hex of a 32-byte Ed25519 seed",
            )
        return cls.from_seed(seed, source=source)

    def sign(self, message: bytes) -> bytes:
        return self._private.sign(message)

    def to_pem(self) -> bytes:
        return self._private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )


def default_key_path() -> Path:
    from accord.paths import user_config_dir

    return user_config_dir() / KEY_FILE_NAME


def _temp_path(path: Path) -> Path:
    """A fresh, unpredictable name next to ``path`` for the key being written."""
    return path.with_name(f".{path.name}.{os.urandom(8).hex()}.tmp")


def _create_private(path: Path, data: bytes, attempts: int = 8) -> Path:
    """Write ``data`` to a new temp file next to ``path``, mode 0600 from its first byte.

    ``O_CREAT | O_EXCL | O_NOFOLLOW``: a file or symlink already at the temp name is never
    opened, written or truncated (someone may have planted it); another name is tried instead.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(attempts):
        tmp = _temp_path(path)
        try:
            fd = os.open(tmp, flags, 0o600)
        except FileExistsError:
            continue  # something is already there (a planted symlink?): never follow it
        try:
            os.fchmod(fd, 0o600)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            tmp.unlink(missing_ok=True)
            raise
        os.close(fd)
        return tmp
    raise AccordError(
        f"cannot create a temporary file next to {path}",
        why=f"{attempts} fresh names were all taken: someone else may be writing into {path.parent}",
        fix="check who can write to that directory, or pass -o with a private directory",
    )


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_private_file(path: Path, data: bytes, *, force: bool) -> None:
    """Create ``path`` with mode 0600 from the first byte (never world-readable, even briefly).

    Written atomically: a new temp file in the same directory (never through a symlink, see
    ``_create_private``), then linked or renamed into place. Without ``force`` an existing
    key is never replaced, even one that appears while this runs.
    """
    if path.is_dir():
        raise InputError("is a directory", file=path, expected="a file path, e.g. DIR/signing-key.pem")
    path.parent.mkdir(parents=True, exist_ok=True)
    exists = AccordError(
        f"a signing key already exists at {path}",
        why="overwriting it would orphan every attestation signed with it",
        fix="use --force to replace it (keep a copy first), or `accord keys show` to see it",
    )
    if (path.exists() or path.is_symlink()) and not force:
        raise exists
    tmp = _create_private(path, data)
    try:
        if force:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path, follow_symlinks=False)  # fails if anything is at ``path`` now
            except FileExistsError:
                raise exists from None
            except OSError:  # no hard links on this filesystem: the check above must do
                if path.exists() or path.is_symlink():
                    raise exists from None
                os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(path.parent)


def init_key(path: Path | None = None, *, force: bool = False) -> SigningKey:
    """Create a new signing key at ``path`` (default: the user config dir)."""
    path = path or default_key_path()
    key = SigningKey.generate()
    write_private_file(path, key.to_pem(), force=force)
    key.source = str(path)
    return key


def check_private_mode(path: Path) -> str | None:
    """A warning when the key file ``path`` can be read (or written) by group or others.

    The key still loads (a CI runner's checkout may not keep modes), but the owner is told,
    on stderr, which file it is and how to fix it.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    if os.name != "posix" or not mode & 0o077:
        return None
    return (
        f"warning: the signing key {path} is accessible to other users (mode {mode & 0o777:04o}); "
        f"anyone who can read it can sign as you. Fix: chmod 600 {path}"
    )


def _read_key_file(path: Path) -> SigningKey:
    import sys

    warning = check_private_mode(path)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    return SigningKey.from_text(path.read_text(), source=str(path))


def load_signing_key(key_file: str | Path | None = None) -> SigningKey:
    """``--signing-key FILE``, else ``ACCORD_SIGNING_KEY``, else the key made by ``accord keys init``.

    A key file that group or others can read loads with a warning on stderr (``chmod 600``)."""
    if key_file:
        path = Path(key_file).expanduser()
        if not path.is_file():
            raise InputError("signing key file not found", file=path, fix="pass an existing file to --signing-key")
        return _read_key_file(path)
    env = os.environ.get(ENV_VAR)
    if env:
        return SigningKey.from_text(env, source=f"${ENV_VAR}")
    path = default_key_path()
    if not path.is_file():
        raise AccordError(
            "no signing key",
            why=f"no --signing-key file, no {ENV_VAR} variable, and nothing at {path}",
            fix="run `accord keys init` (or set ACCORD_SIGNING_KEY in CI)",
        )
    return _read_key_file(path)


def parse_public_key(text: str, *, source: str = "key") -> PublicKey:
    """One public key: note vkey, PEM SubjectPublicKeyInfo, or base64/hex of the 32 raw bytes."""
    text = text.strip()
    if "PRIVATE KEY-----" in text or text.startswith("PRIVATE+KEY+"):
        raise InputError(
            "this is a private key; verification needs the public key",
            file=source,
            fix="export it with `accord keys show --pem` (or --signing-key FILE for another key) and share that",
        )
    if "-----BEGIN" in text:
        try:
            key = serialization.load_pem_public_key(text.encode())
        except (ValueError, TypeError) as exc:
            raise InputError("not a readable PEM public key", file=source) from exc
        if not isinstance(key, Ed25519PublicKey):
            raise InputError("the PEM key is not Ed25519", file=source, expected="an Ed25519 public key")
        return PublicKey(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
    if "+" in text and text.count("+") >= 2 and not text.startswith("PRIVATE+"):
        name, kid, b64 = text.split("+", 2)
        raw = _b64_or_hex(b64, 33)
        if raw is None or raw[0] != SIG_ED25519 or not re.fullmatch(r"[0-9a-f]{8}", kid) or not name:
            raise InputError("malformed verifier key", file=source, expected="name+hexid+base64(0x01||key)", got=text[:80])
        if note_key_id(name, SIG_ED25519, raw[1:]).hex() != kid:
            raise InputError("verifier key id does not match its name and key", file=source, got=kid)
        return PublicKey(raw[1:], name=name)
    raw32 = _b64_or_hex(text, 32)
    if raw32 is None:
        raise InputError(
            "unrecognised public key",
            file=source,
            expected="a verifier key (name+id+base64), PEM, or base64/hex of 32 bytes",
            got=text[:80],
        )
    return PublicKey(raw32)


def parse_public_keys(text: str, *, source: str = "keys") -> list[PublicKey]:
    """Every key in a trust file: PEM blocks, then one key per non-comment line."""
    keys = [parse_public_key(m.group(0), source=source) for m in _PEM_RE.finditer(text)]
    rest = _PEM_RE.sub("", text)
    for lineno, line in enumerate(rest.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if line:
            keys.append(parse_public_key(line, source=f"{source}:{lineno}"))
    return keys


def load_public_keys(values: Iterable[str]) -> list[PublicKey]:
    """``--trusted-key`` values: each a path to a key/trust file, or the key text itself."""
    out: list[PublicKey] = []
    for value in values:
        try:
            is_file = Path(value).expanduser().is_file()
        except OSError:  # key text too long to be a file name
            is_file = False
        path = Path(value).expanduser()
        if is_file:
            out.extend(parse_public_keys(path.read_text(), source=str(path)))
        else:
            out.append(parse_public_key(value, source="--trusted-key"))
    return out


def trusted_keys(
    key: Iterable[str] | None, trust: Path | None, log_key: Iterable[str] | None = None
) -> tuple[list[PublicKey], list[PublicKey]]:
    """(signer keys, log keys) from ``--trusted-key``, ``--trust`` and ``--trusted-log-key``.

    Verifying against no key would prove nothing, so that is an error. Log keys default to the
    trust file, else the ``--trusted-key`` keys: a one-person setup signs both with the same key. Those
    defaults are trusted as raw keys, under the log's own origin name: a checkpoint is signed
    as ``<origin>`` while ``accord keys show`` names the attestation key ``accord``, and the
    note-name binding (C2SP) is still checked exactly, only with the name the log uses. An
    explicit ``--trusted-log-key`` verifier key keeps its name and must match the signature line.
    """
    signers = load_public_keys(key or [])
    trusted = load_public_keys([str(trust)]) if trust is not None else []
    if not signers and not trusted:
        raise AccordError("no trusted keys", fix="pass --trusted-key PUBKEY (from the signer's `accord keys show`) or --trust FILE")
    explicit = load_public_keys(log_key or [])
    if explicit:
        return signers + trusted, explicit
    unnamed: list[PublicKey] = []
    for k in trusted or signers:
        if PublicKey(k.raw) not in unnamed:
            unnamed.append(PublicKey(k.raw))
    return signers + trusted, unnamed
