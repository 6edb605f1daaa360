"""Safe CLI writes into live PostgreSQL, MariaDB and SQLite (issue #18 item 1).

``synthohive sample``/``sanitize`` leave an existing table alone by default (one line, exit 1),
``--mode overwrite`` replaces it keeping the model's PK/FK constraints, and ``--mode append``
adds rows whose keys continue after the table's (0 repeated keys, 0 dangling references).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from synthohive import Synthesizer
from synthohive.cli import build_cli
from synthohive.metadata.schema import Metadata
from synthohive.testing.schemas import integrity_problems, retail_schema
from synthohive_sql.connector import SQLConnector
from synthohive_sql.testing import backend_url

BACKENDS = [
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("mariadb", marks=pytest.mark.mariadb),
    "sqlite",
]


def _run(*args: str) -> Result:
    return CliRunner().invoke(build_cli(), list(args))


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with backend_url(request.param, str(tmp_path)) as u:
        yield u


@pytest.fixture(scope="module")
def retail(tmp_path_factory: pytest.TempPathFactory) -> tuple[Metadata, Path]:
    meta, data = retail_schema(seed=0, n_customers=120, n_products=60)
    path = tmp_path_factory.mktemp("model") / "retail.shm"
    Synthesizer(meta, seed=0, progress=False).fit(data).save(path)
    return meta, path


def _constraints(conn: SQLConnector) -> dict[str, Any]:
    insp = sa.inspect(conn.engine)
    return {
        t: (
            insp.get_pk_constraint(t, schema=conn.schema)["constrained_columns"],
            sorted(
                (tuple(fk["constrained_columns"]), fk["referred_table"])
                for fk in insp.get_foreign_keys(t, schema=conn.schema)
            ),
        )
        for t in conn.list_tables()
    }


def test_sample_schema_into_database(retail: tuple[Metadata, Path], url: str) -> None:
    meta, model = retail
    first = _run("sample", str(model), "--scale", "0.5", "--seed", "1", "-o", url)
    assert first.exit_code == 0, first.output
    conn = SQLConnector(url)
    before = conn.read_all()
    keys = _constraints(conn)
    assert keys["order_items"][0] == ["item_id"] and len(keys["order_items"][1]) == 2

    again = _run("sample", str(model), "--scale", "0.5", "--seed", "2", "-o", url)
    assert again.exit_code == 1 and again.output.count("\n") == 1, again.output
    assert "already exist" in again.output and "--mode overwrite" in again.output
    for name, frame in conn.read_all().items():  # existing data survives a default run
        pd.testing.assert_frame_equal(frame, before[name])

    for _ in range(2):
        res = _run(
            "sample", str(model), "--scale", "0.5", "--seed", "1", "-o", url, "--mode", "append"
        )
        assert res.exit_code == 0, res.output
    conn.forget()
    after = conn.read_all()
    assert integrity_problems(meta, after) == []
    assert len(after["customers"]) == 3 * len(before["customers"])
    assert all(len(after[t]) > len(before[t]) for t in meta.tables)
    assert _constraints(conn) == keys

    res = _run("sample", str(model), "--scale", "0.25", "-o", url, "--mode", "overwrite")
    assert res.exit_code == 0, res.output
    conn.forget()
    replaced = conn.read_all()
    assert len(replaced["customers"]) == len(before["customers"]) // 2
    assert integrity_problems(meta, replaced) == []
    assert _constraints(conn) == keys  # overwrite keeps PK/FK constraints
    conn.close()


def test_sample_rows_into_existing_user_table(url: str, tmp_path: Path) -> None:
    """The issue's case: ``sample -n N -o <db-url>`` where the table already holds data."""
    rng = np.random.default_rng(0)
    real = pd.DataFrame({"id": np.arange(1, 201), "amount": rng.gamma(2.0, 50.0, 200).round(2)})
    meta = Metadata.detect(real, table_name="payments")
    meta.set_primary_key("payments", "id")
    model = tmp_path / "payments.shm"
    Synthesizer(meta, seed=0, progress=False).fit(real).save(model)
    conn = SQLConnector(url)
    conn.write("payments", real, metadata=meta)

    res = _run("sample", str(model), "-n", "50", "-o", url)
    assert res.exit_code == 1, res.output
    assert "table 'payments' already exists" in res.output and "--mode overwrite" in res.output
    pd.testing.assert_frame_equal(conn.read("payments"), real, check_dtype=False)

    res = _run("sample", str(model), "-n", "50", "-o", url, "--mode", "append")
    assert res.exit_code == 0, res.output
    out = conn.read("payments")
    assert len(out) == 250 and out["id"].is_unique and out["id"].iloc[200:].min() > 200

    res = _run("sample", str(model), "-n", "30", "-o", url, "--force")
    assert res.exit_code == 0, res.output
    conn.forget()
    assert len(conn.read("payments")) == 30
    pk = sa.inspect(conn.engine).get_pk_constraint("payments", schema=conn.schema)
    assert pk["constrained_columns"] == ["id"]
    conn.close()


def test_sanitize_into_database_keeps_keys(url: str, tmp_path: Path) -> None:
    src = tmp_path / "people.csv"
    pd.DataFrame(
        {"person_id": np.arange(1, 41), "email": [f"p{i}@mail.example" for i in range(40)]}
    ).to_csv(src, index=False)
    meta_path = tmp_path / "meta.json"
    assert _run("detect", str(src), "-o", str(meta_path)).exit_code == 0
    meta = Metadata.from_json(meta_path)
    meta.set_primary_key("people", "person_id")
    meta.to_json(meta_path)
    args = ["sanitize", str(src), "--metadata", str(meta_path), "-o", url]
    assert _run(*args).exit_code == 0
    res = _run(*args)
    assert res.exit_code == 1 and "table 'people' already exists" in res.output
    assert _run(*args, "--force").exit_code == 0
    conn = SQLConnector(url)
    pk = sa.inspect(conn.engine).get_pk_constraint("people", schema=conn.schema)
    assert pk["constrained_columns"] == ["person_id"]
    assert len(conn.read("people")) == 40
    conn.close()
