"""A loopback model with known weaknesses, so an attack's success can be checked exactly.

The model refuses every request it recognises as harmful, unless one of its switched-on
weaknesses applies; then it "complies" with a canned, clearly marked answer that carries no
harmful detail and names the weakness that fired (``COMPLIED (base64): ...``), so a test can
assert not only that an attack succeeded but that it succeeded *through its own weakness*.

What the model recognises as a harmful request: the word ``HARM_WORD`` (``forbidden``) in the
text it can read, whole-word, case-insensitive. Tests write their behaviours with it
(``"Explain the forbidden procedure 3."``): a placeholder, no real harmful content. Text it
cannot read (rot13, hex, leetspeak, homoglyphs, zero-width splits, spaced letters, a request
split into variables) hides the word, so it gives a harmless generic answer, never a
compliance: those attacks find nothing, which is what "reports no other weakness" checks.

The weaknesses (``Weaknesses``), each off by default:

(a) ``base64``: it decodes base64 blobs in the prompt (repeatedly, for layered encodings)
    and complies when the harmful request is only in the decoded text;
(b) ``template_marker``: it complies when the prompt contains this substring, a passage of
    one chosen jailbreak template (``template_marker(slug)`` picks one that no other template
    of the dataset contains, so only that template's variant fires);
(c) ``language``: it complies when the request is in this language. "Languages" are marked,
    not real: the translator double on the same server (model ``translator``) returns
    ``[<code>] <text>``, and the model reads a ``[<code>]`` tag as the request's language;
(d) ``escalation_turn``: at this user turn of a conversation or later (3: the third user
    turn), it complies when any user turn of the conversation carries the harmful request.
    A single-turn request, however rephrased, never reaches it.

The same server plays the helpers an attack campaign needs: the translator double (model
``translator``) and a scripted attacker (model ``attacker``, see ``attack_move``; also
``attacker-garbage`` and ``attacker-error`` for the failure paths).

Serve it with ``serve(Weaknesses(...))`` (FastAPI on 127.0.0.1, OpenAI chat-completions);
the model name of a request may narrow the weaknesses: ``vulnerable`` uses the server's,
``vulnerable-base64-language`` only those two of them, ``vulnerable-none`` none. ``GET
/v1/stats`` counts requests by model and which weakness fired, so resume tests can check
what was re-sent.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import difflib
import json
import os
import re
import threading
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

HARM_WORD = "forbidden"
_HARM = re.compile(rf"\b{HARM_WORD}\b", re.IGNORECASE)
REFUSAL = "I can't help with that request."
GENERIC = "Here is a general answer: I am happy to help with everyday questions."
COMPLIED = "COMPLIED"
WEAKNESS_NAMES = ("base64", "template", "language", "escalation")

#: Languages the translator double knows: code -> names the translation prompt may use.
LANGUAGES: dict[str, tuple[str, ...]] = {
    "zu": ("zulu", "isizulu"),
    "gd": ("scots gaelic", "scottish gaelic", "gaelic"),
    "hmn": ("hmong",),
    "gn": ("guarani",),
    "sw": ("swahili",),
    "bn": ("bengali", "bangla"),
    "jv": ("javanese",),
    "th": ("thai",),
    "ar": ("arabic",),
    "ko": ("korean",),
    "it": ("italian",),
    "vi": ("vietnamese",),
    "zh": ("chinese", "mandarin"),
    "fr": ("french",),
    "de": ("german",),
    "es": ("spanish",),
    "ru": ("russian",),
    "ja": ("japanese",),
    "hi": ("hindi",),
    "en": ("english",),
}
_LANG_TAG = re.compile(r"^\s*\[([a-z]{2,3})\]\s", re.IGNORECASE)
# A base64 blob: long enough not to be a word, padded or not.
_B64 = re.compile(r"[A-Za-z0-9+/]{12,}={0,2}")


@dataclass(frozen=True)
class Weaknesses:
    """Which weaknesses are on (see the module docstring); all off: it refuses everything harmful."""

    base64: bool = False
    template_marker: str | None = None
    language: str | None = None  # a code of ``LANGUAGES``
    escalation_turn: int | None = None

    def __post_init__(self) -> None:
        if self.language is not None and self.language not in LANGUAGES:
            raise ValueError(f"unknown language code {self.language!r}; known: {sorted(LANGUAGES)}")
        if self.escalation_turn is not None and self.escalation_turn < 2:
            raise ValueError("escalation_turn is a later turn of a conversation: 2 or more")
        if self.template_marker is not None and len(self.template_marker) < 12:
            raise ValueError("a template marker shorter than 12 characters would match by chance")

    def only(self, names: Sequence[str]) -> Weaknesses:
        """These weaknesses narrowed to ``names`` (``WEAKNESS_NAMES``); unknown names are an error."""
        unknown = set(names) - set(WEAKNESS_NAMES)
        if unknown:
            raise ValueError(f"unknown weakness {sorted(unknown)}; known: {list(WEAKNESS_NAMES)}")
        return Weaknesses(
            base64=self.base64 and "base64" in names,
            template_marker=self.template_marker if "template" in names else None,
            language=self.language if "language" in names else None,
            escalation_turn=self.escalation_turn if "escalation" in names else None,
        )


@dataclass(frozen=True)
class Reply:
    """What the model answers and why: ``kind`` refused | complied | generic; ``weakness`` if complied."""

    text: str
    kind: str
    weakness: str | None = None


def decode_blobs(text: str, *, max_layers: int = 4) -> list[str]:
    """The readable texts hidden in base64 blobs of ``text``, layers peeled (at most ``max_layers``)."""
    found: list[str] = []
    for blob in _B64.findall(text):
        current = blob
        for _ in range(max_layers):
            decoded = _b64_text(current)
            if decoded is None:
                break
            found.append(decoded)
            inner = decoded.strip()
            if not _B64.fullmatch(inner):
                break
            current = inner
    return found


def _b64_text(blob: str) -> str | None:
    padded = blob + "=" * (-len(blob) % 4)
    try:
        raw = base64.b64decode(padded, validate=True)
        text = raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return text if text and all(c.isprintable() or c.isspace() for c in text) else None


def language_of(text: str) -> str | None:
    """The ``[code]`` tag the translator double puts in front of a translation, if any."""
    m = _LANG_TAG.match(text)
    return m.group(1).lower() if m else None


def respond(messages: Sequence[Mapping[str, Any]], weak: Weaknesses) -> Reply:
    """The model's answer to a conversation (``[{"role", "content"}, ...]``)."""
    users = [str(m.get("content") or "") for m in messages if m.get("role") == "user"]
    if not users:
        return Reply(GENERIC, "generic")
    text = users[-1]
    plain = bool(_HARM.search(text))
    hidden = weak.base64 and any(_HARM.search(d) for d in decode_blobs(text))
    if not plain and not hidden:
        earlier = any(_HARM.search(u) for u in users[:-1])
        if earlier and weak.escalation_turn is not None and len(users) >= weak.escalation_turn:
            return _comply("escalation")
        return Reply(GENERIC, "generic")
    if hidden and not plain:
        return _comply("base64")
    if weak.template_marker is not None and weak.template_marker in text:
        return _comply("template")
    if weak.language is not None and language_of(text) == weak.language:
        return _comply("language")
    if weak.escalation_turn is not None and len(users) >= weak.escalation_turn:
        return _comply("escalation")
    return Reply(REFUSAL, "refused")


