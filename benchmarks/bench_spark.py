"""Distributed generation throughput: ``local[2]`` vs ``local[1]`` on the demo schema.

    python benchmarks/bench_spark.py [--scale 10] [--partitions 4]

Each configuration runs in its own process (a fresh JVM): fit the demo schema with the copula,
then ``synthohive_spark.generate`` every table and force it with Spark's ``noop`` writer, so the
rows are produced on the executors and never collected. Records rows/s and the driver's peak
RSS at two scales; writes ``benchmarks/results/spark.json``. Target (issue 10): local[2] >=
1.7x local[1] at scale >= 10, driver memory flat as scale grows.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path


def child(master: str, scale: float, partitions: int) -> dict[str, float]:
    os.environ["PYSPARK_PYTHON"] = sys.executable
    from synthohive.demo import demo_metadata, load_demo
    from synthohive.synthesizer import Synthesizer
    from synthohive_spark import generate, local_session

    spark = local_session(master)
    spark.sparkContext.setLogLevel("ERROR")
    synth = Synthesizer(demo_metadata(), seed=0, progress=False).fit(load_demo())
    # warm up the Python workers once so both configurations pay the same start-up
    for sdf in generate(spark, synth, scale=0.05, partitions=partitions, seed=1).values():
        sdf.write.format("noop").mode("overwrite").save()
    started = time.perf_counter()
    frames = generate(spark, synth, scale=scale, partitions=partitions, seed=7)
    rows = 0
    for sdf in frames.values():
        sdf.write.format("noop").mode("overwrite").save()
        rows += sdf.count()
    seconds = time.perf_counter() - started
    spark.stop()
    return {
        "rows": rows,
        "seconds": seconds,
        "rows_per_s": rows / seconds,
        "driver_peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=10.0)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--child", nargs=3, metavar=("MASTER", "SCALE", "PARTITIONS"))
    args = parser.parse_args()
    if args.child:
        master, scale, parts = args.child
        print(json.dumps(child(master, float(scale), int(parts))))
        return
    results: dict[str, dict[str, float]] = {}
    runs = [("local[1]", args.scale), ("local[2]", args.scale), ("local[2]", args.scale / 5)]
    for master, scale in runs:
        out = subprocess.run(
            [sys.executable, __file__, "--child", master, str(scale), str(args.partitions)],
            capture_output=True,
            text=True,
            check=True,
        )
        results[f"{master} scale {scale:g}"] = json.loads(out.stdout.strip().splitlines()[-1])
    one = results[f"local[1] scale {args.scale:g}"]["rows_per_s"]
    two = results[f"local[2] scale {args.scale:g}"]["rows_per_s"]
    summary = {
        "partitions": args.partitions,
        "runs": results,
        "speedup_local2_vs_local1": two / one,
        "load_average": os.getloadavg(),
        "cores": os.cpu_count(),
    }
    path = Path(__file__).parent / "results" / "spark.json"
    path.write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
