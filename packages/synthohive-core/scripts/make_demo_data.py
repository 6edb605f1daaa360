"""Generate the demo retail schema shipped inside ``synthohive.demo`` (run once; output kept).

    python packages/synthohive-core/scripts/make_demo_data.py

Four tables, written as parquet into ``src/synthohive/demo/data/`` (well under 2 MB):

- ``customers`` (2,000 rows): ``customer_id`` int PK; PII ``name``, ``email``, ``phone``;
  ``signup_at`` (naive datetime, 2019-2024); ``country``; ``segment`` (consumer /
  small_business / enterprise); ``age`` (Int64, ~8 % null, enterprise buyers older);
  ``credit_limit`` (float, log-normal, driven by segment).
- ``products`` (200 rows): ``product_id`` like ``P-0001``; ``category``; ``price`` (2 decimals,
  log-normal per category); ``in_stock`` (bool).
- ``orders`` (~6,000 rows): ``order_id`` like ``INV-000123``; FK ``customer_id``;
  ``ordered_at`` (tz-aware UTC, after the customer's signup); ``status``; ``discount``
  (nullable, more often and larger for business segments).
- ``order_items`` (~15,000 rows): ``item_id`` int PK; FK ``order_id``; FK ``product_id``;
  ``quantity`` (larger for business segments); ``unit_price`` (product price minus a small
  promotion).

Correlations built in: segment drives the number of orders per customer (negative binomial,
so ~20 % of customers have none), the credit limit, the discount and the quantities; the
category drives the price. Everything derives from ``SEED`` (numpy and Faker), so re-running
the script reproduces the same files with the same library versions.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from faker import Faker

SEED = 20240611
N_CUSTOMERS = 2_000
N_PRODUCTS = 200
OUT = Path(__file__).resolve().parents[1] / "src" / "synthohive" / "demo" / "data"

SEGMENTS = {  # share, mean orders, credit-limit median, discount probability
    "consumer": (0.65, 2.2, 1_500.0, 0.20),
    "small_business": (0.25, 3.8, 8_000.0, 0.35),
    "enterprise": (0.10, 6.6, 40_000.0, 0.60),
}
COUNTRIES = {
    "US": 0.40,
    "GB": 0.15,
    "DE": 0.12,
    "FR": 0.10,
    "CA": 0.08,
    "AU": 0.06,
    "NL": 0.05,
    "ES": 0.04,
}
CATEGORIES = {  # share of the catalogue, median price
    "electronics": (0.18, 180.0),
    "home": (0.20, 45.0),
    "apparel": (0.22, 35.0),
    "books": (0.12, 14.0),
    "toys": (0.10, 25.0),
    "sports": (0.10, 60.0),
    "grocery": (0.08, 6.0),
}
STATUSES = {"completed": 0.78, "shipped": 0.10, "cancelled": 0.07, "returned": 0.05}


def _choice(rng: np.random.Generator, table: dict[str, float], n: int) -> np.ndarray:
    keys = list(table)
    p = np.array(list(table.values()))
    return rng.choice(keys, size=n, p=p / p.sum())


def make_customers(rng: np.random.Generator, fake: Faker) -> pd.DataFrame:
    n = N_CUSTOMERS
    segment = _choice(rng, {k: v[0] for k, v in SEGMENTS.items()}, n)
    first = [fake.first_name() for _ in range(n)]
    last = [fake.last_name() for _ in range(n)]
    domains = rng.choice(["example.com", "mail.test", "inbox.example", "corp.example"], n)
    ids = np.arange(1, n + 1)
    email = [
        f"{f.lower()}.{la.lower()}{i}@{d}".replace(" ", "").replace("'", "")
        for f, la, i, d in zip(first, last, ids, domains, strict=True)
    ]
    start = pd.Timestamp("2019-01-01").value // 10**9
    end = pd.Timestamp("2024-06-30").value // 10**9
    signup = pd.to_datetime(rng.integers(start, end, n), unit="s")
    base_age = np.where(segment == "enterprise", 46, np.where(segment == "small_business", 41, 36))
    age = np.clip(np.round(rng.normal(base_age, 11)), 18, 85).astype("int64")
    age_s = pd.array(age, dtype="Int64")
    age_s[rng.random(n) < 0.08] = pd.NA
    median = np.array([SEGMENTS[s][2] for s in segment])
    credit = np.round(median * rng.lognormal(0.0, 0.45, n) / 50.0) * 50.0
    return pd.DataFrame(
        {
            "customer_id": ids.astype("int64"),
            "name": [f"{f} {la}" for f, la in zip(first, last, strict=True)],
            "email": email,
            "phone": [fake.phone_number() for _ in range(n)],
            "signup_at": signup,
            "country": _choice(rng, COUNTRIES, n),
            "segment": segment,
            "age": age_s,
            "credit_limit": credit.astype("float64"),
        }
    )


def make_products(rng: np.random.Generator) -> pd.DataFrame:
    n = N_PRODUCTS
    category = _choice(rng, {k: v[0] for k, v in CATEGORIES.items()}, n)
    median = np.array([CATEGORIES[c][1] for c in category])
    price = np.round(median * rng.lognormal(0.0, 0.5, n), 0) - 0.01
    price = np.maximum(price, 0.99)
    return pd.DataFrame(
        {
            "product_id": [f"P-{i:04d}" for i in range(1, n + 1)],
            "category": category,
            "price": np.round(price, 2),
            "in_stock": rng.random(n) < 0.9,
        }
    )


def make_orders(rng: np.random.Generator, customers: pd.DataFrame) -> pd.DataFrame:
    segment = customers["segment"].to_numpy()
    mean = np.array([SEGMENTS[s][1] for s in segment])
    dispersion = 1.5  # negative binomial: variance = mean + mean^2 / dispersion
    counts = rng.negative_binomial(dispersion, dispersion / (dispersion + mean))
    owner = np.repeat(np.arange(len(customers)), counts)
    n = len(owner)
    signup = customers["signup_at"].to_numpy()[owner]
    horizon = pd.Timestamp("2024-12-31").to_datetime64()
    span = (horizon - signup).astype("timedelta64[s]").astype("int64")
    offset = (rng.random(n) ** 1.3 * span).astype("int64")
    ordered = pd.to_datetime(signup + offset.astype("timedelta64[s]")).tz_localize("UTC")
    order_segment = segment[owner]
    p_discount = np.array([SEGMENTS[s][3] for s in order_segment])
    has_discount = rng.random(n) < p_discount
    size = np.where(order_segment == "enterprise", 0.15, 0.07)
    discount = np.round(np.clip(rng.normal(size, 0.04), 0.05, 0.30), 2)
    order = np.argsort(ordered.to_numpy(), kind="stable")
    frame = pd.DataFrame(
        {
            "customer_id": customers["customer_id"].to_numpy()[owner],
            "ordered_at": ordered,
            "status": _choice(rng, STATUSES, n),
            "discount": pd.array(np.where(has_discount, discount, np.nan), dtype="float64"),
        }
    ).iloc[order]
    frame.insert(0, "order_id", [f"INV-{i:06d}" for i in range(100, 100 + n)])
    return frame.reset_index(drop=True)


def make_items(
    rng: np.random.Generator,
    orders: pd.DataFrame,
    customers: pd.DataFrame,
    products: pd.DataFrame,
) -> pd.DataFrame:
    per_order = 1 + rng.poisson(1.5, len(orders))
    order_idx = np.repeat(np.arange(len(orders)), per_order)
    n = len(order_idx)
    # Popular products sell more: Zipf-like weights over the catalogue.
    weights = 1.0 / np.arange(1, len(products) + 1) ** 0.8
    product_idx = rng.choice(len(products), size=n, p=weights / weights.sum())
    segment_of = dict(zip(customers["customer_id"], customers["segment"], strict=True))
    seg = orders["customer_id"].map(segment_of).to_numpy()[order_idx]
    lam = np.where(seg == "enterprise", 4.0, np.where(seg == "small_business", 2.0, 0.6))
    quantity = 1 + rng.poisson(lam)
    promo = np.where(rng.random(n) < 0.25, rng.uniform(0.85, 0.98, n), 1.0)
    unit_price = np.round(products["price"].to_numpy()[product_idx] * promo, 2)
    return pd.DataFrame(
        {
            "item_id": np.arange(1, n + 1, dtype="int64"),
            "order_id": orders["order_id"].to_numpy()[order_idx],
            "product_id": products["product_id"].to_numpy()[product_idx],
            "quantity": quantity.astype("int64"),
            "unit_price": unit_price,
        }
    )


def main() -> None:
    """Write the four demo tables (parquet) into ``OUT``."""
    rng = np.random.default_rng(SEED)
    Faker.seed(SEED)
    fake = Faker("en_US")
    customers = make_customers(rng, fake)
    products = make_products(rng)
    orders = make_orders(rng, customers)
    items = make_items(rng, orders, customers, products)
    OUT.mkdir(parents=True, exist_ok=True)
    tables = {"customers": customers, "products": products, "orders": orders, "order_items": items}
    for name, frame in tables.items():
        frame.to_parquet(OUT / f"{name}.parquet", index=False, compression="zstd")
        size = (OUT / f"{name}.parquet").stat().st_size
        print(f"{name}: {len(frame)} rows, {size / 1024:.0f} KiB")  # noqa: T201


if __name__ == "__main__":
    main()
