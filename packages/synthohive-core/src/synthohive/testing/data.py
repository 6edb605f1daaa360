"""Tiny, seeded data builders shared by the conformance kit and tests (no detection needed)."""

from __future__ import annotations

import importlib
import json
import os
import platform
import subprocess
import sys
from typing import Any

import numpy as np
import pandas as pd

from synthohive.metadata.schema import Column, Metadata, Table


def sdtype_of(series: pd.Series) -> str:
    """A plain sdtype from the dtype alone: boolean, numerical, datetime or categorical."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
        return "numerical"
    return "categorical"


def table_for(data: pd.DataFrame, name: str = "table", **overrides: dict[str, Any] | str) -> Table:
    """A :class:`Table` describing ``data`` by dtype; ``overrides`` maps a column name to an
    sdtype string or to a dict of :class:`Column` fields."""
    cols: dict[str, Column] = {}
    for i, label in enumerate(data.columns):
        key = str(label)
        fields: dict[str, Any] = {"sdtype": sdtype_of(data.iloc[:, i])}
        extra = overrides.get(key)
        if isinstance(extra, str):
            fields["sdtype"] = extra
        elif isinstance(extra, dict):
            fields.update(extra)
        cols[key] = Column(**fields)
    return Table(name=name, columns=cols)


def six_dtype_frame(n: int = 200, seed: int = 0) -> pd.DataFrame:
    """int64, float64, str, bool, category and datetime64 columns, mildly correlated, no nulls."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=n)
    cat = np.where(base > 0.5, "high", np.where(base < -0.5, "low", "mid"))
    return pd.DataFrame(
        {
            "age": np.clip(np.round(40 + 12 * base + rng.normal(0, 4, n)), 18, 90).astype("int64"),
            "income": np.round(np.exp(10 + 0.5 * base + rng.normal(0, 0.3, n)), 2),
            "city": pd.Series(rng.choice(["paris", "oslo", "rome", "lima"], n), dtype="str"),
            "member": base + rng.normal(0, 1, n) > 0,
            "band": pd.Categorical(cat, categories=["low", "mid", "high"]),
            "joined": pd.Series(
                np.datetime64("2020-01-01", "s")
                + (rng.integers(0, 3 * 365, n) * 86_400).astype("timedelta64[s]")
            ),
        }
    )


def correlated_gaussians(n: int, rho: float, seed: int = 0) -> pd.DataFrame:
    """Two standard normal columns ``x`` and ``y`` with correlation ``rho``."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = rho * x + np.sqrt(1 - rho**2) * rng.normal(size=n)
    return pd.DataFrame({"x": x, "y": y})


def parent_child(n: int = 600, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(child, context)`` row-aligned: the child's ``amount`` and ``channel`` depend on the
    parent's ``tier`` and ``size`` (gold parents buy more, mostly online)."""
    rng = np.random.default_rng(seed)
    tier = rng.choice(["gold", "silver", "bronze"], n, p=[0.2, 0.3, 0.5])
    size = np.round(rng.gamma(2.0, 10.0, n), 1)
    mean = np.select([tier == "gold", tier == "silver"], [300.0, 150.0], 50.0)
    amount = np.round(mean + 2.0 * size + rng.normal(0, 15, n), 2)
    online = rng.random(n) < np.where(tier == "gold", 0.85, 0.3)
    context = pd.DataFrame({"tier": pd.Series(tier, dtype="str"), "size": size})
    child = pd.DataFrame(
        {"amount": amount, "channel": pd.Series(np.where(online, "web", "shop"), dtype="str")}
    )
    return child, context


def mixed_table(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, Table]:
    """A bimodal float, an int, a 3-level string and a bool, with their ``Table``."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "amount": np.where(rng.random(n) < 0.5, rng.normal(0, 1, n), rng.normal(8, 1, n)),
            "age": rng.integers(18, 80, n),
            "colour": rng.choice(["red", "green", "blue"], n, p=[0.6, 0.3, 0.1]),
            "flag": rng.random(n) < 0.3,
        }
    )
    table = Table(
        name="people",
        columns={
            "amount": Column(sdtype="numerical"),
            "age": Column(sdtype="numerical", integer=True),
            "colour": Column(sdtype="categorical"),
            "flag": Column(sdtype="boolean"),
        },
    )
    return df, table


def segment_child(n: int = 600, seed: int = 1) -> tuple[pd.DataFrame, Table, pd.DataFrame, Table]:
    """``(child, child_table, context, context_table)``: the child's ``value`` and ``kind``
    depend strongly on the parent's ``segment`` (A: value ≈ 0, mostly p; B: ≈ 10, mostly q)."""
    rng = np.random.default_rng(seed)
    seg = rng.choice(["A", "B"], n)
    is_a = seg == "A"
    child = pd.DataFrame(
        {
            "value": np.where(is_a, rng.normal(0, 1, n), rng.normal(10, 1, n)),
            "kind": np.where(
                is_a,
                rng.choice(["p", "q"], n, p=[0.9, 0.1]),
                rng.choice(["p", "q"], n, p=[0.1, 0.9]),
            ),
        }
    )
    context = pd.DataFrame({"segment": seg})
    child_table = Table(
        name="orders",
        columns={"value": Column(sdtype="numerical"), "kind": Column(sdtype="categorical")},
    )
    ctx_table = Table(name="orders.context", columns={"segment": Column(sdtype="categorical")})
    return child, child_table, context, ctx_table


