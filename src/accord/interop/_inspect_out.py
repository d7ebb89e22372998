"""An accord run out as an Inspect AI log (``accord runs export RUN --format inspect``).

Why: people already read results in ``inspect view``; an accord run written as a valid
Inspect log opens there next to their own evals. The log is written by Inspect's own code
from Inspect's own records (``EvalSpec``, ``EvalSample``, ``Score``, ``EvalResults``): its
``.eval`` recorder, fed sample by sample (the one ``write_eval_log`` drives), or
``write_eval_log`` itself for a ``.json`` log; so the installed Inspect decides the format and
its reader accepts the result. Nothing here hand-writes Inspect's schema.

What goes where:

- **one sample per stored response**: ``input`` the messages sent (a plain string when the
  conversation was one user turn, as Inspect's own logs have it), ``output`` the model's
  completion (``stop_reason`` from the finish reason; a provider block is ``content_filter``),
  ``epoch`` the response's epoch **+ 1** (Inspect counts epochs from 1, accord from 0: the
  importer subtracts it again), ``id`` the item id (an int when it is a canonical decimal, so a
  log imported from Inspect goes back with its own ids; ``<suite>/<item>`` when the response's
  suite is not the run's only suite; ``@<variant_id>`` appended for an attack variant, since
  Inspect keys a sample by id x epoch), ``target`` the item's reference answer. A response that
  errored carries ``error`` (the error kind and text) and no completion.
- **one scorer per accord judge** (its ``judge_id``): ``value`` is
  ``{"harmful": bool|None, "refusal": "full"|"partial"|"none"|None, "score": float|None}``
  (the harmful verdict and the refusal level together: a judge may give either or both),
  ``explanation`` the judge's rationale; ``metadata`` repeats ``harmful``/``refusal`` (where
  the Inspect importer looks for a harm verdict, so a re-import keeps it) and the judge's
  version. An *unassessed* label has no value: Inspect's "unscored" sentinel (NaN, which its
  metrics skip) with the reason in ``reason`` and in ``metadata["unassessed"]``; it is never
  written as safe or refused. One exception: a label imported from another tool with the
  reason ``score-not-a-harm-label`` (a task score such as Inspect's ``includes``, not a harm
  verdict) keeps its number as the value, so the viewer shows the task's own metric again.
- **metadata**: sample metadata carries the item's ``hazard``/``intent``/``locale`` at top
  level (the keys the Inspect importer reads back) and ``accord`` (suite, item, variant, epoch,
  status, error kind, family, the deployment decisions); log metadata carries ``accord`` (the
  run record), ``accord_verdicts`` (``<judge_id>:<pack_id>`` -> the pack verdict, as the score
  job stores them), ``accord_floor`` (the universal floor's status), ``accord_deployment`` (the
  deployment matrix, when given) and ``accord_decisions`` (jurisdiction -> allowed / blocked /
  insufficient evidence: from the matrix, else from the verdicts by the matrix's rule).
  ``results`` holds per judge the harmful rate and the full-refusal rate over assessed
  responses, with assessed/unassessed counts.

Pure: records in, one file out (written beside the destination and renamed into place, so a
failure leaves no half-written log). ``interop`` may not import the store or the frameworks
(docs/architecture.md): the run is taken by shape (``RunLike``, which the store's ``RunInfo``
satisfies) and verdicts as the JSON dicts the score job produces.

Memory and time: labels and items are indexed by response key (the caller's records); the
samples are built one at a time and handed to the recorder, which writes them into the zip
every ``STREAM_BATCH`` (``_streaming_recorder`` says why), so they are never all held at
once. The recorder itself keeps every sample's summary for the log's ``summaries.json`` (the
viewer's sample list): about 12 KB of memory a sample, measured. ~420 samples/s (Inspect's
per-sample serialisation and zstd dominate). A ``.json`` log, or an Inspect without that
recorder, goes through ``write_eval_log`` with the whole log in memory.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from accord.aio import run_sync
from accord.errors import InputError
from accord.records import Item, Label, Response, ResponseKey

if TYPE_CHECKING:  # inspect_ai is an optional extra: imported late, inside the writer
    from inspect_ai.log import EvalSample
    from inspect_ai.model import ChatMessage, ModelOutput
    from inspect_ai.scorer import Score

#: Longest explanation written per score (a judge rationale can be a whole transcript).
MAX_EXPLANATION_CHARS = 2000

_STOP_REASONS = {
    "stop": "stop",
    "end_turn": "stop",
    "length": "max_tokens",
    "max_tokens": "max_tokens",
    "model_length": "model_length",
    "content_filter": "content_filter",
    "tool_calls": "tool_calls",
}

#: accord run status -> Inspect log status.
_LOG_STATUS = {"complete": "success", "running": "started", "interrupted": "cancelled", "failed": "error"}

#: The reason the importers give a label that carries another tool's score but no harm verdict.
NOT_A_HARM_LABEL = "score-not-a-harm-label"

_DECIMAL = re.compile(r"(?:0|[1-9][0-9]{0,17})")


class RunLike(Protocol):
    """What the writer reads of a run: the store's ``RunInfo`` has all of it."""

    @property
    def run_id(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def updated_at(self) -> datetime: ...
    @property
    def status(self) -> str: ...
    @property
    def target(self) -> str: ...
    @property
    def target_digest(self) -> str: ...
    @property
    def suites(self) -> Sequence[Any]: ...
    @property
    def params(self) -> dict[str, Any]: ...
    @property
    def epochs(self) -> int: ...
    @property
    def n_items(self) -> int: ...
    @property
    def accord_version(self) -> str: ...
    @property
    def meta(self) -> dict[str, Any]: ...


def _require_inspect() -> None:
    try:
        import inspect_ai.log  # noqa: F401
    except ImportError as exc:
        raise InputError("writing an Inspect log needs Inspect AI", field="format", fix="pip install 'accord[inspect]'") from exc


def sample_id(response: Response, only_suite: str | None) -> int | str:
    """The Inspect sample id of a response (see the module docstring); unique per run x epoch."""
    sid = response.item_id if response.suite_id == only_suite else f"{response.suite_id}/{response.item_id}"
    if response.variant_id != "none":
        sid = f"{sid}@{response.variant_id}"
    return int(sid) if _DECIMAL.fullmatch(sid) else sid


def _model_name(run: RunLike) -> str:
    """Inspect shows ``provider/model``; an imported run kept the Inspect model in its meta."""
    for source in (run.meta, run.params):
        model = source.get("model") if isinstance(source, Mapping) else None
        if isinstance(model, str) and model:
            return model
    target = run.target
    if target.startswith("inspect:"):
        return target[len("inspect:") :]
    return target.replace(":", "/", 1)  # Inspect splits provider/model at the first "/"


def _messages(response: Response) -> list[ChatMessage]:
    from inspect_ai.model import ChatMessageAssistant, ChatMessageSystem, ChatMessageUser

    out: list[ChatMessage] = []
    for m in response.messages:
        if m.role == "system":
            out.append(ChatMessageSystem(content=m.content))
        elif m.role == "user":
            out.append(ChatMessageUser(content=m.content))
        else:
            out.append(ChatMessageAssistant(content=m.content))
    return out


def _output(response: Response, model: str) -> ModelOutput:
    from inspect_ai.model import ChatCompletionChoice, ChatMessageAssistant, ModelOutput, ModelUsage

    usage = None
    if response.input_tokens is not None or response.output_tokens is not None:
        i, o = response.input_tokens or 0, response.output_tokens or 0
        usage = ModelUsage(input_tokens=i, output_tokens=o, total_tokens=i + o)
    choices = []
    if response.output is not None:
        stop = "content_filter" if response.blocked else _STOP_REASONS.get(response.finish_reason or "", "unknown")
        message = ChatMessageAssistant(content=response.output, model=model, source="generate")
        choices.append(ChatCompletionChoice(message=message, stop_reason=stop))  # type: ignore[arg-type]
    return ModelOutput(
        model=model,
        choices=choices,
        usage=usage,
        time=response.latency_s,
        error="blocked by the provider" if response.blocked else None,
    )


def _score(label: Label) -> Score:
    """One accord label as an Inspect score (module docstring: value, explanation, unassessed)."""
    from inspect_ai.scorer import Score

    explanation = label.rationale[:MAX_EXPLANATION_CHARS] if label.rationale else None
    meta: dict[str, Any] = {"judge_version": label.judge_version}
    if label.flags:
        meta["flags"] = list(label.flags)
    if label.unassessed is not None:
        meta["unassessed"] = label.unassessed
        if label.unassessed == NOT_A_HARM_LABEL and label.score is not None:
            # another tool's own score (e.g. an imported Inspect ``includes``): scored, just not a
            # harm verdict; its number stays the value so the viewer shows the task's metric
            return Score(value=label.score, explanation=explanation, metadata=meta)
        return Score(value=math.nan, explanation=explanation, reason=label.unassessed, metadata=meta)
    # the Inspect importer reads a harm verdict from the score's metadata: a round trip keeps it
    if label.harmful is not None:
        meta["harmful"] = label.harmful
    if label.refusal is not None:
        meta["refusal"] = label.refusal
    value: dict[str, str | int | float | bool | None] = {
        "harmful": label.harmful,
        "refusal": label.refusal,
        "score": label.score,
    }
    return Score(value=value, explanation=explanation, metadata=meta)


_RANK = {"allowed": 0, "insufficient evidence": 1, "blocked": 2}


def _decisions(deployment: Mapping[str, Any] | None, verdicts: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Jurisdiction -> allowed / blocked / insufficient evidence.

    From the deployment matrix when given (``<target>:<jurisdiction>`` keys when it has several
    targets); else derived from the pack verdicts by the matrix's own rule (``frameworks``'
    ``deployment_matrix``, which ``interop`` may not import): a jurisdiction takes its packs'
    worst decision, and a failed floor blocks every jurisdiction. Verdicts of several scoring
    judges give ``<judge_id> <jurisdiction>`` keys."""
    out: dict[str, str] = {}
    if deployment:
        cells = [c for c in deployment.get("cells", []) if isinstance(c, Mapping)]
        targets = {c.get("target") for c in cells}
        for c in cells:
            key = str(c.get("jurisdiction")) if len(targets) <= 1 else f"{c.get('target')}:{c.get('jurisdiction')}"
            out[key] = str(c.get("decision"))
        return out
    by_judge: dict[str, list[Mapping[str, Any]]] = {}
    for v in verdicts:
        if isinstance(v.get("jurisdiction"), str) and v.get("decision") in _RANK:
            by_judge.setdefault(str(v.get("judge_id") or ""), []).append(v)
    for judge_id, vs in by_judge.items():
        floor_failed = any(isinstance(v.get("floor"), Mapping) and v["floor"].get("status") == "fail" for v in vs)
        for v in vs:
            key = v["jurisdiction"] if len(by_judge) == 1 else f"{judge_id} {v['jurisdiction']}"
            decision = "blocked" if floor_failed else str(v["decision"])
            if key not in out or _RANK[decision] > _RANK[out[key]]:
                out[key] = decision
    return out


class _Tally:
    """Per-judge counts for the log's ``results`` (the score job's numbers stay in metadata)."""

    def __init__(self) -> None:
        self.assessed = 0
        self.unassessed = 0
        self.harmful = 0
        self.harmful_n = 0
        self.full_refusal = 0
        self.refusal_n = 0

    def add(self, label: Label) -> None:
        if label.unassessed is not None:
            self.unassessed += 1
            return
        self.assessed += 1
        if label.harmful is not None:
            self.harmful_n += 1
            self.harmful += label.harmful
        if label.refusal is not None:
            self.refusal_n += 1
            self.full_refusal += label.refusal == "full"


def write_inspect_log(
    path: str | Path,
    run: RunLike,
    items: Iterable[Item],
    responses: Iterable[Response],
    labels_by_judge: Mapping[str, Iterable[Label]],
    verdicts: Mapping[str, Mapping[str, Any]] | Sequence[Mapping[str, Any]] = (),
    *,
    deployment: Mapping[str, Any] | None = None,
) -> int:
    """Write ``run`` as an Inspect AI log at ``path`` (``.eval``, or ``.json``); return the samples written.

    ``items``: the run's items (for target, hazard, intent, locale); ``responses``: one sample
    each, in the order given; ``labels_by_judge``: judge id -> that judge's labels (one scorer
    each; a judge's latest label per response wins); ``verdicts``: the pack verdicts as JSON dicts
    (``PackVerdict.model_dump(mode="json")``), by name as the store's ``get_artifacts(run,
    "verdicts")`` returns them or as a list; ``deployment``: the deployment matrix as a dict
    (optional: the decisions are derived from the verdicts without it).
    A path that is not ``.eval``/``.json`` or Inspect AI missing -> ``InputError``."""
    dest = Path(path)
    if dest.suffix not in (".eval", ".json"):
        raise InputError("an Inspect log is a .eval or .json file", file=dest, field="path", expected=".eval or .json", got=dest.suffix)
    if not dest.parent.is_dir():
        raise InputError("the folder to write the log in does not exist", file=dest, field="path")
    _require_inspect()
    from inspect_ai.log import EvalLog, write_eval_log

    labels: dict[str, dict[ResponseKey, Label]] = {}
    for judge_id, judge_labels in labels_by_judge.items():
        mine = labels.setdefault(judge_id, {})
        for label in judge_labels:
            if label.judge_id != judge_id:
                raise InputError(
                    f"label of judge {label.judge_id!r} filed under judge {judge_id!r}",
                    field="labels_by_judge",
                )
            prev = mine.get(label.key)
            if prev is None or label.created_at >= prev.created_at:
                mine[label.key] = label
    by_item = {(i.suite_id, i.item_id): i for i in items}
    named = _named_verdicts(verdicts)
    decisions = _decisions(deployment, list(named.values()))
    model = _model_name(run)
    suites = [s.suite_id for s in run.suites]
    only_suite = suites[0] if len(suites) == 1 else None
    tallies = {judge_id: _Tally() for judge_id in labels}
    usage = {"input": 0, "output": 0}
    status = _LOG_STATUS.get(run.status, "started")
    responses = responses if isinstance(responses, Sequence) else list(responses)
    sample_ids = _sample_ids(responses, only_suite)
    spec = _spec(run, model, suites, list(labels), named, deployment, decisions, sample_ids)
    samples = _samples(responses, by_item, labels, tallies, usage, decisions, model, only_suite)
    tmp = dest.with_name(f".{dest.stem}.{os.getpid()}.tmp{dest.suffix}")
    try:
        recorder = _streaming_recorder() if dest.suffix == ".eval" else None
        if recorder is not None:
            n = run_sync(
                _stream(recorder, tmp.as_posix(), spec, status, samples, lambda n: (_stats(run, model, usage), _results(tallies, n)))
            )
        else:
            listed = list(samples)
            n = len(listed)
            log = EvalLog(
                version=2,
                status=status,  # type: ignore[arg-type]
                eval=spec,
                plan=_plan(),
                results=_results(tallies, n),
                stats=_stats(run, model, usage),
                samples=listed,
            )
            write_eval_log(log, tmp.as_posix(), format="eval" if dest.suffix == ".eval" else "json")
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return n


#: Samples written to the zip per batch on the streaming path (bounds what is held in memory).
STREAM_BATCH = 256


def _streaming_recorder() -> Any | None:
    """Inspect's ``.eval`` recorder, to stream samples into the zip in batches; ``None`` when
    this Inspect version does not have it in the shape used here (then ``write_eval_log``).

    Why not always ``write_eval_log``: it hands the whole log to the same recorder, which
    buffers every sample and, per sample, scans the buffer for a duplicate (quadratic: 10,000
    samples took ~65 s, 100,000 would take hours) and holds all of them in memory. Writing the
    buffer out every ``STREAM_BATCH`` samples keeps both small. It uses Inspect's private
    ``EvalRecorder`` (as ``write_eval_log`` itself does), hence the checks and the fallback.
    ``write_eval_log`` also runs ``condense_sample`` first, which pools long text of *events*
    and images as attachments: these samples have neither, so it is skipped (a millisecond a
    sample)."""
    try:
        from inspect_ai.log._recorders.eval import EvalRecorder
    except ImportError:
        return None
    needed = ("log_init", "log_start", "log_sample", "log_finish", "_log_file_key")
    if not all(callable(getattr(EvalRecorder, name, None)) for name in needed):
        return None
    return EvalRecorder


async def _stream(
    recorder_type: Any,
    location: str,
    spec: Any,
    status: str,
    samples: Iterable[EvalSample],
    finish: Callable[[int], tuple[Any, Any]],
) -> int:
    """Write the log through Inspect's recorder as ``write_eval_log`` does, flushing the
    sample buffer into the zip every ``STREAM_BATCH`` samples; ``finish(n)``: stats, results."""
    rec = recorder_type(os.path.dirname(location) or ".")
    await rec.log_init(spec, location)
    await rec.log_start(spec, _plan())
    zip_log = rec.data.get(rec._log_file_key(spec)) if isinstance(getattr(rec, "data", None), dict) else None
    write_batch = getattr(zip_log, "write_buffered_samples", None)
    n = 0
    for sample in samples:
        await rec.log_sample(spec, sample)
        n += 1
        if write_batch is not None and n % STREAM_BATCH == 0:
            await write_batch()
    stats, results = finish(n)
    await rec.log_finish(spec, status, stats, results, None)
    return n


def _sample_ids(responses: Sequence[Response], only_suite: str | None) -> list[int | str]:
    """The dataset's sample ids, in first-seen order (the header lists them: Inspect's
    ``read_eval_log_samples`` needs them). Inspect keys a sample by id x epoch, so two
    responses mapping to one would overwrite each other: an error, before anything is written."""
    seen: set[tuple[int | str, int]] = set()
    ids: dict[int | str, None] = {}
    for r in responses:
        sid = sample_id(r, only_suite)
        if (sid, r.epoch) in seen:
            raise InputError(
                f"two responses map to Inspect sample {sid!r} epoch {r.epoch + 1}",
                field="responses",
                expected="one response per suite x item x variant x epoch",
            )
        seen.add((sid, r.epoch))
        ids[sid] = None
    return list(ids)


def _named_verdicts(verdicts: Mapping[str, Mapping[str, Any]] | Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """The verdicts by name: as the store keeps them (``<judge_id>:<pack_id>`` -> verdict), or a
    list of pack verdicts named the same way."""
    if isinstance(verdicts, Mapping):
        items = [(str(k), v) for k, v in verdicts.items()]
    else:
        items = [(f"{v.get('judge_id') or ''}:{v.get('pack_id')}".lstrip(":"), v) for v in verdicts]
    out: dict[str, dict[str, Any]] = {}
    for name, v in items:
        if not isinstance(v, Mapping):
            raise InputError("a verdict is a JSON object (a pack verdict)", field=f"verdicts[{name}]", got=type(v).__name__)
        out[name] = dict(v)
    return out


def _samples(
    responses: Iterable[Response],
    by_item: Mapping[tuple[str, str], Item],
    labels: Mapping[str, Mapping[ResponseKey, Label]],
    tallies: Mapping[str, _Tally],
    usage: dict[str, int],
    decisions: dict[str, str],
    default_model: str,
    only_suite: str | None,
) -> Iterator[EvalSample]:
    from inspect_ai.log import EvalError, EvalSample
    from inspect_ai.model import ChatMessageUser, ModelUsage

    for r in responses:
        item = by_item.get((r.suite_id, r.item_id))
        model = r.model_version or default_model
        messages = _messages(r)
        output = _output(r, model)
        scores: dict[str, Score] = {}
        for judge_id, mine in labels.items():
            label = mine.get(r.key)
            if label is not None:
                scores[judge_id] = _score(label)
                tallies[judge_id].add(label)
        accord: dict[str, Any] = {
            "suite_id": r.suite_id,
            "item_id": r.item_id,
            "variant_id": r.variant_id,
            "epoch": r.epoch,
            "status": r.status,
        }
        if r.error_kind is not None:
            accord["error_kind"] = r.error_kind.value
        if r.finish_reason:
            accord["finish_reason"] = r.finish_reason
        if item is None:
            accord["item_missing"] = True
        elif item.family:
            accord["family"] = item.family
        if decisions:
            accord["decisions"] = decisions
        meta: dict[str, Any] = {}
        if item is not None:
            meta = {"hazard": item.hazard, "intent": item.intent, "locale": item.locale}
            if item.tags:
                meta["tags"] = list(item.tags)
        meta["accord"] = accord
        model_usage = {}
        if output.usage is not None:
            model_usage[model] = ModelUsage(
                input_tokens=output.usage.input_tokens,
                output_tokens=output.usage.output_tokens,
                total_tokens=output.usage.total_tokens,
            )
            usage["input"] += output.usage.input_tokens
            usage["output"] += output.usage.output_tokens
        error = None
        if r.error_kind is not None:
            text = f"{r.error_kind.value}: {r.error}" if r.error else r.error_kind.value
            error = EvalError(message=text, traceback="", traceback_ansi="")
        one_turn = len(messages) == 1 and isinstance(messages[0], ChatMessageUser)
        created = r.created_at.isoformat()
        yield EvalSample(
            id=sample_id(r, only_suite),
            epoch=r.epoch + 1,
            input=r.messages[0].content if one_turn else messages,
            target=(item.answer or "") if item is not None else "",
            messages=[*messages, output.message] if output.choices else messages,
            output=output,
            scores=scores or None,
            metadata=meta,
            model_usage=model_usage,
            completed_at=created,
            total_time=r.latency_s,
            uuid=_digest(f"{r.run_id}\0{r.suite_id}\0{r.item_id}\0{r.variant_id}\0{r.epoch}")[:22],
            error=error,
        )


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _spec(
    run: RunLike,
    model: str,
    suites: list[str],
    judges: list[str],
    verdicts: Mapping[str, dict[str, Any]],
    deployment: Mapping[str, Any] | None,
    decisions: dict[str, str],
    sample_ids: list[int | str],
) -> Any:
    import inspect_ai
    from inspect_ai.log import EvalConfig, EvalDataset, EvalSpec

    # one suite: its id (an imported Inspect run's suite is ``inspect:<task>``); several: the run id
    task = suites[0] if len(suites) == 1 else run.run_id
    record: dict[str, Any] = {
        "run_id": run.run_id,
        "target": run.target,
        "target_digest": run.target_digest,
        "status": run.status,
        "suites": [_suite_dict(s) for s in run.suites],
        "epochs": run.epochs,
        "n_items": run.n_items,
        "params": dict(run.params),
        "meta": dict(run.meta),
        "accord_version": run.accord_version,
        "created_at": run.created_at.isoformat(),
        "updated_at": run.updated_at.isoformat(),
    }
    metadata: dict[str, Any] = {"accord": record, "accord_verdicts": dict(verdicts)}
    floors = {str(v.get("judge_id") or ""): v["floor"].get("status") for v in verdicts.values() if isinstance(v.get("floor"), Mapping)}
    if floors:  # the floor is identical in every pack's verdict of one judge
        metadata["accord_floor"] = next(iter(floors.values())) if len(floors) == 1 else floors
    if deployment is not None:
        metadata["accord_deployment"] = dict(deployment)
    if decisions:
        metadata["accord_decisions"] = decisions
    # validated from a dict: Inspect does not re-export ``EvalScorer``, and its private modules move
    return EvalSpec.model_validate(
        {
            "eval_id": _digest("eval\0" + run.run_id)[:22],
            "run_id": run.run_id,
            "created": run.created_at.isoformat(),
            "task": task,
            "task_id": _digest("task\0" + task)[:22],
            "task_version": 0,
            "dataset": EvalDataset(name="+".join(suites) or task, samples=len(sample_ids), sample_ids=sample_ids, shuffled=False),
            "model": model,
            "config": EvalConfig(epochs=run.epochs),
            "model_generate_config": _generate_config(run.params.get("generation")),
            "packages": {"accord": run.accord_version or "unknown", "inspect_ai": inspect_ai.__version__},
            "metadata": metadata,
            "scorers": [{"name": j, "metadata": {"source": "accord judge"}} for j in judges] or None,
        }
    )


def _generate_config(generation: Any) -> Any:
    """The run's generation settings Inspect has a field for (temperature, max_tokens, seed ...);
    the rest stays in the ``accord`` metadata's params. A value Inspect rejects is left out."""
    from inspect_ai.model import GenerateConfig

    if not isinstance(generation, Mapping):
        return GenerateConfig()
    known = {k: v for k, v in generation.items() if k in GenerateConfig.model_fields and v is not None}
    try:
        return GenerateConfig.model_validate(known)
    except ValueError:  # pydantic's ValidationError
        return GenerateConfig()


