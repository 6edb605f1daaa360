"""Data-parallel training of one table (issue #22 item 4): TVAE in 1 vs 2 processes.

    python benchmarks/bench_spark_ddp.py [--rows 20000] [--epochs 30] [--seeds 3] [--speed-only]

A 20,000-row table with a known dependency (``y = 2x + noise``, ``band`` = the sign of ``x``,
``kind`` drawn per band) is fitted with TVAE three ways: in this process (torch on every
core), and through ``synthohive_spark.ddp.fit_table_distributed`` (Spark's TorchDistributor,
local mode, gloo) with 1 and 2 processes of one torch thread each. Records the fit's wall
time, the median epoch time (rank 0's history), SynthoHive's overall quality score of 20,000
sampled rows and the sampled ``corr(x, y)`` per seed; writes
``benchmarks/results/spark_ddp.json``. A separate speed run (``speed``, also alone with
``--speed-only``) times 10 epochs without validation scoring, 1 and 2 processes alternated
twice (A B A B), with the machine's load average at each fit.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def table(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x = rng.normal(size=rows)
    band = np.where(x > 0, "hi", "lo")
    kind = np.where(
        band == "hi", rng.choice(["a", "b"], rows, p=[0.8, 0.2]), rng.choice(["a", "b", "c"], rows)
    )
    return pd.DataFrame(
        {"x": x, "y": 2 * x + rng.normal(scale=0.3, size=rows), "band": band, "kind": kind}
    )


def score(model: Any, data: pd.DataFrame) -> dict[str, float]:
    from synthohive.validation import evaluate

    fake = model.sample(len(data), seed=1)
    epochs = [h["seconds"] for h in model.history]
    return {
        "overall": round(float(evaluate(data, fake).overall or 0.0), 4),
        "corr_xy": round(float(np.corrcoef(fake["x"], fake["y"])[0, 1]), 4),
        "median_epoch_s": round(statistics.median(epochs), 4) if epochs else float("nan"),
    }


def speed(spark: Any, data: pd.DataFrame, meta: Any) -> list[dict[str, float]]:
    """10 epochs, no validation scoring, 1 and 2 processes alternated twice."""
    from synthohive_spark.ddp import fit_table_distributed

    params = {"epochs": 10, "batch_size": 500, "eval_every": 100}
    out = []
    for procs in (1, 2, 1, 2):
        started = time.perf_counter()
        model = fit_table_distributed(spark, data, meta, "tvae", params, num_processes=procs)
        out.append(
            {
                "processes": procs,
                "fit_s": round(time.perf_counter() - started, 2),
                "median_epoch_s": round(statistics.median(h["seconds"] for h in model.history), 4),
                "load_avg_1m": round(os.getloadavg()[0], 2),
            }
        )
        print(json.dumps(out[-1]), flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--speed-only", action="store_true", help="rerun only the speed part")
    args = ap.parse_args()
    os.environ["PYSPARK_PYTHON"] = sys.executable
    from synthohive.metadata.detect import detect_table
    from synthohive.registry import get_registry
    from synthohive_spark import local_session
    from synthohive_spark.ddp import fit_table_distributed

    data = table(args.rows)
    meta = detect_table(data, name="readings")
    params = {"epochs": args.epochs, "batch_size": 500}
    spark = local_session()
    spark.sparkContext.setLogLevel("ERROR")
    path = Path(__file__).parent / "results" / "spark_ddp.json"
    if args.speed_only:
        out = json.loads(path.read_text())
        out["speed"] = speed(spark, data, meta)
        spark.stop()
        path.write_text(json.dumps(out, indent=2) + "\n")
        return
    runs: list[dict[str, Any]] = []
    for seed in range(args.seeds):
        for config in ("in_process", "ddp_1", "ddp_2"):
            started = time.perf_counter()
            if config == "in_process":
                model = get_registry().get_model("tvae")(params, seed=seed, device="cpu")
                model.fit(data, table=meta, progress=False)
            else:
                procs = int(config[-1])
                model = fit_table_distributed(
                    spark, data, meta, "tvae", params, num_processes=procs, seed=seed
                )
            wall = time.perf_counter() - started
            runs.append(
                {"config": config, "seed": seed, "fit_s": round(wall, 2), **score(model, data)}
            )
            print(json.dumps(runs[-1]), flush=True)
    timed = speed(spark, data, meta)
    spark.stop()
    summary = {}
    for config in ("in_process", "ddp_1", "ddp_2"):
        mine = [r for r in runs if r["config"] == config]
        summary[config] = {
            k: round(statistics.mean(r[k] for r in mine), 4)
            for k in ("fit_s", "median_epoch_s", "overall", "corr_xy")
        }
    real = data[["x", "y"]].corr().iloc[0, 1]
    out = {
        "rows": args.rows,
        "epochs": args.epochs,
        "seeds": args.seeds,
        "cores": os.cpu_count(),
        "real_corr_xy": round(float(real), 4),
        "summary": summary,
        "runs": runs,
        "speed": timed,
    }
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
