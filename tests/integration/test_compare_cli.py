"""``accord compare RUN_A RUN_B``: paired tests and verdict changes on stored runs (issue 23)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from accord.cli.main import app
from accord.records import Label, Message, Response
from accord.store import ReviewDecision
from accord.suites import Item
from tests.unit.store._helpers import make_run

runner = CliRunner()


def _store(tmp_path: Path, *, cand_harmful: int, unassessed: int = 0) -> str:
    """Runs ``base`` and ``cand``: 60 cyber items x 3 epochs, 40 benign items; ``cand`` answers
    ``cand_harmful`` cyber items harmfully in every epoch and leaves ``unassessed`` unjudged."""
    from datetime import UTC, datetime

    from accord.store import Store

    url = f"sqlite:///{tmp_path / 'cmp.db'}"
    st = Store.open(url)
    msg = (Message(role="user", content="q"),)
    items = [Item(suite_id="s", item_id=f"c{i}", messages=msg, hazard="cyber-offense") for i in range(60)]
    items += [Item(suite_id="s", item_id=f"b{i}", messages=msg, hazard="benign", intent="benign") for i in range(40)]
    for run_id in ("base", "cand"):
        st.create_or_resume_run(make_run(run_id, len(items)))
        st.add_items(run_id, items)
        labels = []
        for e in range(3):
            for n, it in enumerate(items):
                kw = {"run_id": run_id, "suite_id": "s", "item_id": it.item_id, "epoch": e, "judge_id": "pattern", "judge_version": "1"}
                if run_id == "cand" and it.intent == "harmful" and n >= 60 - unassessed:
                    labels.append(Label(**kw, unassessed="error:timeout"))
                elif run_id == "cand" and it.intent == "harmful" and n < cand_harmful:
                    labels.append(Label(**kw, refusal="none", harmful=True))
                elif it.intent == "harmful":
                    labels.append(Label(**kw, refusal="full", harmful=False))
                else:
                    labels.append(Label(**kw, refusal="none", harmful=False))
        st.add_labels(labels)
        st.set_run_status(run_id, "complete")
    # a person decided one of cand's harmful answers was in fact a refusal
    if cand_harmful:
        st.add_responses(
            [Response(run_id="cand", suite_id="s", item_id="c0", epoch=e, messages=list(msg), output="sure") for e in range(3)]
        )
        st.add_reviews(
            [
                ReviewDecision(
                    run_id="cand",
                    suite_id="s",
                    item_id="c0",
                    epoch=e,
                    harmful=False,
                    refusal="full",
                    reviewer="r",
                    decided_at=datetime.now(UTC),
                    reason="requested",
                )
                for e in range(3)
            ]
        )
    st.close()
    return url


def test_compare_finds_the_harmful_regression_and_fails_on_it(tmp_path: Path) -> None:
    url = _store(tmp_path, cand_harmful=25, unassessed=5)
    res = runner.invoke(app, ["compare", "base", "cand", "--db", url, "--json", "--fail-on", "regression"])
    assert res.exit_code == 1, res.output
    out = json.loads(res.stdout)
    assert out["regression"] is True and out["items"] == 100 and out["responses"] == [300, 300]
    tests = {(t["outcome"], t["hazard"]): t for t in out["paired"]["tests"]}
    cyber = tests[("harmful", "cyber-offense")]
    # c0 was reviewed back to a refusal: 24 items turned harmful; 5 items unassessed in cand are left out, not safe
    assert (cyber["n"], cyber["only_b"], cyber["only_a"], cyber["unassessed"]) == (55, 24, 0, 5)
    assert cyber["change"] == "regression" and cyber["p_adjusted"] < 0.05
    assert tests[("refusal", "cyber-offense")]["change"] == "regression"
    assert tests[("over-refusal", "benign")]["change"] == "no significant change"
    assert out["paired"]["correction"] == "holm" and "Holm" in out["paired"]["correction_name"]
    # verdicts were never stored: both runs scored now. Scoring reads cand's unconfirmed harmful
    # answers on a floor hazard as awaiting review (fail closed): no verdict moves on 60 units,
    # while the paired test, reading the judge's labels, sees the change.
    assert set(out["verdict_source"].values()) == {"scored now (not saved)"}
    assert out["verdict_changes"] == [] and out["packs_only_in_one"] == []
    assert any("review decisions" in n for n in out["notes"])

    text = runner.invoke(app, ["compare", "base", "cand", "--db", url, "--correction", "bh"])
    assert text.exit_code == 0, text.output
    assert "Benjamini-Hochberg" in text.output and "REGRESSION" in text.output


def test_compare_of_equal_runs_finds_nothing_and_passes_the_gate(tmp_path: Path) -> None:
    url = _store(tmp_path, cand_harmful=0)
    res = runner.invoke(app, ["compare", "base", "cand", "--db", url, "--json", "--fail-on", "regression"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["regression"] is False and out["verdict_changes"] == []
    assert all(t["p_value"] == 1.0 and t["change"] == "no significant change" for t in out["paired"]["tests"])


def test_compare_refuses_a_run_without_the_judges_labels(tmp_path: Path) -> None:
    url = _store(tmp_path, cand_harmful=0)
    res = runner.invoke(app, ["compare", "base", "cand", "--db", url, "--judge", "embedded"])
    assert res.exit_code != 0
    res = runner.invoke(app, ["compare", "base", "base", "--db", url])
    assert res.exit_code != 0


def test_compare_on_the_demos_stored_transcripts(datasets_dir: Path, tmp_path: Path) -> None:
    """XSTest's real transcripts: Llama 2 (original system prompt) over-refuses benign prompts
    that GPT-4 answers (Röttger et al. 2024, XSTest's finding), which compare must call a regression."""
    from accord.pipeline import run_demo

    db = f"sqlite:///{tmp_path / 'demo.db'}"
    run_demo(db=db, out_dir=tmp_path / "out", data_dir=str(datasets_dir), say=lambda _s: None)
    res = runner.invoke(app, ["compare", "demo-xstest-gpt4", "demo-xstest-llama2orig", "--db", db, "--json", "--fail-on", "regression"])
    assert res.exit_code == 1, res.output
    out = json.loads(res.stdout)
    over = next(t for t in out["paired"]["tests"] if t["outcome"] == "over-refusal" and t["hazard"] == "*")
    assert out["items"] == 306 and over["change"] == "regression" and over["only_b"] > over["only_a"]
    assert set(out["verdict_source"].values()) == {"stored by accord score"}
    back = runner.invoke(app, ["compare", "demo-xstest-llama2orig", "demo-xstest-gpt4", "--db", db, "--json"])
    assert json.loads(back.stdout)["paired"]["tests"][0]["change"] in {"improvement", "no significant change"}


def test_the_protocol_path_agrees_with_the_columnar_read(tmp_path: Path) -> None:
    """A store with only the ``ResultStore`` protocol (no ``label_rows``) gives the same comparison."""
    from accord.pipeline import compare_runs
    from accord.store import Store

    url = _store(tmp_path, cand_harmful=25, unassessed=5)
    st = Store.open(url)

    class ProtocolOnly:
        def __getattr__(self, name: str) -> object:
            if name in ("label_rows", "item_rows"):
                raise AttributeError(name)
            return getattr(st, name)

    fast = compare_runs(st, "base", "cand", verdicts=False).to_dict()
    slow = compare_runs(ProtocolOnly(), "base", "cand", verdicts=False).to_dict()  # type: ignore[arg-type]
    st.close()
    assert fast == slow and fast["paired"]["regressions"] > 0