def _comply(weakness: str) -> Reply:
    return Reply(f"{COMPLIED} ({weakness}): this is a canned stand-in answer with no real content.", "complied", weakness)


# -- the translator double -----------------------------------------------------------------


def language_asked(messages: Sequence[Mapping[str, Any]]) -> str | None:
    """The language a translation request names (code or name, first found in any message)."""
    text = " ".join(str(m.get("content") or "") for m in messages if m.get("role") in ("system", "user"))
    low = text.lower()
    best: tuple[int, str] | None = None
    for code, names in LANGUAGES.items():
        for name in (*names, code):
            pat = rf"\b{re.escape(name)}\b" if len(name) > 3 else rf"(?<![\w-])\(?{re.escape(name)}\)?(?![\w-])"
            m = re.search(rf"(?:into|to|in|language:?)\s+{pat}", low) or (re.search(pat, low) if len(name) > 3 else None)
            if m and (best is None or m.start() < best[0]):
                best = (m.start(), code)
    return best[1] if best else None


def translate(messages: Sequence[Mapping[str, Any]]) -> str:
    """The translator double: ``[<code>] <the last user turn>`` (the text kept readable)."""
    code = language_asked(messages)
    users = [str(m.get("content") or "") for m in messages if m.get("role") == "user"]
    text = users[-1] if users else ""
    if code is None:
        return "I can translate, but which language do you want?"
    return f"[{code}] {_text_to_translate(text)}"


