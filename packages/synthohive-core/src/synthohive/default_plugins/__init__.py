"""The core's built-in features, registered through the same hooks as any plugin.

Each module here is a pluggy plugin module with one ``@hookimpl`` (imports inside the hook
body, so loading the list stays cheap). The owner of a built-in class adds it to the list
returned by the matching module.
"""

from __future__ import annotations

DEFAULT_PLUGINS: tuple[str, ...] = (
    "synthohive.default_plugins.models",
    "synthohive.default_plugins.connectors",
    "synthohive.default_plugins.sanitizers",
    "synthohive.default_plugins.validators",
    "synthohive.default_plugins.constraints",
    "synthohive.default_plugins.commands",
)

__all__ = ["DEFAULT_PLUGINS"]
