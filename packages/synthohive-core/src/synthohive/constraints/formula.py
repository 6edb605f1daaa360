"""The ``formula`` constraint: one column computed from others by an arithmetic expression.

The expression is stored as text in the metadata and the model file and is never handed to
``eval``: it is parsed with :mod:`ast` and only numbers, column names, ``+ - * / // % **``,
unary signs and the functions ``abs``, ``round``, ``min``, ``max``, ``floor`` and ``ceil`` are
accepted; anything else (attributes, subscripts, other calls, names that are not columns) is
refused when the constraint is declared. The model never sees the computed column; it is
derived on every generated row, so the rule holds exactly.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator

from synthohive.constraints.base import Constraint, ConstraintParams
from synthohive.models.values import learn_decimals

if TYPE_CHECKING:
    from synthohive.metadata.schema import Column

_BINARY: dict[type[ast.operator], Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.divide,
    ast.FloorDiv: np.floor_divide,
    ast.Mod: np.mod,
    ast.Pow: np.power,
}
_FUNCTIONS = ("abs", "round", "min", "max", "floor", "ceil")
MAX_EXPRESSION = 500


def parse_expression(text: str) -> tuple[ast.expr, list[str]]:
    """The checked syntax tree of ``text`` and the column names it reads (in order)."""
    if len(text) > MAX_EXPRESSION:
        raise ValueError(f"expression longer than {MAX_EXPRESSION} characters")
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError as exc:
        raise ValueError(f"expression is not valid: {exc.msg}") from None
    names: list[str] = []

    def check(node: ast.AST) -> None:
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            check(node.left)
            check(node.right)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            check(node.operand)
        elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
            pass
        elif isinstance(node, ast.Name):
            if node.id not in names:
                names.append(node.id)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in _FUNCTIONS
            and not node.keywords
            and node.args
        ):
            for arg in node.args:
                check(arg)
        else:
            raise ValueError(
                f"expression may hold numbers, column names, + - * / // % **, and "
                f"{', '.join(_FUNCTIONS)}; not {ast.unparse(node)!r}"
            )

    check(tree)
    if not names:
        raise ValueError("expression reads no column")
    return tree, names


def evaluate(tree: ast.expr, data: pd.DataFrame) -> np.ndarray:
    """The expression on every row of ``data`` (float64; nulls, and x/0, give NaN)."""

    def ev(node: ast.AST) -> Any:
        if isinstance(node, ast.BinOp):
            return _BINARY[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp):
            value = ev(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.Constant):
            assert isinstance(node.value, int | float)  # parse_expression allows only these
            return float(node.value)
        if isinstance(node, ast.Name):
            return data[node.id].to_numpy(dtype="float64", na_value=np.nan)
        assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        args = [ev(a) for a in node.args]
        name = node.func.id
        if name == "round":
            digits = int(args[1]) if len(args) > 1 else 0
            return np.round(args[0], digits)
        if name in ("min", "max"):
            fn = np.fmin if name == "min" else np.fmax
            out = args[0]
            for a in args[1:]:
                out = fn(out, a)
            return out
        return {"abs": np.abs, "floor": np.floor, "ceil": np.ceil}[name](args[0])

    with np.errstate(all="ignore"):
        result = np.broadcast_to(np.asarray(ev(tree), dtype="float64"), (len(data),)).copy()
    result[~np.isfinite(result)] = np.nan
    return result


class FormulaParams(ConstraintParams):
    column: str = Field(description="the computed column")
    expression: str = Field(description="e.g. 'quantity * unit_price * (1 - discount)'")

    @field_validator("expression")
    @classmethod
    def _parses(cls, text: str) -> str:
        parse_expression(text)
        return text

    @model_validator(mode="after")
    def _not_circular(self) -> FormulaParams:
        if self.column in parse_expression(self.expression)[1]:
            raise ValueError("the expression cannot read the column it computes")
        return self


class Formula(Constraint):
    """``column == expression`` on every row, e.g. ``line_total = quantity * unit_price``;
    the result is rounded to the column's decimals (integers for an integer column)."""

    name = "formula"
    Params = FormulaParams
    params: FormulaParams

    def __init__(self, table: str, params: dict[str, Any] | None = None) -> None:
        super().__init__(table, params)
        self.tree, self.inputs = parse_expression(self.params.expression)
        self.decimals: int | None = None
        self.dtype = "float64"
        self.order: list[str] = []

    def columns(self) -> list[str]:
        return [*self.inputs, self.params.column]

    def rewrites(self) -> list[str]:
        return [self.params.column]

    def _computed(self, data: pd.DataFrame) -> np.ndarray:
        value = evaluate(self.tree, data)
        return value if self.decimals is None else np.round(value, self.decimals)

    def is_valid(self, data: pd.DataFrame) -> pd.Series:
        actual = data[self.params.column].to_numpy(dtype="float64", na_value=np.nan)
        expect = self._computed(data)
        ok = np.isclose(actual, expect, rtol=1e-9, atol=1e-6) | np.isnan(actual) & np.isnan(expect)
        return pd.Series(ok, index=data.index)

    def fit(self, data: pd.DataFrame) -> None:
        col = data[self.params.column]
        self.dtype = str(col.dtype)
        values = col.to_numpy(dtype="float64", na_value=np.nan)
        self.decimals = learn_decimals(values[~np.isnan(values)])
        self.order = list(data.columns)
        super().fit(data)

    def transform(self, data: pd.DataFrame) -> pd.DataFrame:
        return data.drop(columns=[self.params.column])

    def reverse(self, data: pd.DataFrame) -> pd.DataFrame:
        from synthohive.constraints.columns import _as, _dtype, in_order

        out = data.copy()
        out[self.params.column] = _as(
            self._computed(data), _dtype(self.dtype), data.index, "number"
        )
        return in_order(out, self.order)

    def model_columns(self, columns: dict[str, Column]) -> dict[str, Column]:
        return {k: v for k, v in columns.items() if k != self.params.column}

    def state(self) -> dict[str, Any]:
        return {"dtype": self.dtype, "decimals": self.decimals, "order": self.order}

    def load_state(self, state: dict[str, Any]) -> None:
        from synthohive.constraints.columns import _dtype

        self.dtype = str(_dtype(str(state.get("dtype", "float64"))))
        raw = state.get("decimals")
        self.decimals = None if raw is None else int(raw)
        self.order = [str(c) for c in state.get("order", [])]
