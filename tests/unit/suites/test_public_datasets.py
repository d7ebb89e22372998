"""The public-dataset loaders on the real shared datasets (read in place, never copied)."""

from __future__ import annotations

import csv
import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from accord.errors import AccordError, InputError, UnknownNameError
from accord.suites import FLOOR_HAZARDS, digest_items, list_suites, load_suite, open_suite, recorded_names, recorded_responses
from accord.suites import _mappings as maps
from accord.suites._public import jbb_artifacts
from accord.taxonomy import AILUMINATE_HAZARDS, hazard_ids


def test_every_mapping_value_is_a_canonical_hazard() -> None:
    known = hazard_ids()
    values = [
        *maps.AILUMINATE.values(), *maps.XSTEST_TYPES.values(), *maps.XSTEST_FOCUS.values(),
        *(h for h, _ in maps.FLAMES.values()), *maps.JBB_CATEGORIES.values(), *maps.JBB_BEHAVIORS.values(),
        *maps.HARMBENCH.values(), *maps.STRONGREJECT.values(),
        *(h for _, h in maps.DO_NOT_ANSWER_TYPES), *(h for _, h in maps.DO_NOT_ANSWER_AREAS),
    ]
    assert set(values) <= known, set(values) - known
    assert {i for _, i in maps.FLAMES.values()} <= {"harmful", "benign", "contested"}


@pytest.mark.parametrize(("name", "locale"), [("ailuminate-demo-en", "en-US"), ("ailuminate-demo-fr", "fr-FR")])
def test_ailuminate(datasets_dir: Path, name: str, locale: str) -> None:
    suite = load_suite(name, data_dir=datasets_dir)
    assert suite.suite_id == name and len(suite) == 1200
    assert suite.locales() == {locale: 1200}
    hazards = suite.hazards()
    assert set(hazards) == set(AILUMINATE_HAZARDS)  # all twelve, mapped
    assert hazards["specialized-advice"] == 26 + 26 + 24 and hazards["elections"] == 24
    assert all(i.intent == "harmful" and i.item_id.startswith("airr_practice_1_0_") for i in suite.items)
    assert Counter(t for i in suite.items for t in i.tags if t.startswith("persona:")) == {"persona:skilled": 600, "persona:unskilled": 600}


def test_xstest(datasets_dir: Path) -> None:
    suite = load_suite("xstest", data_dir=datasets_dir)
    assert len(suite) == 306
    assert Counter(i.intent for i in suite.items) == {"benign": 170, "harmful": 136}
    by_id = {i.item_id: i for i in suite.items}
    assert by_id["v2-1"].hazard == "violent-crimes" and by_id["v2-1"].intent == "benign"  # a homonym of "kill"
    types = {t.removeprefix("xstest:") for i in suite.items for t in i.tags if t.startswith("xstest:") and t.count("_")}
    assert {"privacy_public", "contrast_privacy", "contrast_discr"} <= types
    assert all(i.hazard == "privacy" for i in suite.items if "xstest:privacy_public" in i.tags)
    assert all(i.hazard == "hate" for i in suite.items if "xstest:contrast_discr" in i.tags)


def test_flames(datasets_dir: Path) -> None:
    suite = load_suite("flames", data_dir=datasets_dir)
    assert len(suite) == 1000 and suite.locales() == {"zh-CN": 1000}
    assert suite.hazards()["ai-self-identification"] == 242  # Safety / Non-anthropomorphism
    assert [i.item_id for i in suite.items[:3]] == ["1", "2", "3"]


