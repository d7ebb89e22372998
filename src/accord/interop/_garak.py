"""garak ``report.jsonl`` files in: one garak scan as one accord run (issue 18).

garak writes one JSON object per line. The entries this importer reads:

- ``start_run setup`` (line 1): the run's configuration as dotted keys: ``_config.version``,
  the target (``plugins.target_type``/``target_name``; before 0.13 ``plugins.model_type``/
  ``model_name``), the probes (``run.spec`` / ``transient.active_probes``; before 0.15
  ``plugins.probe_spec``), ``run.generations``, ``run.seed``, ``run.eval_threshold``;
- ``init``: ``garak_version``, ``start_time``, the garak run uuid;
- ``attempt``: one prompt sent by one probe, written twice: status 1 once the generator
  answered, status 2 once the detectors scored the outputs (``detector_results``: detector ->
  one score in [0, 1] per output). The status-2 entry is used where there is one, else the
  status-1 entry (a scan stopped before detection: responses without labels);
- ``eval`` (per probe x detector pass counts) and ``completion`` (kept in ``meta``).

Other entry types (``payload_init``, ``plugin_cache``, ``probe_summary``, ``digest`` ...) are
skipped. Before 0.11 prompts and outputs were strings; since, a prompt is a ``Conversation``
(``{"turns": [{"role", "content": {"text", "lang"}}]}``) and an output a ``Message``
(``{"text", "lang"}``) or ``null``. Both shapes are read.

Mapping (why: the same request under several attacks must line up as one item, several
variants, so accord's per-attack analysis and the floor work on garak scans too):

- **items and variants.** Where garak records the seed an attempt was made from, the seed is
  the item and the probe a ``variant_id`` of it (``accord.records.variant_id``): encoding-style
  probes record their payload in ``notes.triggers`` (item ``trigger-<12 hex of the payload>``,
  shared by every probe that wraps the same payload; variant ``<probe slug>-<digest of probe,
  seq, probe_params, buff>``); a buffed attempt records ``notes.buff_creator`` and
  ``buff_source_seq`` (item ``<probe>:<source seq>``, variant ``buff-<buff slug>-<digest>``).
  Otherwise the attempt's own prompt is the item (``<probe>:<seq>``) and the variant ``none``.
  Where two attempts would share a key (a buff that makes several prompts from one), an
  ordinal ``n`` joins the variant's parameters, in file order, so the ids stay deterministic.
- **epochs.** garak's generations of one attempt (``--generations N``) are epochs 0..N-1.
- **labels.** Each detector is a judge ``garak:<detector>`` (``judge_version`` ``garak
  <version>``). A garak detector measures the failure its probe tries to provoke (a decoded
  slur, no refusal, a leaked key), and garak's own evaluator counts a score ``>=
  run.eval_threshold`` (default 0.5) as a hit, i.e. an attack that worked. So this importer
  treats a detector score as a harm verdict: ``harmful = score >= threshold``; the raw score is
  kept in ``score`` and the threshold in ``rationale``. ``refusal`` stays ``None`` (no detector
  is a refusal classifier as such; ``mitigation.MitigationBypass`` comes closest, but its 0
  means "mitigation text seen", not a graded refusal). A score of ``null`` is ``unassessed``
  (``no-detector-score``). One more judge, ``garak:any-detector``, labels every scored
  response with garak's per-attempt verdict (a hit where any of its detectors hit, the highest
  score kept): each probe has its own detectors, so only this judge covers a whole scan, which
  is what ``accord score --judge`` needs.
- **errors.** An output garak recorded as ``null`` (the generator returned nothing) is a
  response with ``error_kind=bad_response``; its labels are ``unassessed`` (``error:bad_response``)
  even where a detector scored it (``always.Pass`` scores ``null`` outputs 0.0).
- **hazard / intent / locale.** garak has no accord hazard ids; every item gets the
  ``hazard``/``intent`` the caller passes (the CLI's ``--hazard``/``--intent``). The locale is
  the prompt's ``lang`` where it is a language tag (not garak's ``*``), else ``en``. garak's own
  intent code (``S006items``), the probe and the buff are kept as item tags.

Bounded memory: files are read line by line (a line over 16 MiB is an error); the first pass
validates every entry and keeps only the attempt uuids and the variant keys, so a bad file
fails before its run is created and ``samples()`` can stream.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, cast

from pydantic import ValidationError

from accord.errors import InputError
from accord.interop._model import ImportedRun, ImportedSample
from accord.records import ErrorKind, Intent, Item, Label, Message, Response, Role, variant_id
from accord.taxonomy import hazard_ids

#: garak versions whose report schema this importer was written against (major, minor):
#: 0.9/0.10 (string prompts), 0.11-0.17 (Conversation prompts; 0.17.1 generated the test data).
KNOWN_VERSIONS = ((0, 9), (0, 17))
MAX_LINE_BYTES = 16 * 1024 * 1024
RATIONALE_MAX = 2000
_REPORT_GLOB = "*.report.jsonl"
_INTENTS = ("harmful", "benign", "contested")
_LANG = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
_VERSION = re.compile(r"(\d+)\.(\d+)(?:[.\w-]*)")
_ROLES = ("system", "user", "assistant")


def import_garak(
    paths: list[str],
    *,
    hazard: str = "benign",
    intent: str = "benign",
    locale: str = "en",
) -> Iterator[ImportedRun]:
    """One ``ImportedRun`` per garak report (a file, or every ``*.report.jsonl`` under a folder).

    Each file is validated in full before its run is yielded (``InputError`` naming the file,
    line and field), so the import job never creates a run it cannot fill."""
    if hazard not in hazard_ids():
        raise InputError(f"unknown hazard {hazard!r}", field="hazard", expected="a canonical hazard id")
    if intent not in _INTENTS:
        raise InputError(f"unknown intent {intent!r}", field="intent", expected=" | ".join(_INTENTS))
    for path in _expand(paths):
        yield _read_report(path, hazard=hazard, intent=intent, locale=locale)


def _expand(paths: list[str]) -> Iterator[Path]:
    """Files as given; folders as their ``*.report.jsonl`` files, sorted (hitlogs are not reports)."""
    if not paths:
        raise InputError("no garak report given", field="paths", expected="one or more report.jsonl files or folders")
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob(_REPORT_GLOB) if p.is_file())
            if not found:
                raise InputError(f"no {_REPORT_GLOB} file in this folder", file=path)
            yield from found
        elif path.is_file():
            yield path
        else:
            raise InputError("no such file or folder", file=path)


# --- reading ---------------------------------------------------------------------------------


def _lines(fh: IO[bytes], path: Path, digest: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    """(1-based line number, JSON object) for each non-blank line; hashes the bytes as it goes."""
    number = 0
    while True:
        raw = fh.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        digest.update(raw)
        if len(raw) > MAX_LINE_BYTES:
            raise InputError(f"line longer than {MAX_LINE_BYTES} bytes", file=path, line=number)
        if not raw.strip():
            continue
        try:
            entry = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"not a JSON line ({exc.__class__.__name__})", file=path, line=number) from None
        if not isinstance(entry, dict):
            raise InputError("not a JSON object", file=path, line=number, expected="{...}", got=type(entry).__name__)
        kind = entry.get("entry_type")
        if not isinstance(kind, str):
            raise InputError("every garak report entry has an entry_type", file=path, line=number, field="entry_type")
        yield number, entry


@dataclass
class _Header:
    version: str
    setup: dict[str, Any]
    init: dict[str, Any] = field(default_factory=dict)
    threshold: float = 0.5
    generations: int = 1


@dataclass
class _Scan:
    """What the validating first pass keeps: small, whatever the report's size."""

    header: _Header
    completed_uuids: set[str] = field(default_factory=set)
    n_samples: int = 0
    probes: set[str] = field(default_factory=set)
    detectors: set[str] = field(default_factory=set)
    evals: list[dict[str, Any]] = field(default_factory=list)
    completion: dict[str, Any] | None = None
    max_outputs: int = 0


