"""PII providers: valid, deterministic, never real values; consistent mapping for joins."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from synthohive.errors import PrivacyError
from synthohive.metadata.recognisers import is_credit_card, is_iban, is_ssn
from synthohive.metadata.schema import Column
from synthohive.privacy import consistent_map, detect_pii, fill_column, learn_profile


def pii(kind: str, dtype: str = "str", **kw: object) -> Column:
    return Column(sdtype="pii", kind=kind, dtype=dtype, strategy="fake", **kw)


VALID_KINDS = ["email", "phone", "ssn", "credit_card", "iban", "ip", "name", "address"]


@pytest.mark.parametrize("kind", VALID_KINDS)
def test_fill_column_valid_and_detected_as_same_kind(kind: str) -> None:
    out = fill_column(pii(kind), 500, np.random.default_rng(1))
    assert len(out) == 500 and out.notna().all() and out.dtype == "str"
    m = detect_pii(out, "value")
    assert m is not None and m.kind == kind and m.match_rate >= 0.8


def test_checksums_hold_for_every_value() -> None:
    rng = np.random.default_rng(2)
    assert is_credit_card(fill_column(pii("credit_card"), 2000, rng).astype(object)).all()
    assert is_iban(fill_column(pii("iban"), 2000, rng).astype(object)).all()
    assert is_ssn(fill_column(pii("ssn"), 2000, rng).astype(object)).all()


@pytest.mark.parametrize("kind", ["email", "phone", "name", "address", "text", "date_of_birth"])
def test_deterministic_with_seed(kind: str) -> None:
    col = Column(sdtype="text", dtype="str") if kind == "text" else pii(kind)
    a = fill_column(col, 300, np.random.default_rng(7))
    b = fill_column(col, 300, np.random.default_rng(7))
    c = fill_column(col, 300, np.random.default_rng(8))
    pd.testing.assert_series_equal(a, b)
    assert not a.equals(c)


def _training(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    area, exch, line = (
        rng.integers(200, 999, n),
        rng.integers(200, 999, n),
        rng.integers(0, 9999, n),
    )
    return pd.DataFrame(
        {
            "email": [f"person{i}.x@gmail.com" if i % 4 else f"p{i}@corp{i}.com" for i in range(n)],
            "phone": [f"({a}) {e}-{x:04d}" for a, e, x in zip(area, exch, line)],
            "ssn": [
                f"{a:03d}-{g:02d}-{s:04d}"
                for a, g, s in zip(
                    rng.integers(1, 600, n), rng.integers(1, 99, n), rng.integers(1, 9999, n)
                )
            ],
        }
    )


def test_profile_is_aggregate_and_output_never_copies_training_values() -> None:
    train = _training()
    rng = np.random.default_rng(4)
    for kind in ["email", "phone", "ssn"]:
        col = pii(kind)
        prof = learn_profile(train[kind], col)
        text = json.dumps(prof)  # JSON-safe
        assert not any(v in text for v in train[kind])  # no raw values
        out = fill_column(col, 2000, rng, profile=prof)
        assert not set(out).intersection(train[kind])
    phone = fill_column(pii("phone"), 300, rng, profile=learn_profile(train["phone"], pii("phone")))
    assert phone.str.fullmatch(r"\(\d{3}\) \d{3}-\d{4}").all()  # format preserved
    prof = learn_profile(train["email"], pii("email"))
    assert prof["free_mail_share"] == pytest.approx(0.75)
    emails = fill_column(pii("email"), 4000, rng, profile=prof)
    free = (
        emails.str.split("@")
        .str[-1]
        .isin(["gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "icloud.com", "aol.com"])
    )
    assert abs(free.mean() - 0.75) < 0.05


def test_null_share_and_dtype_from_profile() -> None:
    s = pd.Series(["a@b.com", None, None, "c@d.org"] * 50)
    prof = learn_profile(s, pii("email"))
    out = fill_column(pii("email", nullable=True), 4000, np.random.default_rng(5), profile=prof)
    assert abs(out.isna().mean() - 0.5) < 0.05
    dob = fill_column(pii("date_of_birth", dtype="datetime64[ns]"), 50, np.random.default_rng(0))
    assert str(dob.dtype) == "datetime64[ns]" and dob.dt.year.between(1935, 2005).all()


def test_unknown_locale_names_column_and_fix() -> None:
    with pytest.raises(PrivacyError) as err:
        fill_column(pii("name", locale="xx_YY"), 3, np.random.default_rng(0), name="full_name")
    msg = str(err.value)
    assert "column 'full_name'" in msg and "xx_YY" in msg and "Fix:" in msg
    de = fill_column(pii("name", locale="de_DE"), 20, np.random.default_rng(0))
    assert de.str.contains(" ").all()


def test_consistent_map_keeps_joins_across_tables() -> None:
    emails = [f"user{i}@example.com" for i in range(300)]
    customers = pd.DataFrame({"email": emails})
    rng = np.random.default_rng(6)
    orders = pd.DataFrame({"email": list(rng.choice(emails, 1000)) + [None] * 10})
    col = pii("email")
    parent = consistent_map(customers["email"], col, key="secret")
    child = consistent_map(orders["email"], col, key="secret")
    assert parent.is_unique and not set(parent).intersection(emails)
    mapping = dict(zip(customers["email"], parent))
    expected = orders["email"].map(mapping)
    pd.testing.assert_series_equal(
        child.fillna("∅").astype(object), expected.fillna("∅").astype(object), check_names=False
    )
    assert child.isna().sum() == 10
    joined = orders.assign(fake=child).merge(customers.assign(fake=parent), on="fake")
    assert (joined["email_x"] == joined["email_y"]).all() and len(joined) == 1000
    other = consistent_map(customers["email"], col, key="other-key")
    assert (other != parent).mean() > 0.95
    upper = consistent_map(customers["email"].str.upper(), col, key="secret")
    assert upper.tolist() == parent.tolist()  # normalised before mapping


def test_consistent_map_resolves_collisions_for_keys() -> None:
    values = pd.Series([f"id-{i}" for i in range(3000)])
    out = consistent_map(values, pii("first_name"), key="k", unique=True)
    assert out.is_unique  # 400 first names cannot cover 3000 keys without resolution
    again = consistent_map(values, pii("first_name"), key="k", unique=True)
    assert out.equals(again)


def test_fill_column_unique_for_key_columns() -> None:
    out = fill_column(pii("first_name"), 2000, np.random.default_rng(9), unique=True)
    assert out.is_unique and out.notna().all()
    emails = fill_column(pii("email"), 5000, np.random.default_rng(9), unique=True)
    assert emails.is_unique
    assert detect_pii(emails, "x") is not None


def test_consistent_map_universe_keeps_joins_under_collisions() -> None:
    keys = pd.Series([f"k{i}" for i in range(2000)])
    col = pii("first_name")  # 400 names: collisions are certain
    parent = consistent_map(keys, col, key="s", unique=True)
    child_vals = keys.iloc[::7].reset_index(drop=True)
    child = consistent_map(child_vals, col, key="s", unique=True, universe=keys)
    assert parent.is_unique
    assert child.tolist() == parent.iloc[::7].tolist()
