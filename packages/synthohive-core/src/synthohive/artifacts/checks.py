"""Checks a model's ``_load`` runs on what it read, before building anything from it.

The model file is already integrity-checked when a model reads it; these helpers check that
the state fits the model: tensor names, shapes and dtypes match the architecture the
hyper-parameters describe, and values are finite and in range. Each failure is a typed error
naming the member and the tensor/value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from pydantic import ValidationError

from synthohive.errors import ArtifactIntegrityError, IncompatibleArtifactError


def require_tensors(
    tensors: Mapping[str, np.ndarray],
    expected: Mapping[str, tuple[tuple[int, ...], Any]],
    *,
    member: str,
) -> None:
    """``tensors`` must hold exactly the ``expected`` names with those shapes and dtypes.

    ``expected`` maps a tensor name to ``(shape, dtype)``. A different set of names, shape or
    dtype raises :class:`IncompatibleArtifactError` naming the tensor.
    """
    missing = sorted(set(expected) - set(tensors))
    extra = sorted(set(tensors) - set(expected))
    if missing or extra:
        raise IncompatibleArtifactError(
            f"member {member!r} does not match the model's architecture "
            f"(missing tensors {missing}, unexpected tensors {extra})",
            fix="the file was saved by another model version or with other parameters",
        )
    for name, (shape, dtype) in expected.items():
        array = tensors[name]
        if tuple(array.shape) != tuple(shape) or array.dtype != np.dtype(dtype):
            raise IncompatibleArtifactError(
                f"tensor {name!r} in {member!r} has shape {tuple(array.shape)} {array.dtype}, "
                f"but the model's architecture needs {tuple(shape)} {np.dtype(dtype)}",
                fix="the file was saved by another model version or with other parameters",
            )


def require_finite(array: np.ndarray, *, member: str, what: str = "values") -> None:
    """Every value of a numeric ``array`` must be finite (no NaN/inf)."""
    if array.dtype.kind in "fc" and not np.isfinite(array).all():
        bad = int((~np.isfinite(array)).sum())
        raise ArtifactIntegrityError(
            f"{what} in {member!r} hold {bad} non-finite number(s)",
            fix="the file is corrupt or was altered; use a trusted copy",
        )


def require_range(
    array: np.ndarray,
    *,
    member: str,
    what: str = "values",
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
) -> None:
    """Every value of ``array`` must be finite and within ``[low, high]`` (``(low, ...`` when
    ``low_inclusive`` is False, e.g. a positive standard deviation)."""
    require_finite(array, member=member, what=what)
    if array.size == 0:
        return
    if low is not None:
        below = array < low if low_inclusive else array <= low
        if below.any():
            sign = ">=" if low_inclusive else ">"
            raise ArtifactIntegrityError(
                f"{what} in {member!r} must be {sign} {low}; found {array[below].min()}",
                fix="the file is corrupt or was altered; use a trusted copy",
            )
    if high is not None and (array > high).any():
        raise ArtifactIntegrityError(
            f"{what} in {member!r} must be <= {high}; found {array[array > high].max()}",
            fix="the file is corrupt or was altered; use a trusted copy",
        )


def require_probabilities(array: np.ndarray, *, member: str, what: str = "weights") -> None:
    """A probability vector (or rows of one): values in [0, 1] summing to 1 (within 1e-6)."""
    require_range(array, member=member, what=what, low=0.0, high=1.0)
    sums = np.atleast_1d(array.sum(axis=-1)) if array.size else np.array([1.0])
    off = ~np.isclose(sums, 1.0, rtol=0.0, atol=1e-6)
    if off.any():
        raise ArtifactIntegrityError(
            f"{what} in {member!r} must sum to 1; they sum to {float(sums[off].flat[0]):.6g}",
            fix="the file is corrupt or was altered; use a trusted copy",
        )


def require_timezone(name: str, *, member: str) -> None:
    """``name`` must be a timezone known to this system (IANA key such as ``Europe/Berlin``)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ArtifactIntegrityError(
            f"timezone {name!r} in {member!r} is not a known IANA timezone",
            fix="the file is corrupt or was altered, or this system lacks tzdata "
            "(pip install tzdata)",
        ) from None


def schema_error(
    exc: ValidationError, member: str, *, names: Mapping[str, str] | None = None
) -> ArtifactIntegrityError:
    """An :class:`ArtifactIntegrityError` naming the fields of ``member`` a pydantic
    ``ValidationError`` found (``plans[2].key_specs.id.width: ...``), never their values.

    ``names`` maps a path prefix (``plans[2]``) to a label added after it (the table name).
    """
    problems = []
    for err in exc.errors()[:3]:
        path = field_path(err["loc"])
        for prefix, label in (names or {}).items():
            if path == prefix or path.startswith((prefix + ".", prefix + "[")):
                path = f"{prefix} ({label}){path[len(prefix) :]}"
                break
        message = str(err["msg"]).removeprefix("Value error, ")
        problems.append(f"{path or '<root>'}: {message}")
    more = len(exc.errors()) - len(problems)
    tail = f" (and {more} more)" if more > 0 else ""
    return ArtifactIntegrityError(
        f"{member} is malformed: {'; '.join(problems)}{tail}",
        fix="the file is corrupt or was altered; use a trusted copy or re-save the model",
    )


def field_path(loc: tuple[int | str, ...] | list[int | str]) -> str:
    """``('plans', 2, 'key_specs', 'id')`` as ``plans[2].key_specs.id``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = str(part)
            text = text if len(text) <= 64 else text[:61] + "..."
            out += f".{text}" if out else text
    return out
