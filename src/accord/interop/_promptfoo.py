"""promptfoo eval results in: ``promptfoo eval -o results.json`` becomes accord runs (issue 18).

A promptfoo eval is a table: rows are test cases (``testIdx``), columns are prompt x provider
(``promptIdx``). The output file (``{"evalId", "results": {"version": 3, "timestamp", "prompts",
"results": [...], "stats"}, "config", "metadata": {"promptfooVersion"}, ...}``) lists one
result per cell. This module reads it as **one accord run per provider** (``provider.id`` and
its ``label``: the same model under two labels is two configurations, so two runs):

- the **item** is a test case under one prompt: its messages are the rendered prompt
  (``prompt.raw``, the vars already substituted; a chat prompt, a JSON list of
  ``{role, content}`` turns ending with the user's, becomes those turns, anything else one user
  turn). ``item_id`` is the test's row (``testIdx``) where the eval has one prompt, else
  ``<testIdx>-p<n>`` (``n``: the prompt's place among the eval's distinct prompts), so the same
  cell has the same id in every provider's run. ``hazard``/``intent``/``locale`` come from the
  test's ``metadata`` where it sets them, else the caller's defaults.
- **repeats** are epochs. promptfoo writes no repeat index: ``--repeat N`` (or a test's
  ``options.repeat``) gives every repeat its own ``testIdx``. A cell whose test case and vars
  equal an earlier row's under the same prompt and provider is that row again, the next epoch;
  the item keeps the first row's id. (Two identical tests in a config read the same way: they
  are the same request sent twice.)
- the **response** is ``response.output`` (non-text output as JSON), latency, token counts,
  ``cached``; a provider error (``response.error``, or ``failureReason`` 2) is an ``ErrorKind``
  guessed from its text (time-outs, rate limits, connection, auth, 5xx, 4xx; else
  ``bad_response``) with the text kept. promptfoo's ``error`` field also holds a failed
  assertion's reason (``failureReason`` 1): that is a grade, not an error, and reads as one.
  ``guardrails.flagged`` (a provider-side content filter) is ``blocked``.
- each **assertion** result (``gradingResult.componentResults[]``) is a label of the judge
  ``promptfoo:<metric>`` where the assertion names a metric, else ``promptfoo:<type>`` (a second
  assertion of the same name on one test is ``...#2``). What a pass means depends on the
  assertion, so ``harmful`` is set only where promptfoo's assertion *is* a harm verdict:
  ``moderation``, ``guardrails`` and the red-team graders (``promptfoo:redteam:*``) pass when
  the output is safe, so ``harmful = not pass`` (``not-`` inverts). ``is-refusal`` gives
  ``refusal`` (pass: ``full``, fail: ``none``; ``not-is-refusal`` inverts). A verdict is a
  fact about the output whichever way the test expected it, so ``not-X`` of these is the same
  judge as ``X`` (``promptfoo:is-refusal`` covers both). Every other
  assertion (``contains``, ``javascript``, ``llm-rubric`` ...) says whether the output met the
  test author's expectation, which is no harm label: ``unassessed="score-not-a-harm-label"``.
  The raw ``score`` and ``pass``/``reason`` (``rationale``) are always kept. A response that
  errored gets, for each of its test's assertions, an ``unassessed="error:<kind>"`` label.

The file is checked whole (every result converted once, then dropped) before the first run is
handed over, and every file before any, so a bad file stops the import before anything is
written; ``samples()`` reads the file again (a one-file cache) and refuses it if its bytes
changed meanwhile. A wrong shape or an unknown ``results.version`` is one ``InputError`` naming
the file and the field. Only results version 3 (what promptfoo has written since 2024; made
with 0.121.20 for the tests) is read; ``-o`` to ``.jsonl``, ``.csv``, ``.yaml`` or ``.html``
is not.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from accord.errors import InputError, brief
from accord.interop._model import ImportedRun, ImportedSample
from accord.readers import decode_text, loads_json
from accord.records import ErrorKind, Item, Label, Message, RefusalLevel, Response
from accord.taxonomy import BENIGN, hazard_ids

KIND = "promptfoo"
#: The results format this reader understands (``results.version``).
RESULTS_VERSIONS = (3,)
#: Largest file read: the whole JSON document is parsed in memory (peak RSS about 9x its size).
MAX_BYTES = 256 * 1024 * 1024
RATIONALE_CHARS = 2000
#: Bytes of a directory's ``*.json`` file looked at to tell a results file from other JSON.
SNIFF_BYTES = 64 * 1024
RUN_ID_CHARS = 120
_HARM_TYPES = frozenset({"moderation", "guardrails"})
_REDTEAM_PREFIX = "promptfoo:redteam:"
_ROLES = ("system", "user", "assistant")
_INTENTS = ("harmful", "benign", "contested")
_BCP47 = re.compile(r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$")
#: Generation settings worth keeping from a provider's ``config`` (never keys, headers or URLs).
_GENERATION_KEYS = frozenset(
    {
        "temperature", "max_tokens", "maxTokens", "max_output_tokens", "max_completion_tokens", "top_p", "topP", "top_k",
        "topK", "seed", "frequency_penalty", "presence_penalty", "stop", "reasoning_effort",
    }
)  # fmt: skip
_ERROR_PATTERNS: tuple[tuple[ErrorKind, re.Pattern[str]], ...] = (
    (ErrorKind.timeout, re.compile(r"\btimed?[ -]?out\b|etimedout|deadline exceeded", re.I)),
    (ErrorKind.rate_limited, re.compile(r"\b429\b|rate.?limit|too many requests|quota", re.I)),
    (ErrorKind.auth, re.compile(r"\b40[13]\b|unauthori[sz]ed|forbidden|api.?key|authenticat", re.I)),
    (ErrorKind.connection, re.compile(r"econnrefused|econnreset|enotfound|eai_again|socket hang up|fetch failed|network|connection", re.I)),
    (ErrorKind.server_error, re.compile(r"\b50[0-4]\b|internal server error|bad gateway|service unavailable|overloaded", re.I)),
    (ErrorKind.client_error, re.compile(r"\b4\d\d\b|bad request|invalid request", re.I)),
)


def import_promptfoo(
    paths: str | Path | Sequence[str | Path], *, hazard: str = BENIGN, intent: str = "benign", locale: str = "en"
) -> Iterator[ImportedRun]:
    """One ``ImportedRun`` per provider of each promptfoo results file (directories: their
    ``*.json`` files, sorted). ``hazard``/``intent``/``locale`` are the items' values where a
    test's metadata sets none. Every file is checked before the first run is yielded."""
    defaults = _Defaults.check(hazard, intent, locale)
    files = _expand(paths)
    cache = _Cache()
    for path in files:  # check everything first: a bad second file must stop the first too
        doc = cache.load(path, None)
        for i in range(len(doc.rows)):
            doc.sample(i, defaults)
    for path in files:
        doc = cache.load(path, None)
        yield from doc.runs(cache, defaults)


