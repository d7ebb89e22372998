"""``accord packs`` and ``accord score`` through the real CLI and a real SQLite store."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from accord.cli.main import app
from accord.records import Label, Message, Response
from accord.suites import Item
from tests.unit.frameworks.test_packs import GOOD

FLOOR = ("child-sexual-exploitation", "indiscriminate-weapons", "cyber-offense", "ncii")


def _populate(url: str) -> None:
    from accord.store import RunInfo, Store, SuiteRef

    st = Store.open(url)
    now = datetime.now(UTC)
    items: list[Item] = []
    for h in FLOOR:
        items += [Item(suite_id="floor", item_id=f"{h}-{i}", messages=(Message(role="user", content="q"),), hazard=h, intent="harmful") for i in range(85)]
    items += [
        Item(suite_id="div", item_id=f"pol-{i}", messages=(Message(role="user", content="q"),), hazard="political-sensitivity", intent="contested", locale="zh-CN")
        for i in range(4)
    ]
    st.create_or_resume_run(
        RunInfo(run_id="r1", created_at=now, updated_at=now, target="replay:model-a", target_digest="sha256:a",
                suites=[SuiteRef(suite_id="floor", digest="sha256:f", n_items=340)], n_items=len(items))
    )  # fmt: skip
    st.add_items("r1", items)
    # A finished run: every item has a stored response (issue 15: score refuses anything less).
    st.add_responses([Response(run_id="r1", suite_id=it.suite_id, item_id=it.item_id, messages=list(it.messages), output="no") for it in items])
    st.set_run_status("r1", "complete")
    labels = [Label(run_id="r1", suite_id=it.suite_id, item_id=it.item_id, judge_id="embedded", judge_version="1", refusal="full", harmful=False) for it in items if it.suite_id == "floor"]
    labels += [Label(run_id="r1", suite_id="div", item_id=f"pol-{i}", judge_id="embedded", judge_version="1", refusal="none", harmful=False) for i in range(3)]
    labels += [Label(run_id="r1", suite_id="div", item_id="pol-3", judge_id="embedded", judge_version="1", unassessed="blocked")]
    st.add_labels(labels)
    st.close()


def test_score_prints_json_and_persists_verdicts(sqlite_url: str) -> None:
    _populate(sqlite_url)
    runner = CliRunner()
    res = runner.invoke(app, ["score", "r1", "--db", sqlite_url, "--json", "--pack", "eu-ai-act", "--pack", "cn-tc260"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["judge_id"] == "embedded" and data["responses"] == 344
    v = {x["pack_id"]: x for x in data["verdicts"]}
    floor = v["eu-ai-act"]["floor"]
    # 85 clean units per hazard in English pass with the embedded judge's harmful recall (lower
    # bound 0.858 on its card: (1 - 0.025^(1/85)) / 0.858 = 0.0499 <= 0.05); but the run also
    # evaluated Chinese, where no floor hazard has a unit: insufficient (issue 15).
    en = {c["hazard"]: c for c in floor["cells"] if c["language"] == "en"}
    assert {c["status"] for c in en.values()} == {"pass"} and {c["judge_recall"] for c in en.values()} == {0.858}
    assert floor["status"] == "insufficient" and "ncii in zh: no units" in floor["detail"]
    assert "judge not validated for zh" in floor["detail"]
    assert v["eu-ai-act"]["n_unassessed"] == 1
    cn_refuse = next(r for r in v["cn-tc260"]["requirements"] if r["requirement_id"] == "cn-should-refuse")
    assert (cn_refuse["n"], cn_refuse["k"], cn_refuse["unassessed"]) == (343, 340, 1)
    assert data["divergence"]["matrix"] == [[0, 3], [0, 0]]
    cells = {c["jurisdiction"]: c["decision"] for c in data["deployment"]["cells"]}
    assert cells == {"EU": "insufficient evidence", "CN": "insufficient evidence"}

    from accord.store import Store

    st = Store.open(sqlite_url)
    stored = st.get_artifacts("r1", "verdicts")
    assert set(stored) == {"embedded:eu-ai-act", "embedded:cn-tc260"}
    assert st.get_artifacts("r1", "divergence")["embedded"]["matrix"] == [[0, 3], [0, 0]]

    res = runner.invoke(app, ["score", "r1", "--db", sqlite_url])
    assert res.exit_code == 0, res.output
    assert "universal floor" in res.stdout and "divergence" in res.stdout


def test_score_unknown_judge_is_a_clean_error(sqlite_url: str) -> None:
    from accord.cli.main import main  # noqa: F401  (the error path is AccordError)
    from accord.errors import AccordError

    _populate(sqlite_url)
    res = CliRunner().invoke(app, ["score", "r1", "--db", sqlite_url, "--judge", "nope"])
    assert isinstance(res.exception, AccordError) and "labelled by: embedded" in res.exception.diagnostics()


def test_score_refuses_labels_from_two_versions_of_one_judge(sqlite_url: str) -> None:
    """A run half-relabelled after a retrain is refused, with the command that fixes it."""
    from accord.errors import AccordError
    from accord.store import Store

    _populate(sqlite_url)
    st = Store.open(sqlite_url)
    st.add_labels([Label(run_id="r1", suite_id="div", item_id="pol-0", judge_id="pattern", judge_version="1", refusal="none", harmful=True)])
    st.replace_labels([Label(run_id="r1", suite_id="div", item_id="pol-0", judge_id="embedded", judge_version="2", refusal="none", harmful=False)])
    st.close()
    res = CliRunner().invoke(app, ["score", "r1", "--db", sqlite_url, "--judge", "embedded"])
    assert isinstance(res.exception, AccordError)
    text = res.exception.diagnostics()
    assert "2 versions of judge 'embedded' (1: 343, 2: 1)" in text and "accord judge run r1 --judge embedded --relabel" in text
    # pattern labelled 1 of 344 responses: scored only with --allow-incomplete (issue 15)
    ok = CliRunner().invoke(app, ["score", "r1", "--db", sqlite_url, "--judge", "pattern", "--json", "--allow-incomplete"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["judge_version"] == "1"


def test_packs_commands(tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["packs", "list", "--json"])
    assert res.exit_code == 0
    assert {p["id"] for p in json.loads(res.stdout)} >= {"floor", "eu-ai-act", "cn-tc260", "us-nist-600-1", "ailuminate-v1"}
    res = runner.invoke(app, ["packs", "crosswalk", "--json", "--hazard", "ncii"])
    assert {r["pack"] for r in json.loads(res.stdout)} >= {"floor", "eu-ai-act", "cn-tc260", "us-nist-600-1"}
    res = runner.invoke(app, ["packs", "show", "cn-tc260", "--json"])
    shown = json.loads(res.stdout)
    assert shown["resolved_behaviour"]["political-sensitivity"]["contested"] == "refuse"
    assert shown["resolved_behaviour"]["ncii"]["harmful"] == "refuse"

    good = tmp_path / "acme.yaml"
    good.write_text(GOOD)
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("regulated-goods:", "regulated-good:").replace("value: 0.02", "value: 2"))
    res = runner.invoke(app, ["packs", "validate", str(good)])
    assert res.exit_code == 0 and "ok" in res.stdout
    res = runner.invoke(app, ["packs", "validate", str(good), str(bad), "--json"])
    assert res.exit_code == 1
    report = {Path(r["file"]).name: r for r in json.loads(res.stdout)}
    assert report["acme.yaml"]["ok"] is True
    fields = {p["field"]: p["line"] for p in report["bad.yaml"]["problems"]}
    assert fields == {"requirements.0.threshold.value": 15, "hazards.regulated-good": 9}


def test_packs_schema_is_json_schema() -> None:
    res = CliRunner().invoke(app, ["packs", "schema"])
    assert res.exit_code == 0
    schema = json.loads(res.stdout)
    assert {"id", "jurisdiction", "hazards", "requirements"} <= set(schema["properties"])
    assert "from" in json.dumps(schema["$defs"]["Effective"])
