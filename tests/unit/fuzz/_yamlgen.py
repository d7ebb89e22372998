"""Hostile YAML documents built from a valid one: values swapped for hostile scalars and nodes."""

from __future__ import annotations

from typing import Any

import yaml  # type: ignore[import-untyped,unused-ignore]
from hypothesis import strategies as st

from tests.unit.fuzz._hostile import BILLION_LAUGHS, hostile_json

YAML_SCALARS = (
    "2026-13-45",
    "2026-02-30",
    "2026-01-01 25:61:00",
    "1e999999",
    "9" * 5000,
    ".nan",
    "-.inf",
    "0x1F",
    "0o777",
    "yes",
    "~",
    '"\\ud800"',
    '"\\udc80x"',
    "'\\ud800'",
    "!!binary AAAA",
    "!!python/name:os.system",
    "!custom x",
    "*undefined",
    "[" * 100 + "]" * 100,
    "{a: 1, a: 2}",
    "&x [*x]",
    "&y [1, 2]",
    "*y",
    "!!timestamp 2026-13-45",
    "!!int x",
    "!!float x",
    "!!str 5",
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, *rest = path
    doc[head] = _set(doc[head], tuple(rest), value)
    return doc


class Verbatim(str):
    """A scalar written into the YAML text exactly as given (tags, aliases, odd literals)."""


def _dump(value: Any, indent: int = 0) -> str:
    pad = "  " * indent
    if isinstance(value, Verbatim):
        return str(value)
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "\n" + "\n".join(f"{pad}{_key(k)}: {_dump(v, indent + 1)}" for k, v in value.items())
    if isinstance(value, list):
        if not value:
            return "[]"
        return "\n" + "\n".join(
            f"{pad}- {_dump(v, indent + 1).lstrip()}" if not isinstance(v, (dict, list)) or not v else f"{pad}-{_dump(v, indent + 1)}"
            for v in value
        )
    return (
        yaml.safe_dump(value, default_flow_style=True, allow_unicode=False, width=10**9)
        .strip()
        .removesuffix("\n...")
        .removesuffix("...")
        .strip()
    )


def _key(k: Any) -> str:
    return (
        str(k)
        if isinstance(k, str) and k.isidentifier()
        else yaml.safe_dump(str(k), default_flow_style=True, width=10**9).strip().removesuffix("...").strip()
    )


@st.composite
def yaml_doc(draw: st.DrawFn, valid: dict[str, Any], extra_keys: tuple[str, ...] = ()) -> bytes:
    """``valid`` with a few values replaced by hostile scalars, hostile JSON or verbatim YAML."""
    import copy

    doc = copy.deepcopy(valid)
    for _ in range(draw(st.integers(0, 3))):
        paths = _paths(doc)[1:]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        kind = draw(st.integers(0, 2))
        value: Any
        if kind == 0:
            value = Verbatim(draw(st.sampled_from(YAML_SCALARS)))
        elif kind == 1:
            value = draw(hostile_json)
        else:
            value = {draw(st.sampled_from((*extra_keys, "x"))): Verbatim(draw(st.sampled_from(YAML_SCALARS)))}
        try:
            doc = _set(doc, path, value)
        except (TypeError, KeyError, IndexError):
            pass
    text = _dump(doc).lstrip("\n")
    if draw(st.integers(0, 9)) == 7:  # not 0: hypothesis favours it
        text = BILLION_LAUGHS + "\n".join(f"{k}: *l9" for k in list(valid)[:2]) + "\n"
    return text.encode("utf-8", "surrogatepass")
