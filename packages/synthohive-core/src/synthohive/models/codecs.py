"""The value and dtype codec of :mod:`synthohive.values.codec`, raising SynthoHive's errors.

For model authors: the same functions, but stored JSON the codec did not write raises
:class:`~synthohive.errors.ArtifactIntegrityError` and a value or dtype it cannot describe
:class:`~synthohive.errors.InvalidDataError` (naming the table and column). Only plain JSON
goes in; nothing read back is imported or executed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from synthohive.errors import ArtifactIntegrityError, InvalidDataError
from synthohive.values import codec
from synthohive.values.codec import TaggedValue, object_array

__all__ = [
    "TaggedValue",
    "decode_value",
    "decode_values",
    "describe_dtype",
    "dtype_from_json",
    "dtype_to_json",
    "encode_value",
    "encode_values",
    "object_array",
    "values_from_json",
    "values_to_json",
]

F = TypeVar("F", bound=Callable[..., Any])


def _typed(fn: F) -> F:
    """``fn`` raising SynthoHive's typed errors instead of the codec's own."""

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except codec.MalformedValueError as exc:
            raise ArtifactIntegrityError(str(exc)) from None
        except codec.UnstorableValueError as exc:
            raise InvalidDataError(
                str(exc), table=exc.table, column=exc.column, fix=exc.fix
            ) from None

    return call  # type: ignore[return-value]


encode_value = codec.encode_value  # raises TypeError, as before: callers name the column
decode_value = _typed(codec.decode_value)
encode_values = _typed(codec.encode_values)
decode_values = _typed(codec.decode_values)
values_to_json = _typed(codec.values_to_json)
values_from_json = _typed(codec.values_from_json)
describe_dtype = _typed(codec.describe_dtype)
dtype_to_json = _typed(codec.dtype_to_json)
dtype_from_json = _typed(codec.dtype_from_json)
