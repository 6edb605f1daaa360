"""Detection on a real public schema (Chinook, 11 tables), read as CSV and as a database
would return it; a multi-table fit with orphans raises no pandas FutureWarning."""

from __future__ import annotations

import warnings
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synthohive.connectors import connect
from synthohive.metadata import Metadata
from synthohive.metadata.validate import validate_data, validate_metadata
from synthohive.privacy import sanitize
from synthohive.synthesizer import Synthesizer

CHINOOK = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "chinook"
pytestmark = pytest.mark.skipif(not CHINOOK.is_dir(), reason="Chinook fixture not present")

Rel = tuple[str, tuple[str, ...], str, tuple[str, ...]]

EXPECTED: set[Rel] = {
    ("album", ("artist_id",), "artist", ("artist_id",)),
    ("customer", ("support_rep_id",), "employee", ("employee_id",)),
    ("employee", ("reports_to",), "employee", ("employee_id",)),
    ("invoice", ("customer_id",), "customer", ("customer_id",)),
    ("invoice_line", ("invoice_id",), "invoice", ("invoice_id",)),
    ("invoice_line", ("track_id",), "track", ("track_id",)),
    ("playlist_track", ("playlist_id",), "playlist", ("playlist_id",)),
    ("playlist_track", ("track_id",), "track", ("track_id",)),
    ("track", ("album_id",), "album", ("album_id",)),
    ("track", ("genre_id",), "genre", ("genre_id",)),
    ("track", ("media_type_id",), "media_type", ("media_type_id",)),
}


def rels(meta: Metadata) -> set[Rel]:
    return {
        (r.child, tuple(r.child_columns), r.parent, tuple(r.parent_columns)) for r in meta.relations
    }


@pytest.fixture(scope="module")
def chinook() -> dict[str, pd.DataFrame]:
    src = connect(f"csv://{CHINOOK}")
    return {n: src.read(n) for n in src.list_tables()}


@pytest.fixture(scope="module")
def meta(chinook: dict[str, pd.DataFrame]) -> Metadata:
    return Metadata.detect(chinook)


def as_from_sql(df: pd.DataFrame) -> pd.DataFrame:
    """The frame a database driver would give: nullable integers as Int64, dates as
    datetime64, money as Decimal objects, strings as objects with None."""
    out: dict[str, pd.Series] = {}
    for c in df.columns:
        s = df[c]
        if c in {"unit_price", "total"}:
            out[c] = pd.Series(
                [None if pd.isna(v) else Decimal(f"{v:.2f}") for v in s], dtype=object
            )
        elif c.endswith("_date"):
            out[c] = pd.to_datetime(s, format="%Y-%m-%d %H:%M:%S")
        elif s.dtype == "float64":
            assert bool((s.dropna() % 1 == 0).all()), c  # only nullable integers are floats
            out[c] = s.astype("Int64")
        elif pd.api.types.is_string_dtype(s.dtype):
            out[c] = pd.Series([None if pd.isna(v) else str(v) for v in s], dtype=object)
        else:
            out[c] = s
    return pd.DataFrame(out)


def test_chinook_relations_and_keys(meta: Metadata, chinook: dict[str, pd.DataFrame]) -> None:
    assert rels(meta) == EXPECTED
    for name, table in meta.tables.items():
        if name != "playlist_track":
            assert table.primary_key == [f"{name}_id"], name
    assert meta.tables["playlist_track"].primary_key == ["playlist_id", "track_id"]
    for r in meta.relations:
        assert r.reason and "100.0%" in r.reason and "compatible" in r.reason
    validate_metadata(meta)
    validate_data(meta, chinook)


def test_role_named_and_self_reference_evidence(meta: Metadata) -> None:
    by = {(r.child, r.child_columns[0]): r for r in meta.relations}
    rep = by[("customer", "support_rep_id")].reason or ""
    assert "role-named key 'support_rep_id' (role 'rep')" in rep
    assert "staff table 'employee'" in rep and "3 distinct child values" in rep
    boss = by[("employee", "reports_to")].reason or ""
    assert boss.startswith("self-reference") and "'reports'" in boss
    assert "float64 holding whole numbers and int64" in boss  # nullable ints read as floats
    col = meta.tables["employee"].columns["reports_to"]
    assert (col.sdtype, col.dtype, col.nullable) == ("id", "float64", True)
    text = meta.explain()
    assert "customer(support_rep_id) -> employee(employee_id)" in text
    assert "employee(reports_to) -> employee(employee_id)" in text


def test_no_false_positives_on_measures(meta: Metadata) -> None:
    children = {(r.child, c) for r in meta.relations for c in r.child_columns}
    suggested = {(r.child, c) for r in meta.suggested_relations or [] for c in r.child_columns}
    for table, col in [
        ("invoice_line", "quantity"),
        ("invoice_line", "unit_price"),
        ("track", "milliseconds"),
        ("track", "bytes"),
        ("track", "unit_price"),
        ("invoice", "total"),
    ]:
        assert (table, col) not in children | suggested
        assert meta.tables[table].columns[col].sdtype == "numerical"
    assert meta.suggested_relations is None  # nothing in Chinook is left to suggest
    assert "Suggested relations" not in meta.explain()


