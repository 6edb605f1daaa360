"""``delta://`` (#22, first part): Delta tables read and written without a JVM through
delta-rs (``synthohive-core[delta]``), live on disk - no mocks: the connector kit, the public
Chinook tables (dates as text, nulls) and the demo schema, time travel by version and
timestamp, the write modes, a failed commit rolled back across tables, a killed writer
recovered by the next reader, and the synthesizer streaming into a Delta folder.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import synthohive as sh
from synthohive.connectors.delta import RECORD, DeltaConnector
from synthohive.demo import load_demo
from synthohive.errors import ConnectorError, TableNotFoundError
from synthohive.testing import ConnectorContract, ConnectorRequirements

pytest.importorskip("deltalake", reason="the [delta] extra is installed in this session")

CHINOOK = Path(__file__).resolve().parent / "fixtures" / "chinook"


class TestDeltaContract(ConnectorContract):
    requirements = ConnectorRequirements(exact_dtypes=True)

    def make_connector(self, tmp_path: Path) -> DeltaConnector:
        return DeltaConnector(f"delta://{tmp_path / 'lake'}")


def test_chinook_round_trip_keeps_rows_types_and_text_dates(tmp_path: Path) -> None:
    tables = sh.connect(f"csv://{CHINOOK}").read_all(["customer", "invoice", "employee"])
    lake = sh.connect(f"delta://{tmp_path / 'lake'}")
    with lake.begin_write() as session:
        for name, frame in tables.items():
            session.append(name, frame)
    assert lake.list_tables() == ["customer", "employee", "invoice"]
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(lake.read(name), frame, check_dtype=True)
    assert lake.read("invoice", columns=["invoice_id", "total"], limit=7).shape == (7, 2)
    with pytest.raises(TableNotFoundError, match="Did you mean 'invoice'"):
        lake.read("invoices")


def test_versions_timestamps_and_modes(tmp_path: Path) -> None:
    url = f"delta://{tmp_path / 'lake'}"
    orders = load_demo(["orders"])["orders"]
    lake = sh.connect(url)
    lake.write("orders", orders.head(100))
    time.sleep(0.05)
    between = pd.Timestamp.now(tz="UTC")
    time.sleep(0.05)
    lake.write("orders", orders.iloc[100:150], mode="append")
    assert len(lake.read("orders")) == 150
    assert len(sh.connect(f"{url}?version=0").read("orders")) == 100  # version N-1
    assert len(sh.connect(url, timestamp=between.isoformat()).read("orders")) == 100
    with pytest.raises(ConnectorError, match=r"already exists.*mode='append'"):
        lake.write("orders", orders.head(5))
    lake.write("orders", orders.head(5)[["order_id", "status"]], mode="overwrite")
    assert list(lake.read("orders").columns) == ["order_id", "status"]  # schema replaced
    assert [h["version"] for h in lake.history("orders")] == [2, 1, 0]
    with pytest.raises(ConnectorError, match="read-only"):
        sh.connect(f"{url}?version=0").write("orders", orders.head(1), mode="append")
    with pytest.raises(ConnectorError, match="unknown delta:// URL parameter"):
        sh.connect(f"{url}?versoin=1")


def test_a_failed_commit_is_rolled_back_on_every_table(tmp_path: Path) -> None:
    lake = sh.connect(f"delta://{tmp_path / 'lake'}")
    demo = load_demo(["customers", "orders"])
    lake.write("customers", demo["customers"].head(50))
    lake.write("orders", demo["orders"].head(50))
    with pytest.raises(ConnectorError, match="rolled back"):  # noqa: SIM117
        with lake.begin_write(None, "append") as session:
            session.append("customers", demo["customers"].iloc[50:80])  # commits first
            session.append("orders", demo["orders"].head(5).assign(discount="high"))  # bad type
    pd.testing.assert_frame_equal(lake.read("customers"), demo["customers"].head(50))
    assert len(lake.read("orders")) == 50
    assert not (tmp_path / "lake" / RECORD).exists()
    assert not list((tmp_path / "lake").glob(".shv-stage-*"))


KILLED = """
import os, sys
import deltalake
import synthohive as sh
from synthohive.demo import load_demo

