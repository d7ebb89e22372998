"""``accord log witness`` and ``accord verify --witness/--min-witnesses`` end to end, and the separate log key."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli.main import app
from accord.errors import ExitCode, VerificationError

runner = CliRunner()


def run(*args: str, ok: bool = True):  # type: ignore[no-untyped-def]
    result = runner.invoke(app, list(args), catch_exceptions=True)
    if ok and result.exit_code != 0:
        raise AssertionError(f"accord {' '.join(args)} failed: {result.output}\n{result.exception!r}")
    return result


def _envelope(tmp_path: Path) -> Path:
    from accord.attest import eval_statement, load_signing_key, sign_statement

    st = eval_statement(
        run={
            "run_id": "run-w",
            "target": "replay:demo",
            "target_digest": "sha256:" + "ab" * 32,
            "suites": [{"suite_id": "demo", "digest": "sha256:" + "cd" * 32, "n_items": 1}],
            "status": "complete",
            "created_at": "2026-11-23T10:00:00Z",
        },
        counts={"responses": 1, "ok": 1, "blocked": 0, "errors": 0},
        accord_version="0.1.0",
    )
    env = tmp_path / "run.intoto.json"
    env.write_bytes(sign_statement(st, load_signing_key()).to_json())
    return env


@pytest.fixture
def setup(tmp_path: Path) -> dict:
    run("keys", "init")
    run("keys", "init", "--log")
    w: dict = {"tmp": tmp_path, "log": str(tmp_path / "log")}
    w["attpub"] = tmp_path / "att.pub"
    w["attpub"].write_text(run("keys", "show", "--pem").output)
    for n, name in (("w1", "w1.example/a"), ("w2", "w2.example/b")):
        key = tmp_path / f"{n}.pem"
        run("keys", "init", "-o", str(key))
        shown = json.loads(run("keys", "show", "--signing-key", str(key), "--witness-name", name, "--json").output)
        w[n] = {"key": str(key), "name": name, "vkey": shown["witness_vkey"], "state": str(tmp_path / f"{n}.state.json")}
    w["env"] = _envelope(tmp_path)
    return w


def _witness(w: dict, who: str, ckpt: Path, out: Path, *extra: str, ok: bool = True):  # type: ignore[no-untyped-def]
    wd = w[who]
    return run(
        "log", "witness", str(ckpt), "--name", wd["name"], "--signing-key", wd["key"], "--trusted-key", w["logvkey"],
        "--state", wd["state"], "-o", str(out), *extra, ok=ok,
    )  # fmt: skip


def test_two_witnesses_cosign_a_growing_log_and_verify_enforces_k_of_n(setup: dict) -> None:
    w, tmp = setup, setup["tmp"]
    run("log", "append", str(w["env"]), "--log-dir", w["log"], "--origin", "test.example/log")
    info = json.loads(run("log", "info", "--log-dir", w["log"], "--json").output)
    w["logvkey"] = info["log_vkey"]
    assert info["log_key_is_attestation_key"] is False
    # The log key is not the attestation key.
    att = json.loads(run("keys", "show", "--log-dir", w["log"], "--json").output)
    assert att["vkey"].split("+")[2] != info["log_vkey"].split("+")[2]
    assert att["log_vkey"] == info["log_vkey"]

    c1 = tmp / "c1"
    run("log", "checkpoint", "--log-dir", w["log"], "-o", str(c1))
    _witness(w, "w1", c1, tmp / "c1.a")
    _witness(w, "w2", tmp / "c1.a", tmp / "c1.ab")

    # The log grows; w1 checks consistency from the log directory, w2 from a proof file.
    extra = tmp / "more"
    extra.write_text("more")
    run("log", "append", str(extra), "--log-dir", w["log"])
    c2 = tmp / "c2"
    run("log", "checkpoint", "--log-dir", w["log"], "-o", str(c2))
    _witness(w, "w1", c2, tmp / "c2.a", "--log-dir", w["log"])
    cons = tmp / "cons.json"
    run("log", "consistency", str(c1), str(c2), "--log-dir", w["log"], "--trusted-key", w["logvkey"], "-o", str(cons))
    res = _witness(w, "w2", tmp / "c2.a", tmp / "c2.ab", "--proof", str(cons), "--json")
    doc = json.loads(res.stdout)
    assert doc["cosigned"] and doc["previous_size"] == 1 and doc["size"] == 2

    proof = tmp / "p.tlog"
    run("log", "prove", "0", "--log-dir", w["log"], "--checkpoint", str(tmp / "c2.ab"), "--format", "tlog", "-o", str(proof))
    base = ["verify", str(w["env"]), "--trusted-key", str(w["attpub"]), "--trusted-log-key", w["logvkey"], "--proof", str(proof)]
    out = run(*base, "--witness", w["w1"]["vkey"], "--witness", w["w2"]["vkey"], "--min-witnesses", "2").output
    assert "2 of 2 trusted witnesses cosigned" in out
    # A witness-key file, and the same with --log-checkpoint + a JSON proof.
    wfile = tmp / "witnesses.txt"
    wfile.write_text(f"# our witnesses\n{w['w1']['vkey']}\n{w['w2']['vkey']}\n")
    jproof = tmp / "p.json"
    run("log", "prove", "0", "--log-dir", w["log"], "--checkpoint", str(tmp / "c2.ab"), "-o", str(jproof))
    run("verify", str(w["env"]), "--trusted-key", str(w["attpub"]), "--trusted-log-key", w["logvkey"], "--log-checkpoint", str(tmp / "c2.ab"),
        "--proof", str(jproof), "--witness", str(wfile), "--min-witnesses", "2")  # fmt: skip
    # Only w1 cosigned c2.a: 2-of-2 fails, 1-of-2 passes.
    proof_a = tmp / "pa.tlog"
    run("log", "prove", "0", "--log-dir", w["log"], "--checkpoint", str(tmp / "c2.a"), "--format", "tlog", "-o", str(proof_a))
    base_a = [*base[:-1], str(proof_a)]
    short = run(*base_a, "--witness", str(wfile), "--min-witnesses", "2", ok=False)
    assert isinstance(short.exception, VerificationError) and "1 of the trusted witnesses, 2 required" in str(short.exception)
    run(*base_a, "--witness", str(wfile))

    # The operator forks: same origin and log key, size 2, other history. No witness cosigns it.
    forked = tmp / "forked"
    forked.mkdir()
    shutil.copy(Path(w["log"]) / "log.json", forked / "log.json")
    other = tmp / "other"
    other.write_text("other")
    run("log", "append", str(w["env"]), str(other), "--log-dir", str(forked))
    fork_ckpt = tmp / "fork"
    run("log", "checkpoint", "--log-dir", str(forked), "-o", str(fork_ckpt))
    refused = _witness(w, "w1", fork_ckpt, tmp / "fork.a", ok=False)
    assert isinstance(refused.exception, VerificationError) and "fork" in str(refused.exception)
    assert not (tmp / "fork.a").exists()
    as_json = _witness(w, "w2", fork_ckpt, tmp / "fork.b", "--json", ok=False)
    assert as_json.exit_code == ExitCode.CHECK_FAILED and json.loads(as_json.stdout)["cosigned"] is False
    fork_proof = tmp / "fork.tlog"
    run("log", "prove", "0", "--log-dir", str(forked), "--checkpoint", str(fork_ckpt), "--format", "tlog", "-o", str(fork_proof))
    run(*base[:-1], str(fork_proof))  # the log signature alone cannot tell ...
    caught = run(*base[:-1], str(fork_proof), "--witness", w["w1"]["vkey"], "--min-witnesses", "1", ok=False)
    assert isinstance(caught.exception, VerificationError)  # ... the witness policy can
    # A rollback (an older, smaller checkpoint) is refused too.
    back = _witness(w, "w1", c1, tmp / "c1.again", ok=False)
    assert isinstance(back.exception, VerificationError) and "rollback" in str(back.exception)


def test_witness_key_must_not_be_the_log_key(setup: dict) -> None:
    w, tmp = setup, setup["tmp"]
    run("log", "append", str(w["env"]), "--log-dir", w["log"])
    w["logvkey"] = json.loads(run("log", "info", "--log-dir", w["log"], "--json").output)["log_vkey"]
    c = tmp / "c"
    run("log", "checkpoint", "--log-dir", w["log"], "-o", str(c))
    from accord.attest._log import default_log_key_path

    same = run("log", "witness", str(c), "--name", "w", "--signing-key", str(default_log_key_path()), "--trusted-key", w["logvkey"],
               "--state", str(tmp / "s.json"), ok=False)  # fmt: skip
    assert "own key" in str(same.exception.diagnostics() if hasattr(same.exception, "diagnostics") else same.exception)
    nokey = run("log", "witness", str(c), "--name", "w", "--signing-key", w["w1"]["key"], "--state", str(tmp / "s.json"), ok=False)
    assert "no log key" in str(nokey.exception)
    nocp = run("verify", str(w["env"]), "--trusted-key", str(w["attpub"]), "--witness", w["w1"]["vkey"], ok=False)
    assert nocp.exit_code != 0 and "log checkpoint" in str(nocp.exception)


def test_legacy_log_keeps_working_with_a_migration_message(tmp_path: Path) -> None:
    run("keys", "init")
    logdir = str(tmp_path / "log")
    f = tmp_path / "e"
    f.write_text("e")
    run("log", "append", str(f), "--log-dir", logdir)
    old = run("log", "checkpoint", "--log-dir", logdir, "-o", str(tmp_path / "c1"))
    assert "accord keys init --log" in old.output + getattr(old, "stderr", "")
    info = json.loads(run("log", "info", "--log-dir", logdir, "--json").output)
    assert info["log_key_is_attestation_key"] is True
    # Migrating: a separate log key; the next checkpoint says the key changed and which to trust.
    run("keys", "init", "--log")
    new = run("log", "checkpoint", "--log-dir", logdir, "-o", str(tmp_path / "c2"))
    text = new.output + getattr(new, "stderr", "")
    assert "checkpoint key changed" in text and "no separate log key" not in text
    info2 = json.loads(run("log", "info", "--log-dir", logdir, "--json").output)
    assert info2["log_key_is_attestation_key"] is False and info2["log_vkey"] != info["log_vkey"]
