"""``score``, ``report`` and ``attest`` refuse an incomplete run unless ``--allow-incomplete``,
which the report shows and the signed statement records (issue 15, problem 7)."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from accord.cli.main import app
from accord.errors import ExitCode
from accord.pipeline._complete import IncompleteRunError
from accord.records import Label, Message, Response
from accord.suites import Item
from tests.unit.store._helpers import make_run

runner = CliRunner()


def _populate(url: str, *, stored: int, labelled: int, status: str) -> None:
    """Run ``r1``: 10 planned items, ``stored`` responses, ``labelled`` of them labelled by ``pattern``."""
    from accord.store import Store

    st = Store.open(url)
    items = [Item(suite_id="s", item_id=f"i{n}", messages=(Message(role="user", content="q"),), hazard="cyber-offense") for n in range(10)]
    st.create_or_resume_run(make_run("r1", 10))
    st.add_items("r1", items)
    st.add_responses(
        [
            Response(run_id="r1", suite_id="s", item_id=it.item_id, messages=list(it.messages), output="I can't help.")
            for it in items[:stored]
        ]
    )
    st.add_labels(
        [
            Label(run_id="r1", suite_id="s", item_id=it.item_id, judge_id="pattern", judge_version="1", refusal="full", harmful=False)
            for it in items[:labelled]
        ]
    )
    st.set_run_status("r1", status)
    st.close()


def _predicate(env: Path) -> dict[str, Any]:
    payload = json.loads(env.read_text())["payload"]
    statement: dict[str, Any] = json.loads(base64.b64decode(payload))
    return statement["predicate"]  # type: ignore[no-any-return]


def _refused(res: Any, what: str) -> str:
    assert isinstance(res.exception, IncompleteRunError), res.output
    assert res.exception.exit_code == ExitCode.INCOMPLETE
    text: str = res.exception.diagnostics()
    assert what in text and "--allow-incomplete" in text
    return text


def test_a_run_stopped_half_way_is_refused_then_allowed_and_recorded(sqlite_url: str, tmp_path: Path) -> None:
    _populate(sqlite_url, stored=5, labelled=5, status="interrupted")
    db = ["--db", sqlite_url]
    missing = "5 of 10 planned responses have no stored outcome"

    text = _refused(runner.invoke(app, ["score", "r1", *db]), missing)
    assert "accord runs show r1 --spec" in text  # the command that completes it
    scored = runner.invoke(app, ["score", "r1", *db, "--json", "--allow-incomplete"])
    assert scored.exit_code == 0, scored.output
    done = json.loads(scored.stdout)["completeness"]
    assert (done["complete"], done["allowIncomplete"], done["planned"], done["missing"]) == (False, True, 10, 5)

    _refused(runner.invoke(app, ["report", "r1", *db, "-f", "md"]), missing)
    md = runner.invoke(app, ["report", "r1", *db, "-f", "md", "--allow-incomplete"])
    assert md.exit_code == 0, md.output
    assert "INCOMPLETE: 1 of 1 run(s) reported with --allow-incomplete" in md.stdout and missing in md.stdout
    head = md.stdout[: md.stdout.index("INCOMPLETE") + 200]
    assert "## How to read" not in head  # shown at the top, in the summary, not only in the notes

    assert runner.invoke(app, ["keys", "init"]).exit_code == 0
    env = tmp_path / "r1.intoto.json"
    _refused(runner.invoke(app, ["attest", "r1", *db, "-o", str(env)]), missing)
    assert not env.exists()
    signed = runner.invoke(app, ["attest", "r1", *db, "-o", str(env), "--allow-incomplete"])
    assert signed.exit_code == 0, signed.output
    record = _predicate(env)["completeness"]
    assert record["allowIncomplete"] is True and record["complete"] is False
    assert (record["planned"], record["stored"], record["missing"], record["unlabelled"], record["judges"]) == (
        10,
        5,
        5,
        {"pattern": 0},
        ["pattern"],
    )
    assert record["verdictsScoredIncomplete"] == ["pattern"]  # the verdicts saved above were scored on the half run
    pub = tmp_path / "signer.pub"
    pub.write_text(runner.invoke(app, ["keys", "show", "--pem"]).output)
    verified = runner.invoke(app, ["verify", str(env), "--trusted-key", str(pub)])
    assert verified.exit_code == 0, verified.output
    assert "INCOMPLETE (signed with --allow-incomplete): status interrupted; 5 of 10 planned responses missing" in verified.output
    # ... and where the signed responses came from (the predicate's responseProvenance)
    prov = _predicate(env)["responseProvenance"]
    assert "response provenance" in verified.output
    assert f"{prov['produced']} produced by this run, {prov['reused']} reused from the cache" in " ".join(verified.output.split())

    # the installed entry point exits 3 (INCOMPLETE) with the message on stderr
    cli = subprocess.run([sys.executable, "-m", "accord.cli.main", "score", "r1", *db], capture_output=True, text=True, timeout=120)
    assert cli.returncode == ExitCode.INCOMPLETE and missing in cli.stderr


def test_a_run_with_unlabelled_responses_is_refused(sqlite_url: str) -> None:
    _populate(sqlite_url, stored=10, labelled=7, status="complete")
    for cmd in (["score", "r1"], ["report", "r1", "-f", "md"]):
        text = _refused(runner.invoke(app, [*cmd, "--db", sqlite_url]), "3 of 10 stored responses have no label from judge 'pattern'")
        assert "accord judge run r1 --judge pattern" in text


def test_a_complete_run_passes_unchanged(sqlite_url: str, tmp_path: Path) -> None:
    _populate(sqlite_url, stored=10, labelled=10, status="complete")
    scored = runner.invoke(app, ["score", "r1", "--db", sqlite_url, "--json"])
    assert scored.exit_code == 0, scored.output
    assert json.loads(scored.stdout)["completeness"]["complete"] is True
    md = runner.invoke(app, ["report", "r1", "--db", sqlite_url, "-f", "md"])
    assert md.exit_code == 0 and "INCOMPLETE" not in md.stdout
    assert runner.invoke(app, ["keys", "init"]).exit_code == 0
    env = tmp_path / "r1.intoto.json"
    signed = runner.invoke(app, ["attest", "r1", "--db", sqlite_url, "-o", str(env)])
    assert signed.exit_code == 0, signed.output
    record = _predicate(env)["completeness"]
    assert record["complete"] is True and record["allowIncomplete"] is False and record["missing"] == 0
    assert "verdictsScoredIncomplete" not in record
    pub = tmp_path / "signer.pub"
    pub.write_text(runner.invoke(app, ["keys", "show", "--pem"]).output)
    verified = runner.invoke(app, ["verify", str(env), "--trusted-key", str(pub)])
    assert verified.exit_code == 0 and re.search(r"^completeness\s+complete$", verified.output, re.M), verified.output
