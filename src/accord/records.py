"""The records every stage passes along (DESIGN.md, "Core records").

They live in one dependency-free module so that the runner, the store, the judges and the
frameworks agree on them without importing each other (DESIGN.md's base row): the test case
(``Item``, ``Suite`` and the suite digest), everything keyed by a response (``Message``,
``Response``, ``Label``, ``ResponseKey``, ``ErrorKind``) and the ``variant_id`` format.
``accord.suites`` re-exports ``Item``, ``Suite`` and ``digest_items`` for its users.

The suite digest is what an attestation binds a result to, so it must not depend on file
formatting, key order or how the suite was loaded: it is the sha256 of the RFC 8785
canonical JSON of the item list (``rfc8785``), each item without its ``source`` field (where
a row came from is provenance, not content: the same prompts loaded from CSV or JSONL must
hash the same). ``tests/unit/test_pinned_digests.py`` pins it to literal values.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Literal, NamedTuple, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Role = Literal["system", "user", "assistant"]
Intent = Literal["harmful", "benign", "contested"]
RefusalLevel = Literal["full", "partial", "none"]


def utcnow() -> datetime:
    return datetime.now(UTC)


class Message(BaseModel):
    """One chat turn, as sent to a target."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    role: Role
    content: str


DIGEST_EXCLUDES = frozenset({"source"})
#: Item fields added after suites were first digested: left out of the digest while unset.
OPTIONAL_DIGEST_FIELDS = ("family", "pair", "framing", "persona", "subtype", "canary", "expect", "contrast_of")

#: What an item may expect of a model under one pack: the pack vocabulary (``refuse``,
#: ``comply``, ``either``, ``comply_with_label``) plus ``answer_with_position``: answer, and
#: state the position the framework requires (``Expectation.position``).
ExpectedBehaviour = Literal["refuse", "comply", "either", "comply_with_label", "answer_with_position"]


class Expectation(BaseModel):
    """What one pack requires of a model on one item, and which clause of it says so.

    Divergence items state this per pack instead of leaving it to a coarse hazard (issue 17):
    the same political question can be should-refuse under one framework, should-answer under
    another, and should-answer-with-a-stance under a third. ``clause`` is a clause id of that
    pack (``Pack.clauses``); a suite test checks the clause really covers the item.
    ``answer_with_position`` needs ``position`` (the stance, in the item's language) and
    ``markers``: phrases any of which shows an answer states it; ``against``: phrases that show
    it argues the opposite. The label stage applies that rubric (``accord.judges.position``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    pack: str = Field(min_length=1)
    behaviour: ExpectedBehaviour
    clause: str | None = None
    position: str | None = None
    markers: tuple[str, ...] = ()
    against: tuple[str, ...] = ()

    @field_validator("markers", "against")
    @classmethod
    def _phrases(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not m.strip() for m in value):
            raise ValueError("empty marker phrase")
        return value

    @model_validator(mode="after")
    def _position_fields(self) -> Expectation:
        if self.behaviour == "answer_with_position" and (not self.position or not self.markers):
            raise ValueError(f"pack {self.pack}: answer_with_position needs a 'position' and at least one marker")
        if self.behaviour != "answer_with_position" and (self.position or self.markers or self.against):
            raise ValueError(f"pack {self.pack}: position and markers belong to answer_with_position only")
        return self


class Item(BaseModel):
    """One test case: a conversation to send, and what it probes."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    suite_id: str
    item_id: str = Field(min_length=1)
    messages: tuple[Message, ...] = Field(min_length=1)
    hazard: str = "benign"
    intent: Intent = "harmful"
    locale: str = "en"
    answer: str | None = None
    source: str | None = None
    tags: tuple[str, ...] = ()
    #: The statistical unit: near-variants of one request (another wrapper, framing or wording)
    #: share a family, and rates and bounds count families, not rows.
    family: str | None = None
    #: The item id of this item's parallel twin in another language (symmetric).
    pair: str | None = None
    #: How the request is put (direct, fictional, academic, authority, role-play, multi-turn,
    #: obfuscated, ordinary-user), who asks (AILuminate persona: normal, unskilled, skilled),
    #: and the hazard's sub-type (e.g. chemical, biological, radiological, nuclear, explosive).
    framing: str | None = None
    persona: str | None = None
    subtype: str | None = None
    #: A fixed GUID on every shipped item, so a suite leaking into training data can be found.
    canary: str | None = None
    #: Per-pack expected behaviour (issue 17), overriding the pack's hazard rule for this item;
    #: at most one per pack id. ``None``: the packs' hazard rules apply.
    expect: tuple[Expectation, ...] | None = None
    #: Over-refusal items: the id of the unsafe twin of the same wording (``suite/item`` when it
    #: lives in another suite), so a model's answer here reads against its answer there.
    contrast_of: str | None = None

    @field_validator("expect", mode="before")
    @classmethod
    def _expect_mapping(cls, value: Any) -> Any:
        """JSONL writes ``{"<pack>": {"behaviour": ...}}``; stored it is a tuple sorted by pack."""
        if isinstance(value, Mapping):
            value = [{"pack": k, **v} if isinstance(v, Mapping) else {"pack": k, "behaviour": v} for k, v in value.items()]
        if isinstance(value, (list, tuple)):
            packs = [e["pack"] if isinstance(e, Mapping) else getattr(e, "pack", None) for e in value]
            if len(set(packs)) != len(packs):
                raise ValueError("an item states at most one expectation per pack")
            value = sorted(value, key=lambda e: str(e["pack"] if isinstance(e, Mapping) else e.pack))
            return tuple(value) or None
        return value

    def expectation(self, pack_id: str) -> Expectation | None:
        """This item's expectation under ``pack_id`` (``None``: the pack's hazard rule applies)."""
        return next((e for e in self.expect or () if e.pack == pack_id), None)

    @field_validator("messages")
    @classmethod
    def _last_turn_is_user(cls, value: tuple[Message, ...]) -> tuple[Message, ...]:
        if value[-1].role != "user":
            raise ValueError("the last message must be a user turn")
        for m in value:
            if not m.content.strip():
                raise ValueError(f"empty {m.role} message")
        return value

    @property
    def prompt(self) -> str:
        """The last user turn: what most judges read as "the request"."""
        return self.messages[-1].content

    def canonical(self) -> dict[str, Any]:
        """The item as it enters the suite digest: JSON data without provenance."""
        data = self.model_dump(mode="json", exclude=set(DIGEST_EXCLUDES))
        for name in OPTIONAL_DIGEST_FIELDS:  # absent when unset, so older suites keep their digests
            if data.get(name) is None:
                data.pop(name, None)
        return data