def shop_schema(customers: int = 600) -> dict[str, pd.DataFrame]:
    """The embedded retail schema with the derived columns real schemas carry, each true on
    every row: ``orders.total`` (sum of its lines' ``amount``), ``orders.n_items``,
    ``customers.n_orders``, ``order_items.amount`` (quantity x unit price) and orders placed
    after their customer's sign-up."""
    from synthohive.demo import load_demo

    t = load_demo()
    rng = np.random.default_rng(1)
    c = t["customers"].head(customers).copy()
    o = t["orders"][t["orders"]["customer_id"].isin(c["customer_id"])].copy()
    it = t["order_items"][t["order_items"]["order_id"].isin(o["order_id"])].copy()
    signup = c.set_index("customer_id")["signup_at"]
    gap = pd.to_timedelta(rng.gamma(2.0, 60.0, len(o)), "D")
    o["ordered_at"] = (o["customer_id"].map(signup) + gap).dt.round("s")
    it["amount"] = np.round(it["quantity"] * it["unit_price"], 2)
    o["total"] = o["order_id"].map(it.groupby("order_id")["amount"].sum()).fillna(0).round(2)
    o["n_items"] = o["order_id"].map(it.groupby("order_id").size()).fillna(0).astype("int64")
    c["n_orders"] = c["customer_id"].map(o.groupby("customer_id").size()).fillna(0)
    c["n_orders"] = c["n_orders"].astype("int64")
    return {"customers": c, "products": t["products"], "orders": o, "order_items": it}


def shop_metadata(tables: dict[str, pd.DataFrame], rules: bool = True) -> Metadata:
    """Detected metadata of :func:`shop_schema`, with its five rules unless ``rules=False``."""
    meta = Metadata.detect(tables)
    if rules:
        meta.add_constraint(
            "orders", "after_parent", parent="customers", column="ordered_at",
            parent_column="signup_at",
        )  # fmt: skip
        meta.add_constraint(
            "orders", "child_sum", child="order_items", column="amount", total="total"
        )
        meta.add_constraint("orders", "child_count", child="order_items", column="n_items")
        meta.add_constraint("customers", "child_count", child="orders", column="n_orders")
        meta.add_constraint(
            "order_items", "formula", column="amount", expression="quantity * unit_price"
        )
    return meta


def frame_digest(frame: pd.DataFrame, digits: int = 9) -> str:
    """A short sha256 of ``frame``'s labels, dtypes and values, floats written to ``digits``
    significant digits (so a change in the last bits of a BLAS reduction does not count, any
    real change in output does). Tests pin these to prove a refactor changes no output."""
    import hashlib

    h = hashlib.sha256()
    h.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    for label in frame.columns:
        s = frame[label]
        if pd.api.types.is_float_dtype(s.dtype):
            floats = s.to_numpy(dtype="float64")
            text = [f"{v:.{digits}g}" if pd.notna(v) else "<NA>" for v in floats]
        else:
            text = ["<NA>" if pd.isna(v) else str(v) for v in s.astype(object)]
        h.update("\x1f".join(text).encode())
    return h.hexdigest()[:16]


def model_digest(model_cls: Any, params: dict[str, Any] | None = None, digits: int = 5) -> str:
    """:func:`frame_digest` of 200 rows (seed 1) from ``model_cls`` fitted on
    :func:`mixed_table` (300 rows, seed 0) on the CPU. A torch model runs on one thread while
    it does (sums differ with the thread count); the kit itself never imports torch."""
    import sys

    torch = sys.modules.get("torch")
    threads = torch.get_num_threads() if torch is not None else None
    if torch is not None:
        torch.set_num_threads(1)
    try:
        data, table = mixed_table(300, seed=0)
        model = model_cls(params or {}, seed=0, device="cpu")
        model.fit(data, table=table, progress=False)
        return frame_digest(model.sample(200, seed=1), digits=digits)
    finally:
        if torch is not None:
            torch.set_num_threads(threads)


