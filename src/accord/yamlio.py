"""The one YAML loader: safe, bounded, YAML 1.2-style floats, and line numbers for errors.

Every YAML document accord reads (framework packs, the taxonomy and crosswalk, regulation
rulebooks, system descriptions, run specs) goes through here, so they all parse alike:

- **Safe**: a ``SafeLoader`` subclass; no Python objects are ever constructed.
- **Floats as in YAML 1.2**: PyYAML follows YAML 1.1, where ``1e25`` and ``1.0e25`` are
  *strings* (the exponent needs a sign). Thresholds like ``1.0e25`` are everywhere in our
  data and in users' system descriptions, so ``1e25`` reads as a float here.
- **Bounded**: a document over ``MAX_BYTES``, nested deeper than ``MAX_DEPTH``, using more
  than ``MAX_ALIASES`` aliases, whose aliases expand it past ``MAX_NODES`` nodes (a "billion
  laughs" bomb of 1 KB expands to 10⁹ strings) or with an alias to itself is refused with a
  ``YAMLLimitError`` (a ``yaml.YAMLError``, so callers that already catch parse errors report
  it the same way) before it can cost memory, time or recursion. Real documents are a few
  dozen KiB and a handful of levels deep. So is a lone UTF-16 surrogate written as an escape
  (``"\\ud800"``): it is not text, and nothing downstream could print or store it.
- **Never a bare exception**: a scalar Python cannot build (an integer past the interpreter's
  digit limit) is a ``YAMLError`` at its line; a timestamp that is not a real date
  (``2026-13-45``, ``2026-02-30``) stays text, so a date field reports it at its line and a text
  field keeps it as written.
- **Positions**: ``locate(root, path)`` maps a field path (as pydantic reports it) to the
  1-based line a user would look at; ``error_line(exc)`` does the same for a parse error.

Parsing text is pure; reading files is the caller's job. Dates stay ``datetime.date``
(YAML 1.1 timestamps), which pydantic accepts for date fields.
"""

from __future__ import annotations

import re
from typing import Any

import yaml  # type: ignore[import-untyped,unused-ignore]

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 64
MAX_ALIASES = 256
MAX_NODES = 100_000
_SURROGATE = re.compile("[\ud800-\udfff]")

_FLOAT = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+
    |[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?\.[0-9_]+(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)


class YAMLLimitError(yaml.MarkedYAMLError):  # type: ignore[misc,unused-ignore]
    """A document too large, too deeply nested or with too many aliases to be read safely."""


class Loader(yaml.SafeLoader):  # type: ignore[misc,unused-ignore]
    """``SafeLoader`` that reads ``1e25`` as a float and refuses documents past the limits."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call,unused-ignore]
                raise YAMLLimitError(problem=f"more than {MAX_ALIASES} aliases", problem_mark=mark)
            return super().compose_node(parent, index)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call,unused-ignore]
                raise YAMLLimitError(problem=f"nested deeper than {MAX_DEPTH} levels", problem_mark=mark)
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if isinstance(node, yaml.ScalarNode) and _SURROGATE.search(node.value):
            try:  # "\\ud83d\\ude00": a pair written as two escapes is one character
                node.value = node.value.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
            except UnicodeDecodeError:
                raise YAMLLimitError(
                    problem="a lone UTF-16 surrogate (a \\ud800-\\udfff escape without its pair) is not text",
                    problem_mark=node.start_mark,
                ) from None
        return node

    def get_single_node(self) -> Any:
        root = super().get_single_node()
        if root is not None and self._aliases:
            _check_expansion(root)
        return root

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError, RecursionError) as exc:
            if isinstance(exc, yaml.YAMLError):
                raise
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read this value ({type(exc).__name__}: {str(exc)[:80]})", node.start_mark
            ) from None

    def construct_yaml_timestamp(self, node: Any) -> Any:
        """A date or time; text when it only looks like one (``2026-13-45`` is not a date)."""
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            return self.construct_scalar(node)


Loader.add_constructor("tag:yaml.org,2002:timestamp", Loader.construct_yaml_timestamp)


def _check_expansion(root: Any) -> None:
    """Refuse a node graph whose aliases expand past ``MAX_NODES`` or ``MAX_DEPTH``, or refer to themselves.

    Sizes are memoised per node, so the check costs one visit per distinct node however far
    the aliases would expand; a node met again while still open is a cycle (``&a [*a]``).
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    open_: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            children = _children(node)
            total = 1 + sum(size[id(c)] for c in children)
            if total > MAX_NODES:
                raise YAMLLimitError(problem=f"aliases expand the document past {MAX_NODES:,} nodes", problem_mark=node.start_mark)
            levels = 1 + max((depth[id(c)] for c in children), default=0)
            if levels > MAX_DEPTH:
                raise YAMLLimitError(problem=f"aliases nest the document deeper than {MAX_DEPTH} levels", problem_mark=node.start_mark)
            size[key], depth[key] = total, levels
            open_.discard(key)
            continue
        if key in size:
            continue
        if key in open_:
            raise YAMLLimitError(problem="an alias refers to a node that contains it", problem_mark=node.start_mark)
        open_.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in size)


def _children(node: Any) -> list[Any]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


Loader.yaml_implicit_resolvers = {k: list(v) for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
for _ch in "-+0123456789.":
    Loader.yaml_implicit_resolvers[_ch] = [
        (tag, rx) for tag, rx in Loader.yaml_implicit_resolvers.get(_ch, []) if tag != "tag:yaml.org,2002:float"
    ]
Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))


def _check_size(text: str) -> None:
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > MAX_BYTES:
        raise YAMLLimitError(problem=f"the document is {size} bytes, more than the {MAX_BYTES} accepted")


def load(text: str) -> Any:
    """The data in one YAML document (``None`` for an empty one)."""
    _check_size(text)
    return yaml.load(text, Loader=Loader)  # noqa: S506 - a SafeLoader subclass


def compose(text: str) -> yaml.Node | None:
    """The node tree of one YAML document, for ``locate``."""
    _check_size(text)
    return yaml.compose(text, Loader=Loader)  # noqa: S506 - a SafeLoader subclass


def load_located(text: str) -> tuple[Any, yaml.Node | None]:
    """The data and its node tree from a single parse: what a validating loader needs."""
    _check_size(text)
    loader = Loader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    finally:
        loader.dispose()
    return data, root


def locate(root: yaml.Node | None, path: tuple[str | int, ...]) -> int | None:
    """1-based line of the node at ``path``, or of its deepest existing ancestor.

    For a mapping key that exists, the key's own line (where a user looks for it). ``None``
    only for an empty document.
    """
    node = root
    line: int | None = node.start_mark.line + 1 if node is not None else None
    for part in path:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == str(part):
                    line = k.start_mark.line + 1
                    node = v
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def error_line(exc: yaml.YAMLError) -> int | None:
    """1-based line a parse error points at, when it points anywhere."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return int(mark.line) + 1 if mark is not None else None


def error_message(exc: yaml.YAMLError) -> str:
    """The parse error's own words, without PyYAML's multi-line excerpt."""
    return str(getattr(exc, "problem", None) or exc)


YAMLError = yaml.YAMLError

__all__ = [
    "MAX_ALIASES",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_NODES",
    "Loader",
    "YAMLError",
    "YAMLLimitError",
    "compose",
    "error_line",
    "error_message",
    "load",
    "load_located",
    "locate",
]
