"""CSV/Parquet folder connectors, the in-memory connector and ``synthohive.connect``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synthohive
from synthohive._io import default_file_mode
from synthohive.connectors import connect
from synthohive.connectors.files import CSVConnector, ParquetConnector
from synthohive.connectors.memory import MemoryConnector
from synthohive.errors import (
    ConnectorError,
    InvalidIdentifierError,
    PluginNotFoundError,
    TableNotFoundError,
)
from synthohive.metadata.schema import Column, Metadata, Table
from synthohive.registry import get_registry


def frame(n: int = 50, offset: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(offset)
    idx = np.arange(offset, offset + n)
    amount = pd.array(rng.integers(0, 1000, n), dtype="Int64")
    amount[::7] = pd.NA
    flag = pd.array(rng.integers(0, 2, n).astype(bool), dtype="boolean")
    flag[::5] = pd.NA
    return pd.DataFrame(
        {
            "id": idx.astype("int64"),
            "code": pd.array([f"{i:05d}" for i in idx], dtype="str"),
            "amount": amount,
            "flag": flag,
            "score": rng.normal(size=n).astype("float32"),
            "city": pd.Categorical(rng.choice(["Paris", "Oslo", "Lima"], n)),
            "seen": pd.Series(
                pd.date_range("2024-03-30", periods=n, freq="7h", tz="Europe/Berlin")
            ).astype(pd.DatetimeTZDtype("ns", "Europe/Berlin")),
            "day": pd.Series(pd.date_range("2020-01-01", periods=n, freq="D")).astype(
                "datetime64[ns]"
            ),
        }
    )


def metadata_for(df: pd.DataFrame, table: str = "orders") -> Metadata:
    sdtypes = {
        "id": "id",
        "code": "id",
        "amount": "numerical",
        "flag": "boolean",
        "score": "numerical",
        "city": "categorical",
        "seen": "datetime",
        "day": "datetime",
    }
    columns = {name: Column(sdtype=sdtypes[name], dtype=str(df[name].dtype)) for name in df.columns}
    return Metadata(tables={table: Table(name=table, columns=columns)})


@pytest.fixture(params=["csv", "parquet"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def make(kind: str, folder: Path, **options: object) -> CSVConnector | ParquetConnector:
    conn = connect(f"{kind}://{folder}", **options)
    assert isinstance(conn, CSVConnector if kind == "csv" else ParquetConnector)
    return conn


def hidden_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# --- round trips ----------------------------------------------------------------------------------
def test_round_trip_restores_dtypes(tmp_path: Path, kind: str) -> None:
    df = frame()
    meta = metadata_for(df)
    conn = make(kind, tmp_path / "out", metadata=meta)
    assert conn.write("orders", df) == len(df)
    assert conn.list_tables() == ["orders"]
    assert conn.path_of("orders").stat().st_mode & 0o777 == default_file_mode()
    back = conn.read("orders")
    pd.testing.assert_frame_equal(back, df, check_categorical=False)
    assert back["city"].dtype == "category"
    assert back["code"].tolist()[:2] == ["00000", "00001"]  # leading zeros kept


def test_csv_without_metadata_is_plain_csv(tmp_path: Path) -> None:
    df = frame(10)
    conn = make("csv", tmp_path)
    conn.write("orders", df)
    back = conn.read("orders")
    assert back["code"].dtype == "int64"  # CSV alone cannot know these were strings
    restored = conn.read("orders", metadata=metadata_for(df))
    pd.testing.assert_frame_equal(restored, df, check_categorical=False)


def test_columns_and_limit(tmp_path: Path, kind: str) -> None:
    df = frame(100)
    conn = make(kind, tmp_path, metadata=metadata_for(df))
    conn.write("orders", df)
    part = conn.read("orders", columns=["id", "score"], limit=7)
    assert list(part.columns) == ["id", "score"]
    assert part["id"].tolist() == list(range(7))
    assert conn.read("orders", limit=0).shape[0] == 0


def test_iter_chunks_streams(tmp_path: Path, kind: str) -> None:
    df = frame(2500)
    conn = make(kind, tmp_path, metadata=metadata_for(df))
    conn.write("orders", [df.iloc[:1200], df.iloc[1200:]])
    chunks = conn.iter_chunks("orders", chunksize=1000)
    assert isinstance(chunks, Iterator)
    sizes = [len(c) for c in chunks]
    assert max(sizes) <= 1000 and sum(sizes) == 2500
    together = pd.concat(list(conn.iter_chunks("orders", chunksize=1000)), ignore_index=True)
    pd.testing.assert_frame_equal(together, df, check_categorical=False)


# --- modes ----------------------------------------------------------------------------------------
def test_mode_error_refuses_existing(tmp_path: Path, kind: str) -> None:
    conn = make(kind, tmp_path)
    conn.write("orders", frame(5))
    before = conn.path_of("orders").read_bytes()
    with pytest.raises(ConnectorError, match="already exists") as info:
        conn.write("orders", frame(9))
    assert "mode='overwrite'" in str(info.value)
    assert conn.path_of("orders").read_bytes() == before
    assert hidden_files(tmp_path) == []


def test_overwrite_and_append(tmp_path: Path, kind: str) -> None:
    first, second = frame(30, 0), frame(20, 30)
    meta = metadata_for(first)
    conn = make(kind, tmp_path, metadata=meta)
    conn.write("orders", frame(3, 100))
    conn.write("orders", first, mode="overwrite")
    pd.testing.assert_frame_equal(conn.read("orders"), first, check_categorical=False)
    conn.write("orders", second[list(reversed(second.columns))], mode="append")
    both = pd.concat([first, second], ignore_index=True)
    pd.testing.assert_frame_equal(conn.read("orders"), both, check_categorical=False)
    assert hidden_files(tmp_path) == []


def test_append_to_missing_table_creates_it(tmp_path: Path, kind: str) -> None:
    conn = make(kind, tmp_path)
    conn.write("fresh", frame(4), mode="append")
    assert len(conn.read("fresh")) == 4


def test_append_with_other_columns_fails_and_keeps_old(tmp_path: Path, kind: str) -> None:
    conn = make(kind, tmp_path)
    conn.write("orders", frame(5))
    before = conn.path_of("orders").read_bytes()
    with pytest.raises(ConnectorError, match=r"missing \['flag'\], unexpected \['other'\]"):
        conn.write("orders", frame(5).rename(columns={"flag": "other"}), mode="append")
    assert conn.path_of("orders").read_bytes() == before
    assert hidden_files(tmp_path) == []


# --- atomicity ------------------------------------------------------------------------------------
def failing_frames(n_ok: int) -> Iterator[pd.DataFrame]:
    for i in range(n_ok):
        yield frame(100, 1000 + 100 * i)
    raise RuntimeError("generator died mid-write")


@pytest.mark.parametrize("mode", ["error", "overwrite", "append"])
def test_failure_mid_write_leaves_old_file(tmp_path: Path, kind: str, mode: str) -> None:
    conn = make(kind, tmp_path)
    target = conn.path_of("orders")
    if mode != "error":
        conn.write("orders", frame(10))
    before = target.read_bytes() if target.exists() else None
    with pytest.raises(RuntimeError, match="mid-write"):
        conn.write("orders", failing_frames(3), mode=mode)  # type: ignore[arg-type]
    if before is None:
        assert not target.exists()
    else:
        assert target.read_bytes() == before
    assert hidden_files(tmp_path) == []


def test_session_is_all_or_nothing(tmp_path: Path, kind: str) -> None:
    conn = make(kind, tmp_path)
    conn.write("customers", frame(3))
    old = conn.path_of("customers").read_bytes()
    with pytest.raises(RuntimeError), conn.begin_write(mode="overwrite") as session:
        session.append("customers", frame(8))
        session.append("orders", frame(20))
        raise RuntimeError("third table failed")
    assert conn.list_tables() == ["customers"]
    assert conn.path_of("customers").read_bytes() == old

    with conn.begin_write(mode="overwrite") as session:
        session.append("customers", frame(8))
        session.append("orders", frame(20))
        session.append("orders", frame(5, 20))
        # nothing is visible before commit
        assert conn.path_of("customers").read_bytes() == old
        assert not conn.path_of("orders").exists()
    assert len(conn.read("customers")) == 8 and len(conn.read("orders")) == 25
    assert hidden_files(tmp_path) == []


def test_chunks_with_different_dtypes(tmp_path: Path) -> None:
    conn = make("parquet", tmp_path)
    a = pd.DataFrame({"x": [1, 2], "y": ["a", None]})
    b = pd.DataFrame({"x": [3, 4], "y": [None, None]})  # all-null chunk
    conn.write("t", [a, b])
    assert conn.read("t")["y"].tolist()[:1] == ["a"]
    with pytest.raises(ConnectorError, match="column types") as info:
        conn.write("t", [a, pd.DataFrame({"x": ["not", "ints"], "y": ["a", "b"]})], mode="append")
    assert "table 't'" in str(info.value)
    assert len(conn.read("t")) == 4


# --- errors ---------------------------------------------------------------------------------------
def test_missing_table_lists_close_matches(tmp_path: Path, kind: str) -> None:
    conn = make(kind, tmp_path)
    conn.write("customers", frame(2))
    conn.write("orders", frame(2))
    with pytest.raises(TableNotFoundError, match="Did you mean 'customers'") as info:
        conn.read("Customer")
    assert "Available tables: customers, orders" in str(info.value)
    assert info.value.table == "Customer"
    with pytest.raises(TableNotFoundError):
        list(conn.iter_chunks("nope"))


def test_missing_folder(tmp_path: Path, kind: str) -> None:
    conn = make(kind, tmp_path / "absent")
    with pytest.raises(ConnectorError, match="does not exist"):
        conn.list_tables()


def test_unwritable_path_names_path_and_fix(tmp_path: Path, kind: str) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    conn = make(kind, blocker / "sub")
    with pytest.raises(ConnectorError) as info:
        conn.write("orders", frame(3))
    message = str(info.value)
    assert str(blocker / "sub") in message and "Fix: choose a writable folder" in message


@pytest.mark.parametrize("name", ["../escape", "a/b", ".hidden", "", "c:d"])
def test_unsafe_table_names(tmp_path: Path, kind: str, name: str) -> None:
    conn = make(kind, tmp_path / "data")
    with pytest.raises(InvalidIdentifierError):
        conn.write(name, frame(2))
    assert not (tmp_path / "escape.csv").exists() and not (tmp_path / "escape.parquet").exists()


def test_odd_but_valid_names_round_trip(tmp_path: Path, kind: str) -> None:
    conn = make(kind, tmp_path)
    df = pd.DataFrame({"a.b": [1, 2], "it's": ["x", "y"], "名前": [1.5, 2.5], "[x]": [True, False]})
    conn.write("Order Items 名前", df)
    assert conn.list_tables() == ["Order Items 名前"]
    pd.testing.assert_frame_equal(conn.read("Order Items 名前"), df)


def test_unknown_mode(tmp_path: Path) -> None:
    with pytest.raises(ConnectorError, match="unknown write mode 'replace'"):
        make("csv", tmp_path).write("t", frame(1), mode="replace")  # type: ignore[arg-type]


# --- memory connector and connect() --------------------------------------------------------------
def test_memory_connector_modes_and_atomicity() -> None:
    df = frame(10)
    conn = connect({"orders": df})
    assert isinstance(conn, MemoryConnector)
    assert conn.list_tables() == ["orders"]
    pd.testing.assert_frame_equal(conn.read("orders"), df)
    out = conn.read("orders", columns=["id"], limit=3)
    out.loc[0, "id"] = -1  # caller's copy; the stored table is unchanged
    assert conn.read("orders")["id"].iloc[0] == 0
    with pytest.raises(ConnectorError, match="already exists"):
        conn.write("orders", df)
    conn.write("orders", frame(5, 10), mode="append")
    assert conn.read("orders")["id"].tolist() == list(range(15))
    with pytest.raises(RuntimeError), conn.begin_write(mode="overwrite") as session:
        session.append("orders", frame(1))
        raise RuntimeError("boom")
    assert len(conn.read("orders")) == 15
    with pytest.raises(TableNotFoundError, match="Did you mean 'orders'"):
        conn.read("order")
    assert [len(c) for c in conn.iter_chunks("orders", chunksize=4)] == [4, 4, 4, 3]


def test_memory_urls_share_a_store() -> None:
    sink = connect("memory://test-connectors-shared")
    sink.write("t", frame(3), mode="overwrite")
    again = connect("memory://test-connectors-shared")
    assert len(again.read("t")) == 3
    assert "t" not in connect("memory://another-store").list_tables()


def test_connect_by_url_and_path(tmp_path: Path) -> None:
    assert isinstance(synthohive.connect(f"csv://{tmp_path}"), CSVConnector)
    assert isinstance(connect(f"parquet://{tmp_path}"), ParquetConnector)
    ParquetConnector(f"parquet://{tmp_path / 'p'}").write("t", frame(2))
    CSVConnector(f"csv://{tmp_path / 'c'}").write("t", frame(2))
    assert isinstance(connect(tmp_path / "p"), ParquetConnector)
    assert isinstance(connect(str(tmp_path / "c")), CSVConnector)
    conn = connect(f"csv://{tmp_path / 'c'}")
    assert connect(conn) is conn
    with pytest.raises(ConnectorError, match=r"not a folder of \.parquet or \.csv"):
        connect(tmp_path / "empty-nothing")
    with pytest.raises(ConnectorError, match="single DataFrame"):
        connect(frame(1))
    with pytest.raises(PluginNotFoundError, match="nosuchscheme"):
        connect("nosuchscheme://x")


def test_builtin_connectors_are_registered() -> None:
    schemes = get_registry().list_connectors()
    assert {"csv", "parquet", "memory"} <= set(schemes)
    reg = get_registry().info("connectors", "csv")
    assert reg.cls is CSVConnector and reg.distribution == "synthohive-core"
