"""What runs inside one benchmark child process: fit, sample and judge one (dataset, system).

Every function here is called in a FRESH process by ``run.py`` (``python run.py --child``), so
the peak RSS it reports belongs to that one system. SDV is imported only inside the SDV
branches, so SynthoHive-only runs never need it. Timings are wall seconds of this process.
"""

from __future__ import annotations

import functools
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
from datasets import Relational, SingleTable, load_relational, load_single

OURS_SINGLE = {"gaussian_copula": "gaussian_copula", "ctgan": "ctgan", "tvae": "tvae"}
SDV_SINGLE = {
    "sdv_gaussian_copula": "GaussianCopulaSynthesizer",
    "sdv_ctgan": "CTGANSynthesizer",
    "sdv_tvae": "TVAESynthesizer",
}
NEURAL = {"ctgan", "tvae", "sdv_ctgan", "sdv_tvae"}
MULTI = ("synthohive", "sdv_hma")


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


CPU: dict[str, float] = {}
"""Process CPU seconds (all threads) of the last ``_timed`` call, under key ``"last"``."""


def _timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    """``fn(*args, **kwargs)`` and its wall seconds; its CPU seconds go to ``CPU["last"]``."""
    c0, t0 = time.process_time(), time.perf_counter()
    out = fn(*args, **kwargs)
    CPU["last"] = time.process_time() - c0
    return out, time.perf_counter() - t0


# --- single table ------------------------------------------------------------------------------


def _fit_ours(
    system: str, data: SingleTable, epochs: int, batch: int
) -> tuple[Any, dict[str, Any]]:
    from synthohive import Synthesizer
    from synthohive.metadata.detect import detect_metadata
    from synthohive.registry import get_registry

    meta = detect_metadata(data.train, table_name=data.name)
    figures: dict[str, Any] = {}
    params: dict[str, Any] | None = None
    # plugin discovery (entry points, pluggy, the model's plugin module: 0.1-0.2 s in this
    # venv) is our counterpart of SDV's ``import sdv.single_table``: done before the timer
    get_registry().get_model(OURS_SINGLE[system])
    if system in ("ctgan", "tvae"):
        # SDV imports torch and its networks with ``sdv.single_table``, before its timer
        # starts; import ours up front too so neither fit time includes library imports
        # (torch + synthohive.nn take ~5 s here, which dwarfed small tables' fits).
        import importlib

        _import_torch_optim()

        import synthohive.nn.data
        import synthohive.nn.spans
        import synthohive.nn.training
        import synthohive.validation  # noqa: F401  (fit builds the reference profile)
        from synthohive.transform import DataTransformer

        importlib.import_module(f"synthohive_{system}.model")

        params = {"epochs": epochs, "batch_size": batch}
    synth = Synthesizer(meta, model=OURS_SINGLE[system], model_params=params, seed=0)
    synth.progress = False
    if system in ("ctgan", "tvae"):
        with _time_calls(DataTransformer, "fit") as spent:
            _, figures["fit_s"] = _timed(synth.fit, data.train)
        figures["transformer_fit_s"] = sum(spent)
    else:
        _, figures["fit_s"] = _timed(synth.fit, data.train)
    figures["fit_cpu_s"] = CPU["last"]
    return synth, figures