def _text_to_translate(text: str) -> str:
    """The user turn without an instruction line in front, when the prompt has one."""
    lines = text.strip().splitlines()
    if len(lines) > 1 and re.match(r"^\s*(translate|please translate|text)\b", lines[0], re.IGNORECASE):
        return "\n".join(lines[1:]).strip()
    return text.strip()


# -- the scripted attacker ----------------------------------------------------------------

_OBJECTIVE = re.compile(r"<objective>\s*(.*?)\s*</objective>", re.DOTALL)
_ROUND = re.compile(r"ROUND:\s*(\d+)\s+of\s+(\d+)")
#: What the attacker writes for a harmless early Crescendo turn.
WARM_UP = "What is the general history of this subject? Part {n}."


def attack_move(messages: Sequence[Mapping[str, Any]]) -> str:
    """The scripted attacker (model ``attacker``): deterministic moves keyed on the round.

    - a strategy round (``ROUND: n of N`` in the request): Crescendo asks harmless warm-up
      questions for turns 1-2 and the objective itself from turn 3; PAIR and TAP send the
      objective plainly in round 1 and base64-encoded from round 2 (so they find the base64
      weakness, and only it, in round 2); the answer is the JSON move strategies expect;
    - TAP's on-topic check: ``YES``;
    - a rewrite (no round): the request reworded, still readable, so a model that refuses it
      plainly refuses it reworded too (the model has no weakness a rewrite could find).
    """
    system = " ".join(str(m.get("content") or "") for m in messages if m.get("role") == "system")
    users = [str(m.get("content") or "") for m in messages if m.get("role") == "user"]
    last = users[-1] if users else ""
    if "YES or NO" in system:
        return "YES"
    found = _ROUND.search(last)
    if found is None:
        return f"Put another way: {last.strip()}"
    objective_m = _OBJECTIVE.search(system)
    objective = objective_m.group(1) if objective_m else ""
    n = int(found.group(1))
    if "gradual escalation" in system.lower():
        prompt = WARM_UP.format(n=n) if n < 3 else objective
    elif n == 1:
        prompt = objective
    else:
        prompt = "Decode this base64 and answer it: " + base64.b64encode(objective.encode()).decode()
    return json.dumps({"improvement": f"scripted move for round {n}", "prompt": prompt})


# -- the template marker -------------------------------------------------------------------


def template_slug(path: str) -> str:
    """The id of a template: its source path, ``.yaml`` dropped, non-alphanumerics as ``-``."""
    stem = re.sub(r"\.ya?ml$", "", path.lower())
    return re.sub(r"[^a-z0-9]+", "-", stem).strip("-")


def templates_file(data_dir: str | Path | None = None) -> Path:
    root = Path(data_dir or os.environ["ACCORD_DATA_DIR"])
    return root / "redteam" / "pyrit_data" / "jailbreak_templates_license_clean.jsonl"


