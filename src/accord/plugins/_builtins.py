"""Built-in plugin modules, declared by the packages that own them.

``accord.plugins`` depends on nothing but the base, so it cannot name ``accord.targets``;
instead ``accord/targets/_registry.py`` declares ``accord.targets._plugin`` when it is
imported (a dict entry: the plugin module itself is imported only when its hook is first
collected). Built-ins always register before third-party plugins, whatever the order.
"""

from __future__ import annotations

#: Module path -> the hooks it implements (so asking for targets never imports the judges' plugin).
BUILTIN_PLUGINS: dict[str, tuple[str, ...]] = {}


def declare_builtin(module: str, hooks: tuple[str, ...]) -> None:
    """Declare a built-in plugin module implementing ``hooks`` (by name, e.g. ``"accord_targets"``)."""
    if BUILTIN_PLUGINS.get(module) == hooks:
        return
    BUILTIN_PLUGINS[module] = hooks
    import sys

    manager = sys.modules.get("accord.plugins._manager")
    if manager is not None:
        manager.forget(hooks)
