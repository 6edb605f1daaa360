"""Model files: the artifact API models write through, and the safe zip format around it."""

from synthohive.artifacts.api import ArtifactReader, ArtifactWriter
from synthohive.artifacts.memory import MemoryReader, MemoryStore, MemoryWriter

__all__ = ["ArtifactReader", "ArtifactWriter", "MemoryReader", "MemoryStore", "MemoryWriter"]
