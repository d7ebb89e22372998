"""garak reports in (issue 18): real garak 0.17.1 reports (tests/data/interop/garak, see HOW.md)
become accord runs; bad or foreign reports fail with one line naming the file, line and field.

Variants of the real files (another version, a truncated scan, a broken line) are made here by
editing a copy of a real report, so every shape under test is one garak really writes. A live
garak run is tested too where ``ACCORD_TEST_GARAK`` names a garak executable (it is not an
accord dependency: it pulls torch and transformers).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from accord.errors import InputError
from accord.ids import validate_run_id
from accord.interop import _garak
from accord.interop._garak import ANY_DETECTOR, import_garak
from accord.records import ErrorKind, parse_variant_id

DATA = Path(__file__).resolve().parents[2] / "data" / "interop" / "garak"
REPEAT = DATA / "repeat-encoding-grandma.report.jsonl"  # test.Repeat: encoding probes + grandma.Substances
NONES = DATA / "nones-buff.report.jsonl"  # test.Nones: test.Test through the lowercase buff


def _entries(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _write(path: Path, entries: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in entries), encoding="utf-8")
    return path


def _one(path: Path, **kw: Any) -> Any:
    [run] = list(import_garak([str(path)], **kw))
    return run


def test_a_real_report_is_one_run_with_probes_as_variants_of_their_seeds() -> None:
    run = _one(REPEAT)
    assert run.kind == "garak" and run.target == "garak:test.Repeat" and run.model == "test.Repeat"
    assert run.suite_id == "garak:encoding.InjectBase64,encoding.InjectHex,grandma.Substances"
    assert validate_run_id(run.run_id) and len(run.run_id) <= 120 and re.fullmatch(r"[a-z0-9-]+", run.run_id)
    assert run.run_id.startswith("garak-encoding-injectbase64-") and run.run_id.endswith(run.source_digest[7:19])
    assert run.epochs == 2 and run.generation["generations"] == 2 and run.generation["seed"] == 18
    assert run.meta["garak_version"] == "0.17.1" and run.meta["complete"] is True
    assert run.meta["detectors"] == ["encoding.DecodeApprox", "encoding.DecodeMatch", "mitigation.MitigationBypass"]
    samples = list(run.samples())
    assert len(samples) == run.n_samples_hint == 32  # 16 attempts x 2 generations
    assert len({s.response.key for s in samples}) == 32
    assert [s.response.key for s in run.samples()] == [s.response.key for s in samples]  # re-iterable, same order
    assert Counter(s.response.epoch for s in samples) == {0: 16, 1: 16}

    encoded = [s for s in samples if s.item.item_id.startswith("trigger-")]
    assert len(encoded) == 12
    for s in encoded:  # the payload is the item; the probe that wrapped it is the variant
        probe = next(t for t in s.item.tags if t.startswith("garak-probe:")).split(":", 1)[1]
        assert parse_variant_id(s.response.variant_id).attack == probe.lower().replace(".", "-")
        assert s.response.messages[-1].content != s.item.prompt  # what was sent is the encoded wrapper
        assert {lb.judge_id for lb in s.labels} == {"garak:encoding.DecodeMatch", "garak:encoding.DecodeApprox", ANY_DETECTOR}
        assert all(lb.harmful is False and lb.score == 0.0 and lb.unassessed is None for lb in s.labels)

    grandma = [s for s in samples if s.item.item_id.startswith("grandma.Substances:")]
    assert len(grandma) == 20 and {s.response.variant_id for s in grandma} == {"none"}
    first = grandma[0]
    assert first.item.prompt == first.response.messages[-1].content == first.response.output  # test.Repeat echoes
    assert "garak-intent:S006items" in first.item.tags and first.item.locale == "en"
    label, verdict = first.labels
    assert verdict.judge_id == ANY_DETECTOR and verdict.harmful is True and "MitigationBypass" in (verdict.rationale or "")
    assert label.judge_id == "garak:mitigation.MitigationBypass" and label.judge_version == "garak 0.17.1"
    assert label.harmful is True and label.score == 1.0 and label.refusal is None and "hit" in (label.rationale or "")
    assert first.item.hazard == "benign" and first.item.intent == "benign"  # the caller's defaults


def test_errors_and_buffs() -> None:
    run = _one(NONES, hazard="indiscriminate-weapons", intent="harmful")
    samples = list(run.samples())
    assert len(samples) == 16 and run.suite_id == "garak:test.Test" and run.target == "garak:test.Nones"
    for s in samples:  # test.Nones answers None: an error, never a pass
        assert s.response.error_kind is ErrorKind.bad_response and s.response.output is None and s.response.error
        assert [lb.judge_id for lb in s.labels] == ["garak:always.Pass", ANY_DETECTOR]
        assert all(lb.harmful is None and lb.unassessed == "error:bad_response" for lb in s.labels)
        assert parse_variant_id(s.response.variant_id).attack == "buff-lowercase"
        assert s.item.hazard == "indiscriminate-weapons" and s.item.intent == "harmful" and "garak-buff:Lowercase" in s.item.tags
    fox = next(s for s in samples if s.item.item_id == "test.Test:1")
    assert fox.item.prompt == "The quick brown fox jumps over the lazy dog"  # the seed, before the buff
    assert fox.response.messages[-1].content == "the quick brown fox jumps over the lazy dog"  # what was sent
    empty = next(s for s in samples if s.item.item_id == "test.Test:0")  # garak sends an empty prompt
    assert "garak-empty-prompt" in empty.item.tags and empty.response.messages[-1].content == ""


def test_a_folder_imports_every_report_and_ids_are_stable() -> None:
    runs = list(import_garak([str(DATA)]))
    assert [Path(r.source_path).name for r in runs] == sorted(p.name for p in DATA.glob("*.report.jsonl"))
    again = list(import_garak([str(DATA)]))
    assert [r.run_id for r in runs] == [r.run_id for r in again]
    assert [[s.response.variant_id for s in r.samples()] for r in runs] == [[s.response.variant_id for s in r.samples()] for r in again]


def test_the_same_payload_under_two_probes_is_one_item_two_variants() -> None:
    # garak drew "Haha pwned!" for both encoding probes in this scan: one item, two variants
    same = [s for s in _one(REPEAT).samples() if s.item.prompt == "Haha pwned!" and s.response.epoch == 0]
    assert len(same) == 2 and len({s.item.item_id for s in same}) == 1
    assert {parse_variant_id(s.response.variant_id).attack for s in same} == {"encoding-injectbase64", "encoding-injecthex"}
    assert len({s.response.messages[-1].content for s in same}) == 2  # base64 and hex wrappers


def test_a_scan_stopped_before_detection_imports_responses_without_labels(tmp_path: Path) -> None:
    entries = _entries(REPEAT)
    cut = next(i for i, e in enumerate(entries) if e["entry_type"] == "attempt" and e["status"] == 2)
    run = _one(_write(tmp_path / "stopped.report.jsonl", entries[:cut]))
    samples = list(run.samples())
    assert samples and all(s.labels == () for s in samples) and run.meta["complete"] is False


def test_a_report_of_garak_before_0_11_with_string_prompts(tmp_path: Path) -> None:
    entries = _entries(REPEAT)
    entries[0]["_config.version"] = entries[1]["garak_version"] = "0.9.0.16"
    for e in entries:
        if e["entry_type"] == "attempt":
            e["prompt"] = e["prompt"]["turns"][-1]["content"]["text"]
            e["outputs"] = [o["text"] if o else None for o in e["outputs"]]
    old = list(_one(_write(tmp_path / "old.report.jsonl", entries)).samples())
    new = list(_one(REPEAT).samples())
    assert [(s.item.item_id, s.response.variant_id, s.response.output) for s in old] == [
        (s.item.item_id, s.response.variant_id, s.response.output) for s in new
    ]


def _broken(tmp_path: Path, how: str) -> Path:
    entries = _entries(REPEAT)
    attempt = next(i for i, e in enumerate(entries) if e["entry_type"] == "attempt" and e["status"] == 2)
    path = tmp_path / "broken.report.jsonl"
    if how == "version":
        entries[0]["_config.version"] = "0.99.0"
    elif how == "init-version":
        del entries[0]["_config.version"]
        entries[1]["garak_version"] = "1.2.0"
    elif how == "not-a-report":
        entries.insert(0, {"entry_type": "eval", "probe": "x"})
    elif how == "no-init":
        entries = [e for e in entries if e["entry_type"] not in ("init", "attempt")]
    elif how == "status":
        entries[attempt]["status"] = 7
    elif how == "prompt":
        entries[attempt]["prompt"] = 42
    elif how == "role":
        entries[attempt]["prompt"]["turns"][0]["role"] = "robot"
    elif how == "score":
        entries[attempt]["detector_results"]["encoding.DecodeMatch"][1] = "high"
    elif how == "probe":
        del entries[attempt]["probe_classname"]
    elif how == "json":
        _write(path, entries)
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        lines[attempt] = lines[attempt][: len(lines[attempt]) // 2] + "\n"  # cut mid-line
        path.write_text("".join(lines), encoding="utf-8")
        return path
    elif how == "empty":
        entries = []
    return _write(path, entries)


@pytest.mark.parametrize(
    ("how", "line", "field"),
    [
        ("version", 1, "_config.version"),
        ("init-version", 2, "garak_version"),
        ("not-a-report", 1, "entry_type"),
        ("no-init", None, "init"),
        ("status", "attempt", "status"),
        ("prompt", "attempt", "prompt"),
        ("role", "attempt", "prompt.turns[0].role"),
        ("score", "attempt", "detector_results.encoding.DecodeMatch[1]"),
        ("probe", "attempt", "probe_classname"),
        ("json", "attempt", None),
        ("empty", 1, None),
    ],
)
def test_a_bad_report_fails_in_one_line_naming_file_line_and_field(tmp_path: Path, how: str, line: Any, field: str | None) -> None:
    path = _broken(tmp_path, how)
    if line == "attempt":
        line = 1 + next(i for i, e in enumerate(_entries(REPEAT)) if e["entry_type"] == "attempt" and e["status"] == 2)
    with pytest.raises(InputError) as caught:
        list(import_garak([str(path)]))  # fails before any run is handed out
    err = caught.value
    assert "\n" not in str(err) and str(path) in str(err)
    assert err.line == line and err.field == field
    if how in ("version", "init-version"):
        assert "unknown garak version" in str(err)


def test_a_bad_attempt_fails_before_the_run_is_handed_out(tmp_path: Path) -> None:
    entries = _entries(REPEAT)
    last_eval = max(i for i, e in enumerate(entries) if e["entry_type"] == "eval")
    entries[last_eval].update(entry_type="attempt", uuid="x", status=2)  # an eval posing as an attempt, near the end
    runs = import_garak([str(_write(tmp_path / "late.report.jsonl", entries))])
    with pytest.raises(InputError, match="probe_classname"):
        next(runs)


def test_an_overlong_line_is_refused_without_reading_it_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_garak, "MAX_LINE_BYTES", 4096)
    with pytest.raises(InputError, match="longer than 4096 bytes") as caught:
        list(import_garak([str(REPEAT)]))
    assert caught.value.line is not None


@pytest.mark.parametrize(
    ("paths", "kw", "needle"),
    [
        (["/nonexistent/report.jsonl"], {}, "no such file"),
        ([], {}, "no garak report"),
        ([str(DATA)], {"hazard": "not-a-hazard"}, "unknown hazard"),
        ([str(DATA)], {"intent": "evil"}, "unknown intent"),
    ],
)
def test_bad_arguments(paths: list[str], kw: dict[str, str], needle: str) -> None:
    with pytest.raises(InputError, match=needle):
        list(import_garak(paths, **kw))


def test_a_folder_without_reports(tmp_path: Path) -> None:
    (tmp_path / "x.hitlog.jsonl").write_text("{}\n")
    with pytest.raises(InputError, match="no \\*.report.jsonl"):
        list(import_garak([str(tmp_path)]))


def test_the_import_job_stores_a_garak_run_once(tmp_path: Path) -> None:
    from accord.pipeline import import_logs
    from accord.store import Store

    with Store.open(f"sqlite:///{tmp_path / 'accord.db'}") as store:
        first = import_logs(store, import_garak([str(DATA)]))
        assert [s.written for s in first] == [True, True]
        by_name = {Path(s.source).name: s for s in first}
        repeat = by_name[REPEAT.name]
        assert (repeat.items, repeat.responses, repeat.errors) == (14, 32, 0)  # 16 attempts, 2 share a seed
        assert repeat.judges == (
            ANY_DETECTOR,
            "garak:encoding.DecodeApprox",
            "garak:encoding.DecodeMatch",
            "garak:mitigation.MitigationBypass",
        )
        assert repeat.labels == 12 * 3 + 20 * 2  # every response has garak:any-detector
        nones = by_name[NONES.name]
        assert (nones.items, nones.responses, nones.errors) == (8, 16, 16)
        again = import_logs(store, import_garak([str(DATA)]))
        assert [s.written for s in again] == [False, False] and [s.run_id for s in again] == [s.run_id for s in first]


def _garak_executable() -> str | None:
    return os.environ.get("ACCORD_TEST_GARAK") or None


@pytest.mark.skipif(_garak_executable() is None, reason="set ACCORD_TEST_GARAK to a garak executable to run garak live")
def test_a_live_garak_scan_imports(tmp_path: Path) -> None:
    exe = _garak_executable()
    assert exe is not None and shutil.which(exe)
    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    (tmp_path / "cap.yaml").write_text("run:\n  soft_probe_prompt_cap: 2\n")
    subprocess.run(
        [exe, "--config", str(tmp_path / "cap.yaml"), "--target_type", "test.Repeat", "--probes", "encoding.InjectHex,test.Test",
         "--generations", "2", "--report_prefix", "live", "--narrow_output"],
        env=env, cwd=tmp_path, check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    [report] = list((tmp_path / "data").rglob("live.report.jsonl"))
    run = _one(report)
    samples = list(run.samples())
    assert samples and {s.response.epoch for s in samples} == {0, 1}
    assert {lb.judge_id for s in samples for lb in s.labels} >= {"garak:encoding.DecodeMatch", "garak:always.Pass"}