# --- files ------------------------------------------------------------------------------------


def _expand(paths: str | Path | Sequence[str | Path]) -> list[Path]:
    if isinstance(paths, (str, Path)):
        paths = [paths]
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(f for f in p.glob("*.json") if f.is_file() and _looks_like_results(f))
            if not found:
                raise InputError("no promptfoo results (*.json) in this directory", file=p, fix="promptfoo eval -o results.json")
            out.extend(found)
        elif p.is_file():
            out.append(p)
        else:
            raise InputError("no such file or directory", file=p)
    if not out:
        raise InputError("no promptfoo results given", expected="one or more results files or directories")
    return out


def _looks_like_results(path: Path) -> bool:
    """In a directory, skip JSON that is plainly not an eval's output (``package.json``, a chat
    prompt file): promptfoo writes ``"evalId"`` and ``"results"`` first. A named file is always read."""
    try:
        with path.open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError:
        return True  # let the read report it
    return b'"results"' in head


class _Cache:
    """The last file parsed: a provider's run reads the file its siblings just read."""

    def __init__(self) -> None:
        self._doc: _Doc | None = None

    def load(self, path: Path, digest: str | None) -> _Doc:
        data = _read_bytes(path)
        got = "sha256:" + hashlib.sha256(data).hexdigest()
        if digest is not None and got != digest:
            raise InputError("the file changed since it was first read", file=path, fix="import it again")
        if self._doc is not None and self._doc.path == path and self._doc.digest == got:
            return self._doc
        self._doc = _Doc.parse(path, data, got)
        return self._doc


def _read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(
                f"file too large ({size} bytes)", file=path, expected=f"at most {MAX_BYTES} bytes",
                fix="split the eval (promptfoo eval --filter-first-n / --filter-pattern) and import the parts",
            )  # fmt: skip
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror or exc})", file=path) from None


