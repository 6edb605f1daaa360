"""How each table is regenerated: learned by its model, copied, or drawn column by column.

Real schemas hold tables no model can learn from: 5-row media types, 8-row employee lists,
25-row genre lists. Each table gets one strategy, chosen at fit time and recorded (with the
reason) in its plan, so ``Synthesizer.explain()`` and the logs say what happened:

* ``model`` - the table's model learns it (the default for every table it can learn);
* ``copy`` - reference data: the rows are kept as they are (keys included; PII and text
  columns are still filled with fake values), for a small table that only serves as a
  foreign-key target (no parent but itself) and has no PII or text columns;
* ``independent`` - every modelled column is drawn on its own from its marginal (the
  ``independent`` model, no minimum rows), for a table the model cannot learn because it
  has fewer rows than the model's minimum and cannot be copied (PII, or it has parents).

``Synthesizer(table_params={"genre": {"strategy": "copy"}})`` overrides the choice per table
(``"*"`` for every table); ``"auto"`` is the default rule above.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from synthohive.errors import DataError
from synthohive.metadata.schema import Metadata

Strategy = Literal["model", "copy", "independent"]
STRATEGIES = ("auto", "model", "copy", "independent")
TABLE_PARAM_KEYS = ("strategy",)
DEFAULT_LOOKUP_ROWS = 50
INDEPENDENT_MODEL = "independent"


def check_table_params(
    metadata: Metadata | None, table_params: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Validated copy of ``table_params`` (known keys and strategies; tables checked at fit)."""
    out: dict[str, dict[str, Any]] = {}
    for table, params in table_params.items():
        if not isinstance(params, Mapping):
            raise DataError(
                f"table_params[{table!r}] must be a mapping, got {type(params).__name__}",
                table=str(table),
                fix='pass e.g. table_params={"genre": {"strategy": "copy"}}',
            )
        unknown = sorted(set(params) - set(TABLE_PARAM_KEYS))
        if unknown:
            raise DataError(
                f"unknown table parameter(s) {unknown}; known: {list(TABLE_PARAM_KEYS)}",
                table=str(table),
                fix="use model_params for a model's hyper-parameters",
            )
        strategy = params.get("strategy", "auto")
        if strategy not in STRATEGIES:
            raise DataError(
                f"unknown strategy {strategy!r}; choose one of {list(STRATEGIES)}",
                table=str(table),
            )
        out[str(table)] = dict(params)
    return out


def choose_strategy(
    metadata: Metadata,
    name: str,
    *,
    n_rows: int,
    has_filled: bool,
    model_name: str,
    model_min_rows: int,
    requested: str,
    lookup_rows: int,
) -> tuple[Strategy, str]:
    """The strategy of table ``name`` and a one-line reason for ``explain()``."""
    parents = sorted({fk.parent for fk in metadata.parents(name) if fk.parent != name})
    children = sorted({fk.child for fk in metadata.relations if fk.parent == name})
    children = [c for c in children if c != name]
    if requested == "model":
        return "model", f"model {model_name!r} (set by table_params)"
    if requested == "independent":
        return "independent", "columns drawn independently from their marginals (table_params)"
    if requested == "copy":
        if parents:
            raise DataError(
                f"strategy 'copy' keeps the table's rows as they are, but the table has "
                f"parent(s) {parents} whose keys are generated anew",
                table=name,
                fix="copy only tables without parents, or use strategy 'independent'",
            )
        note = "; PII/text columns are still filled with fake values" if has_filled else ""
        return "copy", f"{n_rows} rows copied as they are (table_params){note}"
    few = n_rows < model_min_rows
    if not parents and children and not has_filled and n_rows <= lookup_rows:
        return "copy", (
            f"lookup table: {n_rows} rows (<= {lookup_rows}), no PII, no parent, referenced by "
            f"{children}; rows copied as they are"
        )
    if few:
        why = "has PII/text columns" if has_filled else "has parents" if parents else "not a lookup"
        return "independent", (
            f"{n_rows} rows, fewer than the {model_min_rows} model {model_name!r} needs, and it "
            f"cannot be copied ({why}): columns drawn independently from their marginals"
        )
    return "model", f"model {model_name!r}"
