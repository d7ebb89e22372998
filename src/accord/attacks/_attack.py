"""What an attack is: a transform, a rewrite by a helper model, or a multi-turn strategy.

Three kinds, because they cost different things and the runner drives them differently:

- ``Transform``: pure text -> text (base64, a jailbreak template, payload splitting). No
  request of its own; the runner applies it while it feeds units, so it adds only CPU.
- ``Rewrite``: text -> text by asking a helper target (the *translator* or the *attacker*):
  translation into a low-resource language, a past-tense or persuasive paraphrase. One extra
  request per variant, sent through the runner's retries and limits like any other.
- ``Strategy``: a conversation with the target driven by the attacker and a judge (PAIR, TAP,
  Crescendo), within per-item budgets of queries and turns. It runs as one coroutine per
  (item, variant, epoch) unit inside a runner worker.

Every attack declares its parameters as a pydantic model (``Params``), so a bad parameter is
refused with the field and what was expected, before anything is sent; ``expand`` turns one
parameter set into the parameter sets of its variants (``template:n=10`` makes ten), which
depend on the attack's parameters only, never on the item, so a run's variant ids are a fixed
list known before the first request (and its expected response count with them).

Strategies and rewrites reach helpers only through ``AttackContext``, which the runner
implements: they never hold a target or a judge, so the runner's concurrency, rate limits,
retries and time-outs cover every call, and every call is recorded in the ``AttackTrace``
stored with the response.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol

from pydantic import BaseModel, ConfigDict

from accord.errors import AccordError
from accord.records import AttackJudge, ErrorKind, Item, JudgeScore, Message
from accord.targets import Completion

AttackKind = Literal["transform", "rewrite", "strategy"]
#: The helpers an attack may need; the run refuses to start without them.
Helper = Literal["attacker", "translator", "judge"]
#: Who a context call goes to.
Role = Literal["target", "attacker", "translator"]


class NoParams(BaseModel):
    """The parameters of an attack that takes none."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class AttackFailed(AccordError):
    """An attack could not produce what it needs (a helper erred, or answered garbage).

    The runner stores the unit as an error response with ``kind`` and this message, so the
    label stage marks it unassessed with the reason: never a silent skip, never "refused".
    """

    def __init__(self, message: str, *, kind: ErrorKind = ErrorKind.bad_response, **extra: Any) -> None:
        super().__init__(message, **extra)
        self.kind = kind


@dataclass
class AttackTrace:
    """Every helper call an attack made for one unit, in order (stored as ``Response.attack``)."""

    attack: str  # the attack spec as the run names it, e.g. ``base64+template:slug=aim``
    steps: list[dict[str, Any]] = field(default_factory=list)
    queries: dict[str, int] = field(default_factory=dict)  # role -> requests that got a reply
    stop: str | None = None  # why a strategy stopped: success, budget, exhausted, ...
    best_score: float | None = None
    turns: int | None = None  # turns of the conversation the final reply ends

    def count(self, role: str) -> None:
        self.queries[role] = self.queries.get(role, 0) + 1

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"attack": self.attack, "queries": dict(sorted(self.queries.items()))}
        for key in ("stop", "best_score", "turns"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.steps:
            out["steps"] = self.steps
        return out


class AttackContext(Protocol):
    """What a rewrite or strategy may do for one unit; the runner implements it.

    ``send`` goes through the runner's limits and retries and raises ``TargetError`` when a
    request still fails (the unit is then stored as that error), ``AttackFailed`` when the
    role has no target. Every call and judge rating is appended to ``trace``.
    """

    item: Item
    epoch: int
    trace: AttackTrace
    seed: int  # stable per (item, variant, epoch): strategies that sample use it

    async def send(self, role: Role, messages: Sequence[Message], *, note: str | None = None) -> Completion: ...

    async def rate(self, objective: str, response: str) -> JudgeScore: ...

    @property
    def judge(self) -> AttackJudge | None: ...


@dataclass(frozen=True)
class StrategyResult:
    """What a strategy ends with: the conversation whose last reply is the unit's response."""

    messages: tuple[Message, ...]  # what was sent for the final reply (history included)
    completion: Completion  # the final reply
    success: bool | None = None  # the attack judge's verdict on it (None: no judge opinion)


class Attack(ABC):
    """Base of every attack. Subclasses set the class attributes and implement one method."""

    name: ClassVar[str]
    kind: ClassVar[AttackKind]
    summary: ClassVar[str]  # one line: what it does
    #: Where the idea comes from (paper, tool), for ``accord attacks show``.
    origin: ClassVar[str] = ""
    Params: ClassVar[type[BaseModel]] = NoParams
    #: The parameter a bare value sets: ``template:aim`` is ``template:slug=aim``.
    primary: ClassVar[str | None] = None
    needs: ClassVar[frozenset[Helper]] = frozenset()
    #: Where an attack that reads public data finds it (``--data-dir``; None: ACCORD_DATA_DIR).
    #: Set by ``plan_attacks`` on the instance; never part of the parameters or the variant id.
    data_dir: str | None = None

    def expand(self, params: BaseModel) -> list[dict[str, Any]]:
        """The parameter sets of the variants ``params`` stands for (default: just itself).

        Depends on the parameters only (never the item): a run's variants are fixed up front.
        """
        return [params.model_dump(mode="json", exclude_defaults=False)]

    def check(self) -> None:  # noqa: B027 - optional hook
        """Fail early (``AccordError``) when something the attack reads is missing."""


class Transform(Attack):
    """Pure text -> text: applied as the runner feeds units, no request of its own."""

    kind: ClassVar[AttackKind] = "transform"

    @abstractmethod
    def apply(self, text: str, params: dict[str, Any], item: Item) -> str:
        """The attacked form of ``text`` (the item's last user turn, or the previous step's output)."""


class Rewrite(Attack):
    """Text -> text by a helper target (translator or attacker): one extra request."""

    kind: ClassVar[AttackKind] = "rewrite"

    @abstractmethod
    async def rewrite(self, text: str, params: dict[str, Any], ctx: AttackContext) -> str:
        """Ask the helper for the rewritten ``text``; ``AttackFailed`` when it gives none."""


class Strategy(Attack):
    """A multi-turn conversation with the target, driven by the attacker and a judge."""

    kind: ClassVar[AttackKind] = "strategy"

    @abstractmethod
    async def run(self, objective: str, params: dict[str, Any], ctx: AttackContext) -> StrategyResult:
        """Attack until success or a budget runs out; return the conversation that ends best."""


def last_user_text(messages: Sequence[Message]) -> str:
    """The request an attack works on: the last user turn."""
    for m in reversed(messages):
        if m.role == "user":
            return m.content
    raise AccordError("an item without a user turn cannot be attacked")


def with_last_user(messages: Sequence[Message], text: str) -> tuple[Message, ...]:
    """``messages`` with the last user turn's content replaced by ``text``."""
    out = list(messages)
    for i in range(len(out) - 1, -1, -1):
        if out[i].role == "user":
            out[i] = Message(role="user", content=text)
            return tuple(out)
    raise AccordError("an item without a user turn cannot be attacked")
