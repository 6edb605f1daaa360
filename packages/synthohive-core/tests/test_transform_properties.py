"""Property tests of the DataTransformer (RELIABILITY T-H1, T-H4) over ``tables()``.

Declared tolerances: discrete, boolean, string, category and constant columns, and every null
mask, round-trip exactly; continuous values within ``value_tolerance(column)`` (0 when integer
or decimal rounding recovers the value exactly), plus float32 resolution for float32 columns.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

from synthohive.artifacts.memory import MemoryStore
from synthohive.testing.strategies import tables
from synthohive.transform import DataTransformer

_EXAMPLES = {"ci": 50, "nightly": 2000}.get(os.environ.get("HYPOTHESIS_PROFILE", "ci"), 50)
_SETTINGS = settings(
    max_examples=_EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)


def _numeric(s: pd.Series) -> np.ndarray:
    """Comparable numbers: int64 counts for datetimes/timedeltas, float64 otherwise."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype) or pd.api.types.is_timedelta64_dtype(s.dtype):
        return np.asarray(s.array.asi8, dtype=np.float64)
    return s.to_numpy(dtype=np.float64, na_value=np.nan)


def assert_round_trip(df: pd.DataFrame, back: pd.DataFrame, dt: DataTransformer) -> None:
    """``back`` equals ``df`` up to the declared tolerances."""
    assert list(back.columns) == list(df.columns)
    assert len(back) == len(df)
    for label in df.columns:
        a, b = df[label], back[label]
        name = str(label)
        assert a.dtype == b.dtype, (name, a.dtype, b.dtype)
        na, nb = a.isna().to_numpy(), b.isna().to_numpy()
        assert np.array_equal(na, nb), (name, "null mask")
        tol = dt.value_tolerance(name)
        is_num = pd.api.types.is_numeric_dtype(a.dtype) and not pd.api.types.is_bool_dtype(a.dtype)
        is_time = pd.api.types.is_datetime64_any_dtype(
            a.dtype
        ) or pd.api.types.is_timedelta64_dtype(a.dtype)
        if tol == 0.0 or not (is_num or is_time):
            pd.testing.assert_series_equal(a.reset_index(drop=True), b, check_names=False, obj=name)
            continue
        x, y = _numeric(a)[~na], _numeric(b)[~na]
        bound = tol + (np.abs(x) * 2.0**-23 if a.dtype == np.float32 else 0.0)
        assert np.all(np.abs(x - y) <= bound), (name, np.max(np.abs(x - y)), tol)


def assert_spans_tile(m: np.ndarray, dt: DataTransformer) -> None:
    """Spans are contiguous, cover the matrix, and hold valid one-hots / scaled values."""
    pos = 0
    for span in dt.output_info:
        assert span.start == pos and span.dim >= 1
        block = m[:, span.start : span.end]
        if span.activation == "softmax":
            assert np.array_equal(block.sum(axis=1), np.ones(len(m), dtype=np.float32))
            assert set(np.unique(block)) <= {0.0, 1.0}
        else:
            assert span.dim == 1 and np.all(np.abs(block) <= 0.99)
        pos = span.end
    assert pos == dt.output_dim
    assert sum(s.dim for c in dt.columns for s in dt.column_spans(c)) == dt.output_dim
    assert dt.discrete_spans + dt.continuous_spans == sorted(
        dt.output_info, key=lambda s: (s.kind != "discrete", s.start)
    )


def _fit(df: pd.DataFrame, table: Any) -> DataTransformer:
    return DataTransformer(max_categories=50, seed=3).fit(df, table)


@pytest.mark.slow  # ~5 s idle, more on a busy machine
@_SETTINGS
@given(tables())
def test_h1_round_trip_every_dtype(case: tuple[pd.DataFrame, Any]) -> None:
    df, table = case
    before = df.copy(deep=True)
    dt = _fit(df, table)
    m = dt.transform(df)
    assert m.dtype == np.float32 and m.shape == (len(df), dt.output_dim)
    assert np.isfinite(m).all() and np.all(np.abs(m) <= 1.0)
    assert_spans_tile(m, dt)
    assert_round_trip(df, dt.inverse_transform(m), dt)
    pd.testing.assert_frame_equal(df, before)  # the caller's frame is never mutated


@pytest.mark.slow
@_SETTINGS
@given(tables())
def test_h4_save_load_same_transforms(case: tuple[pd.DataFrame, Any]) -> None:
    df, table = case
    dt = _fit(df, table)
    store = MemoryStore()
    dt.save(store.writer("t"))
    loaded = DataTransformer.load(store.reader("t"))
    assert loaded.output_info == dt.output_info
    m = dt.transform(df, seed=5)
    assert np.array_equal(loaded.transform(df, seed=5), m)
    noisy = m + np.random.default_rng(0).normal(0, 0.3, m.shape).astype(np.float32)
    pd.testing.assert_frame_equal(
        loaded.inverse_transform(noisy, seed=2), dt.inverse_transform(noisy, seed=2)
    )
