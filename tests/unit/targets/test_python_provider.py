"""The ``python:`` target: a function (sync or async) from an importable module."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path
from typing import Any

import pytest

from accord.errors import AccordError, InputError
from accord.records import ErrorKind, Message
from accord.targets import Completion, GenParams, Target, TargetError, display_name, load_target, parse_target

MODULE = textwrap.dedent(
    '''
    import asyncio

    CALLS = []

    def answer(messages, params):
        CALLS.append((messages, params))
        return "you said " + messages[-1]["content"]

    async def answer_async(messages, params):
        await asyncio.sleep(0)
        return {"text": "async " + messages[-1]["content"], "finish_reason": "length", "output_tokens": 3}

    def blocks(messages, params):
        return {"text": None, "blocked": True}

    def breaks(messages, params):
        raise RuntimeError("kaboom")

    def wrong_type(messages, params):
        return 42

    NOT_CALLABLE = 3
    '''
)


@pytest.fixture
def bots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "accord_test_bots.py").write_text(MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    return "accord_test_bots"


def _gen(target: Target, content: str = "hello") -> Completion:
    async def go() -> Completion:
        try:
            return await target.generate([Message(role="user", content=content)], GenParams(max_tokens=7))
        finally:
            await target.aclose()

    return asyncio.run(go())


def test_sync_function(bots: str) -> None:
    import importlib

    target = load_target(f"python:{bots}:answer")
    assert _gen(target, "hi").text == "you said hi"
    calls: list[Any] = importlib.import_module(bots).CALLS
    messages, params = calls[-1]
    assert messages == [{"role": "user", "content": "hi"}] and params["max_tokens"] == 7
    assert target.digest().startswith(f"python:{bots}:answer@sha256:")
    assert display_name(target.spec) == "answer"


def test_async_function_returning_a_dict(bots: str) -> None:
    completion = _gen(load_target(f"python:{bots}:answer_async"), "x")
    assert (completion.text, completion.finish_reason, completion.output_tokens) == ("async x", "length", 3)


def test_block_and_errors(bots: str) -> None:
    assert _gen(load_target(f"python:{bots}:blocks")).blocked
    with pytest.raises(TargetError) as info:
        _gen(load_target(f"python:{bots}:breaks"))
    assert info.value.kind == ErrorKind.internal and "kaboom" in str(info.value)
    with pytest.raises(TargetError) as info:
        _gen(load_target(f"python:{bots}:wrong_type"))
    assert info.value.kind == ErrorKind.bad_response


def test_bad_references(bots: str) -> None:
    with pytest.raises(InputError, match="module:function"):
        parse_target("python:not a ref")
    with pytest.raises(AccordError, match="cannot import module"):
        load_target("python:no_such_module_xyz:f")
    with pytest.raises(AccordError, match="has no 'missing'"):
        load_target(f"python:{bots}:missing")
    with pytest.raises(AccordError, match="not callable"):
        load_target(f"python:{bots}:NOT_CALLABLE")
