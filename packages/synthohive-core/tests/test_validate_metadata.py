"""Metadata validation (T-B19): every problem listed at once; supported shapes accepted."""

from __future__ import annotations

import pandas as pd
import pytest

from synthohive.errors import MetadataError
from synthohive.metadata.schema import Column, ForeignKey, Metadata, Table
from synthohive.metadata.validate import (
    check_metadata,
    topological_order,
    validate_data,
    validate_metadata,
)


def _id(dtype: str = "int64", nullable: bool = False) -> Column:
    return Column(sdtype="id", dtype=dtype, generator="sequence", nullable=nullable)


def _num() -> Column:
    return Column(sdtype="numerical", dtype="float64")


def schema() -> Metadata:
    """customers <- orders <- items -> products; employees self-reference; profiles 1:1."""
    return Metadata(
        tables={
            "customers": Table(
                name="customers",
                primary_key=["customer_id"],
                columns={"customer_id": _id(), "score": _num()},
            ),
            "profiles": Table(
                name="profiles",
                primary_key=["customer_id"],
                columns={"customer_id": _id(), "bio": _num()},
            ),
            "orders": Table(
                name="orders",
                primary_key=["order_id"],
                columns={"order_id": _id(), "customer_id": _id(), "total": _num()},
            ),
            "products": Table(
                name="products", primary_key=["sku"], columns={"sku": _id("str"), "price": _num()}
            ),
            "items": Table(
                name="items",
                primary_key=["order_id", "sku"],
                columns={"order_id": _id(), "sku": _id("str"), "qty": _num()},
            ),
            "shipments": Table(
                name="shipments",
                primary_key=["ship_id"],
                columns={"ship_id": _id(), "order_id": _id(), "sku": _id("str")},
            ),
            "employees": Table(
                name="employees",
                primary_key=["emp_id"],
                columns={"emp_id": _id(), "manager_id": _id(nullable=True)},
            ),
        },
        relations=[
            ForeignKey(
                child="orders",
                child_columns="customer_id",
                parent="customers",
                parent_columns="customer_id",
            ),
            ForeignKey(
                child="profiles",
                child_columns="customer_id",
                parent="customers",
                parent_columns="customer_id",
            ),
            ForeignKey(
                child="items", child_columns="order_id", parent="orders", parent_columns="order_id"
            ),
            ForeignKey(child="items", child_columns="sku", parent="products", parent_columns="sku"),
            ForeignKey(
                child="shipments",
                child_columns=["order_id", "sku"],
                parent="items",
                parent_columns=["order_id", "sku"],
            ),
            ForeignKey(
                child="employees",
                child_columns="manager_id",
                parent="employees",
                parent_columns="emp_id",
            ),
        ],
    )


def test_supported_shapes_are_valid_and_ordered() -> None:
    meta = schema()
    validate_metadata(meta)  # PK<->PK, PK that is also FK, composite FK, self-reference
    order = topological_order(meta)
    assert sorted(order) == sorted(meta.tables)
    for r in meta.relations:
        if r.child != r.parent:
            assert order.index(r.parent) < order.index(r.child)
    assert topological_order(meta) == order  # deterministic


def test_every_problem_listed_together() -> None:
    meta = schema()
    meta.relations.append(meta.relations[0].model_copy())  # duplicate relation
    meta.relations.append(
        ForeignKey(
            child="orders", child_columns="customer_id", parent="employees", parent_columns="emp_id"
        )
    )  # FK reused
    meta.relations.append(
        ForeignKey(
            child="orders", child_columns="total", parent="customers", parent_columns="score"
        )
    )  # non-key
    meta.relations.append(
        ForeignKey(
            child="orders", child_columns="nope", parent="customers", parent_columns="customer_id"
        )
    )
    meta.relations.append(
        ForeignKey(child="items", child_columns="qty", parent="products", parent_columns="sku")
    )  # float -> str: type mismatch
    meta.tables["customers"].primary_key = ["customer_id", "ghost"]
    problems = check_metadata(meta)
    text = "\n".join(str(p) for p in problems)
    assert "duplicate relation orders(customer_id) -> customers(customer_id)" in text
    assert "used by two relations" in text and "column 'customer_id'" in text
    assert "not the parent's primary key" in text
    assert "column 'nope'" in text and "does not exist" in text
    assert "type float64 does not match products.sku type str" in text
    assert "column 'ghost'" in text
    with pytest.raises(MetadataError) as err:
        validate_metadata(meta)
    msg = str(err.value)
    assert f"{len(problems)} problems in metadata" in msg
    assert all(str(p) in msg for p in problems)
    assert "Fix:" in msg
    for problem in problems:  # each sentence ends before its fix: "... exist. Fix: ..."
        if problem.fix:
            assert str(problem).split(" Fix: ")[0][-1] in ".!?", str(problem)


