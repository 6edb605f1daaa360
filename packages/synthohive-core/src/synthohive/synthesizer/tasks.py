"""One table's model fit as a value, so fits can run here one after another or elsewhere
side by side (``synthohive_spark.fit`` runs them on Spark executors).

The fit prepares each table on the driver, in order (:mod:`~synthohive.synthesizer.prepare`):
the rows the model learns (modelled columns, children-per-parent counts, constraint and
sequence columns), their column metadata, the parent context, the model's name (``auto``
already decided), its parameters and its seed - a :class:`FitTask`. :func:`run_fit_task`
is the only step that reads nothing but the task; a *runner* maps a list of tasks to their
fitted models in the same order. With the same tasks every runner gives the same models, so
where a fit ran never changes the output.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from synthohive.metadata.schema import Table

if TYPE_CHECKING:
    from synthohive.models.base import GenerativeModel


@dataclass
class FitTask:
    """Everything one table's model fit reads."""

    index: int
    """The table's position in the fit order."""
    table: str
    model_name: str
    params: dict[str, Any] | None
    seed: int | None
    device: str
    data: pd.DataFrame
    model_table: Table
    context: pd.DataFrame | None = None
    context_table: Table | None = None


def build_model(task: FitTask) -> GenerativeModel:
    """The task's model, constructed (parameters validated) but not fitted."""
    from synthohive.registry import get_registry

    return get_registry().get_model(task.model_name)(
        task.params, device=task.device, seed=task.seed
    )


def run_fit_task(task: FitTask, progress: bool | None = None) -> GenerativeModel:
    """Fit the task's model on its rows and context."""
    model = build_model(task)
    model.fit(
        task.data,
        table=task.model_table,
        context=task.context,
        context_table=task.context_table,
        progress=progress,
    )
    return model


#: Maps tasks to their fitted models, in the same order (see :func:`local_runner`).
Runner = Callable[[list[FitTask]], list["GenerativeModel"]]


def local_runner(progress: bool | None = None) -> Runner:
    """A runner fitting the tasks one after another in this process."""

    def run(tasks: list[FitTask]) -> list[GenerativeModel]:
        return [run_fit_task(task, progress) for task in tasks]

    return run