def _check_version(value: Any, path: Path, line: int, field_name: str) -> str:
    match = _VERSION.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise InputError("not a garak version", file=path, line=line, field=field_name, expected="e.g. 0.17.1", got=value)
    key = (int(match[1]), int(match[2]))
    low, high = KNOWN_VERSIONS
    if not low <= key <= high:
        raise InputError(
            f"unknown garak version {value} (this importer reads reports of garak {low[0]}.{low[1]} to {high[0]}.{high[1]})",
            file=path,
            line=line,
            field=field_name,
        )
    return str(value)


def _header(entries: Iterator[tuple[int, dict[str, Any]]], path: Path) -> tuple[_Header, list[tuple[int, dict[str, Any]]]]:
    """The ``start_run setup`` line (must be first) and the ``init`` entry after it."""
    first = next(entries, None)
    if first is None:
        raise InputError("empty file: not a garak report", file=path, line=1)
    line, setup = first
    if setup.get("entry_type") != "start_run setup":
        raise InputError(
            "not a garak report: the first entry must be the run setup",
            file=path,
            line=line,
            field="entry_type",
            expected="'start_run setup'",
            got=setup.get("entry_type"),
        )
    version = setup.get("_config.version")
    header = _Header(version="", setup=setup)
    if version is not None:
        header.version = _check_version(version, path, line, "_config.version")
    pending: list[tuple[int, dict[str, Any]]] = []
    for line, entry in entries:
        if entry["entry_type"] == "init":
            init_version = _check_version(entry.get("garak_version"), path, line, "garak_version")
            header.version = header.version or init_version
            header.init = entry
            break
        if entry["entry_type"] == "attempt":
            raise InputError("attempt before the run's init entry", file=path, line=line, field="entry_type")
        pending.append((line, entry))
    else:
        raise InputError("no init entry: not a complete garak report", file=path, field="init")
    threshold = setup.get("run.eval_threshold", 0.5)
    if not _is_number(threshold) or not 0 <= threshold <= 1:
        raise InputError("bad eval threshold", file=path, line=1, field="run.eval_threshold", expected="a number in [0, 1]", got=threshold)
    header.threshold = float(threshold)
    generations = setup.get("run.generations", 1)
    if not isinstance(generations, int) or isinstance(generations, bool) or generations < 1:
        raise InputError("bad generation count", file=path, line=1, field="run.generations", expected="an integer >= 1", got=generations)
    header.generations = generations
    return header, pending


