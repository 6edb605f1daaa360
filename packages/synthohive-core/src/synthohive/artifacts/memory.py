"""In-memory artifact store: the member bytes a model file holds, without the zip around them.

The model file (``synthohive.artifacts.modelfile``) writes and reads these members; tests use
the store directly to round-trip a model's state.
"""

from __future__ import annotations

import io
import json
import math
from typing import Any

import numpy as np

from synthohive.errors import ArtifactError, ArtifactIntegrityError

_ALLOWED_KINDS = "biufcSUM"  # bool, ints, floats, complex, fixed bytes/str, datetime64


def _check_json_value(obj: Any, path: str, depth: int = 0) -> None:
    if depth > 64:
        raise ArtifactError(f"JSON member {path!r} is nested deeper than 64 levels")
    if isinstance(obj, float) and not math.isfinite(obj):
        raise ArtifactError(f"JSON member {path!r} holds a non-finite number")
    if isinstance(obj, dict):
        for k, v in obj.items():
            if not isinstance(k, str):
                raise ArtifactError(f"JSON member {path!r} has a non-string key {k!r}")
            _check_json_value(v, path, depth + 1)
    elif isinstance(obj, list | tuple):
        for v in obj:
            _check_json_value(v, path, depth + 1)
    elif not isinstance(obj, str | int | float | bool | type(None)):
        raise ArtifactError(
            f"JSON member {path!r} holds a {type(obj).__name__}; only plain JSON values are allowed"
        )


def encode_json(obj: Any, name: str) -> bytes:
    """Strict JSON bytes (finite numbers, string keys, plain containers)."""
    _check_json_value(obj, name)
    return json.dumps(obj, allow_nan=False, ensure_ascii=False, sort_keys=True).encode("utf-8")


def encode_array(array: np.ndarray, name: str) -> bytes:
    """``.npy`` bytes of a non-object array."""
    array = np.asarray(array)
    if array.dtype.kind not in _ALLOWED_KINDS:
        raise ArtifactError(
            f"array member {name!r} has dtype {array.dtype}; object arrays cannot be stored",
            fix="convert to a numeric or fixed-width string dtype",
        )
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def decode_array(data: bytes, name: str) -> np.ndarray:
    """Parse ``.npy`` bytes with ``allow_pickle=False``."""
    try:
        return np.load(io.BytesIO(data), allow_pickle=False)
    except ValueError as exc:
        raise ArtifactIntegrityError(f"member {name!r} is not a valid numpy array: {exc}") from None


def encode_tensors(tensors: dict[str, np.ndarray], name: str) -> bytes:
    """safetensors bytes of a dict of numeric arrays."""
    from safetensors.numpy import save

    clean: dict[str, np.ndarray] = {}
    for key, arr in tensors.items():
        arr = np.ascontiguousarray(arr)
        if arr.dtype.kind not in "biuf":
            raise ArtifactError(f"tensor {key!r} in {name!r} has unsupported dtype {arr.dtype}")
        clean[key] = arr
    return bytes(save(clean))


def decode_tensors(data: bytes, name: str) -> dict[str, np.ndarray]:
    """Parse safetensors bytes (the format cannot carry code)."""
    from safetensors.numpy import load

    try:
        return dict(load(data))
    except Exception as exc:  # safetensors raises its own SafetensorError / various
        raise ArtifactIntegrityError(
            f"member {name!r} is not a valid safetensors file: {exc}"
        ) from None


def decode_json(data: bytes, name: str) -> Any:
    """Parse strict JSON (rejects NaN/Infinity literals and deep nesting)."""

    def _no_constants(token: str) -> Any:
        raise ArtifactIntegrityError(f"member {name!r} holds the non-finite JSON value {token}")

    try:
        obj = json.loads(data.decode("utf-8"), parse_constant=_no_constants)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ArtifactIntegrityError(f"member {name!r} is not valid JSON: {exc}") from None
    try:
        _check_json_value(obj, name)
    except ArtifactError as exc:
        raise ArtifactIntegrityError(str(exc)) from None
    return obj


class MemoryStore:
    """Member name -> bytes. The single source both writer and reader views work on."""

    def __init__(self, members: dict[str, bytes] | None = None) -> None:
        self.members: dict[str, bytes] = dict(members or {})

    def writer(self, prefix: str = "") -> MemoryWriter:
        """A writer rooted at ``prefix``."""
        return MemoryWriter(self, prefix)

    def reader(self, prefix: str = "") -> MemoryReader:
        """A reader rooted at ``prefix``."""
        return MemoryReader(self, prefix)


def _join(prefix: str, name: str) -> str:
    if not name or name.startswith("/") or ".." in name.split("/"):
        raise ArtifactError(f"invalid member name {name!r}")
    return f"{prefix}/{name}" if prefix else name


class MemoryWriter:
    """``ArtifactWriter`` over a :class:`MemoryStore`."""

    def __init__(self, store: MemoryStore, prefix: str = "") -> None:
        self.store = store
        self.prefix = prefix

    def _put(self, member: str, data: bytes) -> None:
        if member in self.store.members:
            raise ArtifactError(f"member {member!r} written twice")
        self.store.members[member] = data

    def write_json(self, name: str, obj: Any) -> None:
        member = _join(self.prefix, name) + ".json"
        self._put(member, encode_json(obj, member))

    def write_array(self, name: str, array: np.ndarray) -> None:
        member = _join(self.prefix, name) + ".npy"
        self._put(member, encode_array(array, member))

    def write_tensors(self, name: str, tensors: dict[str, np.ndarray]) -> None:
        member = _join(self.prefix, name) + ".safetensors"
        self._put(member, encode_tensors(tensors, member))

    def child(self, prefix: str) -> MemoryWriter:
        return MemoryWriter(self.store, _join(self.prefix, prefix))


class MemoryReader:
    """``ArtifactReader`` over a :class:`MemoryStore`."""

    def __init__(self, store: MemoryStore, prefix: str = "") -> None:
        self.store = store
        self.prefix = prefix

    def _get(self, member: str) -> bytes:
        try:
            return self.store.members[member]
        except KeyError:
            raise ArtifactIntegrityError(
                f"model file has no member {member!r}",
                fix="the file is incomplete or from another model; re-save it",
            ) from None

    def read_json(self, name: str) -> Any:
        member = _join(self.prefix, name) + ".json"
        return decode_json(self._get(member), member)

    def read_array(self, name: str) -> np.ndarray:
        member = _join(self.prefix, name) + ".npy"
        return decode_array(self._get(member), member)

    def read_tensors(self, name: str) -> dict[str, np.ndarray]:
        member = _join(self.prefix, name) + ".safetensors"
        return decode_tensors(self._get(member), member)

    def has(self, name: str) -> bool:
        base = _join(self.prefix, name)
        return any(base + ext in self.store.members for ext in (".json", ".npy", ".safetensors"))

    def child(self, prefix: str) -> MemoryReader:
        return MemoryReader(self.store, _join(self.prefix, prefix))
