"""Loaders for the public datasets read in place from ``ACCORD_DATA_DIR`` (or ``--data-dir``).

accord never ships these files. The directory holds one folder per dataset, as in
``../shared/datasets``: ``ailuminate/``, ``xstest/``, ``jailbreakbench_artifacts/``,
``flames/``. Each loader maps the dataset's categories onto canonical hazard ids
(``_mappings.py``, documented in docs/suites.md) and keeps the dataset's own ids, so recorded
responses line up with the items:

| suite | item id | from |
|---|---|---|
| ``ailuminate-demo-en`` / ``-fr`` | ``release_prompt_id`` | AILuminate v1.0 demo CSV |
| ``xstest`` | ``v2-<id>`` (the completions' own id) | XSTest v2 ``prompts.csv`` |
| ``jailbreakbench/<METHOD>/<MODEL>`` | the behaviour ``index`` | the artifact's ``jailbreaks`` |
| ``flames`` | the line number in ``Flames_1k_Chinese.jsonl`` | Flames 1k |
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accord.errors import AccordError, InputError, UnknownNameError
from accord.readers import csv_header, read_csv, read_jsonl
from accord.records import Item
from accord.suites import _mappings as maps
from accord.suites._source import SuiteSource
from accord.suites._validate import RowContext, make_item

AILUMINATE_FILES = {
    "en": "airr_official_1.0_demo_en_us_prompt_set_release.csv",
    "fr": "airr_official_1.0_demo_fr_fr_prompt_set_release.csv",
}
FOLDERS = {
    "ailuminate": "ailuminate",
    "xstest": "xstest",
    "jailbreakbench": "jailbreakbench_artifacts",
    "flames": "flames",
}


def data_root(data_dir: str | Path | None) -> Path:
    """The public-datasets directory, or an error saying how to set it."""
    from accord.paths import datasets_dir

    root = datasets_dir(data_dir)
    if root is None:
        raise AccordError(
            "no public datasets directory is set",
            why="accord reads public datasets in place and never ships them",
            fix="set ACCORD_DATA_DIR or pass --data-dir (e.g. ../shared/datasets)",
        )
    return root


def dataset_path(data_dir: str | Path | None, dataset: str, *parts: str) -> Path:
    path = data_root(data_dir).joinpath(FOLDERS[dataset], *parts)
    if not path.exists():
        raise AccordError(
            f"public dataset file not found: {path}",
            why=f"the {dataset} loader reads {'/'.join((FOLDERS[dataset], *parts))} under the datasets directory",
            fix="point ACCORD_DATA_DIR / --data-dir at a folder laid out like ../shared/datasets",
        )
    return path


def _require_columns(path: Path, needed: tuple[str, ...], *, skip_comments: bool = False) -> None:
    header = csv_header(path, skip_comments=skip_comments)
    for col in needed:
        if col not in header:
            raise InputError(f"missing column '{col}'", file=path, line=1, field=col, expected="the dataset's published columns", got=", ".join(header))


def _unknown_code(ctx: RowContext, field: str, value: str, known: Iterable[object]) -> InputError:
    return ctx.error(
        f"unknown {field} '{value}'",
        field,
        expected="one of " + ", ".join(sorted(str(k) for k in known)),
        fix="extend the mapping in accord/suites/_mappings.py",
    )


# -- AILuminate ---------------------------------------------------------------------------
def ailuminate_source(lang: str, data_dir: str | Path | None = None) -> SuiteSource:
    """AILuminate v1.0 demo prompts (1,200 per locale, 12 hazards + 4 specialised-advice subtypes)."""
    path = dataset_path(data_dir, "ailuminate", AILUMINATE_FILES[lang])
    _require_columns(path, ("release_prompt_id", "prompt_text", "hazard", "persona", "locale"))
    suite_id = f"ailuminate-demo-{lang}"

    def rows() -> Iterator[tuple[int | None, Item]]:
        rename = {"id": "release_prompt_id", "prompt": "prompt_text"}
        for line, rec in read_csv(path):
            ctx = RowContext(str(path), line, lambda f: rename.get(f, f))
            code = rec["hazard"].strip()
            if code not in maps.AILUMINATE:
                raise _unknown_code(ctx, "hazard", code, maps.AILUMINATE)
            yield line, make_item(
                suite_id,
                {
                    "id": rec["release_prompt_id"],
                    "prompt": rec["prompt_text"],
                    "hazard": maps.AILUMINATE[code],
                    "intent": "harmful",
                    "locale": rec["locale"].strip().replace("_", "-"),
                    "tags": [f"ailuminate:{code}", f"persona:{rec['persona'].strip()}"],
                },
                ctx,
                source=f"ailuminate/{path.name}:{line}",
            )

    return SuiteSource(suite_id, str(path), rows, description=f"AILuminate v1.0 demo prompts ({lang})", kind="dataset", id_field="release_prompt_id")


# -- XSTest -------------------------------------------------------------------------------
def xstest_hazard(prompt_type: str, focus: str) -> str:
    """The hazard an XSTest prompt asks about (unsafe) or resembles (safe)."""
    key = focus.strip().lower()
    if key in maps.XSTEST_FOCUS:
        return maps.XSTEST_FOCUS[key]
    base = prompt_type.removeprefix("contrast_")
    if base in maps.XSTEST_TYPES:
        return maps.XSTEST_TYPES[base]
    raise KeyError(prompt_type)


def xstest_source(data_dir: str | Path | None = None) -> SuiteSource:
    """XSTest v2: safe prompts (benign look-alikes, should be answered) and unsafe contrasts."""
    path = dataset_path(data_dir, "xstest", "prompts.csv")
    _require_columns(path, ("id", "prompt", "type", "label", "focus"))

    def rows() -> Iterator[tuple[int | None, Item]]:
        for line, rec in read_csv(path):
            ctx = RowContext(str(path), line)
            label = rec["label"].strip()
            if label not in ("safe", "unsafe"):
                raise ctx.error(f"bad label '{label}'", "label", expected="safe | unsafe", got=label)
            try:
                hazard = xstest_hazard(rec["type"].strip(), rec["focus"])
            except KeyError:
                raise _unknown_code(ctx, "type", rec["type"], maps.XSTEST_TYPES) from None
            raw_id = rec["id"].strip()
            yield line, make_item(
                "xstest",
                {
                    "id": f"v2-{raw_id}" if raw_id else "",
                    "prompt": rec["prompt"],
                    "hazard": hazard,
                    "intent": "benign" if label == "safe" else "harmful",
                    "locale": "en",
                    "tags": [f"xstest:{rec['type'].strip()}", f"xstest:{label}"],
                },
                ctx,
                source=f"xstest/prompts.csv:{line}",
            )

    return SuiteSource("xstest", str(path), rows, description="XSTest v2 prompts: safe look-alikes and unsafe contrasts", kind="dataset")


def xstest_models(data_dir: str | Path | None = None) -> list[str]:
    """Names of the XSTest v2 models with recorded completions (the completion files' stems)."""
    return sorted(p.stem for p in dataset_path(data_dir, "xstest", "completions").glob("*.csv"))


def _xstest_records(model: str, data_dir: str | Path | None) -> Iterator[dict[str, Any]]:
    path = dataset_path(data_dir, "xstest", "completions", f"{model}.csv")
    _require_columns(path, ("id", "completion"))
    for line, rec in read_csv(path):
        if not rec["id"].strip():
            raise InputError("missing id", file=path, line=line, field="id")
        yield {"item_id": rec["id"].strip(), "output": rec["completion"], "suite_id": "xstest", "model": model}


# -- Flames -------------------------------------------------------------------------------
def flames_source(data_dir: str | Path | None = None) -> SuiteSource:
    """Flames 1k: adversarial Simplified Chinese prompts on values alignment (zh-CN)."""
    path = dataset_path(data_dir, "flames", "Flames_1k_Chinese.jsonl")

    def rows() -> Iterator[tuple[int | None, Item]]:
        for line, obj in read_jsonl(path):
            ctx = RowContext(str(path), line)
            for key in ("dimension", "subcomponent", "prompt"):
                if not isinstance(obj.get(key), str):
                    raise ctx.error(f"missing {key}", key, expected="text")
            pair = (obj["dimension"].strip(), obj["subcomponent"].strip())
            if pair not in maps.FLAMES:
                raise _unknown_code(ctx, "subcomponent", "/".join(pair), ["/".join(k) for k in maps.FLAMES])
            hazard, intent = maps.FLAMES[pair]
            yield line, make_item(
                "flames",
                {
                    "id": str(line),
                    "prompt": obj["prompt"],
                    "hazard": hazard,
                    "intent": intent,
                    "locale": "zh-CN",
                    "tags": [f"flames:{pair[0]}/{pair[1]}"],
                },
                ctx,
                source=f"flames/{path.name}:{line}",
            )

    return SuiteSource("flames", str(path), rows, description="Flames 1k: adversarial Chinese prompts (values alignment)", kind="dataset")


# -- JailbreakBench artifacts ----------------------------------------------------------------
@dataclass(frozen=True)
class JbbArtifact:
    """One artifact file: an attack method's prompts against one model."""

    method: str
    attack_type: str
    model: str
    path: Path
    name: str  # jailbreakbench/<METHOD>/<MODEL>, or .../<TYPE>/<MODEL> when a method has both

    @property
    def suite_id(self) -> str:
        return self.name


def jbb_artifacts(data_dir: str | Path | None = None) -> list[JbbArtifact]:
    """Every ``<method>/<attack type>/<model>.json`` under ``jailbreakbench_artifacts/``."""
    root = dataset_path(data_dir, "jailbreakbench")
    found = sorted(root.glob("*/*/*.json"))
    pairs: dict[tuple[str, str], int] = {}
    for p in found:
        key = (p.parts[-3], p.stem)
        pairs[key] = pairs.get(key, 0) + 1
    out = []
    for p in found:
        method, attack_type, model = p.parts[-3], p.parts[-2], p.stem
        name = f"jailbreakbench/{method}/{model}" if pairs[(method, model)] == 1 else f"jailbreakbench/{method}/{attack_type}/{model}"
        out.append(JbbArtifact(method, attack_type, model, p, name))
    return out


def find_jbb(name: str, data_dir: str | Path | None = None) -> JbbArtifact:
    """Resolve ``jailbreakbench/<METHOD>/<MODEL>`` (or ``.../<TYPE>/<MODEL>``) to its file."""
    artifacts = jbb_artifacts(data_dir)
    for art in artifacts:
        if name in (art.name, f"jailbreakbench/{art.method}/{art.attack_type}/{art.model}"):
            return art
    raise UnknownNameError("JailbreakBench artifact", name, [a.name for a in artifacts])


def _jbb_records(art: JbbArtifact) -> list[dict[str, Any]]:
    try:
        doc = json.loads(art.path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError("bytes that are not valid UTF-8", file=art.path, expected="UTF-8 JSON") from None
    except ValueError as exc:
        raise InputError(f"not valid JSON ({exc})", file=art.path, expected="a JailbreakBench artifact") from None
    jailbreaks = doc.get("jailbreaks") if isinstance(doc, dict) else None
    if not isinstance(jailbreaks, list):
        raise InputError("missing field 'jailbreaks'", file=art.path, field="jailbreaks", expected="a list of records")
    return jailbreaks


def jbb_hazard(category: str, behavior: str) -> str | None:
    return maps.JBB_BEHAVIORS.get(behavior) or maps.JBB_CATEGORIES.get(category)


def jbb_source(name: str, data_dir: str | Path | None = None) -> SuiteSource:
    """An artifact's adversarial prompts. Behaviours for which the attack submitted no prompt
    (``prompt: null``) have nothing to send and are left out (JailbreakBench counts them as
    not jailbroken)."""
    art = find_jbb(name, data_dir)

    def rows() -> Iterator[tuple[int | None, Item]]:
        for i, rec in enumerate(_jbb_records(art)):
            ctx = RowContext(str(art.path), None, lambda f: f"jailbreaks[{i}]." + ("index" if f == "id" else f))  # noqa: B023 - used in this iteration
            if not isinstance(rec, dict) or "index" not in rec:
                raise ctx.error("missing index", "id", expected="an integer behaviour index")
            if rec.get("prompt") is None:
                continue
            hazard = jbb_hazard(str(rec.get("category", "")), str(rec.get("behavior", "")))
            if hazard is None:
                raise _unknown_code(ctx, "category", str(rec.get("category")), maps.JBB_CATEGORIES)
            yield None, make_item(
                art.suite_id,
                {
                    "id": str(rec["index"]),
                    "prompt": rec["prompt"],
                    "hazard": hazard,
                    "intent": "harmful",
                    "locale": "en",
                    "tags": [f"jbb:{rec.get('category')}", f"jbb-behavior:{rec.get('behavior')}", f"attack:{art.method}"],
                },
                ctx,
                source=f"jailbreakbench/{art.method}/{art.attack_type}/{art.model}.json#{i}",
            )

    return SuiteSource(
        art.suite_id, str(art.path), rows,
        description=f"JailbreakBench {art.method} ({art.attack_type}) prompts against {art.model}",
        kind="dataset", id_field="index",
    )


def _jbb_response_records(name: str, data_dir: str | Path | None) -> Iterator[dict[str, Any]]:
    art = find_jbb(name, data_dir)
    for rec in _jbb_records(art):
        if not isinstance(rec, dict) or rec.get("prompt") is None:
            continue  # no prompt was sent, so there is no item to answer
        response = rec.get("response")
        yield {
            "item_id": str(rec["index"]),
            "output": response if isinstance(response, str) else None,
            "suite_id": art.suite_id,
            "model": art.model,
        }


# -- recorded responses -----------------------------------------------------------------------
def recorded_names(data_dir: str | Path | None = None) -> list[str]:
    """Every dataset transcript name ``recorded_responses`` accepts (those present on disk)."""
    names: list[str] = []
    try:
        names += [f"xstest/{m}" for m in xstest_models(data_dir)]
    except AccordError:
        pass
    try:
        names += [a.name for a in jbb_artifacts(data_dir)]
    except AccordError:
        pass
    return names


def recorded_responses(name: str, data_dir: str | Path | None = None) -> Iterator[dict[str, Any]]:
    """Recorded responses of a dataset transcript, for the replay target.

    Yields ``{"item_id", "output", "suite_id", "model"}``; ``item_id`` and ``suite_id`` match
    the items of the corresponding suite (``xstest``, ``jailbreakbench/<METHOD>/<MODEL>``).
    ``output`` is ``None`` where the dataset recorded no response (the replay target stores
    that as an unassessed error, never as a refusal).

    A name with ``*`` (``jailbreakbench/*/gpt-4-0125-preview``) joins every transcript it
    matches, so one run can hold one model's answers under every attack method; each record
    keeps its own ``suite_id``, so transcripts never answer each other's items.
    """
    if "*" in name:
        import fnmatch
        import itertools

        matched = [n for n in recorded_names(data_dir) if fnmatch.fnmatchcase(n, name)]
        if not matched:
            raise UnknownNameError("recorded responses", name, recorded_names(data_dir))
        return itertools.chain.from_iterable(recorded_responses(n, data_dir) for n in matched)
    # resolve the name now (errors at the call, not at the first ``next``), stream the rows
    if name.startswith("xstest/"):
        model = name.removeprefix("xstest/")
        models = xstest_models(data_dir)
        if model not in models:
            raise UnknownNameError("XSTest transcript", name, [f"xstest/{m}" for m in models])
        return _xstest_records(model, data_dir)
    if name.startswith("jailbreakbench/"):
        find_jbb(name, data_dir)
        return _jbb_response_records(name, data_dir)
    raise UnknownNameError("recorded responses", name, recorded_names(data_dir) or ["xstest/<model>", "jailbreakbench/<METHOD>/<MODEL>"])
