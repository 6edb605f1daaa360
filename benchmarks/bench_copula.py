"""Time the built-in Gaussian copula: fit and sample at 10k / 100k / 1M rows × 20 mixed columns.

Run: ``.venv/bin/python benchmarks/bench_copula.py [--sizes 10000 100000 1000000]``.
Writes ``benchmarks/results/copula.json`` (rows, columns, fit and sample wall and CPU seconds,
sample rows/s, peak RSS). CPU seconds are the fairer number on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd

from synthohive.metadata.schema import Column, Table
from synthohive.models.copula import GaussianCopulaModel

OUT = Path(__file__).resolve().parent / "results" / "copula.json"


def mixed_frame(n: int, seed: int = 0) -> tuple[pd.DataFrame, Table]:
    """20 columns: 8 numeric (skewed, bimodal, integer, currency, nulls), 6 categorical (up to
    5 000 categories), 2 booleans, 2 datetimes (one tz-aware), 1 timedelta, 1 nullable Int64."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=n)
    cols: dict[str, object] = {}
    meta: dict[str, Column] = {}
    for i in range(8):
        if i % 4 == 0:
            x = np.exp(base * 0.5 + rng.normal(size=n) * 0.5)
        elif i % 4 == 1:
            x = np.where(rng.random(n) < 0.4, rng.normal(-3, 1, n), rng.normal(3, 0.5, n))
        elif i % 4 == 2:
            x = np.round(np.abs(base) * 20 + rng.integers(0, 50, n)).astype("int64")
        else:
            x = np.round(rng.gamma(2.0, 30.0, n), 2)
            x[rng.random(n) < 0.1] = np.nan
        cols[f"num{i}"] = x
        meta[f"num{i}"] = Column(sdtype="numerical")
    for i in range(6):
        k = [3, 10, 50, 200, 1000, 5000][i]
        codes = np.minimum((np.abs(base + rng.normal(size=n)) * k / 3).astype("int64"), k - 1)
        cols[f"cat{i}"] = pd.Series(np.char.add("c", codes.astype(str)), dtype="str")
        meta[f"cat{i}"] = Column(sdtype="categorical")
    for i in range(2):
        cols[f"bool{i}"] = base + rng.normal(size=n) > 0
        meta[f"bool{i}"] = Column(sdtype="boolean")
    start = np.datetime64("2015-01-01T00:00:00", "s")
    secs = (rng.random(n) * 3e8).astype("int64")
    cols["dt0"] = pd.Series(start + secs).astype("datetime64[us]")
    cols["dt1"] = pd.Series(start + secs[::-1]).dt.tz_localize("UTC")
    cols["td0"] = pd.to_timedelta(rng.integers(0, 86_400, n), unit="s")
    ints = pd.array(rng.integers(0, 100, n), dtype="Int64")
    ints[rng.random(n) < 0.05] = pd.NA
    cols["int_na"] = ints
    for name in ("dt0", "dt1"):
        meta[name] = Column(sdtype="datetime")
    meta["td0"] = Column(sdtype="numerical")
    meta["int_na"] = Column(sdtype="numerical")
    return pd.DataFrame(cols), Table(name="bench", columns=meta)


def run(sizes: list[int]) -> list[dict[str, object]]:
    """Fit and sample at each size; return one result row per size."""
    rows = []
    for n in sizes:
        df, table = mixed_frame(n)
        model = GaussianCopulaModel(seed=0)
        t0, c0 = time.perf_counter(), time.process_time()
        model.fit(df, table=table, progress=False)
        fit_s, fit_cpu = time.perf_counter() - t0, time.process_time() - c0
        t0, c0 = time.perf_counter(), time.process_time()
        out = model.sample(n, seed=1)
        sample_s, sample_cpu = time.perf_counter() - t0, time.process_time() - c0
        assert len(out) == n
        row: dict[str, object] = {
            "rows": n,
            "columns": df.shape[1],
            "fit_seconds": round(fit_s, 3),
            "fit_cpu_seconds": round(fit_cpu, 3),
            "sample_seconds": round(sample_s, 3),
            "sample_cpu_seconds": round(sample_cpu, 3),
            "sample_rows_per_second": round(n / sample_s),
            "sample_rows_per_cpu_second": round(n / max(sample_cpu, 1e-9)),
            "load_average_1min": round(os.getloadavg()[0], 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
        print(json.dumps(row))
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    args = parser.parse_args()
    rows = run(args.sizes)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps(
            {
                "model": "gaussian_copula",
                "machine": f"{platform.machine()} {platform.processor()}".strip(),
                "python": platform.python_version(),
                "pandas": pd.__version__,
                "numpy": np.__version__,
                "results": rows,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
