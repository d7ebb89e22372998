"""The one plugin manager: built-in modules first, then entry points in group ``accord``.

Built-in modules are declared by their packages (``accord.plugins._builtins``). Lazy on
purpose (``accord --help`` pays nothing): pluggy is imported, the ``accord``
entry points are scanned (~3 ms) and third-party plugin modules imported only when a
registry is first consulted (``target_providers()`` and friends). Built-in plugins are
imported per hook: asking for target providers imports ``accord.targets._plugin`` but not the
judges' plugin (which would load numpy).

A plugin that fails to import, fails pluggy's validation, or whose hook raises is reported
with a ``PluginWarning`` naming the plugin and the error, and skipped; the rest still load
(llm #1280: one broken plugin must not stop the CLI). Names are first come, first served:
built-ins register first, so a plugin cannot silently replace ``openai:``; a clash is a warning.
"""

from __future__ import annotations

import os
import threading
import warnings
from dataclasses import dataclass, field
from typing import Any

import pluggy

from accord.plugins._builtins import BUILTIN_PLUGINS
from accord.plugins._hookspecs import KINDS, PROJECT, AccordSpecs

ENTRY_POINT_GROUP = "accord"
#: Set to 1 to load built-ins only (no third-party entry points): for debugging a broken install.
DISABLE_ENV = "ACCORD_NO_PLUGINS"


class PluginWarning(UserWarning):
    """A plugin could not be loaded or its hook failed; accord carries on without it."""


@dataclass
class _Plugin:
    name: str
    builtin: bool
    dist: str | None = None
    version: str | None = None
    error: str | None = None
    registers: dict[str, list[str]] = field(default_factory=dict)


def _warn(message: str) -> None:
    # Attributed to no source line: the user needs the plugin and the error, not our internals.
    warnings.warn_explicit(message, PluginWarning, filename="<accord plugins>", lineno=0, module="accord.plugins")


