"""Issue #20's benchmark row: the time constraints add to fit + sample (target <= 20%).

An orders table (``--rows`` rows: order and ship dates with 10% unshipped, city -> country,
net + shipping = gross, item counts, ratings in [1, 5]) is fitted and sampled at scale 1 by
each model, without and with five constraints (inequality, fixed_combinations, sum, positive,
scalar_range); the best of ``--repeats`` runs of each is kept, and every constrained run is
checked to satisfy all five rules on every row.

    python benchmarks/bench_constraints.py --rows 50000 --out benchmarks/results/constraints.json
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def orders(n: int, seed: int = 0) -> pd.DataFrame:
    """The benchmark table (seeded)."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-01")
    ordered = start + pd.to_timedelta(rng.integers(0, 8760, n), "h")
    shipped = pd.Series(ordered + pd.to_timedelta(rng.integers(1, 240, n), "h"))
    cities = {"Lyon": "FR", "Paris": "FR", "Berlin": "DE", "Hamburg": "DE", "Rome": "IT"}
    city = rng.choice(list(cities), n)
    net = np.round(rng.lognormal(3, 0.8, n), 2)
    shipping = np.round(rng.uniform(0, 15, n), 2)
    return pd.DataFrame(
        {
            "ordered_at": pd.Series(ordered),
            "shipped_at": shipped.where(rng.random(n) > 0.1),
            "city": city,
            "country": pd.Series(city).map(cities),
            "net": net,
            "shipping": shipping,
            "gross": np.round(net + shipping, 2),
            "items": rng.integers(1, 9, n),
            "rating": np.round(rng.uniform(1, 5, n), 1),
        }
    )


def add_constraints(meta: Any) -> None:
    """The five constraints of the benchmark."""
    meta.add_constraint("orders", "inequality", low="ordered_at", high="shipped_at", strict=True)
    meta.add_constraint("orders", "fixed_combinations", columns=["city", "country"])
    meta.add_constraint("orders", "sum", parts=["net", "shipping"], total="gross")
    meta.add_constraint("orders", "positive", column="items", strict=True)
    meta.add_constraint("orders", "scalar_range", column="rating", low=1, high=5)


def all_valid(real: pd.DataFrame, fake: pd.DataFrame) -> bool:
    """Whether every generated row satisfies the five rules."""
    pairs = set(zip(real["city"], real["country"], strict=True))
    return bool(
        ((fake["shipped_at"] > fake["ordered_at"]) | fake["shipped_at"].isna()).all()
        and all(p in pairs for p in zip(fake["city"], fake["country"], strict=True))
        and np.isclose(fake["gross"], fake["net"] + fake["shipping"], atol=1e-9).all()
        and (fake["items"] >= 1).all()
        and fake["rating"].between(1, 5).all()
    )


def timed(real: pd.DataFrame, model: str, constrained: bool, epochs: int) -> tuple[float, bool]:
    """Seconds of fit + sample(scale=1), and whether the output keeps the rules."""
    import synthohive as sh

    meta = sh.Metadata.detect({"orders": real})
    meta.suggested_constraints = None
    if constrained:
        add_constraints(meta)
    params = {"epochs": epochs} if model in ("ctgan", "tvae") else None
    started = time.perf_counter()
    synth = sh.Synthesizer(meta, model=model, model_params=params, seed=0, progress=False)
    fake = synth.fit({"orders": real}).sample(scale=1.0)["orders"]
    seconds = time.perf_counter() - started
    return seconds, all_valid(real, fake)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--models", default="gaussian_copula,tvae")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default="benchmarks/results/constraints.json")
    args = ap.parse_args(argv)
    real = orders(args.rows)
    results = []
    for model in args.models.split(","):
        row: dict[str, Any] = {"model": model, "rows": args.rows}
        for constrained in (False, True):
            runs = [timed(real, model, constrained, args.epochs) for _ in range(args.repeats)]
            key = "with" if constrained else "without"
            row[f"{key}_s"] = round(min(s for s, _ in runs), 3)
            if constrained:
                row["all_rows_valid"] = all(ok for _, ok in runs)
        row["overhead"] = round(row["with_s"] / row["without_s"] - 1.0, 4)
        results.append(row)
        print(json.dumps(row))
    out = {"args": vars(args), "machine": platform.processor() or platform.machine()}
    Path(args.out).write_text(json.dumps({**out, "results": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
