"""The degenerate-reply detector and the response flags, measured on data/degenerate/set.jsonl.

Prints, on the rows labelled before the detector existed and held out from tuning it, on the
first 335 rows, and on the ``fresh`` rows (generated and labelled after the detector's revision,
before it read them): degenerate recall and false-positive rate (95% Wilson intervals, n); how many
degenerate rows each offline judge labels harmful through ``judge_batch`` (target 0) and how
many it would have without the pre-check; the ``other-language`` and ``cut-off`` flags'
precision and recall against the hand labels; and the detector's and the flags' cost per
response (on the set, and on XSTest's real responses when ``ACCORD_DATA_DIR`` has them); with
``ACCORD_DATA_DIR``, how many real models' answers and how many natural texts in other languages
the detector calls degenerate (all false positives).

    .venv/bin/python benchmarks/degenerate.py
    ACCORD_DATA_DIR=../shared/datasets .venv/bin/python benchmarks/degenerate.py --json
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from accord.judges import JudgeInput, get_judge, judge_sync
from accord.judges._degenerate import degenerate
from accord.judges._judge import flags_for
from accord.stats import wilson

ROOT = Path(__file__).resolve().parent.parent
SET = ROOT / "data" / "degenerate" / "set.jsonl"


def load(path: Path = SET) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def detection(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    pos = [r for r in rows if r["degenerate"]]
    neg = [r for r in rows if not r["degenerate"]]
    tp = sum(degenerate(r["response"]) is not None for r in pos)
    fp = sum(degenerate(r["response"]) is not None for r in neg)
    return {
        "n": len(rows),
        "recall": wilson(tp, len(pos)),
        "tp": tp,
        "positives": len(pos),
        "fpr": wilson(fp, len(neg)),
        "fp": fp,
        "negatives": len(neg),
    }


def harmful_on_degenerate(rows: Sequence[dict[str, Any]], name: str) -> dict[str, int]:
    judge = get_judge(name)
    pos = [r for r in rows if r["degenerate"]]
    items = [JudgeInput.of(r["prompt"], r["response"], finish_reason=r["finish_reason"]) for r in pos]
    through = judge_sync(judge, items)
    raw = judge._assess(items)  # type: ignore[attr-defined]  # the judge proper, without the pre-check
    return {
        "n": len(pos),
        "harmful": sum(v.harmful is True for v in through),
        "unassessed_degenerate": sum(v.unassessed == "degenerate" for v in through),
        "harmful_without_precheck": sum(v.harmful is True for v in raw),
    }


def flag_quality(rows: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    readable = [r for r in rows if not r["degenerate"] and r.get("other_language") is not None]
    for flag, key, subset in (("other-language", "other_language", readable), ("cut-off", "cut_off", list(rows))):
        got = [flag in flags_for(JudgeInput.of(r["prompt"], r["response"], finish_reason=r["finish_reason"])) for r in subset]
        gold = [bool(r[key]) for r in subset]
        tp = sum(g and p for g, p in zip(gold, got, strict=True))
        out[flag] = {
            "n": len(subset),
            "precision": wilson(tp, sum(got)),
            "recall": wilson(tp, sum(gold)),
            "flagged": sum(got),
            "labelled": sum(gold),
        }
    return out


def per_response_us(fn: Callable[[], object], n: int, repeat: int = 3) -> float:
    """Best of ``repeat`` CPU-time runs (steadier than wall clock on a shared machine)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best / n * 1e6


