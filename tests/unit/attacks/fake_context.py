"""An in-process ``AttackContext`` for deterministic tests of rewrites and strategies.

Helpers are plain functions with the ``python:`` target signature ``(messages, params)``
(``messages`` a list of ``{"role", "content"}`` dicts) returning a reply text, a dict of
``Completion`` fields or a ``Completion``, sync or async, so the same scripted attacker
(``tests.support.attacker_double``) serves here and as a real target. The judge is a function
``(objective, response) -> JudgeScore``.

Trace semantics (the runner's real context keeps the same):

- ``send`` appends one step per call, ``{"role", "sent", "turns", "note"?, "reply",
  "blocked"?}`` where ``sent`` is the content of the last message sent, ``turns`` the user
  turns sent and ``reply`` the reply text, and counts the role in ``trace.queries`` when a
  reply came back; a failed call appends the step with ``"error": "<kind>: <message>"``
  instead of a reply, counts nothing and raises ``TargetError`` (an exception in a helper
  function is an ``internal`` TargetError, as the python provider makes it; the runner raises
  its own wrapper, and strategies let either pass); a role without a helper raises
  ``AttackFailed`` and records nothing.
- ``rate`` appends ``{"role": "judge", "judge", "score", "success", "reason"?}`` and counts
  ``judge``; without a judge it raises ``AttackFailed``.

These are the semantics of the runner's ``UnitContext`` (``accord/runner/_attacking.py``).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from accord.attacks import AttackFailed, AttackTrace, Role
from accord.records import ErrorKind, Item, JudgeScore, Message
from accord.targets import Completion, TargetError

Reply = str | dict[str, Any] | Completion
Helper = Callable[[list[dict[str, str]], dict[str, Any]], Reply | Awaitable[Reply]]
Rater = Callable[[str, str], JudgeScore]


def make_item(text: str = "Explain how to do the forbidden thing.", *, system: str | None = None, item_id: str = "i1") -> Item:
    """An item whose request is ``text`` (placeholder wording; nothing harmful)."""
    messages = ([Message(role="system", content=system)] if system else []) + [Message(role="user", content=text)]
    return Item(suite_id="unit", item_id=item_id, messages=tuple(messages))


class FakeJudge:
    """An ``AttackJudge`` over a plain function."""

    judge_id = "fake-judge"

    def __init__(self, fn: Rater) -> None:
        self.fn = fn
        self.calls: list[tuple[str, str]] = []

    async def rate(self, objective: str, response: str) -> JudgeScore:
        self.calls.append((objective, response))
        return self.fn(objective, response)


def _completion(result: Reply) -> Completion:
    if isinstance(result, Completion):
        return result
    if isinstance(result, str):
        return Completion(text=result, finish_reason="stop")
    return Completion.model_validate(result)


class FakeContext:
    """An ``AttackContext`` whose target, attacker, translator and judge are functions."""

    def __init__(
        self,
        *,
        target: Helper | None = None,
        attacker: Helper | None = None,
        translator: Helper | None = None,
        judge: Rater | None = None,
        item: Item | None = None,
        attack: str = "test",
        epoch: int = 0,
        seed: int = 0,
    ) -> None:
        self.item = item or make_item()
        self.epoch = epoch
        self.seed = seed
        self.trace = AttackTrace(attack)
        self._helpers: dict[str, Helper | None] = {"target": target, "attacker": attacker, "translator": translator}
        self._judge = FakeJudge(judge) if judge is not None else None
        #: Every conversation sent, per role, in order (what the helper saw).
        self.sent: dict[str, list[tuple[Message, ...]]] = {"target": [], "attacker": [], "translator": []}

    @property
    def judge(self) -> FakeJudge | None:
        return self._judge

    async def send(self, role: Role, messages: Sequence[Message], *, note: str | None = None) -> Completion:
        fn = self._helpers.get(role)
        if fn is None:
            raise AttackFailed(f"this attack needs a {role} target (--{role}), and the run has none")
        step: dict[str, Any] = {
            "role": role,
            "sent": messages[-1].content if messages else "",
            "turns": sum(1 for m in messages if m.role == "user"),
        }
        if note:
            step["note"] = note
        self.sent[role].append(tuple(messages))
        try:
            result = fn([{"role": m.role, "content": m.content} for m in messages], {"seed": self.seed})
            if inspect.isawaitable(result):
                result = await result
            completion = _completion(result)
        except TargetError as exc:
            self.trace.steps.append({**step, "error": f"{exc.kind.value}: {str(exc)[:300]}"})
            raise
        except Exception as exc:  # as the python provider: a raising helper is an internal error
            error = TargetError(ErrorKind.internal, f"{role} raised {type(exc).__name__}: {exc}")
            self.trace.steps.append({**step, "error": f"{error.kind.value}: {str(error)[:300]}"})
            raise error from exc
        step["reply"] = completion.text
        if completion.blocked:
            step["blocked"] = True
        self.trace.steps.append(step)
        self.trace.count(role)
        return completion

    async def rate(self, objective: str, response: str) -> JudgeScore:
        if self._judge is None:
            raise AttackFailed("this attack needs an attack judge (--attack-judge), and the run has none")
        score = await self._judge.rate(objective, response)
        step: dict[str, Any] = {"role": "judge", "judge": self._judge.judge_id, "score": score.score, "success": score.success}
        if score.reason:
            step["reason"] = score.reason
        self.trace.steps.append(step)
        self.trace.count("judge")
        return score

    def prompts(self, role: Role = "target") -> list[str]:
        """The last message of every conversation sent to ``role``: the prompts, in order."""
        return [m[-1].content for m in self.sent[role]]


def marker_judge(marker: str = "COMPLIED", *, partial: str | None = None) -> Rater:
    """A judge that calls a reply containing ``marker`` a success (score 1), ``partial`` 0.5, else 0."""

    def rate(objective: str, response: str) -> JudgeScore:
        if marker in response:
            return JudgeScore(1.0, True, "marker found")
        if partial is not None and partial in response:
            return JudgeScore(0.5, False, "partial")
        return JudgeScore(0.0, False, None)

    return rate