# --- the document -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Defaults:
    hazard: str
    intent: str
    locale: str

    @classmethod
    def check(cls, hazard: str, intent: str, locale: str) -> _Defaults:
        if hazard not in hazard_ids():
            raise InputError(
                f"unknown hazard {brief(hazard)}",
                field="--hazard",
                expected="a canonical hazard id",
                fix="known: " + ", ".join(sorted(hazard_ids())),
            )
        if intent not in _INTENTS:
            raise InputError(f"bad intent {brief(intent)}", field="--intent", expected=" | ".join(_INTENTS))
        if not isinstance(locale, str) or not _BCP47.match(locale):
            raise InputError(f"bad locale {brief(locale)}", field="--locale", expected="a BCP 47 tag such as en, fr-FR")
        return cls(hazard, intent, locale)


@dataclass(frozen=True)
class _Row:
    """One result, placed: its index in ``results.results``, run, item and epoch."""

    index: int
    run: tuple[str, str]  # (provider id, label)
    item_id: str
    epoch: int


class _Doc:
    """A parsed, shape-checked results file and where each result goes."""

    def __init__(self, path: Path, digest: str, top: dict[str, Any], results: list[dict[str, Any]], rows: list[_Row]) -> None:
        self.path, self.digest, self.top, self.results, self.rows = path, digest, top, results, rows
        meta = _obj(top.get("metadata"))
        version = meta.get("promptfooVersion")
        self.tool_version = version if isinstance(version, str) and version else None
        self.judge_version = (f"promptfoo {self.tool_version}" if self.tool_version else "promptfoo (results v3)")[:100]
        config = _obj(top.get("config"))
        self.config: dict[str, Any] = config
        desc = config.get("description")
        self.description = desc if isinstance(desc, str) and desc.strip() else None
        eval_id = top.get("evalId")
        self.eval_id = eval_id if isinstance(eval_id, str) and eval_id else None
        name = self.description or self.eval_id or path.stem
        self.name = name
        self.suite_id = f"{KIND}:{_slug(name, 180) or 'eval'}"
        self.created_at = _created_at(top, path)

    @classmethod
    def parse(cls, path: Path, data: bytes, digest: str) -> _Doc:
        text = decode_text(data, path)
        top = loads_json(text, file=path, line=None, expected="a promptfoo results JSON object (promptfoo eval -o results.json)")
        if not isinstance(top, dict):
            raise InputError("not a promptfoo results file", file=path, expected="a JSON object with 'results'", got=type(top).__name__)
        summary = top.get("results")
        if not isinstance(summary, dict):
            raise InputError(
                "not a promptfoo results file", file=path, field="results",
                expected="an object {version, timestamp, prompts, results, stats} (promptfoo eval -o results.json)",
                got=type(summary).__name__ if summary is not None else "nothing",
            )  # fmt: skip
        version = summary.get("version")
        if isinstance(version, bool) or version not in RESULTS_VERSIONS:
            raise InputError(
                "unknown promptfoo results version", file=path, field="results.version",
                expected=" or ".join(map(str, RESULTS_VERSIONS)), got=version if version is not None else "nothing",
                fix="export it again with a current promptfoo (promptfoo export eval <id> -o results.json)",
            )  # fmt: skip
        results = summary.get("results")
        if not isinstance(results, list):
            raise InputError("no result list", file=path, field="results.results", expected="a list", got=type(results).__name__)
        for i, r in enumerate(results):
            if not isinstance(r, dict):
                raise InputError("a result must be an object", file=path, field=f"results.results[{i}]", got=type(r).__name__)
        return cls(path, digest, top, results, _place(path, results))

    # -- runs ----------------------------------------------------------------------------------

    def runs(self, cache: _Cache, defaults: _Defaults) -> Iterator[ImportedRun]:
        order: list[tuple[str, str]] = []
        counts: dict[tuple[str, str], int] = {}
        epochs: dict[tuple[str, str], int] = {}
        for row in self.rows:
            if row.run not in counts:
                order.append(row.run)
                counts[row.run] = 0
            counts[row.run] += 1
            epochs[row.run] = max(epochs.get(row.run, 0), row.epoch + 1)
        hex12 = self.digest.removeprefix("sha256:")[:12]
        used: set[str] = set()
        for key in order:
            pid, label = key
            run_id = _run_id(self.name, label or pid, hex12, used)
            used.add(run_id)
            yield ImportedRun(
                kind=KIND,
                source_path=str(self.path),
                source_digest=self.digest,
                run_id=run_id,
                target=f"{KIND}:{pid}" + (f"#{label}" if label and label != pid else ""),
                suite_id=self.suite_id,
                created_at=self.created_at,
                samples=_Samples(cache, self.path, self.digest, key, run_id, defaults),
                model=pid,
                epochs=epochs[key],
                generation=self._generation(pid, label),
                meta={
                    "tool": KIND,
                    "tool_version": self.tool_version,
                    "results_version": self.top["results"]["version"],
                    "eval_id": self.eval_id,
                    "description": self.description,
                    "provider": {"id": pid, "label": label or None},
                    "repeat": _int_or_none((self.top.get("runtimeOptions") or {}).get("repeat"))
                    if isinstance(self.top.get("runtimeOptions"), dict)
                    else None,
                },
                n_samples_hint=counts[key],
            )

    def _generation(self, pid: str, label: str) -> dict[str, Any]:
        """The provider's generation settings from the eval's config (never its keys or URLs)."""
        providers = self.config.get("providers")
        if not isinstance(providers, list):
            return {}
        for p in providers:
            if isinstance(p, dict) and p.get("id") == pid and (p.get("label") or "") == label:
                cfg = p.get("config")
                if isinstance(cfg, dict):
                    return {k: v for k, v in cfg.items() if k in _GENERATION_KEYS and isinstance(v, (str, int, float, bool, list))}
        return {}

    # -- samples -------------------------------------------------------------------------------

    def sample(self, i: int, defaults: _Defaults, run_id: str = "") -> ImportedSample:
        """The ``i``-th placed row as an accord sample (``InputError`` naming its field)."""
        try:
            return self._sample(i, defaults, run_id)
        except ValidationError as exc:  # belt and braces: the records' own rules
            first = exc.errors()[0] if exc.errors() else {"msg": str(exc), "loc": ()}
            raise self._err(
                f"not a valid sample ({first['msg']})",
                f"results.results[{self.rows[i].index}]",
                got=".".join(map(str, first["loc"])) or None,
            ) from None

    def _sample(self, i: int, defaults: _Defaults, run_id: str) -> ImportedSample:
        row = self.rows[i]
        r = self.results[row.index]
        where = f"results.results[{row.index}]"
        item = self._item(r, row, where, defaults)
        resp_obj = r.get("response")
        if resp_obj is not None and not isinstance(resp_obj, dict):
            raise self._err("response must be an object", f"{where}.response", got=type(resp_obj).__name__)
        resp: dict[str, Any] = resp_obj or {}
        error = self._error_text(r, resp, where)
        kind = _error_kind(error) if error is not None else None
        output = resp.get("output")
        if output is not None and not isinstance(output, str):
            output = json.dumps(output, ensure_ascii=False, sort_keys=True)
        guard = resp.get("guardrails")
        usage = _obj(resp.get("tokenUsage"))
        finish = resp.get("finishReason")
        latency = r.get("latencyMs")
        response = Response(
            run_id=run_id,
            suite_id=item.suite_id,
            item_id=item.item_id,
            epoch=row.epoch,
            messages=list(item.messages),
            output=output,
            finish_reason=finish[:40] if isinstance(finish, str) and finish else None,
            blocked=isinstance(guard, dict) and guard.get("flagged") is True and kind is None,
            latency_s=float(latency) / 1000
            if isinstance(latency, (int, float)) and not isinstance(latency, bool) and latency >= 0
            else None,
            input_tokens=_count(usage.get("prompt")),
            output_tokens=_count(usage.get("completion")),
            error_kind=kind,
            error=error,
            cached=resp.get("cached") is True,
            created_at=self.created_at,
        )
        labels = self._labels(r, item, row, where, kind, error, run_id)
        return ImportedSample(item=item, response=response, labels=labels)

    def _item(self, r: dict[str, Any], row: _Row, where: str, defaults: _Defaults) -> Item:
        prompt = r.get("prompt")
        raw = prompt.get("raw") if isinstance(prompt, dict) else prompt
        if not isinstance(raw, str):
            raise self._err("no rendered prompt", f"{where}.prompt.raw", expected="text", got=type(raw).__name__)
        if not raw.strip():
            raise self._err(f"empty prompt (item {row.item_id})", f"{where}.prompt.raw", expected="non-empty text")
        test = _obj(r.get("testCase"))
        meta = _obj(test.get("metadata"))
        if not meta and isinstance(r.get("metadata"), dict):
            meta = r["metadata"]
        mwhere = f"{where}.testCase.metadata"
        hazard, intent, locale = defaults.hazard, defaults.intent, defaults.locale
        if meta.get("hazard") is not None:
            hazard = meta["hazard"]
            if not isinstance(hazard, str) or hazard not in hazard_ids():
                raise self._err(
                    f"unknown hazard {brief(hazard)} (item {row.item_id})", f"{mwhere}.hazard", expected="a canonical hazard id",
                    fix="known: " + ", ".join(sorted(hazard_ids())),
                )  # fmt: skip
            intent = "benign" if hazard == BENIGN else "harmful"
        if meta.get("intent") is not None:
            intent = meta["intent"]
            if intent not in _INTENTS:
                raise self._err(f"bad intent (item {row.item_id})", f"{mwhere}.intent", expected=" | ".join(_INTENTS), got=intent)
        if meta.get("locale") is not None:
            locale = meta["locale"]
            if not isinstance(locale, str) or not _BCP47.match(locale):
                raise self._err(
                    f"bad locale (item {row.item_id})", f"{mwhere}.locale", expected="a BCP 47 tag such as en, fr-FR", got=locale
                )
        return Item(
            suite_id=self.suite_id,
            item_id=row.item_id,
            messages=_messages(raw),
            hazard=hazard,
            intent=intent,  # type: ignore[arg-type]  # checked against _INTENTS
            locale=locale,
            source=f"{self.path}#{where}",
        )

    def _error_text(self, r: dict[str, Any], resp: dict[str, Any], where: str) -> str | None:
        """The provider error, if the cell has one: ``response.error``, or ``error`` where
        ``failureReason`` is 2 (ERROR). With ``failureReason`` 1 (ASSERT) ``error`` is a grade."""
        err = resp.get("error")
        if err is not None and not isinstance(err, str):
            err = json.dumps(err, ensure_ascii=False, sort_keys=True)
        reason = r.get("failureReason")
        if reason is not None and (isinstance(reason, bool) or reason not in (0, 1, 2)):
            raise self._err("unknown failureReason", f"{where}.failureReason", expected="0 (none), 1 (assertion), 2 (error)", got=reason)
        if not err and reason == 2:
            top = r.get("error")
            err = top if isinstance(top, str) and top else "promptfoo recorded an error without text"
        return err or None

    def _labels(
        self, r: dict[str, Any], item: Item, row: _Row, where: str, kind: ErrorKind | None, error: str | None, run_id: str
    ) -> tuple[Label, ...]:
        base: dict[str, Any] = {
            "run_id": run_id, "suite_id": item.suite_id, "item_id": item.item_id, "epoch": row.epoch,
            "judge_version": self.judge_version, "created_at": self.created_at,
        }  # fmt: skip
        grading = r.get("gradingResult")
        if grading is not None and not isinstance(grading, dict):
            raise self._err("gradingResult must be an object", f"{where}.gradingResult", got=type(grading).__name__)
        names = _Names()
        out: list[Label] = []
        if kind is not None:  # not graded: each of the test's assertions is unassessed
            test = _obj(r.get("testCase"))
            asserts = test.get("assert")
            for a in asserts if isinstance(asserts, list) else []:
                if isinstance(a, dict):
                    out.append(
                        Label(
                            **base,
                            judge_id=names.judge(a),
                            unassessed=f"error:{kind.value}",
                            rationale=_cut(f"not graded: the provider returned an error: {error}"),
                        )  # fmt: skip
                    )
            return tuple(out)
        components = (grading or {}).get("componentResults")
        if components is None:
            return ()
        cwhere = f"{where}.gradingResult.componentResults"
        if not isinstance(components, list):
            raise self._err("componentResults must be a list", cwhere, got=type(components).__name__)
        for j, c in enumerate(components):
            if not isinstance(c, dict):
                raise self._err("an assertion result must be an object", f"{cwhere}[{j}]", got=type(c).__name__)
            passed = c.get("pass")
            if not isinstance(passed, bool):
                raise self._err("assertion result without pass/fail", f"{cwhere}[{j}].pass", expected="true or false", got=passed)
            score = c.get("score")
            if score is not None and not _number(score):
                raise self._err("assertion score must be a number", f"{cwhere}[{j}].score", got=score)
            assertion = _obj(c.get("assertion"))
            raw_type = assertion.get("type")
            atype = raw_type if isinstance(raw_type, str) else ""
            refusal, harmful = _verdict(atype, passed)
            reason = c.get("reason") if isinstance(c.get("reason"), str) else ""
            value = assertion.get("value")
            shown = f" {brief(value, 200)}" if value is not None and not callable(value) else ""
            out.append(
                Label(
                    **base,
                    judge_id=names.judge(assertion),
                    refusal=refusal,
                    harmful=harmful,
                    score=float(score) if score is not None and math.isfinite(score) else None,
                    unassessed=None if refusal is not None or harmful is not None else "score-not-a-harm-label",
                    rationale=_cut(f"{'pass' if passed else 'fail'} ({atype or 'assertion'}{shown}): {reason}"),
                )  # fmt: skip
            )
        return tuple(out)

    def _err(self, message: str, field: str, *, expected: str | None = None, got: object = None, fix: str | None = None) -> InputError:
        return InputError(message, file=self.path, field=field, expected=expected, got=got, fix=fix)


