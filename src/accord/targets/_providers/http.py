"""``http:<url>``: any JSON-over-HTTP chat API, with custom headers, a body template and a response path.

For APIs that are almost, but not quite, OpenAI's (Azure OpenAI's ``api-key`` header and
``?api-version=``, gateways, in-house services). Everything is in the spec string, after
``#`` (a URL fragment is never sent to the server), as ``key=value`` pairs joined by ``&``::

    http:https://acme.openai.azure.com/openai/deployments/gpt4o/chat/completions?api-version=2024-06-01#header.api-key=env:AZURE_KEY
    http:http://127.0.0.1:9000/generate#model=m&body=./body.json&response=output.text

- ``header.<Name>=env:<VAR>`` (or ``$<VAR>``): sent as ``<Name>``, its value read from
  ``$VAR`` when the target is built. The stored spec keeps only the variable's name, so
  secrets never reach the store, a report or an attestation. A literal value is allowed for
  harmless headers; for credential headers (``Authorization``, ``api-key``, ``x-api-key``, …)
  it is refused.
- ``model=<id>``: the ``{model}`` placeholder and the display name.
- ``body=<file.json>``: a JSON request template; default: OpenAI chat-completions.
  Placeholders: a string that is exactly ``"{messages}"``, ``"{temperature}"``, … becomes the
  typed value (``{messages}`` a list of ``{"role", "content"}``); inside longer strings they are
  substituted as text. ``{prompt}`` is the last user turn, ``{system}`` the system turns.
  A key whose value is a placeholder with no value (``{seed}`` unset) is left out.
- ``response=<path>``: where the text is in the reply, e.g. ``choices.0.message.content``
  (dots; integers index lists). Default: the reply is read as chat completions (finish
  reason, usage, content-filter blocks).

The same options may be passed to ``load_target`` (``headers={...}``, ``body=``,
``response=``, ``model=``). Requests go through ``accord.targets._http.Transport``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from accord.errors import AccordError, InputError
from accord.records import ErrorKind, Message
from accord.targets._http import SECRET_HEADERS, JsonApiTarget, json_headers, status_error
from accord.targets._spec import FIELD, check_http_url
from accord.targets._target import Completion, GenParams, RequestContext, TargetError, TargetSpec
from accord.targets._wire import Reply

KNOWN_OPTIONS = ("headers", "body", "response", "model", "max_connections", "max_response_bytes", "ca_bundle")
DEFAULT_MAX_CONNECTIONS = 100
EXPECTED = "http:<http(s)://host/path>[#model=…&header.<Name>=env:<VAR>&response=<path>&body=<file.json>]"
# SECRET_HEADERS (from accord.targets._http): headers whose value is a credential; a literal
# value would be stored with the run.
DEFAULT_BODY: dict[str, Any] = {
    "model": "{model}",
    "messages": "{messages}",
    "temperature": "{temperature}",
    "max_tokens": "{max_tokens}",
    "top_p": "{top_p}",
    "seed": "{seed}",
}
_ENV = re.compile(r"^(?:env:|\$)([A-Za-z_][A-Za-z0-9_]*)$")
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_PLACEHOLDER = re.compile(r"\{(model|messages|prompt|system|temperature|max_tokens|top_p|seed)\}")
_DROP = object()


def env_ref(value: str) -> str | None:
    """The variable a header value names (``env:VAR`` or ``$VAR``), or ``None`` for a literal."""
    m = _ENV.match(value.strip())
    return m.group(1) if m else None


def check_headers(headers: dict[str, str], raw: str) -> dict[str, str]:
    """Header name -> ``env:VAR`` or a harmless literal; refuses literal credentials."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        name = name.strip()
        if not _HEADER_NAME.match(name):
            raise InputError(f"bad header name {name!r}", field=FIELD, expected=EXPECTED, got=raw)
        var = env_ref(str(value))
        if var is None and name.lower() in SECRET_HEADERS:
            raise InputError(
                f"the {name} header would store a credential with the run",
                field=FIELD,
                got=f"header.{name}=<literal>",
                fix=f"name an environment variable instead: header.{name}=env:MY_KEY",
            )
        if var is None and any(c in str(value) for c in "\r\n\x00"):
            raise InputError(f"the {name} header value contains CR, LF or NUL", field=f"header.{name}", expected=EXPECTED)
        out[name] = f"env:{var}" if var else str(value)
    return out