def test_pii_consistent_across_tables(meta: Metadata) -> None:
    cust, inv = meta.tables["customer"].columns, meta.tables["invoice"].columns
    for part in ["address", "city", "state", "country", "postal_code"]:
        a, b = cust[part], inv[f"billing_{part}"]
        assert (a.sdtype, a.kind) == (b.sdtype, b.kind), part
    assert (inv["billing_address"].sdtype, inv["billing_address"].kind) == ("pii", "address")
    assert "59 of 59 distinct values (100%) also occur in customer.address" in (
        inv["billing_address"].reason or ""
    )
    assert "also occur in invoice.billing_address" in (cust["address"].reason or "")
    emp = meta.tables["employee"].columns
    assert (emp["birth_date"].sdtype, emp["birth_date"].kind) == ("pii", "date_of_birth")
    assert emp["hire_date"].sdtype == "datetime"


def test_sanitized_addresses_stay_consistent(
    meta: Metadata, chinook: dict[str, pd.DataFrame]
) -> None:
    out = sanitize(chinook, meta, key=b"k" * 32, seed=3)
    assert isinstance(out, dict)
    cols = ["customer_id", "address"]
    real = chinook["invoice"].merge(chinook["customer"][cols], on="customer_id")
    fake = out["invoice"].merge(out["customer"][cols], on="customer_id")
    same = (real["billing_address"] == real["address"]).to_numpy()
    assert same.mean() > 0.9
    assert bool((fake["billing_address"] == fake["address"]).to_numpy()[same].all())
    assert not set(fake["address"]) & set(real["address"])


def test_sql_and_csv_frames_detect_alike(meta: Metadata, chinook: dict[str, pd.DataFrame]) -> None:
    sql = {n: as_from_sql(df) for n, df in chinook.items()}
    assert sql["employee"]["reports_to"].dtype == "Int64"
    assert isinstance(sql["invoice"]["total"].iloc[0], Decimal)
    other = Metadata.detect(sql)
    assert rels(other) == rels(meta)
    for name, table in meta.tables.items():
        got = other.tables[name]
        assert got.primary_key == table.primary_key, name
        for cname, col in table.columns.items():
            o = got.columns[cname]
            assert (o.sdtype, o.kind) == (col.sdtype, col.kind), f"{name}.{cname}"
            assert o.dtype == str(sql[name][cname].dtype)  # restored as the caller had it
    total = other.tables["invoice"].columns["total"]
    assert (total.rounding, total.min) == (2, 0.99)
    assert "Decimal values read as float64" in (total.reason or "")
    assert other.tables["invoice"].columns["invoice_date"].format is None
    assert meta.tables["invoice"].columns["invoice_date"].format == "%Y-%m-%d %H:%M:%S"


def test_fit_with_orphans_raises_no_future_warning(
    meta: Metadata, chinook: dict[str, pd.DataFrame]
) -> None:
    data = dict(chinook)
    gone = data["customer"]["customer_id"].isin([1, 2, 3])
    data["customer"] = data["customer"].loc[~gone].reset_index(drop=True)  # orphans invoices
    for policy in ("drop", "null"):
        with warnings.catch_warnings():
            warnings.simplefilter("error", FutureWarning)
            synth = Synthesizer(meta, seed=0, orphans=policy, progress=False)
            out = synth.fit(data).sample(seed=1)
        assert synth.orphans_["invoice['customer_id'] -> customer"] > 0
        reps = out["customer"]["support_rep_id"].dropna()
        assert reps.isin(out["employee"]["employee_id"]).all()
        boss = out["employee"]["reports_to"].dropna().to_numpy(dtype=float)
        assert np.isin(boss, out["employee"]["employee_id"].to_numpy(dtype=float)).all()


def test_unique_titles_are_labels_not_categories(
    meta: Metadata, chinook: dict[str, pd.DataFrame]
) -> None:
    """Album titles and artist names (every value distinct) would all be rare categories and
    come out as ``_RARE_``; they are detected as text and filled with fake labels of a similar
    number of words. Codes with digits (postal codes) and lookup names (25 genres, copied)
    stay categories."""
    for table, col in (("album", "title"), ("artist", "name"), ("track", "name")):
        assert meta.tables[table].columns[col].sdtype == "text", (table, col)
    assert meta.tables["customer"].columns["postal_code"].sdtype == "categorical"
    assert meta.tables["genre"].columns["name"].sdtype == "categorical"
    out = Synthesizer(meta, seed=0, progress=False).fit(chinook).sample(seed=1)
    assert out["genre"]["name"].tolist() == chinook["genre"]["name"].tolist()  # copied lookup
    for table, col in (("album", "title"), ("artist", "name")):
        real, fake = chinook[table][col].astype(str), out[table][col].astype(str)
        assert not fake.isin(set(real)).any()  # no real title replayed
        assert fake.nunique() >= 0.95 * len(fake)  # labels, not a handful of repeated values
        words_real = float((real.str.count(" ") + 1).mean())
        words_fake = float((fake.str.count(" ") + 1).mean())
        assert abs(words_fake - words_real) <= 0.5, (table, words_real, words_fake)
        assert (fake.str.len() > 0).all()


def test_report_names_columns_left_as_rare(
    meta: Metadata, chinook: dict[str, pd.DataFrame]
) -> None:
    """Columns whose categories all occur fewer than k times come out as ``_RARE_`` only; the
    report says so (and the summary prints it) instead of leaving a bare low score."""
    from synthohive.validation import evaluate

    out = Synthesizer(meta, seed=0, progress=False).fit(chinook).sample(seed=1)
    report = evaluate(chinook, out, meta)
    rare = [n for n in report.notes if n.startswith("rare categories:")]
    assert any("customer.company" in n and "postal_code" in n for n in rare), rare
    assert not any("album." in n or "invoice." in n for n in rare), rare
    assert "note: rare categories: customer." in report.summary()
