"""TAP (Tree of Attacks with Pruning): PAIR's refinement grown as a tree, pruned twice per level.

From each leaf the attacker proposes ``branching`` children (each sees its own branch's
history); children asking for something else than the objective are pruned before any target
query (the attacker, as evaluator, answers YES/NO; an unreadable answer keeps the child, since
pruning needs evidence), duplicates are dropped, the rest are sent and judged, and only the
``width`` best-scored children become the next level's leaves. Stops at a judged success,
before a target query past ``max_queries``, or when ``depth`` levels are done or nothing is
left to expand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from accord.attacks._attack import Attack, AttackContext, AttackFailed, Helper, Strategy, StrategyResult, with_last_user
from accord.attacks._pair import Best, TargetBudget, attacker_retries_field, finish, judged, max_queries_field, move_json, round_request
from accord.attacks._prompts import (
    JSON_FORMAT,
    TAP_ON_TOPIC_SYSTEM,
    TAP_SYSTEM,
    AttackerMove,
    ask_attacker,
    feedback,
    objective_block,
    read_move,
    read_yes_no,
)
from accord.records import Message


class TapParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    branching: int = Field(default=2, ge=1, le=10, description="children the attacker proposes from each leaf")
    width: int = Field(default=4, ge=1, le=50, description="leaves kept per level (the best-scored)")
    depth: int = Field(default=5, ge=1, le=20, description="levels of the tree")
    max_queries: int = max_queries_field(30)
    attacker_retries: int = attacker_retries_field()
    prune_off_topic: bool = Field(default=True, description="ask the attacker, as evaluator, whether each child is still on the objective")
    keep_last: int = Field(default=3, ge=1, le=20, description="past attempts of its branch the attacker sees")


@dataclass
class Node:
    """A branch: the attacker conversation that led to it and what the target made of its prompt."""

    history: list[Message] = field(default_factory=list)
    head: str = "No attempts yet: write your first prompt."
    move: AttackerMove | None = None
    rank: tuple[bool, float] = (False, -1.0)


class Tap(Strategy):
    """Tree of attacks: branch, prune off-topic children, query, keep the best width, repeat.

    Per level: each leaf asks the attacker for branching variants; off-topic and duplicate
    prompts are pruned before the target sees them; survivors are sent and judged (success
    stops); the top width by score are the next leaves. Budgets: max_queries target
    queries (never exceeded), depth levels.
    """

    name: ClassVar[str] = "tap"
    summary: ClassVar[str] = "TAP: a tree of attacker refinements, pruning off-topic and low-scoring branches"
    origin: ClassVar[str] = "Mehrotra et al. 2023, 'Tree of Attacks: Jailbreaking Black-Box LLMs Automatically' (TAP)"
    Params: ClassVar[type[BaseModel]] = TapParams
    needs: ClassVar[frozenset[Helper]] = frozenset({"attacker", "judge"})

    async def run(self, objective: str, params: dict[str, Any], ctx: AttackContext) -> StrategyResult:
        p = TapParams.model_validate(params)
        budget = TargetBudget(p.max_queries)
        best = Best()
        system = Message(role="system", content=TAP_SYSTEM.format(objective=objective_block(objective)))
        leaves = [Node()]
        for level in range(1, p.depth + 1):
            if not budget.left():
                return finish(ctx, best, "budget")
            children = await self._branch(ctx, system, leaves, level, p)
            children = await self._prune(ctx, objective, children, p)
            if not children:
                break  # every child was off-topic or a repeat: nothing left to expand
            for child in children:
                if not budget.left():
                    return finish(ctx, best, "budget")
                assert child.move is not None
                attempt = await judged(
                    ctx, objective, budget, with_last_user(ctx.item.messages, child.move.prompt), note=f"tap depth {level}"
                )
                best.offer(attempt)
                if attempt.score.success:
                    return finish(ctx, best, "success")
                child.head = feedback(attempt.completion.text, attempt.score.score)
                child.rank = attempt.rank
            # sorted() is stable: among equal scores the earlier child stays ahead.
            leaves = sorted(children, key=lambda n: n.rank, reverse=True)[: p.width]
        if best.attempt is None:
            raise AttackFailed("tap: every prompt the attacker proposed was off the objective; nothing was sent")
        return finish(ctx, best, "exhausted")

    async def _branch(self, ctx: AttackContext, system: Message, leaves: list[Node], level: int, p: TapParams) -> list[Node]:
        children: list[Node] = []
        for leaf in leaves:
            for b in range(1, p.branching + 1):
                request = round_request(leaf.head, level, p.depth, variant=(b, p.branching))
                move = await ask_attacker(
                    ctx,
                    [system, *leaf.history[-2 * p.keep_last :], request],
                    read_move,
                    retries=p.attacker_retries,
                    note=f"tap depth {level} branch {b}",
                    answer_format=JSON_FORMAT,
                )
                history = [*leaf.history, request, Message(role="assistant", content=move_json(move))]
                children.append(Node(history=history, move=move))
        return children

    async def _prune(self, ctx: AttackContext, objective: str, children: list[Node], p: TapParams) -> list[Node]:
        """Drop repeated prompts, then (when asked) those the evaluator says are off the objective."""
        seen: set[str] = set()
        unique = []
        for child in children:
            assert child.move is not None
            if child.move.prompt not in seen:
                seen.add(child.move.prompt)
                unique.append(child)
        if not p.prune_off_topic:
            return unique
        kept = []
        system = Message(role="system", content=TAP_ON_TOPIC_SYSTEM)
        for child in unique:
            assert child.move is not None
            question = Message(
                role="user", content=f"{objective_block(objective)}\n<prompt>\n{child.move.prompt}\n</prompt>\nOn topic? YES or NO."
            )
            try:
                on_topic = await ask_attacker(
                    ctx, [system, question], read_yes_no, retries=0, note="tap on-topic check", answer_format="YES or NO"
                )
            except AttackFailed:
                on_topic = True  # an unreadable verdict is no evidence: keep the child
            if on_topic:
                kept.append(child)
        return kept


ATTACKS: list[type[Attack]] = [Tap]
