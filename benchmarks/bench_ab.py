"""Quality A/B of a model change: this tree against a git revision, over seeds and public tables.

A change to a model's training (issue #24: "each a change of the model to re-validate for
quality") is judged here, not on one seed: CTGAN's sdmetrics quality moves by ~0.01 and its ML
efficacy by ~0.1-0.3 between seeds of the same code, so a one-seed before/after says nothing.
For each side (``--baseline``, checked out into a temporary git worktree, and this tree) and
each seed, ``bench_public.py`` fits and judges ``--system`` on the public tables with that
side's packages first on ``PYTHONPATH``; the result is the paired difference (this tree minus
the baseline, same table and seed): mean, standard error, wins.

    python benchmarks/bench_ab.py --baseline HEAD~1 --system ctgan --name ctgan_one_forward

Per-side runs are kept under ``results/tmp/ab/<name>/``, named by the commit they ran
(``baseline_<rev>_s<seed>.json``, ``change_<HEAD>_s<seed>.json``) and reused when present, so a
stopped run resumes; with uncommitted changes under ``packages/`` the change side always runs
again. The summary goes to ``results/ab_<name>.json`` and the page's A/B section.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from datasets import PUBLIC  # noqa: E402


def _pythonpath(tree: Path) -> str:
    return os.pathsep.join(str(p) for p in sorted((tree / "packages").glob("*/src")))


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def _run_side(
    tree: Path, key: str, args: argparse.Namespace, work: Path, *, reuse: bool = True
) -> dict[int, Path]:
    """``bench_public.py`` for each seed with ``tree``'s packages; the result file per seed
    (``<key>_s<seed>.json``, reused when present and ``reuse``)."""
    outs: dict[int, Path] = {}
    for seed in args.seeds:
        out = work / f"{key}_s{seed}.json"
        outs[seed] = out
        if reuse and out.exists():
            continue
        env = {**os.environ, "PYTHONPATH": _pythonpath(tree)}
        cmd = [sys.executable, str(HERE / "bench_public.py"), "--systems", args.system]
        cmd += ["--datasets", args.datasets, "--seed", str(seed), "--timeout", "1800"]
        partial = out.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        cmd += ["--out", str(partial), "--samples", str(work / "samples")]
        subprocess.run(cmd, env=env, check=True)
        partial.rename(out)
    return outs


def _run_baseline(rev: str, args: argparse.Namespace, work: Path) -> dict[int, Path]:
    """The baseline's runs, in a temporary git worktree of ``rev`` made only when a seed's
    file is missing."""
    key = f"baseline_{rev}"
    if all((work / f"{key}_s{seed}.json").exists() for seed in args.seeds):
        return {seed: work / f"{key}_s{seed}.json" for seed in args.seeds}
    with tempfile.TemporaryDirectory(prefix="synthohive-ab-") as tmp:
        tree = Path(tmp) / "baseline"
        _git("worktree", "add", "--detach", str(tree), rev)
        try:
            return _run_side(tree, key, args, work)
        finally:  # never masks the run's own error
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                check=False,
                capture_output=True,
            )


def _scores(path: Path, system: str) -> dict[str, tuple[float, float]]:
    rows = json.loads(path.read_text())["results"]
    return {
        key.split("/")[0]: (row["quality"], row["ml_efficacy_synthetic"])
        for key, row in rows.items()
        if key.endswith(f"/{system}") and row.get("status") == "ok" and row.get("judged", True)
    }


def summarise(sides: dict[str, dict[int, Path]], system: str, tables: list[str]) -> dict[str, Any]:
    """Per-table means of both sides and the paired differences (change minus baseline)."""
    got = {
        side: {seed: _scores(path, system) for seed, path in files.items()}
        for side, files in sides.items()
    }
    per_table: dict[str, Any] = {}
    diffs: dict[str, list[float]] = {"quality": [], "ml_efficacy": []}
    for table in tables:
        cell: dict[str, Any] = {}
        for side, seeds in got.items():
            vals = [s[table] for s in seeds.values() if table in s]
            cell[side] = {
                "quality": [round(v[0], 4) for v in vals],
                "ml_efficacy": [round(v[1], 4) for v in vals],
            }
        for seed in got["baseline"]:
            a, b = got["baseline"][seed].get(table), got["change"].get(seed, {}).get(table)
            if a and b:
                diffs["quality"].append(b[0] - a[0])
                diffs["ml_efficacy"].append(b[1] - a[1])
        per_table[table] = cell
    paired = {}
    for metric, d in diffs.items():
        n = len(d)
        sd = statistics.stdev(d) if n > 1 else None
        paired[metric] = {
            "pairs": n,
            "mean": round(statistics.fmean(d), 4) if n else None,
            "sd": round(sd, 4) if sd is not None else None,
            "sem": round(sd / n**0.5, 4) if sd is not None else None,
            "change_wins": sum(x > 0 for x in d),
        }
    return {"tables": per_table, "paired": paired}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", required=True, help="git revision to compare against")
    ap.add_argument("--system", required=True, help="our model, e.g. ctgan")
    ap.add_argument("--name", required=True, help="results/ab_<name>.json")
    ap.add_argument("--change", default="", help="one line: what differs from the baseline")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--datasets", default=",".join(PUBLIC))
    args = ap.parse_args(argv)
    args.seeds = [int(s) for s in args.seeds.split(",")]
    work = HERE / "results" / "tmp" / "ab" / args.name
    work.mkdir(parents=True, exist_ok=True)
    rev = _git("rev-parse", "--short", args.baseline)
    head = _git("rev-parse", "--short", "HEAD")
    dirty = bool(_git("status", "--porcelain", "--", "packages"))
    sides = {
        "baseline": _run_baseline(rev, args, work),
        # uncommitted package changes have no name to key their runs by: never reused
        "change": _run_side(ROOT, f"change_{head}", args, work, reuse=not dirty),
    }
    tables = args.datasets.split(",")
    summary = summarise(sides, args.system, tables)
    result = {
        "benchmark": "ab",
        "system": args.system,
        "baseline": rev,
        "change_tree": f"{head} with uncommitted package changes" if dirty else head,
        "change": args.change,
        "seeds": args.seeds,
        "judge": "bench_public.py (sdmetrics QualityReport; HistGradientBoosting ML efficacy)",
        "command": "python benchmarks/bench_ab.py " + shlex.join(argv or sys.argv[1:]),
        "finished": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        **summary,
    }
    out = HERE / "results" / f"ab_{args.name}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(summary["paired"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
