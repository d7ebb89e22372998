"""Key storage: mode 0600, no silent overwrite, CI formats, never printed."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest

from accord.attest._keys import (
    ENV_VAR,
    SigningKey,
    default_key_path,
    init_key,
    load_public_keys,
    load_signing_key,
)
from accord.errors import AccordError, InputError


def test_init_writes_0600_and_refuses_overwrite() -> None:
    key = init_key()
    path = default_key_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_signing_key().public == key.public
    with pytest.raises(AccordError, match="already exists"):
        init_key()
    assert load_signing_key().public == key.public
    assert init_key(force=True).public != key.public


def test_missing_key_says_how_to_fix() -> None:
    with pytest.raises(AccordError) as info:
        load_signing_key()
    assert "accord keys init" in info.value.diagnostics()


def test_env_formats(monkeypatch: pytest.MonkeyPatch) -> None:
    key = SigningKey.generate()
    seed = key._private.private_bytes_raw()
    for text in (key.to_pem().decode(), base64.b64encode(seed).decode(), seed.hex()):
        monkeypatch.setenv(ENV_VAR, text)
        assert load_signing_key().public == key.public
    monkeypatch.setenv(ENV_VAR, "not a key")
    with pytest.raises(InputError):
        load_signing_key()


def test_key_file_and_public_key_file(tmp_path: Path) -> None:
    key = SigningKey.generate()
    (tmp_path / "k.pem").write_bytes(key.to_pem())
    assert load_signing_key(tmp_path / "k.pem").public == key.public
    other = SigningKey.generate().public
    (tmp_path / "trust").write_text(f"# signers\n{key.public.vkey('me')}\n{other.pem()}\n")
    keys = load_public_keys([str(tmp_path / "trust"), key.public.raw.hex()])
    assert [k.raw for k in keys] == [other.raw, key.public.raw, key.public.raw]


def test_repr_hides_the_key() -> None:
    key = SigningKey.generate()
    assert key.to_pem().decode() not in repr(key)
    assert "PRIVATE" not in repr(key)


def test_default_log_keys_apply_under_the_log_origin(tmp_path: Path) -> None:
    """`--trusted-key accord+...` (what `keys show` prints) verifies checkpoints signed as the origin;
    an explicit --trusted-log-key keeps its name, and a wrong name is explained with the right key."""
    from accord.attest._keys import trusted_keys
    from accord.attest._note import Checkpoint, Ed25519Signer, log_verifiers, sign_note, verify_checkpoint
    from accord.errors import VerificationError

    key = SigningKey.generate()
    origin = "test.example/log"
    note = sign_note(Checkpoint(origin, 1, b"\x01" * 32).to_text(), [Ed25519Signer(origin, key)])
    shown = key.public.vkey()  # "accord+<id>+<key>", the attestation key line
    assert shown.startswith("accord+")

    signers, log_keys = trusted_keys([shown], None)
    assert signers[0].name == "accord" and all(k.name is None for k in log_keys)
    assert verify_checkpoint(note, log_verifiers(log_keys, origin)).size == 1

    _, explicit = trusted_keys([shown], None, [shown])
    with pytest.raises(VerificationError) as caught:
        verify_checkpoint(note, log_verifiers(explicit, origin))
    text = caught.value.diagnostics()
    assert "under the name 'test.example/log'" in text and key.public.vkey(origin) in text

    _, right = trusted_keys([shown], None, [key.public.vkey(origin)])
    assert verify_checkpoint(note, log_verifiers(right, origin)).origin == origin
    # A stranger's key, named or not, still proves nothing.
    stranger = SigningKey.generate().public
    with pytest.raises(VerificationError, match="no trusted key"):
        verify_checkpoint(note, log_verifiers(trusted_keys([stranger.vkey()], None)[1], origin))


def test_keys_init_never_writes_through_a_symlink_at_the_old_temp_name(tmp_path: Path) -> None:
    """Finding 13: a symlink planted at ``<key>.tmp`` (the name accord used to write) is left alone."""
    victim = tmp_path / "victim.txt"
    victim.write_text("do not touch\n")
    path = tmp_path / "keys" / "signing-key.pem"
    path.parent.mkdir()
    (path.parent / "signing-key.pem.tmp").symlink_to(victim)
    key = init_key(path)
    assert victim.read_text() == "do not touch\n"
    assert not path.is_symlink() and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_signing_key(path).public == key.public


def test_a_symlink_at_the_chosen_temp_name_is_not_followed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """O_EXCL|O_NOFOLLOW: even when the temp name is guessed and planted, nothing is written through it."""
    from accord.attest import _keys

    victim = tmp_path / "victim.txt"
    victim.write_text("do not touch\n")
    planted = tmp_path / "planted.tmp"
    planted.symlink_to(victim)
    fresh = iter([planted, tmp_path / "fresh.tmp"])
    monkeypatch.setattr(_keys, "_temp_path", lambda path: next(fresh))
    path = tmp_path / "signing-key.pem"
    key = init_key(path)
    assert victim.read_text() == "do not touch\n"
    assert planted.is_symlink() and planted.resolve() == victim.resolve()
    assert not path.is_symlink() and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_signing_key(path).public == key.public
    assert not (tmp_path / "fresh.tmp").exists()
    # Every name taken: refuse, still writing nothing anywhere.
    monkeypatch.setattr(_keys, "_temp_path", lambda path: planted)
    with pytest.raises(AccordError, match="temporary file"):
        init_key(tmp_path / "other.pem")
    assert victim.read_text() == "do not touch\n" and not (tmp_path / "other.pem").exists()


def test_a_symlink_at_the_key_path_is_an_existing_key(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("do not touch\n")
    path = tmp_path / "signing-key.pem"
    path.symlink_to(victim)
    with pytest.raises(AccordError, match="already exists"):
        init_key(path)
    assert victim.read_text() == "do not touch\n"


def test_a_key_file_others_can_read_loads_with_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Finding 13: a 0644 key still loads, and stderr names the file and the fix."""
    key = SigningKey.generate()
    path = tmp_path / "k.pem"
    path.write_bytes(key.to_pem())
    path.chmod(0o644)
    assert load_signing_key(path).public == key.public
    err = capsys.readouterr().err
    assert str(path) in err and "chmod 600" in err and "0644" in err
    path.chmod(0o600)
    assert load_signing_key(path).public == key.public
    assert capsys.readouterr().err == ""
    default = init_key()
    default_key_path().chmod(0o640)
    assert load_signing_key().public == default.public
    err = capsys.readouterr().err
    assert str(default_key_path()) in err and "chmod 600" in err
