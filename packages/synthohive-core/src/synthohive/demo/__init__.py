"""A small retail schema shipped with the core, for the demo, docs and tests (no network).

Four tables made by ``packages/synthohive-core/scripts/make_demo_data.py`` (seeded):
``customers`` → ``orders`` → ``order_items`` ← ``products``. See that script for how the
columns relate (segment drives order count, credit limit and discounts; category drives price).

    from synthohive.demo import demo_metadata, load_demo
    tables = load_demo()            # dict[str, pd.DataFrame]
    metadata = demo_metadata()      # hand-written, correct keys, relations and PII
"""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from synthohive.metadata.schema import Metadata

TABLES: tuple[str, ...] = ("customers", "products", "orders", "order_items")


def load_demo(tables: list[str] | tuple[str, ...] | None = None) -> dict[str, pd.DataFrame]:
    """The demo tables (all four by default), read from the package's parquet files."""
    import pandas as pd

    from synthohive.errors import DataError

    wanted = TABLES if tables is None else tuple(tables)
    unknown = sorted(set(wanted) - set(TABLES))
    if unknown:
        raise DataError(f"unknown demo table(s) {unknown}", fix=f"choose from {', '.join(TABLES)}")
    folder = resources.files(__name__) / "data"
    frames: dict[str, pd.DataFrame] = {}
    for name in wanted:
        with resources.as_file(folder / f"{name}.parquet") as path:
            frames[name] = pd.read_parquet(path)
    return frames


def demo_metadata() -> Metadata:
    """Correct metadata of the demo schema (keys, relations, PII, dtypes)."""
    from synthohive.metadata.schema import Column, ForeignKey, Metadata, Table

    def num(
        dtype: str, *, integer: bool, rounding: int | None = None, nullable: bool = False
    ) -> Column:
        return Column(
            sdtype="numerical", dtype=dtype, integer=integer, rounding=rounding, nullable=nullable
        )

    def cat(dtype: str = "str") -> Column:
        return Column(sdtype="categorical", dtype=dtype, nullable=False)

    def seq_id() -> Column:
        return Column(sdtype="id", dtype="int64", generator="sequence", nullable=False)

    def regex_id(pattern: str) -> Column:
        return Column(sdtype="id", dtype="str", generator="regex", pattern=pattern, nullable=False)

    def pii(kind: str) -> Column:
        return Column(sdtype="pii", dtype="str", kind=kind, nullable=False)

    customers = Table(
        name="customers",
        primary_key=["customer_id"],
        columns={
            "customer_id": seq_id(),
            "name": pii("name"),
            "email": pii("email"),
            "phone": pii("phone"),
            "signup_at": Column(sdtype="datetime", dtype="datetime64[us]", nullable=False),
            "country": cat(),
            "segment": cat(),
            "age": num("Int64", integer=True, nullable=True),
            "credit_limit": num("float64", integer=False, rounding=2),
        },
    )
    products = Table(
        name="products",
        primary_key=["product_id"],
        columns={
            "product_id": regex_id(r"P-\d{4}"),
            "category": cat(),
            "price": num("float64", integer=False, rounding=2),
            "in_stock": Column(sdtype="boolean", dtype="bool", nullable=False),
        },
    )
    orders = Table(
        name="orders",
        primary_key=["order_id"],
        columns={
            "order_id": regex_id(r"INV-\d{6}"),
            "customer_id": Column(sdtype="id", dtype="int64", nullable=False),
            "ordered_at": Column(
                sdtype="datetime", dtype="datetime64[us, UTC]", timezone="UTC", nullable=False
            ),
            "status": cat(),
            "discount": num("float64", integer=False, rounding=2, nullable=True),
        },
    )
    order_items = Table(
        name="order_items",
        primary_key=["item_id"],
        columns={
            "item_id": seq_id(),
            "order_id": Column(sdtype="id", dtype="str", nullable=False),
            "product_id": Column(sdtype="id", dtype="str", nullable=False),
            "quantity": num("int64", integer=True),
            "unit_price": num("float64", integer=False, rounding=2),
        },
    )
    return Metadata(
        tables={t.name: t for t in (customers, products, orders, order_items)},
        relations=[
            ForeignKey(
                child="orders",
                child_columns=["customer_id"],
                parent="customers",
                parent_columns=["customer_id"],
            ),
            ForeignKey(
                child="order_items",
                child_columns=["order_id"],
                parent="orders",
                parent_columns=["order_id"],
            ),
            ForeignKey(
                child="order_items",
                child_columns=["product_id"],
                parent="products",
                parent_columns=["product_id"],
            ),
        ],
    )


__all__ = ["TABLES", "demo_metadata", "load_demo"]
