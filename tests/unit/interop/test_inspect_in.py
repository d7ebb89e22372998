"""Inspect AI logs in (``accord.interop._inspect``), on real logs Inspect writes.

The logs are made here by running Inspect offline with its ``mockllm`` provider (a callable
reply that also sets token usage: without usage, mockllm counts tokens with tiktoken, which
downloads its vocabulary) and then edited with Inspect's own writer where a case needs a field
the mock cannot produce (a limit, a harm-verdict score, an unknown hazard). Run this file as a
script to regenerate the small logs kept under ``tests/data/interop/inspect`` (see HOW.md there).
"""

from __future__ import annotations

import json
import shutil
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("inspect_ai")

from accord.errors import InputError  # noqa: E402
from accord.ids import validate_run_id  # noqa: E402
from accord.interop._inspect import import_inspect, run_id_for  # noqa: E402
from accord.records import ErrorKind  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "data" / "interop" / "inspect"
N_SAMPLES = 5
EPOCHS = 2


def _reply(input: list[Any], tools: Any, tool_choice: Any, config: Any) -> Any:
    """The mock model: echoes the sum, fails on 'boom' (a sample error)."""
    from inspect_ai.model import ModelOutput, ModelUsage

    text = input[-1].text
    if "boom" in text:
        raise RuntimeError("mock provider failure")
    out = ModelOutput.from_content(model="mockllm", content=f"The answer is {text.split()[-1].rstrip('?')}")
    out.usage = ModelUsage(input_tokens=6, output_tokens=4, total_tokens=10)
    return out


def generate_log(log_dir: Path) -> Path:
    """Run a small task through Inspect with mockllm: 4 arithmetic samples and one that errors,
    2 epochs, two scorers (``includes``, ``match``), hazard metadata on one sample."""
    from inspect_ai import Task
    from inspect_ai import eval as inspect_eval
    from inspect_ai.dataset import Sample
    from inspect_ai.model import get_model
    from inspect_ai.scorer import includes, match
    from inspect_ai.solver import generate, system_message

    samples = [Sample(id=f"s{i}", input=f"What is {i}+{i}?", target=f"{i}+{i}", metadata={"locale": "en"}) for i in range(4)]
    samples[1] = Sample(id="s1", input="What is 1+1?", target="1+1", metadata={"hazard": "cyber-offense", "intent": "contested"})
    samples.append(Sample(id=99, input="boom please", target="x"))
    task = Task(
        name="mock_arith",
        dataset=samples,
        solver=[system_message("Answer briefly."), generate()],
        scorer=[includes(), match()],
        epochs=EPOCHS,
    )
    model = get_model("mockllm/model", custom_outputs=_reply)
    logs = inspect_eval(task, model=model, log_dir=str(log_dir), display="none", fail_on_error=False, log_format="eval")
    assert logs[0].status == "success", logs[0].error
    return Path(logs[0].location)


def edited(src: Path, dst: Path, edit: Any) -> Path:
    """Read ``src`` with Inspect, apply ``edit(log)``, write ``dst`` with Inspect's writer."""
    from inspect_ai.log import read_eval_log, write_eval_log

    log = read_eval_log(str(src))
    edit(log)
    write_eval_log(log, str(dst))
    return dst


def _with_limit(log: Any) -> None:
    from inspect_ai.log import EvalSampleLimit

    for s in log.samples:
        if s.id == "s2" and s.epoch == 1:
            s.limit = EvalSampleLimit(type="token", limit=3)


def _small(log: Any) -> None:
    """The committed ``.json`` copy: a limit, and no event transcripts (they are 90% of the bytes
    and accord does not read them), to stay under the 200 KB a test file may take."""
    _with_limit(log)
    for s in log.samples:
        s.events = []
        if s.error is not None:
            s.error.traceback_ansi = ""


