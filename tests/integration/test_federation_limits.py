"""What a peer sends is read with bounded memory (issue 21): an answer larger than its limit is
refused without being read whole, with an error that names the peer's URL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.responses import StreamingResponse

from accord.attest import SigningKey
from accord.errors import VerificationError
from accord.pipeline import LOCAL_ADMIN, add_peer, open_service_store
from tests.support.loopback import serve_app


def _flood() -> Iterator[bytes]:
    chunk = b"x" * 65536
    for _ in range(10_000):  # 640 MiB if anyone read it all
        yield chunk


def test_an_oversized_answer_is_refused_unread(tmp_path: object) -> None:
    app = FastAPI()

    @app.get("/v1/federation/info")
    def info() -> StreamingResponse:
        return StreamingResponse(_flood(), media_type="application/json")

    store = open_service_store(f"sqlite:///{tmp_path}/s.db")
    try:
        with serve_app(app) as url, pytest.raises(VerificationError, match="over 65536 bytes") as err:
            add_peer(store, LOCAL_ADMIN, url, trusted_key=SigningKey.generate().public.vkey(), orgs=["org-x"])
        assert url in err.value.what
    finally:
        store.close()
