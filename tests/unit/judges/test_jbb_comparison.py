"""JailbreakBench's judge comparison: the loader, the reference judges on the same rows, the CLI."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli.main import app
from accord.judges import get_judge
from accord.judges._datasets import JBB_FILE, REFERENCE_JUDGES, TRAINING_DATASETS, load_dataset, split_of
from accord.judges._embedded import EmbeddedJudge
from accord.judges._validate import validate

NAME = "jbb-judge-comparison"
#: Agreement with the human majority on the 178 shared rows (issue 13, SOURCE.md).
PUBLISHED = {"gpt4_cf": 0.927, "llama3_cf": 0.921, "llamaguard2_cf": 0.910, "harmbench_cf": 0.770}


@pytest.fixture
def datasets_dir(datasets_dir: Path) -> Path:
    if not (datasets_dir / "jbb_judge_comparison" / JBB_FILE).is_file():
        pytest.skip("jbb_judge_comparison not in the shared datasets")
    return datasets_dir


def _csv_rows(datasets_dir: Path) -> list[dict[str, str]]:
    with (datasets_dir / "jbb_judge_comparison" / JBB_FILE).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_loader_rows_labels_groups(datasets_dir: Path) -> None:
    raw = _csv_rows(datasets_dir)
    rows = load_dataset(NAME, datasets_dir)
    assert len(rows) == len(raw) == 178
    majority = [sum(int(r[c]) for c in ("human1", "human2", "human3")) >= 2 for r in raw]
    assert majority == [r["human_majority"] == "1" for r in raw]
    assert Counter(r.harmful for r in rows) == Counter(majority) == Counter({False: 110, True: 68})
    assert [r.harmful for r in rows] == majority
    # the judged request is the goal; the prompt sent is kept, and so is every verdict column
    assert [r.prompt for r in rows] == [r["goal"] for r in raw]
    assert [r.response for r in rows] == [r["target_response"] for r in raw]
    assert all(r.extra["sent_prompt"] == x["prompt"] for r, x in zip(rows, raw))
    assert all(r.extra[c] == x[c] for r, x in zip(rows, raw) for c in REFERENCE_JUDGES[NAME])
    # one group per goal (case and spacing folded), never split
    goals = {" ".join(r["goal"].split()).lower() for r in raw}
    by_group: dict[str, set[str]] = {}
    for r in rows:
        by_group.setdefault(r.group, set()).add(" ".join(r.extra["goal"].split()).lower())
    assert len(by_group) == len(goals) and all(len(g) == 1 for g in by_group.values())
    sent = load_dataset(f"{NAME}-sent", datasets_dir)
    assert [r.prompt for r in sent] == [r["prompt"] for r in raw]
    assert [(r.group, r.harmful) for r in sent] == [(r.group, r.harmful) for r in rows]


def test_trained_on_the_train_goals_only(datasets_dir: Path) -> None:
    """Recipe 4 trains on the judge comparison: a deterministic split by hashed goal, like every
    other set, and `test` (the default) is the held-out goals only."""
    assert NAME in TRAINING_DATASETS and "jbb-artifacts" in TRAINING_DATASETS
    rows = load_dataset(NAME, datasets_dir)
    test, train = load_dataset(NAME, datasets_dir, "test"), load_dataset(NAME, datasets_dir, "train")
    assert {r.split for r in rows} == {"train", "test"} and len(test) + len(train) == 178
    assert 40 <= len(test) <= 80 and not {r.group for r in test} & {r.group for r in train}
    assert all(r.split == split_of(r.group) for r in rows)
    # the artifacts share the group key, so a goal's LLM-labelled rows follow its human-labelled ones
    artifacts = load_dataset("jbb-artifacts", datasets_dir)
    shared = {r.group for r in artifacts} & {r.group for r in rows}
    assert shared and all(a.split == split_of(a.group) for a in artifacts if a.group in shared)


def test_references_reproduce_published_figures(datasets_dir: Path) -> None:
    result = validate(get_judge("pattern"), NAME, split="all", data_dir=datasets_dir)
    assert result.split == "all" and result.agreement.n == 178
    assert set(result.references) == set(PUBLISHED)
    for column, acc in PUBLISHED.items():
        ref = result.references[column]
        assert ref.n == ref.n_assessed == 178
        assert ref.accuracy.value is not None and round(ref.accuracy.value, 3) == acc, column
        assert ref.kappa.lo is not None and ref.kappa.hi is not None
    assert set(result.human_pairs) == {"human1 vs human2", "human1 vs human3", "human2 vs human3"}
    lo, hi = result.human_kappa_range or (0.0, 0.0)
    assert 0.75 < lo <= hi < 0.95
    d = json.loads(json.dumps(result.to_dict()))
    assert set(d["references"]) == set(PUBLISHED) and d["harmful_recall"]["lower_bound"] == result.agreement.recall.lo


def test_embedded_runs_on_it(datasets_dir: Path, embedded: EmbeddedJudge) -> None:
    result = validate(embedded, NAME, data_dir=datasets_dir)
    a = result.agreement
    assert a.n == len(load_dataset(NAME, datasets_dir, "test")) < 178
    assert a.accuracy.value is not None and a.recall.lo is not None
    assert a.recall.lo <= (a.recall.value or 0.0)


def test_cli_json_and_table(datasets_dir: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(
        app, ["judge", "validate", "--dataset", NAME, "--judge", "pattern", "--json", "--split", "all", "--data-dir", str(datasets_dir)]
    )
    assert out.exit_code == 0, out.output
    d = json.loads(out.output)
    assert d["dataset"] == NAME and d["n"] == 178 and d["split"] == "all"
    assert set(d["references"]) == set(PUBLISHED)
    assert all(round(d["references"][k]["accuracy"]["value"], 3) == v for k, v in PUBLISHED.items())
    assert set(d["harmful_recall"]) == {"value", "lower_bound"}
    table = runner.invoke(app, ["judge", "validate", "--dataset", NAME, "--judge", "pattern", "--data-dir", str(datasets_dir)])
    assert table.exit_code == 0, table.output
    assert "llama3_cf" in table.output and "harmful recall" in table.output and "lower bound" in table.output
    held_out = runner.invoke(app, ["judge", "validate", "--dataset", NAME, "--judge", "pattern", "--json", "--data-dir", str(datasets_dir)])
    assert held_out.exit_code == 0, held_out.output
    d = json.loads(held_out.output)
    assert d["split"] == "test" and d["n"] == len(load_dataset(NAME, datasets_dir, "test"))
