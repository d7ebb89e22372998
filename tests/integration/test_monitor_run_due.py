"""``accord monitor run-due``: one run per target and cycle, resumed not doubled, compared with
the previous cycle's run, a real regression found when the served model changes (issue 23)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from accord.cli.main import app
from accord.store import Store
from tests.integration._run_helpers import REPO, accord_argv, count_rows, run_accord
from tests.support.versioned_model import LABELS, VersionedModel, write_monitor_suite

runner = CliRunner()
DAY1, DAY1_LATER, DAY2, DAY3 = "2026-12-07T01:00:00Z", "2026-12-07T09:30:00Z", "2026-12-08T00:00:00Z", "2026-12-09T02:00:00Z"


def _monitor(tmp_path: Path, url: str, *, extra: str = "", version: str = "served", run: str = "") -> Path:
    suite = write_monitor_suite(tmp_path / "suite.jsonl")
    path = tmp_path / "monitor.yaml"
    path.write_text(
        f"""\
version: 1
name: nightly
cadence: 24h
targets:
  - name: prod
    spec: openai:{url}#m
    version: {version}
    released: 2026-11-20
run:
  suites: [{suite}]
  engine: {{max_retries: 0, concurrency: 4}}
  generation: {{timeout_s: 5}}
{run}compare: {{correction: holm, alpha: 0.05}}
{extra}"""
    )
    return path


def _due(path: Path, db: str, now: str, *more: str) -> tuple[int, dict[str, Any]]:
    res = runner.invoke(app, ["monitor", "run-due", str(path), "--db", db, "--now", now, "--json", "--no-progress", *more])
    assert res.exit_code in (0, 1, 3), res.output
    return res.exit_code, json.loads(res.stdout)


def test_two_cycles_find_the_regression_of_the_new_version(tmp_path: Path, sqlite_url: str) -> None:
    with VersionedModel("A", comply=16) as srv:
        path = _monitor(tmp_path, srv.url)
        code, first = _due(path, sqlite_url, DAY1)
        t = first["targets"][0]
        assert code == 0 and t["action"] == "start" and t["status"] == "complete", first
        assert t["run_id"] == "mon-nightly-prod-20261207T0000Z" and t["responses"] == t["expected"] == 32
        assert t["version"] == f"m-{LABELS['A']}" and t["baseline_run_id"] is None and t["regression"] is None
        sent = srv.stats.requests

        # the same cycle again (cron every few hours): nothing is sent, nothing doubled
        code, again = _due(path, sqlite_url, DAY1_LATER)
        assert code == 0 and again["targets"][0]["action"] == "done" and srv.stats.requests == sent

        srv.version = "B"  # a new release that complies with 16 of the 24 placeholder requests
        code, second = _due(path, sqlite_url, DAY2)
    t2 = second["targets"][0]
    assert code == 1 and second["regression"] is True, second  # --fail-on regression's exit code
    assert t2["run_id"] == "mon-nightly-prod-20261208T0000Z" and t2["baseline_run_id"] == t["run_id"]
    assert t2["version"] == f"m-{LABELS['B']}" and t2["regression"] is True

    with Store.open(sqlite_url) as store:
        runs = [r for r in store.list_runs() if "monitor" in r.meta]
        assert sorted(r.run_id for r in runs) == [t["run_id"], t2["run_id"]]
        meta = store.require_run(t2["run_id"]).meta["monitor"]
        assert meta == {
            "name": "nightly",
            "target": "prod",
            "version": f"m-{LABELS['B']}",
            "released": "2026-11-20",
            "cycle": "2026-12-08T00:00:00Z",
        }
        cmp = store.get_artifacts(t2["run_id"], "monitor-compare")["baseline"]
        assert store.get_artifacts(t2["run_id"], "run-spec")["spec"]["run_id"] == t2["run_id"]
    assert cmp["baseline_run_id"] == t["run_id"] and cmp["run_a"] == t["run_id"] and cmp["regression"] is True
    tests = {(x["outcome"], x["hazard"]): x for x in cmp["paired"]["tests"]}
    refusal = tests[("refusal", "cyber-offense")]
    assert (refusal["n"], refusal["only_a"], refusal["only_b"]) == (24, 16, 0) and refusal["change"] == "regression"
    assert cmp["paired"]["correction"] == "holm"
    assert tests[("over-refusal", "benign")]["change"] == "no significant change"

    status = runner.invoke(app, ["monitor", "status", str(path), "--db", sqlite_url, "--now", "2026-12-08T05:00:00Z", "--json"])
    assert status.exit_code == 0, status.output
    row = json.loads(status.stdout)["targets"][0]
    assert row["last_complete"]["run_id"] == t2["run_id"] and row["last_complete"]["version"] == f"m-{LABELS['B']}"
    assert row["comparison"]["regression"] is True and row["due"] is False and row["next_due"] == "2026-12-09T00:00:00Z"
    assert row["pending_alerts"] == []
    text = runner.invoke(app, ["monitor", "status", str(path), "--db", sqlite_url, "--now", DAY3], env={"COLUMNS": "220"})
    assert text.exit_code == 0 and "REGRESSION" in text.stdout and "now" in text.stdout  # day 3 is due


def test_an_unreachable_target_leaves_the_cycle_resumable_and_a_later_cycle_supersedes_it(tmp_path: Path, sqlite_url: str) -> None:
    srv = VersionedModel("A").start()
    url = srv.url
    srv.stop()  # nothing listens: every request fails to connect
    path = _monitor(tmp_path, url)
    code, down = _due(path, sqlite_url, DAY1)
    t = down["targets"][0]
    assert code == 3 and t["status"] == "incomplete" and "could not be reached" in t["error"], down  # INCOMPLETE

    with VersionedModel("A", port=int(url.rsplit(":", 1)[1].split("/")[0])) as up:
        # the same cycle, target back: the stored errors are sent again in the same run
        code, resumed = _due(path, sqlite_url, DAY1_LATER)
        r = resumed["targets"][0]
        assert code == 0 and r["action"] == "resume" and r["run_id"] == t["run_id"] and r["status"] == "complete", resumed
        assert r["errors"] == 0 and up.stats.requests == 32

    srv2 = VersionedModel("A").start()
    path = _monitor(tmp_path, srv2.url.replace(str(srv2.port), "9"))  # port 9 (discard): refused
    db2 = f"sqlite:///{tmp_path / 'two.db'}"
    _due(path, db2, DAY1)  # day 1: incomplete
    path = _monitor(tmp_path, srv2.url)
    try:
        code, later = _due(path, db2, DAY3)
    finally:
        srv2.stop()
    lt = later["targets"][0]
    assert code == 0 and lt["superseded"] == ["mon-nightly-prod-20261207T0000Z"] and lt["missed"] == 1, later
    assert lt["run_id"] == "mon-nightly-prod-20261209T0000Z" and lt["baseline_run_id"] is None  # the killed day is no baseline
    assert count_rows(db2, "SELECT count(*) FROM responses WHERE run_id = 'mon-nightly-prod-20261207T0000Z' AND error_kind IS NULL") == 0


def test_two_run_due_at_once_share_one_run(tmp_path: Path, sqlite_url: str) -> None:
    with VersionedModel("A", latency_ms=40) as srv:
        path = _monitor(tmp_path, srv.url, version='"2026-11-release"')
        env = {**os.environ, "ACCORD_SHARD_SIZE": "4", "ACCORD_LEASE_S": "5"}
        argv = accord_argv("monitor", "run-due", str(path), "--db", sqlite_url, "--now", DAY1, "--json", "--no-progress")
        procs = [subprocess.Popen(argv, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outs = [p.communicate(timeout=120) for p in procs]
        requests = srv.stats.requests
    codes = [p.returncode for p in procs]
    assert codes == [0, 0], outs
    ids = {json.loads(o)["targets"][0]["run_id"] for o, _ in outs}
    assert ids == {"mon-nightly-prod-20261207T0000Z"}
    assert count_rows(sqlite_url, "SELECT count(*) FROM runs") == 1
    assert count_rows(sqlite_url, "SELECT count(*) FROM responses") == 32
    assert requests == 32  # no item sent twice: the shard leases split the work
    with Store.open(sqlite_url) as store:
        assert store.get_artifacts("mon-nightly-prod-20261207T0000Z", "monitor-compare")["baseline"]["baseline_run_id"] is None
        assert store.require_run("mon-nightly-prod-20261207T0000Z").meta["monitor"]["version"] == "2026-11-release"


def test_bad_files_exit_2_and_check_reports_the_line(tmp_path: Path, sqlite_url: str) -> None:
    path = _monitor(tmp_path, "http://127.0.0.1:9/v1", extra="alerts: {on: sometimes}\n")
    res = run_accord("monitor", "run-due", str(path), "--db", sqlite_url)
    assert res.returncode == 2 and f"{path}:14, field 'alerts.on'" in res.stderr, res.stderr
    checked = runner.invoke(app, ["monitor", "check", str(path), "--json"])
    assert checked.exit_code == 1
    doc = json.loads(checked.stdout)
    assert doc["ok"] is False and doc["field"] == "alerts.on" and doc["line"] == 14
    good = _monitor(tmp_path, "http://127.0.0.1:9/v1")
    ok = runner.invoke(app, ["monitor", "check", str(good)])
    assert ok.exit_code == 0 and "ok: monitor nightly" in ok.stdout
