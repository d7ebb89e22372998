"""A durable, append-only Merkle log kept as plain files in one directory.

Layout (all append-only except the two small files replaced atomically)::

    log.json      {"origin": ..., "version": 1}              written once
    entries.bin   u32 big-endian length || entry bytes, repeated
    entries.idx   u64 big-endian offset of each entry in entries.bin
    tree.bin      32-byte hashes of every complete subtree, in post-order
    state.json    {"size": n, "root": hex}                    the commit record
    checkpoint    the latest signed checkpoint note
    checkpoint.latest  {"size": n, "root": hex} of the newest checkpoint this log signed

``tree.bin`` stores nodes in the order they become complete (a Merkle mountain range's
post-order), so appending never rewrites a byte and the hash of any complete subtree is one
``pread``: an inclusion proof at a million leaves is ~20 reads, not a recomputation.

Crash safety: an append writes and fsyncs the entries, the index and the tree, and only
then replaces ``state.json`` (write, fsync, rename, fsync the directory). ``state.json`` is
the only truth about the log's size. A writer that opens the log truncates anything past the
committed size, i.e. the torn tail of an interrupted append, and checks the committed root,
so a crash can lose at most the batch that was being written and never touches an earlier
entry. Writers hold an exclusive ``flock``; readers never truncate.

Rollback: once the log has signed a checkpoint of size n, nothing may make it smaller than n
(a verifier holding that checkpoint would see history rewritten). ``checkpoint.latest``
keeps the newest signed size and root, written when the log signs; opening for writing and
``audit`` compare ``state.json`` against it (and against the signed ``checkpoint`` note, for
logs from before that file existed) and refuse, with an explanation, a committed size below
it or a tree whose first n leaves no longer hash to the signed root. Recovery therefore never
truncates an entry a signed checkpoint covers. Reads verify what they return: ``verified_entry``
checks the entry's leaf hash and its path to the committed root, ``verified_inclusion_proof``
checks the proof against the root it is for.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from accord.attest._keys import SigningKey
from accord.attest._merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    NODE_PREFIX,
    ProofError,
    consistency_proof,
    hash_leaf,
    inclusion_proof,
    root_hash,
    verify_inclusion,
)
from accord.attest._models import ConsistencyProof, InclusionProof
from accord.attest._note import Checkpoint, NoteSigner, sign_note
from accord.errors import AccordError, InputError, StoreError, VerificationError

FORMAT_VERSION = 1
MAX_ENTRY = 64 * 1024 * 1024
_LEN = struct.Struct(">I")
_OFF = struct.Struct(">Q")


def node_position(level: int, index: int) -> int:
    """Post-order position of the complete subtree (level, index) in ``tree.bin``."""
    last_leaf = ((index + 1) << level) - 1
    return 2 * last_leaf - last_leaf.bit_count() + level


def tree_nodes(size: int) -> int:
    """How many complete-subtree hashes a tree of ``size`` leaves has."""
    return 2 * size - size.bit_count()


def default_log_dir(given: Path | None = None) -> Path:
    """``--log-dir`` if given, else ``<user data dir>/log``: one place decides where the log lives."""
    if given is not None:
        return given.expanduser()
    from accord.paths import user_data_dir

    return user_data_dir() / "log"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


class FileLog:
    """One transparency log directory. Use ``FileLog.open``; call ``close`` (or ``with``)."""

    def __init__(self, path: Path, origin: str, *, writable: bool) -> None:
        self.path = path
        self.origin = origin
        self.writable = writable
        mode = os.O_RDWR | os.O_CREAT if writable else os.O_RDONLY
        self._fds = {name: os.open(path / name, mode, 0o644) for name in ("entries.bin", "entries.idx", "tree.bin")}
        self.size, self._root = self._read_state()

    # -- opening -------------------------------------------------------------------------

    @classmethod
    def create(cls, path: str | Path, origin: str) -> FileLog:
        """Make a new, empty log; refuses a directory that already holds one."""
        path = Path(path).expanduser()
        if (path / "log.json").exists():
            raise AccordError(f"a log already exists at {path}", fix="use it, or choose another --log-dir")
        if not origin or any(c.isspace() for c in origin) or "+" in origin:
            raise InputError("invalid log origin", field="origin", expected="a name without spaces or '+'", got=origin)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise AccordError(f"cannot create a log at {path}: {exc.strerror}", fix="choose a writable --log-dir") from exc
        _atomic_write(path / "log.json", json.dumps({"origin": origin, "version": FORMAT_VERSION}).encode())
        log = cls(path, origin, writable=True)
        with log._locked():
            log._commit(0, EMPTY_ROOT)
        return log

    @classmethod
    def open(cls, path: str | Path, *, writable: bool = False) -> FileLog:
        path = Path(path).expanduser()
        meta_path = path / "log.json"
        if not meta_path.is_file():
            raise AccordError(
                f"no transparency log at {path}",
                fix="append something first (`accord log append FILE`), or pass the right --log-dir",
            )
        try:
            meta = json.loads(meta_path.read_text())
            origin = meta["origin"]
        except (ValueError, KeyError) as exc:
            raise StoreError(f"unreadable log metadata {meta_path}") from exc
        if meta.get("version") != FORMAT_VERSION:
            raise StoreError(f"log format version {meta.get('version')} is not supported by this accord")
        log = cls(path, origin, writable=writable)
        if writable:
            try:
                with log._locked():
                    pass  # recovery runs inside the lock
            except BaseException:
                log.close()
                raise
        return log

    @classmethod
    def open_or_create(cls, path: str | Path, origin: str | None = None) -> FileLog:
        path = Path(path).expanduser()
        if (path / "log.json").is_file():
            log = cls.open(path, writable=True)
            if origin and origin != log.origin:
                raise AccordError(f"the log at {path} has origin '{log.origin}', not '{origin}'")
            return log
        return cls.create(path, origin or default_origin())

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds = {}

    def __enter__(self) -> FileLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- state and recovery --------------------------------------------------------------

    def _read_state(self) -> tuple[int, bytes]:
        try:
            state = json.loads((self.path / "state.json").read_text())
            return int(state["size"]), bytes.fromhex(state["root"])
        except FileNotFoundError:
            return 0, EMPTY_ROOT
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreError(f"unreadable log state in {self.path}") from exc

    def _commit(self, size: int, root: bytes) -> None:
        _atomic_write(self.path / "state.json", json.dumps({"size": size, "root": root.hex()}).encode())
        self.size, self._root = size, root

    @contextmanager
    def _locked(self) -> Iterator[None]:
        if not self.writable:
            raise AccordError("this log was opened read-only")
        try:
            import fcntl
        except ImportError:  # not POSIX: one writer at a time is then the caller's duty
            self._recover()
            yield
            return
        with open(self.path / "lock", "a") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                self._recover()
                yield
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    def signed_floor(self) -> tuple[int, bytes] | None:
        """(size, root) of the newest checkpoint this log signed, or None if it never signed one.

        ``checkpoint.latest`` is the record; the ``checkpoint`` note (its signed text, which
        names this origin) also counts, so a log signed before that file existed is covered.
        """
        best: tuple[int, bytes] | None = None
        latest = self.path / "checkpoint.latest"
        if latest.is_file():
            try:
                doc = json.loads(latest.read_text())
                best = (int(doc["size"]), bytes.fromhex(doc["root"]))
            except (ValueError, KeyError, TypeError) as exc:
                raise StoreError(
                    f"log {self.path} is damaged: unreadable {latest.name}",
                    fix="restore the log directory from a backup",
                ) from exc
        note = self.latest_checkpoint()
        if note is not None:
            try:
                from accord.attest._note import parse_note

                cp = Checkpoint.from_text(parse_note(note).text)
            except AccordError:
                cp = None
            if cp is not None and cp.origin == self.origin and (best is None or cp.size > best[0]):
                best = (cp.size, cp.root)
        return best

    def check_not_rolled_back(self) -> None:
        """Refuse a committed state older than the newest checkpoint this log signed.

        Raises ``StoreError`` (never truncates): a restored ``state.json`` or a cut entries
        file would otherwise let the next append overwrite entries a signed checkpoint covers.
        """
        floor = self.signed_floor()
        if floor is None:
            return
        size, root = floor
        if self.size < size:
            raise StoreError(
                f"log {self.path} was rolled back: it commits {self.size} entries, but it signed a checkpoint of {size}",
                why="state.json (or the entries) is older than a checkpoint the log already published; "
                "appending now would replace entries that checkpoint covers",
                fix="restore the log directory (state.json, entries.*, tree.bin) from the backup that matches its "
                "latest checkpoint; nothing was changed",
            )
        if size and self._root_at(size) != root:
            raise StoreError(
                f"log {self.path} is damaged: its first {size} entries no longer hash to the root it signed",
                why="the history a published checkpoint covers has changed",
                fix="restore the log directory from a backup; nothing was changed",
            )

    def _root_at(self, size: int) -> bytes | None:
        """The stored tree's root at ``size``, or None when the tree is too short for it."""
        if tree_nodes(size) * HASH_SIZE > os.fstat(self._fds["tree.bin"]).st_size:
            return None
        return root_hash(self.node, size)

    def _recover(self) -> None:
        """Drop any torn tail past the committed size; check the committed tree is intact.

        First refuse a rollback below the newest signed checkpoint: nothing is truncated then.
        """
        self.size, self._root = self._read_state()
        self.check_not_rolled_back()
        n = self.size
        if n:
            off = self._offset(n - 1)
            head = os.pread(self._fds["entries.bin"], _LEN.size, off)
            if len(head) != _LEN.size:
                raise StoreError(f"log {self.path} is damaged: entry {n - 1} is missing")
            entries_end = off + _LEN.size + _LEN.unpack(head)[0]
        else:
            entries_end = 0
        for name, length in (
            ("entries.bin", entries_end),
            ("entries.idx", n * _OFF.size),
            ("tree.bin", tree_nodes(n) * HASH_SIZE),
        ):
            actual = os.fstat(self._fds[name]).st_size
            if actual < length:
                raise StoreError(
                    f"log {self.path} is damaged: {name} is shorter than its committed size",
                    fix="restore the log directory from a backup",
                )
            if actual > length:
                os.ftruncate(self._fds[name], length)
                os.fsync(self._fds[name])
        if self.root() != self._root:
            raise StoreError(f"log {self.path} is damaged: the stored tree does not match the committed root")
        if n and self.node(0, n - 1) != hashlib.sha256(b"\x00" + self.entry(n - 1)).digest():
            raise StoreError(f"log {self.path} is damaged: the last entry does not match its leaf hash")

    def audit(self) -> None:
        """Recompute every leaf and node from the entries (O(n)); raises ``StoreError`` on damage."""
        from accord.attest._merkle import MemoryTree

        ref = MemoryTree()
        for i in range(self.size):
            ref.append_hash(hashlib.sha256(b"\x00" + self.entry(i)).digest())
            if ref.levels[0][i] != self.node(0, i):
                raise StoreError(f"log {self.path} is damaged: entry {i} does not match its leaf hash")
        for level, row in enumerate(ref.levels):
            for j, h in enumerate(row):
                if self.node(level, j) != h:
                    raise StoreError(f"log {self.path} is damaged: tree node ({level}, {j}) is wrong")
        if ref.root() != self._root:
            raise StoreError(f"log {self.path} is damaged: the committed root does not match the entries")
        self.check_not_rolled_back()

    # -- reading -------------------------------------------------------------------------

    def node(self, level: int, index: int) -> bytes:
        data = os.pread(self._fds["tree.bin"], HASH_SIZE, node_position(level, index) * HASH_SIZE)
        if len(data) != HASH_SIZE:
            raise StoreError(f"log {self.path} is damaged: tree node ({level}, {index}) is missing")
        return data

    def leaf_hash(self, index: int) -> bytes:
        self._check_index(index)
        return self.node(0, index)

    def _offset(self, index: int) -> int:
        data = os.pread(self._fds["entries.idx"], _OFF.size, index * _OFF.size)
        if len(data) != _OFF.size:
            raise StoreError(f"log {self.path} is damaged: index of entry {index} is missing")
        return int(_OFF.unpack(data)[0])

    def entry(self, index: int) -> bytes:
        """The bytes of entry ``index`` exactly as appended."""
        self._check_index(index)
        off = self._offset(index)
        head = os.pread(self._fds["entries.bin"], _LEN.size, off)
        if len(head) != _LEN.size:
            raise StoreError(f"log {self.path} is damaged: entry {index} is missing", fix="restore the log directory from a backup")
        (length,) = _LEN.unpack(head)
        data = os.pread(self._fds["entries.bin"], length, off + _LEN.size)
        if len(data) != length:
            raise StoreError(f"log {self.path} is damaged: entry {index} is cut short", fix="restore the log directory from a backup")
        return data

    def verified_entry(self, index: int) -> bytes:
        """``entry(index)``, once its leaf hash and its path to the committed root check out.

        Raises ``VerificationError`` when the stored bytes or the tree were altered.
        """
        data = self.entry(index)
        leaf = hash_leaf(data)
        if leaf != self.node(0, index):
            raise VerificationError(
                f"log {self.path} is damaged: entry {index} does not match its leaf hash",
                why="the stored entry bytes were changed after they were appended",
                fix="run `accord log audit`; restore the log directory from a backup",
            )
        try:
            verify_inclusion(leaf, index, self.size, inclusion_proof(self.node, index, self.size), self._root)
        except ProofError as exc:
            raise VerificationError(
                f"log {self.path} is damaged: entry {index} is not under the committed root ({exc})",
                fix="run `accord log audit`; restore the log directory from a backup",
            ) from exc
        return data

    def verified_inclusion_proof(self, index: int, size: int, root: bytes) -> InclusionProof:
        """An inclusion proof of entry ``index`` in the tree of ``size``, checked against ``root``
        (and the entry's bytes against its leaf) before it is returned: a damaged tree raises
        ``VerificationError`` instead of producing a proof that cannot verify."""
        proof = self.inclusion_proof(index, size)
        if hash_leaf(self.entry(index)) != proof.leaf_hash:
            raise VerificationError(
                f"log {self.path} is damaged: entry {index} does not match its leaf hash",
                fix="run `accord log audit`; restore the log directory from a backup",
            )
        try:
            verify_inclusion(proof.leaf_hash, index, size, list(proof.hashes), root)
        except ProofError as exc:
            raise VerificationError(
                f"log {self.path} is damaged: the proof for entry {index} does not verify against the root of size {size} ({exc})",
                why="a stored tree hash was changed",
                fix="run `accord log audit`; restore the log directory from a backup",
            ) from exc
        return proof

    def _check_index(self, index: int) -> None:
        if not 0 <= index < self.size:
            raise InputError(f"entry {index} is not in the log", expected=f"0..{self.size - 1}", got=index)

    def root(self, size: int | None = None) -> bytes:
        size = self.size if size is None else size
        if not 0 <= size <= self.size:
            raise InputError(f"the log has {self.size} entries", field="size", got=size)
        return root_hash(self.node, size)

    def find(self, entry: bytes) -> int | None:
        """Index of the first entry equal to ``entry`` (scans leaf hashes), or None."""
        from accord.attest._merkle import hash_leaf

        target = hash_leaf(entry)
        chunk = 1 << 16
        for start in range(0, self.size, chunk):
            count = min(chunk, self.size - start)
            first = node_position(0, start)
            data = os.pread(self._fds["tree.bin"], (tree_nodes(start + count) - first) * HASH_SIZE, first * HASH_SIZE)
            pos = data.find(target)
            while pos >= 0:
                if pos % HASH_SIZE == 0:
                    p = first + pos // HASH_SIZE
                    i = max(start, p // 2 - 1)
                    while node_position(0, i) < p:
                        i += 1
                    if node_position(0, i) == p:
                        return i
                pos = data.find(target, pos + 1)
        return None

    def inclusion_proof(self, index: int, size: int | None = None) -> InclusionProof:
        size = self.size if size is None else size
        if not 0 < size <= self.size:
            raise InputError(f"the log has {self.size} entries", field="tree size", got=size)
        if not 0 <= index < size:
            raise InputError(f"entry {index} is not in a tree of size {size}", got=index)
        hashes = inclusion_proof(self.node, index, size)
        return InclusionProof(self.origin, index, size, self.node(0, index), tuple(hashes))

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> ConsistencyProof:
        new_size = self.size if new_size is None else new_size
        if not 0 < old_size <= new_size <= self.size:
            raise InputError(
                f"no consistency proof from {old_size} to {new_size}",
                expected=f"0 < old <= new <= {self.size}",
            )
        return ConsistencyProof(self.origin, old_size, new_size, tuple(consistency_proof(self.node, old_size, new_size)))

    # -- writing -------------------------------------------------------------------------

    def append(self, entry: bytes) -> int:
        """Append one entry; returns its index once it is durable."""
        return self.append_many([entry])

    def append_many(self, entries: Iterable[bytes]) -> int:
        """Append a batch atomically (all or none survive a crash); returns the first index."""
        batch = list(entries)
        if not batch:
            raise InputError("nothing to append")
        for e in batch:
            if len(e) > MAX_ENTRY:
                raise InputError(f"log entries are limited to {MAX_ENTRY} bytes", got=len(e))
        with self._locked():
            first = self.size
            self._write_batch(first, batch)
            new_size = first + len(batch)
            self._commit(new_size, root_hash(self.node, new_size))
        return first

    def _write_batch(self, first: int, batch: Sequence[bytes]) -> None:
        sha = hashlib.sha256
        fds = self._fds
        end = os.fstat(fds["entries.bin"]).st_size
        records = bytearray()
        offsets = bytearray()
        leaf_hashes: list[bytes] = []
        pack_len, pack_off = _LEN.pack, _OFF.pack
        for e in batch:
            offsets += pack_off(end + len(records))
            records += pack_len(len(e))
            records += e
            leaf_hashes.append(sha(b"\x00" + e).digest())
        os.pwrite(fds["entries.bin"], records, end)
        os.pwrite(fds["entries.idx"], offsets, first * _OFF.size)
        # Post-order: after each leaf, the subtrees it completes (one per trailing 1 bit).
        out = bytearray()
        stack = self._right_edge(first)  # hashes of the complete subtrees before `first`
        for i, h in enumerate(leaf_hashes, start=first):
            out += h
            n = i + 1
            while not n & 1:
                left = stack.pop()
                h = sha(NODE_PREFIX + left + h).digest()
                out += h
                n >>= 1
            stack.append(h)
        os.pwrite(fds["tree.bin"], out, tree_nodes(first) * HASH_SIZE)
        for name in ("entries.bin", "entries.idx", "tree.bin"):
            os.fsync(fds[name])

    def _right_edge(self, size: int) -> list[bytes]:
        """The perfect subtrees that make up a tree of ``size`` leaves, largest first."""
        stack: list[bytes] = []
        start = 0
        for level in range(size.bit_length() - 1, -1, -1):
            if size >> level & 1:
                stack.append(self.node(level, start >> level))
                start += 1 << level
        return stack

    def checkpoint(self, signers: Sequence[NoteSigner]) -> str:
        """Sign the current tree head as a C2SP checkpoint and keep it as ``checkpoint``."""
        with self._locked():
            cp = Checkpoint(self.origin, self.size, self._root)
            note = sign_note(cp.to_text(), signers)
            # The rollback floor first: a crash between the two leaves a floor the log meets.
            _atomic_write(self.path / "checkpoint.latest", json.dumps({"size": cp.size, "root": cp.root.hex()}).encode())
            _atomic_write(self.path / "checkpoint", note.encode())
        return note

    def latest_checkpoint(self) -> bytes | None:
        path = self.path / "checkpoint"
        return path.read_bytes() if path.is_file() else None


LOG_KEY_ENV = "ACCORD_LOG_SIGNING_KEY"
LOG_KEY_FILE_NAME = "log-signing-key.pem"


def default_log_key_path() -> Path:
    """Where ``accord keys init --log`` puts the log's checkpoint key (next to the attestation key)."""
    from accord.paths import user_config_dir

    return user_config_dir() / LOG_KEY_FILE_NAME


def load_log_signing_key(key_file: str | Path | None = None, *, warn: bool = True) -> tuple[SigningKey, bool]:
    """The key that signs this operator's log checkpoints, and whether it is the legacy fallback.

    ``--signing-key FILE``, else ``ACCORD_LOG_SIGNING_KEY``, else the key made by
    ``accord keys init --log``. The log key is separate from the attestation key, so a
    stolen or rotated attestation key does not let anyone sign log history (and the reverse).
    Logs set up before that keep working: with no log key at all, the attestation key signs,
    with a migration warning on stderr (when ``warn``).
    """
    import sys

    from accord.attest._keys import load_signing_key

    if key_file:
        return load_signing_key(key_file), False
    env = os.environ.get(LOG_KEY_ENV)
    if env:
        return SigningKey.from_text(env, source=f"${LOG_KEY_ENV}"), False
    path = default_log_key_path()
    if path.is_file():
        return load_signing_key(path), False
    key = load_signing_key()
    if warn:
        print(
            "warning: no separate log key, so checkpoints are signed with your attestation key (legacy setup). "
            "Migrate: run `accord keys init --log`, then give verifiers and witnesses the new log verifier key "
            "printed by `accord log info` (--trusted-log-key); earlier checkpoints stay valid under the old key.",
            file=sys.stderr,
            flush=True,
        )
    return key, True


def default_origin() -> str:
    """A unique origin for a new log: ``<host>/accord-log/<8 hex>``."""
    import socket

    host = "".join(c for c in socket.gethostname() if c.isalnum() or c in "-.") or "localhost"
    return f"{host}/accord-log/{os.urandom(4).hex()}"
