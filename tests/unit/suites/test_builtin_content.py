"""The built-in suites we write ourselves (issue 5): shape, coverage and content-safety checks.

These tests read the JSONL files directly and build each ``Item`` by hand, so they do not
depend on the suite loader's API and hold before (and independently of) the loader. The floor
is a folder, ``data/floor/<hazard>.jsonl`` (issue 14); its own checks (families, pairs, framings,
near-copies, forbidden specifics) are in ``test_floor_v2.py``.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from accord.records import Message
from accord.suites import Item, Suite

DATA = Path(str(resources.files("accord.suites") / "data"))

CANONICAL_HAZARDS = frozenset(
    {
        # AILuminate-aligned
        "violent-crimes", "nonviolent-crimes", "sex-related-crimes", "child-sexual-exploitation",
        "indiscriminate-weapons", "suicide-self-harm", "hate", "specialized-advice", "privacy",
        "intellectual-property", "defamation", "elections", "sexual-content",
        # extensions
        "ncii", "cyber-offense", "loss-of-control", "harmful-manipulation", "misinformation",
        "ai-self-identification", "state-security", "political-sensitivity", "religion",
        "regulated-goods", "gender-sexuality", "discrimination",
        "benign",
    }
)  # fmt: skip
FLOOR_HAZARDS = ("child-sexual-exploitation", "indiscriminate-weapons", "cyber-offense", "ncii")
LOCALES = ("en", "zh-CN")
#: Issue 17 adds French and Traditional Chinese (Taiwan and Hong Kong items).
ALL_LOCALES = ("en", "zh-CN", "zh-TW", "zh-HK", "fr-FR")
ROW_KEYS = {"id", "prompt", "messages", "hazard", "intent", "locale", "tags"}
V2_KEYS = {"family", "pair", "framing", "persona", "subtype", "canary"}  # the floor's (issue 14)
V3_KEYS = {"expect", "contrast_of"}  # per-pack expectations and unsafe twins (issue 17)
#: Intents per suite: over-refusal items are benign, their unsafe twins harmful (issue 17);
#: divergence items are contested, or harmful / benign where every pack agrees on one side.
SUITES = {"floor": ("harmful",), "overrefusal": ("benign", "harmful"), "divergence": ("contested", "harmful", "benign")}
# every floor cell probes robustness with every framing (the `framing` field)
FRAMINGS = {
    "direct", "fictional", "academic", "authority", "role-play", "multi-turn", "obfuscated", "ordinary-user",
}  # fmt: skip
OVERREFUSAL_TYPES = {
    "homonym", "figurative", "safe-target", "safe-context", "safety-info", "definition",
    "history", "fiction", "nonsense-group", "public-figure", "fictional-privacy",
}  # fmt: skip

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
ID = re.compile(r"^(floor|overrefusal|divergence|div)-[a-z0-9]+(-[a-z0-9]+)*-\d{3}(-u)?$")
MAX_PROMPT_CHARS = 300  # a request fits in a few sentences; a long prompt may be smuggling an answer


def _files(name: str) -> list[Path]:
    """A suite's files in the loader's order: ``NAME.jsonl``, or the folder's files sorted by name."""
    single = DATA / f"{name}.jsonl"
    return [single] if single.is_file() else sorted((DATA / name).glob("*.jsonl"))


def _rows(name: str) -> list[dict[str, Any]]:
    rows = []
    assert _files(name), f"no data for the suite {name}"
    for path in _files(name):
        raw = path.read_bytes().decode("utf-8")
        assert raw.endswith("\n"), f"{path} must end with a newline"
        for n, line in enumerate(raw.split("\n")[:-1], 1):
            assert line.strip(), f"{path}:{n}: blank line"
            row = json.loads(line)
            assert isinstance(row, dict), f"{path}:{n}: not a JSON object"
            rows.append(row)
    return rows


def _item(suite_id: str, row: dict[str, Any]) -> Item:
    if "messages" in row:
        messages = tuple(Message(**m) for m in row["messages"])
    else:
        messages = (Message(role="user", content=row["prompt"]),)
    return Item(
        suite_id=suite_id,
        item_id=row["id"],
        messages=messages,
        hazard=row["hazard"],
        intent=row["intent"],
        locale=row["locale"],
        tags=tuple(row.get("tags", ())),
        **{key: row.get(key) for key in sorted(V2_KEYS | V3_KEYS)},
    )


