"""Logging: structlog events routed through the standard ``logging`` module.

Library code calls ``get_logger(__name__)`` and logs events with key/value pairs. Nothing is
printed unless the application configures ``logging`` (the CLI does, with ``--verbose``), so
SynthoHive stays silent inside other programs. ``configure(level, json=...)`` is a shortcut
for applications and the CLI.
"""

from __future__ import annotations

import logging
import math
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


def round_float(value: float) -> float:
    """``value`` to 3 decimals, or 3 significant digits when smaller than 1 (0.000123)."""
    if not math.isfinite(value) or value == 0:
        return value
    if abs(value) >= 1:
        return round(value, 3)
    return float(f"{value:.3g}")


def _rounded(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return round_float(value)
    if type(value).__module__ == "numpy" and hasattr(value, "dtype") and value.dtype.kind == "f":
        return round_float(float(value))
    if isinstance(value, list | tuple):
        return type(value)(_rounded(v) for v in value)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def round_floats(_logger: Any, _name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: floats in an event rounded by :func:`round_float`."""
    return {k: _rounded(v) for k, v in event_dict.items()}


def configure(level: int | str = logging.INFO, *, json: bool = False) -> None:
    """Send SynthoHive's events to stderr at ``level``: key=value lines with floats rounded
    (see :func:`round_float`), or JSON lines with full precision."""
    _ensure_structlog()
    renderer: Any = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    processors: list[Any] = [structlog.stdlib.ProcessorFormatter.remove_processors_meta]
    if not json:
        processors.append(round_floats)
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(level)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(processors=[*processors, renderer]))
    root = logging.getLogger("synthohive")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
