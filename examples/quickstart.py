"""Quick start: one table — detect metadata, fit the built-in copula, sample, evaluate, save.

python examples/quickstart.py [OUTPUT_DIR]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import synthohive as sh
from synthohive.demo import load_demo


def main(out: Path) -> None:
    customers = load_demo()["customers"]
    metadata = sh.Metadata.detect(customers, table_name="customers")
    print(metadata.explain().splitlines()[0])
    synth = sh.Synthesizer(metadata, seed=0, progress=False).fit(customers)
    fake = synth.sample(1000)
    report = sh.evaluate(customers, fake, metadata)
    print(report.summary())
    path = out / "customers.shm"
    synth.save(path)
    again = sh.Synthesizer.load(path).sample(5, seed=1)
    print(again.head())
    report.to_html(out / "customers_report.html")
    print(f"model file {path}, report {out / 'customers_report.html'}")


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp())
    target.mkdir(parents=True, exist_ok=True)
    main(target)
