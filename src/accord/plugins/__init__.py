"""Plugins: the one registry through which built-in and third-party extensions register.

A plugin is a module with functions decorated ``@accord.plugins.hookimpl`` named after the
hooks in ``accord.plugins._hookspecs`` (``accord_targets``, ``accord_judges``,
``accord_suites``, ``accord_transcripts``, ``accord_packs``, ``accord_attacks``, ``accord_commands``,
``accord_importers``), each returning a
list of registrations. Third-party packages declare it as an entry point::

    [project.entry-points.accord]
    myplugin = "my_pkg.plugin"

Built-ins register through the same hooks (``accord/targets/_plugin.py``,
``accord/judges/_plugin.py``), declared by their packages with ``declare_builtin`` (this
package depends only on the base, so it never names them). Importing this package is cheap: pluggy and the entry points
are loaded on the first call to one of the functions below. See docs/plugins.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from accord.plugins._builtins import declare_builtin
from accord.plugins._registrations import (
    AttackRegistration,
    CommandRegistration,
    ImporterRegistration,
    JudgeFactory,
    PackRegistration,
    PluginInfo,
    SuiteRegistration,
    TargetProvider,
    TranscriptSource,
    load_object,
)

if TYPE_CHECKING:
    from pluggy import HookimplMarker

    from accord.plugins._manager import PluginWarning

    hookimpl: HookimplMarker

ENTRY_POINT_GROUP = "accord"

__all__ = [
    "ENTRY_POINT_GROUP",
    "AttackRegistration",
    "CommandRegistration",
    "ImporterRegistration",
    "JudgeFactory",
    "PackRegistration",
    "PluginInfo",
    "PluginWarning",
    "SuiteRegistration",
    "TargetProvider",
    "TranscriptSource",
    "attack_factories",
    "command_groups",
    "declare_builtin",
    "hookimpl",
    "importer_sources",
    "judge_factories",
    "list_plugins",
    "load_object",
    "pack_sources",
    "register",
    "reset",
    "suite_sources",
    "target_providers",
    "transcript_sources",
    "unregister",
]


def __getattr__(name: str) -> Any:
    # ``hookimpl`` and ``PluginWarning`` need pluggy; resolve them on first use only.
    if name == "hookimpl":
        from accord.plugins._hookspecs import hookimpl

        return hookimpl
    if name == "PluginWarning":
        from accord.plugins._manager import PluginWarning

        return PluginWarning
    raise AttributeError(f"module 'accord.plugins' has no attribute {name!r}")


def _collect(hook: str) -> dict[str, Any]:
    from accord.plugins._manager import registry

    return dict(registry().collect(hook))


def target_providers() -> dict[str, TargetProvider]:
    """Target provider name -> registration (built-ins first; first registration wins)."""
    return _collect("accord_targets")


def judge_factories() -> dict[str, JudgeFactory]:
    """Judge name -> registration."""
    return _collect("accord_judges")


def suite_sources() -> dict[str, SuiteRegistration]:
    """Suite name -> registration, from plugins (built-in suites are package data of ``accord.suites``)."""
    return _collect("accord_suites")


def transcript_sources() -> dict[str, TranscriptSource]:
    """Dataset prefix (``xstest``) -> the reader of its published transcripts, for ``replay:``."""
    return _collect("accord_transcripts")


def pack_sources() -> dict[str, PackRegistration]:
    """Pack name -> registration (a YAML path), from plugins (built-in packs are package data)."""
    return _collect("accord_packs")


def attack_factories() -> dict[str, AttackRegistration]:
    """Attack name -> registration."""
    return _collect("accord_attacks")


def importer_sources() -> dict[str, ImporterRegistration]:
    """Importer name -> registration (``accord runs import <name>``)."""
    return _collect("accord_importers")


def command_groups() -> dict[str, CommandRegistration]:
    """CLI group name -> registration (for ``accord.cli.main`` to mount)."""
    return _collect("accord_commands")


def list_plugins() -> list[PluginInfo]:
    """Every plugin (built-in and installed): dist, version, what it registers, any load error.

    Loads every plugin and calls every hook; for ``accord plugins list [--json]``. Built-ins
    appear once their package is imported (``accord.targets``, ``accord.judges``), so a
    caller listing everything imports those first.
    """
    from accord.plugins._manager import registry

    return [
        PluginInfo(p.name, p.dist, p.version, p.builtin, {k: list(v) for k, v in p.registers.items()}, p.error)
        for p in registry().plugins()
    ]


def register(plugin: object, name: str) -> None:
    """Register a plugin object (a module or an object with hook methods) in this process."""
    from accord.plugins._manager import registry

    registry().register(plugin, name)


def unregister(name: str) -> None:
    """Remove a plugin registered with ``register`` (or any plugin, by name)."""
    from accord.plugins._manager import registry

    registry().unregister(name)


def reset() -> None:
    """Forget all plugins; the next call rescans entry points (tests, after installing one)."""
    from accord.plugins._manager import reset as _reset

    _reset()