@contextmanager
def _time_calls(cls: type, method: str) -> Iterator[list[float]]:
    """Wall seconds of every ``cls.method`` call made inside the block, one entry per call.

    The transformer fit is measured INSIDE the timed fit, not by a second fit before it: a
    separate fit warms caches and first-call costs (sklearn's mixture, numpy paths) for the
    real one, and subtracting it from a tiny table's fit left SDV's 15 epochs at ~20 ms.
    """
    original = getattr(cls, method)
    spent: list[float] = []

    @functools.wraps(original)
    def timed(self: Any, *args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            spent.append(time.perf_counter() - t0)

    setattr(cls, method, timed)
    try:
        yield spent
    finally:
        setattr(cls, method, original)


def _import_torch_optim() -> None:
    """Import torch and what ``torch.optim.Adam(...)`` imports on first use (``torch._dynamo``,
    1.8-3 s here). Both SynthoHive's and SDV's neural fits create an Adam inside their timed
    fit, so both import it before the timer: fit time is then training, not library import."""
    import torch
    import torch._dynamo  # noqa: F401


def _fit_sdv(system: str, data: SingleTable, epochs: int, batch: int) -> tuple[Any, dict[str, Any]]:
    import sdv.single_table as st
    from sdv.metadata import Metadata

    if system in ("sdv_ctgan", "sdv_tvae"):
        _import_torch_optim()

    meta = Metadata.detect_from_dataframes({data.name: data.train}, infer_keys=None)
    cls = getattr(st, SDV_SINGLE[system])
    kwargs: dict[str, Any] = {}
    if system in ("sdv_ctgan", "sdv_tvae"):
        kwargs = {"epochs": epochs, "batch_size": batch, "enable_gpu": False}
    synth = cls(meta, **kwargs)
    figures: dict[str, Any] = {}
    processed_dict, figures["preprocess_s"] = _timed(synth.preprocess, {data.name: data.train})
    pre_cpu = CPU["last"]
    if system in ("sdv_ctgan", "sdv_tvae"):
        # SDV fits its mode-specific-normalisation transformer inside fit: time that call there
        from ctgan.data_transformer import DataTransformer

        with _time_calls(DataTransformer, "fit") as spent:
            _, figures["fit_s"] = _timed(synth.fit_processed_data, processed_dict)
        figures["transformer_fit_s"] = figures["preprocess_s"] + sum(spent)
    else:
        _, figures["fit_s"] = _timed(synth.fit_processed_data, processed_dict)
    figures["fit_s"] += figures["preprocess_s"]
    figures["fit_cpu_s"] = CPU["last"] + pre_cpu
    return synth, figures


def _ml_efficacy(
    train: pd.DataFrame, test: pd.DataFrame, target: str, task: str, sdtypes: dict[str, str]
) -> float | None:
    """HistGradientBoosting trained on ``train``, scored on the real holdout (F1 macro / R²)."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.metrics import f1_score, r2_score

    cats = [c for c, s in sdtypes.items() if s != "numerical" and c != target]

    def features(df: pd.DataFrame) -> pd.DataFrame:
        x = df.drop(columns=[target]).copy()
        for c in x.columns:
            if c in cats:
                levels = pd.Index(sorted(test[c].dropna().astype(str).unique()))
                x[c] = pd.Categorical(x[c].astype(str).where(x[c].notna()), categories=levels)
            else:
                x[c] = pd.to_numeric(x[c], errors="coerce").astype("float64")
        return x

    y_train, y_test = train[target], test[target]
    keep = y_train.notna()
    if keep.sum() < 5:
        return None
    if task == "classification":
        model: Any = HistGradientBoostingClassifier(
            categorical_features="from_dtype", random_state=0
        )
        model.fit(features(train[keep]), y_train[keep].astype(str))
        pred = model.predict(features(test))
        return float(f1_score(y_test.astype(str), pred, average="macro"))
    model = HistGradientBoostingRegressor(categorical_features="from_dtype", random_state=0)
    model.fit(features(train[keep]), pd.to_numeric(y_train[keep]).astype("float64"))
    mask = y_test.notna()
    return float(r2_score(y_test[mask], model.predict(features(test[mask]))))


def judge_single(
    real: pd.DataFrame, synthetic: pd.DataFrame, sdtypes: dict[str, str], name: str
) -> dict[str, Any]:
    """sdmetrics QualityReport when installed (the neutral judge), else SynthoHive's evaluate."""
    try:
        from sdmetrics.reports.single_table import QualityReport
    except ImportError:
        QualityReport = None  # noqa: N806
    if QualityReport is not None:
        meta = {"columns": {c: {"sdtype": s} for c, s in sdtypes.items()}}
        report = QualityReport()
        report.generate(real, synthetic[real.columns], meta, verbose=False)
        props = report.get_properties().set_index("Property")["Score"]
        return {
            "judge": "sdmetrics",
            "quality": float(report.get_score()),
            "column_shapes": float(props["Column Shapes"]),
            "pair_trends": float(props["Column Pair Trends"]),
        }
    from synthohive.validation import evaluate

    rep = evaluate(real={name: real}, synthetic={name: synthetic[real.columns]})
    props = {str(k).lower().replace(" ", "_"): v for k, v in rep.properties.items()}
    return {
        "judge": "synthohive.validation.evaluate (sdmetrics not installed)",
        "quality": rep.overall,
        "column_shapes": props.get("column_shapes"),
        "pair_trends": props.get("pair_trends", props.get("column_pair_trends")),
    }


def run_single(
    system: str, dataset: str, *, rows: int | None, epochs: int, batch: int, sample_rows: int
) -> dict[str, Any]:
    """Fit ``system`` on ``dataset``'s train split, sample, and score against the holdout."""
    t_load = time.perf_counter()
    data = load_single(dataset, rows)
    load_s = time.perf_counter() - t_load
    rss_start = peak_rss_mb()
    if system in OURS_SINGLE:
        synth, figures = _fit_ours(system, data, epochs, batch)

        def sample(n: int) -> pd.DataFrame:
            return synth.sample(n, seed=1)

    elif system in SDV_SINGLE:
        synth, figures = _fit_sdv(system, data, epochs, batch)

        def sample(n: int) -> pd.DataFrame:
            out = synth.sample(num_rows=n)
            return next(iter(out.values())) if isinstance(out, dict) else out

    else:
        raise KeyError(f"unknown single-table system {system!r}")
    big, sample_s = _timed(sample, sample_rows)
    figures["sample_cpu_s"] = CPU["last"]
    figures.update(
        rows_train=len(data.train),
        rows_test=len(data.test),
        columns=data.train.shape[1],
        sample_rows=len(big),
        sample_s=sample_s,
        sample_rows_per_s=len(big) / sample_s if sample_s > 0 else None,
        peak_rss_mb=peak_rss_mb(),
        rss_after_load_mb=rss_start,
        data_load_s=load_s,
    )
    if system in ("ctgan", "tvae"):
        enc = synth.fitted_.models[
            data.name
        ]._enc  # the decoder's output width sets its FLOPs per row
        figures["encoded_width"] = int(enc.width) if enc is not None else None
    if system in NEURAL:
        figures["epochs"] = epochs
        figures["batch_size"] = batch
        train_s = figures["fit_s"] - figures.get("transformer_fit_s", 0.0)
        figures["s_per_epoch"] = train_s / epochs
    t_eval = time.perf_counter()
    with _one_thread():
        _evaluate_single(figures, data, big)
    figures["eval_s"] = time.perf_counter() - t_eval
    return figures


def _one_thread() -> Any:
    """Scoring runs single-threaded: OpenMP spin-waits are ruinous on a loaded 2-core box."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1)


def _evaluate_single(figures: dict[str, Any], data: SingleTable, big: pd.DataFrame) -> None:
    dataset = data.name
    n_eval = min(len(data.train), 5000, len(big))
    syn = big.iloc[:n_eval].reset_index(drop=True)
    figures.update(judge_single(data.train, syn, data.sdtypes, dataset))
    figures["ml_efficacy_real"] = _ml_efficacy(
        data.train, data.test, data.target, data.task, data.sdtypes
    )
    figures["ml_efficacy_synthetic"] = _ml_efficacy(
        syn, data.test, data.target, data.task, data.sdtypes
    )
    figures["ml_metric"] = "f1_macro" if data.task == "classification" else "r2"
    from synthohive.validation.privacy import privacy_scores

    priv = privacy_scores(data.train, syn, data.sdtypes, holdout=data.test, max_rows=2000)
    figures["exact_match_rate"] = priv["ims_train"]
    figures["dcr_share"] = priv.get("dcr_share")


# --- multi table -------------------------------------------------------------------------------


def relational_checks(rel: Relational, synthetic: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """Referential integrity (share of non-null FKs found in the parent) and cardinality KS.

    Cardinality KS, per relation: the two-sample KS statistic between the real and the
    synthetic children-per-parent counts (every parent row counted, those without children
    as 0; a self-reference counts the table's rows per referenced row of the same table).
    """
    from scipy.stats import ks_2samp

    ri: list[float] = []
    ks: dict[str, float] = {}
    for fk in rel.metadata.relations:
        child, parent = synthetic[fk.child], synthetic[fk.parent]
        c, p = fk.child_columns[0], fk.parent_columns[0]
        vals = child[c].dropna()
        ri.append(float(vals.isin(parent[p]).mean()) if len(vals) else 1.0)

        def counts(ch: pd.DataFrame, pa: pd.DataFrame, c: str = c, p: str = p) -> np.ndarray:
            vc = ch[c].value_counts()
            return pa[p].map(vc).fillna(0).to_numpy()

        real_counts = counts(rel.tables[fk.child], rel.tables[fk.parent])
        syn_counts = counts(child, parent)
        key = f"{fk.child}.{c}->{fk.parent}"
        ks[key] = float(ks_2samp(real_counts, syn_counts).statistic) if len(syn_counts) else 1.0
    return {
        "referential_integrity": min(ri) if ri else 1.0,
        "cardinality_ks": ks,
        "cardinality_ks_max": max(ks.values()) if ks else None,
    }


def judge_multi(rel: Relational, synthetic: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """sdmetrics multi-table QualityReport (None when sdmetrics is not installed)."""
    try:
        from sdmetrics.reports.multi_table import QualityReport
    except ImportError:
        return {"judge": None, "quality": None}
    report = QualityReport()
    syn = {t: synthetic[t][rel.tables[t].columns] for t in rel.tables}
    report.generate(rel.tables, syn, rel.sdv_metadata(judge=True), verbose=False)
    props = report.get_properties().set_index("Property")["Score"]
    return {
        "judge": "sdmetrics",
        "quality": float(report.get_score()),
        "column_shapes": float(props["Column Shapes"]),
        "pair_trends": float(props["Column Pair Trends"]),
        "cardinality": float(props["Cardinality"]),
        "intertable_trends": float(props["Intertable Trends"]),
    }


def run_multi(system: str, dataset: str) -> dict[str, Any]:
    """Fit the whole schema, sample it at scale 1, and judge it."""
    rel = load_relational(dataset)
    rss_start = peak_rss_mb()
    figures: dict[str, Any] = {
        "tables": len(rel.tables),
        "depth": rel.depth(),
        "rows_real": int(sum(len(t) for t in rel.tables.values())),
        "relations": [
            f"{fk.child}.{','.join(fk.child_columns)}->{fk.parent}.{','.join(fk.parent_columns)}"
            for fk in rel.metadata.relations
        ],
    }
    if system == "synthohive":
        from synthohive import Synthesizer

        synth = Synthesizer(rel.metadata, model="gaussian_copula", seed=0, progress=False)
        _, figures["fit_s"] = _timed(synth.fit, rel.tables)
        out, figures["sample_s"] = _timed(synth.sample, scale=1.0, seed=1)
    elif system == "sdv_hma":
        from sdv.metadata import Metadata
        from sdv.multi_table import HMASynthesizer

        hma = HMASynthesizer(Metadata.load_from_dict(rel.sdv_metadata()))
        hma.set_random_state(0) if hasattr(hma, "set_random_state") else None
        _, figures["fit_s"] = _timed(hma.fit, rel.tables)
        out, figures["sample_s"] = _timed(hma.sample_scale, scale=1.0)
    else:
        raise KeyError(f"unknown multi-table system {system!r}")
    figures["fit_sample_s"] = figures["fit_s"] + figures["sample_s"]
    figures["rows_synthetic"] = int(sum(len(t) for t in out.values()))
    figures["peak_rss_mb"] = peak_rss_mb()
    figures["rss_after_load_mb"] = rss_start
    figures.update(relational_checks(rel, out))
    figures.update(judge_multi(rel, out))
    return figures


def fit_and_save(dataset: str, path: str) -> dict[str, Any]:
    """Fit the SynthoHive multi-table model once and save it (for the streaming runs)."""
    from synthohive import Synthesizer

    rel = load_relational(dataset)
    synth = Synthesizer(rel.metadata, model="gaussian_copula", seed=0, progress=False)
    _, fit_s = _timed(synth.fit, rel.tables)
    synth.save(path)
    return {"fit_s": fit_s, "peak_rss_mb": peak_rss_mb()}


def run_stream(model_path: str, scale: float, sink_dir: str) -> dict[str, Any]:
    """Load a saved schema model and stream ``sample(scale=...)`` to parquet; peak RSS."""
    from synthohive import Synthesizer

    synth = Synthesizer.load(model_path)
    synth.progress = False
    rss_loaded = peak_rss_mb()
    summary, secs = _timed(synth.sample, scale=scale, sink=f"parquet://{sink_dir}", seed=1)
    rows = _total_rows(summary)
    return {
        "scale": scale,
        "sample_s": secs,
        "rows": rows,
        "rows_per_s": rows / secs if rows and secs > 0 else None,
        "rss_after_load_mb": rss_loaded,
        "peak_rss_mb": peak_rss_mb(),
    }


def _total_rows(summary: Any) -> int | None:
    if not isinstance(summary, dict):
        return None
    tables = summary.get("tables")
    if isinstance(tables, dict):
        return int(sum(v for v in tables.values() if isinstance(v, int)))
    return None
