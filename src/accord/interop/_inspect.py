"""Inspect AI logs in: ``.eval`` and ``.json`` logs as accord runs (issue 18).

One Inspect log is one task x model, so each log file becomes one ``ImportedRun``:

- ``run_id`` ``inspect-<task>-<model>-<12 hex of the file's sha256>`` (deterministic, so a
  re-import finds the run it made), ``suite_id`` ``inspect:<task>``, ``target``
  ``inspect:<model>``, ``epochs`` from the eval config, the model's generation config in
  ``generation`` and the rest of the header (Inspect version, log status, task args, eval
  and run ids) in ``meta``.
- each sample x epoch is one ``ImportedSample``: the item is the sample's *input* (a string
  becomes one user turn; tool turns become user turns prefixed ``[tool]``; turns without
  text are dropped), ``item_id`` is Inspect's sample id as a string, ``Response.epoch`` is
  Inspect's epoch - 1 (accord counts from 0), the output is ``output.completion`` with its
  stop reason, token usage and model name. ``hazard``/``intent``/``locale`` come from the
  sample metadata keys of those names when present, else from the arguments (the CLI's
  ``--hazard``/``--intent``); an unknown hazard id is an ``InputError`` naming the sample.
- a sample error or limit is a ``Response`` with an ``error_kind`` (time/working limits and
  errors mentioning a timeout: ``timeout``; rate limits: ``rate_limited``; connection
  errors: ``connection``; token/message/context/other limits: ``bad_response``, the output
  kept; any other error: ``internal``) and the text in ``error``; every scorer's label on it
  is ``unassessed`` with ``error:<kind>`` (the raw score still kept in ``score``).
- each Inspect score is a ``Label`` of judge ``inspect:<scorer>`` version ``inspect_ai
  <version>``. **How a score maps to ``harmful``:** it does not, by default. Whether ``C``
  (correct) means safe depends on the task, so the label keeps ``harmful=None`` and
  ``unassessed="score-not-a-harm-label"``, with the raw value in ``score`` (numbers and
  booleans as floats; Inspect's letter grades as Inspect's own ``value_to_float``: C=1,
  P=0.5, I=0, N=0) and ``rationale`` (value, answer, explanation; 2,000 characters at most).
  A scorer that *is* a harm verdict says so in the score's metadata: ``{"harmful": bool}``
  (and optionally ``{"refusal": "full"|"partial"|"none"}``) makes an assessed label.

Reading. Headers are read with ``inspect_ai.log.read_eval_log(header_only=True)``. Samples of
an ``.eval`` log are streamed one at a time through Inspect's synchronous zip path (``zipfile``
with the zstd codec Inspect installs, one central-directory parse for the whole file) and
validated with Inspect's ``EvalSample`` model; the ``events`` transcript and the post-solver
``messages`` (most of a sample's bytes and parse time, and nothing accord keeps) are dropped
before validation, and attachments are resolved with ``resolve_sample_attachments``. Why not
``read_eval_log_samples``: it re-opens the zip and re-parses its central directory for every
sample, which is quadratic (24 samples/s at 10,000 samples); ``read_eval_log_samples_by_id``
is linear but validates the events (~600/s), and Inspect's async ``AsyncZipReader`` spends more
on per-member async reads than on parsing. If a future Inspect moves the internals used here,
the public ``read_eval_log_samples_by_id`` path is used instead. A ``.json`` log is one JSON
document with no index, so it is read whole with ``read_eval_log`` (memory grows with the log;
use ``.eval`` for large logs). Memory of an ``.eval`` stream is flat per sample; what grows
with the log is the zip's central directory (one entry per sample).

Bad input (a truncated zip, a log version other than 1 or 2, a file that is not an Inspect
log, a sample that does not validate) raises ``accord.errors.InputError`` naming the file and
the field, before the first sample of that file is used where it can be known then.
"""

from __future__ import annotations

import json
import math
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from accord.errors import InputError, brief
from accord.interop._model import ImportedRun, ImportedSample
from accord.readers import sha256_file
from accord.records import ErrorKind, Item, Label, Message, Response
from accord.taxonomy import hazard_ids

if TYPE_CHECKING:  # pragma: no cover - types only
    from inspect_ai.log import EvalLog, EvalSample

