"""``python:<package.module>:<function>``: a Python function as the model under test.

For systems that are code rather than an endpoint (a RAG pipeline, a guard-railed agent, a
mock). The function takes ``(messages, params)``: ``messages`` a list of
``{"role": ..., "content": ...}`` dicts and ``params`` a dict (``temperature``,
``max_tokens``, ``top_p``, ``seed``, ``timeout_s``), and returns the reply text, a dict of
``Completion`` fields (``{"text": ..., "blocked": True}``) or a ``Completion``. It may be
``async``; a plain function runs in a worker thread so the event loop stays free (so it must
be thread-safe at the runner's concurrency, or make it async).

An exception in the function is stored as an ``internal`` error for that item (unassessed,
not retried); raise ``accord.targets.TargetError`` to choose the kind and whether to retry.

Digest: ``python:<module>:<function>@sha256:<16 hex>`` of the module's source file, so a run
is bound to the code that answered.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import inspect
import re
import sys
from typing import Any

from accord.errors import AccordError, InputError
from accord.records import ErrorKind, Message
from accord.targets._spec import FIELD
from accord.targets._target import Completion, GenParams, RequestContext, TargetError, TargetSpec

_REF = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


def parse(rest: str, raw: str) -> TargetSpec:
    """``<package.module>:<function>``; checked for shape only (nothing is imported)."""
    ref = rest.strip()
    if not _REF.match(ref):
        raise InputError(
            "the python target names a function as module:function",
            field=FIELD,
            expected="python:<package.module>:<function>",
            got=raw,
        )
    return TargetSpec(provider="python", model=ref, raw=raw)


def display_name(spec: TargetSpec) -> str:
    """The function's name: ``python:my_pkg.bots:echo`` -> ``echo``."""
    return spec.model.rsplit(":", 1)[-1].rsplit(".", 1)[-1]


def _completion(result: Any, ref: str) -> Completion:
    if isinstance(result, Completion):
        return result
    if isinstance(result, str):
        return Completion(text=result, finish_reason="stop")
    if isinstance(result, dict):
        try:
            return Completion.model_validate(result)
        except ValueError as exc:
            raise TargetError(ErrorKind.bad_response, f"{ref} returned a dict that is not a Completion: {exc}") from exc
    raise TargetError(ErrorKind.bad_response, f"{ref} returned {type(result).__name__}; expected str, dict or Completion")


class PythonTarget:
    """Calls a function per request; see the module docstring."""

    def __init__(self, spec: TargetSpec, fn: Any, digest: str) -> None:
        self.spec = spec
        self.fn = fn
        self._digest = digest
        self._is_async = inspect.iscoroutinefunction(fn)

    async def generate(
        self, messages: list[Message], params: GenParams, *, context: RequestContext | None = None
    ) -> Completion:
        turns = [{"role": m.role, "content": m.content} for m in messages]
        options = params.model_dump()
        try:
            if self._is_async:
                result = await self.fn(turns, options)
            else:
                result = await asyncio.to_thread(self.fn, turns, options)
                if inspect.isawaitable(result):
                    result = await result
        except TargetError:
            raise
        except Exception as exc:
            raise TargetError(ErrorKind.internal, f"{self.spec.model} raised {type(exc).__name__}: {exc}") from exc
        return _completion(result, self.spec.model)

    def digest(self) -> str:
        return self._digest

    async def aclose(self) -> None:
        return None


def create(spec: TargetSpec, **options: Any) -> PythonTarget:
    """Import the module and find the function (errors name the part that is wrong)."""
    if options:
        raise AccordError(f"python target does not take option(s) {', '.join(sorted(options))}")
    module_name, _, attr = spec.model.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise AccordError(
            f"python target: cannot import module '{module_name}'",
            why=f"{type(exc).__name__}: {exc}",
            fix="install the package or add its folder to PYTHONPATH",
        ) from exc
    fn: Any = module
    for part in attr.split("."):
        fn = getattr(fn, part, None)
        if fn is None:
            raise AccordError(f"python target: module '{module_name}' has no '{attr}'")
    if not callable(fn):
        raise AccordError(f"python target: '{spec.model}' is not callable")
    digest = f"python:{spec.model}"
    source = getattr(sys.modules.get(module_name), "__file__", None)
    if source:
        try:
            with open(source, "rb") as fh:
                digest += "@sha256:" + hashlib.sha256(fh.read()).hexdigest()[:16]
        except OSError:
            pass
    return PythonTarget(spec, fn, digest)
