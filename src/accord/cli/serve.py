"""``accord serve``: run the shared service (``accord.server``) with uvicorn.

The socket is bound here, before uvicorn starts, so ``--port 0`` picks a free port and the
URL printed is the one actually served (scripts and tests read it from the first line of
stdout). With ``--demo`` the store is first filled from the public data
(``accord.pipeline.fill_service_demo``) and one fresh token per role is printed, once: only
their SHA-256 digests are stored, so they cannot be shown again.

Only typer and ``accord.cli._common`` are imported at module level; FastAPI, uvicorn and the
pipeline are imported inside the command, so every other command starts without them.
"""

from __future__ import annotations

import signal
import socket
from pathlib import Path
from typing import Annotated, Any

import typer

from accord.cli._common import DataDirOption, DbOption


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (IPv4 or IPv6, whichever ``host`` names).

    Binding here rather than inside uvicorn means a port in use is a one-line error, and
    ``--port 0`` yields the real port before the first request.
    """
    from accord.errors import AccordError

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise AccordError(
            f"cannot listen on {host!r}: {exc.strerror}",
            fix="pass --host 127.0.0.1 (this machine only) or --host 0.0.0.0 (every interface)",
        ) from None
    family, kind, proto, _, addr = infos[0]
    # proto must be IPPROTO_TCP (not 0): asyncio turns Nagle off (TCP_NODELAY) only on sockets
    # that say so, and with Nagle on every response waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, kind, proto or socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind(addr)
    except OSError as exc:
        sock.close()
        raise AccordError(f"cannot listen on {host}:{port}: {exc.strerror}", fix="choose another --port (0 picks a free one)") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    """The http URL a client uses for ``sock`` (IPv6 hosts in brackets)."""
    host, port = sock.getsockname()[:2]
    if sock.family == socket.AF_INET6:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _graceful_server_class() -> Any:
    import uvicorn

    class GracefulServer(uvicorn.Server):
        """uvicorn's server, but Ctrl-C / SIGTERM is the normal way to stop a service: after
        the graceful shutdown the command returns (exit 0) instead of re-raising the signal
        (uvicorn's default, which made every clean stop look like an interruption, exit 130)."""

        def handle_exit(self, sig: int, frame: Any) -> None:
            if self.should_exit and sig == signal.SIGINT:
                self.force_exit = True  # a second Ctrl-C: stop waiting for open connections
            else:
                self.should_exit = True

    return GracefulServer


def serve(
    db: DbOption = None,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (127.0.0.1: this machine only; 0.0.0.0: every interface).")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="TCP port (0 picks a free one; the URL printed says which).")
    ] = 8000,
    log_dir: Annotated[
        Path | None,
        typer.Option("--log-dir", help="The server's transparency log directory (default: <accord data dir>/server-log).", file_okay=False),
    ] = None,
    signing_key: Annotated[
        str | None,
        typer.Option(
            "--signing-key",
            help="Private key that signs the log's checkpoints. Default: ACCORD_SIGNING_KEY, else `accord keys init`'s key.",
        ),
    ] = None,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="First fill the store from the public data (demo runs, organisations, AIID incidents) and print one token per role, once.",
        ),
    ] = False,
    data_dir: DataDirOption = None,
    sync_interval: Annotated[
        float | None,
        typer.Option(
            "--sync-interval",
            min=0.05,
            max=86400,
            help="Federation: witness and pull from every peer this often, in seconds (default: only on `accord peer sync`).",
        ),
    ] = None,
    name: Annotated[
        str, typer.Option("--name", help="A short name this server gives its peers (its federation id is its log origin).")
    ] = "accord",
    log_level: Annotated[str, typer.Option("--log-level", help="uvicorn's log level (critical, error, warning, info, debug).")] = "info",
) -> None:
    """Run the shared service: results, the transparency log, incidents under TLP, the dashboard.

    The OpenAPI schema is at /openapi.json. Stop with Ctrl-C.
    """
    import sys

    from accord.errors import MissingDependencyError

    try:
        import uvicorn
    except ImportError:
        raise MissingDependencyError("accord serve", extra="server", module="uvicorn") from None
    from accord.server import ServerConfig, create_app

    config = ServerConfig(db=db, log_dir=log_dir, signing_key=signing_key, data_dir=data_dir, sync_interval_s=sync_interval, name=name)
    sock = bind(host, port)
    try:
        app = create_app(config)
        url = url_of(sock)
        tokens: dict[str, Any] = {}
        if demo:
            from accord.pipeline import fill_service_demo

            st = app.state.accord
            filled = fill_service_demo(
                st.store,
                data_dir=data_dir,
                log_dir=st.log_dir,
                signing_key=signing_key,
                say=lambda s: print(s, file=sys.stderr, flush=True),
            )
            tokens = filled.tokens
        print(f"accord serving on {url}  (OpenAPI: {url}/openapi.json)", flush=True)
        for role, token in tokens.items():
            # shown once: the store keeps only its digest
            print(f"token {role}: {token}", flush=True)
        if tokens:
            print(f"use: curl -H 'Authorization: Bearer <token>' {url}/v1/whoami", flush=True)
        server = _graceful_server_class()(uvicorn.Config(app, log_level=log_level, lifespan="on", server_header=False))
        server.run(sockets=[sock])
        print("accord serve: stopped", file=sys.stderr, flush=True)
    finally:
        sock.close()