class PluginRegistry:
    """Holds the pluggy manager and what each hook returned, collected once per hook."""

    def __init__(self, *, entry_points: bool = True) -> None:
        self.pm = pluggy.PluginManager(PROJECT)
        self.pm.add_hookspecs(AccordSpecs)
        self._lock = threading.RLock()
        self._plugins: dict[str, _Plugin] = {}
        self._builtins_loaded: set[str] = set()
        self._entry_points = entry_points
        self._entry_points_loaded = False
        self._collected: dict[str, dict[str, Any]] = {}

    # -- loading ----------------------------------------------------------------------
    def _register(self, obj: object, info: _Plugin) -> None:
        try:
            self.pm.register(obj, name=info.name)
        except Exception as exc:  # pluggy's PluginValidationError, a duplicate name
            info.error = f"{type(exc).__name__}: {exc}"
            _warn(f"accord plugin '{info.name}' was not loaded: {info.error}")
        self._plugins[info.name] = info

    def _load_builtins(self, hook: str | None) -> None:
        import importlib

        for module, hooks in list(BUILTIN_PLUGINS.items()):
            if module in self._builtins_loaded or (hook is not None and hook not in hooks):
                continue
            self._builtins_loaded.add(module)
            info = _Plugin(module, builtin=True)
            try:
                obj = importlib.import_module(module)
            except Exception as exc:
                info.error = f"{type(exc).__name__}: {exc}"
                self._plugins[module] = info
                _warn(f"built-in accord plugin '{module}' failed to import: {info.error}")
                continue
            self._register(obj, info)

    def _load_entry_points(self) -> None:
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        if not self._entry_points or os.environ.get(DISABLE_ENV, "") not in ("", "0"):
            return
        from importlib.metadata import entry_points

        seen: set[str] = set()
        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            if ep.name in seen:
                continue  # the same distribution found twice on sys.path
            seen.add(ep.name)
            dist = getattr(ep, "dist", None)
            info = _Plugin(
                ep.name, builtin=False, dist=getattr(dist, "name", None), version=getattr(dist, "version", None)
            )
            if ep.name in self._plugins:
                info.error = "a plugin of that name is already registered"
                _warn(f"accord plugin '{ep.name}' ({info.dist}) ignored: {info.error}")
                continue
            try:
                obj = ep.load()
            except Exception as exc:  # anything a broken plugin module can raise on import
                info.error = f"{type(exc).__name__}: {exc}"
                self._plugins[ep.name] = info
                _warn(f"accord plugin '{ep.name}' ({info.dist or ep.value}) failed to load: {info.error}")
                continue
            self._register(obj, info)

    def register(self, obj: object, name: str) -> None:
        """Register a plugin object by hand (tests, notebooks); forgets what was collected."""
        with self._lock:
            self._register(obj, _Plugin(name, builtin=False))
            self._collected.clear()

    def unregister(self, name: str) -> None:
        with self._lock:
            plugin = self.pm.get_plugin(name)
            if plugin is not None:
                self.pm.unregister(plugin)
            self._plugins.pop(name, None)
            self._collected.clear()

    # -- collecting -------------------------------------------------------------------
    def _order(self, plugin_name: str) -> tuple[int, int]:
        names = list(self._plugins)
        info = self._plugins.get(plugin_name)
        return (0 if info is not None and info.builtin else 1, names.index(plugin_name) if plugin_name in names else len(names))

    def collect(self, hook: str) -> dict[str, Any]:
        """Name -> registration for one hook, over every plugin (first registration wins)."""
        with self._lock:
            if hook in self._collected:
                return self._collected[hook]
            self._load_builtins(hook)
            self._load_entry_points()
            kind = KINDS[hook]
            out: dict[str, Any] = {}
            owner: dict[str, str] = {}
            impls = sorted(getattr(self.pm.hook, hook).get_hookimpls(), key=lambda i: self._order(i.plugin_name))
            for impl in impls:
                info = self._plugins.get(impl.plugin_name) or _Plugin(impl.plugin_name, builtin=False)
                try:
                    result = impl.function()
                    items = list(result or [])
                    names = [str(item.name) for item in items]
                except Exception as exc:
                    info.error = f"{hook}: {type(exc).__name__}: {exc}"
                    _warn(f"accord plugin '{impl.plugin_name}' failed in {hook}(): {type(exc).__name__}: {exc}")
                    continue
                info.registers[kind] = names
                for name, item in zip(names, items):
                    if name in out:
                        _warn(
                            f"accord plugin '{impl.plugin_name}' registers {kind[:-1]} '{name}', "
                            f"already registered by '{owner[name]}'; ignored"
                        )
                        continue
                    out[name] = item
                    owner[name] = impl.plugin_name
            self._collected[hook] = out
            return out

    def plugins(self) -> list[_Plugin]:
        """Every plugin, each hook collected (so ``registers`` is complete)."""
        with self._lock:
            self._load_builtins(None)
            self._load_entry_points()
            for hook in KINDS:
                self.collect(hook)
            return sorted(self._plugins.values(), key=lambda p: self._order(p.name))


_REGISTRY: PluginRegistry | None = None
_REGISTRY_LOCK = threading.Lock()


def registry() -> PluginRegistry:
    """The process's registry, created on first use."""
    global _REGISTRY
    if _REGISTRY is None:
        with _REGISTRY_LOCK:
            if _REGISTRY is None:
                _REGISTRY = PluginRegistry()
    return _REGISTRY


def forget(hooks: tuple[str, ...]) -> None:
    """Drop what was collected for ``hooks`` (a built-in was declared after they were read)."""
    if _REGISTRY is not None:
        with _REGISTRY._lock:
            for hook in hooks:
                _REGISTRY._collected.pop(hook, None)


def reset() -> None:
    """Forget every plugin and collected registration (the next call rescans): for tests."""
    global _REGISTRY
    with _REGISTRY_LOCK:
        _REGISTRY = None

