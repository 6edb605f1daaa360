"""A fact table larger than the driver's memory, fitted and generated at scale 1 (#22 item 3).

    python benchmarks/bench_spark_large.py [--rows 20000000] [--workdir /tmp/sh-large]

Writes a seeded 20M-row fact table as Parquet (eight numeric columns of different shapes, a
store code, a date; ~2.5 GB as a pandas frame), then in a fresh process with the Spark
driver's JVM heap capped (``--driver-memory``, 1g; Python + JVM RSS is the 2 GB bar):
``SparkConnector(max_rows=200_000)`` reads a uniform seeded sample to the driver (Spark
counts the full table), the copula is fitted on it, and
``synthohive_spark.generate`` writes scale 1 (the full row count) as Parquet from the
executors. Records the driver's peak RSS (Python and JVM), the rows generated, and per
numeric column the KS statistic between 200,000 source rows and 200,000 generated rows (both
drawn by Spark), and the full-data marginals kept by the exact statistics Spark computes over
the whole table on the bounded read (``synthohive_spark.stats``): the store categories' shares
in the full source vs the whole generated table (one store, ``S999``, holds about 40 rows: 1
in 500,000, which the uniform sample misses), and every numeric and date column's min/max;
the same figures for 1,000,000 rows generated in process with and without those statistics.
Writes ``benchmarks/results/spark_large.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

NUMERIC = ("amount", "quantity", "discount", "weight", "latency", "score", "tax", "margin")
RARE_STORE, RARE_SHARE = "S999", 2e-6


def build(folder: Path, rows: int, seed: int = 0) -> None:
    """The fact table as Parquet files of 1M rows each."""
    import pandas as pd

    table = folder / "sales"
    table.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    stores = np.array([f"S{i:03d}" for i in range(200)])
    weights = 1.0 / np.arange(1, 201) ** 1.1
    for part, start in enumerate(range(0, rows, 1_000_000)):
        n = min(1_000_000, rows - start)
        amount = rng.lognormal(3.5, 0.9, n)
        store = stores[rng.choice(200, n, p=weights / weights.sum())]
        rare = np.random.default_rng([seed, part]).random(n) < RARE_SHARE
        frame = pd.DataFrame(
            {
                "sale_id": np.arange(start + 1, start + n + 1, dtype="int64"),
                "store": np.where(rare, RARE_STORE, store),
                "day": pd.Timestamp("2022-01-01")
                + pd.to_timedelta(rng.integers(0, 1095, n), unit="D"),
                "amount": np.round(amount, 2),
                "quantity": rng.poisson(2.5, n).astype("int64") + 1,
                "discount": np.round(rng.beta(1.5, 8.0, n), 3),
                "weight": np.round(rng.gamma(3.0, 1.5, n), 3),
                "latency": np.round(rng.exponential(120.0, n), 1),
                "score": np.round(np.clip(rng.normal(70, 12, n), 0, 100), 1),
                "tax": np.round(amount * 0.2, 2),
                "margin": np.round(rng.normal(0.25, 0.08, n) * amount, 2),
            }
        )
        frame.to_parquet(table / f"part-{part:04d}.parquet", index=False)


def child(workdir: Path, driver_memory: str) -> dict[str, Any]:
    os.environ["PYSPARK_PYTHON"] = sys.executable
    from synthohive.synthesizer import Synthesizer
    from synthohive.validation.stats import ks_statistic
    from synthohive_spark import SparkConnector, generate, local_session

    spark = local_session("local[2]", **{"spark.driver.memory": driver_memory})
    spark.sparkContext.setLogLevel("ERROR")
    source = SparkConnector(f"spark+parquet://{workdir / 'lake'}", session=spark)
    started = time.perf_counter()
    frame = source.read("sales")
    read_s = time.perf_counter() - started
    synth = Synthesizer(seed=0, progress=False).fit({"sales": frame})
    fit_s = time.perf_counter() - started - read_s
    total = synth.root_rows(scale=1.0)["sales"]
    out = workdir / "synthetic"
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    tables = generate(spark, synth, scale=1.0, partitions=16, seed=1)
    tables["sales"].write.parquet(str(out))
    gen_s = time.perf_counter() - started
    fake_sdf = spark.read.parquet(str(out))
    real_sdf = source.spark_table("sales")
    generated = fake_sdf.count()
    cap = 200_000
    real = real_sdf.sample(fraction=min(1.0, 1.2 * cap / total), seed=5).limit(cap).toPandas()
    fake = fake_sdf.sample(fraction=min(1.0, 1.2 * cap / generated), seed=5).limit(cap)
    fake_pd = fake.toPandas()
    ks = {
        c: round(ks_statistic(real[c].to_numpy(float), fake_pd[c].to_numpy(float)), 4)
        for c in NUMERIC
    }
    jvm_rss = _jvm_peak_rss_mib()  # before the comparisons below, which are not the run
    py_rss = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    marginals = _marginals(_spark_summary(real_sdf), _spark_summary(fake_sdf))
    plain = frame.copy()
    plain.attrs = {k: v for k, v in frame.attrs.items() if k != "synthohive.source_stats"}
    base = Synthesizer(seed=0, progress=False).fit({"sales": plain})
    base_out = base.sample(scale=1_000_000 / total, seed=1)["sales"]
    real_summary = _spark_summary(real_sdf)
    baseline = _marginals(real_summary, _pandas_summary(base_out))
    same_size = synth.sample(scale=1_000_000 / total, seed=1)["sales"]
    with_stats_1m = _marginals(real_summary, _pandas_summary(same_size))
    spark.stop()
    return {
        "source_rows": int(total),
        "driver_sample_rows": len(frame),
        "generated_rows": int(generated),
        "read_s": round(read_s, 1),
        "fit_s": round(fit_s, 1),
        "generate_and_write_s": round(gen_s, 1),
        "ks": ks,
        "ks_max": max(ks.values()),
        "python_driver_peak_rss_mib": py_rss,
        "jvm_driver_peak_rss_mib": jvm_rss,
        "driver_memory": driver_memory,
        "explain": synth.explain(),
        "marginals": marginals,
        "marginals_1m": with_stats_1m,
        "marginals_without_stats": baseline,
    }


def _spark_summary(sdf: Any) -> dict[str, Any]:
    """Store shares and per column min/max of a whole Spark table (two aggregations)."""
    from pyspark.sql import functions as sf

    total = sdf.count()
    counts = {r["store"]: r["count"] for r in sdf.groupBy("store").count().collect()}
    cols = [*NUMERIC, "day"]
    row = sdf.agg(*[f(sdf[c]) for c in cols for f in (sf.min, sf.max)]).first()
    ranges = {c: (row[2 * i], row[2 * i + 1]) for i, c in enumerate(cols)}
    return {"rows": total, "shares": {k: v / total for k, v in counts.items()}, "ranges": ranges}


def _pandas_summary(frame: Any) -> dict[str, Any]:
    shares = frame["store"].value_counts(normalize=True).to_dict()
    ranges = {c: (frame[c].min(), frame[c].max()) for c in [*NUMERIC, "day"]}
    return {"rows": len(frame), "shares": shares, "ranges": ranges}


def _marginals(real: dict[str, Any], fake: dict[str, Any]) -> dict[str, Any]:
    """Category coverage and share distance, and each column's min/max, real vs fake."""
    cats = set(real["shares"]) | set(fake["shares"])
    diff = {c: abs(real["shares"].get(c, 0.0) - fake["shares"].get(c, 0.0)) for c in cats}

    def text(value: Any) -> Any:
        value = value.item() if hasattr(value, "item") else value
        return value if isinstance(value, int | float) else str(value)

    return {
        "generated_rows": fake["rows"],
        "store_categories_source": len(real["shares"]),
        "store_categories_generated": len(set(fake["shares"]) & set(real["shares"])),
        "store_missing": sorted(set(real["shares"]) - set(fake["shares"])),
        "store_tvd": round(sum(diff.values()) / 2, 5),
        "store_max_share_diff": round(max(diff.values()), 5),
        "rare_store_share": {
            "source": real["shares"].get(RARE_STORE, 0.0),
            "generated": fake["shares"].get(RARE_STORE, 0.0),
        },
        "min_max": {
            c: {
                "source": [text(v) for v in real["ranges"][c]],
                "generated": [text(v) for v in fake["ranges"][c]],
            }
            for c in real["ranges"]
        },
    }


