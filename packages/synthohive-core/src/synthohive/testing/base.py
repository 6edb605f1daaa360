"""Shared pieces of the conformance kit: :class:`Requirements` and the suite's helpers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd
import pytest

from synthohive.metadata.schema import Table
from synthohive.models.base import GenerativeModel
from synthohive.testing.data import table_for


@dataclass(frozen=True)
class Requirements:
    """What a model supports; unsupported features turn their checks into reasoned skips.

    ``supports_context``/``supports_conditions`` default to the model class attributes.
    ``min_rows`` is the smallest table the model fits (at least 10). ``batch_param`` names a
    batch-size parameter to check clamping (T-B10). ``sample_size`` is the default ``n`` and
    ``null_rows`` the rows of the null-rate checks (larger = tighter bounds, slower).
    """

    supports_nulls: bool = True
    supports_context: bool | None = None
    supports_conditions: bool | None = None
    deterministic: bool = True
    exact_dtypes: bool = True
    min_rows: int = 10
    batch_param: str | None = None
    sample_size: int = 200
    null_rows: int = 1000
    cold_load_timeout: float = 180.0


class ContractBase:
    """State and helpers of a contract suite; subclass :class:`ModelContract`, not this."""

    model_class: ClassVar[type[GenerativeModel]]
    params: ClassVar[dict[str, Any]] = {}
    requirements: ClassVar[Requirements] = Requirements()
    import_path: ClassVar[str | None] = None
    """``module:QualName`` the cold-load process imports when the registry lacks the model."""

    # --- helpers (usable from subclasses' own tests) ----------------------------------------
    def make_model(self, seed: int | None = 0) -> GenerativeModel:
        """A fresh, unfitted model with the suite's params."""
        return self.model_class(dict(self.params), seed=seed)

    def fit(
        self,
        data: pd.DataFrame,
        table: Table | None = None,
        *,
        seed: int | None = 0,
        **kwargs: Any,
    ) -> GenerativeModel:
        """Fit a fresh model on ``data`` (table from dtypes unless given)."""
        model = self.make_model(seed)
        model.fit(data, table=table or table_for(data), progress=False, **kwargs)
        return model

    def _supports(self, feature: str) -> bool:
        declared = getattr(self.requirements, feature)
        if declared is None:
            return bool(getattr(self.model_class, feature))
        return bool(declared)

    def _require(self, feature: str) -> None:
        if not self._supports(feature):
            pytest.skip(f"{self.model_class.__name__} declares {feature}=False (Requirements)")

    def _require_nulls(self) -> None:
        if not self.requirements.supports_nulls:
            pytest.skip(
                f"{self.model_class.__name__} declares supports_nulls=False (Requirements): "
                "checks with missing values do not apply"
            )

    def _check_dtypes(self, out: pd.DataFrame, real: pd.DataFrame) -> None:
        assert list(out.columns) == list(real.columns)
        if self.requirements.exact_dtypes:
            bad = {
                str(c): (str(real[c].dtype), str(out[c].dtype))
                for c in real.columns
                if out[c].dtype != real[c].dtype
            }
            assert not bad, f"dtypes changed (real, synthetic): {bad}"
