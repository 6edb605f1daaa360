"""Every built-in row rule passes the constraint conformance kit (``ConstraintContract``),
the suite a third-party constraint runs too."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from synthohive.constraints.bounds import Negative, Positive, ScalarRange
from synthohive.constraints.combinations import FixedCombinations, OneHot
from synthohive.constraints.formula import Formula
from synthohive.constraints.inequality import Inequality, Range
from synthohive.constraints.sums import Sum
from synthohive.constraints.unique import Unique
from synthohive.testing import ConstraintContract


def rows(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """Order-like rows: dates in order with nulls, money with cents, indicator columns."""
    rng = np.random.default_rng(seed)
    ordered = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 8000, n), "h")
    shipped = ordered + pd.to_timedelta(rng.integers(0, 240, n), "h")
    due = shipped + pd.to_timedelta(rng.integers(0, 480, n), "h")
    method = rng.choice(3, n, p=[0.5, 0.3, 0.2])
    net = np.round(rng.gamma(2.0, 40.0, n), 2)
    qty = rng.integers(1, 9, n)
    price = np.round(rng.gamma(2.0, 5.0, n), 2)
    places = [("Paris", "FR"), ("Lyon", "FR"), ("Berlin", "DE"), ("Bonn", "DE"), ("Rome", "IT")]
    pick = rng.integers(0, len(places), n)
    return pd.DataFrame(
        {
            "ordered_at": pd.Series(ordered),
            "shipped_at": pd.Series(shipped).where(rng.random(n) > 0.1),
            "due_at": pd.Series(due),
            "net": net,
            "tax": np.round(net * 0.2, 2),
            "gross": np.round(net + np.round(net * 0.2, 2), 2),
            "qty": qty,
            "price": price,
            "line": np.round(qty * price, 2),
            "discount": np.round(rng.uniform(0, 0.5, n), 3),
            "refund": -np.round(rng.exponential(10.0, n), 2),
            "cash": (method == 0).astype("int64"),
            "card": (method == 1).astype("int64"),
            "voucher": (method == 2).astype("int64"),
            "city": [places[i][0] for i in pick],
            "country": [places[i][1] for i in pick],
            "serial": rng.permutation(n).astype("float64") + 0.5,
        }
    )


class _Rows(ConstraintContract):
    def real_rows(self) -> pd.DataFrame:
        return rows()


class TestInequality(_Rows):
    constraint_class = Inequality
    params: ClassVar[dict[str, Any]] = {"low": "ordered_at", "high": "shipped_at"}

    def broken_rows(self) -> pd.DataFrame:
        df = rows()
        return df.assign(shipped_at=df["ordered_at"] - pd.Timedelta("1h"))


class TestInequalityOnDateStrings(_Rows):
    constraint_class = Inequality
    params: ClassVar[dict[str, Any]] = {"low": "ordered_at", "high": "due_at", "strict": True}

    def real_rows(self) -> pd.DataFrame:
        df = rows()
        df = df[df["due_at"] > df["ordered_at"]].reset_index(drop=True)
        for col in ("ordered_at", "due_at"):
            df[col] = df[col].dt.strftime("%Y-%m-%d %H:%M:%S")
        return df


class TestRange(_Rows):
    constraint_class = Range
    params: ClassVar[dict[str, Any]] = {
        "low": "ordered_at",
        "value": "shipped_at",
        "high": "due_at",
    }

    def broken_rows(self) -> pd.DataFrame:
        df = rows()
        return df.assign(shipped_at=df["due_at"] + pd.Timedelta("1D"))


class TestScalarRange(_Rows):
    constraint_class = ScalarRange
    params: ClassVar[dict[str, Any]] = {"column": "discount", "low": 0.0, "high": 0.5}

    def broken_rows(self) -> pd.DataFrame:
        return rows().assign(discount=0.9)


class TestPositive(_Rows):
    constraint_class = Positive
    params: ClassVar[dict[str, Any]] = {"column": "qty", "strict": True}

    def broken_rows(self) -> pd.DataFrame:
        return rows().assign(qty=0)


class TestNegative(_Rows):
    constraint_class = Negative
    params: ClassVar[dict[str, Any]] = {"column": "refund"}

    def broken_rows(self) -> pd.DataFrame:
        return rows().assign(refund=5.0)


class TestFixedCombinations(_Rows):
    constraint_class = FixedCombinations
    params: ClassVar[dict[str, Any]] = {"columns": ["city", "country"]}


class TestOneHot(_Rows):
    constraint_class = OneHot
    params: ClassVar[dict[str, Any]] = {"columns": ["cash", "card", "voucher"]}

    def broken_rows(self) -> pd.DataFrame:
        return rows().assign(cash=1, card=1)


class TestSum(_Rows):
    constraint_class = Sum
    params: ClassVar[dict[str, Any]] = {"parts": ["net", "tax"], "total": "gross"}

    def broken_rows(self) -> pd.DataFrame:
        df = rows()
        return df.assign(gross=df["gross"] + 1)


class TestFormula(_Rows):
    constraint_class = Formula
    params: ClassVar[dict[str, Any]] = {"column": "line", "expression": "qty * price"}

    def broken_rows(self) -> pd.DataFrame:
        df = rows()
        return df.assign(line=df["line"] + 0.01)


class TestUnique(_Rows):
    constraint_class = Unique
    params: ClassVar[dict[str, Any]] = {"columns": ["serial"]}

    def broken_rows(self) -> pd.DataFrame:
        return rows().assign(serial=1.0)
