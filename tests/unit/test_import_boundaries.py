"""DESIGN.md's "depends on" table, checked: statically for every import, and at run time.

The static check reads every module under ``src/accord`` with ``ast`` and collects every
import it can make: module-level ones, those inside functions and ``if TYPE_CHECKING:``
blocks, relative ones, ``importlib.import_module("accord...")`` / ``__import__`` calls, and
bare ``"accord.x.y"`` module-path strings (the tables lazy ``__getattr__`` exports import
from). Each must be allowed by the table in ``docs/architecture.md`` (parsed from that file,
so the document and the check cannot drift), and no package may import another package's
private ``_module``.

The run-time checks below it stay: importing a pure module alone must not load network or
database libraries, and the CLI's start-up must not load numerical ones.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "accord"
DOC = ROOT / "docs" / "architecture.md"

# Top-level modules of ``accord`` and the package each belongs to. Everything not named
# here that is a top-level ``.py`` file is an error (a new top-level module must be placed).
TOP_LEVEL = {
    "records": "base",
    "errors": "base",
    "paths": "base",
    "readers": "base",
    "taxonomy": "base",
    "stats": "base",
    "yamlio": "base",
    "aio": "base",
    "ids": "base",
    "redact": "base",
    "__init__": "api",
}
MODULE_PATH = re.compile(r"accord(?:\.[A-Za-z_][A-Za-z0-9_]*)+")


# --- the table --------------------------------------------------------------------------


def parse_table(text: str) -> dict[str, frozenset[str]]:
    """``{package: packages it may import}`` from the markdown table headed ``| package | depends on |``."""
    rows: dict[str, frozenset[str]] = {}
    in_table = False
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.strip().startswith("|") else []
        if len(cells) >= 2 and cells[0].lower() == "package" and cells[1].lower() == "depends on":
            in_table = True
            continue
        if not in_table:
            continue
        if not cells:
            break
        if set(cells[0]) <= {"-", ":", " "}:
            continue
        name = cells[0].strip("`").split()[0].strip("`")
        deps = frozenset(d.strip().strip("`") for d in cells[1].split(",") if d.strip() and d.strip() != "—")
        rows[name] = deps
    return rows


def load_table() -> dict[str, frozenset[str]]:
    table = parse_table(DOC.read_text(encoding="utf-8"))
    assert table, f"no '| package | depends on |' table in {DOC}"
    return table


# --- reading imports ----------------------------------------------------------------------


@dataclass(frozen=True)
class Import:
    module: str  # absolute dotted name, e.g. "accord.store._store"
    line: int
    how: str  # "import", "from", "import_module", "string"


def _resolve_relative(current: str, is_package: bool, level: int, module: str | None) -> str:
    parts = current.split(".")
    base = parts if is_package else parts[:-1]
    base = base[: len(base) - (level - 1)] if level > 1 else base
    return ".".join(base + ([module] if module else []))


def imports_in(source: str, module: str, *, is_package: bool = False) -> Iterator[Import]:
    """Every ``accord`` import ``source`` can make, wherever it sits in the file."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(alias.name, node.lineno, "import")
        elif isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:
                target = _resolve_relative(module, is_package, node.level, node.module)
            yield Import(target, node.lineno, "from")
            for alias in node.names:  # ``from accord.x import _y`` may name a submodule
                if alias.name != "*":
                    yield Import(f"{target}.{alias.name}", node.lineno, "from-name")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in ("import_module", "__import__") and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    yield Import(arg.value, node.lineno, "import_module")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and MODULE_PATH.fullmatch(node.value):
            yield Import(node.value, node.lineno, "string")


def _exists(dotted: str) -> bool:
    parts = dotted.split(".")[1:]
    path = SRC.joinpath(*parts) if parts else SRC
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def real_module(dotted: str) -> str | None:
    """The longest prefix of ``dotted`` that is an accord module, or ``None`` outside accord."""
    if dotted != "accord" and not dotted.startswith("accord."):
        return None
    parts = dotted.split(".")
    while len(parts) > 1 and not _exists(".".join(parts)):
        parts.pop()
    return ".".join(parts)