def test_jailbreakbench_artifacts(datasets_dir: Path) -> None:
    arts = jbb_artifacts(datasets_dir)
    assert len(arts) == 18 and len({a.name for a in arts}) == 18
    pair = load_suite("jailbreakbench/PAIR/gpt-4-0125-preview", data_dir=datasets_dir)
    raw = json.loads((datasets_dir / "jailbreakbench_artifacts/PAIR/black_box/gpt-4-0125-preview.json").read_text())
    with_prompt = [r for r in raw["jailbreaks"] if r["prompt"] is not None]
    assert len(pair) == len(with_prompt) == 64  # behaviours with no attack prompt have nothing to send
    assert [i.item_id for i in pair.items] == [str(r["index"]) for r in with_prompt]
    gcg = load_suite("jailbreakbench/GCG/transfer/gpt-4-0125-preview", data_dir=datasets_dir)
    assert gcg.suite_id == "jailbreakbench/GCG/gpt-4-0125-preview" and len(gcg) == 100
    assert FLOOR_HAZARDS & set(gcg.hazards())  # bomb building, nuclear weapons, child abuse ... reach the floor
    for art in arts:
        n, _ = open_suite(art.name, data_dir=datasets_dir).scan()
        assert 0 < n <= 100


def test_unknown_artifact_lists_known(datasets_dir: Path) -> None:
    with pytest.raises(UnknownNameError) as info:
        open_suite("jailbreakbench/PAIR/no-such-model", data_dir=datasets_dir)
    assert "jailbreakbench/PAIR/gpt-4-0125-preview" in info.value.known


@pytest.mark.parametrize("name", ["ailuminate-demo-en", "xstest", "flames", "jailbreakbench/JBC/vicuna-13b-v1.5"])
def test_digests_are_stable_and_streaming_matches(datasets_dir: Path, name: str) -> None:
    first = open_suite(name, data_dir=datasets_dir).scan()
    second = open_suite(name, data_dir=datasets_dir).scan()
    assert first == second
    assert first[1] == digest_items(list(open_suite(name, data_dir=datasets_dir).iter_items()))


def test_recorded_xstest_lines_up_with_the_suite(datasets_dir: Path) -> None:
    names = [n for n in recorded_names(datasets_dir) if n.startswith("xstest/")]
    assert names == ["xstest/gpt4", "xstest/llama2new", "xstest/llama2orig", "xstest/mistralguard", "xstest/mistralinstruct"]
    ids = {i.item_id for i in open_suite("xstest", data_dir=datasets_dir).iter_items()}
    for name in names:
        records = list(recorded_responses(name, data_dir=datasets_dir))
        assert len(records) == 306 and {r["item_id"] for r in records} == ids
        assert all(r["suite_id"] == "xstest" and isinstance(r["output"], str) and r["model"] == name.split("/")[1] for r in records)


def test_recorded_jailbreakbench_lines_up_with_the_suite(datasets_dir: Path) -> None:
    name = "jailbreakbench/PAIR/gpt-4-0125-preview"
    suite = load_suite(name, data_dir=datasets_dir)
    records = list(recorded_responses(name, data_dir=datasets_dir))
    assert [r["item_id"] for r in records] == [i.item_id for i in suite.items]
    assert {r["suite_id"] for r in records} == {suite.suite_id} and {r["model"] for r in records} == {"gpt-4-0125-preview"}
    assert all(isinstance(r["output"], str) for r in records)


def test_null_response_yields_none(tmp_path: Path, datasets_dir: Path) -> None:
    root = tmp_path / "jailbreakbench_artifacts" / "PAIR" / "black_box"
    root.mkdir(parents=True)
    src = json.loads((datasets_dir / "jailbreakbench_artifacts/PAIR/black_box/vicuna-13b-v1.5.json").read_text())
    first = next(r for r in src["jailbreaks"] if r["prompt"] is not None)
    rows = [dict(first, index=0, response=None), dict(first, index=1, prompt=None, response=None)]
    rows.append({k: v for k, v in dict(first, index=2).items() if k != "response"})
    (root / "m.json").write_text(json.dumps({"parameters": {}, "jailbreaks": rows}))
    records = list(recorded_responses("jailbreakbench/PAIR/m", data_dir=tmp_path))
    assert [(r["item_id"], r["output"]) for r in records] == [("0", None), ("2", None)]
    assert [i.item_id for i in open_suite("jailbreakbench/PAIR/m", data_dir=tmp_path).iter_items()] == ["0", "2"]


def test_unknown_recorded_name(datasets_dir: Path) -> None:
    with pytest.raises(UnknownNameError):
        recorded_responses("xstest/gpt5", data_dir=datasets_dir)
    with pytest.raises(UnknownNameError):
        recorded_responses("nothing/here", data_dir=datasets_dir)


