"""``openai:<base-url>#<model>``: any OpenAI-compatible chat-completions server.

Not the ``openai`` SDK: it costs ~0.5 s of import on every run, CPU per request in its own
models, and its retry loop would fight the runner's. Requests go through
``accord.targets._http.Transport``: ``accord.targets._wire``, h11 under a lean keep-alive
pool with one connection slot per unit of concurrency (see that module for why not httpx:
~0.15 ms instead of ~0.8 ms of CPU per request, and no O(connections) pool scan), or ``httpx``
when an ``HTTP(S)_PROXY``/``ALL_PROXY`` variable applies to the server.

Digest: ``openai:<base-url>#<model>`` before any reply. Servers name the model that actually
answered (``model``) and OpenAI adds a ``system_fingerprint`` for the backend build; each
response stores ``model_version = "<model>"`` or ``"<model>/<fingerprint>"``, and once a reply
names a different model than the spec (an alias resolved to a snapshot), ``digest()`` gains
``@<served model>``. The fingerprint is not part of the digest because OpenAI rotates it
between requests of one run; it is kept per response instead. The runner binds the run to
the pre-request digest and records the served one in the run's metadata.
"""

from __future__ import annotations

import json
import os
from typing import Any

from accord.errors import AccordError, InputError
from accord.records import ErrorKind, Message
from accord.targets._http import JsonApiTarget, json_headers, status_error
from accord.targets._spec import FIELD, check_http_url
from accord.targets._target import Completion, GenParams, RequestContext, TargetError, TargetSpec
from accord.targets._wire import Reply

OPENAI_DEFAULT_BASE = "https://api.openai.com/v1"
DEFAULT_KEY_ENV = "OPENAI_API_KEY"
KNOWN_OPTIONS = ("api_key_env", "max_connections", "max_response_bytes", "ca_bundle")
DEFAULT_MAX_CONNECTIONS = 100


def _normalise_base_url(url: str, raw: str) -> str:
    parts = check_http_url(url, raw, expected="openai:<http(s)://host[:port]/path>#<model>")
    path = parts.path.rstrip("/")
    if not path:
        path = "/v1"  # every OpenAI-compatible server serves /v1/chat/completions
    return f"{parts.scheme}://{parts.netloc}{path}"


def parse(rest: str, raw: str) -> TargetSpec:
    """``<base-url>#<model>``, ``#<model>`` or ``<model>`` (OpenAI's own API). Pure."""
    if "#" in rest:
        base, model = rest.rsplit("#", 1)
        if not model.strip():
            raise InputError("the openai target names no model after '#'", field=FIELD, expected="openai:<base-url>#<model>", got=raw)
        endpoint = _normalise_base_url(base, raw) if base else OPENAI_DEFAULT_BASE
        return TargetSpec(provider="openai", model=model.strip(), endpoint=endpoint, raw=raw)
    if "://" in rest:
        check_http_url(rest, raw, expected="openai:<base-url>#<model>")  # credentials refused first
        raise InputError(
            "the openai target has a base URL but no model",
            field=FIELD,
            expected="openai:<base-url>#<model>",
            got=raw,
            fix=f"append the model name: {raw}#<model>",
        )
    return TargetSpec(provider="openai", model=rest.strip(), endpoint=OPENAI_DEFAULT_BASE, raw=raw)


def display_name(spec: TargetSpec) -> str:
    """The model name: ``openai:http://127.0.0.1:8000/v1#my-model`` -> ``my-model``."""
    return spec.model


def request_body(model: str, messages: list[Message], params: GenParams) -> dict[str, Any]:
    """The chat-completions body; ``top_p`` and ``seed`` are sent only when set."""
    body: dict[str, Any] = {
        "model": model,
        "messages": [{"role": m.role, "content": m.content} for m in messages],
        "temperature": params.temperature,
        "max_tokens": params.max_tokens,
    }
    if params.top_p is not None:
        body["top_p"] = params.top_p
    if params.seed is not None:
        body["seed"] = params.seed
    return body


def parse_completion(data: Any) -> Completion:
    """A ``Completion`` from a chat-completions reply.

    A reply without ``choices[0].message``, or whose ``content`` is missing (and not a block)
    or not a string, is a retryable ``bad_response`` error, never an empty answer.

    ``finish_reason == "content_filter"`` or a non-empty ``message.refusal`` is a provider
    block: ``blocked=True`` and no text (the refusal is the provider's, not the model's
    answer, and must not be judged as one).
    """
    try:
        choice = data["choices"][0]
        message = choice["message"]
        finish = choice.get("finish_reason")
        content = message.get("content")
        refusal = message.get("refusal")
        usage = data.get("usage") or {}
        model = data.get("model")
        fingerprint = data.get("system_fingerprint")
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        raise TargetError(ErrorKind.bad_response, f"not a chat-completions reply: {exc!r}", retryable=True) from exc
    if content is not None and not isinstance(content, str):
        raise TargetError(ErrorKind.bad_response, f"message.content is {type(content).__name__}, not text", retryable=True)
    blocked = finish == "content_filter" or bool(refusal)
    if content is None and not blocked and finish != "length":
        # No text and no block: a malformed reply, never a successful empty answer (which
        # would be judged and cached as the model's). A reasoning model that spent every
        # token thinking ends with finish_reason "length" and no content: that is its answer.
        raise TargetError(ErrorKind.bad_response, "the reply's choices[0].message has no content", retryable=True)
    version = None
    if model:
        version = f"{model}/{fingerprint}" if fingerprint else str(model)
    return Completion(
        text=None if blocked else (content or ""),
        finish_reason="refusal" if (refusal and finish != "content_filter") else finish,
        blocked=blocked,
        input_tokens=usage.get("prompt_tokens"),
        output_tokens=usage.get("completion_tokens"),
        model_version=version,
    )


