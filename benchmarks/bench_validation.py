"""Time ``evaluate`` (quality report) and the privacy metrics on 100k rows x 30 columns.

    python benchmarks/bench_validation.py [--rows 100000] [--cols 30]

Writes ``benchmarks/results/validation.json``. Targets: evaluating 100k x 30 "in seconds"
(issue 8) and privacy metrics on 100k x 30 in < 60 s (RELIABILITY T-M6). The privacy metrics
compare bounded seeded samples (10k rows per side by default, like mostlyai-qa); exact
nearest neighbours over all 100k x 100k pairs in ~150 embedded dimensions would be quadratic.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd

from synthohive.metadata.schema import Column, Metadata, Table
from synthohive.validation import evaluate
from synthohive.validation.privacy import privacy_scores


def _frame(rows: int, cols: int, seed: int) -> tuple[pd.DataFrame, dict[str, str]]:
    rng = np.random.default_rng(seed)
    data: dict[str, object] = {}
    sdtypes: dict[str, str] = {}
    base = rng.normal(size=rows)
    for i in range(cols):
        name = f"c{i:02d}"
        if i % 3 == 2:
            data[name] = rng.choice([f"v{k}" for k in range(8 + i)], rows)
            sdtypes[name] = "categorical"
        else:
            data[name] = 0.5 * base + rng.normal(size=rows) * (1 + i / 10)
            sdtypes[name] = "numerical"
    return pd.DataFrame(data), sdtypes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--cols", type=int, default=30)
    args = parser.parse_args()
    real, sdtypes = _frame(args.rows, args.cols, 0)
    syn, _ = _frame(args.rows, args.cols, 1)
    holdout, _ = _frame(args.rows // 4, args.cols, 2)
    meta = Metadata(
        tables={"t": Table(name="t", columns={c: Column(sdtype=s) for c, s in sdtypes.items()})}
    )  # type: ignore[arg-type]
    cpu0, t0 = time.process_time(), time.perf_counter()
    report = evaluate(
        real, syn, meta, validators=["column_shapes", "coverage", "missing_values", "pair_trends"]
    )
    quality = {
        "seconds": time.perf_counter() - t0,
        "cpu_seconds": time.process_time() - cpu0,
        "overall": report.overall,
    }
    cpu0, t0 = time.process_time(), time.perf_counter()
    scores = privacy_scores(real, syn, sdtypes, holdout)  # default bound: 10k-row samples
    privacy = {
        "seconds": time.perf_counter() - t0,
        "cpu_seconds": time.process_time() - cpu0,
        "rows_compared": scores["rows_synthetic"],
        "dcr_share": scores["dcr_share"],
    }
    out = {
        "rows": args.rows,
        "cols": args.cols,
        "quality_report": quality,
        "privacy_metrics": privacy,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "load_average": os.getloadavg(),
        "cores": os.cpu_count(),
    }
    path = Path(__file__).parent / "results" / "validation.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
