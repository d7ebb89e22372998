"""``anthropic:<model>``: Anthropic's Messages API, spoken directly.

Not the ``anthropic`` SDK: it costs about 0.9 s of import time on every run that loads this
target, and its own retry loop would have to be switched off anyway, because the runner owns
retries, backoff and ``Retry-After``. One POST to ``/v1/messages`` is all we need; errors map
onto ``TargetError`` kinds here so the runner stays generic.

Requests go through ``accord.targets._http.Transport``, as for ``openai:``: the lean
``accord.targets._wire`` client with one keep-alive connection per unit of concurrency, or
httpx when an ``HTTP(S)_PROXY``/``ALL_PROXY`` variable applies. Not a shared
``httpx.AsyncClient``: its pool rescans every connection per request, ~15 CPU-s per 1,000
requests at concurrency 100 on the 2-core dev machine (README, "Measured figures").
"""

from __future__ import annotations

import json
import os
from typing import Any

from accord.errors import AccordError
from accord.records import ErrorKind, Message
from accord.targets._http import JsonApiTarget, json_headers, status_error
from accord.targets._spec import check_http_url
from accord.targets._target import Completion, GenParams, RequestContext, TargetError, TargetSpec
from accord.targets._wire import Reply

DEFAULT_BASE_URL = "https://api.anthropic.com"
DEFAULT_KEY_ENV = "ANTHROPIC_API_KEY"
API_VERSION = "2023-06-01"
KNOWN_OPTIONS = ("api_key_env", "base_url", "max_connections", "max_response_bytes", "ca_bundle")
DEFAULT_MAX_CONNECTIONS = 100
# Anthropic's stop reasons, in the vocabulary the other providers use.
FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length"}


def error_for(reply: Reply) -> TargetError:
    """The ``TargetError`` for a non-2xx reply (the shared table in ``accord.targets._http``).

    529 "overloaded" is a 5xx, so retryable. Anthropic's ``x-should-retry: true|false``
    header, when present, overrides the table. ``reply.headers`` has lower-case names.
    """
    try:
        detail = json.loads(reply.body)["error"]
        message = f"{detail.get('type', 'error')}: {detail.get('message', '')}"[:300]
    except Exception:
        message = reply.body[:300].decode("utf-8", "replace")
    error = status_error(reply.status, message, reply.headers)
    should_retry = reply.headers.get("x-should-retry")
    if should_retry in ("true", "false"):
        error.retryable = should_retry == "true"
    return error


def request_body(model: str, messages: list[Message], params: GenParams) -> dict[str, Any]:
    """The Messages API body. System turns (wherever they are) join the ``system`` field.

    ``seed`` has no equivalent in the API and is not sent; ``top_p`` is sent only when set,
    since newer models reject ``temperature`` and ``top_p`` together.
    """
    body: dict[str, Any] = {
        "model": model,
        "max_tokens": params.max_tokens,
        "temperature": params.temperature,
        "messages": [{"role": m.role, "content": m.content} for m in messages if m.role != "system"],
    }
    system = [m.content for m in messages if m.role == "system"]
    if system:
        body["system"] = "\n\n".join(system)
    if params.top_p is not None:
        body["top_p"] = params.top_p
    return body


def parse_completion(data: Any) -> Completion:
    """A ``Completion`` from a Messages API reply; ``stop_reason == "refusal"`` is a block."""
    try:
        blocks = data["content"]
        stop = data.get("stop_reason")
        usage = data.get("usage") or {}
        text = "".join(b.get("text", "") for b in blocks if b.get("type") == "text")
        model = data.get("model")
    except (KeyError, TypeError, AttributeError) as exc:
        raise TargetError(ErrorKind.bad_response, f"not a Messages API reply: {exc!r}", retryable=True) from exc
    blocked = stop == "refusal"
    return Completion(
        text=None if blocked else text,
        finish_reason=FINISH.get(stop, stop),
        blocked=blocked,
        input_tokens=usage.get("input_tokens"),
        output_tokens=usage.get("output_tokens"),
        model_version=model,
    )


class AnthropicTarget(JsonApiTarget):
    """Claude models through ``POST {base_url}/v1/messages``."""

    def __init__(
        self,
        spec: TargetSpec,
        *,
        api_key: str,
        base_url: str,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        max_response_bytes: int | None = None,
        ca_bundle: str | None = None,
        key_env: str = DEFAULT_KEY_ENV,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        headers = json_headers(("x-api-key", api_key), ("anthropic-version", API_VERSION))
        super().__init__(
            spec,
            self.base_url + "/v1/messages",
            headers,
            max_connections,
            max_response_bytes=max_response_bytes,
            ca_bundle=ca_bundle,
            header_fields={"x-api-key": f"${key_env} (the API key)"},
        )
        # The server reports the exact snapshot it ran, e.g. an alias's dated id.
        self.digest_base = f"anthropic:{self.model}"

    async def generate(self, messages: list[Message], params: GenParams, *, context: RequestContext | None = None) -> Completion:
        data = await self._post(request_body(self.model, messages, params), params.timeout_s, error_for)
        completion = parse_completion(data)
        self._saw_model(completion.model_version)
        return completion


def display_name(spec: TargetSpec) -> str:
    """The model name: ``anthropic:claude-x`` -> ``claude-x``."""
    return spec.model


def create(spec: TargetSpec, **options: Any) -> AnthropicTarget:
    """``anthropic:<model>``. Options: ``api_key_env`` (default ``ANTHROPIC_API_KEY``),
    ``base_url`` (default ``spec.endpoint``, then ``$ANTHROPIC_BASE_URL``, then the public API)
    ``max_connections`` (the pool size; the runner sets it with ``set_concurrency``),
    ``max_response_bytes`` (default 8 MiB) and ``ca_bundle`` (a PEM file of extra CAs).
    """
    merged = {**spec.options, **{k: v for k, v in options.items() if v is not None}}
    unknown = sorted(set(merged) - set(KNOWN_OPTIONS))
    if unknown:
        raise AccordError(
            f"anthropic target does not take option(s) {', '.join(unknown)}",
            fix="known: " + ", ".join(KNOWN_OPTIONS),
        )
    if not spec.model:
        raise AccordError("anthropic target needs a model: anthropic:<model>", fix="e.g. anthropic:claude-sonnet-4-5")
    key_env = str(merged.get("api_key_env") or DEFAULT_KEY_ENV)
    api_key = os.environ.get(key_env)
    if not api_key:
        raise AccordError(
            f"the anthropic target needs an API key in ${key_env}, which is not set",
            fix=f"export {key_env}=… (or name another variable with --api-key-env)",
        )
    if merged.get("base_url"):
        base_url, field = str(merged["base_url"]), "base_url"
    elif spec.endpoint:
        base_url, field = str(spec.endpoint), "--target"
    elif os.environ.get("ANTHROPIC_BASE_URL"):
        base_url, field = os.environ["ANTHROPIC_BASE_URL"], "ANTHROPIC_BASE_URL"
    else:
        base_url, field = DEFAULT_BASE_URL, "base_url"
    check_http_url(base_url, base_url, expected="http(s)://host[:port]", field=field)
    max_connections = int(merged.get("max_connections") or DEFAULT_MAX_CONNECTIONS)
    return AnthropicTarget(
        spec,
        api_key=api_key,
        base_url=base_url,
        max_connections=max_connections,
        max_response_bytes=merged.get("max_response_bytes"),
        ca_bundle=merged.get("ca_bundle"),
        key_env=key_env,
    )