def parse(rest: str, raw: str) -> TargetSpec:
    """``<url>[#options]`` (see the module docstring). Pure: a body file is read at ``create``."""
    url, _, fragment = rest.strip().partition("#")
    check_http_url(url, raw, expected=EXPECTED)
    options: dict[str, Any] = {}
    headers: dict[str, str] = {}
    for key, value in parse_qsl(fragment, keep_blank_values=True):
        if key.startswith("header."):
            headers[key.removeprefix("header.")] = value
        elif key in ("model", "response", "body"):
            options[key] = value
        else:
            raise InputError(f"unknown http target option '{key}'", field=FIELD, expected="model, response, body, header.<Name>", got=raw)
    if headers:
        options["headers"] = check_headers(headers, raw)
    model = str(options.pop("model", "") or "")
    return TargetSpec(provider="http", model=model, endpoint=url, options=options, raw=raw)


def display_name(spec: TargetSpec) -> str:
    """The ``model`` option, else the server's host name."""
    return spec.model or (urlsplit(spec.endpoint or "").hostname or spec.raw)


def _fill(template: Any, values: dict[str, Any]) -> Any:
    if isinstance(template, str):
        whole = _PLACEHOLDER.fullmatch(template)
        if whole:
            value = values[whole.group(1)]
            return _DROP if value is None else value

        def text(m: re.Match[str]) -> str:
            value = values[m.group(1)]
            if value is None:
                return ""
            return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)

        return _PLACEHOLDER.sub(text, template)
    if isinstance(template, dict):
        filled = {k: _fill(v, values) for k, v in template.items()}
        return {k: v for k, v in filled.items() if v is not _DROP}
    if isinstance(template, list):
        return [v for v in (_fill(x, values) for x in template) if v is not _DROP]
    return template


def request_body(template: Any, model: str, messages: list[Message], params: GenParams) -> Any:
    """The template with its placeholders filled for one request."""
    users = [m.content for m in messages if m.role == "user"]
    system = "\n\n".join(m.content for m in messages if m.role == "system")
    values: dict[str, Any] = {
        "model": model or None,
        "messages": [{"role": m.role, "content": m.content} for m in messages],
        "prompt": users[-1] if users else "",
        "system": system or None,
        "temperature": params.temperature,
        "max_tokens": params.max_tokens,
        "top_p": params.top_p,
        "seed": params.seed,
    }
    return _fill(template, values)


def extract(data: Any, path: str) -> Any:
    """The value at a dotted ``path`` (integers index lists); ``TargetError`` if absent."""
    here = data
    for part in path.split("."):
        try:
            here = here[int(part)] if isinstance(here, list) else here[part]
        except (KeyError, IndexError, TypeError, ValueError):
            raise TargetError(ErrorKind.bad_response, f"the reply has no '{path}' (stopped at '{part}')") from None
    return here


