"""Category combinations: ``fixed_combinations`` (only the seen tuples of some columns) and
``one_hot`` (exactly one flag of a group set per row)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pydantic import Field

from synthohive.constraints.base import Constraint, ConstraintParams

if TYPE_CHECKING:
    from synthohive.metadata.schema import Column
from synthohive.constraints.columns import (
    _SEP,
    _dtype,
    in_order,
    one_categorical,
)


# --- combinations -----------------------------------------------------------------------------
class FixedCombinationsParams(ConstraintParams):
    columns: list[str] = Field(min_length=2)


class FixedCombinations(Constraint):
    """Only combinations of ``columns`` seen in the real rows (e.g. city and country)."""

    name = "fixed_combinations"
    Params = FixedCombinationsParams
    checks_against_real = True
    params: FixedCombinationsParams

    def columns(self) -> list[str]:
        return list(self.params.columns)

    @property
    def joined(self) -> str:
        """The learned categorical column."""
        return _SEP.join(["combination", *self.params.columns])

    def _keys(self, data: pd.DataFrame) -> pd.Series:
        """Each row's combination as JSON text (built once per distinct combination)."""
        cols = self.params.columns
        if not len(data):
            return pd.Series([], index=data.index, dtype=object)
        group = data.groupby(cols, dropna=False, sort=False).ngroup().to_numpy()
        firsts = data[cols].iloc[np.unique(group, return_index=True)[1]]
        text = [
            json.dumps([None if pd.isna(v) else _plain(v) for v in row])
            for row in firsts.itertuples(index=False, name=None)
        ]
        return pd.Series(np.asarray(text, dtype=object)[group], index=data.index, dtype=object)

    def fit(self, data: pd.DataFrame) -> None:
        self.seen = sorted(set(self._keys(data)))
        self.dtypes = {c: str(data[c].dtype) for c in self.params.columns}
        self.order = list(data.columns)

    def is_valid(self, data: pd.DataFrame) -> pd.Series:
        return self._keys(data).isin(set(self.seen))

    def transform(self, data: pd.DataFrame) -> pd.DataFrame:
        out = data.drop(columns=self.params.columns)
        out[self.joined] = self._keys(data)
        return out

    def reverse(self, data: pd.DataFrame) -> pd.DataFrame:
        keys = data[self.joined]
        known = keys.isin(set(self.seen))
        if not known.all():  # a model that invents categories: map to a seen combination
            rng = np.random.default_rng(len(keys))
            keys = keys.where(known, pd.Series(rng.choice(self.seen, len(keys)), index=keys.index))
        codes, distinct = pd.factorize(keys)
        parsed = [json.loads(k) for k in distinct]  # once per distinct combination
        out = data.drop(columns=[self.joined])
        for i, col in enumerate(self.params.columns):
            column = np.asarray([row[i] for row in parsed], dtype=object)
            values = pd.Series(column[codes] if len(codes) else [], index=data.index, dtype=object)
            out[col] = _restore(values, self.dtypes[col])
        return in_order(out, self.order)

    def model_columns(self, columns: dict[str, Column]) -> dict[str, Column]:
        return one_categorical(columns, self.params.columns, self.joined)

    def state(self) -> dict[str, Any]:
        return {"seen": self.seen, "dtypes": self.dtypes, "order": self.order}

    def load_state(self, state: dict[str, Any]) -> None:
        self.seen = [str(s) for s in state.get("seen", [])]
        self.dtypes = {str(k): str(v) for k, v in state.get("dtypes", {}).items()}
        self.order = [str(c) for c in state.get("order", [])]


def _plain(value: Any) -> Any:
    """A JSON value for a cell (numpy scalars unwrapped, timestamps as ISO text)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def _restore(values: pd.Series, dtype: str) -> pd.Series:
    """Cells decoded from JSON, cast back to the column's dtype where possible."""
    try:
        if dtype.startswith("datetime64"):
            return pd.to_datetime(values).astype(_dtype(dtype))
        return values.astype(_dtype(dtype))
    except (TypeError, ValueError):
        return values


# --- one-hot groups ---------------------------------------------------------------------------
class OneHot(Constraint):
    """Exactly one of ``columns`` is 1 (true) and the others 0 on every row (indicator
    columns such as ``is_cash``, ``is_card``, ``is_voucher``)."""

    name = "one_hot"
    Params = FixedCombinationsParams  # the same shape: two or more columns
    params: FixedCombinationsParams

    def columns(self) -> list[str]:
        return list(self.params.columns)

    @property
    def joined(self) -> str:
        """The learned categorical column: the name of the hot column."""
        return _SEP.join(["one_hot", *self.params.columns])

    def _matrix(self, data: pd.DataFrame) -> np.ndarray:
        return data[self.params.columns].astype("float64").to_numpy(na_value=np.nan)

    def is_valid(self, data: pd.DataFrame) -> pd.Series:
        m = self._matrix(data)
        ok = np.isin(m, [0.0, 1.0]).all(axis=1) & (np.nansum(m, axis=1) == 1)
        return pd.Series(ok, index=data.index)

    def fit(self, data: pd.DataFrame) -> None:
        super().fit(data)
        self.dtypes = {c: str(data[c].dtype) for c in self.params.columns}
        self.order = list(data.columns)
        hot = self.transform(data)[self.joined]
        self.most = str(hot.mode().iloc[0]) if len(hot) else self.params.columns[0]

    def transform(self, data: pd.DataFrame) -> pd.DataFrame:
        cols = np.asarray(self.params.columns, dtype=object)
        hot = cols[np.argmax(self._matrix(data) == 1.0, axis=1)] if len(data) else cols[:0]
        out = data.drop(columns=self.params.columns)
        out[self.joined] = pd.Series(hot, index=data.index, dtype=object)
        return out

    def reverse(self, data: pd.DataFrame) -> pd.DataFrame:
        hot = data[self.joined].astype(object)
        hot = hot.where(hot.isin(self.params.columns), self.most)  # an invented category
        out = data.drop(columns=[self.joined])
        for col in self.params.columns:
            flag = (hot == col).to_numpy()
            out[col] = pd.Series(flag, index=data.index).astype(_dtype(self.dtypes[col]))
        return in_order(out, self.order)

    def model_columns(self, columns: dict[str, Column]) -> dict[str, Column]:
        return one_categorical(columns, self.params.columns, self.joined)

    def state(self) -> dict[str, Any]:
        return {"dtypes": self.dtypes, "order": self.order, "most": self.most}

    def load_state(self, state: dict[str, Any]) -> None:
        self.dtypes = {str(k): str(v) for k, v in state.get("dtypes", {}).items()}
        self.order = [str(c) for c in state.get("order", [])]
        self.most = str(state.get("most", self.params.columns[0]))
