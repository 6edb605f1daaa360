"""Relational test schemas: a hypothesis strategy, fixed example schemas and integrity checks.

* :func:`schemas` - hypothesis strategy of ``(Metadata, dict[str, DataFrame])``: trees,
  multi-parent tables, self-references, composite keys, integer/string/UUID keys (T-H3).
* :func:`retail_schema` - the demo's customers, products, orders, order_items, cut to size.
* :func:`deep_schema` - 8 tables over 6 levels (self-reference, nullable FK, two-parent table,
  composite-key bridge and a composite FK); ``extra=True`` adds 3 more tables (11 in all).
* :class:`RecordingConnector` - a sink that records every appended chunk in order, and
  :func:`integrity_problems` / :func:`chunk_integrity_problems` to check referential integrity
  of whole outputs and of every streamed chunk.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from synthohive.connectors.base import Connector, WriteMode, WriteSession
from synthohive.metadata.schema import Column, ForeignKey, Metadata, Table

Schema = tuple[Metadata, dict[str, pd.DataFrame]]


# --- integrity checks ------------------------------------------------------------------------
def _key_set(frame: pd.DataFrame, cols: list[str]) -> set[tuple[Any, ...]]:
    return set(frame[cols].dropna().astype(str).itertuples(index=False, name=None))


def integrity_problems(metadata: Metadata, tables: dict[str, pd.DataFrame]) -> list[str]:
    """Every broken reference and repeated/null primary key in ``tables`` (empty when clean)."""
    problems: list[str] = []
    for name, table in metadata.tables.items():
        pk = table.primary_key or []
        if pk and name in tables:
            keys = tables[name][pk]
            if keys.isna().any().any() or keys.duplicated().any():
                problems.append(f"{name}: primary key {pk} repeated or null")
    for fk in metadata.relations:
        child = tables[fk.child][fk.child_columns].dropna()
        have = _key_set(tables[fk.parent], fk.parent_columns)
        refs = set(child.astype(str).itertuples(index=False, name=None))
        missing = refs - have
        if missing:
            problems.append(f"{fk.child}{fk.child_columns} -> {fk.parent}: {len(missing)} missing")
        if fk.child == fk.parent and len(child):
            own = tables[fk.child]
            same = (
                own[fk.child_columns].astype(str).to_numpy()
                == own[fk.parent_columns].astype(str).to_numpy()
            ).all(axis=1) & own[fk.child_columns].notna().all(axis=1).to_numpy()
            if same.any():
                problems.append(f"{fk.child}: {int(same.sum())} rows reference themselves")
    return problems


def chunk_integrity_problems(
    metadata: Metadata, appends: list[tuple[str, pd.DataFrame]]
) -> list[str]:
    """Referential integrity of a streamed write: each chunk may only reference parent rows
    appended before it (or in the same chunk, for self-references)."""
    seen: dict[str, list[pd.DataFrame]] = {}
    problems: list[str] = []
    for i, (name, frame) in enumerate(appends):
        seen.setdefault(name, []).append(frame)
        for fk in metadata.parents(name):
            parts = seen.get(fk.parent, [])
            if not parts:
                if frame[fk.child_columns].notna().any().any():
                    problems.append(f"chunk {i} of {name}: parent {fk.parent} not written yet")
                continue
            have = _key_set(pd.concat(parts, ignore_index=True), fk.parent_columns)
            refs = set(frame[fk.child_columns].dropna().astype(str).itertuples(False, None))
            if refs - have:
                problems.append(f"chunk {i} of {name}: {len(refs - have)} keys of {fk.parent}")
    return problems


class _RecordingSession(WriteSession):
    def __init__(self, connector: RecordingConnector) -> None:
        self.connector = connector

    def append(self, table: str, frame: pd.DataFrame) -> None:
        self.connector.appends.append((table, frame.copy()))

    def commit(self) -> None:
        self.connector.committed = True

    def abort(self) -> None:
        self.connector.aborted = True


class RecordingConnector(Connector):
    """A sink that keeps every appended chunk, in order (for streaming tests)."""

    name = "recording"
    schemes = ("recording",)

    def __init__(self, url: str = "recording://", **options: Any) -> None:
        super().__init__(url, **options)
        self.appends: list[tuple[str, pd.DataFrame]] = []
        self.committed = False
        self.aborted = False

    def list_tables(self) -> list[str]:
        return sorted({t for t, _ in self.appends})

    def read(
        self, table: str, columns: list[str] | None = None, limit: int | None = None
    ) -> pd.DataFrame:
        frame = pd.concat([f for t, f in self.appends if t == table], ignore_index=True)
        frame = frame[columns] if columns else frame
        return frame.head(limit) if limit is not None else frame

    def begin_write(
        self, metadata: Metadata | None = None, mode: WriteMode = "error"
    ) -> WriteSession:
        return _RecordingSession(self)


# --- fixed schemas ---------------------------------------------------------------------------
def _num(integer: bool = False) -> Column:
    return Column(sdtype="numerical", integer=integer)


def _id() -> Column:
    return Column(sdtype="id")


def retail_schema(seed: int = 0, n_customers: int = 400, n_products: int = 150) -> Schema:
    """The demo's retail schema (:mod:`synthohive.demo`, its one source) cut down, with its
    metadata: ``n_customers`` customers and ``n_products`` products drawn with ``seed``, the
    orders of those customers and their lines for those products.

    customers -> orders -> order_items <- products; PII (name, email, phone), regex and
    sequence keys, a tz-aware datetime, nullable columns; segment drives orders per customer,
    credit limit, discount and quantities.
    """
    from synthohive.demo import demo_metadata, load_demo

    demo = load_demo()
    rng = np.random.default_rng(seed)

    def draw(frame: pd.DataFrame, n: int) -> pd.DataFrame:
        rows = np.sort(rng.choice(len(frame), size=min(n, len(frame)), replace=False))
        return frame.iloc[rows].reset_index(drop=True)

    customers = draw(demo["customers"], n_customers)
    products = draw(demo["products"], n_products)
    orders = demo["orders"]
    orders = orders[orders["customer_id"].isin(customers["customer_id"])].reset_index(drop=True)
    items = demo["order_items"]
    kept = items["order_id"].isin(orders["order_id"]) & items["product_id"].isin(
        products["product_id"]
    )
    return demo_metadata(), {
        "customers": customers,
        "orders": orders,
        "products": products,
        "order_items": items[kept].reset_index(drop=True),
    }


def _fk(child: str, ccols: list[str], parent: str, pcols: list[str]) -> ForeignKey:
    return ForeignKey(child=child, child_columns=ccols, parent=parent, parent_columns=pcols)


def deep_schema(seed: int = 0, *, extra: bool = False, size: int = 1) -> Schema:
    """regions > stores > employees (self-ref manager) > orders (also <- customers; nullable
    salesperson) > order_items (composite PK, <- products) > shipments (composite FK).

    Six levels, eight tables; ``extra=True`` adds inventory (stores x products), reviews
    (customers x products) and returns (child of shipments): eleven tables. ``size``
    multiplies the number of regions, customers and products (and so every table).
    """
    rng = np.random.default_rng(seed)
    n_reg = 12 * size
    regions = pd.DataFrame(
        {
            "region_id": np.arange(1, n_reg + 1),
            "climate": rng.choice(["cold", "mild", "hot"], n_reg),
            "population": rng.gamma(3.0, 100.0, n_reg).round(1),
        }
    )
    n_st = rng.poisson(regions["population"].to_numpy() / 100.0) + 1
    stores = pd.DataFrame(
        {
            "store_id": [f"ST-{i:04d}" for i in range(n_st.sum())],
            "region_id": np.repeat(regions["region_id"].to_numpy(), n_st),
            "sqft": rng.gamma(4.0, 500.0, n_st.sum()).round(0),
        }
    )
    n_emp = 1 + rng.poisson(stores["sqft"].to_numpy() / 800.0)
    emp_store = np.repeat(stores["store_id"].to_numpy(), n_emp)
    n_e = len(emp_store)
    first = np.r_[True, emp_store[1:] != emp_store[:-1]]
    boss_pos = np.maximum.accumulate(np.where(first, np.arange(n_e), 0))
    emp_ids = np.arange(500, 500 + n_e)
    employees = pd.DataFrame(
        {
            "employee_id": emp_ids,
            "store_id": emp_store,
            "manager_id": pd.array(np.where(first, -1, emp_ids[boss_pos]), dtype="Int64"),
            "salary": rng.normal(40000, 8000, n_e).round(0),
        }
    )
    employees.loc[first, "manager_id"] = pd.NA
    n_cu = 150 * size
    customers = pd.DataFrame(
        {
            "customer_id": [
                f"{a:08x}-{b:04x}-4{c:03x}-a{d:03x}-{e:012x}"
                for a, b, c, d, e in zip(
                    rng.integers(0, 2**32, n_cu),
                    rng.integers(0, 2**16, n_cu),
                    rng.integers(0, 2**12, n_cu),
                    rng.integers(0, 2**12, n_cu),
                    rng.integers(0, 2**48, n_cu),
                    strict=True,
                )
            ],
            "income": rng.lognormal(10, 0.4, n_cu).round(0),
            "email": [f"c{i}@example.net" for i in range(n_cu)],
        }
    )
    n_ord = rng.poisson(customers["income"].to_numpy() / 15000.0)
    o_cust = np.repeat(customers["customer_id"].to_numpy(), n_ord)
    n_o = len(o_cust)
    sales = rng.choice(emp_ids, n_o).astype(float)
    sales[rng.random(n_o) < 0.3] = np.nan
    orders = pd.DataFrame(
        {
            "order_id": np.arange(1, n_o + 1),
            "customer_id": o_cust,
            "store_id": rng.choice(stores["store_id"].to_numpy(), n_o),
            "salesperson_id": pd.array(sales, dtype="Int64"),
            "total": rng.gamma(2.0, 30.0, n_o).round(2),
        }
    )
    n_pr = 40 * size
    products = pd.DataFrame(
        {"product_id": np.arange(1, n_pr + 1), "weight": rng.gamma(2.0, 1.5, n_pr).round(2)}
    )
    n_it = 1 + rng.poisson(orders["total"].to_numpy() / 60.0)
    items = pd.DataFrame(
        {
            "order_id": np.repeat(orders["order_id"].to_numpy(), n_it),
            "product_id": rng.integers(1, n_pr + 1, n_it.sum()),
            "qty": rng.integers(1, 4, n_it.sum()),
        }
    ).drop_duplicates(["order_id", "product_id"], ignore_index=True)
    n_sh = rng.integers(0, 3, len(items))
    shipments = pd.DataFrame(
        {
            "shipment_id": [f"SH{i:07d}" for i in range(n_sh.sum())],
            "order_id": np.repeat(items["order_id"].to_numpy(), n_sh),
            "product_id": np.repeat(items["product_id"].to_numpy(), n_sh),
            "days": rng.integers(1, 10, n_sh.sum()),
        }
    )
    tables: dict[str, pd.DataFrame] = {
        "regions": regions,
        "stores": stores,
        "employees": employees,
        "customers": customers,
        "orders": orders,
        "products": products,
        "order_items": items,
        "shipments": shipments,
    }
    cols: dict[str, dict[str, Column]] = {
        "regions": {
            "region_id": _id(),
            "climate": Column(sdtype="categorical"),
            "population": _num(),
        },
        "stores": {"store_id": _id(), "region_id": _id(), "sqft": _num()},
        "employees": {
            "employee_id": _id(),
            "store_id": _id(),
            "manager_id": _id(),
            "salary": _num(),
        },
        "customers": {
            "customer_id": _id(),
            "income": _num(),
            "email": Column(sdtype="pii", kind="email"),
        },
        "orders": {
            "order_id": _id(),
            "customer_id": _id(),
            "store_id": _id(),
            "salesperson_id": _id(),
            "total": _num(),
        },
        "products": {"product_id": _id(), "weight": _num()},
        "order_items": {"order_id": _id(), "product_id": _id(), "qty": _num(True)},
        "shipments": {
            "shipment_id": _id(),
            "order_id": _id(),
            "product_id": _id(),
            "days": _num(True),
        },
    }
    pks: dict[str, list[str]] = {
        "regions": ["region_id"],
        "stores": ["store_id"],
        "employees": ["employee_id"],
        "customers": ["customer_id"],
        "orders": ["order_id"],
        "products": ["product_id"],
        "order_items": ["order_id", "product_id"],
        "shipments": ["shipment_id"],
    }
    rels = [
        _fk("stores", ["region_id"], "regions", ["region_id"]),
        _fk("employees", ["store_id"], "stores", ["store_id"]),
        _fk("employees", ["manager_id"], "employees", ["employee_id"]),
        _fk("orders", ["customer_id"], "customers", ["customer_id"]),
        _fk("orders", ["store_id"], "stores", ["store_id"]),
        _fk("orders", ["salesperson_id"], "employees", ["employee_id"]),
        _fk("order_items", ["order_id"], "orders", ["order_id"]),
        _fk("order_items", ["product_id"], "products", ["product_id"]),
        _fk("shipments", ["order_id", "product_id"], "order_items", ["order_id", "product_id"]),
    ]
    if extra:
        pairs = pd.MultiIndex.from_product(
            [stores["store_id"], products["product_id"]], names=["store_id", "product_id"]
        ).to_frame(index=False)
        inventory = pairs.sample(frac=0.3, random_state=seed).reset_index(drop=True)
        inventory["stock"] = rng.integers(0, 100, len(inventory))
        reviews = pd.DataFrame(
            {
                "review_id": np.arange(1, 3 * n_cu + 1),
                "customer_id": rng.choice(customers["customer_id"].to_numpy(), 3 * n_cu),
                "product_id": rng.integers(1, n_pr + 1, 3 * n_cu),
                "stars": rng.integers(1, 6, 3 * n_cu),
            }
        )
        ret = shipments.sample(frac=0.4, random_state=seed).reset_index(drop=True)
        returns = pd.DataFrame(
            {
                "return_id": np.arange(1, len(ret) + 1),
                "shipment_id": ret["shipment_id"],
                "reason": rng.choice(["damaged", "late", "other"], len(ret)),
            }
        )
        tables.update(inventory=inventory, reviews=reviews, returns=returns)
        cols["inventory"] = {"store_id": _id(), "product_id": _id(), "stock": _num(True)}
        cols["reviews"] = {
            "review_id": _id(),
            "customer_id": _id(),
            "product_id": _id(),
            "stars": _num(True),
        }
        cols["returns"] = {
            "return_id": _id(),
            "shipment_id": _id(),
            "reason": Column(sdtype="categorical"),
        }
        pks.update(
            inventory=["store_id", "product_id"], reviews=["review_id"], returns=["return_id"]
        )
        rels += [
            _fk("inventory", ["store_id"], "stores", ["store_id"]),
            _fk("inventory", ["product_id"], "products", ["product_id"]),
            _fk("reviews", ["customer_id"], "customers", ["customer_id"]),
            _fk("reviews", ["product_id"], "products", ["product_id"]),
            _fk("returns", ["shipment_id"], "shipments", ["shipment_id"]),
        ]
    meta = Metadata(
        tables={n: Table(name=n, primary_key=pks[n], columns=cols[n]) for n in tables},
        relations=rels,
    )
    return meta, tables


# --- hypothesis strategy ---------------------------------------------------------------------
def _key_values(style: str, n: int, rng: np.random.Generator, tag: str) -> np.ndarray:
    if style == "int":
        return np.arange(1, n + 1) * 3 + 7
    if style == "str":
        return np.array([f"{tag.upper()}-{i:05d}" for i in range(n)], dtype=object)
    raw = rng.integers(0, 2**48, size=(n, 2))
    return np.array([f"{a:012x}-{b:012x}" for a, b in raw], dtype=object)


def build_schema(plan: list[dict[str, Any]], seed: int, root_rows: int = 14) -> Schema:
    """Make ``(Metadata, data)`` from a table plan: each entry has ``parents`` (indices of
    earlier tables; the first drives the row count), ``self_ref``, ``composite`` (PK = first
    foreign key + a line number) and ``style`` (``int``/``str``/``uuid``)."""
    rng = np.random.default_rng(seed)
    tables: dict[str, pd.DataFrame] = {}
    metas: dict[str, Table] = {}
    rels: list[ForeignKey] = []
    for t, spec in enumerate(plan):
        name = f"t{t}"
        parents = [f"t{p}" for p in spec["parents"]]
        cols: dict[str, Column] = {}
        data: dict[str, Any] = {}
        if parents:
            drv = tables[parents[0]]
            lam = 0.5 + 2.0 * (drv["x"].to_numpy() > drv["x"].median())
            counts = rng.poisson(lam)
            counts[rng.integers(0, len(drv))] += 10  # at least ~10 rows
            pos = np.repeat(np.arange(len(drv)), counts)
        else:
            pos = np.arange(root_rows + int(rng.integers(0, 20)))
        n = len(pos)
        for j, parent in enumerate(parents):
            ppk = metas[parent].primary_key or []
            pframe = tables[parent]
            ppos = pos if j == 0 else rng.integers(0, len(pframe), n)
            ccols = [f"{parent}_{c}" for c in ppk]
            for ccol, pcol in zip(ccols, ppk, strict=True):
                data[ccol] = pframe[pcol].to_numpy()[ppos]
                cols[ccol] = _id()
            rels.append(_fk(name, ccols, parent, list(ppk)))
        if spec.get("composite") and parents:
            first = [f"{parents[0]}_{c}" for c in metas[parents[0]].primary_key or []]
            line = pd.DataFrame({c: data[c] for c in first}).groupby(first).cumcount() + 1
            data["line"] = line.to_numpy()
            cols["line"] = _id()
            pk = [*first, "line"]
        else:
            data["id"] = _key_values(spec.get("style", "int"), n, rng, name)
            cols["id"] = _id()
            pk = ["id"]
        parent_x = tables[parents[0]]["x"].to_numpy()[pos] if parents else 0.0
        data["x"] = np.round(rng.normal(0, 1, n) + 0.8 * parent_x, 3)
        data["c"] = rng.choice(["p", "q", "r"], n)
        cols["x"] = _num()
        cols["c"] = Column(sdtype="categorical")
        if spec.get("self_ref") and pk == ["id"]:
            boss = np.where(rng.random(n) < 0.3, -1, rng.integers(0, max(n // 3, 1), n))
            boss[np.arange(n) <= boss] = -1
            ids = pd.Series(data["id"])
            ref = ids.iloc[np.maximum(boss, 0)].reset_index(drop=True)
            data["boss"] = ref.where(pd.Series(boss >= 0), None).to_numpy()
            if spec.get("style", "int") == "int":
                data["boss"] = pd.array(data["boss"], dtype="Int64")
            cols["boss"] = _id()
            rels.append(_fk(name, ["boss"], name, ["id"]))
        tables[name] = pd.DataFrame(data)
        metas[name] = Table(name=name, primary_key=pk, columns=cols)
    return Metadata(tables=metas, relations=rels), tables


def schemas(max_tables: int = 5) -> Any:
    """Hypothesis strategy of relational ``(Metadata, data)`` pairs (T-H3)."""
    from hypothesis import strategies as st

    @st.composite
    def _schemas(draw: Callable[[Any], Any]) -> Schema:
        n = draw(st.integers(1, max_tables))
        plan: list[dict[str, Any]] = []
        for t in range(n):
            parents: list[int] = []
            if t > 0:
                parents = draw(st.lists(st.integers(0, t - 1), min_size=0, max_size=2, unique=True))
            plan.append(
                {
                    "parents": parents,
                    "self_ref": draw(st.booleans()),
                    "composite": bool(parents) and draw(st.booleans()),
                    "style": draw(st.sampled_from(["int", "str", "uuid"])),
                }
            )
        seed = draw(st.integers(0, 2**31 - 1))
        return build_schema(plan, seed)

    return _schemas()
