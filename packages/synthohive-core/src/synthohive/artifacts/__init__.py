"""Model files: the artifact API models write through, and the safe zip format around it.

``save_model_file``/``read_model_file`` live in :mod:`synthohive.artifacts.modelfile` and are
re-exported here lazily (``import synthohive.artifacts`` stays light).
"""

from __future__ import annotations

from typing import Any

from synthohive.artifacts.api import ArtifactReader, ArtifactWriter
from synthohive.artifacts.memory import MemoryReader, MemoryStore, MemoryWriter, member_segment

_LAZY = {"ModelFile", "read_model_file", "save_model_file"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from synthohive.artifacts import modelfile

        return getattr(modelfile, name)
    raise AttributeError(f"module 'synthohive.artifacts' has no attribute {name!r}")


__all__ = [
    "ArtifactReader",
    "ArtifactWriter",
    "MemoryReader",
    "MemoryStore",
    "MemoryWriter",
    "ModelFile",
    "member_segment",
    "read_model_file",
    "save_model_file",
]