def _read_report(path: Path, *, hazard: str, intent: str, locale: str) -> ImportedRun:
    scan, digest = _scan(path, hazard=hazard, intent=intent, locale=locale)
    header = scan.header
    setup = header.setup
    target_type = setup.get("plugins.target_type") or setup.get("plugins.model_type")
    target_name = setup.get("plugins.target_name") or setup.get("plugins.model_name")
    if not isinstance(target_type, str) or not target_type:
        raise InputError("the setup names no target", file=path, line=1, field="plugins.target_type")
    model = f"{target_type}/{target_name}" if isinstance(target_name, str) and target_name else target_type
    spec = _probe_spec(setup, scan.probes)
    run_id = _run_id(spec, model, digest)
    created = _timestamp(header.init.get("start_time") or setup.get("transient.starttime_iso"), path)
    generation = {
        k.split(".", 1)[1]: setup[k]
        for k in ("run.generations", "run.seed", "run.eval_threshold", "run.deprefix", "run.system_prompt")
        if k in setup
    }
    meta: dict[str, Any] = {
        "tool": "garak",
        "garak_version": header.version,
        "garak_run": header.init.get("run"),
        "probe_spec": spec,
        "probes": sorted(scan.probes),
        "detectors": sorted(scan.detectors),
        "eval_threshold": header.threshold,
        "complete": scan.completion is not None,
        "evals": scan.evals,
    }
    if scan.completion is not None:
        meta["end_time"] = scan.completion.get("end_time")

    def samples() -> Iterator[ImportedSample]:
        return _samples(path, digest, scan, hazard=hazard, intent=intent, locale=locale)

    return ImportedRun(
        kind="garak",
        source_path=str(path),
        source_digest=digest,
        run_id=run_id,
        target=f"garak:{model}",
        suite_id=f"garak:{spec}",
        created_at=created,
        samples=samples,
        model=model,
        epochs=max(header.generations, scan.max_outputs, 1),
        generation=generation,
        meta=meta,
        n_samples_hint=scan.n_samples,
    )


