"""The Target protocol: anything that turns a conversation into a completion.

Providers raise ``TargetError`` with a kind and whether a retry may help; the runner stays
generic and never inspects provider-specific exceptions. A provider-side refusal or content
filter is *not* an error: it comes back as a ``Completion`` with ``blocked=True``.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from accord.records import ErrorKind, Message


class GenParams(BaseModel):
    """Generation parameters; part of the cache key, so keep them explicit."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    temperature: float = 0.0
    max_tokens: int = 512
    top_p: float | None = None
    seed: int | None = None
    timeout_s: float = 60.0


class RequestContext(BaseModel):
    """Who is asking. Only ``replay`` needs it (to find the recorded answer)."""

    model_config = ConfigDict(frozen=True)
    suite_id: str
    item_id: str
    variant_id: str = "none"
    epoch: int = 0


class Completion(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str | None
    finish_reason: str | None = None
    blocked: bool = False
    input_tokens: int | None = None
    output_tokens: int | None = None
    model_version: str | None = None


class TargetError(Exception):
    """A failed request. ``retryable`` errors are retried with backoff by the runner."""

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        retryable: bool = False,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.retryable = retryable
        self.retry_after_s = retry_after_s


class TargetSpec(BaseModel):
    """A parsed target string: ``provider:rest`` (see ``accord.targets.parse_target``).

    ``options`` hold what the provider needs besides the model (never a secret: an HTTP
    target's headers name environment variables, resolved when the target is built).
    ``name`` overrides the display name the provider would give (``display_name``).
    """

    model_config = ConfigDict(frozen=True)
    provider: str
    model: str
    endpoint: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    raw: str
    name: str | None = None

    def __str__(self) -> str:
        return self.raw

    @property
    def display_name(self) -> str:
        """A readable name for reports and listings: ``name``, else the provider's choice."""
        from accord.targets._registry import display_name

        return display_name(self)


@runtime_checkable
class Target(Protocol):
    spec: TargetSpec

    async def generate(
        self,
        messages: list[Message],
        params: GenParams,
        *,
        context: RequestContext | None = None,
    ) -> Completion: ...

    def digest(self) -> str:
        """Binds a run to the exact model: weights hash (hf), provider+model+version (APIs)."""
        ...

    async def aclose(self) -> None: ...
