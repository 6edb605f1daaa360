"""``model="auto"``: pick each table's model by a quick validation on held-out rows.

For a table the synthesizer models, every installed candidate of :data:`CANDIDATES` is fitted
on up to :data:`TRIAL_ROWS` rows of the table (a seeded 80/20 split; without parent context),
with :data:`TRIAL_PARAMS` (fewer epochs for the neural models), and samples as many rows as
the held-out part. Each sample is scored against the held-out rows by the quality report's
Column Shapes and Column Pair Trends (their mean, in [0, 1]); the highest score wins, ties go
to the earlier candidate (the copula first: it is the fastest). A candidate that fails to fit
is skipped with its error in the reason. The table is then fitted with the winner on all its
rows and its usual parameters, and ``explain()`` shows the scores.

Fewer than :data:`MIN_HOLDOUT` held-out rows cannot tell models apart: the copula is chosen
and the reason says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from synthohive.errors import SynthoHiveError
from synthohive.log import get_logger

if TYPE_CHECKING:
    from synthohive.metadata.schema import Table

log = get_logger(__name__)

AUTO = "auto"
CANDIDATES = ("gaussian_copula", "autoregressive", "tvae", "ctgan")
"""Models ``auto`` tries, in tie-break order (those installed)."""
TRIAL_ROWS = 5000
"""Rows of a table used for the trial (train and held-out together)."""
MIN_HOLDOUT = 50
"""Fewest held-out rows for a comparison."""
TRIAL_PARAMS: dict[str, dict[str, Any]] = {
    "autoregressive": {"epochs": 30},
    "tvae": {"epochs": 30},
    "ctgan": {"epochs": 30},
}
"""Parameters of a candidate in its trial (its defaults otherwise)."""


def candidates() -> list[str]:
    """The installed models among :data:`CANDIDATES`."""
    from synthohive.registry import get_registry

    installed = set(get_registry().list_models())
    return [name for name in CANDIDATES if name in installed]


def choose_model(
    data: pd.DataFrame, table: Table, *, seed: int, device: str = "auto"
) -> tuple[str, str]:
    """``(model name, one-line reason with the scores)`` for ``data`` described by ``table``."""
    from synthohive.metadata.schema import Metadata
    from synthohive.registry import get_registry
    from synthohive.validation.evaluate import evaluate

    names = candidates()
    rng = np.random.default_rng(seed)
    rows = rng.permutation(len(data))[:TRIAL_ROWS]
    n_hold = len(rows) // 5
    if n_hold < MIN_HOLDOUT or len(names) == 1:
        why = (
            f"only {n_hold} held-out rows (< {MIN_HOLDOUT}) to compare models"
            if n_hold < MIN_HOLDOUT
            else "no other model installed"
        )
        return names[0], f"auto chose {names[0]!r}: {why}"
    train = data.iloc[rows[n_hold:]].reset_index(drop=True)
    hold = data.iloc[rows[:n_hold]].reset_index(drop=True)
    meta = Metadata(tables={table.name: table})
    scores: dict[str, float] = {}
    failed: dict[str, str] = {}
    for name in names:
        cls = get_registry().get_model(name)
        try:
            model = cls(TRIAL_PARAMS.get(name), device=device, seed=seed)
            model.fit(train, table=table, progress=False)
            fake = model.sample(len(hold), seed=seed + 1)
        except SynthoHiveError as exc:
            failed[name] = type(exc).__name__
            continue
        report = evaluate(
            {table.name: hold},
            {table.name: fake},
            meta,
            validators=["column_shapes", "pair_trends"],
        )
        scores[name] = float(report.overall or 0.0)
        log.info("synthesizer.auto.trial", table=table.name, model=name, score=scores[name])
    if not scores:
        return names[0], f"auto chose {names[0]!r}: every trial failed {failed}"
    best = max(scores, key=lambda n: (scores[n], -names.index(n)))
    listed = ", ".join(f"{n} {scores[n]:.3f}" for n in sorted(scores, key=lambda n: -scores[n]))
    extra = f"; failed: {failed}" if failed else ""
    return best, (
        f"auto chose {best!r}: held-out quality {listed} ({len(train)} trial rows, "
        f"{n_hold} held out){extra}"
    )
