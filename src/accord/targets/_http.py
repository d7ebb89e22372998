"""What the HTTP providers (``openai:``, ``anthropic:``) share: status mapping and transport.

``status_error`` maps an HTTP status to a ``TargetError``, keeping the server's own
explanation (``HTTP 404: model 'x' not found``), cleaned of control characters and cut to
``MAX_ERROR_CHARS``; ``JsonApiTarget`` then redacts the target's secrets and anything
credential-like from it (``accord.redact``), since error texts are stored and printed. The runner retries only what a
provider marks retryable, so this table is the whole retry policy of an HTTP target: 408,
409, 429 and 5xx may succeed later; other 4xx will not.

``Transport`` carries the requests: ``accord.targets._wire`` (see its docstring for why not
httpx: ~15 CPU-s per 1,000 requests at concurrency 100 in httpx's shared pool), or an httpx
client when an ``HTTP(S)_PROXY``/``ALL_PROXY`` variable applies, since ``_wire`` speaks no
proxy protocol. httpx is imported only on that path.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import os
import re
import ssl
import time
from collections.abc import Callable, Mapping
from typing import Any

from accord.errors import InputError
from accord.records import ErrorKind
from accord.redact import redact_all
from accord.targets._target import TargetError
from accord.targets._wire import (
    DEFAULT_MAX_RESPONSE_BYTES,
    Endpoint,
    Lanes,
    Reply,
    WireConnectionError,
    WireProtocolError,
    WireTimeout,
    WireTooLarge,
    tls_context,
)

MAX_RETRY_AFTER_S = 600.0
MAX_ERROR_CHARS = 300
#: Headers whose value is a credential (never stored; redacted from error texts).
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "api-key", "x-api-key", "cookie", "ocp-apim-subscription-key"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def clean_error_text(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    """A server's error text fit to store and print: no control characters, at most ``limit`` chars."""
    text = _CONTROL.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_header_values(headers: list[tuple[str, str]], fields: Mapping[str, str] | None = None) -> None:
    """Refuse, before anything is sent, a header that would split the request.

    A CR, LF, NUL or other control character in a value (typically an API key pasted with a
    newline) would add headers to every request. The error names where the value came from
    (``fields[name]``, e.g. ``$OPENAI_API_KEY``), never the value itself.
    """
    fields = fields or {}
    for name, value in headers:
        where = fields.get(name) or f"header {name}"
        if not _HEADER_NAME.match(name):
            raise InputError(f"bad HTTP header name {name!r}", field=where, expected="a token: letters, digits, -")
        if _BAD_VALUE.search(value):
            raise InputError(
                f"the {name} header value contains a control character (CR, LF or NUL); it is never sent",
                field=where,
                fix="remove the line break or stray character from the value (e.g. a key copied with a trailing newline)",
            )
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            raise InputError(f"the {name} header value has characters HTTP headers cannot carry", field=where) from None


def check_max_response_bytes(value: Any) -> int:
    """``max_response_bytes`` as a positive int; ``InputError`` on ``--max-response-bytes`` otherwise."""
    if value is None:
        return DEFAULT_MAX_RESPONSE_BYTES
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise InputError("not a whole number of bytes", field="--max-response-bytes", expected="a positive integer", got=value) from None
    if n <= 0:
        raise InputError("must be positive", field="--max-response-bytes", expected="a positive integer", got=value)
    return n


