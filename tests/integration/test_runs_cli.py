"""``accord runs list/show/export`` over a populated store, through the real CLI."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from accord.cli.main import app
from accord.records import ErrorKind, Label, Message, Response
from accord.store import RunInfo, Store, SuiteRef


def _populate(url: str) -> None:
    st = Store.open(url)
    now = datetime.now(UTC)
    st.create_or_resume_run(
        RunInfo(run_id="demo-1", created_at=now, updated_at=now, target="replay:t.jsonl", target_digest="sha256:t",
                suites=[SuiteRef(suite_id="s", digest="sha256:abc", n_items=3)], n_items=3)
    )
    msgs = [Message(role="user", content="q")]
    st.add_responses(
        [
            Response(run_id="demo-1", suite_id="s", item_id="a", messages=msgs, output="fine, here, \"quoted\"\nnewline"),
            Response(run_id="demo-1", suite_id="s", item_id="b", messages=msgs, error_kind=ErrorKind.timeout, error="t/o", attempts=6),
            Response(run_id="demo-1", suite_id="s", item_id="c", messages=msgs, blocked=True, finish_reason="content_filter"),
        ]
    )
    st.add_labels(
        [
            Label(run_id="demo-1", suite_id="s", item_id="a", judge_id="embedded", judge_version="1", refusal="none", harmful=False),
            Label(run_id="demo-1", suite_id="s", item_id="a", judge_id="pattern", judge_version="1", refusal="full", harmful=False),
            Label(run_id="demo-1", suite_id="s", item_id="b", judge_id="embedded", judge_version="1", unassessed="error:timeout"),
        ]
    )
    st.close()


def test_list_show_export(sqlite_url: str, tmp_path: Path) -> None:
    _populate(sqlite_url)
    runner = CliRunner()
    res = runner.invoke(app, ["runs", "list", "--db", sqlite_url, "--json"])
    assert res.exit_code == 0, res.output
    (row,) = json.loads(res.stdout)
    assert (row["run_id"], row["responses"], row["errors"], row["blocked"], row["expected"]) == ("demo-1", 3, 1, 1, 3)

    res = runner.invoke(app, ["runs", "show", "demo-1", "--db", sqlite_url])
    assert res.exit_code == 0, res.output
    assert "sha256:abc" in res.stdout and "timeout" in res.stdout

    res = runner.invoke(app, ["runs", "export", "demo-1", "--db", sqlite_url, "--format", "jsonl"])
    recs = [json.loads(line) for line in res.stdout.splitlines()]
    assert [r["item_id"] for r in recs] == ["a", "b", "c"]
    assert [lb["judge_id"] for lb in recs[0]["labels"]] == ["embedded", "pattern"]
    assert recs[1]["labels"][0]["unassessed"] is True and recs[1]["labels"][0]["unassessed_reason"] == "error:timeout"
    assert recs[1]["error_kind"] == "timeout" and recs[2]["status"] == "blocked" and recs[2]["labels"] == []

    out = tmp_path / "x.csv"
    res = runner.invoke(app, ["runs", "export", "demo-1", "--db", sqlite_url, "--format", "csv", "-o", str(out)])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert rows[0]["output"] == "fine, here, \"quoted\"\nnewline" and rows[1]["error"] == "t/o"


def test_unknown_run_is_a_clean_error(sqlite_url: str) -> None:
    _populate(sqlite_url)
    proc = subprocess.run(
        [sys.executable, "-m", "accord.cli.main", "runs", "show", "nope", "--db", sqlite_url], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "no run 'nope'" in proc.stderr and "demo-1" in proc.stderr and "Traceback" not in proc.stderr


def test_missing_database_is_an_error_not_a_new_file(tmp_path: Path) -> None:
    """The runs commands only read: a mistyped --db names the path instead of listing nothing."""
    missing = tmp_path / "typo" / "results.db"
    res = CliRunner().invoke(app, ["runs", "list", "--db", f"sqlite:///{missing}"])
    assert res.exit_code != 0 and str(missing) in str(res.exception)
    assert not missing.parent.exists()


def test_unwritable_output_and_mistyped_db_are_one_line_errors(sqlite_url: str, tmp_path: Path) -> None:
    _populate(sqlite_url)
    bad_out = subprocess.run(
        [sys.executable, "-m", "accord.cli.main", "runs", "export", "demo-1", "--db", sqlite_url, "-o", str(tmp_path / "no" / "such" / "x.jsonl")],
        capture_output=True, text=True,
    )
    assert bad_out.returncode == 2 and "No such file or directory" in bad_out.stderr and "Traceback" not in bad_out.stderr
    missing = tmp_path / "typo.db"
    bad_db = subprocess.run(
        [sys.executable, "-m", "accord.cli.main", "runs", "list", "--db", f"sqlite:///{missing}"], capture_output=True, text=True
    )
    assert bad_db.returncode == 2 and "no results database" in bad_db.stderr
    assert not missing.exists()  # nothing was created by the typo