# Torch settings under which float sums are the same on every x86-64 CPU: ATen's scalar
# kernels instead of the AVX2/AVX-512 ones picked per machine, MKL's conditional numerical
# reproducibility, and one thread (a reduction split over threads sums in another order; the
# fresh process imports torch only inside fit, after model_digest looked for it, so the thread
# count must come from the environment). Read when torch starts: a fresh process only.
PORTABLE_TORCH_ENV = {
    "ATEN_CPU_CAPABILITY": "default",
    "MKL_CBWR": "COMPATIBLE",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


def portable_env() -> dict[str, str]:
    """:data:`PORTABLE_TORCH_ENV` plus the same for numpy, scipy and scikit-learn: OpenBLAS on
    one thread with its baseline x86-64 kernels (``OPENBLAS_CORETYPE``; each CPU family
    otherwise gets its own, and the copula's rows differed between them at the 9th digit)
    and numpy's baseline SIMD (``NPY_DISABLE_CPU_FEATURES`` names every dispatched target).
    Read when the libraries load: for a fresh process (:func:`portable_call`)."""
    env = {**PORTABLE_TORCH_ENV, "OPENBLAS_NUM_THREADS": "1"}
    if platform.machine().lower() in ("x86_64", "amd64"):
        env["OPENBLAS_CORETYPE"] = "Prescott"
    try:
        umath = importlib.import_module("numpy._core._multiarray_umath")
    except ImportError:  # numpy 1.x
        umath = importlib.import_module("numpy.core._multiarray_umath")
    dispatch = getattr(umath, "__cpu_dispatch__", [])
    if dispatch:
        env["NPY_DISABLE_CPU_FEATURES"] = " ".join(dispatch)
    return env


def portable_call(target: str, *args: Any) -> Any:
    """``target(*args)`` (``"module:function"``, JSON arguments and result) run in a fresh
    Python under :func:`portable_env`, so that pinned digests hold on every x86-64 machine
    (in process, the same seed gave other rows on an AVX-512 Intel CPU and an AVX2 AMD one)."""
    module, func = target.split(":")
    code = (
        "import json, sys, importlib\n"
        f"fn = getattr(importlib.import_module({module!r}), {func!r})\n"
        "print(json.dumps(fn(*json.loads(sys.argv[1]))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, json.dumps(list(args))],
        env={**os.environ, **portable_env()},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"{target} failed in the portable process:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _model_digest_by_name(module: str, qualname: str, params: dict[str, Any]) -> str:
    model_cls = getattr(importlib.import_module(module), qualname)
    return model_digest(model_cls, params)


def portable_model_digest(model_cls: Any, params: dict[str, Any] | None = None) -> str:
    """:func:`model_digest` computed by :func:`portable_call`. ``model_cls`` must be
    importable by name."""
    return str(
        portable_call(
            "synthohive.testing.data:_model_digest_by_name",
            model_cls.__module__,
            model_cls.__qualname__,
            params or {},
        )
    )


def demo_model_digest(model: str) -> str:
    """:func:`frame_digest` of 500 rows (seed 1) from the registered ``model`` fitted (seed 0)
    on the demo's customers table as detected; pinned by the core's output tests."""
    from synthohive.demo import load_demo
    from synthohive.metadata.detect import detect_table
    from synthohive.registry import get_registry

    customers = load_demo()["customers"]
    table = detect_table(customers, name="customers")
    fitted = get_registry().get_model(model)(seed=0).fit(customers, table=table, progress=False)
    return frame_digest(fitted.sample(500, seed=1))


def demo_schema_digests() -> dict[str, str]:
    """:func:`frame_digest` per table of the demo schema fitted (seed 0) with its metadata and
    sampled at scale 0.2 (seed 3); pinned by the core's output tests."""
    from synthohive.demo import demo_metadata, load_demo
    from synthohive.synthesizer import Synthesizer

    synth = Synthesizer(demo_metadata(), seed=0, progress=False).fit(load_demo())
    return {name: frame_digest(frame) for name, frame in synth.sample(scale=0.2, seed=3).items()}


def customers_orders(n: int = 6000, seed: int = 0) -> dict[str, pd.DataFrame]:
    """``n`` customers (id, age) and their orders (Poisson(3) per customer: id, customer,
    amount): a parent-child pair whose children-per-parent distribution is known."""
    rng = np.random.default_rng(seed)
    customers = pd.DataFrame(
        {"customer_id": np.arange(1, n + 1), "age": rng.integers(18, 90, n).astype("int64")}
    )
    per = rng.poisson(3, n)
    orders = pd.DataFrame(
        {
            "order_id": np.arange(1, per.sum() + 1),
            "customer_id": np.repeat(customers["customer_id"].to_numpy(), per),
            "amount": np.round(rng.gamma(2.0, 30.0, per.sum()), 2),
        }
    )
    return {"customers": customers, "orders": orders}
