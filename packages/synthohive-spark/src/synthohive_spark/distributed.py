"""Distributed generation: synthetic tables produced inside Spark executors.

``generate(spark, model, rows=... | scale=..., partitions=N, seed=S)`` returns one Spark
DataFrame per table. The model file is shipped once (a broadcast of its bytes) and loaded by
each Python worker. Partition ``p`` generates a whole slice of the schema — its share of every
root table and all their descendants — from its own seed (derived from ``S`` and ``p``), with
key row numbers starting at ``p × stride`` so primary keys never collide across partitions.
Children are generated in the same task as their parents, so foreign keys hold with no shuffle
and no round trip through the driver; output size is bounded by the cluster, not the driver.
The same seed and partition count give the same rows.

Each table's DataFrame is its own ``mapInPandas`` job over the partition ids; a worker keeps
the slice it generated for the next table's job, so a slice is generated once per worker
that needs it (re-generated, identically, only when Spark schedules it elsewhere).
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from synthohive.errors import ConnectorError, DataError, PluginNotFoundError
from synthohive_spark.connector import arrow_friendly

if TYPE_CHECKING:
    from pyspark.sql import DataFrame as SparkDataFrame
    from pyspark.sql import SparkSession

    from synthohive.synthesizer import Synthesizer

_CACHE: OrderedDict[tuple[str, int], dict[str, pd.DataFrame]] = OrderedDict()
_MODELS: dict[str, Any] = {}
_CACHE_SLICES = 2


def _model_bytes(model: Any) -> bytes:
    from synthohive.synthesizer import Synthesizer

    if isinstance(model, Synthesizer):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "model.shm"
            model.save(path)
            return path.read_bytes()
    if isinstance(model, bytes):
        return model
    if isinstance(model, str | os.PathLike):
        return Path(model).read_bytes()
    raise DataError(
        f"model must be a Synthesizer, a model file path or bytes, got {type(model).__name__}"
    )


def _load(data: bytes, digest: str) -> Synthesizer:
    """The synthesizer in ``data`` (cached per worker process)."""
    from synthohive.synthesizer import Synthesizer

    if digest not in _MODELS:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "model.shm"
            path.write_bytes(data)
            try:
                _MODELS[digest] = Synthesizer.load(path, expected_sha256=digest)
            except PluginNotFoundError as exc:
                raise ConnectorError(
                    f"an executor cannot load the model: {exc}",
                    fix="install the same SynthoHive packages (e.g. pip install synthohive-ctgan)"
                    " on every executor of the cluster",
                ) from None
    model: Synthesizer = _MODELS[digest]
    return model


def partition_seed(seed: int, partition: int) -> int:
    """The seed of one partition, derived from the base seed (independent streams)."""
    state = np.random.SeedSequence([seed, partition]).generate_state(1, dtype=np.uint64)
    return int(state[0] >> np.uint64(2))


def split_rows(total: int, partitions: int) -> list[int]:
    """``total`` rows over ``partitions`` as evenly as possible (first ones get the extra)."""
    base, extra = divmod(total, partitions)
    return [base + (1 if p < extra else 0) for p in range(partitions)]


def _slice(
    data: bytes,
    digest: str,
    partition: int,
    root_rows: dict[str, list[int]],
    seed: int,
    stride: int,
) -> dict[str, pd.DataFrame]:
    key = (f"{digest}:{seed}:{stride}:{sorted(root_rows.items())}", partition)
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    synth = _load(data, digest)
    rows = {t: counts[partition] for t, counts in root_rows.items()}
    frames = synth.sample(
        rows=rows, seed=partition_seed(seed, partition), row_offset=partition * stride
    )
    out = {t: arrow_friendly(df) for t, df in frames.items()}
    _CACHE[key] = out
    while len(_CACHE) > _CACHE_SLICES:
        _CACHE.popitem(last=False)
    return out


def generate(
    spark: SparkSession,
    model: Any,
    *,
    rows: dict[str, int] | int | None = None,
    scale: float | None = None,
    partitions: int | None = None,
    seed: int = 0,
) -> dict[str, SparkDataFrame]:
    """Generate every table of ``model`` inside executors; one Spark DataFrame per table."""
    from synthohive.synthesizer import Synthesizer

    if partitions is None:
        partitions = spark.sparkContext.defaultParallelism
    if isinstance(partitions, bool) or not isinstance(partitions, int) or partitions <= 0:
        raise DataError(
            f"partitions must be a positive integer, got {partitions!r}",
            fix="e.g. partitions=spark.sparkContext.defaultParallelism",
        )
    if rows is not None and scale is not None:
        raise DataError("give rows= or scale=, not both")
    data = _model_bytes(model)
    digest = hashlib.sha256(data).hexdigest()
    synth = _load(data, digest)
    if not isinstance(synth, Synthesizer):  # pragma: no cover - defensive
        raise DataError("the model file does not hold a synthesizer")
    if isinstance(rows, int):
        rows = {synth.roots[0]: rows} if len(synth.roots) == 1 else None
        if rows is None:
            raise DataError("the schema has several root tables: pass rows={table: n}")
    root_totals = synth.root_rows(rows=rows, scale=1.0 if scale is None else scale)
    root_rows = {t: split_rows(n, partitions) for t, n in root_totals.items()}
    expected = synth.expected_rows(root_totals)
    per_partition = max(expected.values(), default=1) / partitions
    stride = 10 ** max(3, math.ceil(math.log10(per_partition * 20 + 1)))
    schemas = _schemas(spark, synth)
    bc = spark.sparkContext.broadcast(data)
    out: dict[str, SparkDataFrame] = {}
    ids = spark.range(partitions, numPartitions=partitions)
    for table in synth.tables:
        out[table] = ids.mapInPandas(
            _emitter(bc, digest, table, root_rows, seed, stride, list(schemas[table].names)),
            schemas[table],
        )
    return out


def _emitter(
    bc: Any,
    digest: str,
    table: str,
    root_rows: dict[str, list[int]],
    seed: int,
    stride: int,
    columns: list[str],
) -> Any:
    def emit(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            for pid in batch["id"].tolist():
                frame = _slice(bc.value, digest, int(pid), root_rows, seed, stride)[table]
                yield frame[columns]

    return emit


def _spark_type(dtype: Any) -> Any:
    from pyspark.sql import types as st

    if pd.api.types.is_bool_dtype(dtype):
        return st.BooleanType()
    if pd.api.types.is_integer_dtype(dtype):
        return st.LongType()
    if pd.api.types.is_float_dtype(dtype):
        return st.DoubleType()
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(dtype):
        return st.TimestampType()
    return st.StringType()


def _schemas(spark: SparkSession, synth: Synthesizer) -> dict[str, Any]:
    """Spark schemas of every table, from the dtypes of a small sample made on the driver."""
    from pyspark.sql import types as st

    frames = synth.sample(rows={t: 20 for t in synth.roots}, seed=0)
    return {
        table: st.StructType(
            [st.StructField(str(c), _spark_type(df[c].dtype), True) for c in df.columns]
        )
        for table, df in frames.items()
    }
