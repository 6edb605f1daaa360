"""Checking a stored column marginal before it is used: every field, array and length that
:class:`~synthohive.models.marginals.ColumnModel` reads from a model file."""

from __future__ import annotations

from typing import Any

import numpy as np

from synthohive.errors import ArtifactIntegrityError
from synthohive.models.codecs import values_from_json

ARRAY_NAMES = ("cum", "values", "knots", "positions")
"""The arrays a column marginal may store."""
_MARGINALS = ("empty", "constant", "continuous", "discrete", "categorical")
_DOMAINS = ("number", "datetime", "timedelta", "datestr", "category")


def validate_marginal(spec: dict[str, Any], arrays: dict[str, np.ndarray], prefix: str) -> None:
    """Raise ``ArtifactIntegrityError`` (naming ``prefix``) unless the state is usable."""

    def bad(why: str) -> ArtifactIntegrityError:
        return ArtifactIntegrityError(f"column state {prefix!r} is invalid: {why}")

    try:
        marginal, domain = spec["marginal"], spec["domain"]
        rate = float(spec["null_rate"])
        int(spec["n_fit"])
    except (KeyError, TypeError, ValueError) as exc:
        raise bad(f"missing or malformed field {exc}") from None
    if marginal not in _MARGINALS or domain not in _DOMAINS:
        raise bad(f"unknown marginal/domain {marginal!r}/{domain!r}")
    if not 0.0 <= rate <= 1.0:
        raise bad(f"null rate {rate} outside [0, 1]")
    for key, arr in arrays.items():
        if arr.ndim != 1 or arr.dtype.kind not in "iuf":
            raise bad(f"array {key!r} must be 1-d numeric")
        if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
            raise bad(f"array {key!r} holds non-finite values")
    required = {
        "empty": (),
        "constant": ("values",) if domain != "category" else ("cum",),
        "continuous": ("knots",),
        "discrete": ("values", "cum"),
        "categorical": ("cum",),
    }[marginal]
    for key in required:
        if key not in arrays:
            raise bad(f"array {key!r} is missing")
    if "cum" in arrays:
        cum = arrays["cum"]
        if len(cum) < 2 or cum[0] != 0.0 or abs(cum[-1] - 1.0) > 1e-9 or np.any(np.diff(cum) < 0):
            raise bad("cumulative probabilities must rise from 0 to 1")
        k = len(cum) - 1
        if "values" in arrays and len(arrays["values"]) != k:
            raise bad("values and probabilities differ in length")
        if domain == "category":
            n_cats = len(values_from_json(spec.get("categories", {"type": "str", "values": []})))
            if n_cats != k:
                raise bad(f"{n_cats} categories but {k} probabilities")
            pos = arrays.get("positions")
            if pos is not None and (len(pos) != k or pos.min() < 0):
                raise bad("category positions are malformed")
    if "knots" in arrays:
        knots = arrays["knots"]
        if len(knots) < 2 or np.any(knots[1:] < knots[:-1]):  # no diff: it overflows near max
            raise bad("quantile knots must be non-decreasing")