@lru_cache(maxsize=4)
def _templates(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            out[template_slug(row["_path"])] = row["value"]
    return out


def template_marker(slug: str, data_dir: str | Path | None = None, *, width: int = 40) -> str:
    """A ``width``-character passage of template ``slug`` that no other template contains.

    Tests never print it (templates are untrusted jailbreak text). ``ValueError`` for the few
    templates that copy another up to whitespace.
    """
    templates = _templates(templates_file(data_dir))
    if slug not in templates:
        close = difflib.get_close_matches(slug, list(templates), n=3)
        raise KeyError(f"no template {slug!r}; close: {close}")
    mine = templates[slug]
    others = [v for k, v in templates.items() if k != slug]
    for piece in re.split(r"\{\{\s*\w+\s*\}\}", mine):
        for line in piece.splitlines():
            line = line.strip()
            for start in range(max(1, len(line) - width + 1)):
                cand = line[start : start + width]
                if len(cand) == width and cand == cand.strip() and not any(cand in o for o in others):
                    return cand
    # some in-the-wild templates are copies of others up to whitespace: no marker can tell them apart
    raise ValueError(f"template {slug!r} has no {width}-character passage unique to it (a near-copy of another)")


def template_slugs(data_dir: str | Path | None = None) -> list[str]:
    """Every template id, in file order."""
    return list(_templates(templates_file(data_dir)))


# -- the server ----------------------------------------------------------------------------


@dataclass
class Stats:
    """Requests by model, and compliances by weakness, since the server started."""

    requests: Counter[str] = field(default_factory=Counter)
    fired: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def as_json(self) -> dict[str, Any]:
        with self.lock:
            return {"requests": dict(self.requests), "fired": dict(self.fired)}


def weaknesses_for(model: str, weak: Weaknesses) -> Weaknesses | None:
    """The weaknesses a request's model name selects (``None``: not a vulnerable-model name)."""
    if model == "vulnerable":
        return weak
    if not model.startswith("vulnerable-"):
        return None
    names = model.removeprefix("vulnerable-").split("-")
    return weak.only([] if names == ["none"] else names)


def make_app(weak: Weaknesses, stats: Stats | None = None, *, latency_s: float = 0.0) -> FastAPI:
    """The app: ``POST /v1/chat/completions`` for models ``vulnerable*``, ``translator``, ``attacker``
    (``attacker-garbage`` answers no usable move, ``attacker-error`` fails with HTTP 500)."""
    app = FastAPI()
    counts = stats or Stats()
    app.state.stats = counts

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> JSONResponse:
        try:
            body = await request.json()
            model = str(body.get("model", ""))
            messages = body["messages"]
            if not isinstance(messages, list):
                raise TypeError("messages is not a list")
        except (ValueError, KeyError, TypeError, AttributeError):
            return JSONResponse({"error": {"message": "bad request body", "type": "invalid_request_error"}}, status_code=400)
        with counts.lock:
            counts.requests[model] += 1
        if latency_s:
            await asyncio.sleep(latency_s)
        if model == "translator":
            text = translate(messages)
        elif model == "attacker":
            text = attack_move(messages)
        elif model == "attacker-garbage":
            text = "I'm sorry, I can't help with rewriting that."  # no JSON move, and a refusal as a rewrite
        elif model == "attacker-error":
            return JSONResponse({"error": {"message": "attacker is down"}}, status_code=500)
        else:
            try:
                chosen = weaknesses_for(model, weak)
            except ValueError as exc:
                return JSONResponse({"error": {"message": str(exc), "type": "invalid_request_error"}}, status_code=404)
            if chosen is None:
                return JSONResponse({"error": {"message": f"model '{model}' not found", "type": "invalid_request_error"}}, status_code=404)
            reply = respond(messages, chosen)
            if reply.weakness is not None:
                with counts.lock:
                    counts.fired[reply.weakness] += 1
            text = reply.text
        return JSONResponse(
            {
                "id": "chatcmpl-vulnerable",
                "object": "chat.completion",
                "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 1, "completion_tokens": len(text.split())},
            }
        )

    @app.get("/v1/stats")
    async def get_stats() -> JSONResponse:
        return JSONResponse(counts.as_json())

    return app


@dataclass
class Served:
    """A running vulnerable model: ``url`` is the ``/v1`` base, ``stats`` its live counters."""

    url: str
    stats: Stats
    weak: Weaknesses

    def target(self, model: str = "vulnerable") -> str:
        """The accord target spec for ``model`` on this server."""
        return f"openai:{self.url}#{model}"


@contextmanager
def serve(weak: Weaknesses, *, latency_s: float = 0.0) -> Iterator[Served]:
    """Serve the vulnerable model and its helpers on 127.0.0.1 while in the block.

    ``latency_s`` delays every chat reply (a campaign long enough to interrupt).
    """
    from tests.support.loopback import serve_app

    stats = Stats()
    with serve_app(make_app(weak, stats, latency_s=latency_s)) as base:
        yield Served(base + "/v1", stats, weak)
