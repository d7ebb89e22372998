"""Issue 12 at the target level: hostile replies, injected headers and secrets in specs."""

from __future__ import annotations

import asyncio

import pytest

from accord.errors import AccordError, InputError
from accord.records import ErrorKind, Message
from accord.targets import GenParams, Target, TargetError, load_target, parse_target
from tests.support.hostile_server import HostileServer

KEY = "sk-test-SECRETKEY0123456789"


def _gen(target: Target, *, timeout_s: float = 3.0) -> object:
    async def go() -> object:
        try:
            return await target.generate([Message(role="user", content="hi")], GenParams(timeout_s=timeout_s))
        except TargetError as exc:
            return exc
        finally:
            await target.aclose()

    return asyncio.run(go())


# --- finding 13: a reply without message is an error, never an empty answer -----------------


@pytest.mark.timeout(15)
def test_reply_without_message_is_a_bad_response() -> None:
    with HostileServer("no-message") as srv:
        out = _gen(load_target(f"openai:{srv.url}#m"))
    assert isinstance(out, TargetError) and out.kind is ErrorKind.bad_response, out


@pytest.mark.parametrize(
    "data",
    [
        {"choices": [{"finish_reason": "stop"}]},
        {"choices": [{"message": None, "finish_reason": "stop"}]},
        {"choices": [{"message": {"role": "assistant"}, "finish_reason": "stop"}]},
        {"choices": [{"message": {"content": 5}}]},
        {"choices": []},
    ],
)
def test_parse_completion_refuses_replies_without_text(data: object) -> None:
    from accord.targets._providers.openai import parse_completion

    with pytest.raises(TargetError) as info:
        parse_completion(data)
    assert info.value.kind is ErrorKind.bad_response


# --- finding 14: the server's explanation is kept in the error text --------------------------


@pytest.mark.timeout(15)
def test_server_error_message_is_kept() -> None:
    with HostileServer("error-message") as srv:
        out = _gen(load_target(f"openai:{srv.url}#x"))
    assert isinstance(out, TargetError) and out.kind is ErrorKind.client_error
    assert str(out) == "HTTP 404: model 'x' not found"


def test_long_error_text_is_cleaned_and_cut() -> None:
    from accord.targets._http import MAX_ERROR_CHARS, status_error

    err = status_error(500, "line one\r\nInjected: yes\x1b[31m" + "x" * 1000, {})
    assert "\n" not in str(err) and "\x1b" not in str(err)
    assert len(str(err)) <= MAX_ERROR_CHARS + len("HTTP 500: ")


# --- finding 10: an echoed key never reaches the error text ----------------------------------


@pytest.mark.timeout(15)
@pytest.mark.parametrize("mode", ["echo-auth", "echo-auth-500"])
def test_echoed_authorization_is_redacted(mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_KEY", KEY)
    with HostileServer(mode) as srv:
        out = _gen(load_target(f"openai:{srv.url}#m", api_key_env="MY_KEY"))
    assert isinstance(out, TargetError), out
    assert "SECRETKEY" not in str(out) and KEY not in str(out)
    assert "invalid credentials" in str(out)


@pytest.mark.timeout(15)
def test_echoed_header_of_http_target_is_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GW_KEY", "gateway-secret-value-42")
    with HostileServer("echo-auth-500") as srv:
        out = _gen(load_target(f"http:{srv.url}/chat/completions#model=m&header.Authorization=env:GW_KEY"))
    assert isinstance(out, TargetError) and "gateway-secret-value-42" not in str(out)


@pytest.mark.parametrize(
    "spec",
    [
        "openai:http://user:pass@127.0.0.1:8000/v1#m",
        "openai:https://:sk-secret@api.example.com/v1#m",
        "openai:http://user:pass@[::1#m",
        "http:http://user:pass@127.0.0.1:9000/generate#model=m",
        "openai:http://user:pass@127.0.0.1:8000/v1",
    ],
)
def test_credentials_in_the_url_are_refused(spec: str) -> None:
    with pytest.raises(InputError) as info:
        parse_target(spec)
    text = info.value.diagnostics()
    assert "credentials in the URL are refused" in text and "--api-key-env" in text
    assert "pass@" not in text and "sk-secret" not in text


def test_anthropic_base_url_with_credentials_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "k" * 20)
    with pytest.raises(InputError, match="credentials in the URL"):
        load_target("anthropic:claude-x", base_url="https://u:p@api.example.com")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "https://u:p@api.example.com")
    with pytest.raises(InputError, match="credentials in the URL"):
        load_target("anthropic:claude-x")


