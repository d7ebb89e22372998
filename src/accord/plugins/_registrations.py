"""What a plugin hands back from a hook: small records naming a thing and how to build it.

Records, not objects: a registration names its implementation by an import path
(``"pkg.module"`` or ``"pkg.module:attr"``) or holds the object itself, so a built-in
registers its providers without importing them (``hf`` would pull in torch) and a
third-party plugin can hand over what it has already imported. ``load_object`` resolves
either form; nothing here imports an implementation until a caller asks for it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def load_object(ref: object) -> Any:
    """The object ``ref`` stands for: ``"pkg.mod"`` (a module), ``"pkg.mod:attr"``, or ``ref`` itself."""
    if not isinstance(ref, str):
        return ref
    module_name, sep, attr = ref.partition(":")
    module = importlib.import_module(module_name)
    if not sep:
        return module
    obj: Any = module
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


@dataclass(frozen=True)
class TargetProvider:
    """A target provider: ``<name>:<rest>`` specs are parsed and built by ``module``.

    ``module`` (an import path or an object) has ``create(spec, **options) -> Target`` and
    optionally ``parse(rest, raw) -> TargetSpec`` and ``display_name(spec) -> str``.
    Keep its import light (heavy libraries inside ``create``): parsing a spec imports it.
    ``accepts`` lists the shared options of ``load_target`` it takes (``api_key_env``,
    ``data_dir``).
    """

    name: str
    module: Any
    description: str = ""
    accepts: frozenset[str] = field(default_factory=frozenset)

    def load(self) -> Any:
        return load_object(self.module)


@dataclass(frozen=True)
class JudgeFactory:
    """A judge users name with ``--judge <name>`` (or ``<name>:<argument>`` when ``takes_argument``).

    ``factory`` (an import path ``"pkg.mod:callable"`` or the callable) is called with no
    argument, or with the text after ``<name>:``, and returns a judge (``accord.judges.Judge``).
    """

    name: str
    factory: Any
    description: str = ""
    needs: str = "cpu"
    takes_argument: bool = False

    def build(self, argument: str | None = None) -> Any:
        fn: Callable[..., Any] = load_object(self.factory)
        return fn(argument) if self.takes_argument else fn()


@dataclass(frozen=True)
class SuiteRegistration:
    """A suite users name with ``--suite <name>``: a JSONL/CSV ``path``, or a ``factory``.

    ``factory`` (import path or callable) takes ``data_dir`` and returns an
    ``accord.suites.SuiteSource``; a ``path`` is read like a suite file, with ``name`` as
    its suite id.
    """

    name: str
    path: Path | None = None
    factory: Any = None
    description: str = ""


@dataclass(frozen=True)
class TranscriptSource:
    """Published transcripts the ``replay:`` target reads: ``replay:<name>/<...>``.

    ``reader`` (import path or callable) takes ``(full_name, data_dir)`` and yields records
    ``{"item_id", "output", "suite_id", "model"}`` (see ``accord.targets`` replay).
    """

    name: str
    reader: Any
    description: str = ""

    def load(self) -> Any:
        return load_object(self.reader)


@dataclass(frozen=True)
class PackRegistration:
    """A framework pack: a YAML file at ``path``, loadable by ``name`` (``--pack <name>``)."""

    name: str
    path: Path
    description: str = ""


@dataclass(frozen=True)
class AttackRegistration:
    """An attack (transform or strategy) by name; ``factory`` is an import path or a callable."""

    name: str
    factory: Any
    description: str = ""


@dataclass(frozen=True)
class CommandRegistration:
    """A CLI command group: ``app`` (a ``typer.Typer`` or its import path) mounted as ``accord <name>``."""

    name: str
    app: Any
    help: str = ""


@dataclass(frozen=True)
class ImporterRegistration:
    """A reader of another tool's logs (issue 18): ``accord runs import <name> PATH...``.

    ``importer`` (import path or callable) takes ``(paths, **options)`` (``hazard``, ``intent``)
    and yields ``accord.interop.ImportedRun``s."""

    name: str
    importer: Any
    description: str = ""

    def load(self) -> Any:
        return load_object(self.importer)


@dataclass(frozen=True)
class PluginInfo:
    """One row of ``accord plugins list``: who registered what, and whether it loaded."""

    name: str
    dist: str | None
    version: str | None
    builtin: bool
    registers: dict[str, list[str]]
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dist": self.dist,
            "version": self.version,
            "builtin": self.builtin,
            "registers": self.registers,
            "error": self.error,
        }
