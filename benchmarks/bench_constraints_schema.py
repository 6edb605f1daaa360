"""Issue #20's cross-table row: the time five rules between and within tables add to fit +
sample of a whole schema, and the quality with and without them.

The embedded retail schema with the derived columns real schemas carry
(``synthohive.testing.data.shop_schema``: order totals = sum of their lines, item and order
counts, orders after sign-up, line amount = quantity x unit price) is fitted with the copula
and sampled at ``--scale``, without and with the five rules; the best of ``--repeats`` runs of
each is kept. Every constrained run is checked with the report's ``Constraints`` property
(share of rows satisfying each rule: must be 1.0), and the sdmetrics-compatible overall score
is computed at scale 1 for both.

    python benchmarks/bench_constraints_schema.py --scale 10
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path
from typing import Any

import synthohive as sh
from synthohive.testing.data import shop_metadata, shop_schema


def run(tables: dict[str, Any], rules: bool, scale: float) -> tuple[float, dict[str, Any]]:
    """Seconds for fit + sample at ``scale``, and what was checked."""
    started = time.perf_counter()
    synth = sh.Synthesizer(shop_metadata(tables, rules=rules), seed=0, progress=False)
    synth.fit(tables)
    fake = synth.sample(scale=scale)
    seconds = time.perf_counter() - started
    checked: dict[str, Any] = {"rows": {k: len(v) for k, v in fake.items()}}
    if rules:
        report = synth.evaluate(tables, fake)
        checked["valid_share"] = min(r["score"] for r in report.details("Constraints"))
    small = synth.sample(scale=1.0, seed=1)
    checked["overall_sdmetrics"] = synth.evaluate(tables, small, compat="sdmetrics").overall
    return seconds, checked


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=2000)
    ap.add_argument("--scale", type=float, default=10.0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default="benchmarks/results/constraints_schema.json")
    args = ap.parse_args(argv)
    tables = shop_schema(args.customers)
    rows: dict[str, Any] = {}
    for rules in (False, True):
        runs = [run(tables, rules, args.scale) for _ in range(args.repeats)]
        best = min(r[0] for r in runs)
        rows["with_rules" if rules else "without"] = {"seconds": round(best, 2), **runs[0][1]}
    overhead = rows["with_rules"]["seconds"] / rows["without"]["seconds"] - 1.0
    result = {
        "benchmark": "constraints_schema",
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "real_rows": {k: len(v) for k, v in tables.items()},
        "scale": args.scale,
        "runs": rows,
        "overhead": round(overhead, 3),
        "target_overhead": 0.2,
    }
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
