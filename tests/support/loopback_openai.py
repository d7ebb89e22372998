"""A lean loopback OpenAI-compatible chat-completions server for tests and benchmarks.

A raw ``asyncio.Protocol`` HTTP/1.1 server (keep-alive, Content-Length bodies, no
pipelining): cheap enough per request that it is never the bottleneck of a benchmark that
measures the client. Replies ``echo: <last user turn>`` after a fixed latency, and can inject
faults on a random fraction of requests: 429 (with ``Retry-After``), 500, a dropped
connection (closed without a reply) or a slow reply (``--slow-ms``).

Markers in the last user turn force an outcome, for tests of one path:
``[[content_filter]]`` (finish_reason content_filter), ``[[refusal]]`` (a ``refusal``
field), ``[[always500]]``, ``[[always400]]``, and ``[[flaky]]`` (connection dropped while
``config.flaky_down`` is set: an outage a test can end).

``models=("m",)`` makes it answer any other model with a 404 and OpenAI's body
``{"error": {"message": "model 'x' not found"}}``. ``serial=True`` serves one request at a
time, first come first served, like llama.cpp with one slot: each takes ``latency_ms`` and the
others queue, so latency grows with concurrency (a request whose client hung up before its
turn is skipped; one already being generated is finished, its reply thrown away).

``GET /stats`` returns counters as JSON (requests, replies by status, faults by kind and,
with ``--track``, the most attempts seen for one prompt).

Run it as ``python -m tests.support.loopback_openai --port 0 --latency-ms 200 --faults 0.2``;
the first line printed is the base URL (``http://127.0.0.1:PORT/v1``). In-process, use
``LoopbackServer(...).start()`` (a background thread with its own event loop).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from tests.support.threaded_server import ThreadedServer, serve_until_signalled

FAULT_KINDS = ("429", "500", "drop", "slow")
REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error"}


@dataclass
class Config:
    latency_ms: float = 0.0
    faults: float = 0.0
    fault_kinds: tuple[str, ...] = FAULT_KINDS
    slow_ms: float = 2000.0
    retry_after: str | None = "0"
    seed: int | None = None
    track: bool = False
    models: tuple[str, ...] | None = None  # others get a 404 "model not found"
    serial: bool = False  # one request at a time, FIFO (llama.cpp with one slot)
    flaky_down: bool = False  # while set, prompts with [[flaky]] get their connection dropped (an outage)
    #: Serve at most this many requests at once (each takes ``latency_ms``); the rest wait in
    #: arrival order, like a server with ``cap`` slots. ``None``: no cap.
    cap: int | None = None


@dataclass
class Stats:
    requests: int = 0
    status: Counter[int] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    attempts: Counter[str] = field(default_factory=Counter)
    last_authorization: str | None = None
    max_queued: int = 0  # serial mode: the longest queue seen
    abandoned: int = 0  # serial mode: replies generated for a client that had hung up
    in_flight: int = 0  # chat requests received and not yet answered (or dropped)
    max_in_flight: int = 0  # the most at once: what a client-side concurrency limit bounds
    first_at: float | None = None  # time.monotonic() of the first chat request
    last_at: float | None = None  # ... and of the latest

    def as_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "status": {str(k): v for k, v in sorted(self.status.items())},
            "faults": dict(sorted(self.faults.items())),
            "max_attempts": max(self.attempts.values(), default=0),
            "prompts": len(self.attempts),
            "last_authorization": self.last_authorization,
            "max_queued": self.max_queued,
            "abandoned": self.abandoned,
            "in_flight": self.in_flight,
            "max_in_flight": self.max_in_flight,
        }


def _response(status: int, body: bytes, extra: str = "") -> bytes:
    head = (
        f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n{extra}\r\n"
    )
    return head.encode() + body


def completion_body(model: str, content: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": "echo: " + content}
    finish = "stop"
    if "[[content_filter]]" in content:
        message["content"], finish = None, "content_filter"
    elif "[[refusal]]" in content:
        message["content"], message["refusal"] = None, "I can't help with that."
    return {
        "id": "chatcmpl-loopback",
        "object": "chat.completion",
        "model": model + "-served" if model.endswith("-alias") else model,
        "system_fingerprint": "fp_loopback",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": len(content.split()), "completion_tokens": len(content.split()) + 1},
    }


class _Conn(asyncio.Protocol):
    def __init__(self, server: LoopbackServer) -> None:
        self.server = server
        self.buf = b""
        self.busy = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if not self.busy:
            self._next()

    def _next(self) -> None:
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return
        head = self.buf[:end].decode("latin-1").split("\r\n")
        length = 0
        auth = None
        for line in head[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value.strip())
            elif name == "authorization":
                auth = value.strip()
        if len(self.buf) < end + 4 + length:
            return
        body = self.buf[end + 4 : end + 4 + length]
        self.buf = self.buf[end + 4 + length :]
        method, path = (head[0].split(" ") + ["", ""])[:2]
        self.busy = True
        if method == "POST":
            self.server.stats.last_authorization = auth
        self.server.handle(self, method, path, body)

    def send(self, payload: bytes) -> None:
        if self.transport is not None:
            self.transport.write(payload)
        self.busy = False
        if self.buf:
            self._next()

    def drop(self) -> None:
        if self.transport is not None:
            self.transport.close()
        self.busy = False


class LoopbackServer(ThreadedServer):
    """See the module docstring. ``start()`` returns self; ``url`` is the ``/v1`` base URL."""

    def __init__(self, config: Config | None = None, *, host: str = "127.0.0.1", port: int = 0, **kwargs: Any) -> None:
        self.config = config or Config(**kwargs)
        self.host = host
        self.port = port
        self.stats = Stats()
        self.rng = random.Random(self.config.seed)
        super().__init__()
        self.thread_name = "loopback-openai"
        self._queue: deque[tuple[_Conn, bytes]] = deque()  # serial mode
        self._serving = False
        self._active = 0  # cap mode: requests being served
        self._capped: deque[tuple[_Conn, int, bytes, float, str]] = deque()  # cap mode: waiting for a slot

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    # -- request handling --------------------------------------------------------------
    def handle(self, conn: _Conn, method: str, path: str, body: bytes) -> None:
        assert self.loop is not None
        if method == "GET" and path.endswith("/stats"):
            conn.send(_response(200, json.dumps(self.stats.as_json()).encode()))
            return
        if method != "POST" or not path.endswith("/chat/completions"):
            conn.send(_response(404, b'{"error":{"message":"not found"}}'))
            return
        self.stats.requests += 1
        self.stats.last_at = time.monotonic()
        if self.stats.first_at is None:
            self.stats.first_at = self.stats.last_at
        self.stats.in_flight += 1
        self.stats.max_in_flight = max(self.stats.max_in_flight, self.stats.in_flight)
        try:
            req = json.loads(body)
            content = req["messages"][-1]["content"]
            model = req.get("model", "loopback")
        except (ValueError, KeyError, IndexError, TypeError):
            self._reply(conn, 400, b'{"error":{"message":"bad request body","type":"invalid_request_error"}}', 0.0)
            return
        if self.config.track:
            self.stats.attempts[content] += 1
        if self.config.models is not None and model not in self.config.models:
            body = json.dumps({"error": {"message": f"model '{model}' not found", "type": "invalid_request_error"}}).encode()
            self._reply(conn, 404, body, 0.0)
            return
        delay = self.config.latency_ms / 1000
        if "[[always500]]" in content:
            self._reply(conn, 500, b'{"error":{"message":"always failing"}}', delay)
            return
        if self.config.flaky_down and "[[flaky]]" in content:
            self.loop.call_later(delay, self._drop, conn) if delay else self._drop(conn)
            return
        if "[[always400]]" in content:
            self._reply(conn, 400, b'{"error":{"message":"bad request","type":"invalid_request_error"}}', delay)
            return
        if self.config.faults and self.rng.random() < self.config.faults:
            kind = self.rng.choice(self.config.fault_kinds)
            self.stats.faults[kind] += 1
            if kind == "429":
                extra = f"retry-after: {self.config.retry_after}\r\n" if self.config.retry_after is not None else ""
                self._reply(conn, 429, b'{"error":{"message":"rate limited","type":"rate_limit_error"}}', delay, extra)
                return
            if kind == "500":
                self._reply(conn, 500, b'{"error":{"message":"injected failure"}}', delay)
                return
            if kind == "drop":
                self.loop.call_later(delay, self._drop, conn) if delay else self._drop(conn)
                return
            delay = self.config.slow_ms / 1000  # slow: a normal reply, late
        payload = json.dumps(completion_body(model, content)).encode()
        if self.config.serial:
            self.stats.status[200] += 1
            self._queue.append((conn, _response(200, payload)))
            self.stats.max_queued = max(self.stats.max_queued, len(self._queue))
            if not self._serving:
                self._serve_next()
            return
        self._reply(conn, 200, payload, delay)

    def _serve_next(self) -> None:
        """Serial mode: generate the next queued reply (``latency_ms``), then the one after."""
        assert self.loop is not None
        while self._queue and self._queue[0][0].transport is None:
            self._queue.popleft()  # the client hung up while queued: never started
        if not self._queue:
            self._serving = False
            return
        self._serving = True
        conn, data = self._queue.popleft()

        def done() -> None:
            if conn.transport is None:
                self.stats.abandoned += 1
            self.stats.in_flight -= 1
            conn.send(data)
            self._serve_next()

        self.loop.call_later(self.config.latency_ms / 1000, done)

    def _reply(self, conn: _Conn, status: int, body: bytes, delay: float, extra: str = "") -> None:
        assert self.loop is not None
        cap = self.config.cap
        if cap is not None and self._active >= cap:
            self._capped.append((conn, status, body, delay, extra))
            return
        self._active += 1
        self.stats.status[status] += 1
        data = _response(status, body, extra)
        if delay > 0:
            self.loop.call_later(delay, self._send, conn, data)
        else:
            self._send(conn, data)

    def _send(self, conn: _Conn, data: bytes) -> None:
        self._active -= 1
        self.stats.in_flight -= 1
        conn.send(data)
        if self._capped:
            self._reply(*self._capped.popleft())

    def _drop(self, conn: _Conn) -> None:
        self.stats.in_flight -= 1
        conn.drop()

    # -- lifecycle ---------------------------------------------------------------------
    async def serve(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._server = await self.loop.create_server(lambda: _Conn(self), self.host, self.port, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--faults", type=float, default=0.0, help="fraction of requests that get a fault")
    parser.add_argument("--fault-kinds", default=",".join(FAULT_KINDS))
    parser.add_argument("--slow-ms", type=float, default=2000.0)
    parser.add_argument("--retry-after", default="0")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--track", action="store_true")
    parser.add_argument("--models", default=None, help="comma-separated models served; others get a 404")
    parser.add_argument("--serial", action="store_true", help="serve one request at a time (like llama.cpp with one slot)")
    parser.add_argument("--cap", type=int, default=None, help="serve at most this many requests at once; the rest wait")
    args = parser.parse_args(argv)
    config = Config(
        latency_ms=args.latency_ms,
        faults=args.faults,
        fault_kinds=tuple(k for k in args.fault_kinds.split(",") if k),
        slow_ms=args.slow_ms,
        retry_after=args.retry_after or None,
        seed=args.seed,
        track=args.track,
        models=tuple(m for m in args.models.split(",") if m) if args.models else None,
        serial=args.serial,
        cap=args.cap,
    )
    server = LoopbackServer(config, host=args.host, port=args.port)
    serve_until_signalled(server)


if __name__ == "__main__":
    main()