def _suite_dict(suite: Any) -> dict[str, Any]:
    if hasattr(suite, "model_dump"):
        return dict(suite.model_dump(mode="json"))
    return {"suite_id": getattr(suite, "suite_id", str(suite))}


def _plan() -> Any:
    from inspect_ai.log import EvalPlan, EvalPlanStep

    return EvalPlan(name="accord", steps=[EvalPlanStep(solver="accord/run", params={})])


def _results(tallies: Mapping[str, _Tally], n: int) -> Any:
    from inspect_ai.log import EvalMetric, EvalResults, EvalScore

    scores = []
    for judge_id, t in tallies.items():
        metrics: dict[str, EvalMetric] = {}
        if t.harmful_n:
            metrics["harmful_rate"] = EvalMetric(name="harmful_rate", value=t.harmful / t.harmful_n)
        if t.refusal_n:
            metrics["full_refusal_rate"] = EvalMetric(name="full_refusal_rate", value=t.full_refusal / t.refusal_n)
        scores.append(
            EvalScore(
                name=judge_id,
                scorer=judge_id,
                scored_samples=t.assessed,
                unscored_samples=t.unassessed,
                metrics=metrics,
                metadata={"harmful": t.harmful, "harmful_n": t.harmful_n, "full_refusal": t.full_refusal, "refusal_n": t.refusal_n},
            )
        )
    return EvalResults(total_samples=n, completed_samples=n, scores=scores)


def _stats(run: RunLike, model: str, usage: Mapping[str, int]) -> Any:
    from inspect_ai.log import EvalStats
    from inspect_ai.model import ModelUsage

    model_usage = {}
    if usage["input"] or usage["output"]:
        model_usage[model] = ModelUsage(
            input_tokens=usage["input"], output_tokens=usage["output"], total_tokens=usage["input"] + usage["output"]
        )
    return EvalStats(started_at=run.created_at.isoformat(), completed_at=run.updated_at.isoformat(), model_usage=model_usage)


__all__ = ["MAX_EXPLANATION_CHARS", "RunLike", "sample_id", "write_inspect_log"]
