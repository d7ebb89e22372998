"""Run an ASGI app (FastAPI) on 127.0.0.1 in a background thread, for tests of real HTTP.

Binding the socket ourselves to port 0 gives a free port with no race; the server thread is
stopped when the context exits.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def serve_app(app: Any, *, timeout_s: float = 10.0) -> Iterator[str]:
    """Yield ``http://127.0.0.1:PORT`` while ``app`` is served."""
    import uvicorn

    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted connections only for a
    # socket whose proto says TCP; with proto 0 every reply waits ~40 ms for a delayed ACK
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    # h11 explicitly: with httptools installed (the server extra) uvicorn would pick it, and it
    # reads an absolute-form request target (a proxied request) differently; doubles stay exact
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", http="h11"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    if not server.started:
        raise RuntimeError("loopback server did not start")
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(5)
        sock.close()
