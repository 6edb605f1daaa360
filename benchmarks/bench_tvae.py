"""Time TVAE on a 50k-row mixed table: seconds per epoch at batch 500 and sampling rows/s.

Run: ``.venv/bin/python benchmarks/bench_tvae.py [--rows 50000 --epochs 3 --threads 2]``.
Writes ``benchmarks/results/tvae.json``. Epoch times come from the training callback (the
first epoch includes warm-up); sampling is end to end (decoded DataFrame). The load average is
recorded because the machine may be shared.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _neural_bench import run

from synthohive_tvae.model import TVAEModel

if __name__ == "__main__":
    run(TVAEModel, "tvae", {})