@pytest.fixture(scope="module")
def suites() -> dict[str, list[Item]]:
    return {name: [_item(name, row) for row in _rows(name)] for name in SUITES}


@pytest.mark.parametrize("name", sorted(SUITES))
def test_rows_have_only_loader_fields(name: str) -> None:
    keys = ROW_KEYS | V2_KEYS if name == "floor" else ROW_KEYS | V2_KEYS | V3_KEYS
    for row in _rows(name):
        assert set(row) <= keys, f"{row.get('id')}: unexpected keys {set(row) - keys}"
        assert ("prompt" in row) != ("messages" in row), f"{row['id']}: exactly one of prompt/messages"
        assert isinstance(row.get("tags", []), list)
        assert all(isinstance(t, str) and t for t in row.get("tags", []))


@pytest.mark.parametrize("name", sorted(SUITES))
def test_ids_are_stable_and_unique(name: str, suites: dict[str, list[Item]]) -> None:
    ids = [item.item_id for item in suites[name]]
    assert len(ids) == len(set(ids)), [i for i, c in Counter(ids).items() if c > 1]
    for item_id in ids:
        assert ID.match(item_id) and item_id.startswith(f"{name}-" if name != "divergence" else ("divergence-", "div-")), item_id


def test_ids_unique_across_suites(suites: dict[str, list[Item]]) -> None:
    ids = [item.item_id for items in suites.values() for item in items]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("name", sorted(SUITES))
def test_hazards_intent_locale(name: str, suites: dict[str, list[Item]]) -> None:
    for item in suites[name]:
        assert item.hazard in CANONICAL_HAZARDS, f"{item.item_id}: unknown hazard {item.hazard!r}"
        assert item.hazard != "benign", f"{item.item_id}: built-in items name the hazard they probe"
        assert item.intent in SUITES[name], item.item_id
        assert item.locale in (LOCALES if name == "floor" else ALL_LOCALES), item.item_id


@pytest.mark.parametrize("name", sorted(SUITES))
def test_locale_matches_script(name: str, suites: dict[str, list[Item]]) -> None:
    for item in suites[name]:
        text = item.prompt
        if item.locale.startswith("zh") and item.framing == "obfuscated":
            assert len(CJK.findall(text)) >= 8, f"{item.item_id}: not Chinese text"  # may mix in pinyin
        elif item.locale.startswith("zh"):
            cjk = len(CJK.findall(text))
            assert cjk >= 4 and cjk / len(text) >= 1 / 3, f"{item.item_id}: not Chinese text"
        else:
            assert not CJK.search(text), f"{item.item_id}: CJK characters in a {item.locale} prompt"


@pytest.mark.parametrize("name", sorted(SUITES))
def test_content_safety_heuristics(name: str, suites: dict[str, list[Item]]) -> None:
    """Prompts are short requests: no code, no links, no pasted material that could carry an answer."""
    prompts = [item.prompt for item in suites[name]]
    assert len(prompts) == len(set(prompts)), "duplicate prompt text"
    for item in suites[name]:
        text = item.prompt
        assert len(text) <= MAX_PROMPT_CHARS, f"{item.item_id}: {len(text)} chars"
        assert "```" not in text and "http" not in text.lower() and "www." not in text.lower(), item.item_id
        assert not re.search(r"[{}<>]|\b(?:def|import|sudo|chmod)\b", text), f"{item.item_id}: code-like"
        assert not re.search(r"\d+(?:\.\d+)?\s?(?:mg|ml|g|kg|l|°c|%)\b", text, re.I), f"{item.item_id}: quantity"


def test_floor_minimum_per_hazard_and_language(suites: dict[str, list[Item]]) -> None:
    counts = Counter((i.hazard, i.locale) for i in suites["floor"])
    assert set(h for h, _ in counts) == set(FLOOR_HAZARDS)
    for hazard in FLOOR_HAZARDS:
        for locale in LOCALES:
            families = {i.family for i in suites["floor"] if (i.hazard, i.locale) == (hazard, locale)}
            assert len(families) >= 100, (hazard, locale, len(families))
    assert len(suites["floor"]) >= 800


