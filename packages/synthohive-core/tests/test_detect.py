"""Metadata detection: sdtypes, keys, relations, explanations; property tests (T-H2)."""

from __future__ import annotations

import re
import uuid

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.pandas import column, data_frames, range_indexes

from synthohive.errors import InvalidDataError, SynthoHiveError
from synthohive.metadata import Metadata
from synthohive.metadata.detect import detect_metadata, detect_table
from synthohive.metadata.validate import topological_order, validate_data, validate_metadata


def retail(seed: int = 0) -> dict[str, pd.DataFrame]:
    """A 4-table retail schema with PII, string and integer keys, a composite key, orphans
    nowhere, datetimes and currency."""
    rng = np.random.default_rng(seed)
    first = np.array(["James", "Mary", "Robert", "Linda", "Michael", "Susan", "David"])
    last = np.array(["Smith", "Johnson", "Brown", "Garcia", "Miller", "Davis", "Lopez"])
    n_c = 150
    f, lname = rng.choice(first, n_c), rng.choice(last, n_c)
    customers = pd.DataFrame(
        {
            "customer_id": np.arange(1, n_c + 1),
            "email": [
                f"{a.lower()}.{b.lower()}{i}@example.com" for i, (a, b) in enumerate(zip(f, lname))
            ],
            "full_name": [f"{a} {b}" for a, b in zip(f, lname)],
            "signup": pd.date_range("2020-01-01", periods=n_c, freq="D").strftime("%Y-%m-%d"),
            "segment": rng.choice(["retail", "wholesale", "vip"], n_c),
        }
    )
    products = pd.DataFrame(
        {
            "sku": [f"SKU-{i:05d}" for i in range(40)],
            "category": rng.choice(["toys", "books", "garden"], 40),
            "price": np.round(rng.uniform(1, 100, 40), 2),
        }
    )
    n_o = 400
    orders = pd.DataFrame(
        {
            "order_id": [f"INV-{i:06d}" for i in range(n_o)],
            "customer_id": rng.integers(1, n_c + 1, n_o),
            "ordered_at": pd.Timestamp("2021-01-01", tz="UTC")
            + pd.to_timedelta(rng.integers(0, 10**6, n_o), unit="min"),
            "total": np.round(rng.gamma(2, 30, n_o), 2),
            "paid": rng.random(n_o) < 0.9,
        }
    )
    items = (
        pd.DataFrame(
            {
                "order_id": rng.choice(orders["order_id"].to_numpy(), 900),
                "sku": rng.choice(products["sku"].to_numpy(), 900),
                "quantity": rng.integers(1, 5, 900),
            }
        )
        .drop_duplicates(["order_id", "sku"])
        .reset_index(drop=True)
    )
    return {"customers": customers, "products": products, "orders": orders, "order_items": items}


def test_retail_schema_keys_relations_and_types() -> None:
    meta = Metadata.detect(retail())
    t = meta.tables
    assert t["customers"].primary_key == ["customer_id"]
    assert t["products"].primary_key == ["sku"]
    assert t["orders"].primary_key == ["order_id"]
    assert t["order_items"].primary_key == ["order_id", "sku"]
    rels = {
        (r.child, tuple(r.child_columns), r.parent, tuple(r.parent_columns)) for r in meta.relations
    }
    assert rels == {
        ("orders", ("customer_id",), "customers", ("customer_id",)),
        ("order_items", ("order_id",), "orders", ("order_id",)),
        ("order_items", ("sku",), "products", ("sku",)),
    }
    assert all(r.reason and "100.0%" in r.reason for r in meta.relations)
    c = t["customers"].columns
    assert (c["email"].sdtype, c["email"].kind) == ("pii", "email")
    assert (c["full_name"].sdtype, c["full_name"].kind) == ("pii", "name")
    assert c["signup"].sdtype == "datetime" and c["signup"].format == "%Y-%m-%d"
    assert c["segment"].sdtype == "categorical" and c["segment"].dtype == "str"
    o = t["orders"].columns
    assert o["order_id"].generator == "regex" and o["order_id"].pattern == r"INV\-[0-9]{6}"
    assert re.fullmatch(o["order_id"].pattern, "INV-000123")
    assert o["customer_id"].sdtype == "id" and o["customer_id"].generator == "sequence"
    assert o["ordered_at"].timezone == "UTC" and o["ordered_at"].dtype.startswith("datetime64")
    assert o["total"].rounding == 2 and o["total"].integer is False
    assert o["paid"].sdtype == "boolean"
    assert t["order_items"].columns["quantity"].integer is True
    assert t["order_items"].columns["quantity"].min == 1
    validate_metadata(meta)
    validate_data(meta, retail())
    order = topological_order(meta)
    assert order.index("customers") < order.index("orders") < order.index("order_items")


