"""The pipeline behind every front end: ``accord.evaluate`` in a notebook-like loop and a
script, run specs, ``--fail-on`` gates, exit codes, progress lines off a terminal."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import accord
from accord.errors import ExitCode
from accord.store import Store
from tests.integration._run_helpers import REPO, run_accord, write_suite
from tests.support.loopback_openai import LoopbackServer


@pytest.fixture
def data_env(datasets_dir: Path) -> dict[str, str]:
    return {**os.environ, "ACCORD_DATA_DIR": str(datasets_dir)}


def test_evaluate_inside_a_running_event_loop_as_a_notebook_cell_does(tmp_path: Path, datasets_dir: Path) -> None:
    db = f"sqlite:///{tmp_path / 'nb.db'}"

    async def cell() -> accord.Evaluation:
        # a Jupyter cell runs inside the kernel's loop: asyncio.run would refuse here
        return accord.evaluate(target="replay:xstest/mistralinstruct", suites=["xstest"], db=db, run_id="nb", data_dir=datasets_dir)

    result = asyncio.run(cell())
    assert result.run_id == "nb" and result.run.responses == 306 and result.run.complete
    assert result.labels.new == 306 and result.scored.judge_id == "embedded"
    # 1 unconfirmed violation in 2 floor units is no evidence either way (issue 15: was "blocked
    # in every jurisdiction"); the EU pack's own requirement still blocks it there.
    assert result.floor.status == "insufficient" and result.decisions["EU"] == "blocked"
    html = result._repr_html_()
    assert "<table>" in html and "nb" in html and "blocked" in html and "mistralinstruct" in html
    assert "Evaluation(run_id='nb'" in repr(result)
    # the coroutine form, awaited in the loop, re-uses the stored responses and labels
    again = asyncio.run(accord.aevaluate(target="replay:xstest/mistralinstruct", suites="xstest", db=db, run_id="nb", data_dir=datasets_dir))
    assert again[0].run.skipped == 306 and again[0].labels.new == 0
    assert [v.model_dump() for v in again[0].verdicts] == [v.model_dump() for v in result.verdicts]


def test_evaluate_in_a_plain_script(tmp_path: Path, data_env: dict[str, str]) -> None:
    db = f"sqlite:///{tmp_path / 's.db'}"
    code = (
        f"import accord; r = accord.evaluate(target='replay:xstest/gpt4', suites=['xstest'], db={db!r}, run_id='script', epochs=1, max_tokens=64);"
        "print(r.run_id, r.run.responses, r.floor.status)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=data_env, cwd=REPO, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["script", "306", "insufficient"]
    with Store.open(db) as store:
        spec = store.get_artifacts("script", "run-spec")["spec"]
    assert spec["generation"]["max_tokens"] == 64 and spec["targets"][0]["spec"] == "replay:xstest/gpt4"


def test_run_spec_file_is_stored_and_recreates_the_run(tmp_path: Path, data_env: dict[str, str]) -> None:
    db = f"sqlite:///{tmp_path / 'spec.db'}"
    res = run_accord("run", "-c", str(REPO / "examples" / "eval.yaml"), "--db", db, "--json", env=data_env)
    assert res.returncode == 0, res.stderr
    runs = json.loads(res.stdout)
    ids = [r["run_id"] for r in runs]
    assert ids == ["example-eval-gpt-4-xstest-v2-transcript", "example-eval-mistralguard-xstest-transcript"]
    assert runs[0]["target_name"] == "GPT-4 (XSTest v2 transcript)" and all(r["complete"] for r in runs)

    shown = run_accord("runs", "show", ids[0], "--spec", "--db", db, env=data_env)
    assert shown.returncode == 0, shown.stderr
    spec_file = tmp_path / "recreate.yaml"
    spec_file.write_text(shown.stdout)
    # flags override the file: same spec, a new run id
    again = run_accord("run", "-c", str(spec_file), "--run-id", "recreated", "--db", db, "--json", env=data_env)
    assert again.returncode == 0, again.stderr
    with Store.open(db) as store:
        old, new = store.require_run(ids[0]), store.require_run("recreated")
        assert (new.target, new.target_digest, new.suites, new.params) == (old.target, old.target_digest, old.suites, old.params)
        assert new.meta["target_name"] == "GPT-4 (XSTest v2 transcript)"
        stored = store.get_artifacts("recreated", "run-spec")["spec"]
    assert stored["run_id"] == "recreated" and stored["targets"][0]["name"] == "GPT-4 (XSTest v2 transcript)"
    listing = json.loads(run_accord("runs", "show", "recreated", "--db", db, "--json", env=data_env).stdout)
    assert listing["spec"]["suites"] == ["xstest"] and listing["target_name"] == "GPT-4 (XSTest v2 transcript)"


def test_fail_on_gates_score_report_and_verify(tmp_path: Path, data_env: dict[str, str]) -> None:
    db = f"sqlite:///{tmp_path / 'gate.db'}"
    env = {**data_env, "ACCORD_HOME": str(tmp_path / "home")}
    for run_id, model in (("blocked-one", "mistralinstruct"), ("undecided", "gpt4")):
        assert run_accord("run", "-t", f"replay:xstest/{model}", "-s", "xstest", "--run-id", run_id, "--db", db, env=env).returncode == 0
        labelled = run_accord("judge", "run", run_id, "--db", db, "--json", env=env)
        assert labelled.returncode == 0, labelled.stderr
        assert json.loads(labelled.stdout)["new"] == 306

    blocked = run_accord("score", "blocked-one", "--db", db, "--fail-on", "blocked", "--json", env=env)
    assert blocked.returncode == ExitCode.CHECK_FAILED, blocked.stderr
    assert json.loads(blocked.stdout)["run_id"] == "blocked-one"  # the result is printed before the gate
    assert "--fail-on blocked:" in blocked.stderr and "blocked" in blocked.stderr
    assert run_accord("score", "undecided", "--db", db, "--fail-on", "blocked", env=env).returncode == ExitCode.OK
    assert run_accord("score", "undecided", "--db", db, "--fail-on", "insufficient", env=env).returncode == ExitCode.CHECK_FAILED
    assert run_accord("score", "undecided", "--db", db, env=env).returncode == ExitCode.OK

    out = tmp_path / "r.html"
    rep = run_accord("report", "blocked-one", "undecided", "--db", db, "-o", str(out), "--fail-on", "blocked", "--json", env=env)
    assert rep.returncode == ExitCode.CHECK_FAILED and out.stat().st_size > 1000
    assert json.loads(rep.stdout)["decisions"]["blocked"] >= 1

    assert run_accord("keys", "init", env=env).returncode == 0
    env_file = tmp_path / "a.intoto.json"
    assert run_accord("attest", "blocked-one", "--db", db, "-o", str(env_file), env=env).returncode == 0
    pub = run_accord("keys", "show", "--json", env=env)
    key = json.loads(pub.stdout)
    trusted = key["vkey"]
    ok = run_accord("verify", str(env_file), "--trusted-key", trusted, env=env)
    assert ok.returncode == ExitCode.OK, ok.stderr
    gated = run_accord("verify", str(env_file), "--trusted-key", trusted, "--fail-on", "blocked", env=env)
    assert gated.returncode == ExitCode.CHECK_FAILED and "EU" in gated.stderr  # the floor no longer blocks on 1 of 2 (issue 15)


def test_progress_lines_when_stderr_is_not_a_terminal(tmp_path: Path, sqlite_url: str) -> None:
    suite = write_suite(tmp_path / "s.jsonl", 60)
    env = {**os.environ, "ACCORD_PROGRESS_INTERVAL": "0.2"}
    with LoopbackServer(latency_ms=50) as srv:
        res = run_accord("run", "-t", f"openai:{srv.url}#m", "-s", str(suite), "--db", sqlite_url, "--concurrency", "2", env=env)
    assert res.returncode == 0, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("run: ")]
    assert len(lines) >= 3, res.stderr
    assert lines[-1].startswith("run: 60/60 (100%)") and "errors" in lines[-1]


def test_a_mostly_failed_run_exits_incomplete(tmp_path: Path, sqlite_url: str) -> None:
    suite = write_suite(tmp_path / "s.jsonl", 10)
    replay = tmp_path / "rec.jsonl"
    replay.write_text(json.dumps({"item_id": "q0", "output": "only one answer"}) + "\n")
    res = run_accord("run", "-t", f"replay:{replay}", "-s", str(suite), "--db", sqlite_url, "--run-id", "sparse", "--json")
    assert res.returncode == ExitCode.INCOMPLETE, res.stderr
    assert json.loads(res.stdout)["complete"] is False and "incomplete: sparse" in res.stderr


def test_runs_list_never_truncates_ids_and_errors_print_verbatim(tmp_path: Path, sqlite_url: str) -> None:
    suite = write_suite(tmp_path / "s.jsonl", 1)
    replay = tmp_path / "rec.jsonl"
    replay.write_text(json.dumps({"item_id": "q0", "output": "ok"}) + "\n")
    long_id = "a-rather-long-run-identifier-that-a-user-must-copy-whole-" + "x" * 40
    assert run_accord("run", "-t", f"replay:{replay}", "-s", str(suite), "--db", sqlite_url, "--run-id", long_id).returncode == 0
    env = {**os.environ, "COLUMNS": "60"}
    listed = run_accord("runs", "list", "--db", sqlite_url, env=env)
    assert long_id in listed.stdout
    assert json.loads(run_accord("runs", "list", "--db", sqlite_url, "--json").stdout)[0]["run_id"] == long_id
    missing = run_accord("runs", "show", "[/data] [bold]x", "--db", sqlite_url)
    assert missing.returncode == ExitCode.BAD_INPUT
    assert "no run '[/data] [bold]x'" in missing.stderr and "Traceback" not in missing.stderr


def test_run_names_collide_no_more_with_judge_commands(tmp_path: Path, sqlite_url: str) -> None:
    """A run called ``train`` or ``validate`` is labelled by ``judge run``, never trained on."""
    suite = write_suite(tmp_path / "s.jsonl", 2)
    replay = tmp_path / "rec.jsonl"
    replay.write_text("".join(json.dumps({"item_id": f"q{i}", "output": "Sure."}) + "\n" for i in range(2)))
    for run_id in ("train", "validate"):
        assert run_accord("run", "-t", f"replay:{replay}", "-s", str(suite), "--db", sqlite_url, "--run-id", run_id).returncode == 0
        res = run_accord("judge", "run", run_id, "--db", sqlite_url, "--judge", "pattern", "--json")
        assert res.returncode == 0, res.stderr
        assert json.loads(res.stdout)["new"] == 2
    bare = run_accord("judge", "train", "--db", sqlite_url)
    assert bare.returncode == ExitCode.BAD_INPUT  # train needs --out-dir and takes no --db: a usage error, nothing written
