"""The settings of a fit as one value: :class:`FitOptions`.

``Synthesizer(...)`` takes these settings and checks them once with :func:`check_options`
(a misspelled model or bad parameter fails at construction, not at the first table of
``fit``); :func:`~synthohive.synthesizer.fit.fit_schema` reads them; the model file keeps
:meth:`FitOptions.saved` (never the privacy config) and a load checks them again.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from synthohive.errors import DataError
from synthohive.metadata.schema import Metadata
from synthohive.synthesizer.auto import AUTO
from synthohive.synthesizer.rare import DEFAULT_RARE_THRESHOLD
from synthohive.synthesizer.strategy import DEFAULT_LOOKUP_ROWS, check_table_params

OrphanPolicy = Literal["drop", "null"]
InfPolicy = Literal["error", "as_null"]
DEFAULT_MODEL = "gaussian_copula"


@dataclass(frozen=True)
class FitOptions:
    """How to fit: the arguments of :class:`~synthohive.synthesizer.Synthesizer` but the
    metadata and the quality gate (see there for each one's meaning)."""

    model: str | Mapping[str, str] = DEFAULT_MODEL
    model_params: Mapping[str, Any] | None = None
    privacy: Any = None
    seed: int | None = None
    device: str = "auto"
    progress: bool | None = None
    context_parent: Mapping[str, str] = field(default_factory=dict)
    context_columns: Mapping[str, Sequence[str]] = field(default_factory=dict)
    orphans: OrphanPolicy = "drop"
    inf_policy: InfPolicy = "error"
    rare_category_threshold: int = DEFAULT_RARE_THRESHOLD
    table_params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    lookup_rows: int = DEFAULT_LOOKUP_ROWS

    def saved(self) -> dict[str, Any]:
        """The settings a model file keeps (``synthesizer.json``; never the privacy config)."""
        return {
            "model": self.model if isinstance(self.model, str) else dict(self.model),
            "model_params": None if self.model_params is None else dict(self.model_params),
            "seed": self.seed,
            "context_parent": dict(self.context_parent),
            "context_columns": {k: list(v) for k, v in self.context_columns.items()},
            "orphans": self.orphans,
            "table_params": {k: dict(v) for k, v in self.table_params.items()},
            "lookup_rows": self.lookup_rows,
        }

    def model_for(self, table: str) -> str:
        """The model name asked for ``table`` (may be ``"auto"``)."""
        if isinstance(self.model, str):
            return self.model
        return self.model.get(table, self.model.get("*", DEFAULT_MODEL))

    def params_for(self, metadata: Metadata, table: str) -> dict[str, Any] | None:
        """``model_params`` for ``table``: the per-table entry (or ``"*"``), else all of them."""
        mp = self.model_params
        if not mp:
            return None
        keys = set(mp)
        per_table = keys <= {*metadata.tables, "*"} and all(
            isinstance(v, Mapping) for v in mp.values()
        )
        if per_table:
            chosen = mp.get(table, mp.get("*"))
            return dict(chosen) if chosen else None
        return dict(mp)


def show_progress(progress: bool | None) -> bool:
    """``progress`` when set, else whether stderr is a terminal."""
    if progress is not None:
        return bool(progress)
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


def check_options(metadata: Metadata | None, options: FitOptions) -> FitOptions:
    """``options`` checked and normalised (plain dicts and lists, ``str`` column names).

    Raises ``DataError`` for a bad policy, seed, table parameter or ``lookup_rows`` and for
    model parameters the model refuses; ``PluginNotFoundError`` for an unknown model.
    """
    if options.inf_policy not in ("error", "as_null"):
        raise DataError(f"inf_policy must be 'error' or 'as_null', got {options.inf_policy!r}")
    if options.orphans not in ("drop", "null"):
        raise DataError(f"orphans must be 'drop' or 'null', got {options.orphans!r}")
    seed = options.seed
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise DataError(f"seed must be a non-negative integer, got {seed!r}")
    model = options.model if isinstance(options.model, str) else dict(options.model)
    params = dict(options.model_params) if options.model_params else None
    _check_models(model, params)
    table_params = check_table_params(metadata, options.table_params)
    lookup = options.lookup_rows
    if isinstance(lookup, bool) or not isinstance(lookup, int) or lookup < 0:
        raise DataError(f"lookup_rows must be a non-negative integer, got {lookup!r}")
    return replace(
        options,
        model=model,
        model_params=params,
        context_parent=dict(options.context_parent),
        context_columns={k: [str(c) for c in v] for k, v in options.context_columns.items()},
        rare_category_threshold=int(options.rare_category_threshold),
        table_params=table_params,
    )


def _check_models(model: str | dict[str, str], params: dict[str, Any] | None) -> None:
    """Fail on a misspelled model name (did-you-mean) or, for one model with flat
    parameters, on unknown or invalid parameters."""
    from synthohive.models.base import describe_params_error
    from synthohive.registry import get_registry

    names = [model] if isinstance(model, str) else list(model.values())
    flat = params and not all(isinstance(v, Mapping) for v in params.values())
    if AUTO in names and params:
        raise DataError(
            "model='auto' picks each table's model itself, with that model's defaults, so it "
            "takes no model_params",
            fix="drop model_params, or name the model (e.g. model='tvae') with its parameters",
        )
    classes = {name: get_registry().get_model(name) for name in names if name != AUTO}
    if isinstance(model, str) and flat:
        from pydantic import ValidationError

        cls = classes[model]
        try:
            cls.Params.model_validate(params)
        except ValidationError as exc:
            raise DataError(
                f"invalid parameters for model {model!r}: {describe_params_error(exc, cls.Params)}",
                fix=f"valid parameters: {', '.join(sorted(cls.Params.model_fields)) or 'none'}",
            ) from None
