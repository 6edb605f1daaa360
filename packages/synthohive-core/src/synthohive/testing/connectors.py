"""``ConnectorContract``: the conformance suite a connector plugin runs in its own tests.

Subclass it and implement ``make_connector(tmp_path)`` returning a connector on an empty,
writable location (a temporary folder, a fresh database schema...). Declare what the
connector cannot do with :class:`ConnectorRequirements`; those checks become skips that say
why. The checks: round trip of typed rows, ``list_tables``, the three write modes, a failed
multi-table write leaving every target as it was, ``iter_chunks`` covering every row once,
``TableNotFoundError`` for a missing table, unknown write modes refused, and parents-before-
children streaming of several chunks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest

from synthohive.connectors.base import Connector
from synthohive.errors import ConnectorError, TableNotFoundError


@dataclass(frozen=True)
class ConnectorRequirements:
    """What a connector supports; ``False`` turns the matching checks into reasoned skips."""

    append: bool = True
    atomic_multi_table: bool = True
    exact_dtypes: bool = False
    """Whether int/float/str/bool/datetime dtypes come back exactly (CSV cannot)."""


def sample_frame(n: int = 120, seed: int = 0) -> pd.DataFrame:
    """Typed rows every connector must carry: ints, floats, strings, booleans, nulls, times."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": np.arange(n, dtype="int64"),
            "amount": rng.normal(50, 5, n).round(2),
            "label": rng.choice(["alpha", "beta", "gamma"], n),
            "flag": rng.random(n) < 0.5,
            "maybe": np.where(rng.random(n) < 0.2, np.nan, rng.normal(size=n)),
            "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D"),
        }
    )


class ConnectorContract:
    """Subclass, set ``requirements`` if needed, and implement :meth:`make_connector`."""

    requirements: ClassVar[ConnectorRequirements] = ConnectorRequirements()

    def make_connector(self, tmp_path: Path) -> Connector:
        """A connector on an empty, writable location."""
        raise NotImplementedError

    @pytest.fixture
    def connector(self, tmp_path: Path) -> Any:
        conn = self.make_connector(tmp_path)
        try:
            yield conn
        finally:
            conn.close()

    # --- helpers -------------------------------------------------------------------------------
    @staticmethod
    def _sorted(df: pd.DataFrame) -> pd.DataFrame:
        return df.sort_values("id").reset_index(drop=True)

    def _same(self, got: pd.DataFrame, want: pd.DataFrame) -> None:
        got, want = self._sorted(got), self._sorted(want)
        assert list(got.columns) == list(want.columns)
        assert len(got) == len(want)
        if self.requirements.exact_dtypes:
            pd.testing.assert_frame_equal(got, want, check_dtype=False, check_exact=False)
            return
        assert (got["id"].astype("int64").to_numpy() == want["id"].to_numpy()).all()
        assert np.allclose(got["amount"].astype(float), want["amount"])
        assert (got["label"].astype(str).to_numpy() == want["label"].to_numpy()).all()
        assert (got["maybe"].isna().to_numpy() == want["maybe"].isna().to_numpy()).all()

    # --- checks --------------------------------------------------------------------------------
    def test_round_trip(self, connector: Connector) -> None:
        df = sample_frame()
        assert connector.write("events", df) == len(df)
        assert "events" in connector.list_tables()
        self._same(connector.read("events"), df)

    def test_error_mode_refuses_existing_table(self, connector: Connector) -> None:
        connector.write("events", sample_frame(10))
        with pytest.raises(ConnectorError):
            connector.write("events", sample_frame(5), mode="error")
        assert len(connector.read("events")) == 10

    def test_overwrite_replaces_rows(self, connector: Connector) -> None:
        connector.write("events", sample_frame(30))
        connector.write("events", sample_frame(7, seed=1), mode="overwrite")
        self._same(connector.read("events"), sample_frame(7, seed=1))

    def test_append_adds_rows(self, connector: Connector) -> None:
        if not self.requirements.append:
            pytest.skip("connector declares append=False")
        first = sample_frame(20)
        second = sample_frame(15, seed=2)
        second["id"] = second["id"] + 1000
        connector.write("events", first)
        connector.write("events", second, mode="append")
        self._same(connector.read("events"), pd.concat([first, second], ignore_index=True))

    def test_failed_write_leaves_targets_unchanged(self, connector: Connector) -> None:
        if not self.requirements.atomic_multi_table:
            pytest.skip("connector declares atomic_multi_table=False")
        before = sample_frame(12)
        connector.write("events", before)
        with pytest.raises(RuntimeError, match="injected"):  # noqa: SIM117
            with connector.begin_write(None, "overwrite") as session:
                session.append("events", sample_frame(50, seed=3))
                session.append("others", sample_frame(5, seed=4))
                raise RuntimeError("injected failure")
        self._same(connector.read("events"), before)
        assert "others" not in connector.list_tables()

    def test_streamed_chunks_arrive_whole(self, connector: Connector) -> None:
        chunks = []
        for s in range(4):
            chunk = sample_frame(25, seed=s)
            chunk["id"] = chunk["id"] + 100 * s
            chunks.append(chunk)
        with connector.begin_write(None, "error") as session:
            for chunk in chunks:
                session.append("events", chunk)
        self._same(connector.read("events"), pd.concat(chunks, ignore_index=True))

    def test_iter_chunks_covers_every_row_once(self, connector: Connector) -> None:
        df = sample_frame(103)
        connector.write("events", df)
        parts = list(connector.iter_chunks("events", chunksize=20))
        assert all(len(p) <= 20 for p in parts)
        ids = pd.concat(parts)["id"].astype("int64")
        assert sorted(ids.tolist()) == list(range(103))

    def test_missing_table_is_typed(self, connector: Connector) -> None:
        connector.write("events", sample_frame(3))
        with pytest.raises(TableNotFoundError):
            connector.read("evnets")

    def test_unknown_mode_is_refused(self, connector: Connector) -> None:
        with pytest.raises(ConnectorError, match="mode"):
            connector.write("events", sample_frame(3), mode="upsert")  # type: ignore[arg-type]
