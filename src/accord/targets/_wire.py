"""A lean HTTP/1.1 client for JSON APIs: h11 for the protocol, our own keep-alive pool on asyncio.

Why not httpx: on the loopback benchmark (2 cores), httpx/httpcore spend ~0.8 ms of CPU per
request in their layers (anyio cancel scopes, header models), and httpx's shared pool
rescans every connection per queued request (~14 ms per request at concurrency 100). A run is
thousands of identical small POSTs, so the pool is ours and tiny; the HTTP/1.1 protocol
(framing, Content-Length, chunked bodies, keep-alive rules) is h11's, a small, well-kept,
sans-I/O state machine: we never parse HTTP by hand. h11 costs ~0.05 ms of CPU per request.

Bounds, so a hostile or broken server cannot freeze or bloat a run:

- the whole exchange (connect, send, every byte of the reply) happens within the request's
  timeout: a server trickling one byte a second is cut off at ``timeout``;
- a reply body larger than ``max_response_bytes`` (default 8 MiB) is refused as soon as the
  declared length or the bytes received pass it, and the connection is dropped;
- headers (and chunk-size lines) are capped by h11's ``max_incomplete_event_size``;
- a body cut short (a reset, or a close before ``Content-Length`` bytes) is a connection
  error, never a short answer; malformed framing (negative, garbage chunk sizes) is a protocol
  error.

Scope, on purpose: HTTP/1.1 only, no redirects, no cookies, no compression (we never send
``Accept-Encoding``, so servers reply uncompressed), no proxies (``Transport`` falls back to
httpx when a proxy variable is set). TLS (``tls_context``) trusts the system store (which
honours ``SSL_CERT_FILE``/``SSL_CERT_DIR``), plus ``--ca-bundle``, and checks the host name.

``Lanes`` holds ``n`` connection slots on a free list: a request takes a slot (O(1)), opens
its connection if it has none or the server closed it, and gives it back. Any error closes
that slot's connection, so a half-read reply can never leak into the next request.
"""

from __future__ import annotations

import asyncio
import os
import ssl
from typing import Any
from urllib.parse import urlsplit

import h11

MAX_HEADER_BYTES = 64 * 1024
DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024


class WireError(Exception):
    """Base of the errors below; the provider maps them to ``TargetError`` kinds."""


class WireTimeout(WireError):
    pass


class WireConnectionError(WireError):
    """Could not connect, or the connection broke before a full reply arrived.

    ``nothing_received`` marks a connection that closed before any byte of the reply (on a
    reused keep-alive connection, typically the server closing it while idle). We do not
    resend here: the runner retries connection errors, counts each attempt, and so keeps
    ``--max-retries`` an honest bound on requests per item.
    """

    def __init__(self, message: str, *, nothing_received: bool = False) -> None:
        super().__init__(message)
        self.nothing_received = nothing_received


class WireProtocolError(WireError):
    """The server sent something that is not a valid HTTP/1.1 reply."""


class WireTooLarge(WireProtocolError):
    """The reply body is larger than ``max_response_bytes``."""


class Reply:
    __slots__ = ("status", "headers", "body")

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body


