"""Data-parallel training of one large table through Spark's ``TorchDistributor``.

``fit_table_distributed(spark, data, table, model="tvae")`` stages the table's rows as
Parquet in a folder every process can read (a local temporary folder in local mode; pass
``staging=`` a shared folder on a cluster), then runs
``TorchDistributor(num_processes, local_mode, use_gpu).run(train_rank, job)``: torchrun starts
one process per rank, each initialises ``torch.distributed`` from the environment torchrun sets
(gloo on CPU, NCCL on CUDA), reads the rows and fits the model; the model trains
data-parallel (see :mod:`synthohive.nn.parallel`: encoding fitted on every row by every rank,
each rank's own rows per step (a shard for TVAE, draws with its own seed for CTGAN),
gradients averaged across ranks, rank 0's validation decisions broadcast). Rank 0 sends the
fitted state back as model-file members (JSON, ``.npy``, safetensors) and the driver loads
them with the model file's checks (no pickle of a model).

Every rank holds the whole table in memory (the encoding is fitted on all rows): the
processes split the compute, not the memory. The processes need the model plugin: a missing
one is a :class:`~synthohive.errors.ConnectorError` naming the table and the package. A fit
that fails in a rank writes what went wrong to the staging folder, and the driver raises it
as its own SynthoHive error type naming the table (``TrainingError`` for anything else).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthohive.errors import (
    ConnectorError,
    DataError,
    PrivacyError,
    SynthoHiveError,
    TrainingError,
)
from synthohive.log import get_logger
from synthohive_spark.fitting import error_detail, raise_detail

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import DataFrame as SparkFrame
    from pyspark.sql import SparkSession

    from synthohive.metadata.schema import Table
    from synthohive.models.base import GenerativeModel, ModelParams

log = get_logger(__name__)

#: What rank 0 sends back: the model's name, its model-file members and its training history.
_Fitted = tuple[str, dict[str, bytes], list[dict[str, float]]]


def fit_table_distributed(
    spark: SparkSession,
    data: pd.DataFrame | SparkFrame,
    table: Table,
    model: str = "tvae",
    params: ModelParams | dict[str, Any] | None = None,
    *,
    num_processes: int = 2,
    seed: int = 0,
    local_mode: bool = True,
    use_gpu: bool = False,
    staging: str | None = None,
) -> GenerativeModel:
    """Fit ``model`` on one table with ``num_processes`` data-parallel training processes.

    ``data`` holds the table's modelled columns (as :meth:`GenerativeModel.fit` takes them),
    as a pandas or Spark DataFrame; ``table`` is its metadata. ``local_mode`` runs the
    processes on the driver (``True``) or as Spark tasks on executors, ``use_gpu`` gives each
    one GPU (NCCL). ``staging`` is the folder the rows are staged in (default: a temporary
    folder on the driver, which executors on other machines cannot read). The model's
    class must support data-parallel training (``supports_data_parallel``: TVAE, CTGAN) and
    ``params`` must not ask for differential privacy. Returns the fitted model, loaded on
    the driver's CPU, with rank 0's ``history`` (per-epoch losses, seconds, validation
    scores).
    """
    from pyspark.ml.torch.distributor import TorchDistributor

    from synthohive.artifacts.memory import MemoryStore
    from synthohive.nn.model import NeuralModel
    from synthohive.registry import get_registry

    model_cls = get_registry().get_model(model)
    fitted = model_cls(params, seed=seed)
    if not getattr(model_cls, "supports_data_parallel", False):
        raise DataError(
            f"model {model!r} does not support data-parallel training",
            table=table.name,
            fix="use model='tvae' or 'ctgan', or fit the table in one process (Synthesizer.fit)",
        )
    if getattr(fitted.params, "dp", None) is not None:
        raise PrivacyError(
            "differential privacy is not available with data-parallel training "
            "(per-row clipping and the privacy accountant assume one process)",
            table=table.name,
            fix="fit the table in one process (Synthesizer.fit), or drop dp",
        )
    if not local_mode and staging is None:
        raise ConnectorError(
            "data-parallel training on executors needs a staging folder they can all read",
            table=table.name,
            fix="pass staging= a shared folder (for example on DBFS or HDFS mounted locally)",
        )
    root = Path(staging or tempfile.gettempdir()) / f"synthohive-ddp-{uuid.uuid4().hex}"
    root.mkdir(parents=True)
    try:
        rows = _stage(data, root)
        job = {
            "model": model,
            "params": fitted.params.model_dump(mode="json"),
            "table": table.model_dump_json(),
            "rows": rows,
            "seed": seed,
            "use_gpu": use_gpu,
            "staging": str(root),
        }
        log.info(
            "spark.ddp.start",
            table=table.name,
            model=model,
            processes=num_processes,
            local_mode=local_mode,
            gpu=use_gpu,
        )
        distributor = TorchDistributor(
            num_processes=num_processes, local_mode=local_mode, use_gpu=use_gpu
        )
        try:
            result = distributor.run(train_rank, job)
        except Exception as exc:
            _raise_failure(root, table.name, exc)
        if not result:
            raise TrainingError(
                "data-parallel training returned no model from rank 0", table=table.name
            )
        name, members, history = result
        fitted = get_registry().get_model(name).load(MemoryStore(members).reader())
        if isinstance(fitted, NeuralModel):
            fitted.history = history  # rank 0's epochs, as a local fit keeps them
        return fitted
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _stage(data: pd.DataFrame | SparkFrame, root: Path) -> str:
    """Write the rows as Parquet under ``root``; returns the path every rank reads."""
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        path = root / "rows.parquet"
        data.to_parquet(path, index=False)
    else:  # a Spark DataFrame: written by Spark, read back as one table by pyarrow
        path = root / "rows"
        data.write.parquet(str(path))
    return str(path)


def _raise_failure(root: Path, table: str, exc: Exception) -> None:
    """Raise what the lowest failed rank reported, or a ``TrainingError`` with ``exc``."""
    reports = sorted(root.glob("error-*.json"), key=lambda p: int(p.stem.split("-")[1]))
    if reports:
        detail = json.loads(reports[0].read_text())
        raise_detail(detail, f"data-parallel training failed ({reports[0].stem})")
    raise TrainingError(
        f"data-parallel training failed: {type(exc).__name__}: {exc}",
        table=table,
        fix="see the training processes' output above for the cause",
    ) from exc


def train_rank(job: dict[str, Any]) -> _Fitted | None:
    """One training process (run by torchrun): fit the model data-parallel; rank 0 returns
    its model-file members. A failure is written to ``error-<rank>.json`` in the staging
    folder, then raised so that torchrun stops the other ranks."""
    from synthohive.metadata.schema import Table

    rank = int(os.environ.get("RANK", "0"))
    table = Table.model_validate_json(job["table"])
    try:
        return _train(job, table)
    except Exception as exc:
        if isinstance(exc, SynthoHiveError):
            detail = error_detail(exc, table.name)
        else:
            detail = {
                "type": "TrainingError",
                "message": f"{type(exc).__name__}: {exc}",
                "table": table.name,
                "column": None,
                "fix": None,
            }
        path = Path(job["staging"]) / f"error-{rank}.json"
        path.write_text(json.dumps(detail))
        raise


def _train(job: dict[str, Any], table: Table) -> _Fitted | None:
    """:func:`train_rank`'s work: plugin, rows, process group, fit, members."""
    import pandas as pd
    import torch
    import torch.distributed as dist

    from synthohive.artifacts.memory import MemoryStore
    from synthohive.registry import get_registry

    model_cls = get_registry().get_model(job["model"])  # before the group: all ranks fail alike
    rows = pd.read_parquet(job["rows"])
    device = "cpu"
    if job["use_gpu"] and torch.cuda.is_available():
        local = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local)
        device = f"cuda:{local}"
    dist.init_process_group("nccl" if device != "cpu" else "gloo")
    try:
        model = model_cls(job["params"], device=device, seed=job["seed"])
        model.fit(rows, table=table, progress=False)
        primary = dist.get_rank() == 0
    finally:
        dist.destroy_process_group()
    if not primary:
        return None
    store = MemoryStore()
    model.save(store.writer())
    history = [dict(h) for h in getattr(model, "history", [])]
    return model.name, dict(store.members), history