KIND = "inspect"
#: Inspect log schema versions this importer understands (``EvalLog.version``).
SUPPORTED_VERSIONS = (1, 2)
#: Samples read per batch from an ``.eval`` zip: enough to amortise the event-loop round trip,
#: small enough to keep memory flat.
BATCH = 256
RATIONALE_CHARS = 2000
ERROR_CHARS = 2000
RUN_ID_MAX = 120
NOT_A_HARM_LABEL = "score-not-a-harm-label"
#: Inspect's own letter grades (``inspect_ai.scorer.value_to_float``).
LETTER_VALUES = {"C": 1.0, "P": 0.5, "I": 0.0, "N": 0.0}
#: Sample fields accord never reads: dropped before validation (they are most of the cost).
#: ``messages`` is the whole conversation *after* the solvers ran; accord keeps ``input`` (what
#: the dataset asked) and ``output`` (the model's answer), as a run of its own would.
SKIP_FIELDS = ("events", "timelines", "events_data", "store", "messages")
#: Largest decompressed sample member read from an ``.eval`` zip (a crafted entry could
#: declare gigabytes: ``zipfile`` never returns more than the size the entry declares).
MAX_SAMPLE_BYTES = 64 * 1024 * 1024
#: Largest ``.json`` log: Inspect reads one whole, so its size bounds memory (an ``.eval``
#: log of any size streams).
MAX_JSON_LOG_BYTES = 512 * 1024 * 1024
_INTENTS = ("harmful", "benign", "contested")
_BCP47 = re.compile(r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$")
_VERSION_RE = re.compile(rb'"version"\s*:\s*(-?\d+)')
_SLUG_RE = re.compile(r"[^a-z0-9]+")
_LOG_SUFFIXES = (".eval", ".json")
#: Files an Inspect log directory holds beside the logs.
_NOT_LOGS = {"logs.json", "listing.json", "eval-set.json"}


def _inspect() -> Any:
    """Import ``inspect_ai.log`` or say which extra installs it (late: it is an optional extra)."""
    try:
        import inspect_ai.log as inspect_log
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise InputError(
            "reading Inspect AI logs needs the optional package 'inspect_ai'",
            field="inspect_ai",
            fix="pip install 'accord[inspect]'",
        ) from exc
    return inspect_log


def _inspect_version() -> str:
    try:
        from importlib.metadata import version

        return version("inspect_ai")
    except Exception:  # pragma: no cover - metadata missing in odd installs
        return "unknown"


def slug(value: str, limit: int = 40) -> str:
    """Lowercase ``[a-z0-9-]`` form of ``value`` for run ids (``openai/gpt-4o`` -> ``openai-gpt-4o``)."""
    text = _SLUG_RE.sub("-", value.lower()).strip("-")
    return (text[:limit].rstrip("-") or "x") if text else "x"


def run_id_for(task: str, model: str, digest: str) -> str:
    """``inspect-<task>-<model>-<12 hex>``, at most 120 characters of ``[a-z0-9-]``."""
    tail = digest[:12]
    room = RUN_ID_MAX - len(KIND) - len(tail) - 3
    task_s = slug(task, max(8, room // 2))
    model_s = slug(model, room - len(task_s))
    return f"{KIND}-{task_s}-{model_s}-{tail}"


def _expand(paths: Iterable[str | Path]) -> list[Path]:
    """Files named, and the ``.eval``/``.json`` logs under directories named, in a stable order."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix in _LOG_SUFFIXES
                and p.name not in _NOT_LOGS
                and not any(part.startswith(".") for part in p.relative_to(path).parts)  # .buffer/, .git/ ...
            )
            if not found:
                raise InputError("no Inspect logs (.eval or .json) in this directory", file=path, field="path")
            out.extend(found)
        elif path.is_file():
            if path.suffix not in _LOG_SUFFIXES:
                raise InputError("not an Inspect log", file=path, field="path", expected="a .eval or .json file")
            out.append(path)
        else:
            raise InputError("no such file or directory", file=path, field="path")
    return out


def _digest(path: Path) -> str:
    return sha256_file(path)


def _sniff_version(path: Path) -> int | None:
    """The log's schema version, read in bounded memory before Inspect parses the file.

    Why: Inspect answers a log from a newer schema with a bare "Unable to read log file"; this
    names the field. ``.json`` logs write ``version`` first; ``.eval`` logs keep it in
    ``header.json`` (finished) or ``_journal/start.json`` (still running or crashed)."""
    try:
        if path.suffix == ".json":
            with path.open("rb") as fh:
                head = fh.read(4096)
            match = _VERSION_RE.search(head)
            return int(match.group(1)) if match else None
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            for member in ("header.json", "_journal/start.json"):
                if member in names:
                    info = zf.getinfo(member)
                    if info.file_size > 64 << 20:
                        return None
                    data = json.loads(zf.read(member))
                    value = data.get("version") if isinstance(data, dict) else None
                    return value if isinstance(value, int) else None
            return None
    except zipfile.BadZipFile as exc:
        raise InputError(f"not a readable .eval zip ({exc})", file=path, field="zip", expected="a complete Inspect .eval log") from None
    except (OSError, ValueError, NotImplementedError, KeyError):
        return None  # Inspect's reader decides (and its error is wrapped below)


def _read_header(path: Path) -> EvalLog:
    _inspect()  # first: importing Inspect installs the zstd support its .eval zips need
    version = _sniff_version(path)
    if version is not None and version not in SUPPORTED_VERSIONS:
        raise InputError(
            "unknown Inspect log version",
            file=path,
            field="version",
            expected=f"one of {', '.join(map(str, SUPPORTED_VERSIONS))} (inspect_ai {_inspect_version()})",
            got=version,
            fix="upgrade accord/inspect_ai, or convert the log with `inspect log convert`",
        )
    inspect_log = _inspect()
    try:
        header = inspect_log.read_eval_log(str(path), header_only=True)
    except Exception as exc:  # Inspect raises ValueError, KeyError, pydantic errors ...
        field = "zip" if path.suffix == ".eval" else "header"
        raise InputError(f"not a readable Inspect log: {_one_line(exc)}", file=path, field=field, expected="an Inspect AI log") from None
    if header.version not in SUPPORTED_VERSIONS:
        raise InputError("unknown Inspect log version", file=path, field="version", expected="1 or 2", got=header.version)
    return header


def _one_line(exc: object, limit: int = 200) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _created(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return datetime.now(UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _dump(value: Any) -> Any:
    if value is None:
        return None
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", exclude_none=True)
    return value


def import_inspect(
    paths: Sequence[str | Path] | str | Path,
    *,
    hazard: str = "benign",
    intent: str = "benign",
    locale: str = "en",
) -> Iterator[ImportedRun]:
    """Yield one ``ImportedRun`` per Inspect log among ``paths`` (files or directories).

    Every file's header is read (and a bad one raises) when its run is yielded; the samples
    are read only when ``run.samples()`` is iterated, each time it is."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    if hazard not in hazard_ids():
        raise InputError(f"unknown hazard {brief(hazard)}", field="--hazard", expected="a canonical hazard id")
    if intent not in _INTENTS:
        raise InputError("unknown intent", field="--intent", expected="harmful, benign or contested", got=intent)
    if not _BCP47.match(locale):
        raise InputError("not a BCP 47 locale", field="--locale", expected="e.g. en, zh-CN", got=locale)
    _inspect()
    for path in _expand(paths):
        yield _run(path, hazard=hazard, intent=intent, locale=locale)


def _run(path: Path, *, hazard: str, intent: str, locale: str) -> ImportedRun:
    header = _read_header(path)
    digest = _digest(path)
    spec = header.eval
    task = spec.task or path.stem
    model = spec.model or "unknown"
    epochs = int(getattr(spec.config, "epochs", None) or 1)
    sample_ids = list(spec.dataset.sample_ids or []) if spec.dataset else []
    version = (spec.packages or {}).get("inspect_ai") or _inspect_version()
    scorers = _scorer_names(header)
    meta: dict[str, Any] = {
        "tool": "inspect_ai",
        "tool_version": version,
        "log_version": header.version,
        "status": header.status,
        # the import job marks a run from a log that did not finish as interrupted
        "complete": header.status == "success",
        "task": task,
        "task_version": spec.task_version,
        "task_args": _dump(spec.task_args) or {},
        "eval_id": spec.eval_id,
        "inspect_run_id": spec.run_id,
        "dataset": spec.dataset.name if spec.dataset else None,
        "scorers": scorers,
        "eval_config": _dump(spec.config) or {},
    }
    if header.error is not None:
        meta["error"] = _one_line(header.error.message, ERROR_CHARS)
    if header.results is not None:
        meta["total_samples"] = header.results.total_samples
        meta["completed_samples"] = header.results.completed_samples
    run_id = run_id_for(task, model, digest)
    ctx = _Context(
        run_id=run_id,
        path=path,
        suite_id=f"{KIND}:{task}",
        judge_version=f"inspect_ai {version}",
        scorers=tuple(scorers),
        defaults=(hazard, intent, locale),
        created=_created(spec.created),
    )
    if path.suffix == ".eval":

        def samples() -> Iterator[ImportedSample]:
            return (ctx.convert(s) for s in _eval_samples(path, sample_ids, epochs))

    else:

        def samples() -> Iterator[ImportedSample]:
            return (ctx.convert(s) for s in _json_samples(path))

    return ImportedRun(
        kind=KIND,
        source_path=str(path),
        source_digest=digest,
        run_id=run_id,
        target=f"{KIND}:{model}",
        suite_id=ctx.suite_id,
        created_at=ctx.created,
        samples=samples,
        model=model,
        epochs=epochs,
        generation=_dump(spec.model_generate_config) or {},
        meta=meta,
        n_samples_hint=(len(sample_ids) * epochs) if sample_ids else None,
    )


def _scorer_names(header: EvalLog) -> list[str]:
    names: list[str] = []
    for score in (header.results.scores if header.results else None) or []:
        name = getattr(score, "scorer", None) or getattr(score, "name", None)
        if name and name not in names:
            names.append(name)
    return names


# --- reading samples ---------------------------------------------------------------------


def _json_samples(path: Path) -> Iterator[EvalSample]:
    inspect_log = _inspect()
    size = path.stat().st_size
    if size > MAX_JSON_LOG_BYTES:
        raise InputError(
            f"a .json log of {size:,} bytes is over the {MAX_JSON_LOG_BYTES:,}-byte limit", file=path, field="path",
            fix="convert it to the streamed format: inspect log convert --to eval",
        )  # fmt: skip
    try:
        log = inspect_log.read_eval_log(str(path))
    except Exception as exc:
        raise InputError(f"not a readable Inspect log: {_one_line(exc)}", file=path, field="samples") from None
    order = {sid: i for i, sid in enumerate(log.eval.dataset.sample_ids or [])}
    # a .json log holds samples in completion order; the stream is (header order, epoch)
    yield from sorted(log.samples or [], key=lambda s: (order.get(s.id, len(order)), str(s.id), s.epoch))


def _eval_samples(path: Path, sample_ids: list[str | int], epochs: int) -> Iterator[EvalSample]:
    """Stream an ``.eval`` log's samples in the header's order (id, then epoch), one at a time.

    Inspect's own synchronous zip path: ``zipfile`` with the zstd support Inspect installs on
    import (its logs compress members with zstd), the member names Inspect writes, and
    Inspect's ``EvalSample`` model. Samples the header lists but the zip lacks (a log cut off
    mid-run: status ``error`` or ``started``) are skipped; a member that is there but does not
    parse or validate raises, naming it."""
    try:
        import inspect_ai._util.zipfile  # noqa: F401  (installs zstd support into zipfile)
        from inspect_ai._util.constants import get_deserializing_context
        from inspect_ai.log import EvalSample, resolve_sample_attachments
        from inspect_ai.log._recorders.eval import _sample_filename
    except ImportError:  # pragma: no cover - a future Inspect moved its internals
        yield from _eval_samples_public(path, [(sid, e) for sid in sample_ids for e in range(1, epochs + 1)])
        return
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise InputError(f"not a readable .eval zip: {_one_line(exc)}", file=path, field="zip") from None
    with zf:
        names = zf.NameToInfo
        members: Iterable[str]
        if sample_ids:  # lazily: a list of 100,000 names is memory the stream need not hold
            wanted = (_sample_filename(sid, e) for sid in sample_ids for e in range(1, epochs + 1))
            members = (n for n in wanted if n in names)
        else:  # an old log without sample ids: whatever samples the zip holds
            members = sorted(n for n in names if n.startswith("samples/"))
        for name in members:
            declared = names[name].file_size
            if declared > MAX_SAMPLE_BYTES:
                raise InputError(f"sample member of {declared:,} bytes is over the {MAX_SAMPLE_BYTES:,}-byte limit", file=path, field=name)
            try:
                data = json.loads(zf.read(name))
                for skip in SKIP_FIELDS:
                    data.pop(skip, None)
                # a fresh context per sample: it carries Inspect's message de-duplication cache,
                # which, shared across a stream, keeps every message ever read (~1 KB a sample)
                sample = EvalSample.model_validate(data, context=get_deserializing_context())
                if sample.attachments:
                    sample = resolve_sample_attachments(sample, "full")
            except Exception as exc:
                raise InputError(f"not a valid Inspect sample: {_one_line(exc)}", file=path, field=name) from None
            yield sample


def _eval_samples_public(path: Path, keys: list[tuple[str | int, int]]) -> Iterator[EvalSample]:
    """The same stream through Inspect's public API only (slower: see the module docstring)."""
    inspect_log = _inspect()
    for start in range(0, len(keys), 4 * BATCH):
        batch = keys[start : start + 4 * BATCH]
        try:
            samples = inspect_log.read_eval_log_samples_by_id(str(path), batch, resolve_attachments="full")
        except Exception as exc:
            raise InputError(f"unreadable sample: {_one_line(exc)}", file=path, field="samples") from None
        yield from samples


# --- converting one sample ------------------------------------------------------------------


class _Context:
    """What converting a sample needs from its log, bound once per file."""

    def __init__(
        self,
        *,
        run_id: str,
        path: Path,
        suite_id: str,
        judge_version: str,
        scorers: tuple[str, ...],
        defaults: tuple[str, str, str],
        created: datetime,
    ) -> None:
        self.run_id = run_id  # filled in here so the import job need not copy every record
        self.path = path
        self.suite_id = suite_id
        self.judge_version = judge_version
        self.scorers = scorers
        self.defaults = defaults
        self.created = created
        self.hazards = hazard_ids()

    def fail(self, sample_id: str, field: str, message: str, **kw: Any) -> InputError:
        return InputError(message, file=self.path, field=f"sample {sample_id}: {field}", **kw)

    def convert(self, sample: EvalSample) -> ImportedSample:
        item_id = str(sample.id)
        epoch = max(0, int(sample.epoch or 1) - 1)
        messages = self.messages(sample, item_id)
        hazard, intent, locale = self.classify(sample.metadata or {}, item_id)
        target = sample.target
        answer = target if isinstance(target, str) and target.strip() else None
        if isinstance(target, list) and target:
            answer = " | ".join(str(t) for t in target)
        try:
            item = Item(
                suite_id=self.suite_id,
                item_id=item_id,
                messages=messages,
                hazard=hazard,
                intent=intent,  # type: ignore[arg-type]
                locale=locale,
                answer=answer,
                source=self.path.name,
            )
        except ValueError as exc:
            raise self.fail(item_id, "input", _one_line(exc)) from None
        output = sample.output
        completion = output.completion if output is not None and output.choices else None
        stop = str(output.stop_reason) if output is not None and output.choices else None
        usage = output.usage if output is not None else None
        error_kind, error = _error(sample)
        started = getattr(sample, "started_at", None)  # newer Inspect logs record it per sample
        created = _created(started) if started else self.created
        response = Response(
            run_id=self.run_id,
            suite_id=self.suite_id,
            item_id=item_id,
            epoch=epoch,
            messages=list(messages),
            output=completion if completion else (None if error_kind else completion),
            finish_reason=stop,
            blocked=stop == "content_filter",
            latency_s=sample.total_time,
            input_tokens=usage.input_tokens if usage is not None else None,
            output_tokens=usage.output_tokens if usage is not None else None,
            model_version=output.model if output is not None else None,
            error_kind=error_kind,
            error=error,
            created_at=created,
        )
        labels = self.labels(sample, item_id, epoch, error_kind)
        return ImportedSample(item=item, response=response, labels=labels)

    def messages(self, sample: EvalSample, item_id: str) -> tuple[Message, ...]:
        raw = sample.input
        if isinstance(raw, str):
            turns = [("user", raw)]
        else:
            turns = []
            for m in raw:
                role = m.role if m.role in ("system", "user", "assistant") else "user"
                text = m.text if m.role in ("system", "user", "assistant") else f"[{m.role}] {m.text}"
                turns.append((role, text))
        out = tuple(Message(role=r, content=t) for r, t in turns if t and t.strip())  # type: ignore[arg-type]
        if not out:
            raise self.fail(item_id, "input", "the sample's input has no text", expected="at least one text turn")
        if out[-1].role != "user":
            raise self.fail(item_id, "input", "the input does not end with a user turn", got=out[-1].role)
        return out

    def classify(self, metadata: Mapping[str, Any], item_id: str) -> tuple[str, str, str]:
        hazard, intent, locale = self.defaults
        value = metadata.get("hazard")
        if value is not None:
            if not isinstance(value, str) or value not in self.hazards:
                raise self.fail(item_id, "metadata.hazard", f"unknown hazard {brief(value)}", expected="a canonical hazard id")
            hazard = value
            if metadata.get("intent") is None:
                intent = "benign" if value == "benign" else "harmful"
        value = metadata.get("intent")
        if value is not None:
            if value not in _INTENTS:
                raise self.fail(item_id, "metadata.intent", "unknown intent", expected="harmful, benign or contested", got=value)
            intent = value
        value = metadata.get("locale")
        if value is not None:
            if not isinstance(value, str) or not _BCP47.match(value):
                raise self.fail(item_id, "metadata.locale", "not a BCP 47 locale", expected="e.g. en, zh-CN", got=value)
            locale = value
        return hazard, intent, locale

    def labels(self, sample: EvalSample, item_id: str, epoch: int, error_kind: ErrorKind | None) -> tuple[Label, ...]:
        scores = dict(sample.scores or {})
        names = list(self.scorers) + [n for n in scores if n not in self.scorers]
        out: list[Label] = []
        for name in names:
            score = scores.get(name)
            if score is None and error_kind is None:
                continue  # a scorer that did not score this sample (e.g. a filtered one)
            value = score.value if score is not None else None
            meta = (score.metadata or {}) if score is not None else {}
            harmful = meta.get("harmful") if isinstance(meta.get("harmful"), bool) else None
            refusal = meta.get("refusal") if meta.get("refusal") in ("full", "partial", "none") else None
            unassessed: str | None = None
            if error_kind is not None:
                unassessed = f"error:{error_kind.value}"
            elif harmful is None and refusal is None:
                unassessed = NOT_A_HARM_LABEL
            if unassessed is not None:
                harmful, refusal = None, None
            out.append(
                Label(
                    run_id=self.run_id,
                    suite_id=self.suite_id,
                    item_id=item_id,
                    epoch=epoch,
                    judge_id=f"{KIND}:{name}",
                    judge_version=self.judge_version,
                    refusal=refusal,
                    harmful=harmful,
                    score=_score_float(value),
                    rationale=_rationale(score) if score is not None else None,
                    unassessed=unassessed,
                    created_at=self.created,
                )
            )
        return tuple(out)


def _score_float(value: Any) -> float | None:
    """A score value as a float: numbers and booleans as such, Inspect letter grades as Inspect does."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, str):
        if value in LETTER_VALUES:
            return LETTER_VALUES[value]
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None  # lists and dicts: kept in the rationale only


def _rationale(score: Any) -> str | None:
    parts = [f"value={json.dumps(score.value, ensure_ascii=False, default=str)}"]
    if score.answer:
        parts.append(f"answer={score.answer}")
    if score.explanation:
        parts.append(f"explanation={score.explanation}")
    text = "; ".join(parts)
    return text if len(text) <= RATIONALE_CHARS else text[: RATIONALE_CHARS - 1] + "…"


_TIMEOUT = re.compile(r"time ?out|timed out", re.I)
_RATE = re.compile(r"rate.?limit|\b429\b|too many requests", re.I)
_CONNECTION = re.compile(r"connect", re.I)


def _error(sample: EvalSample) -> tuple[ErrorKind | None, str | None]:
    """The sample's error or limit as (``ErrorKind``, text); ``(None, None)`` when it ran clean."""
    if sample.error is not None:
        message = _one_line(sample.error.message or "error", ERROR_CHARS)
        if _TIMEOUT.search(message):
            kind = ErrorKind.timeout
        elif _RATE.search(message):
            kind = ErrorKind.rate_limited
        elif _CONNECTION.search(message):
            kind = ErrorKind.connection
        else:
            kind = ErrorKind.internal
        return kind, f"inspect error: {message}"
    limit = sample.limit
    if limit is not None:
        kind = ErrorKind.timeout if limit.type in ("time", "working") else ErrorKind.bad_response
        value = limit.limit
        shown = int(value) if isinstance(value, float) and value.is_integer() else value
        return kind, f"inspect limit: {limit.type} (limit {shown})"
    return None, None


#: The importer as the plugin registry sees it (``Importer``: paths in, runs out).
importer: Callable[[list[str]], Iterator[ImportedRun]] = import_inspect

__all__ = ["import_inspect", "run_id_for", "slug"]