def _jvm_peak_rss_mib() -> int | None:
    """Peak RSS (VmHWM) of the Spark driver's JVM, a child of this process."""
    me = os.getpid()
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == str(me) and "java" in fields.get("Name", ""):
            return round(int(fields["VmHWM"].split()[0]) / 1024)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--workdir", default="/tmp/sh-large")
    parser.add_argument("--out", default="spark_large.json", help="file in benchmarks/results")
    parser.add_argument(
        "--driver-memory",
        default="1g",
        help="spark.driver.memory: the JVM heap cap. In local mode that JVM also runs the "
        "executors' tasks; its RSS is the heap plus ~0.5 GB of metaspace, threads and buffers, "
        "so 1g keeps Python + JVM under the 2 GB bar (2g lets a lazy GC grow the JVM past it)",
    )
    parser.add_argument("--child", action="store_true")
    args = parser.parse_args()
    workdir = Path(args.workdir)
    if args.child:
        print(json.dumps(child(workdir, args.driver_memory)))
        return
    lake = workdir / "lake"
    if not (lake / "sales").exists():
        started = time.perf_counter()
        build(lake, args.rows)
        print(f"built {args.rows:,} rows in {time.perf_counter() - started:.0f} s", flush=True)
    load = os.getloadavg()[0]
    done = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            "--workdir",
            str(workdir),
            "--driver-memory",
            args.driver_memory,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    size = sum(p.stat().st_size for p in (lake / "sales").glob("*.parquet"))
    result["parquet_mib"] = round(size / 2**20)
    result["pandas_mib_estimate"] = round(args.rows * (8 * 10 + 60) / 2**20)
    result["cores"] = os.cpu_count()
    result["load_avg_start"] = round(load, 2)
    result["rows_built"] = args.rows
    path = Path(__file__).parent / "results" / args.out
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
