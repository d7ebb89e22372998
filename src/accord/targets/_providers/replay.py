"""``replay:<file.jsonl>`` / ``replay:<dataset>/<transcript>``: recorded responses as a target.

Re-scores published transcripts (XSTest's model completions, JailbreakBench's attack logs)
through the same runner, store and judges as a live model, and doubles as the test mock.

A file holds one JSON object per line: ``item_id`` and ``output`` (a string, or ``null``
where the transcript recorded no response), optionally
``suite_id``, ``variant_id`` (default ``none``), ``epoch`` and ``model``. A record without
``suite_id`` answers that item id in any suite; one without ``epoch`` answers every epoch.
Every line is validated when the target is created (before any run row exists); a bad
line is an ``InputError`` naming file, line and field. Only each record's byte offset is
kept in memory, so large transcripts do not grow the process.

An item with no record, or whose record has ``output: null``, raises
``TargetError(missing_record)``, which the runner stores as an unassessed error: never a
refusal, never silently dropped.

Digest: ``replay:sha256:<hex>`` of the file's bytes, or of the dataset records' canonical
JSON lines (sorted keys), so a run is bound to the exact transcript.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from accord.errors import AccordError, InputError
from accord.readers import loads_json
from accord.records import ErrorKind, Message
from accord.targets._target import Completion, GenParams, RequestContext, TargetError, TargetSpec

KNOWN_OPTIONS = ("data_dir",)
Key = tuple[str | None, str, str, int | None]  # suite_id, item_id, variant_id, epoch
OPTIONAL_STR = ("suite_id", "variant_id", "model")


def _check_record(obj: Any, *, file: str, line: int) -> Key:
    """Validate one record and return its lookup key."""
    if not isinstance(obj, dict):
        raise InputError("a replay record must be a JSON object", file=file, line=line, expected="object", got=type(obj).__name__)
    item_id = obj.get("item_id")
    if isinstance(item_id, int) and not isinstance(item_id, bool):
        item_id = str(item_id)
    if not isinstance(item_id, str) or not item_id:
        raise InputError("missing or empty item id", file=file, line=line, field="item_id", expected="non-empty string", got=item_id)
    if "output" not in obj:
        raise InputError("missing output", file=file, line=line, field="output", expected="string or null")
    if obj["output"] is not None and not isinstance(obj["output"], str):
        raise InputError("output is not text", file=file, line=line, field="output", expected="string or null", got=type(obj["output"]).__name__)
    for name in OPTIONAL_STR:
        value = obj.get(name)
        if value is not None and (not isinstance(value, str) or not value):
            raise InputError(f"bad {name}", file=file, line=line, field=name, expected="non-empty string", got=value)
    epoch = obj.get("epoch")
    if epoch is not None and (isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0):
        raise InputError("bad epoch", file=file, line=line, field="epoch", expected="integer >= 0", got=epoch)
    return (obj.get("suite_id"), item_id, obj.get("variant_id") or "none", epoch)


def _describe(key: Key) -> str:
    suite, item, variant, epoch = key
    parts = [f"item '{item}'"]
    if suite:
        parts.append(f"suite '{suite}'")
    if variant != "none":
        parts.append(f"variant '{variant}'")
    if epoch is not None:
        parts.append(f"epoch {epoch}")
    return ", ".join(parts)


class ReplayTarget:
    """Answers from recorded responses; see the module docstring."""

    def __init__(self, spec: TargetSpec, *, digest: str, source: str) -> None:
        self.spec = spec
        self.source = source
        self._digest = digest
        self._offsets: dict[Key, int] = {}
        self._records: dict[Key, tuple[str | None, str | None]] = {}
        self._fh: Any = None
        self.cache = False  # answers are local already; the runner's response cache adds nothing

    # -- building ---------------------------------------------------------------------
    @classmethod
    def from_file(cls, spec: TargetSpec, path: Path) -> ReplayTarget:
        file = str(path)
        sha = hashlib.sha256()
        offsets: dict[Key, int] = {}
        first_line: dict[Key, int] = {}
        with path.open("rb") as fh:
            offset = 0
            for lineno, raw in enumerate(fh, start=1):
                sha.update(raw)
                here, offset = offset, offset + len(raw)
                if not raw.strip():
                    continue
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise InputError("line is not UTF-8", file=file, line=lineno, expected="UTF-8 text") from exc
                obj = loads_json(text, file=file, line=lineno)  # duplicate keys, deep nesting, lone surrogates: errors
                key = _check_record(obj, file=file, line=lineno)
                if key in offsets:
                    raise InputError(
                        f"duplicate record for {_describe(key)} (first at line {first_line[key]})",
                        file=file,
                        line=lineno,
                        field="item_id",
                    )
                offsets[key] = here
                first_line[key] = lineno
        if not offsets:
            raise InputError("no records", file=file, expected="one JSON object per line with item_id and output")
        target = cls(spec, digest="replay:sha256:" + sha.hexdigest(), source=file)
        target._offsets = offsets
        return target

    @classmethod
    def from_records(cls, spec: TargetSpec, name: str, records: Iterable[dict[str, Any]]) -> ReplayTarget:
        sha = hashlib.sha256()
        held: dict[Key, tuple[str | None, str | None]] = {}
        for n, obj in enumerate(records, start=1):
            where = f"replay:{name}"
            key = _check_record(obj, file=where, line=n)
            if key in held:
                raise InputError(f"duplicate record for {_describe(key)}", file=where, line=n, field="item_id")
            sha.update(json.dumps(obj, sort_keys=True, ensure_ascii=False).encode() + b"\n")
            held[key] = (obj["output"], obj.get("model"))
        if not held:
            raise AccordError(f"the recorded responses '{name}' are empty")
        target = cls(spec, digest="replay:sha256:" + sha.hexdigest(), source=name)
        target._records = held
        return target

    # -- Target protocol ---------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._offsets) or len(self._records)

    def _candidates(self, ctx: RequestContext) -> Iterator[Key]:
        for suite in (ctx.suite_id, None):
            for epoch in (ctx.epoch, None):
                yield (suite, ctx.item_id, ctx.variant_id, epoch)

    def lookup(self, ctx: RequestContext) -> tuple[str | None, str | None] | None:
        """(output, model) recorded for this request, or ``None``."""
        for key in self._candidates(ctx):
            if key in self._records:
                return self._records[key]
            offset = self._offsets.get(key)
            if offset is not None:
                if self._fh is None:
                    self._fh = open(self.source, "rb")  # noqa: SIM115 - kept open for the run
                self._fh.seek(offset)
                obj = json.loads(self._fh.readline())
                return obj["output"], obj.get("model")
        return None

    async def generate(
        self, messages: list[Message], params: GenParams, *, context: RequestContext | None = None
    ) -> Completion:
        if context is None:
            raise TargetError(ErrorKind.internal, "the replay target needs the request context (suite, item, variant, epoch)")
        found = self.lookup(context)
        if found is None:
            raise TargetError(
                ErrorKind.missing_record,
                f"no recorded response for {_describe((context.suite_id, context.item_id, context.variant_id, context.epoch))} in {self.source}",
                retryable=False,
            )
        output, model = found
        if output is None:
            raise TargetError(
                ErrorKind.missing_record,
                f"the transcript recorded no response for {_describe((context.suite_id, context.item_id, context.variant_id, context.epoch))}",
                retryable=False,
            )
        return Completion(text=output, finish_reason="stop", model_version=model)

    def digest(self) -> str:
        return self._digest

    async def aclose(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def _looks_like_file(name: str) -> bool:
    return name.endswith((".jsonl", ".json", ".ndjson")) or name.startswith((".", "/", "~")) or Path(name).expanduser().is_file()


#: Dataset prefix of a transcript name -> how reports name the dataset.
DATASET_TITLES = {"xstest": "XSTest", "jailbreakbench": "JailbreakBench"}


def display_name(spec: TargetSpec) -> str:
    """The answering model and where its answers come from, without touching the disk.

    ``replay:xstest/gpt4`` -> ``gpt4 (XSTest transcript)``;
    ``replay:jailbreakbench/*/vicuna-13b-v1.5`` -> ``vicuna-13b-v1.5 (JailbreakBench transcripts)``;
    ``replay:runs/out.jsonl`` -> ``out.jsonl (replay)``.
    """
    name = spec.model.replace("\\", "/")
    dataset, sep, rest = name.partition("/")
    if sep and dataset in DATASET_TITLES and not name.endswith((".jsonl", ".json", ".ndjson")):
        model = rest.rsplit("/", 1)[-1]
        plural = "s" if "*" in rest else ""
        return f"{model} ({DATASET_TITLES[dataset]} transcript{plural})"
    return f"{name.rstrip('/').rsplit('/', 1)[-1]} (replay)"


def create(spec: TargetSpec, **options: Any) -> ReplayTarget:
    """``replay:<file.jsonl>`` or ``replay:<dataset>/<transcript>`` (read via ``accord.suites``)."""
    unknown = sorted(set(options) - set(KNOWN_OPTIONS))
    if unknown:
        raise AccordError(f"replay target does not take option(s) {', '.join(unknown)}", fix="known: " + ", ".join(KNOWN_OPTIONS))
    name = spec.model
    if _looks_like_file(name):
        path = Path(name).expanduser()
        if not path.is_file():
            raise InputError("no such replay file", file=path, field="--target", fix="check the path after 'replay:'")
        return ReplayTarget.from_file(spec, path)
    return ReplayTarget.from_records(spec, name, _transcript(name, options.get("data_dir")))


def _transcript(name: str, data_dir: Any) -> Iterable[dict[str, Any]]:
    """A dataset's published records, from whoever registered the dataset (``accord.suites``).

    Through the plugin registry, not an import: targets depend on the base only.
    """
    from accord.errors import UnknownNameError
    from accord.plugins import transcript_sources

    sources = transcript_sources()
    prefix = name.partition("/")[0]
    if prefix not in sources:
        raise UnknownNameError("recorded-response dataset", prefix, [f"{n}/..." for n in sources])
    records: Iterable[dict[str, Any]] = sources[prefix].load()(name, data_dir)
    return records