def test_missing_data_dir_says_how_to_set_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACCORD_DATA_DIR")
    with pytest.raises(AccordError) as info:
        open_suite("xstest")
    assert "ACCORD_DATA_DIR" in (info.value.fix or "")
    with pytest.raises(AccordError, match="not found"):
        open_suite("xstest", data_dir=tmp_path)


def test_bad_dataset_rows_are_located(tmp_path: Path, datasets_dir: Path) -> None:
    (tmp_path / "xstest").mkdir()
    src = datasets_dir / "xstest" / "prompts.csv"
    rows = list(csv.reader(src.open(encoding="utf-8")))
    rows[3][rows[0].index("type")] = "new_type"
    with (tmp_path / "xstest" / "prompts.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    with pytest.raises(InputError) as info:
        open_suite("xstest", data_dir=tmp_path).scan()
    assert (info.value.line, info.value.field) == (4, "type")
    (tmp_path / "ailuminate").mkdir()
    bad = tmp_path / "ailuminate" / "airr_official_1.0_demo_en_us_prompt_set_release.csv"
    shutil.copy(datasets_dir / "ailuminate" / bad.name, bad)
    text = bad.read_bytes().replace(b",prompt_text,", b",text,", 1)
    bad.write_bytes(text)
    with pytest.raises(InputError) as info:
        open_suite("ailuminate-demo-en", data_dir=tmp_path)
    assert (info.value.line, info.value.field) == (1, "prompt_text")


def test_list_suites(datasets_dir: Path) -> None:
    rows = {r.name: r for r in list_suites(datasets_dir)}
    assert rows["xstest"].available and rows["xstest"].kind == "dataset"
    assert rows["jailbreakbench/PAIR/gpt-4-0125-preview"].available
    assert rows["harmbench"].kind == "dataset" and rows["harmbench"].available  # read in place from redteam/
    assert rows["harmbench-full"].kind == "fetchable" and not rows["harmbench-full"].available
    assert {"floor", "overrefusal", "divergence"} <= {n for n, r in rows.items() if r.kind == "builtin"}


@pytest.mark.parametrize("name", ["xstest", "flames"])
def test_dataset_exported_to_jsonl_and_csv_hashes_the_same(datasets_dir: Path, tmp_path: Path, name: str) -> None:
    """The same items through three loaders (dataset, JSONL, CSV with a mapping): one digest."""
    items = list(open_suite(name, data_dir=datasets_dir).iter_items())
    jsonl = tmp_path / "j" / f"{name}.jsonl"
    jsonl.parent.mkdir()
    with jsonl.open("w", encoding="utf-8") as fh:
        for i in items:
            fh.write(json.dumps({"id": i.item_id, "prompt": i.prompt, "hazard": i.hazard, "intent": i.intent, "locale": i.locale, "tags": list(i.tags)}, ensure_ascii=False) + "\n")
    table = tmp_path / "c" / f"{name}.csv"
    table.parent.mkdir()
    with table.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["key", "text", "category", "intent", "locale", "tags"])
        for i in items:
            writer.writerow([i.item_id, i.prompt, i.hazard, i.intent, i.locale, ";".join(i.tags)])
    expected = open_suite(name, data_dir=datasets_dir).scan()
    assert open_suite(str(jsonl)).scan() == expected
    assert open_suite(str(table), mapping={"id": "key", "prompt": "text", "hazard": "category"}).scan() == expected


def test_recorded_responses_glob_joins_one_models_transcripts(datasets_dir) -> None:
    from accord.suites import recorded_names, recorded_responses

    name = "jailbreakbench/*/gpt-4-0125-preview"
    parts = [n for n in recorded_names(datasets_dir) if n.startswith("jailbreakbench/") and n.endswith("/gpt-4-0125-preview")]
    assert len(parts) >= 3
    joined = list(recorded_responses(name, datasets_dir))
    assert len(joined) == sum(len(list(recorded_responses(n, datasets_dir))) for n in parts)
    assert {r["suite_id"] for r in joined} == set(parts)
