"""The published OpenAPI schema, fuzzed with schemathesis: no 500 and no traceback, anywhere.

Every operation the app publishes gets generated requests (valid ones and, through
schemathesis' negative mode, invalid ones) against a store filled by the service demo (its
organisations and tokens, no model runs, to stay quick) and one incident of each TLP level. Each
request goes out as one of: anonymous, each demo role's token, a malformed header and an
unknown token, so the authorised paths are fuzzed too, not only the 401s.

Checks: ``not_a_server_error`` (no 5xx) and ``no_traceback`` below (no Python traceback,
source path or exception repr in any body). Everything else schemathesis can check (schema
conformance of every 4xx) is the routers' own tests' business.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("schemathesis")

import hypothesis  # noqa: E402
import schemathesis  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from accord.server import ServerConfig, create_app  # noqa: E402

TRACEBACK = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\.py\", line \d+|\w+Error\('")
EXAMPLES = 25


def _incidents_of_every_tlp(store: Any, log_dir: Path) -> None:
    """One incident per TLP level (and one with two versions), so reads hit every rule."""
    from accord.pipeline import LOCAL_ADMIN, add_incident_version, authenticate, create_token, report_incident

    reporter = authenticate(store, create_token(store, LOCAL_ADMIN, "demo-lab", "provider")["token"])
    recipients = {
        "CLEAR": [],
        "GREEN": [],
        "AMBER": [{"org": "demo-auditor", "clients": ["demo-public"]}],
        "AMBER+STRICT": [{"org": "demo-regulator"}],
        "RED": [{"org": "demo-regulator", "member": "demo"}],
    }
    for tlp, to in recipients.items():
        report = {
            "title": f"fuzz fixture incident ({tlp})",
            "description": "A fixture for the OpenAPI fuzz test.",
            "system": {"name": "fixture-system", "version": "1"},
            "severity": "incident",
            "status": "open",
            "aware_at": "2026-01-02T03:04:05Z",
            "tlp": tlp,
            "recipients": to,
        }
        made = report_incident(store, reporter, report, log_dir=log_dir)
    add_incident_version(store, reporter, made.incident_id, {**report, "status": "investigating"}, log_dir=log_dir)


@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from accord.pipeline import ensure_log_key, fill_service_demo, open_service_store

    root = tmp_path_factory.mktemp("fuzz-server")
    # module scope runs before the autouse per-test home: isolate this fixture's keys too
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ACCORD_HOME", str(root / "home"))
        mp.delenv("ACCORD_DB", raising=False)
        mp.delenv("ACCORD_LOG_SIGNING_KEY", raising=False)
        mp.delenv("ACCORD_SIGNING_KEY", raising=False)
        store = open_service_store(f"sqlite:///{root / 'serve.db'}")
        ensure_log_key(None, lambda s: None)  # a deployed server has its log key (`accord keys init --log`)
        demo = fill_service_demo(store, runs=False, incidents=0, log_dir=root / "log", say=lambda s: None)
        _incidents_of_every_tlp(store, root / "log")
        app = create_app(ServerConfig(db=None, log_dir=root / "log"), store=store)
        headers: list[dict[str, str]] = [{}, {"Authorization": "Bearer acc_unknown-token-0000"}, {"Authorization": "Basic Zm9vOmJhcg=="}]
        headers += [{"Authorization": f"Bearer {tok}"} for tok in demo.tokens.values()]
        yield {"app": app, "headers": headers, "store": store, "home": root / "home"}
        store.close()


@pytest.fixture
def served_home(fuzz_target: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sees the fixture's home (its log key), not the per-test one."""
    monkeypatch.setenv("ACCORD_HOME", str(fuzz_target["home"]))


@schemathesis.check
def no_traceback(ctx: Any, response: Any, case: Any) -> bool | None:
    """No Python traceback, source location or exception repr in a response body."""
    text = response.content.decode("utf-8", "replace") if isinstance(response.content, bytes) else str(response.content)
    match = TRACEBACK.search(text)
    if match:
        raise AssertionError(f"a traceback leaked into the {response.status_code} body: {text[max(0, match.start() - 80) : match.end() + 80]!r}")
    return None


def _operations(schema: Any) -> list[Any]:
    """The schema's operations; an operation schemathesis cannot read is a failure in itself."""
    out = []
    for result in schema.get_all_operations():
        ok = getattr(result, "ok", None)
        if ok is None:
            raise AssertionError(f"the published OpenAPI schema has an unreadable operation: {result.err()}")
        out.append(ok())
    return out


