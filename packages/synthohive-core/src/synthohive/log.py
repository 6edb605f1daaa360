"""Logging: structlog events routed through the standard ``logging`` module.

Library code calls ``get_logger(__name__)`` and logs events with key/value pairs. Nothing is
printed unless the application configures ``logging`` (the CLI does, with ``--verbose``), so
SynthoHive stays silent inside other programs. ``configure(level, json=...)`` is a shortcut
for applications and the CLI.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

_configured = False


def _ensure_structlog() -> None:
    global _configured
    if _configured:
        return
    _configured = True
    # Library etiquette: silent unless the application configures logging (no last-resort
    # handler printing raw event dicts to stderr).
    logging.getLogger("synthohive").addHandler(logging.NullHandler())
    if structlog.is_configured():
        return
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.processors.format_exc_info,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def get_logger(name: str) -> Any:
    """A structlog logger bound to ``name`` (silent until ``logging`` is configured)."""
    _ensure_structlog()
    return structlog.get_logger(name)


def configure(level: int | str = logging.INFO, *, json: bool = False) -> None:
    """Send SynthoHive's events to stderr at ``level`` (key=value, or JSON lines)."""
    _ensure_structlog()
    renderer: Any = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer]
        )
    )
    root = logging.getLogger("synthohive")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