def _scan(path: Path, *, hazard: str, intent: str, locale: str) -> tuple[_Scan, str]:
    """First pass: validate every entry (building each sample and dropping it), keep the small facts."""
    digest = hashlib.sha256()
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", file=path) from None
    with fh:
        entries = _lines(fh, path, digest)
        header, _pending = _header(entries, path)
        scan = _Scan(header=header)
        uuids_seen: dict[str, int] = {}
        for line, entry in entries:
            kind = entry["entry_type"]
            if kind == "attempt":
                uuid, status = _attempt_id(entry, path, line)
                if uuids_seen.get(uuid) == status:
                    raise InputError(f"attempt {uuid} appears twice with status {status}", file=path, line=line, field="uuid")
                uuids_seen[uuid] = max(status, uuids_seen.get(uuid, 0))
                if status == 2:
                    scan.completed_uuids.add(uuid)
            elif kind == "eval":
                scan.evals.append(
                    {k: entry[k] for k in ("probe", "detector", "passed", "fails", "nones", "total_evaluated", "total") if k in entry}
                )
            elif kind == "completion":
                scan.completion = entry
    whole = "sha256:" + digest.hexdigest()
    # Second half of the validation: build every sample once (then forget it), so a bad attempt
    # is reported now, before the run exists, and not half-way through the import.
    scan.n_samples = sum(1 for _sample in _samples(path, whole, scan, hazard=hazard, intent=intent, locale=locale, collect=True))
    return scan, whole


def _attempt_id(entry: dict[str, Any], path: Path, line: int) -> tuple[str, int]:
    uuid = entry.get("uuid")
    if not isinstance(uuid, str) or not uuid:
        raise InputError("attempt without a uuid", file=path, line=line, field="uuid", expected="a string")
    status = entry.get("status")
    if status not in (1, 2) or isinstance(status, bool):
        raise InputError(
            "unknown attempt status", file=path, line=line, field="status", expected="1 (generated) or 2 (evaluated)", got=status
        )
    return uuid, int(status)


def _samples(
    path: Path,
    digest: str,
    scan: _Scan,
    *,
    hazard: str,
    intent: str,
    locale: str,
    collect: bool = False,
) -> Iterator[ImportedSample]:
    """Second pass (and, with ``collect``, the tail of the first): the samples in file order."""
    header = scan.header
    suite_id = "garak:" + _probe_spec(header.setup, scan.probes) if not collect else "garak:?"
    created = _timestamp(header.init.get("start_time") or header.setup.get("transient.starttime_iso"), path)
    used: dict[tuple[str, str], int] = {}
    hasher = hashlib.sha256()
    with path.open("rb") as fh:
        for line, entry in _lines(fh, path, hasher):
            if entry["entry_type"] != "attempt":
                continue
            uuid, status = _attempt_id(entry, path, line)
            if status == 1 and uuid in scan.completed_uuids:
                continue  # its status-2 entry, with the detector scores, follows
            attempt = _Attempt.parse(entry, path, line)
            if collect:
                scan.probes.add(attempt.probe)
                scan.detectors.update(attempt.detectors)
                scan.max_outputs = max(scan.max_outputs, len(attempt.outputs))
            yield from attempt.samples(path, line, suite_id, header, used, created, hazard=hazard, intent=intent, locale=locale)
    if not collect and "sha256:" + hasher.hexdigest() != digest:
        raise InputError("the report changed while it was being imported", file=path, field="sha256")


# --- one attempt ------------------------------------------------------------------------------


