"""The evaluation report: metric rows, property scores, an overall score, JSON and HTML.

JSON schema (``Report.to_json()``, ``report_version`` 1)::

    {"report_version": 1, "overall": float|null,
     "properties": {"Column Shapes": float|null, ...},
     "results": [{"metric", "property", "table", "columns", "score", "details"}, ...],
     "notes": [str, ...], "gate": {"passed": bool, "failures": [str, ...]} | null,
     "compat": "synthohive"|"sdmetrics"}

A property is the mean of its rows' scores, leaving out rows whose ``details["averaged"]`` is
false. ``overall`` is the mean of the quality properties present: Column Shapes, Column Pair
Trends and Cardinality (``compat="synthohive"``), plus Intertable Trends with
``compat="sdmetrics"`` (sdmetrics' QualityReport); Coverage, Missing Values, Referential
Integrity and Privacy are reported beside it and checked by gates.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np

from synthohive.validation.base import QUALITY_PROPERTIES, MetricResult

REPORT_VERSION = 1

Compat = Literal["synthohive", "sdmetrics"]
"""Which aggregate definitions a report uses (see :func:`~synthohive.validation.evaluate`)."""
COMPAT_CHOICES: tuple[str, ...] = get_args(Compat)
SDMETRICS_QUALITY_PROPERTIES = (*QUALITY_PROPERTIES, "Intertable Trends")


@dataclass
class Report:
    """Scores of synthetic data against real data (or its reference profile)."""

    results: list[MetricResult]
    notes: list[str] = field(default_factory=list)
    gate_failures: list[str] | None = None
    plots: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)
    """Header facts for the HTML page: ``generated``, ``tables`` (rows, model), ``sources``."""
    compat: Compat = "synthohive"
    """The aggregate definitions used: ours, or sdmetrics' QualityReport's."""

    @property
    def properties(self) -> dict[str, float | None]:
        """Mean score per property (``None`` when no averaged metric of it has a score)."""
        groups: dict[str, list[float]] = {}
        for r in self.results:
            groups.setdefault(r.property, [])
            if r.details.get("averaged") is False:
                continue
            if r.score is not None and np.isfinite(r.score):
                groups[r.property].append(float(r.score))
        return {p: (float(np.mean(v)) if v else None) for p, v in groups.items()}

    @property
    def overall(self) -> float | None:
        """Mean of the quality properties present (in [0, 1])."""
        props = self.properties
        names = SDMETRICS_QUALITY_PROPERTIES if self.compat == "sdmetrics" else QUALITY_PROPERTIES
        vals = [props[p] for p in names if props.get(p) is not None]
        return float(np.mean(vals)) if vals else None  # type: ignore[arg-type]

    @property
    def passed(self) -> bool | None:
        """Gate outcome, or ``None`` if no gate was applied."""
        return None if self.gate_failures is None else not self.gate_failures

    def score(self, metric: str, table: str, *columns: str) -> float | None:
        """The score of one metric row (``KeyError`` if absent)."""
        for r in self.results:
            if r.metric == metric and r.table == table and (not columns or r.columns == columns):
                return r.score
        raise KeyError(f"no {metric} result for {table}{columns}")

    def details(self, property: str | None = None) -> list[dict[str, Any]]:
        """Metric rows as dicts, optionally of one property."""
        return [r.to_dict() for r in self.results if property is None or r.property == property]

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON structure (see module docstring)."""
        return {
            "report_version": REPORT_VERSION,
            "overall": self.overall,
            "properties": self.properties,
            "results": [r.to_dict() for r in self.results],
            "notes": list(self.notes),
            "gate": None
            if self.gate_failures is None
            else {"passed": not self.gate_failures, "failures": list(self.gate_failures)},
            "compat": self.compat,
        }

    def to_json(self, path: str | Path | None = None) -> str:
        """Serialise; also write atomically to ``path`` when given."""
        text = json.dumps(_clean(self.to_dict()), indent=2, allow_nan=False)
        if path is not None:
            from synthohive._io import atomic_write_text

            atomic_write_text(Path(path), text)
        return text

    def to_html(self, path: str | Path | None = None) -> str:
        """One self-contained HTML file (inline SVG plots, no external requests)."""
        from synthohive.validation.html import render_html

        text = render_html(self)
        if path is not None:
            from synthohive._io import atomic_write_text

            atomic_write_text(Path(path), text)
        return text

    def summary(self) -> str:
        """A few lines for terminals."""
        lines = [f"overall quality: {_fmt(self.overall)} ({self.compat} aggregates)"]
        for p, v in self.properties.items():
            lines.append(f"  {p}: {_fmt(v)}")
        if self.gate_failures is not None:
            lines.append("gate: " + ("passed" if not self.gate_failures else "FAILED"))
            lines.extend(f"  - {f}" for f in self.gate_failures)
        lines.extend(f"note: {n}" for n in self.notes if n.startswith("rare categories:"))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Report(overall={_fmt(self.overall)}, metrics={len(self.results)})"


def _fmt(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.3f}"


def _clean(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, float | np.floating):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj
