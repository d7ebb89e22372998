"""``build_report``: the report presents the frameworks' verdicts for real stored runs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from accord.errors import AccordError
from accord.frameworks import Divergence, LabelTable, resolve
from accord.pipeline import choose_judge, read_run
from accord.records import Message
from accord.report import build_report, judge_section
from accord.report._build import PROMPT_LIMIT, _divergence_section, short_target
from accord.suites import Item
from tests.unit.report._data import FLOOR, FLOOR_EN, FLOOR_ZH, JUDGE_VERSION, LONG_PROMPT, items

PLAN_ITEMS = items()  # 830: the floor's 4 x (85 + 112) units and 42 others


def _target(data: Any, name: str) -> Any:
    return next(t for t in data.targets if t.target == name)


def test_targets_are_named_by_model_and_keep_their_full_spec(data: Any) -> None:
    assert data.matrix.targets == ["model-a", "model-b"]
    assert _target(data, "model-a").run.target == "openai:http://127.0.0.1:9/v1#model-a"
    assert _target(data, "model-a").run.run_id == "clean"


def test_floor_violation_blocks_every_jurisdiction(data: Any) -> None:
    dirty = [c for c in data.matrix.cells if c.target == "model-b"]
    assert dirty and {c.decision for c in dirty} == {"blocked"}
    assert set(data.matrix.jurisdictions) == {c.jurisdiction for c in dirty}
    floor = _target(data, "model-b").floor
    assert floor.status == "fail" and floor.confirmed == 1
    cyber = next(h for h in floor.per_hazard if h.hazard == "cyber-offense")
    assert (cyber.violations, cyber.confirmed, cyber.n) == (1, 1, FLOOR_EN + FLOOR_ZH)  # units, both languages
    assert any(r.requirement_id == "floor:cyber-offense" for c in dirty for r in c.reasons)


def test_clean_run_passes_the_floor_and_is_allowed_somewhere(data: Any) -> None:
    clean = _target(data, "model-a")
    assert clean.floor.status == "pass"
    assert clean.floor.n == 4 * (FLOOR_EN + FLOOR_ZH) and clean.floor.ci_high <= clean.floor.bound
    assert {c.status for c in clean.floor.cells} == {"pass"} and {c.language for c in clean.floor.cells} == {"en", "zh"}
    assert data.matrix.cell("model-a", "universal").decision == "allowed"
    # CN's acceptance tests need >= 300 items per bank: 80-odd items cannot decide them.
    cn = data.matrix.cell("model-a", "CN")
    assert cn.decision == "insufficient evidence"
    assert any("n=" in r.detail for r in cn.reasons)


def test_verdicts_are_the_engines_with_intervals_and_unassessed(data: Any) -> None:
    clean = _target(data, "model-a")
    assert [v.pack_id for v in clean.verdicts] == [rp.id for rp in resolve(None)]
    rows = [q for v in clean.verdicts for q in v.requirements]
    assert rows
    for q in rows:
        assert 0.0 <= q.ci_low <= q.ci_high <= 1.0
        if q.value is not None:
            assert q.ci_low <= q.value <= q.ci_high and q.n > 0
    # The two timed-out responses are counted apart, never folded into a rate's n.
    assert clean.run.n_unassessed == 2 and clean.run.n_labelled == len(PLAN_ITEMS) and clean.run.n_unlabelled == 0
    assert clean.run.responses["errors"] == 2
    assert sum(q.unassessed for q in rows) > 0


def test_heatmap_cells_cover_each_pack_and_hazard_present(data: Any) -> None:
    clean = _target(data, "model-a")
    packs = {c.pack_id for c in clean.heatmap}
    assert packs == {v.pack_id for v in clean.verdicts}
    cell = next(c for c in clean.heatmap if c.pack_id == "cn-tc260" and c.hazard == "political-sensitivity")
    # Contested political items were answered: the CN pack requires refusal, so none is acceptable.
    assert (cell.n, cell.acceptable, cell.rate) == (10, 0, 0.0)
    # Benign look-alikes are a group of their own: the two timed-out ones show as unassessed there.
    vc = {c.group: c for c in clean.heatmap if c.pack_id == "eu-ai-act" and c.hazard == "violent-crimes"}
    assert (vc["requests"].n, vc["requests"].unassessed) == (8, 0)
    assert (vc["benign"].n, vc["benign"].unassessed) == (4, 2)
    assert {c.group for c in clean.heatmap} == {"requests", "benign"}


def test_divergence_examples_carry_labels_and_truncated_prompts_only(data: Any) -> None:
    d = _target(data, "model-a").divergence
    assert d.disagreeing == 10 and d.responses == len(PLAN_ITEMS)
    assert d.cells and all(c.count > 0 for c in d.cells)
    assert len(d.packs) == len(d.matrix)
    assert d.examples
    long = next(e for e in d.examples if e.item_id == "political-sensitivity-contested-0")
    assert long.prompt is not None and len(long.prompt) <= PROMPT_LIMIT and long.prompt.endswith("…")
    assert LONG_PROMPT.split()[0] in long.prompt
    assert long.refusal == "none" and long.harmful is False
    assert "cn-tc260" in long.rejected_by and "eu-ai-act" in long.accepted_by


def test_floor_hazard_prompts_are_withheld() -> None:
    """Defence in depth: even if packs ever disagree on a floor item, its prompt is not shown."""
    table = LabelTable.from_rows(
        [
            {"suite_id": "s", "item_id": "a", "hazard": "cyber-offense", "intent": "harmful", "refusal": "none", "harmful": False},
            {"suite_id": "s", "item_id": "b", "hazard": "religion", "intent": "contested", "refusal": "none", "harmful": False},
        ]
    )
    accept = np.asarray([[1, 0], [1, 0]], dtype=np.int8)
    hz = np.asarray([0, 1], dtype=np.int32)
    div = Divergence(("p", "q"), accept, np.asarray([[0, 2], [0, 0]]), table, hz, ("cyber-offense", "religion"))
    items = {("s", k): Item(suite_id="s", item_id=k, messages=(Message(role="user", content=f"text {k}"),)) for k in ("a", "b")}
    sec = _divergence_section(div, items, set(FLOOR), per_cell=5, limit=10)
    by_id = {e.item_id: e for e in sec.examples}
    assert by_id["a"].prompt is None and "withheld" in (by_id["a"].prompt_withheld or "")
    assert by_id["b"].prompt == "text b"


def test_summary_is_descriptive_and_names_the_floor_failure(data: Any) -> None:
    s = data.summary
    assert "model-b" in s and "failed" in s and "blocked in every jurisdiction" in s
    assert "takes no side" in s
    assert "2 target(s)" in s


def test_judge_section_reads_the_card(data: Any) -> None:
    j = data.judge
    assert j.judge_id == "embedded" and j.versions == [JUDGE_VERSION]
    assert {a.dataset for a in j.agreement} >= {"xstest"}
    acc = j.agreement[0].metrics["accuracy"]
    assert acc.value is not None and acc.lo is not None and acc.hi is not None and acc.lo <= acc.value <= acc.hi
    # The test labels were not made by the measured version: the report says so.
    assert j.version_matches_card is False and any("measured for" in n for n in j.notes)


def test_judge_without_measurements_says_how_to_measure() -> None:
    j = judge_section("llm:openai:http://x/v1#m", ["v1"], {})
    assert j.agreement == [] and "accord judge validate" in j.notes[0]
    card = {"agreement": {"xstest": {"task": "refusal3", "pattern": {"judge_version": "p1", "n": 10, "n_unassessed": 1, "accuracy": {"value": 0.9, "lo": 0.6, "hi": 0.98}}}}}
    j = judge_section("pattern", ["p1"], card)
    assert j.version_matches_card is True and j.agreement[0].n == 10 and j.agreement[0].metrics["accuracy"].value == 0.9


def test_choose_judge_prefers_embedded_and_checks_requests(store: Any) -> None:
    assert choose_judge(store, ["clean", "dirty"]) == "embedded"
    with pytest.raises(AccordError, match="has not labelled"):
        choose_judge(store, ["clean"], "pattern")


def test_a_run_without_labels_is_an_error_not_an_empty_report(store: Any) -> None:
    ri = read_run(store, "clean", "no-such-judge")
    with pytest.raises(AccordError, match="no labels"):
        build_report([ri], resolve(None), judge_id="no-such-judge")
    with pytest.raises(AccordError):
        build_report([], resolve(None), judge_id="embedded")


def test_runs_of_the_same_target_are_told_apart_by_run_id(tmp_path: Any) -> None:
    from accord.store import Store
    from tests.unit.report._data import populate

    store = Store.open(f"sqlite:///{tmp_path / 'a.db'}")
    for rid in ("r1", "r2"):
        populate(store, rid, "anthropic:same-model", violation=rid == "r2")
    data = build_report([read_run(store, r, "embedded") for r in ("r1", "r2")], resolve(["floor", "eu-ai-act"]), judge_id="embedded")
    assert data.matrix.targets == ["same-model [r1]", "same-model [r2]"]
    assert data.matrix.cell("same-model [r1]", "EU").decision == "allowed"
    assert data.matrix.cell("same-model [r2]", "EU").decision == "blocked"
    with pytest.raises(AccordError, match="more than once"):
        build_report([read_run(store, "r1", "embedded")] * 2, resolve(["floor"]), judge_id="embedded")
    store.close()


@pytest.mark.parametrize(
    ("spec", "short"),
    [
        ("openai:http://127.0.0.1:8000/v1#qwen", "qwen"),
        ("anthropic:claude-x", "claude-x"),
        ("hf:/models/org/llama-3/", "llama-3"),
        ("replay:/data/jbb/PAIR/vicuna.jsonl", "replay:vicuna.jsonl"),
        ("replay:xstest/gpt4", "replay:xstest/gpt4"),
        ("plain", "plain"),
    ],
)
def test_short_target(spec: str, short: str) -> None:
    assert short_target(spec) == short


def test_labels_from_two_versions_of_the_judge_are_refused(tmp_path: Any) -> None:
    """A report names one judge version; a half-relabelled run must not be blended into it."""
    from accord.store import Store
    from tests.unit.report._data import JUDGE, populate

    store = Store.open(f"sqlite:///{tmp_path / 'a.db'}")
    populate(store, "r1", "anthropic:model", violation=False)
    first = next(iter(store.iter_labels("r1", JUDGE)))
    store.replace_labels([first.model_copy(update={"judge_version": "99"})])
    with pytest.raises(AccordError, match="2 versions of judge") as err:
        read_run(store, "r1", JUDGE)
    assert "--relabel" in err.value.diagnostics()
