"""sanitize(): strategies, keyed pseudonyms, FK consistency (RELIABILITY T-P4, T-P5, T-P6)."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from synthohive.errors import PrivacyError
from synthohive.metadata.schema import Column, Metadata, Table
from synthohive.privacy import PrivacyConfig, sanitize

EMAIL = Column(sdtype="pii", kind="email")


def _schema() -> tuple[Metadata, dict[str, pd.DataFrame]]:
    emails = [f"user{i}@corp{i % 7}.example" for i in range(60)]
    customers = pd.DataFrame(
        {
            "customer_email": emails,
            "name": [f"Person {i}" for i in range(60)],
            "referred_by": [None if i % 3 == 0 else emails[(i * 7) % 60] for i in range(60)],
            "score": np.arange(60.0),
        }
    )
    addresses = pd.DataFrame(
        {
            "customer_email": [e for e in emails[:40] for _ in range(2)],
            "label": ["home", "work"] * 40,
            "city": ["Berlin", "Paris"] * 40,
        }
    )
    deliveries = pd.DataFrame(
        {
            "delivery_id": np.arange(100),
            "customer_email": [emails[i % 40] for i in range(100)],
            "label": ["home" if i % 2 else "work" for i in range(100)],
        }
    )
    orders = pd.DataFrame(
        {
            "order_id": np.arange(150),
            "customer_email": [None if i % 10 == 0 else emails[i % 60] for i in range(150)],
        }
    )
    meta = Metadata(
        tables={
            "customers": Table(
                name="customers",
                primary_key=["customer_email"],
                columns={
                    "customer_email": EMAIL,
                    "name": Column(sdtype="pii", kind="name"),
                    "referred_by": Column(sdtype="id"),
                    "score": Column(sdtype="numerical"),
                },
            ),
            "addresses": Table(
                name="addresses",
                primary_key=["customer_email", "label"],
                columns={
                    "customer_email": Column(sdtype="id"),
                    "label": Column(sdtype="categorical"),
                    "city": Column(sdtype="categorical"),
                },
            ),
            "deliveries": Table(
                name="deliveries",
                primary_key=["delivery_id"],
                columns={
                    "delivery_id": Column(sdtype="id"),
                    "customer_email": Column(sdtype="id"),
                    "label": Column(sdtype="categorical"),
                },
            ),
            "orders": Table(
                name="orders",
                primary_key=["order_id"],
                columns={"order_id": Column(sdtype="id"), "customer_email": Column(sdtype="id")},
            ),
        }
    )
    meta.add_foreign_key("customers", "referred_by", "customers", "customer_email")
    meta.add_foreign_key("addresses", "customer_email", "customers", "customer_email")
    meta.add_foreign_key(
        "deliveries", ["customer_email", "label"], "addresses", ["customer_email", "label"]
    )
    meta.add_foreign_key("orders", "customer_email", "customers", "customer_email")
    return meta, {
        "customers": customers,
        "addresses": addresses,
        "deliveries": deliveries,
        "orders": orders,
    }


def _keys(df: pd.DataFrame, cols: list[str]) -> set[tuple[object, ...]]:
    return set(map(tuple, df[cols].dropna().to_numpy().tolist()))


@pytest.mark.parametrize("strategy", ["fake", "hash"])
def test_fk_integrity_survives_sanitisation(strategy: str) -> None:  # T-P5
    meta, data = _schema()
    out = sanitize(data, meta, config=PrivacyConfig(default_strategy=strategy, key=b"k" * 16))
    assert isinstance(out, dict)
    cust, addr, deliv, orders = (out[t] for t in ("customers", "addresses", "deliveries", "orders"))
    real_emails = set(data["customers"]["customer_email"])
    assert not real_emails & set(cust["customer_email"])
    assert cust["customer_email"].is_unique
    pk = set(cust["customer_email"])
    assert set(addr["customer_email"]) <= pk
    assert set(orders["customer_email"].dropna()) <= pk
    assert set(cust["referred_by"].dropna()) <= pk
    assert _keys(deliv, ["customer_email", "label"]) <= _keys(addr, ["customer_email", "label"])
    # nulls preserved exactly
    assert (orders["customer_email"].isna() == data["orders"]["customer_email"].isna()).all()
    assert (cust["referred_by"].isna() == data["customers"]["referred_by"].isna()).all()
    # non-PII columns untouched
    pd.testing.assert_series_equal(cust["score"], data["customers"]["score"])
    assert not set(cust["name"]) & set(data["customers"]["name"])


def test_keyed_deterministic_and_unlinkable() -> None:  # T-P4
    meta, data = _schema()
    a1 = sanitize(data, meta, config=PrivacyConfig(default_strategy="hash", key=b"secret-one"))
    a2 = sanitize(data, meta, config=PrivacyConfig(default_strategy="hash", key=b"secret-one"))
    b = sanitize(data, meta, config=PrivacyConfig(default_strategy="hash", key=b"secret-two"))
    assert isinstance(a1, dict) and isinstance(a2, dict) and isinstance(b, dict)
    pd.testing.assert_frame_equal(a1["customers"], a2["customers"])
    assert not set(a1["customers"]["customer_email"]) & set(b["customers"]["customer_email"])
    plain = {hashlib.sha256(e.encode()).hexdigest() for e in data["customers"]["customer_email"]}
    out_values = set(a1["customers"]["customer_email"].astype(str))
    assert not any(p[:32] in out_values or p in out_values for p in plain)
    f1 = sanitize(data, meta, config=PrivacyConfig(key=b"secret-one"))
    f2 = sanitize(data, meta, config=PrivacyConfig(key=b"secret-one"))
    assert isinstance(f1, dict) and isinstance(f2, dict)
    pd.testing.assert_frame_equal(f1["orders"], f2["orders"])
    config = PrivacyConfig(default_strategy="hash", key=b"never-show-me")
    assert "never-show-me" not in repr(config) and "never-show-me" not in str(config)


def test_normalisation_gives_one_pseudonym() -> None:  # T-P6
    df = pd.DataFrame(
        {
            "email": [" Alice@Example.COM ", "alice@example.com", "bob@example.com"],
            "phone": ["+1 (202) 555-0143", "2025550143", "(303) 555-0199"],
        }
    )
    meta = Metadata(
        tables={
            "t": Table(
                name="t", columns={"email": EMAIL, "phone": Column(sdtype="pii", kind="phone")}
            )
        }
    )
    for strategy in ("fake", "hash"):
        out = sanitize(df, meta, config=PrivacyConfig(default_strategy=strategy, key=b"k"))
        assert isinstance(out, pd.DataFrame)
        assert out["email"][0] == out["email"][1] != out["email"][2]
        assert out["phone"][0] == out["phone"][1] != out["phone"][2]


def test_mask_drop_keep() -> None:
    df = pd.DataFrame(
        {
            "email": ["alice@example.com", None],
            "card": ["4111 1111 1111 1111", "5500-0000-0000-0004"],
            "ssn": ["123-45-6789", "234-56-7890"],
            "note": ["x", "y"],
        }
    )
    meta = Metadata(
        tables={
            "t": Table(
                name="t",
                columns={
                    "email": EMAIL,
                    "card": Column(sdtype="pii", kind="credit_card"),
                    "ssn": Column(sdtype="pii", kind="ssn"),
                    "note": Column(sdtype="text"),
                },
            )
        }
    )
    out = sanitize(
        df,
        meta,
        config=PrivacyConfig(
            strategies={"email": "mask", "card": "mask", "ssn": "drop", "note": "keep"}
        ),
    )
    assert isinstance(out, pd.DataFrame)
    assert out["email"][0] == "a****@example.com"
    assert pd.isna(out["email"][1])
    assert out["card"].tolist() == ["#### #### #### 1111", "####-####-####-0004"]
    assert "ssn" not in out.columns
    assert out["note"].tolist() == ["x", "y"]


def test_bad_configuration_is_typed(monkeypatch: pytest.MonkeyPatch) -> None:
    meta, data = _schema()
    monkeypatch.delenv("SYNTHOHIVE_HMAC_KEY", raising=False)
    with pytest.raises(PrivacyError, match="needs a secret key") as info:
        sanitize(data, meta, config=PrivacyConfig(default_strategy="hash"))
    assert info.value.column is not None and "SYNTHOHIVE_HMAC_KEY" in str(info.value)
    with pytest.raises(PrivacyError, match="unknown strategy"):
        sanitize(data, meta, config=PrivacyConfig(strategies={"customers.name": "shred"}))
    with pytest.raises(PrivacyError, match="does not exist"):
        sanitize(data, meta, config=PrivacyConfig(strategies={"customers.nope": "fake"}))
    with pytest.raises(PrivacyError, match="customers") as loc:
        sanitize(data, meta, config=PrivacyConfig(locale="xx_NOPE"))
    assert "locale" in str(loc.value).lower()
    monkeypatch.setenv("SYNTHOHIVE_HMAC_KEY", "from-env")
    out = sanitize(data, meta, config=PrivacyConfig(default_strategy="hash"))
    assert isinstance(out, dict)
    assert "from-env" not in out["customers"].to_string()


def test_output_is_written_atomically(tmp_path: object) -> None:
    from pathlib import Path

    meta, data = _schema()
    target = Path(str(tmp_path)) / "clean"
    sanitize(data, meta, config=PrivacyConfig(key=b"k"), output=f"parquet://{target}")
    written = {p.stem for p in target.glob("*.parquet")}
    assert written == set(data)
    back = pd.read_parquet(target / "customers.parquet")
    assert not set(back["customer_email"]) & set(data["customers"]["customer_email"])


def test_default_strategy_applies_to_detected_pii() -> None:
    from synthohive.demo import load_demo
    from synthohive.metadata.schema import Metadata as Meta

    customers = load_demo()["customers"].head(200)
    meta = Meta.detect(customers, table_name="customers")
    assert meta.tables["customers"].columns["email"].sdtype == "pii"
    out = sanitize(customers, meta, config=PrivacyConfig(default_strategy="hash", key=b"k"))
    assert isinstance(out, pd.DataFrame)
    assert out["email"].str.fullmatch(r"[0-9a-f]{32}").all()
    assert out["name"].str.fullmatch(r"[0-9a-f]{32}").all()
    pd.testing.assert_series_equal(out["age"], customers["age"])


def test_pk_stays_unique_when_fakes_collide() -> None:  # T-P5, collision forced
    # 3 000 distinct first names as a primary key: far more than the provider's first-name
    # pool, so fake values must collide and be resolved without breaking the join.
    keys = [f"Person{i:04d}" for i in range(3000)]
    parents = pd.DataFrame({"who": keys, "v": np.arange(3000)})
    children = pd.DataFrame({"cid": np.arange(6000), "who": [keys[i % 3000] for i in range(6000)]})
    meta = Metadata(
        tables={
            "p": Table(
                name="p",
                primary_key=["who"],
                columns={
                    "who": Column(sdtype="pii", kind="first_name"),
                    "v": Column(sdtype="numerical"),
                },
            ),
            "c": Table(
                name="c",
                primary_key=["cid"],
                columns={"cid": Column(sdtype="id"), "who": Column(sdtype="id")},
            ),
        }
    )
    meta.add_foreign_key("c", "who", "p", "who")
    out = sanitize({"p": parents, "c": children}, meta, config=PrivacyConfig(key=b"k"))
    assert isinstance(out, dict)
    assert out["p"]["who"].is_unique
    assert set(out["c"]["who"]) <= set(out["p"]["who"])
    mapping = dict(zip(parents["who"], out["p"]["who"]))
    assert (children["who"].map(mapping) == out["c"]["who"]).all()


def test_third_party_sanitizer_plugs_in_through_the_hook() -> None:
    from synthohive.hookspecs import hookimpl
    from synthohive.plugins import load_plugins
    from synthohive.privacy.sanitizers import Sanitizer
    from synthohive.registry import Registry, use_registry

    class Initials(Sanitizer):
        name = "initials"

        def _apply(
            self,
            values: pd.Series,
            column: Column,
            *,
            unique: bool,
            name: str,
            universe: pd.Series | None,
        ) -> pd.Series | None:
            return values.str.split().map(lambda parts: "".join(p[0] for p in parts) + ".")

    class Plugin:
        @hookimpl
        def register_sanitizers(self) -> list[type]:
            return [Initials]

    registry = Registry(load_plugins(entry_points=False, extra=[(Plugin(), "synthohive-initials")]))
    df = pd.DataFrame({"name": ["Ada Lovelace", "Alan Turing"], "n": [1, 2]})
    meta = Metadata(
        tables={
            "t": Table(
                name="t",
                columns={
                    "name": Column(sdtype="pii", kind="name"),
                    "n": Column(sdtype="numerical"),
                },
            )
        }
    )
    with use_registry(registry):
        assert "initials" in registry.list_sanitizers()
        out = sanitize(df, meta, config=PrivacyConfig(strategies={"name": "initials"}))
    assert isinstance(out, pd.DataFrame)
    assert out["name"].tolist() == ["AL.", "AT."]
    assert registry.info("sanitizers", "initials").distribution == "synthohive-initials"
