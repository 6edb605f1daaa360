"""Column values <-> token ids, on top of the copula's per-column marginals.

Each column keeps a fitted :class:`~synthohive.models.marginals.ColumnModel` (dtype, nulls,
categories, quantile knots, integer rounding, bounds, date formats - the core's one place for
restoring values exactly). Its tokens are:

* ``codes``: categories, booleans and numbers with few distinct values - one token per value
  (the most frequent ``max_categories - 1`` values, and one token for the rarer rest, decoded
  by their frequencies);
* ``bins``: other numbers and datetimes - ``bins`` equal-frequency bins of the value's rank
  (ties spread evenly over the bins they cover, so a value held by many rows fills whole bins
  and comes back exactly); inside a bin the value is drawn from the training values' quantile
  function;
* ``fixed``: constant or all-null columns;

plus one null token when the column has some, but not all, nulls.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from synthohive.artifacts.api import ArtifactReader, ArtifactWriter
from synthohive.errors import IncompatibleArtifactError
from synthohive.metadata.schema import Column
from synthohive.models.marginals import ColumnModel
from synthohive.models.values import raw_values

KINDS = ("codes", "bins", "fixed")


class _Midpoints:
    """Stands in for a numpy Generator whose uniform draws are all 0.5: the copula's encoder
    then puts each category in the middle of its interval, which decodes back unambiguously."""

    def random(self, shape: Any) -> np.ndarray:
        return np.full(shape, 0.5)


class ColumnTokens:
    """The vocabulary of one column: ``vocab`` tokens, the last one null when ``has_null``."""

    def __init__(self, marginal: ColumnModel, kind: str, n_value: int, bins: int) -> None:
        self.marginal = marginal
        self.kind = kind
        self.n_value = n_value
        self.bins = bins
        self.has_null = marginal.has_indicator
        self.vocab = n_value + int(self.has_null)
        cum = marginal.arrays.get("cum")
        self.n_codes = len(cum) - 1 if cum is not None else 0
        self.truncated = kind == "codes" and n_value < self.n_codes

    @property
    def modelled(self) -> bool:
        """Whether the column varies at all (a network predicts it)."""
        return self.vocab >= 2

    # --- learning ------------------------------------------------------------------------------
    @classmethod
    def fit(
        cls,
        s: pd.Series,
        column: Column | None,
        *,
        table: str | None,
        bins: int,
        max_discrete: int,
        max_categories: int,
        rng: np.random.Generator,
    ) -> tuple[ColumnTokens, np.ndarray]:
        """The column's vocabulary and the token of each value of ``s``."""
        cm = ColumnModel.fit(
            s,
            column,
            table=table,
            discrete_threshold=max_discrete,
            max_knots=1001,
            max_bad_dates=0.05,
        )
        marginal = cm.spec["marginal"]
        if marginal == "continuous":
            kind, n_value = "bins", bins
        elif marginal in ("categorical", "discrete"):
            kind, n_value = "codes", min(len(cm.arrays["cum"]) - 1, max_categories)
        else:
            kind, n_value = "fixed", int(marginal == "constant")
        tokens = cls(cm, kind, n_value, bins)
        return tokens, tokens._encode(s, rng)

    def _encode(self, s: pd.Series, rng: np.random.Generator) -> np.ndarray:
        cm, spec = self.marginal, self.marginal.spec
        if spec["domain"] == "datestr":
            s = pd.to_datetime(s, format=spec["fmt"], errors="coerce")
        null = s.isna().to_numpy()
        out = np.zeros(len(s), dtype=np.int64)
        present = ~null
        if self.kind == "codes" and present.any():
            if spec["domain"] == "category":
                z, _ = cm.encode(s, _Midpoints())  # type: ignore[arg-type]
                u = ndtr(z[:, int(cm.has_indicator)])
                codes = np.searchsorted(cm.arrays["cum"], u, side="right") - 1
            else:
                raw = raw_values(s[present], spec["domain"], s.dtype, None)
                codes = np.zeros(len(s), dtype=np.int64)
                codes[present] = np.searchsorted(cm.arrays["values"], raw)
            out = np.clip(codes, 0, self.n_value - 1).astype(np.int64)
        elif self.kind == "bins" and present.any():
            raw = raw_values(s[present], spec["domain"], s.dtype, None).astype("float64")
            ordered = np.sort(raw)
            left = np.searchsorted(ordered, raw, side="left")
            right = np.searchsorted(ordered, raw, side="right")
            u = (left + rng.random(len(raw)) * (right - left)) / len(raw)
            out[present] = np.minimum((u * self.bins).astype(np.int64), self.bins - 1)
        if self.has_null:
            out[null] = self.n_value
        return out

    def scores(self) -> tuple[np.ndarray, np.ndarray]:
        """Per token: the normal score of its place in the column's distribution, and whether
        it is ordinal (bins and numbers; categories, the rare bucket and nulls score 0)."""
        out = np.zeros(self.vocab, dtype=np.float32)
        ordinal = np.zeros(self.vocab, dtype=bool)
        cm = self.marginal
        if self.kind == "bins":
            out[: self.bins] = ndtri((np.arange(self.bins) + 0.5) / self.bins)
            ordinal[: self.bins] = True
        elif self.kind == "codes" and cm.spec["domain"] != "category" and not self.truncated:
            cum = cm.arrays["cum"][: self.n_value + 1]
            out[: self.n_value] = ndtri(np.clip((cum[:-1] + cum[1:]) / 2, 1e-6, 1 - 1e-6))
            ordinal[: self.n_value] = True
        return out, ordinal

    # --- generating ----------------------------------------------------------------------------
    def decode(self, tokens: np.ndarray, rng: np.random.Generator) -> pd.Series:
        """Values (the fitted dtype) of ``tokens``; ``rng`` draws inside bins and rare codes."""
        cm = self.marginal
        n = len(tokens)
        null = tokens == self.n_value if self.has_null else np.zeros(n, dtype=bool)
        u = np.zeros((n, cm.n_dims))
        if cm.has_indicator:
            u[:, 0] = np.where(null, 1.0, 0.0)
        jitter = rng.random(n)
        if cm.has_value:
            t = np.where(null, 0, np.clip(tokens, 0, max(self.n_value - 1, 0)))
            d = int(cm.has_indicator)
            if self.kind == "bins":
                u[:, d] = (t + jitter) / self.bins
            else:
                cum = cm.arrays["cum"]
                u[:, d] = (cum[t] + cum[t + 1]) / 2
                if self.truncated:
                    rare = t == self.n_value - 1
                    lo = cum[self.n_value - 1]
                    u[rare, d] = lo + jitter[rare] * (1.0 - lo)
        return cm.decode(u, n).reset_index(drop=True)

    # --- persistence ---------------------------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        """The JSON fields :meth:`load` reads besides the marginal."""
        return {"kind": self.kind, "n_value": self.n_value, "bins": self.bins}

    def save(self, writer: ArtifactWriter, prefix: str) -> None:
        """Write the column's marginal (its vocabulary goes in the model's JSON)."""
        self.marginal.save(writer, prefix)

    @classmethod
    def load(cls, reader: ArtifactReader, prefix: str, desc: Any) -> ColumnTokens:
        """Read a column written by :meth:`save` with its :meth:`describe` fields."""
        cm = ColumnModel.load(reader, prefix)
        try:
            kind, n_value, bins = desc["kind"], int(desc["n_value"]), int(desc["bins"])
        except (KeyError, TypeError, ValueError) as exc:
            raise IncompatibleArtifactError(f"column {prefix!r}: malformed tokens {exc}") from None
        marginal = cm.spec["marginal"]
        expected = {
            "continuous": "bins",
            "categorical": "codes",
            "discrete": "codes",
            "constant": "fixed",
            "empty": "fixed",
        }[marginal]
        tokens = cls(cm, kind, n_value, bins)
        ok = kind == expected and bins >= 2 and n_value >= 0
        if kind == "bins":
            ok = ok and n_value == bins
        elif kind == "codes":
            ok = ok and 2 <= n_value <= tokens.n_codes
        else:
            ok = ok and n_value == int(marginal == "constant")
        if not ok:
            raise IncompatibleArtifactError(
                f"column {prefix!r}: tokens {desc!r} do not fit its {marginal} marginal",
                fix="the file was written by another version; re-fit and re-save",
            )
        return tokens