def test_explain_mentions_evidence() -> None:
    text = Metadata.detect(retail()).explain()
    assert "Table 'orders' — primary key: order_id" in text
    assert "suggests email" in text and "valid email" in text
    assert "order_items(order_id) -> orders(order_id)" in text
    assert "2 decimal(s) observed" in text
    assert "composite primary key" in text


def test_one_to_one_and_self_reference_detected() -> None:
    users = pd.DataFrame({"user_id": np.arange(1, 51), "age": np.arange(20, 70)})
    profiles = pd.DataFrame({"user_id": np.arange(1, 41), "bio_len": np.arange(40) * 3})
    staff = pd.DataFrame(
        {"employee_id": np.arange(1, 31), "manager_id": [None, *list(np.arange(1, 30) // 3 + 1)]}
    )
    meta = detect_metadata({"users": users, "user_profiles": profiles, "staff": staff})
    rels = {(r.child, r.child_columns[0], r.parent) for r in meta.relations}
    assert ("user_profiles", "user_id", "users") in rels
    assert ("staff", "manager_id", "staff") in rels
    assert ("users", "user_id", "user_profiles") not in rels
    assert meta.tables["user_profiles"].primary_key == ["user_id"]
    validate_metadata(meta)


def test_foreign_key_needs_compatible_types_and_containment() -> None:
    parents = pd.DataFrame({"customer_id": [f"C{i:03d}" for i in range(20)]})
    kids_int = pd.DataFrame({"id": np.arange(30), "customer_id": np.arange(30) % 20})
    mostly_orphans = pd.DataFrame(
        {"id": np.arange(30), "customer_id": [f"C{i:03d}" for i in range(100, 130)]}
    )
    meta = detect_metadata({"customers": parents, "a": kids_int, "b": mostly_orphans})
    assert meta.relations == []


def test_single_table_sdtypes() -> None:
    n = 60
    df = pd.DataFrame(
        {
            "uid": [str(uuid.UUID(int=i * 7919 + 1)) for i in range(n)],
            "when": [f"2024-01-{i % 28 + 1:02d} 10:00:00" for i in range(n - 2)] + ["??", "n/a"],
            "note": [
                f"this is a long free text comment number {i} with many words in it"
                for i in range(n)
            ],
            "grade": pd.Categorical(["a", "b"] * (n // 2)),
            "score": np.linspace(0, 1, n),
            "count": pd.array([*range(n - 1), None], dtype="Int64"),
            "big": np.arange(n, dtype=np.int64) * 3 + 2**62,
            "empty": pd.Series([None] * n, dtype="float64"),
            "ok": pd.array([True, False, None] * (n // 3), dtype="boolean"),
        }
    )
    table = detect_table(df, name="t")
    c = table.columns
    assert c["uid"].sdtype == "id" and c["uid"].generator == "uuid"
    assert table.primary_key == ["uid"]
    assert c["when"].sdtype == "datetime" and c["when"].format == "%Y-%m-%d %H:%M:%S"
    assert "3.3%" in (c["when"].reason or "")  # garbage recorded
    assert c["note"].sdtype == "text"
    assert c["grade"].sdtype == "categorical" and c["grade"].dtype == "category"
    assert c["score"].sdtype == "numerical" and c["score"].min == 0.0 and c["score"].max == 1.0
    assert c["count"].dtype == "Int64" and c["count"].nullable and c["count"].integer
    assert c["big"].sdtype == "id" and "2**53" in (c["big"].reason or "")
    assert c["empty"].sdtype == "numerical" and "null" in (c["empty"].reason or "")
    assert c["ok"].sdtype == "boolean" and c["ok"].dtype == "boolean"
    assert all(col.reason for col in c.values())


def test_mixed_object_and_container_columns() -> None:
    mixed = pd.DataFrame({"m": [1, "a", None, 2.5, "b"] * 4})
    col = detect_table(mixed, name="t").columns["m"]
    assert col.sdtype == "categorical" and "mixed value types" in (col.reason or "")
    with pytest.raises(InvalidDataError) as err:
        detect_table(pd.DataFrame({"d": [{"a": 1}, {"b": 2}]}), name="t")
    assert "column 'd'" in str(err.value) and "json" in str(err.value).lower()


def test_odd_labels_and_duplicates() -> None:
    df = pd.DataFrame({0: [1, 2, 3], "a.b": ["x", "y", "x"], "é🙂": [1.5, 2.5, 3.5]})
    table = detect_table(df, name="t")
    assert list(table.columns) == ["0", "a.b", "é🙂"]
    dup = pd.DataFrame([[1, 2]], columns=["a", "a"])
    with pytest.raises(InvalidDataError, match="duplicate column"):
        detect_table(dup, name="t")


def test_large_frame_uses_bounded_sample_and_is_order_independent() -> None:
    rng = np.random.default_rng(5)
    n = 60_000
    df = pd.DataFrame(
        {"id": np.arange(n), "x": rng.normal(size=n).round(3), "c": rng.choice(["a", "b", "c"], n)}
    )
    m1 = detect_table(df, name="big")
    m2 = detect_table(df.sample(frac=1, random_state=1).reset_index(drop=True), name="big")
    assert m1 == m2
    assert m1.primary_key == ["id"]
    assert m1.columns["x"].rounding == 3


cells = st.one_of(
    st.none(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.booleans(),
    st.datetimes(),
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    df=data_frames(
        [
            column("a", elements=st.integers(-5, 10**6)),
            column("b", elements=st.floats(allow_nan=True, allow_infinity=True)),
            column("c", elements=st.text(max_size=8)),
            column("d", dtype=object, elements=cells),
            column("e", elements=st.sampled_from(["x@y.com", "123-45-6789", "", "John Smith"])),
        ],
        index=range_indexes(min_size=0, max_size=30),
    ),
    seed=st.integers(0, 1000),
)
def test_detect_property_errors_determinism_order(df: pd.DataFrame, seed: int) -> None:
    try:
        m1 = Metadata.detect(df)
    except SynthoHiveError:
        return
    assert Metadata.detect(df) == m1
    shuffled = df.sample(frac=1, random_state=seed).reset_index(drop=True)
    assert Metadata.detect(shuffled) == m1
    assert Metadata.from_json(m1.to_json()) == m1


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [("%d/%m/%Y", "%d/%m/%Y"), ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S"), ("%b %d, %Y", None)],
)
def test_datetime_strings_with_two_percent_garbage(fmt: str, expected: str | None) -> None:
    dates = pd.date_range("2021-01-13", periods=98, freq="37h").strftime(fmt).tolist()
    s = pd.Series([*dates, "not a date", "??"])
    col = detect_table(pd.DataFrame({"when": s}), name="t").columns["when"]
    assert col.sdtype == "datetime" and col.dtype == "str"
    assert col.format == (expected or fmt)
    assert "2.0% of sampled values do not parse" in (col.reason or "")


def test_garbage_beyond_tolerance_is_not_datetime() -> None:
    dates = pd.date_range("2021-01-01", periods=80, freq="D").strftime("%Y-%m-%d").tolist()
    s = pd.Series(dates + [f"junk{i}" for i in range(20)])
    col = detect_table(pd.DataFrame({"when": s}), name="t").columns["when"]
    assert col.sdtype != "datetime"


def test_pii_primary_key_referenced_by_children() -> None:
    emails = [f"user{i}@example.com" for i in range(40)]
    customers = pd.DataFrame({"customer_email": emails, "age": np.arange(40) % 17 + 20})
    orders = pd.DataFrame(
        {
            "order_no": [f"O-{i:04d}" for i in range(90)],
            "customer_email": [emails[i % 40] for i in range(90)],
        }
    )
    reviews = pd.DataFrame(
        {"review_id": np.arange(25), "author": [emails[i % 7] for i in range(25)]}
    )
    meta = detect_metadata({"customers": customers, "orders": orders, "reviews": reviews})
    assert meta.tables["customers"].primary_key == ["customer_email"]
    rels = {(r.child, r.child_columns[0], r.parent) for r in meta.relations}
    assert rels == {("orders", "customer_email", "customers"), ("reviews", "author", "customers")}
    col = meta.tables["reviews"].columns["author"]
    assert (col.sdtype, col.kind) == ("pii", "email") and "foreign key" in (col.reason or "")


def test_demo_schema_detected_like_its_hand_written_metadata() -> None:
    from synthohive.demo import demo_metadata, load_demo

    detected, reference = Metadata.detect(load_demo()), demo_metadata()
    for tname, table in reference.tables.items():
        got = detected.tables[tname]
        assert got.primary_key == table.primary_key
        for cname, col in table.columns.items():
            assert (got.columns[cname].sdtype, got.columns[cname].kind) == (col.sdtype, col.kind)

    def rels(m: Metadata) -> set[tuple[str, tuple[str, ...], str]]:
        return {(r.child, tuple(r.child_columns), r.parent) for r in m.relations}

    assert rels(detected) == rels(reference)


_KEYISH = st.sampled_from(["id", "a_id", "b_id", "manager_id", "parent_id", "x", "key"])
_CELLS = st.one_of(st.integers(0, 30), st.none(), st.text("ab1", max_size=3))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    spec=st.dictionaries(
        st.sampled_from(["a", "b", "as", "bs"]),
        st.dictionaries(_KEYISH, st.lists(_CELLS, min_size=8, max_size=8), min_size=1, max_size=3),
        min_size=1,
        max_size=3,
    ),
    ints=st.booleans(),
)
def test_detected_schemas_always_validate(
    spec: dict[str, dict[str, list[object]]], ints: bool
) -> None:
    frames = {}
    for tname, cols in spec.items():
        data = {}
        for cname, vals in cols.items():
            if ints:
                data[cname] = pd.Series([v if isinstance(v, int) else 0 for v in vals])
            else:
                data[cname] = pd.Series(vals, dtype=object)
        frames[tname] = pd.DataFrame(data)
    try:
        meta = Metadata.detect(frames)
    except SynthoHiveError:
        return
    validate_metadata(meta)  # detection never produces cycles, dangling or mistyped keys
    assert sorted(topological_order(meta)) == sorted(frames)
    shuffled = {k: v.iloc[::-1].reset_index(drop=True) for k, v in frames.items()}
    assert Metadata.detect(shuffled) == meta


# --- role-named keys, self-references, containment guards (issue #17) ----------------------
def _rels(meta: Metadata) -> set[tuple[str, str, str]]:
    return {(r.child, r.child_columns[0], r.parent) for r in meta.relations}


def _people(n: int = 12) -> pd.DataFrame:
    return pd.DataFrame({"employee_id": np.arange(1, n + 1), "salary": np.arange(n) * 10.0})


def _customers(n: int = 60) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": np.arange(1, n + 1), "age": np.arange(n) % 50 + 18})


@pytest.mark.parametrize("label", ["support_rep_id", "account_manager_id", "created_by"])
def test_role_named_key_points_at_the_staff_table(label: str) -> None:
    customers = _customers().assign(**{label: np.arange(60) % 3 + 3})
    meta = detect_metadata({"customers": customers, "employees": _people()})
    assert _rels(meta) == {("customers", label, "employees")}
    reason = meta.relations[0].reason or ""
    assert f"role-named key {label!r}" in reason and "staff table 'employees'" in reason
    assert meta.tables["customers"].columns[label].sdtype == "id"
    validate_metadata(meta)


def test_created_by_string_usernames_and_by_id() -> None:
    users = pd.DataFrame({"username": [f"user{i:02d}" for i in range(30)], "age": range(30)})
    docs = pd.DataFrame(
        {
            "doc_id": np.arange(50),
            "created_by": [f"user{i % 7:02d}" for i in range(50)],
            "approved_by_id": [f"user{i % 5 + 10:02d}" for i in range(50)],
        }
    )
    meta = detect_metadata({"users": users, "documents": docs})
    assert meta.tables["users"].primary_key == ["username"]
    assert _rels(meta) == {
        ("documents", "created_by", "users"),
        ("documents", "approved_by_id", "users"),
    }


def test_role_name_ambiguous_between_staff_tables_is_only_suggested() -> None:
    customers = _customers().assign(owner_id=np.arange(60) % 4 + 1)
    meta = detect_metadata({"customers": customers, "employees": _people(), "users": _people()})
    assert ("customers", "owner_id") not in {(c, col) for c, col, _ in _rels(meta)}
    sugg = {(r.child, r.child_columns[0], r.parent) for r in meta.suggested_relations or []}
    assert sugg == {("customers", "owner_id", "employees"), ("customers", "owner_id", "users")}
    assert "several staff tables" in (meta.suggested_relations or [])[0].reason
    assert "Suggested relations" in meta.explain()


def test_role_names_need_a_staff_table_not_any_table() -> None:
    customers = _customers().assign(support_rep_id=np.arange(60) % 3 + 3)
    meta = detect_metadata(
        {
            "customers": customers,
            "products": _people().rename(columns={"employee_id": "product_id"}),
        }
    )
    assert meta.relations == []  # products is no staff table; 3..5 lies in any key 1..N
    assert meta.suggested_relations is None


@pytest.mark.parametrize("dtype", ["float64", "Int64", "int64"])
@pytest.mark.parametrize("label", ["reports_to", "manager_id", "parent_id"])
def test_self_reference_nullable_or_not(label: str, dtype: str) -> None:
    n = 40
    boss = pd.Series([None, *list(np.arange(1, n) // 3 + 1)], dtype="float64")
    if dtype == "int64":
        boss = boss.fillna(1)
    staff = pd.DataFrame({"employee_id": np.arange(1, n + 1), label: boss.astype(dtype)})
    meta = detect_metadata({"employees": staff, "customers": _customers()})
    assert _rels(meta) == {("employees", label, "employees")}
    reason = meta.relations[0].reason or ""
    assert reason.startswith("self-reference") and "100.0%" in reason
    col = meta.tables["employees"].columns[label]
    assert col.sdtype == "id" and col.dtype == dtype
    validate_metadata(meta)


def test_parent_category_self_reference_and_manager_in_other_table() -> None:
    cats = pd.DataFrame(
        {"category_id": np.arange(1, 31), "parent_category_id": [None] * 5 + list(range(1, 26))}
    )
    depts = pd.DataFrame({"dept_id": np.arange(1, 6), "manager_id": [3, 5, 7, 9, 11]})
    meta = detect_metadata({"category": cats, "departments": depts, "employees": _people()})
    assert _rels(meta) == {
        ("category", "parent_category_id", "category"),
        ("departments", "manager_id", "employees"),  # a staff table beats the own table
    }


def test_self_reference_guards() -> None:
    n = 30
    t = pd.DataFrame(
        {
            "node_id": np.arange(1, n + 1),
            "parent_id": np.arange(1, n + 1),  # only repeats the row's own key
            "reports_to": np.arange(n) + 100,  # not contained
            "level": np.arange(n) % 3 + 1,  # contained, but no name evidence
        }
    )
    meta = detect_metadata({"nodes": t, "other": _customers()})
    assert meta.relations == []


def test_key_named_column_contained_in_exactly_one_table() -> None:
    rng = np.random.default_rng(0)
    accounts = pd.DataFrame({"acct_no": np.arange(1000, 1100), "x": rng.normal(size=100)})
    accounts = accounts.rename(columns={"acct_no": "account_key"})
    orders = pd.DataFrame(
        {"order_id": np.arange(300), "billing_ref_id": 1000 + np.arange(300) % 90}
    )
    meta = detect_metadata({"accounts": accounts, "orders": orders, "customers": _customers()})
    assert _rels(meta) == {("orders", "billing_ref_id", "accounts")}
    assert "exactly one table" in (meta.relations[0].reason or "")


def test_tiny_integer_ranges_never_become_keys() -> None:
    lookup = pd.DataFrame({"media_type_id": np.arange(1, 6), "name": list("abcde")})
    lines = pd.DataFrame(
        {
            "line_id": np.arange(200),
            "quantity": np.arange(200) % 5 + 1,  # 1..5, inside the lookup's keys
            "status_id": np.arange(200) % 3 + 1,  # key-like name, tiny range, many tables
            "unit_price": np.round(np.linspace(0.5, 5, 200), 2),
            "score": np.arange(200) % 5 + 0.5,
        }
    )
    meta = detect_metadata({"media_type": lookup, "lines": lines, "customers": _customers()})
    assert meta.relations == []
    assert meta.suggested_relations is None
    c = meta.tables["lines"].columns
    assert c["quantity"].sdtype == "numerical" and c["unit_price"].sdtype == "numerical"


def test_contained_without_name_evidence_is_suggested_not_applied() -> None:
    rng = np.random.default_rng(1)
    sparse = np.sort(rng.choice(np.arange(10_000, 99_999), 40, replace=False))
    shops = pd.DataFrame({"shop_id": sparse, "size": rng.normal(size=40)})
    sales = pd.DataFrame({"sale_id": np.arange(500), "outlet": rng.choice(sparse[:30], 500)})
    meta = detect_metadata({"shops": shops, "sales": sales})
    assert meta.relations == []
    assert meta.tables["sales"].columns["outlet"].sdtype != "id"
    (s,) = meta.suggested_relations or []
    assert (s.child, s.child_columns, s.parent, s.parent_columns) == (
        "sales",
        ["outlet"],
        "shops",
        ["shop_id"],
    )
    assert (s.reason or "").startswith("not applied: values are contained")
    text = meta.explain()
    assert "Suggested relations" in text and "? sales(outlet) -> shops(shop_id)" in text
    assert Metadata.from_json(meta.to_json()) == meta
    validate_metadata(meta)


def test_column_named_after_table_and_float_keys() -> None:
    genres = pd.DataFrame({"genre_id": np.arange(1, 21), "name": [f"g{i}" for i in range(20)]})
    tracks = pd.DataFrame(
        {
            "track_id": np.arange(100),
            "genre": pd.Series(np.arange(100) % 20 + 1, dtype="float64"),
            "rating_id": np.arange(100) % 20 + 1.5,  # key-like, but not whole numbers
        }
    )
    meta = detect_metadata({"genres": genres, "tracks": tracks})
    assert _rels(meta) == {("tracks", "genre", "genres")}
    assert "named after table 'genres'" in (meta.relations[0].reason or "")


def test_decimal_int_objects_and_date_objects_are_normalised() -> None:
    import datetime as dt
    from decimal import Decimal

    from synthohive.metadata.detect import analysis_series

    n = 30
    df = pd.DataFrame(
        {
            "price": pd.Series([Decimal("1.25") * i for i in range(n)], dtype=object),
            "qty": pd.Series([Decimal(i) for i in range(n - 1)] + [None], dtype=object),
            "ref": pd.Series([*range(n - 1), None], dtype=object),
            "day": pd.Series([dt.date(2020, 1, 1 + i % 28) for i in range(n)], dtype=object),
        }
    )
    c = detect_table(df, name="t").columns
    assert c["price"].sdtype == "numerical" and c["price"].rounding == 2
    assert c["qty"].sdtype == "numerical" and c["qty"].integer and c["qty"].nullable
    assert c["ref"].integer and c["ref"].dtype == "object"
    assert c["day"].sdtype == "datetime"
    assert all(col.dtype == "object" for col in c.values())
    assert analysis_series(df["ref"])[0].dtype == "Int64"
    same, note = analysis_series(pd.Series(["a", 1], dtype=object))
    assert note is None and same.dtype == object
