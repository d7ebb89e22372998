"""The runner's side of an attack: the ``AttackContext`` one rewrite or strategy unit runs in.

A rewrite or strategy variant is one coroutine per (item, variant, epoch) unit, run by a
runner worker like any plain request, so the run's concurrency bounds it. Every call it makes
goes through ``Engine.request``: the target under test with the run's rate limit, adaptive
in-flight window, retries and time-outs; the attacker and translator with the same retries
and time-out, counted apart (``RunSummary.helper_requests``). The judge is the
``AttackJudge`` the pipeline built (``--attack-judge``).

Each call lands in the unit's ``AttackTrace`` (stored as ``Response.attack``): who was asked,
what they were sent last and what they replied, the judge's scores, and the queries per role.
A call that still fails after the retries raises ``HelperFailed``; the engine stores the unit
as that error (``attacker: ...`` when a helper failed), so it is unassessed with the reason.
Resume works per unit: a unit is stored once its coroutine ends, so an interrupted campaign
redoes only the units that had not finished.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from accord.attacks import AttackFailed, AttackTrace, Rewrite, Role, Strategy, Transform, VariantPlan, last_user_text, with_last_user
from accord.records import AttackJudge, Item, JudgeScore, Message
from accord.targets import Completion, RequestContext

if TYPE_CHECKING:
    from accord.runner._engine import Engine, Failed

#: What a trace keeps of one message or reply: enough to audit, bounded per step.
MAX_TRACE_TEXT = 20_000
#: Text a unit's whole trace keeps (a strategy at its largest budgets takes thousands of steps):
#: past it, steps are still recorded (role, scores, errors) but without their text.
MAX_TRACE_TOTAL = 2_000_000


class HelperFailed(Exception):
    """A request of an attack unit failed after the retries (carries the ``Failed``)."""

    def __init__(self, failed: Failed) -> None:
        super().__init__(str(failed.error))
        self.failed = failed


def _clip(text: str | None) -> str | None:
    if text is None or len(text) <= MAX_TRACE_TEXT:
        return text
    return text[:MAX_TRACE_TEXT] + f"... [{len(text) - MAX_TRACE_TEXT} more characters]"


class UnitContext:
    """``accord.attacks.AttackContext`` for one unit, backed by the engine."""

    def __init__(self, engine: Engine, item: Item, epoch: int, plan: VariantPlan, trace: AttackTrace) -> None:
        self.engine = engine
        self.item = item
        self.epoch = epoch
        self.plan = plan
        self.trace = trace
        digest = hashlib.sha256(f"{item.suite_id}\0{item.item_id}\0{plan.variant_id}\0{epoch}".encode()).digest()
        self.seed = int.from_bytes(digest[:8], "big")
        self.last_sent: tuple[Message, ...] | None = None  # the last messages sent to the target
        self.target_attempts = 0
        self._trace_chars = 0
        self._context = RequestContext.model_construct(
            suite_id=item.suite_id, item_id=item.item_id, variant_id=plan.variant_id, epoch=epoch
        )

    @property
    def judge(self) -> AttackJudge | None:
        return self.engine.attack_judge

    async def send(self, role: Role, messages: Sequence[Message], *, note: str | None = None) -> Completion:
        from accord.runner._engine import Failed

        if role == "target":
            target = None
        else:
            target = self.engine.helpers.get(role)
            if target is None:
                raise AttackFailed(f"{self.plan.attack} needs a{'n' if role == 'attacker' else ''} {role} target (--{role})")
        sent = list(messages)
        if role == "target":
            self.last_sent = tuple(sent)
        outcome = await self.engine.request(sent, self._context, target=target, role=role)
        step: dict[str, object] = {
            "role": role,
            "sent": self._text(sent[-1].content if sent else ""),
            "turns": sum(1 for m in sent if m.role == "user"),
        }
        if note:
            step["note"] = note
        if isinstance(outcome, Failed):
            step["error"] = f"{outcome.error.kind.value}: {str(outcome.error)[:300]}"
            self.trace.steps.append(step)
            raise HelperFailed(outcome)
        completion, attempts, _latency = outcome
        if role == "target":
            self.target_attempts += attempts
        step["reply"] = self._text(completion.text)
        if completion.blocked:
            step["blocked"] = True
        self.trace.steps.append(step)
        self.trace.count(role)
        return completion

    def _text(self, text: str | None) -> str | None:
        """``text`` clipped for the trace; ``None`` once the unit's trace is full (noted once)."""
        if text is None:
            return None
        if self._trace_chars >= MAX_TRACE_TOTAL:
            if not any(s.get("trace_full") for s in self.trace.steps[-3:]):
                self.trace.steps.append({"role": "note", "trace_full": True, "note": f"later steps keep no text: a trace holds {MAX_TRACE_TOTAL:,} characters at most"})
            return None
        clipped = _clip(text) or ""
        self._trace_chars += len(clipped)
        return clipped

    async def rate(self, objective: str, response: str) -> JudgeScore:
        """The attack judge's score, with the run's time-out and retries (a judge may be a model)."""
        judge = self.engine.attack_judge
        if judge is None:
            raise AttackFailed(f"{self.plan.attack} needs a judge (--attack-judge)")
        score = await self.engine.judge_call(judge, objective, response)
        if isinstance(score, HelperFailed):
            self.trace.steps.append({"role": "judge", "judge": judge.judge_id, "error": f"{score.failed.error.kind.value}: {str(score.failed.error)[:300]}"})
            raise score
        step: dict[str, object] = {"role": "judge", "judge": judge.judge_id, "score": score.score, "success": score.success}
        if score.reason:
            step["reason"] = score.reason[:500]
        self.trace.steps.append(step)
        self.trace.count("judge")
        return score


async def run_variant(plan: VariantPlan, item: Item, ctx: UnitContext) -> tuple[tuple[Message, ...], Completion]:
    """Apply a rewrite/strategy variant's steps to ``item``; (messages sent, final reply)."""
    text = last_user_text(item.messages)
    for step in plan.steps:
        attack = step.attack
        if isinstance(attack, Transform):
            text = attack.apply(text, step.params, item)
        elif isinstance(attack, Rewrite):
            text = await attack.rewrite(text, step.params, ctx)
        elif isinstance(attack, Strategy):
            result = await attack.run(text, step.params, ctx)
            return result.messages, result.completion
        else:  # pragma: no cover - plan_attacks only lets the three kinds through
            raise AttackFailed(f"{attack.name} is neither a transform, a rewrite nor a strategy")
    messages = with_last_user(item.messages, text)
    completion = await ctx.send("target", messages)
    return messages, completion