def _harm_verdict(log: Any) -> None:
    for s in log.samples:
        if s.id == "s0":
            s.scores["includes"].metadata = {"harmful": False, "refusal": "none"}


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("inspect")
    base = generate_log(root / "gen")
    out = root / "logs"
    out.mkdir()
    paths = {"eval": shutil.copy(base, out / "mock.eval")}
    paths["json"] = edited(base, out / "mock.json", lambda log: None)
    paths["limit"] = edited(base, root / "limit.eval", _with_limit)
    paths["verdict"] = edited(base, root / "verdict.eval", _harm_verdict)
    return {k: Path(v) for k, v in paths.items()}


def one_run(path: Path, **kw: Any) -> Any:
    runs = list(import_inspect([path], **kw))
    assert len(runs) == 1
    return runs[0]


def test_header_maps_to_run(logs: dict[str, Path]) -> None:
    run = one_run(logs["eval"])
    assert run.kind == "inspect"
    assert run.suite_id == "inspect:mock_arith"
    assert run.target == "inspect:mockllm/model"
    assert run.model == "mockllm/model"
    assert run.epochs == EPOCHS
    assert run.n_samples_hint == N_SAMPLES * EPOCHS
    assert run.run_id.startswith("inspect-mock-arith-mockllm-model-") and run.run_id.endswith(run.source_digest[:12])
    assert validate_run_id(run.run_id) == run.run_id and len(run.run_id) <= 120
    assert run.meta["status"] == "success" and run.meta["complete"] is True
    assert run.meta["scorers"] == ["includes", "match"]
    assert run.meta["tool"] == "inspect_ai"
    # deterministic: the same bytes give the same run id
    assert one_run(logs["eval"]).run_id == run.run_id


def test_samples_items_responses_labels(logs: dict[str, Path]) -> None:
    run = one_run(logs["eval"])
    samples = list(run.samples())
    assert len(samples) == N_SAMPLES * EPOCHS
    assert [(s.item.item_id, s.response.epoch) for s in samples[:4]] == [("s0", 0), ("s0", 1), ("s1", 0), ("s1", 1)]
    first = samples[0]
    assert [(m.role, m.content) for m in first.item.messages] == [("user", "What is 0+0?")]
    assert first.item.hazard == "benign" and first.item.intent == "benign" and first.item.locale == "en"
    assert first.item.answer == "0+0"
    assert first.response.output == "The answer is 0+0"
    assert first.response.finish_reason == "stop"
    assert first.response.input_tokens == 6 and first.response.output_tokens == 4
    assert first.response.error_kind is None and first.response.run_id == run.run_id
    judges = {lb.judge_id: lb for lb in first.labels}
    assert set(judges) == {"inspect:includes", "inspect:match"}
    lb = judges["inspect:includes"]
    assert lb.judge_version.startswith("inspect_ai ")
    assert lb.score == 1.0 and lb.harmful is None and lb.refusal is None
    assert lb.unassessed == "score-not-a-harm-label"
    assert lb.rationale is not None and lb.rationale.startswith('value="C"')
    # hazard and intent from the sample metadata
    s1 = samples[2]
    assert (s1.item.item_id, s1.item.hazard, s1.item.intent) == ("s1", "cyber-offense", "contested")
    # re-iterable, same order
    assert [(s.item.item_id, s.response.epoch, s.response.output) for s in run.samples()] == [
        (s.item.item_id, s.response.epoch, s.response.output) for s in samples
    ]


def test_defaults_apply_without_metadata(logs: dict[str, Path]) -> None:
    run = one_run(logs["eval"], intent="harmful", locale="fr")
    first = next(iter(run.samples()))
    assert first.item.intent == "harmful" and first.item.locale == "en"  # metadata locale wins