def _canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical JSON (imported late: only digests need it)."""
    import rfc8785

    return rfc8785.dumps(value)


def digest_items(items: Iterable[Item]) -> str:
    """``sha256:<hex>`` over the RFC 8785 canonical JSON array of the items, in order."""
    payload = _canonical_json([item.canonical() for item in items])
    return "sha256:" + hashlib.sha256(payload).hexdigest()


class Suite(BaseModel):
    """A named, ordered collection of items with its digest."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)
    suite_id: str
    items: tuple[Item, ...]
    description: str = ""
    source: str = ""

    @property
    def digest(self) -> str:
        return digest_items(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def hazards(self) -> dict[str, int]:
        """Items per hazard id, sorted by id."""
        out: dict[str, int] = {}
        for item in self.items:
            out[item.hazard] = out.get(item.hazard, 0) + 1
        return dict(sorted(out.items()))

    def locales(self) -> dict[str, int]:
        """Items per locale, sorted by locale."""
        out: dict[str, int] = {}
        for item in self.items:
            out[item.locale] = out.get(item.locale, 0) + 1
        return dict(sorted(out.items()))


# --- variant ids ---------------------------------------------------------------------------
#
# A response's ``variant_id`` names the transform an attack applied to the item, so that the
# same attack with the same parameters gets the same id in every run (and resumes), and a
# different parameter set gets a different one. Format:
#
#     none                       the plain item, no attack
#     <attack-id>-<12 hex>       the attack id, "-", the first 12 hex digits of the sha256
#                                of the RFC 8785 canonical JSON of its parameters
#
# Attack ids are lowercase ``[a-z0-9]`` words joined by ``-`` or ``_`` (``base64``,
# ``role-play``); the digest is fixed-width, so the id is split at its last ``-``. 48 bits
# keep accidental collisions out of reach for the few parameter sets one attack is run with.

NO_VARIANT = "none"
VARIANT_DIGEST_LEN = 12
_ATTACK_ID = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")
_VARIANT_ID = re.compile(rf"(?P<attack>{_ATTACK_ID.pattern})-(?P<digest>[0-9a-f]{{{VARIANT_DIGEST_LEN}}})")


class VariantId(NamedTuple):
    """A parsed ``variant_id``: the attack id and its parameters' digest (``""`` for ``none``)."""

    attack: str
    digest: str


def variant_id(attack: str, params: Mapping[str, Any] | None = None) -> str:
    """The ``variant_id`` of ``attack`` run with ``params``; ``none`` for the plain item.

    >>> variant_id("base64", {"layers": 2})
    'base64-868b289781a5'
    """
    if attack == NO_VARIANT:
        if params:
            raise ValueError("the plain item ('none') takes no parameters")
        return NO_VARIANT
    if not _ATTACK_ID.fullmatch(attack):
        raise ValueError(f"attack id {attack!r}: expected lowercase [a-z0-9] words joined by '-' or '_'")
    digest = hashlib.sha256(_canonical_json(dict(params or {}))).hexdigest()[:VARIANT_DIGEST_LEN]
    return f"{attack}-{digest}"


def parse_variant_id(value: str) -> VariantId:
    """Split a ``variant_id`` into (attack id, digest); ``ValueError`` names a bad one."""
    if value == NO_VARIANT:
        return VariantId(NO_VARIANT, "")
    match = _VARIANT_ID.fullmatch(value)
    if match is None:
        raise ValueError(
            f"variant id {value!r}: expected 'none' or '<attack-id>-<{VARIANT_DIGEST_LEN} lowercase hex>'"
            " (attack id: lowercase [a-z0-9] words joined by '-' or '_')"
        )
    return VariantId(match["attack"], match["digest"])


class ResponseKey(NamedTuple):
    """Identifies one generation; written once, skipped on resume.

    DESIGN.md keys a response by (run, item, variant, epoch). Item ids are only unique within
    a suite, and a run may combine suites, so the suite id is part of the key too.
    """

    run_id: str
    suite_id: str
    item_id: str
    variant_id: str
    epoch: int


class ErrorKind(str, Enum):
    """Why a request produced no usable output. Each is ``unassessed``, never "refused"."""

    timeout = "timeout"
    connection = "connection"
    rate_limited = "rate_limited"
    server_error = "server_error"
    client_error = "client_error"
    auth = "auth"
    bad_response = "bad_response"
    missing_record = "missing_record"  # replay: no recorded response for this item
    internal = "internal"


class Response(BaseModel):
    """A stored generation. ``blocked`` marks provider refusals/content filters (not errors)."""

    model_config = ConfigDict(extra="forbid")
    run_id: str
    suite_id: str
    item_id: str
    variant_id: str = "none"
    epoch: int = 0
    messages: list[Message]
    output: str | None = None
    finish_reason: str | None = None
    blocked: bool = False
    latency_s: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    model_version: str | None = None
    error_kind: ErrorKind | None = None
    error: str | None = None
    attempts: int = 1
    cached: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    #: "produced" (sent to the target by this run), "reused" (from the response cache) or
    #: "imported" (read from another tool's log, issue 18; ``source_run`` is then
    #: ``<tool>:sha256:<hex of the log file>``); None when read from a store that did not
    #: record it (shown as unknown).
    provenance: Literal["produced", "reused", "imported"] | None = None
    source_run: str | None = None  # the run that produced a reused answer, or the imported log (None: unknown)
    source_created_at: datetime | None = None  # when a reused answer was first produced
    #: What an attack did to get this response (issue 19): its spec, every attacker prompt,
    #: target turn and judge score of a multi-turn strategy, and the queries each helper
    #: took (``accord.attacks.AttackTrace.to_dict``). ``None`` for a plain item.
    attack: dict[str, Any] | None = None

    @property
    def key(self) -> ResponseKey:
        return ResponseKey(self.run_id, self.suite_id, self.item_id, self.variant_id, self.epoch)

    @property
    def status(self) -> Literal["ok", "blocked", "error"]:
        if self.error_kind is not None:
            return "error"
        if self.blocked:
            return "blocked"
        return "ok"


class Label(BaseModel):
    """A judge's reading of one response. Tri-state: ``unassessed`` is its own outcome.

    When ``unassessed`` is set (errored, blocked, empty, or unparseable judgement),
    ``refusal`` and ``harmful`` are ``None`` and must never be read as safe or refused.
    """

    model_config = ConfigDict(extra="forbid")
    run_id: str
    suite_id: str
    item_id: str
    variant_id: str = "none"
    epoch: int = 0
    judge_id: str
    judge_version: str
    refusal: RefusalLevel | None = None
    harmful: bool | None = None
    score: float | None = None
    rationale: str | None = None
    unassessed: str | None = None  # the reason, e.g. "error:timeout", "blocked", "empty", "unparseable"
    #: Facts about the response a reader should see beside the label, which do not change it:
    #: ``other-language`` (answered in another language than the request), ``cut-off`` (stopped
    #: at the token limit). Sorted, no repeats.
    flags: list[str] = Field(default_factory=list)
    created_at: datetime = Field(default_factory=utcnow)

    @property
    def key(self) -> ResponseKey:
        return ResponseKey(self.run_id, self.suite_id, self.item_id, self.variant_id, self.epoch)


# --- the judge attack strategies call --------------------------------------------------------
#
# Multi-turn attacks (PAIR, TAP, Crescendo) need a judge's opinion of each reply to decide
# their next move. ``accord.attacks`` may not import ``accord.judges`` (DESIGN.md), so the two
# meet here: ``accord.judges.attack_judge`` adapts any judge to this protocol and the pipeline
# hands it to the runner.


class JudgeScore(NamedTuple):
    """A judge's reading of one reply to an attack objective.

    ``score`` runs from 0 (a full refusal) to 1 (did what the objective asks); ``success`` is
    the judge's yes/no; ``None`` score means the judge could not assess the reply (``reason``).
    """

    score: float | None
    success: bool
    reason: str | None = None


@runtime_checkable
class AttackJudge(Protocol):
    """What an attack strategy may ask of a judge: how far ``response`` fulfils ``objective``."""

    judge_id: str

    async def rate(self, objective: str, response: str) -> JudgeScore: ...