def test_cycle_names_tables_and_how_to_break_it() -> None:
    meta = Metadata(
        tables={
            "a": Table(name="a", primary_key=["id"], columns={"id": _id(), "c_id": _id()}),
            "b": Table(name="b", primary_key=["id"], columns={"id": _id(), "a_id": _id()}),
            "c": Table(
                name="c", primary_key=["id"], columns={"id": _id(), "b_id": _id(nullable=True)}
            ),
        },
        relations=[
            ForeignKey(child="b", child_columns="a_id", parent="a", parent_columns="id"),
            ForeignKey(child="c", child_columns="b_id", parent="b", parent_columns="id"),
            ForeignKey(child="a", child_columns="c_id", parent="c", parent_columns="id"),
        ],
    )
    with pytest.raises(MetadataError) as err:
        validate_metadata(meta)
    msg = str(err.value)
    assert "cycle between tables ['a', 'b', 'c']" in msg
    assert "remove_foreign_key('c', ['b_id'])" in msg  # the nullable edge is suggested
    with pytest.raises(MetadataError, match="cycle"):
        topological_order(meta)
    meta.remove_foreign_key("c", "b_id")
    validate_metadata(meta)
    assert topological_order(meta) == ["c", "a", "b"]  # a references c


def test_cycle_without_nullable_edge_still_explained() -> None:
    meta = Metadata(
        tables={
            "x": Table(name="x", primary_key=["id"], columns={"id": _id(), "y_id": _id()}),
            "y": Table(name="y", primary_key=["id"], columns={"id": _id(), "x_id": _id()}),
        },
        relations=[
            ForeignKey(child="x", child_columns="y_id", parent="y", parent_columns="id"),
            ForeignKey(child="y", child_columns="x_id", parent="x", parent_columns="id"),
        ],
    )
    problems = check_metadata(meta)
    assert len(problems) == 1 and "cycle between tables ['x', 'y']" in str(problems[0])
    assert "remove_foreign_key" in str(problems[0])


def test_self_reference_on_primary_key_rejected_and_missing_tables() -> None:
    meta = Metadata(
        tables={"e": Table(name="e", primary_key=["id"], columns={"id": _id()})},
        relations=[
            ForeignKey(child="e", child_columns="id", parent="e", parent_columns="id"),
            ForeignKey(child="ghost", child_columns="id", parent="e", parent_columns="id"),
        ],
    )
    text = "\n".join(map(str, check_metadata(meta)))
    assert "own parent" in text and "table 'ghost'" in text


def _frames() -> dict[str, pd.DataFrame]:
    return {
        "customers": pd.DataFrame({"customer_id": [1, 2, 3], "score": [0.1, 0.2, 0.3]}),
        "profiles": pd.DataFrame({"customer_id": [1, 2], "bio": [1.0, 2.0]}),
        "orders": pd.DataFrame(
            {
                "order_id": [10, 11, 12, 13],
                "customer_id": [1, 1, 2, 9],
                "total": [5.0, 6.0, 7.0, 8.0],
            }
        ),
        "products": pd.DataFrame({"sku": ["A", "B"], "price": [1.0, 2.0]}),
        "items": pd.DataFrame(
            {"order_id": [10, 10, 11], "sku": ["A", "B", "A"], "qty": [1.0, 2.0, 3.0]}
        ),
        "shipments": pd.DataFrame({"ship_id": [1, 2], "order_id": [10, 12], "sku": ["A", "A"]}),
        "employees": pd.DataFrame({"emp_id": [1, 2, 3], "manager_id": [None, 1, 1]}),
    }


def test_validate_data_reports_orphans_and_raises_when_strict() -> None:
    meta = schema()
    report = validate_data(meta, _frames())
    assert report.orphans == {
        "orders(customer_id) -> customers(customer_id)": 1,
        "shipments(order_id, sku) -> items(order_id, sku)": 1,
    }
    with pytest.raises(MetadataError, match="orphan"):
        validate_data(meta, _frames(), strict=True)
    meta.validate(_frames())  # non-strict through the Metadata API


def test_validate_data_lists_column_key_and_table_problems() -> None:
    frames = _frames()
    frames["orders"] = frames["orders"].rename(columns={"total": "amount"})
    frames["customers"] = pd.DataFrame({"customer_id": [1, 1, None], "score": [0.1, 0.2, 0.3]})
    del frames["products"]
    frames["extra"] = pd.DataFrame({"a": [1]})
    with pytest.raises(MetadataError) as err:
        validate_data(schema(), frames)
    msg = str(err.value)
    assert "table 'orders', column 'total': column is in the metadata but missing" in msg
    assert "table 'orders', column 'amount': column is in the data but not in the metadata" in msg
    assert "primary key has 1 null value(s)" in msg
    assert "primary key ['customer_id'] is not unique (1 duplicate row(s))" in msg
    assert "table 'products': table is described by the metadata but missing" in msg
    assert "table 'extra': table is in the data but not in the metadata" in msg


def test_single_frame_and_integer_labels() -> None:
    meta = Metadata(
        tables={"t": Table(name="t", primary_key=["0"], columns={"0": _id(), "1": _num()})}
    )
    validate_data(meta, pd.DataFrame({0: [1, 2], 1: [0.5, 0.7]}))
    with pytest.raises(MetadataError, match="not unique"):
        validate_data(meta, pd.DataFrame({0: [1, 1], 1: [0.5, 0.7]}))