def test_sample_error_is_unassessed(logs: dict[str, Path]) -> None:
    samples = [s for s in one_run(logs["eval"]).samples() if s.item.item_id == "99"]
    assert len(samples) == EPOCHS
    for s in samples:
        assert s.response.error_kind == ErrorKind.internal
        assert s.response.error and "mock provider failure" in s.response.error
        assert s.response.output is None
        assert {lb.judge_id for lb in s.labels} == {"inspect:includes", "inspect:match"}
        assert all(lb.unassessed == "error:internal" and lb.harmful is None for lb in s.labels)


def test_limit_is_unassessed_with_output_kept(logs: dict[str, Path]) -> None:
    s = next(s for s in one_run(logs["limit"]).samples() if s.item.item_id == "s2" and s.response.epoch == 0)
    assert s.response.error_kind == ErrorKind.bad_response
    assert s.response.error == "inspect limit: token (limit 3)"
    assert s.response.output == "The answer is 2+2"
    assert all(lb.unassessed == "error:bad_response" and lb.score == 1.0 for lb in s.labels)


def test_harm_verdict_in_score_metadata(logs: dict[str, Path]) -> None:
    s = next(iter(one_run(logs["verdict"]).samples()))
    lb = next(lb for lb in s.labels if lb.judge_id == "inspect:includes")
    assert lb.unassessed is None and lb.harmful is False and lb.refusal == "none"


def test_json_log_matches_eval_log(logs: dict[str, Path]) -> None:
    def key(path: Path) -> list[tuple[Any, ...]]:
        return [
            (s.item.item_id, s.response.epoch, s.response.output, s.response.error_kind, tuple(lb.score for lb in s.labels))
            for s in one_run(path).samples()
        ]

    assert key(logs["json"]) == key(logs["eval"])


def test_directory_yields_each_log(logs: dict[str, Path]) -> None:
    runs = list(import_inspect([logs["eval"].parent]))
    assert sorted(Path(r.source_path).name for r in runs) == ["mock.eval", "mock.json"]
    assert len({r.run_id for r in runs}) == 2


def _one_line(err: InputError) -> str:
    text = str(err)
    assert "\n" not in text and "Traceback" not in text
    return text


def test_truncated_eval_zip(logs: dict[str, Path], tmp_path: Path) -> None:
    data = logs["eval"].read_bytes()
    bad = tmp_path / "cut.eval"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError) as info:
        list(import_inspect([bad]))
    text = _one_line(info.value)
    assert "cut.eval" in text and "field 'zip'" in text


def test_unknown_version_json(logs: dict[str, Path], tmp_path: Path) -> None:
    data = json.loads(logs["json"].read_text(encoding="utf-8"))
    data["version"] = 99
    bad = tmp_path / "future.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputError) as info:
        list(import_inspect([bad]))
    text = _one_line(info.value)
    assert "future.json" in text and "field 'version'" in text and "unknown Inspect log version" in text
    assert "99" in (info.value.why or "")


def test_unknown_version_eval(logs: dict[str, Path], tmp_path: Path) -> None:
    import inspect_ai._util.zipfile  # noqa: F401  (zstd codec for Inspect's members)

    bad = tmp_path / "future.eval"
    with zipfile.ZipFile(logs["eval"]) as src, zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as dst:
        for member in src.infolist():
            blob = src.read(member.filename)
            if member.filename in ("header.json", "_journal/start.json"):
                doc = json.loads(blob)
                doc["version"] = 7
                blob = json.dumps(doc).encode()
            dst.writestr(member.filename, blob)
    with pytest.raises(InputError) as info:
        list(import_inspect([bad]))
    assert "field 'version'" in _one_line(info.value)


@pytest.mark.parametrize(
    ("name", "content", "field"),
    [("other.json", '{"hello": 1}', "header"), ("notes.txt", "hi", "path"), ("empty.eval", "", "zip")],
)
def test_not_a_log(tmp_path: Path, name: str, content: str, field: str) -> None:
    bad = tmp_path / name
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as info:
        list(import_inspect([bad]))
    text = _one_line(info.value)
    assert name in text and f"field '{field}'" in text


