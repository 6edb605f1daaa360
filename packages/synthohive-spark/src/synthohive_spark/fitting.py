"""Distributed fitting: each table's model fitted on a Spark executor, side by side.

``fit(spark, metadata, source, ...)`` runs :meth:`Synthesizer.fit` (that is,
:func:`~synthohive.synthesizer.fit.fit_schema`) with a runner that sends
the prepared tables (:class:`~synthohive.synthesizer.tasks.FitTask`: the table's modelled
rows, its parent context, model name, parameters and seed, all decided on the driver in fit
order) to the executors, one Spark task per table, the largest first. Each executor fits the
model and sends back its state as model-file members (JSON, ``.npy``, safetensors); the driver
loads them with the same checks as a model file (no pickle) and finishes the schema as a
local fit would. Seeds are per table, so the result - and every row it generates - equals
the single-process fit's with the same seed.

Executors need the model plugins (``pip install synthohive-ctgan`` on the cluster): a missing
one is reported as a :class:`~synthohive.errors.ConnectorError` naming the table and the
package. A fit that fails on an executor raises its own SynthoHive error type on the driver,
naming the table; a lost executor is retried by Spark.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

from synthohive import errors
from synthohive.errors import PluginNotFoundError, SynthoHiveError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from synthohive.metadata.schema import Metadata
    from synthohive.models.base import GenerativeModel
    from synthohive.synthesizer import Synthesizer
    from synthohive.synthesizer.tasks import FitTask, Runner

#: What an executor sends back: ("ok", model name, members) or ("error", details).
_Result = tuple[str, Any, Any]


def error_detail(exc: SynthoHiveError, table: str) -> dict[str, Any]:
    """What a remote process sends back about ``exc``, raised while fitting ``table`` (a
    missing model plugin becomes a :class:`ConnectorError` asking to install it there)."""
    if isinstance(exc, PluginNotFoundError):
        return {
            "type": "ConnectorError",
            "message": f"an executor cannot fit the table's model: {exc.bare_message}",
            "table": table,
            "column": None,
            "fix": "install the same SynthoHive packages (e.g. pip install synthohive-ctgan) "
            "on every executor of the cluster",
        }
    return {
        "type": type(exc).__name__,
        "message": exc.bare_message,
        "table": exc.table or table,
        "column": exc.column,
        "fix": exc.fix,
    }


def raise_detail(detail: dict[str, Any], what: str) -> NoReturn:
    """Raise the error that :func:`error_detail` described, on the driver, as its own
    SynthoHive type (``SynthoHiveError`` for a type this version does not know)."""
    cls = getattr(errors, str(detail.get("type")), None)
    if not (isinstance(cls, type) and issubclass(cls, SynthoHiveError)):
        cls = SynthoHiveError
    where = {k: detail.get(k) for k in ("table", "column", "fix")}
    try:
        raise cls(f"{what}: {detail['message']}", **where)
    except TypeError:  # an error type with its own constructor
        raise SynthoHiveError(
            f"{what} ({detail.get('type')}): {detail['message']}", **where
        ) from None


def _fit_one(item: tuple[int, FitTask]) -> tuple[int, _Result]:
    """Executor side: fit one task, return its model state as model-file members."""
    from synthohive.artifacts.memory import MemoryStore
    from synthohive.synthesizer.tasks import run_fit_task

    index, task = item
    try:
        model = run_fit_task(task, progress=False)
    except SynthoHiveError as exc:
        return index, ("error", error_detail(exc, task.table), None)
    store = MemoryStore()
    model.save(store.writer())
    return index, ("ok", model.name, dict(store.members))


def _land(task: FitTask, result: _Result) -> GenerativeModel:
    """Driver side: the fitted model from an executor's result, or its error raised here."""
    from synthohive.artifacts.memory import MemoryStore
    from synthohive.registry import get_registry

    status, first, members = result
    if status != "ok":
        raise_detail(first, "fitting on a Spark executor failed")
    model_cls = get_registry().get_model(str(first))
    return model_cls.load(MemoryStore(members).reader(), device=task.device)


def spark_runner(spark: SparkSession) -> Runner:
    """A fit runner sending each task to an executor (one Spark task per table)."""

    def run(tasks: list[FitTask]) -> list[GenerativeModel]:
        # the largest tables first, so the longest fits start at once
        items = sorted(enumerate(tasks), key=lambda it: -it[1].data.size)
        rdd = spark.sparkContext.parallelize(items, numSlices=max(len(items), 1))
        results = dict(rdd.map(_fit_one).collect())
        return [_land(task, results[i]) for i, task in enumerate(tasks)]

    return run


def fit(
    spark: SparkSession,
    metadata: Metadata | None,
    source: Any,
    *,
    path: str | None = None,
    **options: Any,
) -> Synthesizer:
    """Fit a synthesizer on ``source`` (what :meth:`Synthesizer.fit` accepts: frames, a
    connector or a URL) with every table's model fitted on a Spark executor. A
    :class:`SparkConnector` source is read with ``metadata``'s relations: tables larger than
    its ``max_rows`` are sampled as whole parent subtrees, and scale 1 generates the full
    tables' row counts. ``options`` go to
    :class:`Synthesizer` (``seed``, ``model``, ``model_params``, ...); with ``path`` the model
    file is saved there too. Returns the fitted synthesizer."""
    from synthohive.synthesizer import Synthesizer
    from synthohive_spark.connector import SparkConnector

    if isinstance(source, SparkConnector) and metadata is not None:
        # the relations decide how a table larger than max_rows is sampled (whole subtrees)
        source = source.read_all(list(metadata.tables), metadata=metadata)
    synth = Synthesizer(metadata, **options)
    synth.fit(source, runner=spark_runner(spark))
    if path is not None:
        synth.save(path)
    return synth
