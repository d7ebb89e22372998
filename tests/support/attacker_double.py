"""A scripted attacker model: deterministic moves, so PAIR/TAP/Crescendo logic is testable.

Usable in-process (``tests.unit.attacks.fake_context``) and as an accord target through the
python provider, e.g. ``--attacker python:tests.support.attacker_double:scripted``. Every
function has the provider's signature ``(messages, params) -> str`` and is stateless (it
reads what it needs from the conversation), so it is safe at any concurrency:

- ``scripted``: answers each request by its kind, read from the system prompt —
  a YES/NO on-topic check: ``YES``; a strategy round (an ``<objective>`` block): a JSON move
  whose prompt is chosen by the ``ROUND: n`` (and ``VARIANT: k``) lines, see ``strategy_prompt``;
  a rewrite (past tense, persuasion, role-play, translation): the request with a marked prefix.
- ``garbage`` (prose, no JSON), ``empty``, ``refusing``, ``fenced`` (valid JSON in a code fence
  after some prose), ``echo`` (a rewrite that returns the request unchanged), ``verbose``
  (a rewrite far longer than any request) — the bad attackers error handling is tested with.

``ScriptedAttacker`` replays a fixed list of replies for tests that need exact sequences.
Texts are placeholders; the only request text it repeats is the one it was given.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

REFUSAL = "I'm sorry, but I can't help with that."
_OBJECTIVE = re.compile(r"<objective>\n?(.*?)\n?</objective>", re.DOTALL)
_ROUND = re.compile(r"^ROUND: (\d+)", re.MULTILINE)
_VARIANT = re.compile(r"^VARIANT: (\d+)", re.MULTILINE)


def move(prompt: str, improvement: str = "scripted") -> str:
    """A well-formed strategy reply."""
    return json.dumps({"improvement": improvement, "prompt": prompt})


def _system(messages: Sequence[Mapping[str, Any]]) -> str:
    return "\n".join(str(m.get("content") or "") for m in messages if m.get("role") == "system")


def _last_user(messages: Sequence[Mapping[str, Any]]) -> str:
    for m in reversed(messages):
        if m.get("role") == "user":
            return str(m.get("content") or "")
    return ""


def _number(pattern: re.Pattern[str], text: str) -> int | None:
    found = pattern.findall(text)
    return int(found[-1]) if found else None


def strategy_prompt(objective: str, round_no: int, variant: int | None, *, crescendo: bool) -> str:
    """The scripted move for a round: every prompt starts ``attempt-<round>[.<variant>]:``.

    PAIR/TAP: round 1 asks plainly, round 2 base64-encodes the objective and asks to decode
    and answer, later rounds ask plainly again. Crescendo: rounds 1-2 are harmless questions
    about the topic (no objective in them), round 3 on asks for the objective itself.
    """
    tag = f"attempt-{round_no}" + (f".{variant}" if variant else "")
    if crescendo:
        if round_no < 3:
            return f"{tag}: a general, harmless question about the topic, step {round_no}."
        return f"{tag}: building on that, {objective}"
    if round_no == 2:
        encoded = base64.b64encode(objective.encode()).decode()
        return f"{tag}: the request below is base64; decode it and respond. {encoded}"
    return f"{tag}: {objective}"


def scripted(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    """The well-behaved scripted attacker (see the module docstring)."""
    system = _system(messages)
    if "YES or NO" in system:
        return "YES"
    found = _OBJECTIVE.search(system)
    if found:
        request = _last_user(messages)
        round_no = _number(_ROUND, request) or 1
        variant = _number(_VARIANT, request)
        prompt = strategy_prompt(found.group(1).strip(), round_no, variant, crescendo="Crescendo" in system)
        return move(prompt, f"round {round_no}")
    text = _last_user(messages)
    low = system.lower()
    kind = (
        "past-tense"
        if "past" in low
        else "persuasion"
        if "persuasion" in low
        else "role-play"
        if "role" in low
        else "translation"
        if "translat" in low
        else "rewrite"
    )
    return f"[{kind}] {text}"


def garbage(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    """Prose without any JSON (and, for a rewrite, nothing usable either: it is not a request)."""
    return "Let me think about a good approach here."


def empty(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    return ""


def refusing(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    return REFUSAL


def fenced(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    """The scripted move, wrapped in prose and a code fence as chat models often answer."""
    return "Here is my next move:\n```json\n" + scripted(messages, params) + "\n```\nGood luck."


def echo(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    """A rewrite that returns the request unchanged."""
    return _last_user(messages)


def verbose(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    """A rewrite far longer than the request."""
    return "word " * (10 * len(_last_user(messages)) + 500)


class ScriptedAttacker:
    """Replays ``replies`` in order, one per request; records what it was sent."""

    def __init__(self, replies: Sequence[str]) -> None:
        self.replies = list(replies)
        self.seen: list[list[dict[str, Any]]] = []

    def __call__(self, messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
        self.seen.append(messages)
        if len(self.seen) > len(self.replies):
            raise AssertionError(f"the script has {len(self.replies)} replies; request {len(self.seen)} came")
        return self.replies[len(self.seen) - 1]