def package_of(dotted: str) -> str:
    """Which row of the table a module belongs to."""
    parts = dotted.split(".")
    if len(parts) == 1:
        return "api"
    head = parts[1]
    if (SRC / head).is_dir():
        return head
    if head not in TOP_LEVEL:
        raise KeyError(f"accord.{head} is not placed in any package: add it to TOP_LEVEL and docs/architecture.md")
    return TOP_LEVEL[head]


def _is_private(part: str) -> bool:
    return part.startswith("_") and not (part.startswith("__") and part.endswith("__"))


@dataclass(frozen=True)
class Violation:
    where: str
    line: int
    target: str
    why: str

    def __str__(self) -> str:
        return f"{self.where}:{self.line}: {self.target} ({self.why})"


def check_source(
    source: str, module: str, table: Mapping[str, frozenset[str]], *, where: str = "", is_package: bool = False
) -> list[Violation]:
    """Every import in ``source`` (the text of ``module``) that the table or the private rule forbids."""
    own = package_of(module)
    allowed = table.get(own)
    where = where or module
    if allowed is None:
        return [Violation(where, 0, module, f"package '{own}' has no row in docs/architecture.md")]
    out: list[Violation] = []
    for imp in imports_in(source, module, is_package=is_package):
        target = real_module(imp.module)
        if target is None or (imp.how == "string" and target != imp.module):
            continue  # a string that only looks like a module path ("accord.db")
        if imp.how == "from" and target == "accord":
            continue  # ``from accord import x``: judged by the name (below)
        if imp.how == "from-name" and target != imp.module and imp.module.rsplit(".", 1)[0] == target:
            name = imp.module.rsplit(".", 1)[1]
            if target != "accord" or (name.startswith("__") and name.endswith("__")):
                continue  # ``from accord.x import name``: a name, not a submodule; ``__version__``
        other = package_of(target)
        if other == own:
            continue
        if other not in allowed:
            out.append(Violation(where, imp.line, target, f"{own} may not import {other}"))
        if any(_is_private(p) for p in target.split(".")[1:]):
            out.append(Violation(where, imp.line, target, f"{own} imports {other}'s private module"))
    return out


def src_modules() -> Iterator[tuple[Path, str, bool]]:
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC.parent).with_suffix("")
        parts = list(rel.parts)
        is_package = parts[-1] == "__init__"
        if is_package and len(parts) > 1:
            parts = parts[:-1]
        name = ".".join(parts) if parts != ["accord", "__init__"] else "accord"
        yield path, name, is_package


def all_violations() -> list[Violation]:
    table = load_table()
    out: list[Violation] = []
    for path, name, is_package in src_modules():
        out += check_source(path.read_text(encoding="utf-8"), name, table, where=str(path.relative_to(ROOT)), is_package=is_package)
    return out


# --- the static tests ---------------------------------------------------------------------


def test_the_table_names_every_package() -> None:
    table = load_table()
    packages = {p.name for p in SRC.iterdir() if (p / "__init__.py").is_file()} | set(TOP_LEVEL.values())
    assert packages <= set(table), f"packages {sorted(packages - set(table))} have no row in docs/architecture.md"
    for name, deps in table.items():
        assert deps <= set(table), f"row {name} names unknown packages {sorted(deps - set(table))}"
        assert name not in deps
    assert table["base"] == frozenset(), "the base depends on nothing"


def test_the_table_has_no_cycles() -> None:
    table = load_table()
    seen: dict[str, int] = {}

    def visit(node: str, path: tuple[str, ...]) -> None:
        if seen.get(node) == 1:
            raise AssertionError(f"cycle: {' -> '.join((*path, node))}")
        if seen.get(node) == 2:
            return
        seen[node] = 1
        for dep in table[node]:
            visit(dep, (*path, node))
        seen[node] = 2

    for node in table:
        visit(node, ())


def test_every_top_level_module_is_placed() -> None:
    for path in SRC.glob("*.py"):
        assert path.stem in TOP_LEVEL, f"src/accord/{path.name} is in no package: add it to TOP_LEVEL and the table"