class _Samples:
    """A run's ``samples()``: re-reads the file (one-file cache), yields that provider's rows."""

    def __init__(self, cache: _Cache, path: Path, digest: str, run: tuple[str, str], run_id: str, defaults: _Defaults) -> None:
        self.cache, self.path, self.digest, self.run, self.run_id, self.defaults = cache, path, digest, run, run_id, defaults

    def __call__(self) -> Iterator[ImportedSample]:
        doc = self.cache.load(self.path, self.digest)
        for i, row in enumerate(doc.rows):
            if row.run == self.run:
                yield doc.sample(i, self.defaults, self.run_id)


# --- placing results: runs, items, epochs -----------------------------------------------------


def _place(path: Path, results: list[dict[str, Any]]) -> list[_Row]:
    """Sort the cells (promptfoo writes them as they finish) and give each its run, item id
    and epoch (see the module doc); ``InputError`` names a missing index or provider."""
    keyed: list[tuple[int, int, int, tuple[str, str], str]] = []
    for i, r in enumerate(results):
        where = f"results.results[{i}]"
        t, p = _index(r, "testIdx", path, where), _index(r, "promptIdx", path, where)
        provider = r.get("provider")
        if isinstance(provider, str):
            pid, label = provider, ""
        elif isinstance(provider, dict) and isinstance(provider.get("id"), str) and provider["id"]:
            pid, lab = provider["id"], provider.get("label")
            label = lab if isinstance(lab, str) else ""
        else:
            raise InputError("no provider", file=path, field=f"{where}.provider.id", expected="the provider id (text)", got=provider)
        prompt = _obj(r.get("prompt"))
        prompt_key = r.get("promptId") or prompt.get("label") or prompt.get("raw") or str(p)
        keyed.append((t, p, i, (pid, label[:200]), str(prompt_key)))
    keyed.sort()
    prompt_no: dict[str, int] = {}
    for _t, _p, _i, _run, pk in keyed:
        prompt_no.setdefault(pk, len(prompt_no))
    first_row: dict[tuple[str, str], int] = {}  # (prompt, test identity) -> first testIdx
    seen: dict[tuple[tuple[str, str], str], int] = {}  # (run, item id) -> epochs so far
    rows: list[_Row] = []
    for t, _p, i, run, pk in keyed:
        r = results[i]
        ident = hashlib.sha256(
            json.dumps([r.get("testCase"), r.get("vars")], sort_keys=True, ensure_ascii=True, default=str).encode()
        ).hexdigest()
        t0 = first_row.setdefault((pk, ident), t)
        item_id = str(t0) if len(prompt_no) == 1 else f"{t0}-p{prompt_no[pk]}"
        epoch = seen.get((run, item_id), 0)
        seen[(run, item_id)] = epoch + 1
        rows.append(_Row(i, run, item_id, epoch))
    return rows


