"""The generic ``http:`` target against a real loopback FastAPI server.

Headers name environment variables and are resolved only when the target is built, so the
stored spec never holds a secret; the body template and the response path reshape the
request and the reply for APIs that are not quite OpenAI's.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from accord.errors import AccordError, InputError
from accord.records import ErrorKind, Message
from accord.targets import Completion, GenParams, Target, TargetError, display_name, load_target, parse_target
from tests.support.loopback import serve_app

SEEN: list[dict[str, Any]] = []


def _app() -> Any:
    app = FastAPI()

    @app.post("/openai/deployments/d1/chat/completions")
    async def chat(request: Request) -> Any:
        body = await request.json()
        SEEN.append({"headers": dict(request.headers), "body": body, "query": dict(request.query_params)})
        if request.headers.get("api-key") != "s3cret":
            return JSONResponse({"error": {"message": "bad key"}}, status_code=401)
        text = body["messages"][-1]["content"].upper()
        return {"model": "gpt-4o-2024", "choices": [{"message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]}

    @app.post("/generate")
    async def generate(request: Request) -> Any:
        body = await request.json()
        SEEN.append({"headers": dict(request.headers), "body": body})
        return {"output": {"items": [{"text": f"echo {body['input']}"}]}}

    return app


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with serve_app(_app()) as base:
        yield base


def _gen(target: Target, content: str = "hello") -> Completion:
    async def go() -> Completion:
        try:
            return await target.generate([Message(role="system", content="be nice"), Message(role="user", content=content)], GenParams())
        finally:
            await target.aclose()

    return asyncio.run(go())


def test_azure_style_header_from_the_environment(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_KEY", "s3cret")
    spec = f"http:{url}/openai/deployments/d1/chat/completions?api-version=2024-06-01#header.api-key=env:AZURE_KEY&model=gpt-4o"
    target = load_target(spec)
    completion = _gen(target, "hi there")
    assert completion.text == "HI THERE" and completion.finish_reason == "stop"
    seen = SEEN[-1]
    assert seen["headers"]["api-key"] == "s3cret" and seen["query"] == {"api-version": "2024-06-01"}
    assert seen["body"]["model"] == "gpt-4o" and seen["body"]["messages"][0] == {"role": "system", "content": "be nice"}
    assert "seed" not in seen["body"] and "top_p" not in seen["body"]  # unset placeholders are left out
    # The secret is nowhere in what a run stores.
    stored = target.spec.model_dump_json()
    assert "s3cret" not in stored and "env:AZURE_KEY" in stored
    assert "s3cret" not in target.digest()
    assert display_name(target.spec) == "gpt-4o"


def test_wrong_key_is_an_auth_error(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_KEY", "wrong")
    target = load_target(f"http:{url}/openai/deployments/d1/chat/completions#header.api-key=$AZURE_KEY")
    with pytest.raises(TargetError) as info:
        _gen(target)
    assert info.value.kind == ErrorKind.auth and not info.value.retryable and "bad key" in str(info.value)


def test_unset_variable_fails_when_built_not_when_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOPE_KEY", raising=False)
    spec = parse_target("http:http://127.0.0.1:9/x#header.api-key=env:NOPE_KEY")
    assert spec.options["headers"] == {"api-key": "env:NOPE_KEY"}
    with pytest.raises(AccordError, match=r"\$NOPE_KEY"):
        load_target(spec)


def test_literal_credentials_are_refused() -> None:
    with pytest.raises(InputError, match="would store a credential"):
        parse_target("http:http://127.0.0.1:9/x#header.Authorization=Bearer%20abc")
    with pytest.raises(InputError, match="would store a credential"):
        load_target("http:http://127.0.0.1:9/x", headers={"api-key": "abc"})
    assert parse_target("http:http://h/x#header.X-Tenant=acme").options["headers"] == {"X-Tenant": "acme"}


def test_body_template_and_response_path(url: str, tmp_path: Path) -> None:
    template = tmp_path / "body.json"
    template.write_text(json.dumps({"input": "{prompt}", "meta": {"sys": "system: {system}", "t": "{temperature}"}, "seed": "{seed}"}))
    target = load_target(f"http:{url}/generate#body={template}&response=output.items.0.text&model=in-house")
    assert _gen(target, "ping").text == "echo ping"
    body = SEEN[-1]["body"]
    assert body == {"input": "ping", "meta": {"sys": "system: be nice", "t": 0.0}}
    assert target.spec.options["body"]["input"] == "{prompt}"  # the template is kept with the spec


def test_missing_response_path_is_a_bad_response(url: str) -> None:
    target = load_target(f"http:{url}/generate", body={"input": "{prompt}"}, response="output.nope")
    with pytest.raises(TargetError) as info:
        _gen(target)
    assert info.value.kind == ErrorKind.bad_response and "output.nope" in str(info.value)


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ("http:ftp://x/y", "http(s) URL"),
        ("http:http://x/y#colour=blue", "unknown http target option 'colour'"),
        ("http:http://x/y#header.bad name=1", "bad header name"),
    ],
)
def test_bad_specs(spec: str, needle: str) -> None:
    with pytest.raises(InputError) as info:
        parse_target(spec)
    assert needle in info.value.diagnostics()


def test_display_name_falls_back_to_the_host() -> None:
    assert display_name("http:https://api.example.com/v1/chat") == "api.example.com"
