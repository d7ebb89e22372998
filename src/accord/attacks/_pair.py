"""PAIR (Prompt Automatic Iterative Refinement), and the bookkeeping every strategy shares.

PAIR runs ``n_streams`` independent attacker conversations for up to ``n_iterations``
rounds. Each round the attacker sees its previous prompt, the target's reply and the judge's
score, and answers ``{"improvement", "prompt"}``; the prompt is sent to the target alone (one
turn, replacing the item's request) and judged. It stops at the first judged success, when
the target-query budget is spent, or when the rounds run out, returning the best-scored
attempt. Streams run one after another within a unit (the runner runs units concurrently), so
a unit's trace is in a fixed order and the budget is never overshot.

The shared pieces (``TargetBudget``, ``Attempt``, ``Best``, ``finish``) live here because PAIR
is the simplest strategy; TAP and Crescendo import them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from accord.attacks._attack import Attack, AttackContext, Helper, Strategy, StrategyResult, with_last_user
from accord.attacks._prompts import (
    JSON_FORMAT,
    PAIR_SYSTEM,
    AttackerMove,
    ask_attacker,
    feedback,
    objective_block,
    read_move,
)
from accord.records import JudgeScore, Message
from accord.targets import Completion


def max_queries_field(default: int) -> Any:
    """The ``max_queries`` parameter every strategy has (a fresh field per model)."""
    return Field(default=default, ge=1, le=1000, description="most target queries per unit (never exceeded)")


def attacker_retries_field() -> Any:
    """The ``attacker_retries`` parameter every strategy has."""
    return Field(default=2, ge=0, le=10, description="extra attacker requests when a reply is unusable")


class TargetBudget:
    """Counts the strategy's own target queries so it can stop before ``max_queries``, never after."""

    def __init__(self, max_queries: int) -> None:
        self.max_queries = max_queries
        self.used = 0

    def left(self) -> bool:
        return self.used < self.max_queries

    async def send(self, ctx: AttackContext, messages: Sequence[Message], *, note: str) -> Completion:
        if not self.left():  # a strategy bug, not a runtime condition: fail loudly
            raise AssertionError(f"target budget of {self.max_queries} queries exceeded")
        self.used += 1
        return await ctx.send("target", messages, note=note)


@dataclass(frozen=True)
class Attempt:
    """One target reply, what was sent for it, and the judge's reading."""

    messages: tuple[Message, ...]
    completion: Completion
    score: JudgeScore

    @property
    def rank(self) -> tuple[bool, float]:
        return (self.score.success, -1.0 if self.score.score is None else self.score.score)


class Best:
    """The best attempt so far: judged success first, then the higher score.

    ``prefer_later`` breaks ties towards the later attempt (Crescendo: the deeper
    conversation); otherwise the earlier one stays.
    """

    def __init__(self) -> None:
        self.attempt: Attempt | None = None
        self.top_score: float | None = None

    def seen(self, score: JudgeScore) -> None:
        """Count a score towards ``top_score`` without making its attempt a candidate result."""
        if score.score is not None and (self.top_score is None or score.score > self.top_score):
            self.top_score = score.score

    def offer(self, attempt: Attempt, *, prefer_later: bool = False) -> None:
        self.seen(attempt.score)
        if self.attempt is None or attempt.rank > self.attempt.rank or (prefer_later and attempt.rank == self.attempt.rank):
            self.attempt = attempt


async def judged(ctx: AttackContext, objective: str, budget: TargetBudget, messages: Sequence[Message], *, note: str) -> Attempt:
    """Send ``messages`` to the target within the budget and have the judge rate the reply."""
    completion = await budget.send(ctx, messages, note=note)
    score = await ctx.rate(objective, completion.text or "")
    return Attempt(tuple(messages), completion, score)