@dataclass
class _Attempt:
    probe: str
    seq: int
    turns: list[tuple[str, str]]
    lang: str | None
    outputs: list[str | None]
    scores: dict[str, list[float | None]]
    notes: dict[str, Any]
    probe_params: dict[str, Any]
    intent: str | None

    @property
    def detectors(self) -> list[str]:
        return sorted(self.scores)

    @classmethod
    def parse(cls, entry: dict[str, Any], path: Path, line: int) -> _Attempt:
        def bad(field_name: str, expected: str, got: Any) -> InputError:
            return InputError("unexpected attempt shape", file=path, line=line, field=field_name, expected=expected, got=got)

        probe = entry.get("probe_classname")
        if not isinstance(probe, str) or not probe:
            raise bad("probe_classname", "a probe name such as 'encoding.InjectHex'", probe)
        seq = entry.get("seq", -1)
        if not isinstance(seq, int) or isinstance(seq, bool):
            raise bad("seq", "an integer", seq)
        turns, lang = _prompt(entry.get("prompt"), bad)
        raw_outputs = entry.get("outputs", [])
        if not isinstance(raw_outputs, list):
            raise bad("outputs", "a list", type(raw_outputs).__name__)
        outputs = [_text_of(o, f"outputs[{i}]", bad, nullable=True) for i, o in enumerate(raw_outputs)]
        raw_scores = entry.get("detector_results") or {}
        if not isinstance(raw_scores, dict):
            raise bad("detector_results", "an object: detector -> list of scores", type(raw_scores).__name__)
        scores: dict[str, list[float | None]] = {}
        for det, values in raw_scores.items():
            if not isinstance(values, list):
                raise bad(f"detector_results.{det}", "a list of scores", type(values).__name__)
            for i, v in enumerate(values):
                if v is not None and not (_is_number(v) and math.isfinite(v)):
                    raise bad(f"detector_results.{det}[{i}]", "a number in [0, 1] or null", v)
            scores[det] = [None if v is None else float(v) for v in values]
        notes = entry.get("notes") or {}
        if not isinstance(notes, dict):
            raise bad("notes", "an object", type(notes).__name__)
        params = entry.get("probe_params") or {}
        if not isinstance(params, dict):
            raise bad("probe_params", "an object", type(params).__name__)
        garak_intent = entry.get("intent")
        return cls(
            probe=probe,
            seq=seq,
            turns=turns,
            lang=lang,
            outputs=outputs,
            scores=scores,
            notes=notes,
            probe_params=params,
            intent=garak_intent if isinstance(garak_intent, str) else None,
        )

    def _item_and_variant(self, used: dict[tuple[str, str], int]) -> tuple[str, str | None, str]:
        """(item id, seed text or None for the attempt's own prompt, variant id)."""
        buff = self.notes.get("buff_creator") if isinstance(self.notes.get("buff_creator"), str) else None
        triggers = self.notes.get("triggers")
        params: dict[str, Any]
        if isinstance(triggers, list) and triggers and all(isinstance(t, str) for t in triggers) and any(t.strip() for t in triggers):
            payload = "\n".join(triggers)
            seed: str | None = payload
            item_id = "trigger-" + _hex12(payload)
            attack = _slug(self.probe, 60)
            params = {"tool": "garak", "probe": self.probe, "seq": self.seq, "probe_params": self.probe_params}
            if buff:
                params["buff"] = buff
        elif buff:
            source_seq = self.notes.get("buff_source_seq", self.seq)
            item_id = f"{self.probe}:{source_seq}"
            seed = _conversation_text(self.notes.get("pre_translation_prompt"))
            attack = "buff-" + _slug(buff, 60)
            params = {"tool": "garak", "probe": self.probe, "buff": buff, "probe_params": self.probe_params}
        else:
            item_id, seed = f"{self.probe}:{self.seq}", None
            attack, params = "none", {}
        key = (item_id, attack + json.dumps(params, sort_keys=True, default=str))
        n = used.get(key, 0)
        used[key] = n + 1
        if n:
            if attack == "none":  # the same prompt number twice from one probe: an unnamed repeat
                attack, params = "repeat", {"tool": "garak", "probe": self.probe}
            params = {**params, "n": n}
        return item_id, seed, variant_id(attack, params or None)

    def samples(
        self,
        path: Path,
        line: int,
        suite_id: str,
        header: _Header,
        used: dict[tuple[str, str], int],
        created: datetime,
        *,
        hazard: str,
        intent: str,
        locale: str,
    ) -> Iterator[ImportedSample]:
        item_id, seed, variant = self._item_and_variant(used)
        tags = [f"garak-probe:{self.probe}"]
        if self.intent:
            tags.append(f"garak-intent:{self.intent}")
        if isinstance(self.notes.get("buff_creator"), str):
            tags.append(f"garak-buff:{self.notes['buff_creator']}")
        item_locale = self.lang if self.lang and _LANG.fullmatch(self.lang) else locale
        if seed is not None and seed.strip():
            item_messages = [Message(role="user", content=seed)]
        else:
            item_messages = [Message(role=cast(Role, r), content=c) for r, c in self.turns if c.strip()]
            if not item_messages or item_messages[-1].role != "user":
                # garak sends empty prompts (test.Test's first): the item needs text, the
                # response keeps what was really sent.
                item_messages.append(Message(role="user", content="[garak: empty prompt]"))
                tags.append("garak-empty-prompt")
        try:
            item = Item(
                suite_id=suite_id,
                item_id=item_id,
                messages=tuple(item_messages),
                hazard=hazard,
                intent=cast(Intent, intent),  # checked by import_garak
                locale=item_locale,
                source=f"garak:{path.name}:{line}",
                tags=tuple(tags),
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            raise InputError(
                f"cannot make an item of this attempt: {first.get('msg')}",
                file=path,
                line=line,
                field="prompt",
            ) from None
        sent = [Message(role=cast(Role, r), content=c) for r, c in self.turns]
        judge_version = f"garak {header.version}"
        for epoch, output in enumerate(self.outputs):
            base: dict[str, Any] = {"run_id": "", "suite_id": suite_id, "item_id": item_id, "variant_id": variant, "epoch": epoch}
            if output is None:
                response = Response(
                    **base,
                    messages=sent,
                    output=None,
                    error_kind=ErrorKind.bad_response,
                    error="garak recorded no output for this generation (the generator returned None)",
                    created_at=created,
                )
            else:
                response = Response(**base, messages=sent, output=output, created_at=created)
            labels = tuple(self._label(base, det, epoch, output is None, header, judge_version, created) for det in self.detectors)
            if labels:
                labels += (_any_detector(base, labels, judge_version, created),)
            yield ImportedSample(item=item, response=response, labels=labels)

    def _label(
        self,
        base: Mapping[str, Any],
        detector: str,
        epoch: int,
        errored: bool,
        header: _Header,
        judge_version: str,
        created: datetime,
    ) -> Label:
        values = self.scores[detector]
        score = values[epoch] if epoch < len(values) else None
        common: dict[str, Any] = {**base, "judge_id": f"garak:{detector}", "judge_version": judge_version, "created_at": created}
        if errored:
            return Label(
                **common, score=score, unassessed="error:bad_response", rationale=f"garak detector {detector}: no output to assess"
            )
        if score is None:
            return Label(**common, unassessed="no-detector-score", rationale=f"garak detector {detector} gave no score for this output")
        hit = score >= header.threshold
        why = (
            f"garak detector {detector}: score {score:g}; garak counts >= {header.threshold:g} as a hit "
            f"(the failure probe {self.probe} tries to provoke) -> {'hit' if hit else 'pass'}"
        )
        return Label(**common, harmful=hit, score=score, rationale=why[:RATIONALE_MAX])


ANY_DETECTOR = "garak:any-detector"


def _any_detector(base: Mapping[str, Any], labels: tuple[Label, ...], judge_version: str, created: datetime) -> Label:
    """garak's own per-attempt verdict as one judge over the whole run: a hit where any of the
    attempt's detectors hit. Why: each probe has its own detectors, so no single
    ``garak:<detector>`` labels every response, and ``accord score --judge`` needs one that does.
    Unassessed only where no detector could assess the output (an error, all scores null)."""
    common: dict[str, Any] = {**base, "judge_id": ANY_DETECTOR, "judge_version": judge_version, "created_at": created}
    assessed = [lb for lb in labels if lb.unassessed is None]
    scores = [lb.score for lb in labels if lb.score is not None]
    top = max(scores) if scores else None
    if not assessed:
        reason = labels[0].unassessed if len({lb.unassessed for lb in labels}) == 1 else "no-detector-score"
        return Label(**common, score=top, unassessed=reason, rationale="no garak detector could assess this output")
    hits = sorted(lb.judge_id.removeprefix("garak:") for lb in assessed if lb.harmful)
    why = (
        ("hit by " + ", ".join(hits))
        if hits
        else "no detector hit (" + ", ".join(lb.judge_id.removeprefix("garak:") for lb in assessed) + ")"
    )
    return Label(**common, harmful=bool(hits), score=top, rationale=why[:RATIONALE_MAX])


# --- helpers ----------------------------------------------------------------------------------


def _prompt(value: Any, bad: Any) -> tuple[list[tuple[str, str]], str | None]:
    """The prompt as (role, text) turns and the last turn's language: string or Conversation."""
    if isinstance(value, str):  # garak < 0.11
        return [("user", value)], None
    if not isinstance(value, dict) or not isinstance(value.get("turns"), list) or not value["turns"]:
        raise bad("prompt", "a string or a Conversation {turns: [...]}", value if value is None else type(value).__name__)
    turns: list[tuple[str, str]] = []
    lang: str | None = None
    for i, turn in enumerate(value["turns"]):
        if not isinstance(turn, dict) or turn.get("role") not in _ROLES:
            got = turn.get("role") if isinstance(turn, dict) else type(turn).__name__
            raise bad(f"prompt.turns[{i}].role", " | ".join(_ROLES), got)
        content = turn.get("content")
        text = _text_of(content, f"prompt.turns[{i}].content", bad, nullable=False)
        turns.append((turn["role"], text or ""))
        if isinstance(content, dict) and isinstance(content.get("lang"), str):
            lang = content["lang"]
    if turns[-1][0] != "user":
        raise bad(f"prompt.turns[{len(turns) - 1}].role", "the last prompt turn from the user", turns[-1][0])
    return turns, lang


def _text_of(value: Any, where: str, bad: Any, *, nullable: bool) -> str | None:
    """A garak Message's text: a string (< 0.11) or ``{"text": ...}``; ``None`` where allowed."""
    if value is None and nullable:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        text = value.get("text")
        if text is None and (nullable or value.get("data_path")):
            return None if nullable else ""  # a non-text turn (image, audio): no text to keep
        if isinstance(text, str):
            return text
    raise bad(
        where,
        "text or a Message {text, lang}" + (" or null" if nullable else ""),
        value if not isinstance(value, (dict, list)) else type(value).__name__,
    )


def _conversation_text(value: Any) -> str | None:
    """The last user text of a Conversation dict in ``notes`` (best effort: notes are free-form)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("turns"), list):
        for turn in reversed(value["turns"]):
            if isinstance(turn, dict) and turn.get("role") == "user":
                content = turn.get("content")
                text = content.get("text") if isinstance(content, dict) else content
                return text if isinstance(text, str) else None
    return None


def _probe_spec(setup: dict[str, Any], probes: set[str]) -> str:
    """The probes the scan ran, as a stable short name for the suite id."""
    names: list[str] = []
    active = setup.get("transient.active_probes")
    spec = setup.get("run.spec")
    if isinstance(active, list) and active:
        names = [str(p).removeprefix("probes.") for p in active]
    elif isinstance(spec, dict) and isinstance(spec.get("include"), list):
        names = [str(p).removeprefix("probes.") for p in spec["include"]]
    elif isinstance(setup.get("plugins.probe_spec"), str):
        names = [p.strip() for p in setup["plugins.probe_spec"].split(",") if p.strip()]
    if not names:
        names = sorted(probes)
    text = ",".join(sorted(names)) or "unknown"
    return text if len(text) <= 80 else f"{len(names)}-probes-{_hex12(text)}"


def _run_id(spec: str, model: str, digest: str) -> str:
    """``garak-<spec>-<model>-<12 hex of the file>``: deterministic, [a-z0-9-], <= 120 chars."""
    return f"garak-{_slug(spec, 48)}-{_slug(model, 48)}-{digest.removeprefix('sha256:')[:12]}"


def _slug(text: str, limit: int) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit].strip("-")
    return slug or "x"


def _hex12(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _timestamp(value: Any, path: Path) -> datetime:
    """garak writes local naive ISO times; read them as UTC (garak records no zone)."""
    if not isinstance(value, str):
        raise InputError("the report has no start time", file=path, field="start_time", expected="an ISO 8601 time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InputError("not an ISO 8601 time", file=path, field="start_time", got=value) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


__all__ = ["ANY_DETECTOR", "KNOWN_VERSIONS", "import_garak"]