def timing(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    from accord.judges import _language

    sets: dict[str, list[tuple[str, str]]] = {"degenerate set": [(r["prompt"], r["response"]) for r in rows]}
    data_dir = os.environ.get("ACCORD_DATA_DIR")
    if data_dir:
        from accord.judges._datasets import load_dataset

        sets["xstest responses"] = [(r.prompt, r.response) for r in load_dataset("xstest", data_dir)]
    out: dict[str, Any] = {}
    for name, pairs in sets.items():
        texts = [r for _, r in pairs]
        items = [JudgeInput.of(p, r) for p, r in pairs]
        flags_for(items[0])  # load the language model once

        def detect(texts: list[str] = texts) -> None:
            for t in texts:
                degenerate(t)

        def flag(items: list[JudgeInput] = items, fresh: bool = False) -> None:
            if fresh:  # every request unseen: its language is worked out again (a one-epoch run)
                _language._request_profile.cache_clear()
            for i in items:
                flags_for(i)

        out[name] = {
            "n": len(pairs),
            "mean_chars": sum(map(len, texts)) / len(texts),
            "detector_us": per_response_us(detect, len(texts)),
            "flags_us": per_response_us(flag, len(items)),
            "flags_fresh_us": per_response_us(lambda: flag(fresh=True), len(items)),
        }
    return out


REAL_MODEL_SETS = ("xstest", "pyrit-refusal", "pyrit-objective", "pyrit-harm", "jbb-judge-comparison", "jbb-artifacts")


def real_model_answers(data_dir: str) -> dict[str, dict[str, Any]]:
    """How many of real models' answers in the human-labelled sets the detector calls degenerate
    (they were all labelled by people as refusals or answers, so each one flagged is a false positive;
    a false positive hides an answer from every judge). Counts only: no text is printed."""
    from accord.judges._datasets import load_dataset

    out: dict[str, dict[str, Any]] = {}
    for name in REAL_MODEL_SETS:
        try:
            rows = load_dataset(name, data_dir)
        except Exception as exc:  # a set missing from ACCORD_DATA_DIR is reported, not fatal
            out[name] = {"n": 0, "flagged": 0, "reason": type(exc).__name__}
            continue
        texts = {r.response for r in rows if r.response}
        out[name] = {"n": len(texts), "flagged": sum(degenerate(t) is not None for t in texts)}
    return out


def natural_text(data_dir: str) -> dict[str, dict[str, Any]]:
    """How much natural text in other languages (and people's English replies) the detector calls
    degenerate: every one flagged is a false positive. Prompts and comments written by people or
    translated by the sets' authors, none of them used to set a threshold or build the bigram table
    (COLD's dev split and XSafety's first seven Japanese files built it, and are left out here).
    Counts only."""
    import csv

    red = Path(data_dir) / "redteam"
    sets: dict[str, list[str]] = {}

    def rows_of(path: Path) -> list[list[str]]:
        with open(path, encoding="utf-8-sig", newline="") as f:
            return [row for row in csv.reader(f) if row]

    for lang_dir in sorted((red / "xsafety").glob("*")):
        files = sorted(lang_dir.glob("*.csv"))
        if lang_dir.name == "ja":
            from accord.judges._degenerate_table import JA_FILES

            files = files[JA_FILES:]
        if files:
            sets[f"xsafety-{lang_dir.name}"] = [row[0] for path in files for row in rows_of(path)]
    try:
        with open(red / "multijail" / "MultiJail.csv", encoding="utf-8-sig", newline="") as f:
            mj = list(csv.DictReader(f))
        for lang in ("en", "zh", "it", "vi", "ar", "ko", "th", "bn", "sw", "jv"):
            sets[f"multijail-{lang}"] = [r[lang] for r in mj if r.get(lang)]
        with open(red / "cold" / "test.csv", encoding="utf-8-sig", newline="") as f:
            sets["cold-test (zh comments)"] = [r["TEXT"] for r in csv.DictReader(f)]
        sets["cvalues (zh)"] = [
            json.loads(line)["prompt"]
            for line in (red / "cvalues" / "cvalues_responsibility_prompts.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
        sets["flames (zh)"] = [
            json.loads(line)["prompt"]
            for line in (Path(data_dir) / "flames" / "Flames_1k_Chinese.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
        sets["diasafety (en replies)"] = [r["response"] for r in json.loads((red / "diasafety" / "test.json").read_text(encoding="utf-8"))]
    except OSError as exc:  # a set missing from ACCORD_DATA_DIR is reported by its absence
        sets.setdefault("missing", []).append(type(exc).__name__)
    out: dict[str, dict[str, Any]] = {}
    for name, texts in sets.items():
        texts = [t for t in texts if t.strip()]
        kinds: dict[str, int] = {}
        for t in texts:
            kind = degenerate(t)
            if kind:
                kinds[kind] = kinds.get(kind, 0) + 1
        out[name] = {"n": len(texts), "flagged": sum(kinds.values()), "kinds": kinds}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--set", type=Path, default=SET)
    a = ap.parse_args()
    rows = load(a.set)
    held = [r for r in rows if r["labelled_before_detector"] and r["split"] == "heldout"]
    first = [r for r in rows if r["split"] in ("dev", "heldout")]
    fresh = [r for r in rows if r["split"] == "fresh"]
    result: dict[str, Any] = {
        "detector": {
            "held-out, labelled before the detector": detection(held),
            "first 335 rows (dev + held-out)": detection(first),
            "fresh rows, labelled before the revised detector read them": detection(fresh),
        },
        "harmful on degenerate rows": {name: harmful_on_degenerate(rows, name) for name in ("embedded", "pattern")},
        "flags (all rows)": flag_quality(rows),  # fresh rows included
        "flags (held-out)": flag_quality(held),
        "cost per response": timing(rows),
    }
    data_dir = os.environ.get("ACCORD_DATA_DIR")
    if data_dir:
        result["real-model answers flagged"] = real_model_answers(data_dir)
        result["natural text flagged"] = natural_text(data_dir)
    if a.json:
        print(json.dumps(result, default=lambda e: e.__dict__, indent=2))
        return
    for part, d in result["detector"].items():
        print(
            f"degenerate detector, {part} (n={d['n']}): recall {d['recall'].fmt()} ({d['tp']}/{d['positives']}), "
            f"false-positive rate {d['fpr'].fmt()} ({d['fp']}/{d['negatives']})"
        )
    for name, d in result["harmful on degenerate rows"].items():
        print(
            f"{name}: {d['harmful']} of {d['n']} degenerate rows labelled harmful ({d['unassessed_degenerate']} unassessed 'degenerate'); "
            f"without the pre-check {d['harmful_without_precheck']}"
        )
    for part in ("flags (held-out)", "flags (all rows)"):
        for flag, d in result[part].items():
            print(
                f"{part} {flag} (n={d['n']}, {d['labelled']} labelled, {d['flagged']} flagged): "
                f"precision {d['precision'].fmt()}, recall {d['recall'].fmt()}"
            )
    for name, d in result.get("real-model answers flagged", {}).items():
        print(
            f"real-model answers in {name}: {d['flagged']} of {d['n']} distinct responses called degenerate"
            + (f" ({d['reason']})" if "reason" in d else "")
        )
    natural = result.get("natural text flagged", {})
    if natural:
        total = sum(d["n"] for d in natural.values())
        flagged = sum(d["flagged"] for d in natural.values())
        print(f"natural text in other languages and people's replies: {flagged} of {total} called degenerate")
        for name, d in natural.items():
            if d["flagged"]:
                print(f"  {name}: {d['flagged']} of {d['n']} {d['kinds']}")
    for name, d in result["cost per response"].items():
        print(
            f"cost on {name} (n={d['n']}, mean {d['mean_chars']:.0f} chars, CPU time): detector {d['detector_us']:.1f} us, "
            f"flags {d['flags_us']:.1f} us per response ({d['flags_fresh_us']:.1f} us when no request was seen before)"
        )


if __name__ == "__main__":
    main()
