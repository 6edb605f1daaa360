"""Benchmark: SQL connector throughput on the local PostgreSQL (issue 9 targets).

Writes N synthetic rows (default 1M) with ``SQLConnector.write`` (COPY FROM STDIN bulk path)
and with plain ``DataFrame.to_sql`` (the baseline the bulk path must beat by >= 3x), then reads
them back with ``read()`` (one typed DataFrame) and ``iter_chunks()`` (server-side cursor).
Results go to ``benchmarks/results/sql.json``.

    .venv/bin/python benchmarks/bench_sql.py [--rows 1000000] [--url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from synthohive_sql.connector import SQLConnector
from synthohive_sql.testing import PG_URL, temp_schema


def make_frame(n: int, seed: int = 0) -> pd.DataFrame:
    """Retail-like synthetic rows: ids, amounts, counts, categories, timestamps, flags."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": np.arange(n, dtype="int64"),
            "customer_id": rng.integers(0, 50_000, n),
            "amount": np.round(rng.lognormal(3, 1, n), 2),
            "quantity": pd.array(
                np.where(rng.random(n) < 0.05, -1, rng.integers(1, 20, n)), dtype="Int64"
            ).astype("Int64"),
            "category": pd.array(rng.choice(["food", "toys", "books", "garden"], n), dtype="str"),
            "ordered_at": pd.Timestamp("2024-01-01", tz="UTC")
            + pd.to_timedelta(rng.integers(0, 365 * 86400, n), unit="s"),
            "returned": rng.random(n) < 0.1,
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--baseline-rows",
        type=int,
        default=200_000,
        help="rows for the (slow) to_sql baseline; rate is rows/s",
    )
    parser.add_argument("--url", default=PG_URL)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "sql.json"))
    args = parser.parse_args()

    frame = make_frame(args.rows)
    frame.loc[frame["quantity"] == -1, "quantity"] = pd.NA
    results: dict[str, object] = {
        "rows": args.rows,
        "columns": list(frame.columns),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "sqlalchemy": sa.__version__,
        "pandas": pd.__version__,
    }
    with temp_schema(args.url, prefix="shv_bench") as url:
        conn = SQLConnector(url)
        conn.list_tables()  # connect once outside the timings

        t = time.perf_counter()
        conn.write("orders", frame)
        dt = time.perf_counter() - t
        copy_seconds = dt
        results["write_copy_seconds"] = round(dt, 3)
        results["write_copy_rows_per_s"] = round(args.rows / dt)

        base = frame.iloc[: args.baseline_rows]
        t = time.perf_counter()
        base.to_sql("orders_to_sql", conn.engine, schema=conn.schema, index=False, chunksize=10_000)
        dt = time.perf_counter() - t
        results["baseline_rows"] = len(base)
        results["write_to_sql_seconds"] = round(dt, 3)
        results["write_to_sql_rows_per_s"] = round(len(base) / dt)
        copy_rate = args.rows / copy_seconds
        results["write_speedup_vs_to_sql"] = round(copy_rate / (len(base) / dt), 2)

        t = time.perf_counter()
        back = conn.read("orders")
        dt = time.perf_counter() - t
        results["read_seconds"] = round(dt, 3)
        results["read_rows_per_s"] = round(len(back) / dt)
        results["read_dtypes"] = {c: str(d) for c, d in back.dtypes.items()}
        if len(back) != args.rows:
            raise SystemExit(f"read {len(back)} rows, wrote {args.rows}")

        t = time.perf_counter()
        total = sum(len(c) for c in conn.iter_chunks("orders", chunksize=50_000))
        dt = time.perf_counter() - t
        results["iter_chunks_rows_per_s"] = round(total / dt)
        conn.close()

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