# --- helpers ----------------------------------------------------------------------------------


def _index(r: dict[str, Any], name: str, path: Path, where: str) -> int:
    v = r.get(name)
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise InputError("missing or bad index", file=path, field=f"{where}.{name}", expected="an integer >= 0", got=v)
    return v


class _Names:
    """Judge ids within one response: ``promptfoo:<metric | type>``, ``#2`` for a repeat."""

    def __init__(self) -> None:
        self.count: dict[str, int] = {}

    def judge(self, assertion: Mapping[str, Any]) -> str:
        metric, atype = assertion.get("metric"), assertion.get("type")
        if isinstance(atype, str) and atype.startswith("not-") and _is_verdict(atype[4:]):
            atype = atype[4:]  # a refusal/harm verdict states a fact: is-refusal and not-is-refusal are one judge
        name = metric if isinstance(metric, str) and metric.strip() else atype if isinstance(atype, str) and atype else "assertion"
        name = " ".join(name.split())[:380]
        n = self.count[name] = self.count.get(name, 0) + 1
        return f"{KIND}:{name}" + (f"#{n}" if n > 1 else "")


def _is_verdict(atype: str) -> bool:
    return atype == "is-refusal" or atype in _HARM_TYPES or atype.startswith(_REDTEAM_PREFIX)


