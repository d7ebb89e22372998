"""A hostile loopback HTTP server: raw asyncio sockets, because it must send malformed HTTP.

Each mode answers every ``POST`` in one bad way (issue 12's fault list):

- ``neg-chunk``: ``Transfer-Encoding: chunked`` with chunk size ``-ff``;
- ``huge-chunk``: chunk size ``7fffffffffffffff``, then bytes streamed until the client leaves;
- ``garbage-chunk``: chunk size ``zz;!``;
- ``bad-length``: ``Content-Length: abc``;
- ``short-length``: ``Content-Length: 5000`` then 40 bytes and a close;
- ``huge-body``: a 200 with ``Content-Length`` of 50 MB, streamed as fast as the client reads;
- ``huge-unsized``: 50 MB with no length at all (read-to-close), streamed;
- ``reset``: headers and half a body, then an RST;
- ``slow-loris``: a valid reply sent one byte per second;
- ``echo-auth``: a 401 (or 500 with ``echo-auth-500``) whose JSON body echoes the request's
  ``Authorization`` and ``x-api-key`` headers, the way a careless proxy does;
- ``no-message``: a 200 chat-completions reply whose choice has no ``message``;
- ``error-message``: a 404 with OpenAI's ``{"error": {"message": "model 'x' not found"}}``;
- ``one-at-a-time``: a valid chat-completions server that serves one request at a time, like
  llama.cpp with one slot: others wait (queued) ``--latency-ms`` each, so latency grows with
  concurrency;
- ``ok``: a valid reply (a control).

``python -m tests.support.hostile_server --mode neg-chunk`` prints its ``/v1`` base URL on the
first line; in-process, ``HostileServer(mode).start()`` runs it on a background thread.
``stats`` counts requests (``requests``) and the most served at once (``max_in_flight``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import struct

from tests.support.threaded_server import ThreadedServer, serve_until_signalled

MODES = (
    "neg-chunk",
    "huge-chunk",
    "garbage-chunk",
    "bad-length",
    "short-length",
    "huge-body",
    "huge-unsized",
    "reset",
    "slow-loris",
    "echo-auth",
    "echo-auth-500",
    "no-message",
    "error-message",
    "one-at-a-time",
    "ok",
)
HUGE = 50 * 1024 * 1024


def _reply(status: int, body: bytes, reason: str = "Status") -> bytes:
    return f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n".encode() + body


def _completion(content: str, model: str = "m") -> bytes:
    return json.dumps(
        {
            "id": "x",
            "object": "chat.completion",
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "echo: " + content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 2},
        }
    ).encode()


class HostileServer(ThreadedServer):
    def __init__(self, mode: str, *, host: str = "127.0.0.1", port: int = 0, latency_ms: float = 200.0) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; known: {', '.join(MODES)}")
        self.mode = mode
        self.host = host
        self.port = port
        self.latency_s = latency_ms / 1000
        self.stats: dict[str, int] = {"requests": 0, "in_flight": 0, "max_in_flight": 0}
        super().__init__()
        self.thread_name = f"hostile-{mode}"
        self._one: asyncio.Lock | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    # -- one connection --------------------------------------------------------------------
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                    return
                headers: dict[str, str] = {}
                for line in head.decode("latin-1").split("\r\n")[1:]:
                    name, _, value = line.partition(":")
                    if name:
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
                self.stats["requests"] += 1
                keep = await self._answer(writer, headers, body)
                if not keep:
                    return
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            pass
        finally:
            try:
                writer.close()
            except Exception:
                pass

    async def _answer(self, writer: asyncio.StreamWriter, headers: dict[str, str], body: bytes) -> bool:
        mode = self.mode
        try:
            content = json.loads(body)["messages"][-1]["content"]
        except Exception:
            content = ""
        if mode == "ok":
            writer.write(_reply(200, _completion(content), "OK"))
            return True
        if mode == "one-at-a-time":
            assert self._one is not None
            async with self._one:
                self.stats["in_flight"] += 1
                self.stats["max_in_flight"] = max(self.stats["max_in_flight"], self.stats["in_flight"])
                await asyncio.sleep(self.latency_s)
                self.stats["in_flight"] -= 1
                writer.write(_reply(200, _completion(content), "OK"))
                await writer.drain()
            return True
        chunked = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
        if mode == "neg-chunk":
            writer.write(chunked + b"-ff\r\n" + b"x" * 64 + b"\r\n0\r\n\r\n")
        elif mode == "garbage-chunk":
            writer.write(chunked + b"zz;!\r\nhello\r\n0\r\n\r\n")
        elif mode == "huge-chunk":
            writer.write(chunked + b"7fffffffffffffff\r\n")
            await self._stream(writer, HUGE)
            return False
        elif mode == "bad-length":
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: abc\r\n\r\n{}")
        elif mode == "short-length":
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 5000\r\n\r\n"
                + b'{"choices": [{"message": {"content": "cut'
            )
            await writer.drain()
            return False
        elif mode == "huge-body":
            writer.write(f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {HUGE}\r\n\r\n".encode())
            await self._stream(writer, HUGE)
            return False
        elif mode == "huge-unsized":
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n")
            await self._stream(writer, HUGE)
            return False
        elif mode == "reset":
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n"
                + b'{"choices": [{"message": {"content": "half'
            )
            await writer.drain()
            await asyncio.sleep(0.05)
            sock = writer.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()  # RST
            return False
        elif mode == "slow-loris":
            data = _reply(200, _completion(content), "OK")
            for i in range(len(data)):
                writer.write(data[i : i + 1])
                await writer.drain()
                await asyncio.sleep(1.0)
            return True
        elif mode in ("echo-auth", "echo-auth-500"):
            status = 401 if mode == "echo-auth" else 500
            echoed = {k: headers.get(k) for k in ("authorization", "x-api-key") if headers.get(k)}
            message = f"invalid credentials: you sent Authorization: {headers.get('authorization', '')}"
            payload = json.dumps({"error": {"message": message, "request_headers": echoed}}).encode()
            writer.write(_reply(status, payload))
        elif mode == "no-message":
            writer.write(
                _reply(200, json.dumps({"id": "x", "model": "m", "choices": [{"index": 0, "finish_reason": "stop"}]}).encode(), "OK")
            )
        elif mode == "error-message":
            payload = json.dumps({"error": {"message": "model 'x' not found", "type": "invalid_request_error", "code": "model_not_found"}})
            writer.write(_reply(404, payload.encode(), "Not Found"))
        await writer.drain()
        return True

    async def _stream(self, writer: asyncio.StreamWriter, total: int) -> None:
        block = b"x" * 65536
        sent = 0
        while sent < total:
            writer.write(block)
            await writer.drain()
            sent += len(block)

    # -- lifecycle -------------------------------------------------------------------------
    async def serve(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._one = asyncio.Lock()
        self._server = await asyncio.start_server(self._handle, self.host, self.port, backlog=512)
        self.port = self._server.sockets[0].getsockname()[1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--mode", choices=MODES, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=200.0, help="one-at-a-time: time per request")
    args = parser.parse_args(argv)
    server = HostileServer(args.mode, host=args.host, port=args.port, latency_ms=args.latency_ms)
    serve_until_signalled(server)


if __name__ == "__main__":
    main()