def error_message(body: bytes) -> str:
    """The error text of a non-2xx reply: ``error.message`` (OpenAI, vLLM, llama.cpp) or
    ``message``/``detail`` when the body has one, else the start of the body.

    Cut to ~300 characters here and cleaned in ``status_error``; the target redacts secrets.
    """
    try:
        data = json.loads(body[:65536])
        err = data.get("error") if isinstance(data, dict) else None
        if isinstance(err, dict):
            return str(err.get("message") or err.get("type") or err)[:300]
        if err:
            return str(err)[:300]
        if isinstance(data, dict):
            for key in ("message", "detail"):
                if data.get(key):
                    return str(data[key])[:300]
    except Exception:
        pass
    return body[:300].decode("utf-8", "replace")


class OpenAITarget(JsonApiTarget):
    """Chat completions at ``POST {base_url}/chat/completions``."""

    def __init__(
        self,
        spec: TargetSpec,
        *,
        api_key: str | None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        max_response_bytes: int | None = None,
        ca_bundle: str | None = None,
        key_env: str = DEFAULT_KEY_ENV,
    ) -> None:
        self.base_url = (spec.endpoint or OPENAI_DEFAULT_BASE).rstrip("/")
        self._headers = json_headers(*([("Authorization", f"Bearer {api_key}")] if api_key else []))
        super().__init__(
            spec,
            self.base_url + "/chat/completions",
            self._headers,
            max_connections,
            max_response_bytes=max_response_bytes,
            ca_bundle=ca_bundle,
            header_fields={"Authorization": f"${key_env} (the API key)"},
        )
        self.digest_base = f"openai:{self.base_url}#{spec.model}"

    async def generate(self, messages: list[Message], params: GenParams, *, context: RequestContext | None = None) -> Completion:
        data = await self._post(request_body(self.model, messages, params), params.timeout_s, _status_error)
        completion = parse_completion(data)
        if isinstance(data, dict):
            self._saw_model(data.get("model"))
        return completion


def _status_error(reply: Reply) -> TargetError:
    return status_error(reply.status, error_message(reply.body), reply.headers)


def create(spec: TargetSpec, **options: Any) -> OpenAITarget:
    """``openai:<base-url>#<model>``. Options: ``api_key_env``, ``max_connections``,
    ``max_response_bytes`` (default 8 MiB) and ``ca_bundle`` (a PEM file of extra CAs).

    The key comes from ``$OPENAI_API_KEY`` (or the variable named by ``api_key_env``). Local
    servers (vLLM, Ollama, llama.cpp) need none, so a missing default key is only an error
    for OpenAI's own API; a variable named explicitly must be set.
    """
    unknown = sorted(set(options) - set(KNOWN_OPTIONS))
    if unknown:
        raise AccordError(f"openai target does not take option(s) {', '.join(unknown)}", fix="known: " + ", ".join(KNOWN_OPTIONS))
    key_env = options.get("api_key_env")
    if spec.endpoint:
        check_http_url(spec.endpoint, spec.raw, expected="openai:<http(s)://host[:port]/path>#<model>")
    if key_env:
        api_key = os.environ.get(str(key_env))
        if not api_key:
            raise AccordError(f"--api-key-env names ${key_env}, which is not set", fix=f"export {key_env}=…")
    else:
        api_key = os.environ.get(DEFAULT_KEY_ENV)
        if not api_key and (spec.endpoint or OPENAI_DEFAULT_BASE).startswith("https://api.openai.com"):
            raise AccordError(
                f"the openai target needs an API key in ${DEFAULT_KEY_ENV}, which is not set",
                fix=f"export {DEFAULT_KEY_ENV}=… (or name another variable with --api-key-env)",
            )
    return OpenAITarget(
        spec,
        api_key=api_key,
        max_connections=int(options.get("max_connections") or DEFAULT_MAX_CONNECTIONS),
        max_response_bytes=options.get("max_response_bytes"),
        ca_bundle=options.get("ca_bundle"),
        key_env=str(key_env or DEFAULT_KEY_ENV),
    )
