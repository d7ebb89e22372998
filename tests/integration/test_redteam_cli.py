"""``accord redteam`` end to end: A commits, runs a base64 campaign against B's endpoint (a
loopback OpenAI-compatible server), attests; A reveals; B verifies the reveal against the
attestation and its evidence. Real typer app, real store, real log, real attack registry.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from accord.cli.main import app
from accord.errors import ExitCode, VerificationError
from accord.store import Store
from tests.support.loopback_openai import LoopbackServer

runner = CliRunner()


def accord(*args: str, ok: bool = True) -> Any:
    result = runner.invoke(app, list(args), catch_exceptions=True)
    if ok and result.exit_code != 0:
        raise AssertionError(f"accord {' '.join(args)} failed ({result.exit_code}): {result.output}\n{result.exception!r}")
    return result


def _campaign(tmp_path: Path, attacks: str = "[base64]", extra: str = "", name: str = "campaign.yaml") -> Path:
    suite = tmp_path / "private.jsonl"
    if not suite.exists():
        suite.write_text(
            "".join(json.dumps({"id": f"q{i}", "prompt": f"question {i}", "hazard": "benign", "intent": "benign"}) + "\n" for i in range(3))
        )
    spec = tmp_path / name
    spec.write_text(f"suites: [{suite}]\nattacks: {attacks}\ngeneration: {{max_tokens: 64}}\n{extra}")
    return spec


@pytest.fixture
def party_a(tmp_path: Path) -> dict[str, Any]:
    accord("keys", "init")
    pub = tmp_path / "a.pub"
    pub.write_text(accord("keys", "show", "--pem").output)
    return {"pub": str(pub), "log": str(tmp_path / "log"), "db": f"sqlite:///{tmp_path / 'a.db'}"}


def test_commit_run_attest_reveal_verify(party_a: dict[str, Any], tmp_path: Path) -> None:
    log, db, pub = party_a["log"], party_a["db"], party_a["pub"]
    spec = _campaign(tmp_path)
    committed = json.loads(accord("redteam", "commit", "-c", str(spec), "--log-dir", log, "--label", "spring", "--json").stdout)
    assert committed["index"] == 0 and committed["variants"] == 1 and len(committed["commitment"]) == 64

    with LoopbackServer(latency_ms=1) as srv:
        target = f"openai:{srv.url}#b-model"
        # A spec changed after the commitment is refused before anything is sent.
        changed = _campaign(tmp_path, extra="epochs: 2\n", name="changed.yaml")
        refused = accord("redteam", "run", "-c", str(changed), "-t", target, "--db", db, "--no-progress", ok=False)
        assert isinstance(refused.exception, VerificationError) and srv.stats.requests == 0
        out = accord(
            "redteam", "run", "-c", str(spec), "-t", target, "--db", db, "--run-id", "rt1", "--no-progress", "--json", "--concurrency", "4"
        )
        summary = json.loads(out.stdout.strip().splitlines()[-1])
        assert summary["responses"] == 6 and summary["commitment"]["commitment"] == committed["commitment"]
        assert srv.stats.requests == 6  # 3 items, plain and base64
        # A plain run under the same id cannot be relabelled as the committed campaign.
        accord("run", "-t", target, "-s", str(tmp_path / "private.jsonl"), "--db", db, "--run-id", "plain1", "--no-progress")
        relabel = accord("redteam", "run", "-c", str(spec), "-t", target, "--db", db, "--run-id", "plain1", "--no-progress", ok=False)
        assert relabel.exit_code != 0 and "without a commitment" in str(relabel.exception)

    with Store.open(db) as store:
        run = store.require_run("rt1")
        assert run.meta["commitment"]["commitment"] == committed["commitment"]
        assert set(run.params["attacks"]["variants"]) == {
            v for v in json.loads(Path(committed["secret"]).read_text())["campaign"]["attacks"]["variants"]
        }
        assert {r.variant_id for r in store.iter_responses("rt1")} == {"none", *run.params["attacks"]["variants"]}

    env = tmp_path / "rt1.intoto.json"
    accord("attest", "rt1", "-o", str(env), "--log", "--log-dir", log, "--db", db)
    reveal = tmp_path / "campaign.reveal.json"
    accord("redteam", "reveal", "-c", str(spec), "--log-dir", log, "-o", str(reveal))
    proof = tmp_path / "rt1.tlog"
    accord("log", "prove", str(env), "--log-dir", log, "--format", "tlog", "-o", str(proof))
    evidence = tmp_path / "rt1.evidence.json"
    args = ["redteam", "verify-reveal", str(reveal), "--trusted-key", pub]
    full = [*args, "-c", str(spec), "--attestation", str(env), "--attestation-proof", str(proof), "--evidence", str(evidence)]
    checked = json.loads(accord(*full, "--json").stdout)
    assert checked["ok"] and checked["attestation_index"] == 1 and checked["commit_index"] == 0 and checked["label"] == "spring"
    assert set(checked["checks"]) == {"commitment", "log", "campaign", "attestation", "run", "evidence"}
    text = accord(*full).output
    assert "names this commitment" in text and "committed variant" in text

    # B holds a different spec: the reveal is not what B was given.
    other = _campaign(tmp_path, attacks="[rot13]", name="other.yaml")
    wrong = accord(*args, "-c", str(other), "--json", ok=False)
    assert wrong.exit_code == ExitCode.CHECK_FAILED and json.loads(wrong.stdout)["ok"] is False
    # The attestation of a run made without the commitment does not name it.
    plain_env = tmp_path / "plain1.intoto.json"
    accord("attest", "plain1", "-o", str(plain_env), "--log", "--log-dir", log, "--db", db)
    accord("log", "checkpoint", "--log-dir", log)
    plain_proof = tmp_path / "plain1.tlog"
    accord("log", "prove", str(plain_env), "--log-dir", log, "--format", "tlog", "-o", str(plain_proof))
    reveal2 = tmp_path / "again.reveal.json"
    accord("redteam", "reveal", "--commitment", committed["secret"], "--log-dir", log, "-o", str(reveal2))
    unnamed = accord(
        *[reveal2.as_posix() if a == str(reveal) else a for a in args],
        "--attestation",
        str(plain_env),
        "--attestation-proof",
        str(plain_proof),
        ok=False,
    )
    assert isinstance(unnamed.exception, VerificationError) and "does not name this commitment" in str(unnamed.exception)


def test_reveal_and_run_without_a_commitment(party_a: dict[str, Any], tmp_path: Path) -> None:
    spec = _campaign(tmp_path)
    never = accord("redteam", "reveal", "-c", str(spec), "--log-dir", party_a["log"], ok=False)
    assert isinstance(never.exception, VerificationError) and "no commitment found" in str(never.exception)
    with LoopbackServer(latency_ms=1) as srv:
        res = accord("redteam", "run", "-c", str(spec), "-t", f"openai:{srv.url}#m", "--db", party_a["db"], "--no-progress", ok=False)
        assert isinstance(res.exception, VerificationError) and srv.stats.requests == 0
    no_target = accord("redteam", "run", "-c", str(spec), "--db", party_a["db"], ok=False)
    assert no_target.exit_code != 0 and "no target" in str(no_target.exception)
    bad = accord(
        "redteam", "commit", "-c", str(_campaign(tmp_path, attacks="[nope]", name="bad.yaml")), "--log-dir", party_a["log"], ok=False
    )
    assert bad.exit_code != 0 and "nope" in str(bad.exception)