class _Connection(asyncio.Protocol):
    """One keep-alive connection carrying one request at a time, framed by h11."""

    def __init__(self, max_body: int) -> None:
        self.transport: asyncio.Transport | None = None
        self.h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEADER_BYTES)
        self.max_body = max_body
        self.closed = False
        self.waiter: asyncio.Future[Reply] | None = None
        self._reset()

    def _reset(self) -> None:
        self.status = 0
        self.headers: dict[str, str] | None = None
        self.chunks: list[bytes] = []
        self.size = 0
        self.received = False
        self.eof = False

    # -- asyncio.Protocol ---------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self.waiter is None or self.waiter.done():
            self.abort()  # bytes nobody asked for: this connection can no longer be trusted
            return
        self.received = True
        self.h11.receive_data(data)
        self._pump()

    def eof_received(self) -> bool | None:
        self._feed_eof()
        return None  # close the transport; connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if exc is None:
            self._feed_eof()  # a TLS stream can end without eof_received
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            if not self.received:
                message = f"server closed the connection before replying ({exc or 'EOF'})"
            else:
                message = f"connection broke before the reply was complete ({exc or 'EOF'})"
            waiter.set_exception(WireConnectionError(message, nothing_received=not self.received))

    def _feed_eof(self) -> None:
        if self.eof or self.waiter is None or self.waiter.done():
            return
        self.eof = True
        try:
            self.h11.receive_data(b"")
        except RuntimeError:  # h11 already closed on its side
            return
        self._pump()

    # -- the reply ----------------------------------------------------------------------
    def _pump(self) -> None:
        conn = self.h11
        try:
            while True:
                event = conn.next_event()
                kind = type(event)
                if kind is h11.Data:
                    data = event.data  # type: ignore[union-attr]
                    self.size += len(data)
                    if self.size > self.max_body:
                        raise WireTooLarge(f"reply body exceeds the {self.max_body:,}-byte limit (--max-response-bytes)")
                    self.chunks.append(bytes(data))
                elif kind is h11.Response:
                    self._start(event)  # type: ignore[arg-type]
                elif kind is h11.EndOfMessage:
                    self._done()
                    return
                elif event is h11.NEED_DATA or event is h11.PAUSED:
                    return
                elif kind is h11.ConnectionClosed:
                    raise WireConnectionError("connection closed before the reply was complete", nothing_received=not self.received)
                # h11.InformationalResponse (100 Continue): the real reply follows
        except h11.RemoteProtocolError as exc:
            if self.eof:
                if not self.received:
                    self._fail(WireConnectionError("server closed the connection before replying (EOF)", nothing_received=True))
                else:
                    self._fail(WireConnectionError(f"connection closed before the reply was complete: {exc}"))
            else:
                self._fail(WireProtocolError(f"malformed HTTP reply: {exc}"))
        except WireError as exc:
            self._fail(exc)

    def _start(self, event: h11.Response) -> None:
        headers: dict[str, str] = {}
        for raw_name, raw_value in event.headers:
            name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        self.status, self.headers = event.status_code, headers
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            raise WireTooLarge(f"reply declares {int(declared):,} bytes, over the {self.max_body:,}-byte limit (--max-response-bytes)")

    def _done(self) -> None:
        assert self.headers is not None and self.waiter is not None
        self.waiter.set_result(Reply(self.status, self.headers, b"".join(self.chunks)))

    def _fail(self, exc: Exception) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)
        self.abort()

    # -- requests -----------------------------------------------------------------------
    def abort(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()

    async def request(self, head: list[tuple[bytes, bytes]], target: bytes, body: bytes) -> Reply:
        assert self.transport is not None
        self._reset()
        conn = self.h11
        try:
            payload = conn.send(h11.Request(method=b"POST", target=target, headers=[*head, (b"Content-Length", b"%d" % len(body))]))
            payload += conn.send(h11.Data(data=body)) or b""
            payload += conn.send(h11.EndOfMessage()) or b""
        except h11.LocalProtocolError as exc:
            self.abort()
            raise WireProtocolError(f"cannot send the request: {exc}") from None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(payload)
        reply = await self.waiter
        self.waiter = None
        if conn.our_state is h11.DONE and conn.their_state is h11.DONE and not conn.trailing_data[0] and not self.closed:
            conn.start_next_cycle()
        else:
            self.abort()  # the server asked to close, or sent more than one reply
        return reply


class Endpoint:
    """Where requests go: scheme, host, port and the request-target path, from a URL."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.tls = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port or (443 if self.tls else 80)
        default = (self.tls and self.port == 443) or (not self.tls and self.port == 80)
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.authority = host if default else f"{host}:{self.port}"
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def tls_context(ca_bundle: str | None = None) -> ssl.SSLContext:
    """The client TLS context: the system trust store, ``$SSL_CERT_FILE``, and ``ca_bundle``.

    ``ssl.create_default_context()`` loads the system store (OpenSSL reads ``SSL_CERT_FILE``
    and ``SSL_CERT_DIR`` there too; we load ``SSL_CERT_FILE`` explicitly as well, so a build
    that ignores the variables still honours it). ``ca_bundle`` adds a corporate CA. Only when
    the system offers no store at all (a bare container) does certifi's bundle stand in.
    Raises ``OSError``/``ssl.SSLError`` for an unreadable bundle; callers say which one.
    """
    ctx = ssl.create_default_context()
    env_file = os.environ.get("SSL_CERT_FILE")
    if env_file:
        ctx.load_verify_locations(cafile=env_file)
    if ca_bundle:
        ctx.load_verify_locations(cafile=ca_bundle)
    if not env_file and not ca_bundle and ctx.cert_store_stats().get("x509_ca", 0) == 0:
        capath = ssl.get_default_verify_paths().capath
        if not capath or not os.path.isdir(capath) or not os.listdir(capath):
            try:
                import certifi

                ctx.load_verify_locations(cafile=certifi.where())
            except ImportError:
                pass
    return ctx


def default_ssl_context() -> ssl.SSLContext:
    """``tls_context()`` with no extra bundle (kept for callers of the old name)."""
    return tls_context()


class Lanes:
    """``n`` connection slots to one endpoint, handed out from a free list (see module doc)."""

    def __init__(
        self,
        endpoint: Endpoint,
        n: int,
        headers: list[tuple[str, str]],
        *,
        ssl_context: Any = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        self.loop = asyncio.get_running_loop()
        self.endpoint = endpoint
        self.ssl = (ssl_context or tls_context()) if endpoint.tls else None
        self.max_response_bytes = int(max_response_bytes)
        self.free: asyncio.LifoQueue[list[_Connection | None]] = asyncio.LifoQueue()
        self.slots = [[None] for _ in range(max(1, n))]  # type: list[list[_Connection | None]]
        for slot in self.slots:
            self.free.put_nowait(slot)
        self._target = endpoint.path.encode("ascii", "strict")
        self._head = [(b"Host", endpoint.authority.encode("idna" if not endpoint.authority.isascii() else "ascii"))]
        self._head += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]

    async def _connect(self) -> _Connection:
        ep = self.endpoint
        limit = self.max_response_bytes
        try:
            _, conn = await self.loop.create_connection(
                lambda: _Connection(limit), ep.host, ep.port, ssl=self.ssl, server_hostname=ep.host if self.ssl else None
            )
        except (OSError, ssl.SSLError) as exc:
            raise WireConnectionError(f"cannot connect to {ep.authority}: {exc}") from exc
        return conn

    async def post(self, body: bytes, timeout: float) -> Reply:
        """POST ``body`` (JSON bytes) and return the full reply; raises ``WireError``s.

        ``timeout`` bounds the whole exchange: connecting, sending and the last byte of the reply.
        """
        slot = await self.free.get()
        conn = slot[0]
        try:
            async with asyncio.timeout(timeout):
                if conn is None or conn.closed:
                    conn = slot[0] = await self._connect()
                return await conn.request(self._head, self._target, body)
        except TimeoutError:
            raise WireTimeout(f"no complete reply within {timeout:g} s") from None
        except (OSError, ssl.SSLError) as exc:
            raise WireConnectionError(f"{type(exc).__name__}: {exc}") from exc
        except BaseException:
            if conn is not None:
                conn.abort()  # never reuse a connection with a request half done
            slot[0] = None
            raise
        finally:
            if conn is not None and (conn.closed or conn.waiter is not None):
                conn.abort()
                slot[0] = None
            self.free.put_nowait(slot)

    async def aclose(self) -> None:
        for slot in self.slots:
            if slot[0] is not None:
                slot[0].abort()
                slot[0] = None
