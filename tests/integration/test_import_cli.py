"""Issue 18 end to end: other tools' real logs -> accord runs -> judge, score, report, attest ->
back out as an Inspect log that Inspect's own reader opens. The logs under tests/data/interop/
were made by the real tools (each folder's HOW.md says how)."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli.main import app
from accord.errors import InputError
from accord.store import Store

DATA = Path(__file__).resolve().parents[1] / "data" / "interop"
runner = CliRunner()


def cli(*args: str) -> object:
    return runner.invoke(app, list(args), catch_exceptions=True)


def test_an_inspect_log_is_judged_scored_reported_attested_and_exported(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("inspect_ai")
    monkeypatch.setenv("ACCORD_HOME", str(tmp_path / "home"))
    log = str(DATA / "inspect" / "mock_arith.eval")
    first = cli("runs", "import", "inspect", log, "--db", sqlite_url, "--json")
    assert first.exit_code == 0, first.output  # type: ignore[attr-defined]
    [summary] = json.loads(first.stdout)  # type: ignore[attr-defined]
    assert summary["written"] and summary["responses"] > 0 and any(j.startswith("inspect:") for j in summary["judges"])
    run = summary["run_id"]
    again = cli("runs", "import", "inspect", log, "--db", sqlite_url, "--json")
    assert json.loads(again.stdout)[0]["written"] is False  # type: ignore[attr-defined]
    # accord's own jobs work on it unchanged
    assert cli("judge", "run", run, "--judge", "pattern", "--db", sqlite_url).exit_code == 0  # type: ignore[attr-defined]
    scored = cli("score", run, "--judge", "pattern", "--db", sqlite_url, "--json")
    assert scored.exit_code in (0, 1), scored.output  # type: ignore[attr-defined]
    assert json.loads(scored.stdout)["completeness"]["complete"] is True  # type: ignore[attr-defined]
    md = cli("report", run, "--judge", "pattern", "--db", sqlite_url, "-f", "md")
    assert md.exit_code == 0 and "Deployment matrix" in md.output  # type: ignore[attr-defined]
    assert cli("keys", "init").exit_code == 0  # type: ignore[attr-defined]
    env = tmp_path / "run.intoto.json"
    signed = cli("attest", run, "--db", sqlite_url, "-o", str(env))
    assert signed.exit_code == 0 and env.exists(), signed.output  # type: ignore[attr-defined]
    pub = tmp_path / "signer.pub"
    pub.write_text(cli("keys", "show", "--pem").output)  # type: ignore[attr-defined]
    verified = cli("verify", str(env), "--trusted-key", str(pub))
    assert verified.exit_code == 0, verified.output  # type: ignore[attr-defined]
    # a distrusting reader sees where the signed responses came from: another tool's log, by digest
    assert "imported from another tool's log" in " ".join(verified.output.split())  # type: ignore[attr-defined]
    # and back out, for `inspect view`
    out = tmp_path / "accord.eval"
    exported = cli("runs", "export", run, "--format", "inspect", "-o", str(out), "--db", sqlite_url)
    assert exported.exit_code == 0, exported.output  # type: ignore[attr-defined]
    from inspect_ai.log import read_eval_log

    back = read_eval_log(str(out))
    with Store.open(sqlite_url) as store:
        outputs = sorted(r.output or "" for r in store.iter_responses(run))
    assert back.samples is not None and sorted(s.output.completion for s in back.samples) == outputs
    assert any(name.startswith("pattern") or name == "pattern" for s in back.samples for name in (s.scores or {}))
    # the decisions in the log are the deployment matrix's own (frameworks.deployment_matrix)
    matrix = back.eval.metadata["accord_deployment"]
    assert {c["decision"] for c in matrix["cells"]} == set(back.eval.metadata["accord_decisions"].values())


def test_garak_and_promptfoo_results_import(sqlite_url: str) -> None:
    garak = cli("runs", "import", "garak", str(DATA / "garak"), "--db", sqlite_url, "--json")
    assert garak.exit_code == 0, garak.output  # type: ignore[attr-defined]
    assert {s["kind"] for s in json.loads(garak.stdout)} == {"garak"}  # type: ignore[attr-defined]
    pf = cli("runs", "import", "promptfoo", str(DATA / "promptfoo" / "smoke" / "results.json"), "--db", sqlite_url, "--json")
    assert pf.exit_code == 0, pf.output  # type: ignore[attr-defined]
    runs = json.loads(pf.stdout)  # type: ignore[attr-defined]
    assert runs and all(r["written"] and r["run_id"].startswith("promptfoo-") for r in runs)
    listed = cli("runs", "list", "--db", sqlite_url, "--json")
    assert {r["run_id"] for r in runs} <= {r["run_id"] for r in json.loads(listed.stdout)}  # type: ignore[attr-defined]


def test_a_truncated_log_imports_nothing(sqlite_url: str, tmp_path: Path) -> None:
    pytest.importorskip("inspect_ai")
    good = DATA / "inspect" / "mock_arith.eval"
    bad = tmp_path / "cut.eval"
    bad.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    res = cli("runs", "import", "inspect", str(bad), "--db", sqlite_url)
    err = res.exception  # type: ignore[attr-defined]
    assert isinstance(err, InputError) and str(bad) in str(err) and "zip" in str(err) and "\n" not in str(err)
    with Store.open(sqlite_url) as store:
        assert store.list_runs() == []
    assert zipfile.is_zipfile(good)  # the fixture itself is a valid zip


def test_an_unknown_importer_and_bad_options_are_refused(sqlite_url: str) -> None:
    res = cli("runs", "import", "nosuchtool", "x.json", "--db", sqlite_url)
    err = res.exception  # type: ignore[attr-defined]
    assert isinstance(err, InputError) and "unknown importer" in str(err) and "inspect" in (err.expected or "")
    res = cli("runs", "import", "garak", str(DATA / "garak"), "--intent", "evil", "--db", sqlite_url)
    assert isinstance(res.exception, InputError) and "--intent" in str(res.exception)  # type: ignore[attr-defined]


def test_the_installed_command_exits_2_with_one_line(tmp_path: Path, sqlite_url: str) -> None:
    bad = tmp_path / "wrong.json"
    bad.write_text('{"results": {"version": 99}}', encoding="utf-8")
    res = subprocess.run([sys.executable, "-m", "accord.cli.main", "runs", "import", "promptfoo", str(bad), "--db", sqlite_url],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert res.returncode == 2 and str(bad) in res.stderr and "Traceback" not in res.stderr
    with Store.open(sqlite_url) as store:
        assert store.list_runs() == []