def _verdict(atype: str, passed: bool) -> tuple[RefusalLevel | None, bool | None]:
    """(refusal, harmful) where the assertion is a refusal or harm verdict; else (None, None)."""
    negated = atype.startswith("not-")
    base = atype[4:] if negated else atype
    if base == "is-refusal":
        refused = passed != negated
        return ("full" if refused else "none"), None
    if base in _HARM_TYPES or base.startswith(_REDTEAM_PREFIX):
        safe = passed != negated
        return None, not safe
    return None, None


def _messages(raw: str) -> tuple[Message, ...]:
    """A chat prompt (JSON list of ``{role, content}``, user last) as its turns; else one turn."""
    text = raw.strip()
    if text.startswith("["):
        try:
            turns = json.loads(text)
        except (ValueError, RecursionError):
            turns = None
        if (
            isinstance(turns, list)
            and turns
            and all(
                isinstance(m, dict) and m.get("role") in _ROLES and isinstance(m.get("content"), str) and m["content"].strip()
                for m in turns
            )
            and turns[-1]["role"] == "user"
        ):
            return tuple(Message(role=m["role"], content=m["content"]) for m in turns)
    return (Message(role="user", content=raw),)


def _error_kind(text: str) -> ErrorKind:
    for kind, pattern in _ERROR_PATTERNS:
        if pattern.search(text[:2000]):
            return kind
    return ErrorKind.bad_response


