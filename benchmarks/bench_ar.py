"""Issue #24 evidence: the autoregressive model against the Gaussian copula, same split.

For each dataset: fit ``gaussian_copula`` and ``autoregressive`` through the synthesizer on the
benchmark split (``--rows`` training rows, seed 0, torch on ``--threads`` threads), sample as
many rows as the training table, and record the overall quality against the training rows
(ours and ``compat="sdmetrics"``) and the fit seconds. ``--params`` (JSON) overrides the
autoregressive model's parameters, to compare settings.

    python benchmarks/bench_ar.py --datasets weather,planes --out benchmarks/results/ar.json

Choose defaults on weather, planes, flights, penguins, diabetes, breast_cancer and wine only;
the other datasets are held out for the final benchmark.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from datasets import load_single

TUNING = "weather,planes,flights,penguins,diabetes,breast_cancer,wine"


def run_one(name: str, model: str, rows: int, params: dict[str, Any] | None) -> dict[str, Any]:
    import synthohive as sh

    data = load_single(name, rows=rows)
    train = data.train
    meta = sh.Metadata.detect({name: train})
    started = time.perf_counter()
    synth = sh.Synthesizer(meta, model=model, seed=0, model_params=params, progress=False)
    synth.fit({name: train})
    fit_s = time.perf_counter() - started
    started = time.perf_counter()
    fake = synth.sample(scale=1.0)[name]
    sample_s = time.perf_counter() - started
    fitted = synth.fitted_.models[name]
    ours = sh.evaluate({name: train}, {name: fake}, meta)
    compat = sh.evaluate({name: train}, {name: fake}, meta, compat="sdmetrics")
    history = getattr(fitted, "history", [])
    return {
        "dataset": name,
        "model": model,
        "params": params,
        "rows": len(train),
        "fit_s": round(fit_s, 1),
        "sample_s": round(sample_s, 1),
        "epochs_run": len(history),
        "best_epoch": getattr(fitted, "best_epoch", None),
        "quality": round(float(ours.overall or 0.0), 4),
        "quality_sdmetrics": round(float(compat.overall or 0.0), 4),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", default=TUNING)
    ap.add_argument("--models", default="gaussian_copula,autoregressive")
    ap.add_argument("--rows", type=int, default=5000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--params", default="{}", help="JSON parameters of the autoregressive model")
    ap.add_argument("--out", default="benchmarks/results/ar.json")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    ar_params = json.loads(args.params) or None
    results = []
    for name in args.datasets.split(","):
        for model in args.models.split(","):
            res = run_one(name, model, args.rows, ar_params if model == "autoregressive" else None)
            results.append(res)
            sys.stderr.write(
                f"{name} {model}: quality {res['quality']} (sdmetrics "
                f"{res['quality_sdmetrics']}), fit {res['fit_s']} s, epochs "
                f"{res['epochs_run']} (best {res['best_epoch']})\n"
            )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"args": vars(args), "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