def finish(ctx: AttackContext, best: Best, stop: str, *, fallback: Attempt | None = None) -> StrategyResult:
    """Record why the strategy stopped and return its best conversation."""
    attempt = best.attempt or fallback
    if attempt is None:  # every strategy sends at least once before it can stop
        raise AssertionError("a strategy stopped without any target reply")
    ctx.trace.stop = stop
    ctx.trace.best_score = best.top_score
    ctx.trace.turns = sum(1 for m in attempt.messages if m.role == "user")
    success: bool | None = attempt.score.success
    if attempt.score.score is None and not attempt.score.success:
        success = None  # the judge could not assess it: no opinion, not a failure
    return StrategyResult(attempt.messages, attempt.completion, success)


def move_json(move: AttackerMove) -> str:
    """The attacker's move as it is kept in its history (normalised, whatever wrapping it came in)."""
    return json.dumps({"improvement": move.improvement, "prompt": move.prompt}, ensure_ascii=False)


def round_request(head: str, round_no: int, rounds: int, *, variant: tuple[int, int] | None = None) -> Message:
    """The attacker's next request: feedback or a start line, then the round (and variant) it is in."""
    lines = [head, f"ROUND: {round_no} of {rounds}"]
    if variant is not None:
        lines.append(f"VARIANT: {variant[0]} of {variant[1]}")
    lines.append("Write the next prompt as " + JSON_FORMAT + ".")
    return Message(role="user", content="\n".join(lines))


class PairParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    n_streams: int = Field(default=3, ge=1, le=20, description="independent attacker conversations")
    n_iterations: int = Field(default=5, ge=1, le=50, description="refinement rounds per stream")
    max_queries: int = max_queries_field(20)
    attacker_retries: int = attacker_retries_field()
    keep_last: int = Field(default=3, ge=1, le=20, description="past attempts each stream's attacker sees (bounds its context)")


class Pair(Strategy):
    """Iterative refinement: attacker streams rewrite the prompt from the target's replies and the judge's scores.

    Round by round, stream by stream: ask the stream's attacker for {"improvement",
    "prompt"} (its last keep_last attempts with replies and scores as history), send the
    prompt as the item's request, judge the reply. Stops at the first judged success
    (stop=success), before a query past max_queries (budget) or after the last round
    (exhausted); the result is the best-scored attempt.
    """

    name: ClassVar[str] = "pair"
    summary: ClassVar[str] = "PAIR: attacker streams iteratively refine a prompt from the target's replies and judge scores"
    origin: ClassVar[str] = "Chao et al. 2023, 'Jailbreaking Black Box Large Language Models in Twenty Queries' (PAIR)"
    Params: ClassVar[type[BaseModel]] = PairParams
    needs: ClassVar[frozenset[Helper]] = frozenset({"attacker", "judge"})

    async def run(self, objective: str, params: dict[str, Any], ctx: AttackContext) -> StrategyResult:
        p = PairParams.model_validate(params)
        budget = TargetBudget(p.max_queries)
        best = Best()
        system = Message(role="system", content=PAIR_SYSTEM.format(objective=objective_block(objective)))
        histories: list[list[Message]] = [[] for _ in range(p.n_streams)]
        heads = ["No attempts yet: write your first prompt."] * p.n_streams
        for round_no in range(1, p.n_iterations + 1):
            for stream in range(p.n_streams):
                if not budget.left():
                    return finish(ctx, best, "budget")
                request = round_request(heads[stream], round_no, p.n_iterations)
                window = histories[stream][-2 * p.keep_last :]
                move = await ask_attacker(
                    ctx,
                    [system, *window, request],
                    read_move,
                    retries=p.attacker_retries,
                    note=f"pair stream {stream + 1} round {round_no}",
                    answer_format=JSON_FORMAT,
                )
                attempt = await judged(
                    ctx,
                    objective,
                    budget,
                    with_last_user(ctx.item.messages, move.prompt),
                    note=f"pair stream {stream + 1} round {round_no}",
                )
                best.offer(attempt)
                if attempt.score.success:
                    return finish(ctx, best, "success")
                histories[stream] += [request, Message(role="assistant", content=move_json(move))]
                heads[stream] = feedback(attempt.completion.text, attempt.score.score)
        return finish(ctx, best, "exhausted")


ATTACKS: list[type[Attack]] = [Pair]
