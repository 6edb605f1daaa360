"""Issue 9 item 6, end to end on live databases: load the demo retail schema into a source
schema, ``Synthesizer.fit(url)`` with the reflected metadata, ``sample(sink=url)`` into another
schema whose tables carry FK constraints (the database accepting every row is the referential
integrity proof), then read back. PostgreSQL, MariaDB and SQLite (file)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from synthohive import Synthesizer
from synthohive.demo import demo_metadata, load_demo
from synthohive_sql.connector import SQLConnector
from synthohive_sql.testing import backend_url

ORDER = ("customers", "products", "orders", "order_items")


def _small_demo() -> dict[str, pd.DataFrame]:
    data = load_demo()
    customers = data["customers"].iloc[:150]
    orders = data["orders"][data["orders"]["customer_id"].isin(customers["customer_id"])]
    items = data["order_items"][data["order_items"]["order_id"].isin(orders["order_id"])]
    return {
        "customers": customers,
        "products": data["products"],
        "orders": orders,
        "order_items": items,
    }


@pytest.mark.slow
@pytest.mark.parametrize(
    "kind",
    [
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("mariadb", marks=pytest.mark.mariadb),
        "sqlite",
    ],
)
def test_fit_from_database_and_sample_into_database(kind: str, tmp_path: Any) -> None:
    data = _small_demo()
    with backend_url(kind, str(tmp_path)) as src_url, backend_url(kind, str(tmp_path)) as dst_url:
        src = SQLConnector(src_url)
        with src.begin_write(demo_metadata(), "error") as session:
            for name in ORDER:
                session.append(name, data[name])

        syn = Synthesizer(seed=0)
        syn.fit(src_url)
        assert {(r.child, r.parent) for r in syn.metadata.relations} == {
            ("orders", "customers"),
            ("order_items", "orders"),
            ("order_items", "products"),
        }
        summary = syn.sample(scale=0.5, sink=dst_url)
        assert summary["tables"]["customers"] == 75

        dst = SQLConnector(dst_url)
        reflected = dst.metadata(refine=False)
        assert {(r.child, r.parent) for r in reflected.relations} == {
            ("orders", "customers"),
            ("order_items", "orders"),
            ("order_items", "products"),
        }  # the FK constraints exist, so every written row satisfied them
        assert dst.list_tables() == sorted(ORDER) or set(dst.list_tables()) == set(ORDER)
        back = {t: dst.read(t) for t in ORDER}
        for name, rows in summary["tables"].items():
            assert len(back[name]) == rows
        assert back["customers"]["customer_id"].is_unique
        assert back["orders"]["customer_id"].isin(back["customers"]["customer_id"]).all()
        assert back["order_items"]["product_id"].isin(back["products"]["product_id"]).all()
        assert set(back["customers"]["segment"].dropna()) <= set(data["customers"]["segment"])
        report = syn.evaluate(synthetic=back)  # against the profile learned from the database
        assert report.overall >= 0.7, report.summary() if callable(report.summary) else report
        # the database rejects a row that breaks the published FK
        with dst.engine.connect() as db:
            orders = sa.Table("orders", sa.MetaData(), schema=dst.schema, autoload_with=db)
        bad: dict[str, Any] = {c.name: None for c in orders.columns}
        bad.update({"order_id": 10**9, "customer_id": -12345})
        with pytest.raises(sa.exc.IntegrityError), dst.engine.begin() as db:
            db.execute(orders.insert().values(bad))
        src.close()
        dst.close()
