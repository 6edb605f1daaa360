"""The artifact API models use to save and load their state: named JSON documents and arrays.

Models never see the zip file. They get an :class:`ArtifactWriter` in ``save`` and an
:class:`ArtifactReader` in ``load``, both scoped to a prefix (``child("encoder")``). JSON must be
strict (finite numbers, plain containers); arrays are numeric numpy arrays (never object dtype);
``write_tensors`` stores a dict of arrays as one safetensors member (weights, written from CPU).
Nothing stored can execute code when read back.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class ArtifactWriter(Protocol):
    """Write named members under this writer's prefix."""

    def write_json(self, name: str, obj: Any) -> None:
        """Store ``obj`` (dicts, lists, str, int, finite float, bool, None) as ``name.json``."""

    def write_array(self, name: str, array: np.ndarray) -> None:
        """Store one numeric/bool/fixed-width-string array as ``name.npy``."""

    def write_tensors(self, name: str, tensors: dict[str, np.ndarray]) -> None:
        """Store named numeric arrays as one ``name.safetensors`` member."""

    def child(self, prefix: str) -> ArtifactWriter:
        """A writer whose member names are prefixed with ``prefix/``."""


@runtime_checkable
class ArtifactReader(Protocol):
    """Read members written by the matching writer; every read is already integrity-checked."""

    def read_json(self, name: str) -> Any:
        """Return the JSON document ``name``."""

    def read_array(self, name: str) -> np.ndarray:
        """Return the array ``name`` (loaded with ``allow_pickle=False``)."""

    def read_tensors(self, name: str) -> dict[str, np.ndarray]:
        """Return the named arrays stored by ``write_tensors(name, ...)``."""

    def has(self, name: str) -> bool:
        """Whether a member ``name`` (any kind) exists under this prefix."""

    def child(self, prefix: str) -> ArtifactReader:
        """A reader scoped to ``prefix/``."""
