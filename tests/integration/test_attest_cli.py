"""The attest CLI end to end: keys, a stored run, attest, log, prove, verify, consistency.

Runs the real typer app (``accord.cli.main.app``) against a real SQLite store and a real log
directory; one test goes through the installed ``accord`` entry point for exit codes.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli.main import app
from accord.errors import AccordError, ExitCode, VerificationError

runner = CliRunner()


def run(*args: str, ok: bool = True) -> object:
    result = runner.invoke(app, list(args), catch_exceptions=True)
    if ok and result.exit_code != 0:
        raise AssertionError(f"accord {' '.join(args)} failed: {result.output}\n{result.exception!r}")
    return result


@pytest.fixture
def stored_run(sqlite_url: str) -> str:
    from accord.records import Message, Response
    from accord.store import RunInfo, Store, SuiteRef

    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    with Store.open(sqlite_url) as store:
        info = RunInfo(
            run_id="run-attest-1",
            created_at=now,
            updated_at=now,
            status="complete",
            target="replay:demo",
            target_digest="sha256:" + "ab" * 32,
            suites=[SuiteRef(suite_id="demo", digest="sha256:" + "cd" * 32, n_items=2)],
            n_items=2,
        )
        store.create_or_resume_run(info)
        store.add_responses(
            [
                Response(run_id=info.run_id, suite_id="demo", item_id=str(i), messages=[Message(role="user", content="hi")], output="no")
                for i in range(2)
            ]
        )
    return sqlite_url


def test_keys_init_show_and_no_overwrite(tmp_path: Path) -> None:
    out = run("keys", "init").output
    assert "PRIVATE" not in out and "verifier key" in out
    again = run("keys", "init", ok=False)
    assert isinstance(again.exception, AccordError) and "already exists" in str(again.exception)
    shown = json.loads(run("keys", "show", "--json").output)
    assert shown["keyid"] in out and "PRIVATE" not in json.dumps(shown)


def test_attest_log_prove_verify(stored_run: str, tmp_path: Path) -> None:
    run("keys", "init")
    pub = tmp_path / "signer.pub"
    pub.write_text(run("keys", "show", "--pem").output)
    env = tmp_path / "run.intoto.json"
    report = tmp_path / "report.html"
    report.write_text("<html>report</html>")
    logdir = str(tmp_path / "log")
    run("attest", "run-attest-1", "-o", str(env), "--report", str(report), "--db", stored_run)
    out = run("verify", str(env), "--trusted-key", str(pub)).output
    assert "run-attest-1" in out and "suite:demo" in out and "report:report.html" in out

    run("log", "append", str(env), "--log-dir", logdir, "--origin", "test.example/log")
    ckpt, proof, tlog = tmp_path / "ckpt", tmp_path / "proof.json", tmp_path / "proof.tlog"
    run("log", "checkpoint", "--log-dir", logdir, "-o", str(ckpt))
    run("log", "prove", str(env), "--log-dir", logdir, "-o", str(proof))
    run("log", "prove", "0", "--log-dir", logdir, "--format", "tlog", "-o", str(tlog))
    out = run("verify", str(env), "--trusted-key", str(pub), "--log-checkpoint", str(ckpt), "--proof", str(proof)).output
    assert "entry 0 of 1 in test.example/log" in out
    run("verify", str(env), "--trusted-key", str(pub), "--proof", str(tlog))
    copy = tmp_path / "copy.json"
    run("log", "get", "0", "--log-dir", logdir, "-o", str(copy))
    assert copy.read_bytes() == env.read_bytes()
    assert "ok: 1 entries" in run("log", "audit", "--log-dir", logdir).output

    # A different key: the message points at the key, not at the file.
    other_private = tmp_path / "other.pem"
    run("keys", "init", "--out", str(other_private))
    leaked = run("verify", str(env), "--trusted-key", str(other_private), ok=False)
    assert "private key" in str(leaked.exception)
    other = tmp_path / "other.pub"
    other.write_text(run("keys", "show", "--signing-key", str(other_private), "--pem").output)
    wrong = run("verify", str(env), "--trusted-key", str(other), ok=False)
    assert isinstance(wrong.exception, VerificationError) and "wrong key" in wrong.exception.diagnostics()
    # A checkpoint from another log key: the message points at the log key.
    bad = run("verify", str(env), "--trusted-key", str(pub), "--trusted-log-key", str(other), "--log-checkpoint", str(ckpt), "--proof", str(proof), ok=False)
    assert isinstance(bad.exception, VerificationError) and "wrong log key" in bad.exception.diagnostics()


def test_consistency_catches_rewritten_history(tmp_path: Path) -> None:
    run("keys", "init")
    logdir = tmp_path / "log"
    files = []
    for i in range(5):
        f = tmp_path / f"e{i}"
        f.write_text(f"entry {i}")
        files.append(str(f))
    run("log", "append", *files[:3], "--log-dir", str(logdir))
    old = tmp_path / "old.ckpt"
    run("log", "checkpoint", "--log-dir", str(logdir), "-o", str(old))
    run("log", "append", *files[3:], "--log-dir", str(logdir))
    new = tmp_path / "new.ckpt"
    run("log", "checkpoint", "--log-dir", str(logdir), "-o", str(new))
    proof = tmp_path / "cons.json"
    assert "consistent" in run("log", "consistency", str(old), str(new), "--log-dir", str(logdir), "-o", str(proof)).output
    run("log", "consistency", str(old), str(new), "--proof", str(proof))

    # The operator rebuilds the log with entry 1 changed, same origin and key, and re-signs.
    forged = tmp_path / "forged"
    forged.mkdir()
    shutil.copy(logdir / "log.json", forged / "log.json")
    Path(files[1]).write_text("entry 1, rewritten")
    from accord.attest._log import FileLog

    with FileLog.open(forged, writable=True) as log:
        log.append_many([Path(f).read_bytes() for f in files])
    forged_new = tmp_path / "forged.ckpt"
    run("log", "checkpoint", "--log-dir", str(forged), "-o", str(forged_new))
    caught = run("log", "consistency", str(old), str(forged_new), "--log-dir", str(forged), ok=False)
    assert isinstance(caught.exception, VerificationError)
    assert "rewritten" in caught.exception.diagnostics()


def test_entry_point_exit_code_and_message(tmp_path: Path) -> None:
    env = tmp_path / "bad.json"
    env.write_text('{"payload": "", "payloadType": "x", "signatures": []}\n')
    key = tmp_path / "k.pub"
    from accord.attest import SigningKey

    key.write_text(SigningKey.generate().public.pem())
    proc = subprocess.run(
        [sys.executable, "-m", "accord.cli.main", "verify", str(env), "--trusted-key", str(key)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "no signatures" in proc.stderr and "Traceback" not in proc.stderr


@pytest.fixture
def suites_app() -> object:
    """A ``suites`` group holding the commit-reveal commands, as the suites CLI registers them."""
    import typer

    from accord.cli.suites_commit import register

    group = typer.Typer()
    register(group)
    root = typer.Typer()
    root.add_typer(group, name="suites")
    return root


@pytest.fixture
def suite_files(tmp_path: Path) -> dict[str, Path]:
    """Two small private suites as JSONL files (benign placeholder prompts)."""
    out = {}
    for name in ("private-a", "private-b"):
        path = tmp_path / f"{name}.jsonl"
        path.write_text("".join(json.dumps({"id": str(i), "prompt": f"{name} question {i}"}) + "\n" for i in range(3)))
        out[name] = path
    return out


def test_commit_reveal_verify(suites_app: object, suite_files: dict[str, Path], tmp_path: Path) -> None:
    def srun(*args: str, ok: bool = True) -> object:
        result = runner.invoke(suites_app, ["suites", *args])  # type: ignore[arg-type]
        if ok and result.exit_code != 0:
            raise AssertionError(f"{args}: {result.output}\n{result.exception!r}")
        return result

    run("keys", "init")
    pub = tmp_path / "signer.pub"
    pub.write_text(run("keys", "show", "--pem").output)
    logdir = str(tmp_path / "log")
    a, b = str(suite_files["private-a"]), str(suite_files["private-b"])
    out = srun("commit", a, "--log-dir", logdir).output
    assert "commitment" in out and "entry 0" in out
    # Evaluation attested and logged after the commitment.
    from accord.attest import SigningKey, eval_statement, load_signing_key, sign_statement
    from accord.suites import load_suite

    digest = load_suite(a).digest
    run_doc = {"run_id": "r", "target": "t", "target_digest": "sha256:" + "00" * 32,
               "suites": [{"suite_id": "private-a", "digest": digest, "n_items": 3}]}
    env = tmp_path / "eval.json"
    env.write_bytes(sign_statement(eval_statement(run=run_doc, counts={}, accord_version="0.1.0"), load_signing_key()).to_json())
    run("log", "append", str(env), "--log-dir", logdir)
    reveal = tmp_path / "a.reveal.json"
    srun("reveal", a, "--log-dir", logdir, "-o", str(reveal))
    proof = tmp_path / "eval.tlog"
    run("log", "prove", str(env), "--log-dir", logdir, "--format", "tlog", "-o", str(proof))
    out = srun("verify-reveal", str(reveal), "--trusted-key", str(pub), "--suite", a,
               "--attestation", str(env), "--attestation-proof", str(proof)).output
    assert "matches the suite you hold" in out and "after the commitment" in out
    wrong = srun("verify-reveal", str(reveal), "--trusted-key", str(pub), "--suite", b, ok=False)
    assert isinstance(wrong.exception, VerificationError)
    wrong_json = srun("verify-reveal", str(reveal), "--trusted-key", str(pub), "--suite", b, "--json", ok=False)
    assert wrong_json.exit_code == ExitCode.CHECK_FAILED and json.loads(wrong_json.stdout)["ok"] is False
    stranger = srun("verify-reveal", str(reveal), "--trusted-key", SigningKey.generate().public.vkey(), ok=False)
    assert isinstance(stranger.exception, VerificationError)
    never = srun("reveal", b, "--log-dir", logdir, ok=False)
    assert isinstance(never.exception, AccordError) and "no commitment" in str(never.exception)
    # The suite changes after the commitment: reveal refuses (its digest no longer matches).
    suite_files["private-a"].write_text(suite_files["private-a"].read_text().replace("question 2", "question two"))
    changed = srun("reveal", a, "--log-dir", logdir, ok=False)
    assert isinstance(changed.exception, AccordError)


def test_bad_inputs_name_the_file(stored_run: str, tmp_path: Path) -> None:
    """Each user-fixable mistake is an AccordError that names the file or field at fault."""
    from accord.attest import SigningKey

    pub = tmp_path / "k.pub"
    pub.write_text(SigningKey.generate().public.pem())
    not_json = tmp_path / "notes.txt"
    not_json.write_text("hello\n")
    caught = run("verify", str(not_json), "--trusted-key", str(pub), ok=False)
    assert isinstance(caught.exception, VerificationError) and str(not_json) in str(caught.exception)
    run("keys", "init")
    # attest only reads the store: a mistyped --db is an error, not a new empty database
    missing_db = tmp_path / "nowhere" / "x.db"
    caught = run("attest", "run-attest-1", "--db", f"sqlite:///{missing_db}", ok=False)
    assert isinstance(caught.exception, AccordError) and str(missing_db) in str(caught.exception)
    assert not missing_db.parent.exists()
    logdir = str(tmp_path / "log")
    run("log", "append", str(not_json), "--log-dir", logdir)
    run("log", "checkpoint", "--log-dir", logdir)
    caught = run("log", "prove", "5", "--log-dir", logdir, ok=False)
    assert isinstance(caught.exception, AccordError) and "not in the log" in str(caught.exception)


def test_reveal_with_a_bad_secret_file(suites_app: object, suite_files: dict[str, Path], tmp_path: Path) -> None:
    a = str(suite_files["private-a"])
    for path, text in (("absent.json", None), ("broken.json", "{"), ("other.json", '{"salt": "x"}')):
        secret = tmp_path / path
        if text is not None:
            secret.write_text(text)
        result = runner.invoke(suites_app, ["suites", "reveal", a, "--secret", str(secret)])  # type: ignore[arg-type]
        assert result.exit_code != 0
        assert isinstance(result.exception, AccordError) and str(secret) in str(result.exception)


def test_verify_reveal_across_two_checkpoints(suites_app: object, suite_files: dict[str, Path], tmp_path: Path) -> None:
    """Reveal proven at size 1, evaluation at size 2: verify-reveal wants --consistency, then passes."""
    from accord.attest import eval_statement, load_signing_key, sign_statement
    from accord.suites import load_suite

    def srun(*args: str, ok: bool = True) -> object:
        result = runner.invoke(suites_app, ["suites", *args])  # type: ignore[arg-type]
        if ok and result.exit_code != 0:
            raise AssertionError(f"{args}: {result.output}\n{result.exception!r}")
        return result

    run("keys", "init")
    pub = tmp_path / "signer.pub"
    pub.write_text(run("keys", "show", "--pem").output)
    logdir = str(tmp_path / "log")
    a = str(suite_files["private-a"])
    srun("commit", a, "--log-dir", logdir)
    reveal = tmp_path / "a.reveal.json"
    srun("reveal", a, "--log-dir", logdir, "-o", str(reveal))  # signs a checkpoint of size 1
    run_doc = {"run_id": "r", "target": "t", "target_digest": "sha256:" + "00" * 32,
               "suites": [{"suite_id": "private-a", "digest": load_suite(a).digest, "n_items": 3}]}
    env = tmp_path / "eval.json"
    env.write_bytes(sign_statement(eval_statement(run=run_doc, counts={}, accord_version="0.1.0"), load_signing_key()).to_json())
    run("log", "append", str(env), "--log-dir", logdir)
    new = tmp_path / "new.ckpt"
    run("log", "checkpoint", "--log-dir", logdir, "-o", str(new))
    proof = tmp_path / "eval.tlog"
    run("log", "prove", str(env), "--log-dir", logdir, "--format", "tlog", "-o", str(proof))
    args = ["verify-reveal", str(reveal), "--trusted-key", str(pub), "--attestation", str(env), "--attestation-proof", str(proof)]
    missing = srun(*args, ok=False)
    assert isinstance(missing.exception, VerificationError)
    assert "--consistency" in missing.exception.diagnostics()
    old = tmp_path / "old.ckpt"
    old.write_text(json.loads(reveal.read_text())["checkpoint"])
    cons = tmp_path / "consistency.json"
    run("log", "consistency", str(old), str(new), "--log-dir", logdir, "-o", str(cons))
    assert "after the commitment" in srun(*args, "--consistency", str(cons)).output


def test_checkpoint_verifies_with_the_keys_that_keys_show_prints(tmp_path: Path) -> None:
    """keys init -> log append -> checkpoint -> verify, using only lines the CLI printed."""
    from accord.attest import eval_statement, load_signing_key, sign_statement

    def line(output: str, label: str) -> str:
        return next(row.split(":", 1)[1].split()[0] for row in output.splitlines() if row.startswith(label + ":"))

    run("keys", "init")
    logdir = str(tmp_path / "log")
    run_doc = {"run_id": "r", "target": "t", "target_digest": "sha256:" + "00" * 32,
               "suites": [{"suite_id": "s", "digest": "sha256:" + "11" * 32, "n_items": 1}]}
    env = tmp_path / "eval.json"
    env.write_bytes(sign_statement(eval_statement(run=run_doc, counts={}, accord_version="0.1.0"), load_signing_key()).to_json())
    shown = run("keys", "show", "--log-dir", logdir).output
    assert "no log at" in shown
    run("log", "append", str(env), "--log-dir", logdir, "--origin", "test.example/log")
    ckpt, proof = tmp_path / "ckpt", tmp_path / "proof.json"
    run("log", "checkpoint", "--log-dir", logdir, "-o", str(ckpt))
    run("log", "prove", "0", "--log-dir", logdir, "-o", str(proof))
    shown = run("keys", "show", "--log-dir", logdir).output
    vkey, log_vkey = line(shown, "verifier key"), line(shown, "log verifier key")
    assert vkey.startswith("accord+") and log_vkey.startswith("test.example/log+")
    assert line(run("log", "info", "--log-dir", logdir).output, "log key") == log_vkey
    assert json.loads(run("keys", "show", "--json", "--log-dir", logdir).output)["log_vkey"] == log_vkey
    base = ["verify", str(env), "--trusted-key", vkey, "--log-checkpoint", str(ckpt), "--proof", str(proof)]
    assert "entry 0 of 1 in test.example/log" in run(*base).output  # --key alone covers the log too
    assert "entry 0 of 1" in run(*base, "--trusted-log-key", log_vkey).output
    wrong = run(*base, "--trusted-log-key", vkey, ok=False)  # the attestation line is named "accord", not the origin
    assert isinstance(wrong.exception, VerificationError)
    assert log_vkey in wrong.exception.diagnostics()


def _accord(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "accord.cli.main", *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def test_a_traversal_run_id_is_refused_and_attest_writes_nothing_outside(stored_run: str, tmp_path: Path) -> None:
    """Finding 11: `--run-id ../../x` is bad input at `accord run`; `accord attest ../../x` is
    refused before anything is written, even for a run stored under that id by an older accord."""
    import sqlite3

    run("keys", "init")
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    refused = _accord("run", "--run-id", "../../x", "--target", "replay:answers.jsonl", "--suite", "demo", "--db", stored_run, cwd=work)
    assert refused.returncode == ExitCode.BAD_INPUT, refused.stderr
    assert "run id" in refused.stderr.replace("run_id", "run id") and "Traceback" not in refused.stderr
    # A store written before run ids were validated may hold such a run: attest still refuses it.
    db = sqlite3.connect(stored_run.removeprefix("sqlite:///"))
    with db:
        tables = [r[0] for r in db.execute("select name from sqlite_master where type='table'")]
        for table in tables:
            if "run_id" in [c[1] for c in db.execute(f"pragma table_info({table})")]:
                db.execute(f"update {table} set run_id = '../../x' where run_id = 'run-attest-1'")  # noqa: S608 - test tables
    db.close()
    before = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    for args in (("attest", "../../x"), ("attest", "../../x", "--log", "--log-dir", str(tmp_path / "log"))):
        result = _accord(*args, "--db", stored_run, cwd=work)
        assert result.returncode == ExitCode.BAD_INPUT, result.stderr
        assert "run id" in result.stderr and "Traceback" not in result.stderr
    assert sorted(p for p in tmp_path.rglob("*") if p.is_file()) == before
    assert not list(tmp_path.rglob("*.intoto.json"))


def test_the_default_attestation_name_is_a_plain_file_name() -> None:
    from accord.cli.attest import default_output
    from accord.errors import InputError

    assert default_output("run-1.a_b") == Path("run-1.a_b.intoto.json")
    for bad in ("../../x", "a/b", "a\\b", ".hidden", "x\0y"):
        with pytest.raises(InputError):
            default_output(bad)


def _logged(tmp_path: Path, n: int = 8) -> tuple[Path, list[Path]]:
    """A log of ``n`` small files, signed at its full size."""
    run("keys", "init")
    logdir = tmp_path / "log"
    files = []
    for i in range(n):
        f = tmp_path / f"entry-{i}.txt"
        f.write_text(f"entry {i}\n")
        files.append(f)
    run("log", "append", *map(str, files[: n // 2]), "--log-dir", str(logdir), "--origin", "test.example/log")
    return logdir, files


def test_a_log_rolled_back_below_its_signed_checkpoint_is_refused(tmp_path: Path) -> None:
    """Finding 9: an older state.json (or cut entries) below the newest signed checkpoint fails
    `log audit` (exit 1), and `log append` refuses instead of truncating covered entries."""
    logdir, files = _logged(tmp_path)
    old_state = (logdir / "state.json").read_bytes()
    old_files = {name: (logdir / name).read_bytes() for name in ("entries.bin", "entries.idx", "tree.bin")}
    run("log", "append", *map(str, files[4:]), "--log-dir", str(logdir))
    run("log", "checkpoint", "--log-dir", str(logdir))
    good_state = (logdir / "state.json").read_bytes()
    sizes = {name: (logdir / name).stat().st_size for name in old_files}
    (logdir / "state.json").write_bytes(old_state)  # the rollback

    audit = _accord("log", "audit", "--log-dir", str(logdir), cwd=tmp_path)
    assert audit.returncode == ExitCode.CHECK_FAILED, audit.stdout + audit.stderr
    assert "rolled back" in audit.stderr and "Traceback" not in audit.stderr
    extra = tmp_path / "extra.txt"
    extra.write_text("late\n")
    append = _accord("log", "append", str(extra), "--log-dir", str(logdir), cwd=tmp_path)
    assert append.returncode != 0 and "rolled back" in append.stderr and "signed a checkpoint of 8" in append.stderr
    assert {name: (logdir / name).stat().st_size for name in old_files} == sizes  # nothing truncated
    # The same for a log signed before checkpoint.latest existed: the signed note alone is the floor.
    (logdir / "checkpoint.latest").unlink()
    assert _accord("log", "audit", "--log-dir", str(logdir), cwd=tmp_path).returncode == ExitCode.CHECK_FAILED
    assert _accord("log", "append", str(extra), "--log-dir", str(logdir), cwd=tmp_path).returncode != 0
    # Entries cut back to match the old state: still below the signed size.
    for name, data in old_files.items():
        (logdir / name).write_bytes(data)
    assert _accord("log", "audit", "--log-dir", str(logdir), cwd=tmp_path).returncode == ExitCode.CHECK_FAILED
    assert _accord("log", "append", str(extra), "--log-dir", str(logdir), cwd=tmp_path).returncode != 0
    assert (logdir / "entries.bin").read_bytes() == old_files["entries.bin"]
    (logdir / "state.json").write_bytes(good_state)
    assert _accord("log", "audit", "--log-dir", str(logdir), cwd=tmp_path).returncode == ExitCode.CHECK_FAILED  # entries gone


def test_log_get_and_prove_verify_what_they_return(tmp_path: Path) -> None:
    """Finding 9: `log get` never returns tampered bytes; `log prove` on a damaged tree is an
    error, not a proof that fails verification later."""
    logdir, files = _logged(tmp_path)
    run("log", "append", *map(str, files[4:]), "--log-dir", str(logdir))
    run("log", "checkpoint", "--log-dir", str(logdir))
    ok = _accord("log", "get", "3", "--log-dir", str(logdir), cwd=tmp_path)
    assert ok.returncode == 0 and ok.stdout == "entry 3\n"
    entries = logdir / "entries.bin"
    data = entries.read_bytes()
    entries.write_bytes(data.replace(b"entry 3\n", b"entry X\n"))
    bad = _accord("log", "get", "3", "--log-dir", str(logdir), cwd=tmp_path)
    assert bad.returncode == ExitCode.CHECK_FAILED and "entry X" not in bad.stdout and "leaf hash" in bad.stderr
    entries.write_bytes(data)

    from accord.attest._log import node_position

    tree = logdir / "tree.bin"
    nodes = bytearray(tree.read_bytes())
    nodes[node_position(0, 1) * 32] ^= 1  # leaf 1: a sibling on entry 0's path, not part of the root's inputs
    tree.write_bytes(bytes(nodes))
    proof = _accord("log", "prove", "0", "--log-dir", str(logdir), "-o", str(tmp_path / "proof.json"), cwd=tmp_path)
    assert proof.returncode == ExitCode.CHECK_FAILED and "damaged" in proof.stderr, proof.stderr
    assert not (tmp_path / "proof.json").exists()
    printed = _accord("log", "prove", "0", "--log-dir", str(logdir), cwd=tmp_path)
    assert printed.returncode == ExitCode.CHECK_FAILED and printed.stdout == ""