def test_missing_path_and_bad_defaults(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        list(import_inspect([tmp_path / "nope.eval"]))
    with pytest.raises(InputError, match="unknown hazard"):
        list(import_inspect([tmp_path], hazard="not-a-hazard"))
    with pytest.raises(InputError, match="no Inspect logs"):
        list(import_inspect([tmp_path]))


def test_unknown_hazard_in_metadata_names_sample(logs: dict[str, Path], tmp_path: Path) -> None:
    def bad_hazard(log: Any) -> None:
        next(s for s in log.samples if s.id == "s0").metadata = {"hazard": "made-up"}

    run = one_run(edited(logs["eval"], tmp_path / "bad.eval", bad_hazard))
    with pytest.raises(InputError) as info:
        list(run.samples())
    text = _one_line(info.value)
    assert "bad.eval" in text and "sample s0: metadata.hazard" in text


def test_corrupt_sample_member_names_it(logs: dict[str, Path], tmp_path: Path) -> None:
    import inspect_ai._util.zipfile  # noqa: F401

    bad = tmp_path / "corrupt.eval"
    with zipfile.ZipFile(logs["eval"]) as src, zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as dst:
        for member in src.infolist():
            blob = src.read(member.filename)
            dst.writestr(member.filename, b"{not json" if member.filename == "samples/s3_epoch_1.json" else blob)
    run = one_run(bad)
    with pytest.raises(InputError) as info:
        list(run.samples())
    assert "field 'samples/s3_epoch_1.json'" in _one_line(info.value)


def test_run_id_is_bounded() -> None:
    rid = run_id_for("T" * 300 + "/x", "provider/" + "m" * 300, "ab" * 32)
    assert len(rid) <= 120 and validate_run_id(rid) == rid and rid.endswith("-" + "ab" * 6)
    assert run_id_for("Theory of Mind", "openai/gpt-4o", "0" * 64) == "inspect-theory-of-mind-openai-gpt-4o-000000000000"


def test_committed_logs_import() -> None:
    files = sorted(DATA.glob("*.eval")) + sorted(DATA.glob("*.json"))
    assert files, "tests/data/interop/inspect holds the generated logs (see HOW.md)"
    for run in import_inspect(files):
        samples = list(run.samples())
        assert len(samples) == run.n_samples_hint
        assert any(s.response.error_kind is not None for s in samples)


def test_import_job_writes_once(logs: dict[str, Path], tmp_path: Path) -> None:
    """The lead's import job on a real log: one transaction, idempotent on the same bytes."""
    pipeline = pytest.importorskip("accord.pipeline")
    store = pipeline.open_store(str(tmp_path / "db.sqlite"), create=True)
    first = pipeline.import_logs(store, import_inspect([logs["eval"]]))
    assert first[0].written and first[0].responses == N_SAMPLES * EPOCHS and first[0].errors == EPOCHS
    again = pipeline.import_logs(store, import_inspect([logs["eval"]]))
    assert not again[0].written and again[0].run_id == first[0].run_id


if __name__ == "__main__":  # regenerate tests/data/interop/inspect (HOW.md)
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else DATA
    out.mkdir(parents=True, exist_ok=True)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        made = generate_log(Path(tmp))
        shutil.copy(made, out / "mock_arith.eval")
        edited(made, out / "mock_arith_limit.json", _small)
    print("wrote", sorted(p.name for p in out.iterdir()))


def test_an_oversized_sample_member_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A crafted .eval entry may declare gigabytes: the reader checks the declared size first."""
    from accord.interop import _inspect

    log = Path(__file__).resolve().parents[2] / "data" / "interop" / "inspect" / "mock_arith.eval"
    monkeypatch.setattr(_inspect, "MAX_SAMPLE_BYTES", 10)
    [run] = list(_inspect.import_inspect([str(log)]))
    with pytest.raises(InputError, match="over the 10-byte limit") as err:
        list(run.samples())
    assert err.value.field is not None and err.value.field.startswith("samples/")