class HttpTarget(JsonApiTarget):
    """POST a filled template to ``url``; read the text at ``response`` (or as chat completions)."""

    def __init__(
        self,
        spec: TargetSpec,
        *,
        headers: list[tuple[str, str]],
        body: Any,
        response: str | None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        max_response_bytes: int | None = None,
        ca_bundle: str | None = None,
        header_fields: dict[str, str] | None = None,
    ) -> None:
        super().__init__(
            spec,
            str(spec.endpoint),
            json_headers(*headers),
            max_connections,
            max_response_bytes=max_response_bytes,
            ca_bundle=ca_bundle,
            header_fields=header_fields,
        )
        self.template = body
        self.response = response
        shape = json.dumps({"body": body, "response": response, "headers": spec.options.get("headers", {})}, sort_keys=True)
        self.digest_base = f"http:{spec.endpoint}#{spec.model};sha256:{hashlib.sha256(shape.encode()).hexdigest()[:16]}"

    async def generate(self, messages: list[Message], params: GenParams, *, context: RequestContext | None = None) -> Completion:
        payload = request_body(self.template, self.model, messages, params)
        data = await self._post(payload, params.timeout_s, _status_error)
        if self.response is None:
            from accord.targets._providers.openai import parse_completion

            completion = parse_completion(data)
            if isinstance(data, dict):
                self._saw_model(data.get("model"))
            return completion
        text = extract(data, self.response)
        if not isinstance(text, str):
            raise TargetError(ErrorKind.bad_response, f"'{self.response}' in the reply is {type(text).__name__}, not text")
        return Completion(text=text, finish_reason="stop")


def _status_error(reply: Reply) -> TargetError:
    from accord.targets._providers.openai import error_message

    return status_error(reply.status, error_message(reply.body), reply.headers)


def _load_body(value: Any) -> Any:
    if value is None or value == "" or value == "openai":
        return DEFAULT_BODY
    if isinstance(value, (dict, list)):
        return value
    text = str(value)
    if text.lstrip().startswith(("{", "[")):
        source, content = "body", text
    else:
        path = Path(text).expanduser()
        if not path.is_file():
            raise InputError("no such body template file", file=path, field="body", fix="give a JSON file, e.g. #body=./body.json")
        source, content = str(path), path.read_text(encoding="utf-8")
    try:
        return json.loads(content)
    except ValueError as exc:
        raise InputError(f"the body template is not JSON: {exc}", file=source, field="body") from exc


def _resolve_headers(headers: dict[str, str]) -> list[tuple[str, str]]:
    out = []
    for name, value in headers.items():
        var = env_ref(value)
        if var is None:
            out.append((name, value))
            continue
        secret = os.environ.get(var)
        if not secret:
            raise AccordError(
                f"the http target's {name} header reads ${var}, which is not set",
                fix=f"export {var}=…",
            )
        out.append((name, secret))
    return out


def create(spec: TargetSpec, **options: Any) -> HttpTarget:
    """Build the target; header values are read from the environment now, and only now."""
    unknown = sorted(set(options) - set(KNOWN_OPTIONS))
    if unknown:
        raise AccordError(f"http target does not take option(s) {', '.join(unknown)}", fix="known: " + ", ".join(KNOWN_OPTIONS))
    merged: dict[str, Any] = dict(spec.options)
    if options.get("headers"):
        merged["headers"] = {**merged.get("headers", {}), **check_headers(dict(options["headers"]), spec.raw)}
    for key in ("body", "response"):
        if options.get(key) is not None:
            merged[key] = options[key]
    model = str(options.get("model") or spec.model)
    body = _load_body(merged.get("body"))
    response = merged.get("response") or (None if body is DEFAULT_BODY else "choices.0.message.content")
    stored = {k: v for k, v in {"headers": merged.get("headers"), "body": body, "response": response}.items() if v}
    if body is DEFAULT_BODY:
        stored.pop("body")
    spec = spec.model_copy(update={"model": model, "options": stored})
    declared = dict(merged.get("headers") or {})
    headers = _resolve_headers(declared)
    fields = {name: (f"${var}" if (var := env_ref(v)) else f"header.{name}") for name, v in declared.items()}
    return HttpTarget(
        spec,
        headers=headers,
        body=body,
        response=response,
        max_connections=int(options.get("max_connections") or DEFAULT_MAX_CONNECTIONS),
        max_response_bytes=options.get("max_response_bytes"),
        ca_bundle=options.get("ca_bundle"),
        header_fields=fields,
    )