real = deltalake.write_deltalake
calls = []
def dying(*args, **kwargs):
    real(*args, **kwargs)
    calls.append(1)
    if len(calls) == 1:
        os._exit(86)  # killed after the first table's Delta commit
deltalake.write_deltalake = dying
demo = load_demo(["customers", "orders"])
lake = sh.connect(sys.argv[1])
with lake.begin_write(None, "append") as session:
    session.append("customers", demo["customers"].iloc[50:90])
    session.append("orders", demo["orders"].iloc[50:90])
    session.append("new_table", demo["orders"].head(3))
"""


def test_a_killed_writer_is_rolled_back_by_the_next_reader(tmp_path: Path) -> None:
    url = f"delta://{tmp_path / 'lake'}"
    lake = sh.connect(url)
    demo = load_demo(["customers", "orders"])
    lake.write("customers", demo["customers"].head(50))
    lake.write("orders", demo["orders"].head(50))
    done = subprocess.run([sys.executable, "-c", KILLED, url], capture_output=True, text=True)
    assert done.returncode == 86, done.stderr[-2000:]
    assert (tmp_path / "lake" / RECORD).exists()  # the interrupted commit's record
    again = sh.connect(url)
    assert again.list_tables() == ["customers", "orders"]  # recovered: all-old
    assert len(again.read("customers")) == 50 and len(again.read("orders")) == 50
    assert not (tmp_path / "lake" / RECORD).exists()


def test_synthesizer_reads_and_streams_delta(tmp_path: Path) -> None:
    source = sh.connect(f"delta://{tmp_path / 'source'}")
    with source.begin_write() as session:
        for name, frame in load_demo().items():
            session.append(name, frame)
    tables = source.read_all()
    synth = sh.Synthesizer(sh.Metadata.detect(tables), seed=0, progress=False).fit(tables)
    out = f"delta://{tmp_path / 'out'}"
    synth.sample(scale=2.0, sink=out, chunk_rows=2000)
    fake = sh.connect(out).read_all()
    assert len(fake["customers"]) == 2 * len(tables["customers"])
    assert fake["orders"]["customer_id"].isin(fake["customers"]["customer_id"]).all()
    with pytest.raises(ConnectorError, match="already exists"):  # never overwritten by default
        synth.sample(scale=0.1, sink=out)


def _delta_jars() -> list[str]:
    """Delta Lake's Spark jars where this machine has them (nothing downloads them)."""
    import os

    import pyspark

    places = [Path(pyspark.__file__).parent / "jars"]
    if os.environ.get("SPARK_HOME"):
        places.append(Path(os.environ["SPARK_HOME"]) / "jars")
    places += Path.home().glob(".ivy2*/jars")
    found = sorted({str(j) for p in places if p.is_dir() for j in p.glob("*delta*.jar")})
    return found if any("delta-spark" in Path(j).name for j in found) else []


DELTA_SPARK_READER = """
import sys
from pyspark.sql import SparkSession
path, jars = sys.argv[1], sys.argv[2]
spark = (SparkSession.builder.master("local[1]").config("spark.jars", jars)
    .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
    .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
    .getOrCreate())
now = spark.read.format("delta").load(path).count()
before = spark.read.format("delta").option("versionAsOf", 0).load(path).count()
print(now, before)
"""


@pytest.mark.skipif(
    not _delta_jars(),
    reason="Delta Lake's Spark jars (io.delta:delta-spark) are not on this machine and Maven "
    "is not reachable from it; the test runs wherever the jars are installed",
)
def test_delta_spark_reads_what_delta_rs_wrote(tmp_path: Path) -> None:
    """The cluster path: delta-spark reads the tables (and their versions) we write."""
    import subprocess
    import sys

    url = f"delta://{tmp_path / 'lake'}"
    orders = load_demo(["orders"])["orders"]
    lake = sh.connect(url)
    lake.write("orders", orders.head(100))
    lake.write("orders", orders.iloc[100:130], mode="append")
    script = tmp_path / "read.py"
    script.write_text(DELTA_SPARK_READER)
    jars = ",".join(_delta_jars())
    out = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "lake" / "orders"), jars],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-2:] == ["130", "100"]
