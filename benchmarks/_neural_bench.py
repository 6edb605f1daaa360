"""Shared driver of ``bench_ctgan.py`` and ``bench_tvae.py`` (not a benchmark by itself)."""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import resource
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from run import cpu_features

from synthohive.metadata.schema import Column, Table

RESULTS = Path(__file__).resolve().parent / "results"


def mixed_table(n: int, seed: int = 0) -> tuple[pd.DataFrame, Table]:
    """An Adult-like table: 6 numeric (skewed, bimodal, integer, currency with nulls) and
    8 categorical columns (2 to 40 categories), correlated through a latent factor."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=n)
    cols: dict[str, Any] = {}
    meta: dict[str, Column] = {}
    for i in range(6):
        if i % 3 == 0:
            x = np.exp(base * 0.5 + rng.normal(size=n) * 0.5)
        elif i % 3 == 1:
            x = np.where(rng.random(n) < 0.4, rng.normal(-3, 1, n), rng.normal(3, 0.5, n))
        else:
            x = np.round(np.abs(base) * 20 + rng.integers(0, 50, n)).astype("int64")
        if i == 5:
            x = np.round(rng.gamma(2.0, 30.0, n), 2)
            x[rng.random(n) < 0.1] = np.nan
        cols[f"num{i}"] = x
        meta[f"num{i}"] = Column(sdtype="numerical")
    for i, k in enumerate([2, 3, 5, 7, 10, 15, 20, 40]):
        codes = np.minimum((np.abs(base + rng.normal(size=n)) * k / 3).astype("int64"), k - 1)
        cols[f"cat{i}"] = pd.Series(np.char.add("c", codes.astype(str)), dtype="str")
        meta[f"cat{i}"] = Column(sdtype="categorical")
    return pd.DataFrame(cols), Table(name="mixed", columns=meta)


def run(model_cls: type, name: str, extra: dict[str, Any]) -> None:
    """Parse arguments, time fit epochs and sampling, write ``results/<name>.json``."""
    import torch

    ap = argparse.ArgumentParser(description=f"Benchmark the {name} model")
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=500)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--sample-rows", type=int, default=200_000)
    ap.add_argument("--out", type=Path, default=RESULTS / f"{name}.json")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    df, table = mixed_table(args.rows)
    epochs: list[float] = []
    cpu_marks: list[float] = [time.process_time()]

    def on_epoch(epoch: int, metrics: dict[str, float]) -> None:
        epochs.append(metrics["seconds"])
        cpu_marks.append(time.process_time())

    params = {
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "eval_every": 10**6,  # validation only after the last epoch
        **extra,
    }
    model = model_cls(
        params,
        device=args.device,
        seed=0,
        callbacks=[on_epoch],
    )
    t0 = time.perf_counter()
    c0 = time.process_time()
    model.fit(df, table=table, progress=False)
    fit_wall = time.perf_counter() - t0
    fit_cpu = time.process_time() - c0
    model.sample(1000, seed=0)  # warm-up
    t0 = time.perf_counter()
    out = model.sample(args.sample_rows, seed=1)
    sample_wall = time.perf_counter() - t0
    enc = model._enc
    result = {
        "model": name,
        "rows": args.rows,
        "columns": df.shape[1],
        "encoded_width": enc.width if enc is not None else None,
        "batch_size": model.batch_size_,
        "threads": args.threads,
        "device": args.device,
        "epoch_seconds": [round(s, 4) for s in epochs],
        "epoch_seconds_best": round(min(epochs[1:] or epochs), 4),
        # CPU seconds per epoch (all threads): fairer than wall time on a shared machine;
        # the first one also holds the transformer fit
        "epoch_cpu_seconds": [round(b - a, 3) for a, b in itertools.pairwise(cpu_marks)],
        "fit_wall_seconds": round(fit_wall, 3),
        "fit_cpu_seconds": round(fit_cpu, 3),
        "sample_rows": len(out),
        "sample_seconds": round(sample_wall, 3),
        "sample_rows_per_second": round(len(out) / sample_wall),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "machine": platform.machine(),
        "cpu": cpu_features(),
        "torch": torch.__version__,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
