"""Time the DataTransformer: fit / transform / inverse_transform of a mixed table.

Run: ``.venv/bin/python benchmarks/bench_transform.py [--sizes 10000 100000 1000000]
[--compare-sklearn]``. Writes ``benchmarks/results/transform.json`` (rows, columns, output width,
wall and CPU seconds per step, peak RSS). CPU seconds are the fairer number on a shared machine.

``--compare-sklearn`` also times the "54k rows x 7 numeric columns" case three ways: our
default (vectorised DP-GMM on a <= 50k subsample), scikit-learn's ``BayesianGaussianMixture``
with our settings, and the SDV/RDT-style setting (sklearn on every row, 100 iterations) that
takes on the order of 80 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from synthohive.metadata.schema import Column, Table
from synthohive.transform import DataTransformer

OUT = Path(__file__).resolve().parent / "results" / "transform.json"


def mixed_frame(n: int, seed: int = 0) -> tuple[pd.DataFrame, Table]:
    """12 columns: 5 numeric (bimodal, skewed, int, currency, Int64 with NA), 3 categorical
    (10, 5 000 categories, ``category`` dtype), boolean with NA, tz-aware datetime, datetime
    strings, timedelta."""
    rng = np.random.default_rng(seed)
    na = rng.random(n) < 0.05
    df = pd.DataFrame(
        {
            "bimodal": np.where(rng.random(n) < 0.4, rng.normal(-3, 1, n), rng.normal(3, 0.5, n)),
            "skewed": np.exp(rng.normal(size=n)),
            "age": rng.integers(18, 90, n),
            "price": np.round(rng.gamma(2.0, 30.0, n), 2),
            "visits": pd.Series(pd.array(rng.poisson(4, n), dtype="Int64")).mask(na),
            "city": pd.Series(rng.choice([f"city{i}" for i in range(10)], n), dtype="str"),
            "sku": pd.Series(rng.zipf(1.3, n) % 5000).astype("str"),
            "tier": pd.Categorical(rng.choice(["gold", "silver", "bronze"], n)),
            "active": pd.Series(pd.array(rng.random(n) < 0.7, dtype="boolean")).mask(na),
            "signup": pd.Series(pd.to_datetime(1_600_000_000 + rng.integers(0, 10**8, n), unit="s"))
            .dt.tz_localize("UTC")
            .dt.tz_convert("Europe/Berlin"),
            "day": pd.Series(
                pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 1500, n), "D")
            ).dt.strftime("%Y-%m-%d"),
            "wait": pd.to_timedelta(rng.integers(0, 36_000, n), unit="s"),
        }
    )
    sd = {
        "bimodal": "numerical",
        "skewed": "numerical",
        "age": "numerical",
        "price": "numerical",
        "visits": "numerical",
        "city": "categorical",
        "sku": "categorical",
        "tier": "categorical",
        "active": "boolean",
        "signup": "datetime",
        "day": "datetime",
        "wait": "numerical",
    }
    cols = {k: Column(sdtype=v) for k, v in sd.items()}
    cols["day"] = Column(sdtype="datetime", format="%Y-%m-%d")
    return df, Table(name="bench", columns=cols)


def numeric_frame(n: int = 54_000, seed: int = 0) -> tuple[pd.DataFrame, Table]:
    """7 numeric columns shaped like the census table's (ages, weights, gains, hours)."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "age": rng.integers(17, 90, n),
            "fnlwgt": np.round(rng.lognormal(12, 0.5, n)).astype(np.int64),
            "education_num": rng.integers(1, 16, n),
            "capital_gain": np.where(rng.random(n) < 0.92, 0, rng.lognormal(8, 1, n).round()),
            "capital_loss": np.where(rng.random(n) < 0.95, 0, rng.normal(1900, 300, n).round()),
            "hours_per_week": np.clip(rng.normal(40, 12, n).round(), 1, 99),
            "score": np.where(rng.random(n) < 0.5, rng.normal(0, 1, n), rng.normal(6, 2, n)),
        }
    )
    return df, Table(name="census", columns={c: Column(sdtype="numerical") for c in df})


def _timed(fn: Any) -> tuple[Any, float, float]:
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_sizes(sizes: list[int]) -> list[dict[str, Any]]:
    rows = []
    for n in sizes:
        df, table = mixed_frame(n)
        dt = DataTransformer(seed=0)
        _, fit_w, fit_c = _timed(lambda dt=dt, df=df, table=table: dt.fit(df, table))
        m, tr_w, tr_c = _timed(lambda dt=dt, df=df: dt.transform(df))
        _, inv_w, inv_c = _timed(lambda dt=dt, m=m: dt.inverse_transform(m))
        row = {
            "rows": n,
            "columns": df.shape[1],
            "output_dim": dt.output_dim,
            "fit_wall_s": round(fit_w, 3),
            "fit_cpu_s": round(fit_c, 3),
            "transform_wall_s": round(tr_w, 3),
            "transform_cpu_s": round(tr_c, 3),
            "inverse_wall_s": round(inv_w, 3),
            "inverse_cpu_s": round(inv_c, 3),
            "peak_rss_mb": round(_peak_rss_mb(), 1),
        }
        rows.append(row)
        print(
            f"{n:>9} rows  dim={dt.output_dim:<4} fit {fit_w:7.2f}s  transform {tr_w:7.2f}s  "
            f"inverse {inv_w:7.2f}s  (cpu {fit_c:.2f}/{tr_c:.2f}/{inv_c:.2f})  "
            f"rss {row['peak_rss_mb']} MB"
        )
    return rows


def bench_numeric(compare_sklearn: bool) -> list[dict[str, Any]]:
    df, table = numeric_frame()
    setups: list[tuple[str, dict[str, Any]]] = [("fast (default)", {})]
    if compare_sklearn:
        setups += [
            ("sklearn, same settings", {"gmm_backend": "sklearn"}),
            (
                "sklearn, every row, 100 iter (SDV/RDT-style)",
                {"gmm_backend": "sklearn", "gmm_sample_rows": len(df), "gmm_max_iter": 100},
            ),
        ]
    rows = []
    for label, kw in setups:
        dt = DataTransformer(seed=0, **kw)
        _, w, c = _timed(lambda dt=dt: dt.fit(df, table))
        rows.append(
            {"setup": label, "rows": len(df), "fit_wall_s": round(w, 3), "fit_cpu_s": round(c, 3)}
        )
        print(f"54k x 7 numeric  {label:<46} fit {w:7.2f}s (cpu {c:.2f}s)")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--compare-sklearn", action="store_true")
    args = ap.parse_args()
    result: dict[str, Any] = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "load_average_at_start": os.getloadavg(),
    }
    result["mixed"] = bench_sizes(args.sizes)
    _write(result)  # keep what is measured even if a later (slow) section is interrupted
    result["numeric_54k_x7"] = bench_numeric(args.compare_sklearn)
    result["load_average_at_end"] = os.getloadavg()
    _write(result)
    print(f"wrote {OUT}")


def _write(result: dict[str, Any]) -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