def _fuzz_operation(operation: Any, mode: GenerationMode, headers: list[dict[str, str]]) -> None:
    """Up to ``EXAMPLES`` generated requests for one operation, each under one of ``headers``."""

    @hypothesis.settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(hypothesis.HealthCheck), derandomize=True, database=None)
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode), who=st.integers(min_value=0, max_value=len(headers) - 1))
    def fuzz(case: Any, who: int) -> None:
        case.call_and_validate(headers=headers[who], checks=[not_a_server_error, no_traceback])

    fuzz()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_no_operation_answers_500_or_a_traceback(fuzz_target: dict[str, Any], served_home: None, mode: GenerationMode) -> None:
    """Every published operation, fuzzed; all failures are collected and reported together.

    (schemathesis' own pytest plugin, ``from_fixture``, does not run under pytest 9, so the
    operations are walked here with the same strategies and checks.)"""
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_target["app"])
    failures: list[str] = []
    fuzzed = 0
    for operation in _operations(schema):
        try:
            _fuzz_operation(operation, mode, fuzz_target["headers"])
        except hypothesis.errors.Unsatisfiable:
            continue  # no invalid request can be expressed for this operation (no parameters)
        except BaseException as exc:  # noqa: BLE001 - one report for all operations (a BaseExceptionGroup)
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
        fuzzed += 1
    assert fuzzed >= 1
    assert not failures, "\n\n".join(failures)


def test_the_fuzzed_schema_covers_the_service(fuzz_target: dict[str, Any]) -> None:
    """The fuzz above is only as wide as the schema: it must publish the service's routes."""
    from fastapi.testclient import TestClient

    paths = set(TestClient(fuzz_target["app"]).get("/openapi.json").json()["paths"])
    assert "/v1/health" in paths
    expected = {"_admin": "/v1/whoami", "_results": "/v1/results", "_incidents": "/v1/incidents", "_log": "/v1/log/checkpoint"}
    import importlib.util

    for module, path in expected.items():
        if importlib.util.find_spec(f"accord.server.{module}") is not None:
            assert path in paths, f"accord.server.{module} exists but {path} is not in the published schema"


def test_a_demo_token_is_not_stored_in_the_clear(fuzz_target: dict[str, Any], tmp_path: Path) -> None:
    """Tokens are stored as SHA-256 digests only: no demo token's text is in the database file."""
    store = fuzz_target["store"]
    tokens = [h["Authorization"].removeprefix("Bearer ") for h in fuzz_target["headers"][3:]]
    if not tokens:
        pytest.skip("no tokens: organisations are not built yet")
    db_file = Path(store.url.removeprefix("sqlite:///"))
    data = b"".join(p.read_bytes() for p in db_file.parent.glob(db_file.name + "*"))
    for token in tokens:
        assert token.encode() not in data


def test_the_fuzz_finds_a_500_and_a_leaked_traceback(tmp_path: Path) -> None:
    """The harness itself: routes of the real app that fail on some inputs are caught (else
    the test above proves nothing). The 500 comes through the app's own handler."""
    from fastapi.responses import PlainTextResponse

    app = create_app(ServerConfig(db=f"sqlite:///{tmp_path / 'meta.db'}", log_dir=tmp_path / "log"))

    def crash(n: int) -> dict[str, int]:
        return {"n": 100 // (n % 3)}  # a ZeroDivisionError for every third n

    def leak(n: int) -> str:
        return 'Traceback (most recent call last):\n  File "x.py", line 1' if n % 2 else "ok"

    app.add_api_route("/meta/crash/{n}", crash, methods=["GET"])
    app.add_api_route("/meta/leak/{n}", leak, methods=["GET"], response_class=PlainTextResponse)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    caught: dict[str, str] = {}
    for operation in _operations(schema):
        if not operation.path.startswith("/meta/"):
            continue
        try:
            _fuzz_operation(operation, GenerationMode.POSITIVE, [{}])
        except BaseException as exc:  # noqa: BLE001 - schemathesis raises a BaseExceptionGroup
            caught[operation.path] = f"{type(exc).__name__}: {exc}"
    assert "ZeroDivisionError" in caught.get("/meta/crash/{n}", "") or "500" in caught.get("/meta/crash/{n}", "")
    assert "traceback leaked" in caught.get("/meta/leak/{n}", "")
    app.state.accord.close()
