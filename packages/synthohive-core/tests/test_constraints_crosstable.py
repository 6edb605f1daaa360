"""Rules between tables (#20): a parent's total is the sum of its children, a count column is
the number of children, a child is dated after its parent - exact on every row, in memory,
streamed at scale 10 and after a cold load; plus the row rules that are new with them
(range, one_hot, formula, unique) through the synthesizer, and their errors.

Data: the embedded retail schema with the columns real schemas carry on top of it (order
totals, item counts, orders placed after sign-up), and the public Chinook invoices, whose
totals are the sums of their lines' prices.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synthohive as sh
from synthohive.errors import ConstraintError
from synthohive.testing.data import shop_metadata as shop_meta
from synthohive.testing.data import shop_schema as shop

CHINOOK = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "chinook"


def check_shop(fake: dict[str, pd.DataFrame]) -> None:
    c, o, it = fake["customers"], fake["orders"], fake["order_items"]
    assert len(o) and len(it)
    assert o["customer_id"].isin(c["customer_id"]).all()
    assert it["order_id"].isin(o["order_id"]).all()
    signup = o["customer_id"].map(c.set_index("customer_id")["signup_at"])
    assert (o["ordered_at"] >= signup).all()
    sums = o["order_id"].map(it.groupby("order_id")["amount"].sum()).fillna(0.0)
    assert np.isclose(o["total"], sums, rtol=0, atol=1e-6).all()
    assert (o["order_id"].map(it.groupby("order_id").size()).fillna(0) == o["n_items"]).all()
    assert (c["customer_id"].map(o.groupby("customer_id").size()).fillna(0) == c["n_orders"]).all()
    assert np.isclose(it["amount"], np.round(it["quantity"] * it["unit_price"], 2)).all()


@pytest.fixture(scope="module")
def fitted_shop() -> tuple[dict[str, pd.DataFrame], sh.Synthesizer]:
    tables = shop()
    return tables, sh.Synthesizer(shop_meta(tables), seed=0, progress=False).fit(tables)


def test_cross_table_rules_hold_in_memory_streamed_at_scale_10_and_after_a_cold_load(
    fitted_shop: tuple[dict[str, pd.DataFrame], sh.Synthesizer], tmp_path: Path
) -> None:
    tables, synth = fitted_shop
    fake = synth.sample(scale=1.0)
    check_shop(fake)
    # the totals follow the children, whose values stay as learned
    for col in ("unit_price", "amount"):
        real_mean = tables["order_items"][col].mean()
        assert abs(fake["order_items"][col].mean() - real_mean) < 0.2 * real_mean, col
    report = synth.evaluate(tables, fake)
    rules = report.details("Constraints")
    assert len(rules) == 5 and all(r["score"] == 1.0 for r in rules)
    assert all(r["details"]["real_share"] == 1.0 for r in rules)

    out = tmp_path / "out"
    synth.sample(scale=10.0, sink=f"parquet://{out}", chunk_rows=1500)
    streamed = {name: pd.read_parquet(out / f"{name}.parquet") for name in tables}
    assert len(streamed["customers"]) == 10 * len(tables["customers"])
    check_shop(streamed)

    synth.save(tmp_path / "shop.shm")
    again = sh.Synthesizer.load(tmp_path / "shop.shm")
    for name, frame in again.sample(scale=1.0, seed=3).items():
        pd.testing.assert_frame_equal(frame, synth.sample(scale=1.0, seed=3)[name])


def test_quality_with_the_rules_is_not_lower_than_without(
    fitted_shop: tuple[dict[str, pd.DataFrame], sh.Synthesizer],
) -> None:
    tables, synth = fitted_shop
    plain = sh.Synthesizer(shop_meta(tables, rules=False), seed=0, progress=False).fit(tables)
    scores = [
        s.evaluate(tables, s.sample(scale=1.0), compat="sdmetrics").overall for s in (plain, synth)
    ]
    assert scores[1] >= scores[0] - 0.01, scores


def test_chinook_invoice_totals_are_the_sums_of_their_lines() -> None:
    tables = sh.connect(f"csv://{CHINOOK}").read_all(
        ["customer", "employee", "invoice", "invoice_line", "track", "album", "artist",
         "genre", "media_type"]
    )  # fmt: skip
    meta = sh.Metadata.detect(tables)
    meta.add_constraint(
        "invoice", "child_sum", child="invoice_line", column="unit_price", total="total"
    )
    fake = sh.Synthesizer(meta, seed=0, progress=False).fit(tables).sample(scale=1.0)
    inv, lines = fake["invoice"], fake["invoice_line"]
    sums = inv["invoice_id"].map(lines.groupby("invoice_id")["unit_price"].sum()).fillna(0)
    assert np.isclose(inv["total"], sums, atol=1e-6).all()
    assert set(lines["unit_price"]) <= {0.99, 1.99}  # prices stay prices
    real_mean = tables["invoice"]["total"].mean()
    assert abs(inv["total"].mean() - real_mean) < 0.25 * real_mean


def test_cross_table_mistakes_fail_clearly() -> None:
    tables = shop(200)
    meta = sh.Metadata.detect(tables)
    with pytest.raises(ConstraintError, match="unknown table 'lines'"):
        meta.add_constraint("orders", "child_sum", child="lines", column="amount", total="total")
    with pytest.raises(ConstraintError, match="needs a foreign key from 'products' to 'orders'"):
        meta.add_constraint("orders", "child_count", child="products", column="n_items")
    meta.add_constraint("orders", "child_count", child="order_items", column="n_items")
    broken = {**tables, "orders": tables["orders"].assign(n_items=1)}
    with pytest.raises(ConstraintError, match=r"real rows break constraint child_count"):
        sh.Synthesizer(meta, seed=0, progress=False).fit(broken)

    meta = sh.Metadata.detect(tables)
    meta.add_constraint("orders", "child_sum", child="order_items", column="amount", total="total")
    forced = sh.Synthesizer(meta, context_parent={"order_items": "products"}, progress=False)
    with pytest.raises(ConstraintError, match=r"context_parent=\{'order_items': 'orders'\}"):
        forced.fit(tables)


def test_unique_redraws_repeats_and_fails_clearly_when_the_model_cannot() -> None:
    rng = np.random.default_rng(0)
    n = 800
    real = pd.DataFrame(
        {
            "serial": np.round(rng.normal(100, 20, n), 1),
            "grade": rng.integers(1, 6, n),
            "score": rng.normal(size=n),
        }
    ).drop_duplicates("serial")
    meta = sh.Metadata.detect({"t": real})
    meta.add_constraint("t", "unique", columns=["serial"])
    synth = sh.Synthesizer(meta, seed=0, progress=False).fit({"t": real})
    fake = synth.sample(len(real), chunk_rows=200)
    assert not fake["serial"].duplicated().any()  # 0.1 steps: repeats are common, all redrawn
    # a categorical column: the model can only give back the 60 labels it saw
    small = pd.DataFrame({"label": [f"shade {i}" for i in range(60)], "score": rng.random(60)})
    meta = sh.Metadata.detect({"t": small})
    meta.update_column("t", "label", sdtype="categorical")
    meta.add_constraint("t", "unique", columns=["label"])
    synth = sh.Synthesizer(meta, seed=0, progress=False, rare_category_threshold=0)
    synth.fit({"t": small})
    assert not synth.sample(40)["label"].duplicated().any()
    with pytest.raises(ConstraintError, match=r"after 20 redraws.*too few distinct values"):
        synth.sample(100)