def test_floor_framings_vary(suites: dict[str, list[Item]]) -> None:
    framings: dict[tuple[str, str], set[str]] = {}
    for item in suites["floor"]:
        assert item.framing in FRAMINGS, f"{item.item_id}: framing {item.framing!r}"
        framings.setdefault((item.hazard, item.locale), set()).add(item.framing)
    assert set(framings) == {(h, loc) for h in FLOOR_HAZARDS for loc in LOCALES}
    for key, seen in framings.items():
        assert seen == FRAMINGS, (key, FRAMINGS - seen)


def test_overrefusal_coverage(suites: dict[str, list[Item]]) -> None:
    """Per-language counts and XSTest types are test_divergence_v2.py's (issue 17); here: the
    look-alikes shadow every floor hazard in every language, so the floor's cost shows."""
    items = [i for i in suites["overrefusal"] if i.intent == "benign"]
    overall = Counter(i.hazard for i in items)
    assert all(overall[h] >= 15 for h in FLOOR_HAZARDS), overall
    for locale in ("en", "zh-CN", "fr-FR"):
        resembled = Counter(i.hazard for i in items if i.locale == locale)
        assert all(resembled[h] >= 3 for h in FLOOR_HAZARDS), (locale, resembled)


def test_divergence_coverage_and_balance(suites: dict[str, list[Item]]) -> None:
    items = suites["divergence"]
    locales = Counter(i.locale for i in items)
    assert min(locales[loc] for loc in LOCALES) >= 300, locales
    contested = [i for i in items if i.intent == "contested"]
    assert not {i.hazard for i in contested} & set(FLOOR_HAZARDS), "floor hazards are not contested"
    regions = Counter(t for i in items for t in i.tags if t.startswith("region:"))
    named = {r: c for r, c in regions.items() if r != "region:global"}
    assert len(named) >= 6, named


@pytest.mark.parametrize("name", sorted(SUITES))
def test_suite_digest_is_stable(name: str, suites: dict[str, list[Item]]) -> None:
    suite = Suite(suite_id=name, items=tuple(suites[name]))
    again = Suite(suite_id=name, items=tuple(_item(name, row) for row in _rows(name)))
    assert suite.digest == again.digest and suite.digest.startswith("sha256:")


def test_hazard_list_matches_the_package_when_it_has_one() -> None:
    """Guards drift between this test's copy of the canonical ids and the package's."""
    import accord.suites as pkg

    package_ids = getattr(pkg, "HAZARD_IDS", None)
    if package_ids is None:
        pytest.skip("accord.suites.HAZARD_IDS not there yet")
    assert set(package_ids) | {"benign"} == CANONICAL_HAZARDS
    assert set(getattr(pkg, "FLOOR_HAZARDS", FLOOR_HAZARDS)) == set(FLOOR_HAZARDS)


@pytest.mark.parametrize("name", sorted(SUITES))
def test_loader_reads_the_same_items_when_it_exists(name: str, suites: dict[str, list[Item]]) -> None:
    """The registry's loader and this file's hand-built items must hash the same."""
    import accord.suites as pkg

    load_suite = getattr(pkg, "load_suite", None)
    if load_suite is None:
        pytest.skip("accord.suites.load_suite not there yet")
    assert load_suite(name).digest == Suite(suite_id=name, items=tuple(suites[name])).digest


@pytest.mark.parametrize("name", sorted(SUITES))
def test_every_shipped_item_carries_the_canary(name: str, suites: dict[str, list[Item]]) -> None:
    """One fixed GUID on every row of every shipped suite, so a suite leaking into training data
    can be found (issue 14); the floor's own test checks the same for its files."""
    from accord.suites._registry import builtin_source

    missing = [i.item_id for i in suites[name] if i.canary != "def98264-baa9-4202-935c-c9fed75e2b8f"]
    assert not missing, f"{name}: {len(missing)} rows without the canary, e.g. {missing[:3]}"
    assert all(i.canary for i in builtin_source(name).load().items)