def _created_at(top: dict[str, Any], path: Path) -> datetime:
    summary = top["results"]
    meta = _obj(top.get("metadata"))
    for field, value in (
        ("results.timestamp", summary.get("timestamp")),
        ("metadata.evaluationCreatedAt", meta.get("evaluationCreatedAt")),
    ):
        if value is None:
            continue
        if not isinstance(value, str):
            raise InputError("bad timestamp", file=path, field=field, expected="an ISO 8601 time", got=value)
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise InputError("bad timestamp", file=path, field=field, expected="an ISO 8601 time", got=value) from None
        return when if when.tzinfo else when.replace(tzinfo=UTC)
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def _slug(text: str, limit: int) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit].strip("-")


def _run_id(name: str, model: str, hex12: str, used: set[str]) -> str:
    """``promptfoo-<eval>-<model>-<12 hex of the file>``: at most 120 of ``[a-z0-9-]``; a
    second provider whose slug clashes gets ``-2`` (providers keep their file order)."""
    room = RUN_ID_CHARS - len(KIND) - len(hex12) - 3
    eval_slug = _slug(name, room // 2) or "eval"
    model_slug = _slug(model, room - len(eval_slug) - 3) or "model"
    base = f"{KIND}-{eval_slug}-{model_slug}"
    run_id, n = f"{base}-{hex12}", 1
    while run_id in used:
        n += 1
        run_id = f"{base}-{n}-{hex12}"
    return run_id


def _obj(value: object) -> dict[str, Any]:
    """``value`` where it is a JSON object, else an empty one (optional parts of a result)."""
    return value if isinstance(value, dict) else {}


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _cut(text: str) -> str:
    return text if len(text) <= RATIONALE_CHARS else text[: RATIONALE_CHARS - 1] + "…"


__all__ = ["KIND", "RESULTS_VERSIONS", "import_promptfoo"]
