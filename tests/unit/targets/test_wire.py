"""The lean HTTP/1.1 client (h11 + our pool) against a real socket server replying with scripted bytes."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable

import pytest

from accord.targets._wire import Endpoint, Lanes, WireConnectionError, WireProtocolError, WireTimeout, WireTooLarge

Script = Callable[[bytes], list[bytes | None]]  # request bytes -> chunks to send (None = close, RESET = RST)
RESET = b"<<reset>>"


async def serve(script: Script) -> tuple[asyncio.base_events.Server, list[bytes], list[int]]:
    """A server that reads one request at a time and writes ``script(request)``; counts connections."""
    seen: list[bytes] = []
    conns: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conns.append(1)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                body = await reader.readexactly(length)
                seen.append(head + body)
                for part in script(head + body):
                    if part is None:
                        writer.close()
                        return
                    if part == RESET:
                        import socket
                        import struct

                        sock = writer.get_extra_info("socket")
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                        writer.transport.abort()  # an RST, not a FIN
                        return
                    writer.write(part)
                    await writer.drain()
                    await asyncio.sleep(0.001)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, seen, conns


def ok(body: bytes = b'{"ok": true}', extra: bytes = b"") -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + extra
        + b"Content-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )


def run(
    script: Script, requests: int = 1, *, timeout: float = 2.0, lanes: int = 1, max_bytes: int = 8 << 20
) -> tuple[list[object], list[bytes], int]:
    async def go() -> tuple[list[object], list[bytes], int]:
        server, seen, conns = await serve(script)
        port = server.sockets[0].getsockname()[1]
        pool = Lanes(
            Endpoint(f"http://127.0.0.1:{port}/v1/chat/completions"),
            lanes,
            [("Content-Type", "application/json")],
            max_response_bytes=max_bytes,
        )
        out: list[object] = []
        for i in range(requests):
            try:
                out.append(await pool.post(b'{"n": %d}' % i, timeout))
            except Exception as exc:  # collected for the assertions
                out.append(exc)
        await pool.aclose()
        server.close()
        return out, seen, len(conns)

    return asyncio.run(go())


def test_content_length_reply_and_keep_alive_reuse() -> None:
    out, seen, conns = run(lambda req: [ok()], requests=3)
    assert [r.status for r in out] == [200, 200, 200]  # type: ignore[attr-defined]
    assert out[0].body == b'{"ok": true}' and out[0].headers["content-type"] == "application/json"  # type: ignore[attr-defined]
    assert conns == 1  # one connection carried all three
    first = seen[0]
    assert first.startswith(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:")
    assert b'Content-Length: 7\r\n\r\n{"n": 0}' in first or first.endswith(b'{"n": 0}')


def test_chunked_reply_split_across_packets() -> None:
    chunks = [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", b"5\r\nhel", b"lo\r\n6;ext=1\r\n world\r\n", b"0\r\n", b"\r\n"]
    out, _, conns = run(lambda req: chunks, requests=2)
    assert [r.body for r in out] == [b"hello world", b"hello world"]  # type: ignore[attr-defined]
    assert conns == 1


def test_interim_100_and_headers_split() -> None:
    out, _, _ = run(
        lambda req: [b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Cre", b"ated\r\nX-A: 1\r\nx-a: 2\r\nContent-Length: 2\r\n\r\nhi"]
    )
    assert out[0].status == 201 and out[0].body == b"hi" and out[0].headers["x-a"] == "1, 2"  # type: ignore[attr-defined]


def test_connection_close_and_read_to_eof() -> None:
    out, _, conns = run(lambda req: [b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end", None], requests=2)
    assert [r.body for r in out] == [b"until the end"] * 2  # type: ignore[attr-defined]
    assert conns == 2  # a closed connection is replaced, not reused


def test_a_connection_the_server_closed_is_not_reused() -> None:
    def script(req: bytes) -> list[bytes | None]:
        return [ok(), None]  # reply, then close (keep-alive header notwithstanding)

    async def go() -> tuple[list[int], int]:
        server, _, conns = await serve(script)
        pool = Lanes(Endpoint(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/x"), 1, [])
        statuses = []
        for _ in range(3):
            statuses.append((await pool.post(b"{}", 2.0)).status)
            await asyncio.sleep(0.05)  # the close reaches us while the connection is idle
        await pool.aclose()
        server.close()
        return statuses, len(conns)

    statuses, conns = asyncio.run(go())
    assert statuses == [200, 200, 200] and conns == 3


def test_close_racing_the_next_request_is_a_retryable_connection_error() -> None:
    out, _, _ = run(lambda req: [ok(), None], requests=2)
    assert getattr(out[0], "status", None) == 200
    second = out[1]
    assert getattr(second, "status", None) == 200 or (isinstance(second, WireConnectionError) and second.nothing_received)


def test_drop_without_reply_is_a_connection_error() -> None:
    out, _, _ = run(lambda req: [None])
    assert isinstance(out[0], WireConnectionError)


def test_partial_reply_then_close_is_a_connection_error() -> None:
    out, _, _ = run(lambda req: [b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", None])
    assert isinstance(out[0], WireConnectionError)


def test_garbage_is_a_protocol_error_and_the_connection_is_dropped() -> None:
    replies = iter([[b"SPDY/3 200 OK\r\n\r\n"], [ok()]])
    out, _, conns = run(lambda req: next(replies), requests=2)
    assert isinstance(out[0], WireProtocolError)
    assert getattr(out[1], "status", None) == 200 and conns == 2


def test_timeout_then_a_fresh_connection() -> None:
    replies = iter([[], [ok()]])  # the first request never gets an answer
    out, _, conns = run(lambda req: next(replies), requests=2, timeout=0.2)
    assert isinstance(out[0], WireTimeout)
    assert getattr(out[1], "status", None) == 200 and conns == 2


def test_nothing_listening() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    async def go() -> Exception:
        pool = Lanes(Endpoint(f"http://127.0.0.1:{port}/x"), 1, [])
        with pytest.raises(WireConnectionError) as info:
            await pool.post(b"{}", 1.0)
        return info.value

    assert "cannot connect" in str(asyncio.run(go()))


def test_concurrent_requests_use_at_most_n_connections() -> None:
    async def go() -> int:
        async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            conns.append(1)
            try:
                while True:
                    head = await reader.readuntil(b"\r\n\r\n")
                    n = int([ln for ln in head.split(b"\r\n") if ln.lower().startswith(b"content-length")][0].split(b":")[1])
                    await reader.readexactly(n)
                    await asyncio.sleep(0.01)
                    writer.write(ok())
            except (asyncio.IncompleteReadError, ConnectionError):
                pass

        conns: list[int] = []
        server = await asyncio.start_server(slow, "127.0.0.1", 0)
        pool = Lanes(Endpoint(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/x"), 4, [])
        replies = await asyncio.gather(*(pool.post(b"{}", 2.0) for _ in range(40)))
        assert all(r.status == 200 for r in replies)
        await pool.aclose()
        server.close()
        return len(conns)

    assert asyncio.run(go()) == 4


def test_endpoint_parsing() -> None:
    ep = Endpoint("https://api.example.com/v1/chat/completions")
    assert (ep.tls, ep.host, ep.port, ep.authority, ep.path) == (True, "api.example.com", 443, "api.example.com", "/v1/chat/completions")
    ep = Endpoint("http://[::1]:8080/v1?x=1")
    assert (ep.host, ep.port, ep.authority, ep.path) == ("::1", 8080, "[::1]:8080", "/v1?x=1")
    with pytest.raises(ValueError):
        Endpoint("ftp://x/")


async def _tls_ok(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A TLS test server's handler: answer every request with a small JSON body."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            n = int([ln for ln in head.split(b"\r\n") if ln.lower().startswith(b"content-length")][0].split(b":")[1])
            await reader.readexactly(n)
            writer.write(ok(b'{"tls": 1}'))
    except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
        pass


def _self_signed(tmp_path):  # type: ignore[no-untyped-def]
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_path, key_path


def test_tls_with_host_name_check(tmp_path) -> None:  # type: ignore[no-untyped-def]

    cert, key = _self_signed(tmp_path)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    trusting = ssl.create_default_context(cafile=str(cert))

    async def go() -> tuple[int, str]:
        server = await asyncio.start_server(_tls_ok, "127.0.0.1", 0, ssl=server_ctx)
        port = server.sockets[0].getsockname()[1]
        good = Lanes(Endpoint(f"https://localhost:{port}/x"), 1, [], ssl_context=trusting)
        reply = await good.post(b"{}", 5.0)
        await good.aclose()
        untrusting = Lanes(Endpoint(f"https://localhost:{port}/x"), 1, [])  # system trust store: refuses
        with pytest.raises(WireConnectionError) as info:
            await untrusting.post(b"{}", 5.0)
        server.close()
        return reply.status, str(info.value)

    status, refused = asyncio.run(go())
    assert status == 200
    assert "CERTIFICATE_VERIFY_FAILED" in refused or "certificate" in refused.lower()


# --- issue 12, findings 1-3: hostile framing ends as a classified error, bounded -------------


@pytest.mark.timeout(10)
@pytest.mark.parametrize("size", [b"-ff", b"zz", b"0x10", b"1 2"])
def test_bad_chunk_sizes_are_protocol_errors_not_a_frozen_loop(size: bytes) -> None:
    # Finding 1: "-ff" made the old parser loop forever inside data_received.
    replies = iter([[b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + size + b"\r\nhello\r\n0\r\n\r\n"], [ok()]])
    out, _, conns = run(lambda req: next(replies), requests=2)
    assert isinstance(out[0], WireProtocolError), out[0]
    assert getattr(out[1], "status", None) == 200 and conns == 2  # the broken connection was dropped


@pytest.mark.timeout(10)
def test_huge_chunk_size_is_refused_at_the_cap() -> None:
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    out, _, _ = run(lambda req: [head + b"7fffffffffffffff\r\n" + b"x" * 70_000, b"x" * 70_000], max_bytes=100_000)
    assert isinstance(out[0], WireProtocolError)  # too large, or refused by h11: either way not an answer


@pytest.mark.timeout(10)
def test_body_over_the_cap_is_refused() -> None:
    # Finding 2: no cap on a reply's size.
    big = b"x" * 300_000
    out, _, _ = run(lambda req: [ok(big)], max_bytes=100_000)
    assert isinstance(out[0], WireTooLarge) and "100,000" in str(out[0])
    streamed = [b"HTTP/1.1 200 OK\r\n\r\n"] + [b"y" * 65536] * 4 + [None]  # read-to-close, no length
    out, _, _ = run(lambda req: streamed, max_bytes=100_000)
    assert isinstance(out[0], WireTooLarge)


@pytest.mark.timeout(10)
def test_bad_content_length_is_a_protocol_error() -> None:
    for value in (b"abc", b"-5", b"5, 6"):
        out, _, _ = run(lambda req, v=value: [b"HTTP/1.1 200 OK\r\nContent-Length: " + v + b"\r\n\r\nhello", None])  # type: ignore[misc]
        assert isinstance(out[0], WireProtocolError), (value, out[0])


@pytest.mark.timeout(10)
def test_reset_mid_body_is_a_connection_error_not_a_short_answer() -> None:
    # Finding 3: a reset mid-body was stored as a successful short answer.
    out, _, _ = run(lambda req: [b'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{"choices": [', RESET])
    assert isinstance(out[0], WireConnectionError) and not out[0].nothing_received
    out, _, _ = run(lambda req: [b'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{"partial', RESET])
    assert isinstance(out[0], WireConnectionError)


@pytest.mark.timeout(10)
def test_slow_loris_is_cut_off_at_the_timeout() -> None:
    import time

    reply = ok(b'{"ok": true}')

    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        try:
            for i in range(len(reply)):
                writer.write(reply[i : i + 1])
                await writer.drain()
                await asyncio.sleep(0.2)
        except ConnectionError:
            pass

    async def go() -> object:
        server = await asyncio.start_server(trickle, "127.0.0.1", 0)
        pool = Lanes(Endpoint(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/x"), 1, [])
        try:
            return await pool.post(b"{}", 1.0)
        except Exception as exc:
            return exc
        finally:
            await pool.aclose()
            server.close()

    started = time.monotonic()
    result = asyncio.run(go())
    assert isinstance(result, WireTimeout)
    assert time.monotonic() - started < 3


def test_tls_honours_ca_bundle_and_ssl_cert_file(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]

    from accord.targets._wire import tls_context

    cert, key = _self_signed(tmp_path)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)

    async def status(ctx: ssl.SSLContext) -> int:
        server = await asyncio.start_server(_tls_ok, "127.0.0.1", 0, ssl=server_ctx)
        pool = Lanes(Endpoint(f"https://localhost:{server.sockets[0].getsockname()[1]}/x"), 1, [], ssl_context=ctx)
        try:
            return (await pool.post(b"{}", 5.0)).status
        finally:
            await pool.aclose()
            server.close()

    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    assert asyncio.run(status(tls_context(ca_bundle=str(cert)))) == 200  # --ca-bundle
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    assert asyncio.run(status(tls_context())) == 200  # $SSL_CERT_FILE (the old code used certifi only)
