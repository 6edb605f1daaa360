"""Streaming memory: peak RSS of ``sample(scale=s, sink="parquet://...")`` for s = 1, 10, 100.

    python benchmarks/bench_streaming.py [--chunk-rows 20000]

Each scale runs in a fresh process (fit the demo schema with the copula, then stream into a
temporary Parquet folder). Writes ``benchmarks/results/streaming.json``. Target (issue 6): peak
RSS grows at most 20% from scale 1 to scale 100.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path


def child(scale: float, chunk_rows: int) -> dict[str, float]:
    from synthohive.demo import demo_metadata, load_demo
    from synthohive.synthesizer import Synthesizer

    synth = Synthesizer(demo_metadata(), seed=0, progress=False).fit(load_demo())
    after_fit = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with tempfile.TemporaryDirectory() as folder:
        out = synth.sample(scale=scale, sink=f"parquet://{folder}", chunk_rows=chunk_rows)
    rows = sum(out["tables"].values())
    return {
        "scale": scale,
        "rows": rows,
        "seconds": out["seconds"],
        "rows_per_s": rows / out["seconds"],
        "peak_rss_after_fit_mib": after_fit,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunk-rows", type=int, default=20_000)
    parser.add_argument("--child", type=float, default=None)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child, args.chunk_rows)))
        return
    runs = []
    for scale in (1, 10, 100):
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(scale), "--chunk-rows", str(args.chunk_rows)],
            capture_output=True,
            text=True,
            check=True,
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    growth = runs[-1]["peak_rss_mib"] / runs[0]["peak_rss_mib"] - 1
    summary = {
        "chunk_rows": args.chunk_rows,
        "runs": runs,
        "peak_rss_growth_1_to_100": growth,
        "load_average": os.getloadavg(),
        "cores": os.cpu_count(),
    }
    path = Path(__file__).parent / "results" / "streaming.json"
    path.write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
