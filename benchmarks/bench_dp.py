"""Issue #21: quality and membership-inference risk of the DP models at epsilon 1, 3, 10 and
without DP, and the DP-SGD epoch-time overhead.

For each public table (train split, capped at ``--rows``) and model (``gaussian_copula``,
``ctgan``, ``tvae``), fit with ``dp=DPConfig(epsilon=e)`` for each ``e`` and once without DP,
sample as many rows as the train split, and score against the held-out split:

* quality: sdmetrics ``QualityReport`` overall when sdmetrics is installed, else SynthoHive's
  sdmetrics-compatible ``evaluate`` (the page says which);
* DOMIAS AUC (``synthohive.validation.privacy``): 0.5 = the attacker cannot tell training
  rows from held-out rows using the synthetic data;
* the epsilon the model file records;
* for the torch models, seconds per epoch (median of the epochs' times) with and without DP.

    python benchmarks/bench_dp.py              # ~15 min on 2 cores
    # mostlyai-engine side by side, in its own venv (torch 2.13.0, torchvision removed):
    python benchmarks/bench_dp.py --models tabularargn --out benchmarks/results/dp_mostlyai.json
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from datasets import load_single
from systems import judge_single

from synthohive.errors import PrivacyBudgetError
from synthohive.metadata.detect import detect_table
from synthohive.registry import get_registry
from synthohive.validation.privacy import privacy_scores

MODELS = ("gaussian_copula", "ctgan", "tvae")
PEER = "tabularargn"  # mostlyai-engine, in its own venv: --models tabularargn
EPSILONS: tuple[float | None, ...] = (1.0, 3.0, 10.0, None)


PEER_NOTES = (
    "TabularARGN rows: mostlyai-engine in its own venv (torch 2.13.0, torchvision removed), "
    "the same epochs and splits, its DP mode given 20% of epsilon as value_protection_epsilon "
    "(value ranges) and 80% as max_epsilon (DP-SGD stops there), and 10 minutes at most per "
    "fit; its own defaults otherwise."
)


def _fit_peer(train: Any, epsilon: float | None, epochs: int) -> tuple[Any, Any, float]:
    """mostlyai-engine's TabularARGN with its DP mode: the same 20/80 split of epsilon between
    its value-range statistics (value_protection_epsilon) and DP-SGD (max_epsilon)."""
    import tempfile

    # our benchmarks/datasets.py shadows Hugging Face's `datasets`, which mostlyai imports
    here = Path(__file__).resolve().parent
    saved, ours = list(sys.path), sys.modules.pop("datasets")
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    try:
        from mostlyai.engine import TabularARGN
        from mostlyai.engine.domain import DifferentialPrivacyConfig
    finally:
        sys.path[:] = saved
        sys.modules.setdefault("bench_datasets", ours)

    dp = None
    if epsilon is not None:
        dp = DifferentialPrivacyConfig(
            max_epsilon=0.8 * epsilon, value_protection_epsilon=0.2 * epsilon
        )
    started = time.perf_counter()
    model = TabularARGN(
        max_epochs=epochs,
        max_training_time=10.0,  # minutes
        differential_privacy=dp,
        workspace_dir=tempfile.mkdtemp(prefix="argn-"),
        random_state=0,
        verbose=0,
    )
    model.fit(train)
    return model, model.sample(n_samples=len(train)), time.perf_counter() - started


def run_one(
    dataset: str, model: str, epsilon: float | None, rows: int, epochs: int
) -> dict[str, Any]:
    data = load_single(dataset, rows)
    train, test = data.train, data.test
    if model == PEER:
        fitted, fake, fit_s = _fit_peer(train, epsilon, epochs)
        fake = fake[train.columns]
        fitted.dp_ = {"epsilon": epsilon}
    else:
        table = detect_table(train, name=dataset)
        params: dict[str, Any] = {} if model == "gaussian_copula" else {"epochs": epochs}
        if epsilon is not None:
            params["dp"] = {"epsilon": epsilon}
        cls = get_registry().get_model(model)
        started = time.perf_counter()
        try:
            fitted = cls(params, seed=0).fit(train, table=table, progress=False)
        except PrivacyBudgetError as exc:  # the budget cannot find a column's range
            return {
                "dataset": dataset,
                "rows": len(train),
                "model": model,
                "epsilon_target": epsilon,
                "refused": f"{type(exc).__name__}: column {exc.column!r}",
            }
        fit_s = time.perf_counter() - started
        fake = fitted.sample(len(train), seed=1)
    judged = judge_single(train, fake, data.sdtypes, dataset)
    risk = privacy_scores(train, fake, data.sdtypes, test, domias=True, seed=0)
    history = getattr(fitted, "history", []) if model != PEER else []
    seconds = [h["seconds"] for h in history]
    epoch_s = float(np.median(seconds)) if seconds else None  # each epoch's own seconds
    record = fitted.dp_ or {}
    return {
        "dataset": dataset,
        "rows": len(train),
        "model": model,
        "epsilon_target": epsilon,
        "epsilon_spent": record.get("epsilon"),
        "delta": record.get("delta"),
        "quality": round(judged["quality"], 4),
        "judge": judged["judge"],
        "domias_auc": round(float(risk["domias_auc"]), 4) if "domias_auc" in risk else None,
        "fit_s": round(fit_s, 2),
        "epoch_s": round(epoch_s, 4) if epoch_s is not None else None,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", default="penguins,planes,weather")
    ap.add_argument("--rows", type=int, default=5000)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--one", help="dataset,model,epsilon: run one fit, print its JSON row")
    ap.add_argument("--out", default="benchmarks/results/dp.json")
    args = ap.parse_args(argv)
    if args.one:
        ds, model, eps = args.one.split(",")
        row = run_one(ds, model, None if eps == "none" else float(eps), args.rows, args.epochs)
        print(json.dumps(row), flush=True)
        return 0
    models = args.models.split(",")
    results = []
    for dataset in args.datasets.split(","):
        for model in models:
            for eps in EPSILONS:
                if model == PEER:  # a fresh process each: mostlyai keeps state between fits
                    one = f"{dataset},{model},{'none' if eps is None else eps}"
                    cmd = [sys.executable, __file__, "--one", one, "--rows", str(args.rows)]
                    cmd += ["--epochs", str(args.epochs)]
                    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
                    results.append(json.loads(done.stdout.strip().splitlines()[-1]))
                    print(done.stdout.strip().splitlines()[-1], flush=True)
                    continue
                row = run_one(dataset, model, eps, args.rows, args.epochs)
                print(json.dumps(row), flush=True)
                results.append(row)
    overhead = {}
    for dataset in args.datasets.split(","):
        for model in [m for m in models if m in ("ctgan", "tvae")]:
            base = [r for r in results if r["dataset"] == dataset and r["model"] == model]
            plain = next(r["epoch_s"] for r in base if r["epsilon_target"] is None)
            dp = [r["epoch_s"] for r in base if r["epsilon_target"] is not None]
            dp = [s for s in dp if s]  # refused fits have no epochs
            overhead[f"{dataset}/{model}"] = round(float(np.median(dp)) / plain, 2)
    out = {
        "benchmark": "dp",
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "epochs": args.epochs,
        "rows_cap": args.rows,
        "results": results,
        "dp_epoch_overhead": overhead,
        "notes": PEER_NOTES
        if models == [PEER]
        else (
            "Quality: sdmetrics-compatible overall on the train split; DOMIAS AUC against "
            "the held-out split (0.5 = no membership signal). The torch models spend 20% of "
            "epsilon on statistics and 80% on DP-SGD (opacus RDP accountant, ghost clipping); "
            "the copula half on marginals, half on the correlation matrix. dp_epoch_overhead: "
            "median DP epoch time / plain epoch time. mostlyai-engine's DP mode: the "
            "TabularARGN rows, from benchmarks/results/dp_mostlyai.json."
        ),
    }
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
