"""The runnable examples run as documented (fresh processes, temporary output folders)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.parametrize("script", ["quickstart.py", "relational_to_parquet.py"])
def test_example_runs(script: str, tmp_path: Path) -> None:
    res = subprocess.run(
        [sys.executable, str(EXAMPLES / script), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    if script == "quickstart.py":
        assert "overall quality" in res.stdout
        assert (tmp_path / "out" / "customers.shm").stat().st_size > 0
    else:
        assert "every order points at a generated customer" in res.stdout
        assert {p.name for p in (tmp_path / "out").glob("*.parquet")} == {
            "customers.parquet",
            "products.parquet",
            "orders.parquet",
            "order_items.parquet",
        }
