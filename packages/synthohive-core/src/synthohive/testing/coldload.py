"""Cold load in a fresh process: save members to files, load them elsewhere, compare samples.

``python -m synthohive.testing.coldload SOURCE NAME IMPORT_PATH N SEED OUT_JSON`` reads a model
file (``SOURCE`` a file, via ``read_model_file``) or the member files under ``SOURCE`` (a folder)
into a :class:`~synthohive.artifacts.MemoryStore`, resolves the
model class by registry name (falling back to ``IMPORT_PATH`` = ``module:QualName`` given by the
test, never by the file), loads it, samples ``N`` rows with ``SEED`` and writes
:func:`canonical` of the result to ``OUT_JSON``.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from synthohive.artifacts.memory import MemoryStore


def canonical(frame: pd.DataFrame) -> dict[str, Any]:
    """An exact, JSON-able fingerprint of a frame: labels, dtypes, index and value reprs."""
    return {
        "columns": [repr(c) for c in frame.columns],
        "dtypes": [str(t) for t in frame.dtypes],
        "index": repr(frame.index.tolist()),
        "values": [[repr(v) for v in frame.iloc[:, i].tolist()] for i in range(frame.shape[1])],
    }


def dump_members(store: MemoryStore, folder: Path) -> None:
    """Write each member of ``store`` as its own file under ``folder``."""
    for name, data in store.members.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def read_members(folder: Path) -> MemoryStore:
    """The inverse of :func:`dump_members`."""
    members = {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }
    return MemoryStore(members)


def resolve_class(name: str, import_path: str) -> Any:
    """The model class registered as ``name``; the test's ``import_path`` when not registered."""
    try:
        from synthohive.registry import get_registry

        cls = get_registry().get_model(name)
        if f"{cls.__module__}:{cls.__qualname__}" == import_path:
            return cls
    except Exception:  # registry missing or name not registered: use the test's import path
        pass
    module, _, qual = import_path.partition(":")
    obj: Any = importlib.import_module(module)
    for part in qual.split("."):
        obj = getattr(obj, part)
    return obj


def registered(name: str, cls: Any) -> bool:
    """Whether the registry resolves ``name`` to exactly ``cls``."""
    try:
        from synthohive.registry import get_registry

        return bool(get_registry().get_model(name) is cls)
    except Exception:  # no registry, or the name is not registered
        return False


def main(argv: list[str]) -> int:
    """Entry point of the fresh process."""
    source, name, import_path, n, seed, out = argv
    cls = resolve_class(name, import_path)
    path = Path(source)
    if path.is_file():
        from synthohive.artifacts.modelfile import read_model_file

        reader = read_model_file(path).reader
    else:
        reader = read_members(path).reader()
    model = cls.load(reader)
    frame = model.sample(int(n), seed=int(seed))
    Path(out).write_text(json.dumps(canonical(frame)), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