def build_tls_context(ca_bundle: str | None) -> ssl.SSLContext:
    """``_wire.tls_context`` with a bad bundle reported against the setting that named it."""
    env_file = os.environ.get("SSL_CERT_FILE")
    for path, field in ((env_file, "SSL_CERT_FILE"), (ca_bundle, "--ca-bundle")):
        if path and not os.path.isfile(path):
            raise InputError("no such CA bundle file", file=path, field=field, fix="give a PEM file of CA certificates")
    try:
        return tls_context(ca_bundle)
    except (OSError, ssl.SSLError) as exc:
        field = "--ca-bundle" if ca_bundle else "SSL_CERT_FILE"
        raise InputError(
            f"cannot load the CA bundle: {exc}", file=ca_bundle or env_file, field=field, fix="give a PEM file of CA certificates"
        ) from None


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or an HTTP date).

    Returns ``None`` when absent or unreadable; negative waits become 0, absurd ones are
    capped at ``MAX_RETRY_AFTER_S`` so a broken header cannot stall a run for days.
    """
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return min(max(0.0, seconds), MAX_RETRY_AFTER_S)


def status_error(status: int, message: str, headers: Mapping[str, str]) -> TargetError:
    """The ``TargetError`` for a non-2xx reply."""
    text = f"HTTP {status}: {clean_error_text(message)}".strip()
    retry_after = parse_retry_after(headers.get("retry-after"))
    if status == 429:
        return TargetError(ErrorKind.rate_limited, text, retryable=True, retry_after_s=retry_after)
    if status >= 500:
        return TargetError(ErrorKind.server_error, text, retryable=True, retry_after_s=retry_after)
    if status == 408:
        return TargetError(ErrorKind.timeout, text, retryable=True, retry_after_s=retry_after)
    if status in (401, 403):
        return TargetError(ErrorKind.auth, text, retryable=False)
    return TargetError(ErrorKind.client_error, text, retryable=status == 409, retry_after_s=retry_after)


def proxy_for(url: str) -> bool:
    """Whether a proxy environment variable applies to ``url`` (cheap when none is set)."""
    names = ("http_proxy", "https_proxy", "all_proxy")
    if not any(os.environ.get(n) or os.environ.get(n.upper()) for n in names):
        return False
    import urllib.request
    from urllib.parse import urlsplit

    scheme, host = urlsplit(url).scheme, urlsplit(url).hostname or ""
    if host in ("localhost", "127.0.0.1", "::1"):
        return False  # a server on this machine is never reached through a proxy
    proxies = urllib.request.getproxies_environment()
    bypass = getattr(urllib.request, "proxy_bypass_environment")  # noqa: B009 - public but missing from typeshed
    return bool(proxies.get(scheme) or proxies.get("all")) and not bypass(host)


class HttpxLanes:
    """The proxy path: one ``httpx.AsyncClient`` that reads the proxy variables.

    Same interface as ``_wire.Lanes`` (``loop``, ``post``, ``aclose``) and the same
    ``Wire*`` errors, so ``Transport`` does not care which one it holds. httpx is imported
    only here, so a run with no proxy never loads it.
    """

    def __init__(
        self,
        url: str,
        n: int,
        headers: list[tuple[str, str]],
        *,
        ssl_context: Any = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        import httpx

        self.loop = asyncio.get_running_loop()
        self.url = url
        self._httpx = httpx
        self.max_response_bytes = max_response_bytes
        limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
        verify: Any = ssl_context if ssl_context is not None else True
        self.client = httpx.AsyncClient(headers=dict(headers), limits=limits, trust_env=True, verify=verify)

    async def post(self, body: bytes, timeout: float) -> Reply:
        httpx = self._httpx
        limit = self.max_response_bytes
        try:
            async with asyncio.timeout(timeout):
                async with self.client.stream("POST", self.url, content=body, timeout=timeout) as r:
                    declared = r.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > limit:
                        raise WireTooLarge(f"reply declares {int(declared):,} bytes, over the {limit:,}-byte limit (--max-response-bytes)")
                    parts: list[bytes] = []
                    size = 0
                    async for part in r.aiter_bytes():
                        size += len(part)
                        if size > limit:
                            raise WireTooLarge(f"reply body exceeds the {limit:,}-byte limit (--max-response-bytes)")
                        parts.append(part)
        except TimeoutError:
            raise WireTimeout(f"no complete reply within {timeout:g} s") from None
        except httpx.TimeoutException as exc:
            raise WireTimeout(f"no complete reply within {timeout:g} s") from exc
        except (httpx.RemoteProtocolError, httpx.DecodingError) as exc:
            raise WireProtocolError(f"malformed HTTP reply: {exc}") from exc
        except httpx.TransportError as exc:
            raise WireConnectionError(f"{type(exc).__name__}: {exc}") from exc
        return Reply(r.status_code, {k.lower(): v for k, v in r.headers.items()}, b"".join(parts))

    async def aclose(self) -> None:
        await self.client.aclose()


class Transport:
    """POSTs of JSON to one URL for an HTTP provider: ``_wire.Lanes``, or httpx behind a proxy.

    Connections belong to the event loop that opened them, so a new loop gets new lanes,
    sized to ``max_connections`` at that moment (providers set it from the runner's
    concurrency before the first request). Transport failures come out as retryable
    ``TargetError``s; the reply, whatever its status, is the provider's to read.
    """

    def __init__(
        self,
        url: str,
        headers: list[tuple[str, str]],
        max_connections: int,
        *,
        max_response_bytes: int | None = None,
        ca_bundle: str | None = None,
        header_fields: Mapping[str, str] | None = None,
    ) -> None:
        check_header_values(headers, header_fields)
        self.url = url
        self.endpoint = Endpoint(url)
        self.headers = headers
        self.max_connections = max_connections
        self.max_response_bytes = check_max_response_bytes(max_response_bytes)
        # Built now, so a bad --ca-bundle fails before the first request.
        self.ssl_context = build_tls_context(ca_bundle) if (self.endpoint.tls or ca_bundle) else None
        self._lanes: Lanes | HttpxLanes | None = None

    def _pool(self) -> Lanes | HttpxLanes:
        lanes = self._lanes
        if lanes is None or lanes.loop is not asyncio.get_running_loop():
            limit = self.max_response_bytes
            if proxy_for(self.url):
                lanes = HttpxLanes(self.url, self.max_connections, self.headers, ssl_context=self.ssl_context, max_response_bytes=limit)
            else:
                lanes = Lanes(self.endpoint, self.max_connections, self.headers, ssl_context=self.ssl_context, max_response_bytes=limit)
            self._lanes = lanes
        return lanes

    async def post(self, body: bytes, timeout: float) -> Reply:
        """One request; ``TargetError`` (timeout, connection, bad_response) when no reply came."""
        try:
            return await self._pool().post(body, timeout)
        except WireTimeout as exc:
            raise TargetError(ErrorKind.timeout, str(exc), retryable=True) from exc
        except WireConnectionError as exc:
            raise TargetError(ErrorKind.connection, str(exc), retryable=True) from exc
        except WireTooLarge as exc:  # the same reply would be as large next time
            raise TargetError(ErrorKind.bad_response, str(exc), retryable=False) from exc
        except WireProtocolError as exc:
            raise TargetError(ErrorKind.bad_response, str(exc), retryable=True) from exc

    async def aclose(self) -> None:
        """Close this loop's connections; those of a finished loop went with it."""
        if self._lanes is not None:
            lanes, self._lanes = self._lanes, None
            if lanes.loop is asyncio.get_running_loop():
                await lanes.aclose()


