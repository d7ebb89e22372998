"""The plugins every registry sees, for ``accord plugins list`` and the server.

Each package declares its built-in plugin when it is imported (``plugins`` itself imports
only the base), so every package with a registry is imported first: the listing then shows
the built-ins beside the installed third-party plugins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accord.plugins import PluginInfo


def installed_plugins() -> list[PluginInfo]:
    """Every plugin, built-in or installed: what it registers, and any load error."""
    import accord.attacks
    import accord.frameworks
    import accord.judges
    import accord.suites
    import accord.targets  # noqa: F401  (declares the built-in plugins)
    from accord.plugins import list_plugins

    return list_plugins()
