"""Distributed fitting: an 11-table schema fitted in process, on ``local[1]`` and ``local[2]``.

    python benchmarks/bench_spark_fit.py [--size 10] [--epochs 10]

The schema is ``synthohive.testing.schemas.deep_schema(extra=True, size=N)`` (11 tables,
self-referencing employees, composite keys; ~82k rows at size 10). Each configuration runs in
its own process (a fresh JVM): ``Synthesizer.fit`` in process, then
``synthohive_spark.fit`` with ``local[1]`` and ``local[2]``, for the copula and for TVAE.
The Spark runs warm their Python workers up with a small fit first; torch uses one thread
per task everywhere (``OMP_NUM_THREADS=1``), so a core fits one table at a time. Records fit
seconds and checks that every configuration generates the same rows (sample digests).
Writes ``benchmarks/results/spark_fit.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def child(master: str, model: str, size: int, epochs: int) -> dict[str, Any]:
    os.environ["PYSPARK_PYTHON"] = sys.executable
    from synthohive.synthesizer import Synthesizer
    from synthohive.testing.data import frame_digest
    from synthohive.testing.schemas import deep_schema

    meta, tables = deep_schema(0, extra=True, size=size)
    options: dict[str, Any] = {"seed": 0, "progress": False, "model": model, "device": "cpu"}
    if model != "gaussian_copula":
        options["model_params"] = {"epochs": epochs}
    if master == "in-process":
        started = time.perf_counter()
        synth = Synthesizer(meta, **options).fit(tables)
        seconds = time.perf_counter() - started
    else:
        from synthohive_spark import fit, local_session

        spark = local_session(master)
        spark.sparkContext.setLogLevel("ERROR")
        small_meta, small = deep_schema(0, extra=True)
        fit(spark, small_meta, small, seed=0, progress=False)  # start the workers
        started = time.perf_counter()
        synth = fit(spark, meta, tables, **options)
        seconds = time.perf_counter() - started
        spark.stop()
    out = synth.sample(scale=0.2, seed=1)
    return {
        "seconds": round(seconds, 2),
        "rows": int(sum(len(t) for t in tables.values())),
        "digest": frame_digest(out["inventory"]) + frame_digest(out["order_items"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--child", nargs=2, metavar=("MASTER", "MODEL"))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1], args.size, args.epochs)))
        return
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    runs: dict[str, dict[str, Any]] = {}
    for model in ("gaussian_copula", "tvae"):
        for master in ("in-process", "local[1]", "local[2]"):
            cmd = [sys.executable, __file__, "--child", master, model]
            cmd += ["--size", str(args.size), "--epochs", str(args.epochs)]
            done = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
            runs[f"{model} {master}"] = json.loads(done.stdout.strip().splitlines()[-1])
            print(model, master, runs[f"{model} {master}"], flush=True)
    summary = {
        "schema": f"deep_schema(extra=True, size={args.size}): 11 tables",
        "epochs": args.epochs,
        "runs": runs,
        "speedup_local2_vs_local1": {
            m: round(runs[f"{m} local[1]"]["seconds"] / runs[f"{m} local[2]"]["seconds"], 2)
            for m in ("gaussian_copula", "tvae")
        },
        "same_rows_everywhere": {
            m: len({runs[f"{m} {w}"]["digest"] for w in ("in-process", "local[1]", "local[2]")})
            == 1
            for m in ("gaussian_copula", "tvae")
        },
        "load_average": os.getloadavg(),
        "cores": os.cpu_count(),
    }
    path = Path(__file__).parent / "results" / "spark_fit.json"
    path.write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