def test_every_import_follows_the_table() -> None:
    violations = all_violations()
    assert not violations, "imports against docs/architecture.md:\n" + "\n".join(map(str, violations))


# The checker itself: each way an import can hide is caught.
TABLE = {"base": frozenset(), "store": frozenset({"base"}), "frameworks": frozenset({"base"}), "api": frozenset()}


@pytest.mark.parametrize(
    "source",
    [
        "def f():\n    from accord.store import Store\n",
        "def f():\n    import accord.store\n",
        "class C:\n    def m(self):\n        from accord.store._store import Store\n",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from accord.store import Store\n",
        "import importlib\ndef f():\n    return importlib.import_module('accord.store')\n",
        "from importlib import import_module\nx = import_module('accord.store._store')\n",
        "LAZY = {'Store': 'accord.store'}\n",
        "def f():\n    try:\n        from accord import store\n    except ImportError:\n        pass\n",
    ],
)
def test_checker_catches_a_planted_import(source: str) -> None:
    found = check_source(source, "accord.frameworks._engine", TABLE)
    assert found and all("frameworks may not import store" in v.why for v in found if "private" not in v.why), found


def test_checker_catches_private_imports_and_allows_public_ones() -> None:
    private = check_source("def f():\n    from accord.frameworks._engine import score\n", "accord.store._store", {**TABLE, "store": frozenset({"base", "frameworks"})})
    assert [v.why for v in private] == ["store imports frameworks's private module"]
    public = check_source("from accord.frameworks import score\nfrom accord.records import Item\n", "accord.store._store", {**TABLE, "store": frozenset({"base", "frameworks"})})
    assert public == []
    relative = check_source("from ._engine import score\nfrom . import _table\n", "accord.frameworks._divergence", TABLE)
    assert relative == []


def test_parse_table_reads_the_markdown_form() -> None:
    text = "intro\n\n| package | depends on | why |\n|---|---|---|\n| `base` | — | x |\n| `store` | `base` | y |\n| `runner` | base, store | z |\n\nafter\n"
    assert parse_table(text) == {"base": frozenset(), "store": frozenset({"base"}), "runner": frozenset({"base", "store"})}


# --- the run-time checks ------------------------------------------------------------------

PURE = [
    "accord.frameworks",
    "accord.attest._merkle",
    "accord.horizon",
    "accord.monitor",
    "accord.regulation",
    "accord.regulation._assess",
    "accord.report",
    "accord.judges._metrics",
    "accord.records",
    "accord.stats",
    "accord.taxonomy",
    "accord.yamlio",
]
FORBIDDEN = ("httpx", "sqlalchemy", "fastapi", "uvicorn", "anthropic", "accord.store", "accord.runner", "accord.server")


@pytest.mark.parametrize("module", PURE)
def test_pure_module_does_no_io_imports(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} not built yet")
    code = f"import sys, json, {module}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = json.loads(out)
    bad = sorted({m for m in loaded for f in FORBIDDEN if m == f or m.startswith(f + ".")})
    assert not bad, f"{module} imports {bad}"


@pytest.mark.parametrize("module", ["accord.records", "accord.stats", "accord.taxonomy", "accord.yamlio", "accord.errors"])
def test_base_modules_import_no_numerical_library(module: str) -> None:
    """The base is imported by everything, the CLI included: numpy and scipy load on first use."""
    code = f"import sys, json, {module}; print(json.dumps(sorted(sys.modules)))"
    loaded = set(json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout))
    assert not loaded & {"numpy", "scipy", "sklearn", "torch"}, f"{module} imports {sorted(loaded & {'numpy', 'scipy'})}"


def test_cli_start_up_stays_lean() -> None:
    """``accord --help`` must not import heavy libraries (start-up is paid on every run)."""
    code = "import sys, json; from accord.cli import main; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = set(json.loads(out))
    heavy = {"torch", "transformers", "sklearn", "numpy", "scipy", "fastapi", "anthropic", "openai", "sqlalchemy", "cryptography"}
    assert not (heavy & loaded), f"CLI start-up imports {sorted(heavy & loaded)}"
