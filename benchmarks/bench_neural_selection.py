"""Issue #26 evidence: which epoch CTGAN/TVAE keep, and whether point masses survive.

For each dataset and model: fit on the benchmark split (``--rows`` training rows, ``--epochs``
epochs, batch 500, seed 0), then record the kept epoch and its validation history, the overall
quality against the training rows (our aggregates and ``compat="sdmetrics"``), and for every
numeric column with a point mass (at most 20 distinct values, or one value on at least 5% of
the rows): the real and synthetic number of distinct values, the share of synthetic values
that never occur in the real column, and the largest gap between real and synthetic shares of
a point value.

    python benchmarks/bench_neural_selection.py --datasets weather,planes --epochs 100 \
        --out benchmarks/results/neural_selection.json

Run it twice, once on the code before a change (``PYTHONPATH`` pointing at that checkout's
``packages/*/src``) and once after, with different ``--out`` files, to compare.
``--encodings modes,quantile`` runs every neural model once per ``numeric_encoding`` (issue
#24's encoding comparison, ``results/neural_encoding.json``); ``gaussian_copula`` in
``--models`` adds the copula as the reference.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from datasets import load_single


def point_mass_columns(df: pd.DataFrame) -> list[str]:
    """Numeric columns with at most 20 distinct values or a value on >= 5% of the rows."""
    out = []
    for col in df.columns:
        s = df[col].dropna()
        if not pd.api.types.is_numeric_dtype(s) or s.nunique() < 2:
            continue
        if s.nunique() <= 20 or s.value_counts(normalize=True).iloc[0] >= 0.05:
            out.append(col)
    return out


def point_mass_fidelity(real: pd.Series, fake: pd.Series) -> dict[str, Any]:
    """Distinct counts, the share of new values and the largest share gap of a point value."""
    r, f = real.dropna(), fake.dropna()
    shares_r = r.value_counts(normalize=True)
    points = shares_r[(shares_r >= 0.05) | (r.nunique() <= 20)]
    shares_f = f.value_counts(normalize=True)
    gap = max(abs(float(shares_f.get(v, 0.0)) - float(p)) for v, p in points.items())
    return {
        "real_distinct": int(r.nunique()),
        "fake_distinct": int(f.nunique()),
        "new_value_share": round(float((~f.isin(set(r.unique()))).mean()), 4),
        "max_point_share_gap": round(gap, 4),
    }


def run_one(
    name: str, model: str, rows: int, epochs: int, encoding: str | None = None
) -> dict[str, Any]:
    import synthohive as sh

    data = load_single(name, rows=rows)
    train = data.train
    meta = sh.Metadata.detect({name: train})
    neural = model in ("ctgan", "tvae")
    params: dict[str, Any] | None = {"epochs": epochs, "batch_size": 500} if neural else None
    if params is not None and encoding:
        params["numeric_encoding"] = encoding
    started = time.perf_counter()
    synth = sh.Synthesizer(meta, model=model, seed=0, model_params=params, progress=False)
    synth.fit({name: train})
    fit_s = time.perf_counter() - started
    fake = synth.sample(scale=1.0)[name]
    fitted = synth.fitted_.models[name]
    ours = sh.evaluate({name: train}, {name: fake}, meta)
    compat = sh.evaluate({name: train}, {name: fake}, meta, compat="sdmetrics")
    history = [
        (int(h["epoch"]), round(float(h["val_score"]), 4))
        for h in getattr(fitted, "history", [])
        if "val_score" in h
    ]
    return {
        "dataset": name,
        "model": model,
        "numeric_encoding": encoding if neural else None,
        "rows": len(train),
        "epochs": epochs,
        "fit_s": round(fit_s, 1),
        "kept_epoch": getattr(fitted, "best_epoch", None),
        "val_history": history,
        "quality": round(float(ours.overall or 0.0), 4),
        "quality_sdmetrics": round(float(compat.overall or 0.0), 4),
        "point_masses": {
            col: point_mass_fidelity(train[col], fake[col]) for col in point_mass_columns(train)
        },
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", default="weather,planes")
    ap.add_argument("--models", default="ctgan,tvae")
    ap.add_argument("--rows", type=int, default=5000)
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--encodings", default="", help="e.g. modes,quantile (default: the model's)")
    ap.add_argument("--out", default="benchmarks/results/neural_selection.json")
    args = ap.parse_args(argv)
    results = []
    for name in args.datasets.split(","):
        for model in args.models.split(","):
            encodings = args.encodings.split(",") if args.encodings else [None]
            if model not in ("ctgan", "tvae"):
                encodings = [None]
            for encoding in encodings:
                res = run_one(name, model, args.rows, args.epochs, encoding)
                results.append(res)
                sys.stderr.write(
                    f"{name} {model} {encoding or ''}: kept epoch {res['kept_epoch']}, quality "
                    f"{res['quality']} (sdmetrics {res['quality_sdmetrics']}), fit "
                    f"{res['fit_s']} s\n"
                )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"args": vars(args), "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
