"""A raw asyncio server on its own event-loop thread: the lifecycle the loopback test doubles share.

Subclasses implement ``serve()`` (bind with ``port`` 0 and set ``self.port``, ``self.loop`` and
``self._server``); ``start()``/``stop()`` and the context manager run it in a daemon thread.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Self


class ThreadedServer:
    thread_name = "loopback"

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None

    async def serve(self) -> None:
        raise NotImplementedError

    def start(self) -> Self:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            loop.run_until_complete(self.serve())
            ready.set()
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=run, name=self.thread_name, daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self.loop is not None and self._server is not None:
            loop, server = self.loop, self._server

            def close() -> None:
                server.close()
                loop.stop()

            loop.call_soon_threadsafe(close)
            if self._thread is not None:
                self._thread.join(5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def serve_until_signalled(server: ThreadedServer) -> None:
    """Serve in this process's main loop, print the URL, stop on SIGINT/SIGTERM (a child server)."""
    import signal

    async def run() -> None:
        await server.serve()
        print(getattr(server, "url", ""), flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()

    asyncio.run(run())
