"""The app's contract with every client: one error shape, bounded bodies, never a traceback.

Routes that raise each kind of error are added to a real ``create_app`` (the routers under
test elsewhere use the same handlers), and the body limits are checked over a real socket
(uvicorn on loopback), where a client can lie about ``Content-Length`` or stream chunks.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")

from fastapi import FastAPI  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from pydantic import BaseModel, ConfigDict  # noqa: E402

from accord.errors import AccordError, InputError, StoreError, UnknownNameError, VerificationError  # noqa: E402
from accord.pipeline import AccessDenied, AuthError, NotFound  # noqa: E402
from accord.server import ServerConfig, create_app  # noqa: E402
from tests.support.loopback import serve_app  # noqa: E402

TRACEBACK = re.compile(r"Traceback|File \"|line \d+, in |\.py\"", re.I)
SECRET = "s3cr3t-value-in-an-exception"


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    count: int


def _raiser(exc: BaseException) -> Any:
    def route() -> None:
        raise exc

    return route


ERRORS: list[tuple[str, BaseException, int]] = [
    ("auth", AuthError("no such token", fix="create one"), 401),
    ("denied", AccessDenied("providers only"), 403),
    ("missing", NotFound("no incident INC-9"), 404),
    ("unknown", UnknownNameError("pack", "xx", ["eu"]), 404),
    ("unverified", VerificationError("bad signature", why="key mismatch"), 422),
    ("store", StoreError("database is locked"), 503),
    ("input", InputError("bad tlp", field="tlp"), 400),
    ("plain", AccordError("something the user can fix", why="because", fix="do this"), 400),
]


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    application: FastAPI = create_app(ServerConfig(db=f"sqlite:///{tmp_path / 'serve.db'}", log_dir=tmp_path / "log", max_body_bytes=4096))
    for name, exc, _ in ERRORS:
        application.add_api_route(f"/t/{name}", _raiser(exc), methods=["GET"])
    application.add_api_route("/t/boom", _raiser(RuntimeError(f"internal detail {SECRET}")), methods=["GET"])
    application.add_api_route("/t/zero", _raiser(ZeroDivisionError("division by zero")), methods=["GET"])

    def echo(body: Body) -> dict[str, Any]:
        return {"name": body.name, "count": body.count}

    application.add_api_route("/t/echo", echo, methods=["POST"])
    yield application
    application.state.accord.close()


@pytest.mark.parametrize(("name", "status"), [(n, s) for n, _, s in ERRORS])
def test_each_accord_error_maps_to_its_status_with_what_why_fix(app: FastAPI, name: str, status: int) -> None:
    exc = next(e for n, e, _ in ERRORS if n == name)
    assert isinstance(exc, AccordError)
    r = TestClient(app).get(f"/t/{name}")
    assert r.status_code == status
    body = r.json()
    assert body["error"] == exc.what
    assert body.get("why") == exc.why and body.get("fix") == exc.fix
    assert not TRACEBACK.search(r.text)
    if isinstance(exc, InputError):
        assert body["field"] == "tlp"
    if status == 401:
        assert r.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("route", ["/t/boom", "/t/zero"])
def test_an_unexpected_exception_is_a_500_with_a_ref_and_no_detail(app: FastAPI, route: str, caplog: pytest.LogCaptureFixture) -> None:
    r = TestClient(app, raise_server_exceptions=False).get(route)
    assert r.status_code == 500
    body = r.json()
    assert set(body) == {"error", "ref"} and body["error"] == "internal error"
    assert re.fullmatch(r"[0-9a-f]{12}", body["ref"])
    assert SECRET not in r.text and "division" not in r.text and not TRACEBACK.search(r.text)
    # the operator can find it: the ref is in the server's log, with the traceback
    assert any(body["ref"] in rec.getMessage() for rec in caplog.records)


def test_validation_errors_name_the_field_and_refuse_unknown_fields(app: FastAPI) -> None:
    client = TestClient(app)
    r = client.post("/t/echo", json={"name": "x", "count": "many"})
    assert r.status_code == 422
    assert r.json()["field"] == "count" and r.json()["errors"] == 1
    r = client.post("/t/echo", json={"name": "x", "count": 1, "admin": True})
    assert r.status_code == 422 and r.json()["field"] == "admin"
    r = client.post("/t/echo", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and "error" in r.json() and not TRACEBACK.search(r.text)
    assert client.post("/t/echo", json={"name": "x", "count": 2}).json() == {"name": "x", "count": 2}


def test_a_body_over_the_limit_is_refused_with_413(app: FastAPI) -> None:
    client = TestClient(app)
    r = client.post("/t/echo", content=b"x" * 5000, headers={"content-type": "application/json"})
    assert r.status_code == 413 and "4,096" in r.json()["error"]
    assert client.post("/t/echo", json={"name": "x" * 3000, "count": 1}).status_code == 200


def test_the_default_limit_is_16_mib() -> None:
    assert ServerConfig().max_body_bytes == 16 * 1024 * 1024


def _raw(url: str, request: bytes, *, timeout: float = 5.0) -> tuple[int, bytes]:
    """Send ``request`` as is over a socket; the status and the body of the reply."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        length = int(re.search(rb"content-length: *(\d+)", head, re.I).group(1))  # type: ignore[union-attr]
        while len(rest) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
    return int(head.split(b" ", 2)[1]), rest


def test_over_a_socket_a_huge_declared_body_is_refused_before_it_is_sent(app: FastAPI) -> None:
    with serve_app(app) as url:
        # 1 GiB declared, nothing sent: the answer comes at once, the server reads nothing
        status, body = _raw(url, b"POST /t/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n")
        assert status == 413 and json.loads(body)["error"].startswith("request body over")


def test_over_a_socket_chunked_bodies_are_refused_with_411(app: FastAPI) -> None:
    with serve_app(app) as url:
        chunk = b'{"name":"x","count":1}'
        req = b"POST /t/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n0\r\n\r\n"
        status, body = _raw(url, req)
        assert status == 411 and "Content-Length" in json.loads(body)["error"]


def test_over_a_socket_a_500_carries_no_traceback(app: FastAPI) -> None:
    import httpx

    with serve_app(app) as url:
        r = httpx.get(f"{url}/t/boom")
        assert r.status_code == 500 and r.json()["error"] == "internal error"
        assert SECRET not in r.text and not TRACEBACK.search(r.text)
        assert httpx.get(f"{url}/v1/health").json()["ok"] is True  # and the server carries on


def test_the_openapi_schema_is_published(app: FastAPI) -> None:
    schema = TestClient(app).get("/openapi.json").json()
    assert schema["info"]["title"] == "accord" and "/v1/health" in schema["paths"]


def test_no_page_loads_an_external_url(app: FastAPI) -> None:
    """FastAPI's default /docs and /redoc pull Swagger/ReDoc from a CDN; the service serves
    nothing that makes a browser fetch from elsewhere."""
    client = TestClient(app)
    for path in ("/docs", "/redoc"):
        r = client.get(path)
        if r.status_code == 200 and "text/html" in r.headers.get("content-type", ""):
            assert not re.search(r"""(src|href)=["']?(https?:)?//""", r.text), f"{path} loads an external URL"