def secret_values(headers: list[tuple[str, str]]) -> list[str]:
    """The credential values among ``headers`` (whole values and a scheme's token part)."""
    out: list[str] = []
    for name, value in headers:
        if name.lower() in SECRET_HEADERS and value:
            out.append(value)
            scheme, _, token = value.partition(" ")
            if token.strip():
                out.append(token.strip())
    return out


def json_headers(*extra: tuple[str, str]) -> list[tuple[str, str]]:
    """The headers every JSON API target sends, plus its own (auth, version)."""
    from accord import __version__

    return [("User-Agent", f"accord/{__version__}"), ("Accept", "application/json"), ("Content-Type", "application/json"), *extra]


async def post_json(transport: Transport, payload: Any, timeout_s: float, on_error: Callable[[Reply], TargetError]) -> Any:
    """POST ``payload`` as JSON; return the decoded 200 reply, or raise the provider's error.

    A non-JSON 200 is retryable ``bad_response``: a proxy or an overloaded server sometimes
    answers with a page instead of the API's body.
    """
    reply = await transport.post(json.dumps(payload, ensure_ascii=False).encode(), timeout_s)
    if reply.status != 200:
        raise on_error(reply)
    try:
        return json.loads(reply.body)
    except ValueError as exc:
        raise TargetError(ErrorKind.bad_response, "reply is not JSON", retryable=True) from exc


class JsonApiTarget:
    """What every JSON-over-HTTP target shares: one transport, pool sizing, and the digest.

    Subclasses set ``digest_base`` (the provider, endpoint and model asked for) and call
    ``_post`` / ``_saw_model`` from ``generate``. The digest gains ``@<served model>`` once a
    reply names a different model than the one asked for (an alias resolving to a dated
    version); a dated id keeps the same digest before and after the first reply.
    """

    digest_base: str

    def __init__(
        self,
        spec: Any,
        url: str,
        headers: list[tuple[str, str]],
        max_connections: int,
        *,
        max_response_bytes: int | None = None,
        ca_bundle: str | None = None,
        header_fields: Mapping[str, str] | None = None,
    ) -> None:
        self.spec = spec
        self.model: str = spec.model
        self.url = url
        self.transport = Transport(
            url, headers, max_connections, max_response_bytes=max_response_bytes, ca_bundle=ca_bundle, header_fields=header_fields
        )
        self._secrets = secret_values(headers)
        self._served: str | None = None

    def set_concurrency(self, n: int) -> None:
        """Size the connection pool to the runner's concurrency (before the first request)."""
        self.transport.max_connections = max(1, int(n))

    async def _post(self, payload: Any, timeout_s: float, on_error: Callable[[Reply], TargetError]) -> Any:
        try:
            return await post_json(self.transport, payload, timeout_s, on_error)
        except TargetError as exc:
            raise self.redacted(exc) from None

    def redacted(self, error: TargetError) -> TargetError:
        """``error`` with this target's secrets and credential-like values masked in its text."""
        text = str(error)
        clean = redact_all(text, self._secrets)
        if clean == text:
            return error
        return TargetError(error.kind, clean, retryable=error.retryable, retry_after_s=error.retry_after_s)

    def _saw_model(self, served: object) -> None:
        if self._served is None and served:
            self._served = str(served)

    def digest(self) -> str:
        if self._served and self._served != self.model:
            return f"{self.digest_base}@{self._served}"
        return self.digest_base

    async def aclose(self) -> None:
        await self.transport.aclose()
