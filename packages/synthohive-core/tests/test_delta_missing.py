"""``delta://`` without the ``[delta]`` extra: a typed error naming the install, not an
ImportError (the core itself never needs deltalake)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import synthohive as sh
from synthohive.errors import ConnectorError


def test_delta_without_deltalake_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "deltalake", None)  # import fails as if not installed
    tmp_path.joinpath("lake").mkdir()
    lake = sh.connect(f"delta://{tmp_path / 'lake'}")
    for action in (lake.list_tables, lambda: lake.begin_write()):
        with pytest.raises(ConnectorError, match=r"synthohive-core\[delta\]"):
            action()
    with pytest.raises(ConnectorError, match="give version or timestamp, not both"):
        sh.connect(f"delta://{tmp_path}?version=1", timestamp="2026-01-01")
    with pytest.raises(ConnectorError, match="version must be a whole number"):
        sh.connect(f"delta://{tmp_path}?version=latest")