# --- finding 7 (target specs): bad ports and hosts are input errors, not tracebacks -----------


@pytest.mark.parametrize(
    "spec",
    [
        "openai:http://127.0.0.1:99999/v1#m",
        "openai:http://[::1/v1#m",
        "openai:http://127.0.0.1:port/v1#m",
        "openai:http://127.0.0.1:0/v1#m",
        "http:http://127.0.0.1:99999/x#model=m",
        "http:http://[::1/x",
        "openai:http://[::1/v1",
    ],
)
def test_bad_ports_and_hosts_are_input_errors_on_target(spec: str) -> None:
    with pytest.raises(InputError) as info:
        load_target(spec)
    assert info.value.field == "--target"


# --- finding 3: header values are checked before anything is sent ----------------------------


@pytest.mark.parametrize("bad", ["sk-abc\r\nX-Injected: 1", "sk-abc\n", "sk-abc\rx", "sk-abc\x01x"])
def test_key_with_crlf_or_nul_is_refused_at_construction(bad: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", bad)
    monkeypatch.setenv("ANTHROPIC_API_KEY", bad)
    monkeypatch.setenv("GW_KEY", bad)
    for spec in ("openai:http://127.0.0.1:9/v1#m", "anthropic:claude-x", "http:http://127.0.0.1:9/x#header.x-api-key=env:GW_KEY"):
        with pytest.raises(InputError) as info:
            load_target(spec)
        assert "control character" in str(info.value)
        assert info.value.field is not None and ("$" in info.value.field)
        assert "sk-abc" not in info.value.diagnostics()


def test_nul_in_a_header_value_is_refused() -> None:
    from accord.targets._http import check_header_values

    with pytest.raises(InputError) as info:
        check_header_values([("Authorization", "Bearer sk-\x00abc")], {"Authorization": "$OPENAI_API_KEY"})
    assert info.value.field == "$OPENAI_API_KEY"


def test_literal_header_with_crlf_is_refused_in_the_spec() -> None:
    with pytest.raises(InputError):
        parse_target("http:http://127.0.0.1:9/x#header.X-Trace=a%0d%0aInjected:1")


def test_max_response_bytes_and_ca_bundle_options(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    target = load_target("openai:http://127.0.0.1:9/v1#m", max_response_bytes=1234)
    assert target.transport.max_response_bytes == 1234  # type: ignore[attr-defined]
    with pytest.raises(InputError) as info:
        load_target("openai:https://127.0.0.1:9/v1#m", ca_bundle=tmp_path / "missing.pem")
    assert info.value.field == "--ca-bundle"
    with pytest.raises(InputError) as info:
        load_target("openai:http://127.0.0.1:9/v1#m", max_response_bytes=0)
    assert info.value.field == "--max-response-bytes"
    with pytest.raises(AccordError, match="does not use --ca-bundle"):
        load_target("python:json:dumps", ca_bundle=str(tmp_path / "x.pem"))


@pytest.mark.timeout(20)
@pytest.mark.parametrize(
    ("mode", "kind"),
    [
        ("neg-chunk", ErrorKind.bad_response),
        ("garbage-chunk", ErrorKind.bad_response),
        ("bad-length", ErrorKind.bad_response),
        ("huge-chunk", ErrorKind.bad_response),
        ("huge-body", ErrorKind.bad_response),
        ("huge-unsized", ErrorKind.bad_response),
        ("short-length", ErrorKind.connection),
        ("reset", ErrorKind.connection),
        ("slow-loris", ErrorKind.timeout),
    ],
)
def test_hostile_framing_is_a_classified_error(mode: str, kind: ErrorKind) -> None:
    import time

    with HostileServer(mode) as srv:
        started = time.monotonic()
        out = _gen(load_target(f"openai:{srv.url}#m", max_response_bytes=1 << 20), timeout_s=2.0)
        took = time.monotonic() - started
    assert isinstance(out, TargetError) and out.kind is kind, (mode, out)
    assert took < 5
