"""Safe CLI writes (issue #18 items 1, 4, 13, 14) on folders and files.

Every data-writing command refuses an existing output by default (one line naming the table
and ``--mode overwrite``, exit 1, nothing written), ``--mode overwrite``/``--force`` replaces,
``--mode append`` adds rows whose keys continue; outputs with an unknown extension or a missing
parent folder are refused before any work. (Databases: tests/test_safe_writes_sql_cli.py.)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner, Result

from synthohive import Synthesizer
from synthohive.cli import build_cli
from synthohive.connectors import connect
from synthohive.metadata.schema import Metadata
from synthohive.testing.schemas import integrity_problems, retail_schema


def _run(*args: str) -> Result:
    return CliRunner().invoke(build_cli(), list(args))


@pytest.fixture(scope="module")
def schema_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Metadata, Path]:
    meta, data = retail_schema(seed=0, n_customers=120, n_products=60)
    path = tmp_path_factory.mktemp("model") / "retail.shm"
    Synthesizer(meta, seed=0, progress=False).fit(data).save(path)
    return meta, path


@pytest.fixture(scope="module")
def table_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "customer_id": np.arange(1, 301),
            "segment": rng.choice(["retail", "smb", "enterprise"], 300),
            "credit_limit": rng.gamma(2.0, 1000.0, 300).round(2),
        }
    )
    meta = Metadata.detect(frame, table_name="customers")
    meta.set_primary_key("customers", "customer_id")
    path = tmp_path_factory.mktemp("model") / "customers.shm"
    Synthesizer(meta, seed=0, progress=False).fit(frame).save(path)
    return path


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _reported(output: str) -> dict[str, int]:
    """``{"customers": 60, ...}`` from "Wrote customers=60, orders=170 rows to ..."."""
    counts = output.split(" rows to ")[0].split(" ", 1)[1]
    return {t: int(n) for t, n in (item.split("=") for item in counts.split(", "))}


def _one_line_refusal(result: Result, *names: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.output.count("\n") == 1, result.output
    assert result.output.startswith("Error: ")
    assert "--mode overwrite" in result.output and "--mode append" in result.output
    for name in names:
        assert repr(name) in result.output


@pytest.mark.parametrize("fmt", ["folder", "parquet", "csv"])
def test_sample_into_folder_modes(
    schema_model: tuple[Metadata, Path], tmp_path: Path, fmt: str
) -> None:
    meta, model = schema_model
    out = tmp_path / "out"
    target = str(out) if fmt == "folder" else f"{fmt}://{out}"
    first = _run("sample", str(model), "--scale", "0.5", "--seed", "1", "-o", target)
    assert first.exit_code == 0, first.output
    before = _snapshot(out)
    counts = {t: len(f) for t, f in connect(target).read_all().items()}
    assert counts == _reported(first.output)

    again = _run("sample", str(model), "--scale", "0.5", "--seed", "2", "-o", target)
    _one_line_refusal(again, "customers")
    assert _snapshot(out) == before  # the existing data survives a default run

    expected = dict(counts)
    for _ in range(2):
        res = _run(
            "sample", str(model), "--scale", "0.5", "--seed", "1", "-o", target, "--mode", "append"
        )
        assert res.exit_code == 0, res.output
        assert res.output.startswith("Appended ")
        for table, rows in _reported(res.output).items():
            expected[table] += rows
    frames = connect(target).read_all()
    assert {t: len(f) for t, f in frames.items()} == expected
    assert expected["customers"] == 3 * counts["customers"]
    assert integrity_problems(meta, frames) == []

    for flag in (["--mode", "overwrite"], ["--force"]):
        res = _run("sample", str(model), "--scale", "0.5", "--seed", "1", "-o", target, *flag)
        assert res.exit_code == 0, res.output
        assert {t: len(f) for t, f in connect(target).read_all().items()} == counts

    both = _run("sample", str(model), "--scale", "0.5", "-o", target, "--force", "--mode", "append")
    assert both.exit_code == 2
    assert "--force means --mode overwrite" in both.output


def test_one_existing_table_refuses_the_whole_write(
    schema_model: tuple[Metadata, Path], tmp_path: Path
) -> None:
    _, model = schema_model
    out = tmp_path / "out"
    out.mkdir()
    pd.DataFrame({"order_id": ["x"]}).to_parquet(out / "orders.parquet")
    res = _run("sample", str(model), "--scale", "0.2", "-o", str(out))
    _one_line_refusal(res, "orders")
    assert sorted(p.name for p in out.iterdir()) == ["orders.parquet"]  # nothing written


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_sample_into_one_file_modes(table_model: Path, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"synthetic{suffix}"
    read = pd.read_csv if suffix == ".csv" else pd.read_parquet
    assert (
        _run("sample", str(table_model), "-n", "40", "--seed", "1", "-o", str(path)).exit_code == 0
    )
    before = path.read_bytes()
    res = _run("sample", str(table_model), "-n", "40", "-o", str(path))
    assert (
        res.exit_code == 1 and "already exists" in res.output and "--mode overwrite" in res.output
    )
    assert path.read_bytes() == before
    for _ in range(2):
        res = _run(
            "sample",
            str(table_model),
            "-n",
            "40",
            "--seed",
            "1",
            "-o",
            str(path),
            "--mode",
            "append",
        )
        assert res.exit_code == 0, res.output
    frame = read(path)
    assert len(frame) == 120
    assert frame["customer_id"].is_unique  # keys continue after the file's largest key
    res = _run("sample", str(table_model), "-n", "25", "-o", str(path), "--force")
    assert res.exit_code == 0, res.output
    assert len(read(path)) == 25


def test_sanitize_modes(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    real = pd.DataFrame(
        {
            "email": [f"person{i}@mail.example" for i in range(60)],
            "age": rng.integers(18, 90, 60),
        }
    )
    src = tmp_path / "people.csv"
    real.to_csv(src, index=False)
    out = tmp_path / "clean"
    assert _run("sanitize", str(src), "-o", str(out)).exit_code == 0
    before = _snapshot(out)
    _one_line_refusal(_run("sanitize", str(src), "-o", str(out)), "people")
    assert _snapshot(out) == before
    assert _run("sanitize", str(src), "-o", str(out), "--mode", "append").exit_code == 0
    assert len(pd.read_parquet(out / "people.parquet")) == 120
    assert _run("sanitize", str(src), "-o", str(out), "--force").exit_code == 0
    assert len(pd.read_parquet(out / "people.parquet")) == 60


def _refused(result: Result, *needles: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.output.count("\n") == 1 and result.output.startswith("Error: "), result.output
    for needle in needles:
        assert needle in result.output, result.output


def test_outputs_checked_before_any_work(table_model: Path, tmp_path: Path) -> None:
    data = tmp_path / "t.csv"
    pd.DataFrame({"a": range(30), "b": np.linspace(0, 1, 30)}).to_csv(data, index=False)
    missing = tmp_path / "missing"
    _refused(_run("fit", str(data), "-o", str(missing / "m.shm")), "does not exist")
    _refused(_run("fit", str(data), "-o", str(tmp_path / "m.xlsx")), ".shm")
    _refused(
        _run("sample", str(table_model), "-n", "5", "-o", str(tmp_path / "out.xlsx")), "'.xlsx'"
    )
    _refused(
        _run("sample", str(table_model), "-n", "5", "-o", str(missing / "out")), "does not exist"
    )
    _refused(
        _run("sample", str(table_model), "-n", "5", "-o", str(missing / "o.csv")), "does not exist"
    )
    _refused(
        _run("sample", str(table_model), "-n", "5", "-o", f"csv://{missing}/out"), "does not exist"
    )
    _refused(_run("sanitize", str(data), "-o", str(tmp_path / "x.txt")), "'.txt'")
    _refused(_run("detect", str(data), "-o", str(tmp_path / "meta.yaml")), ".json")
    _refused(_run("evaluate", str(data), str(data), "-o", str(tmp_path / "r.pdf")), ".html")
    assert not missing.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv"]


def test_fit_at_filesystem_root_creates_nothing() -> None:
    res = _run("fit", "whatever.csv", "-o", "/nonexistent-shv-cli-test/m.shm")
    _refused(res, "'/nonexistent-shv-cli-test' does not exist")
    assert not Path("/nonexistent-shv-cli-test").exists()


def test_demo_refuses_earlier_output(tmp_path: Path) -> None:
    args = ["demo", "--out", str(tmp_path / "demo"), "--table", "customers", "--no-report"]
    assert _run(*args).exit_code == 0
    res = _run(*args)
    _refused(res, "already holds demo output", "--force")
    assert _run(*args, "--force").exit_code == 0


def test_help_documents_modes_and_chunk_seed() -> None:
    text = " ".join(_run("sample", "--help").output.split())
    assert "--mode [error|append|overwrite]" in text and "--force" in text
    assert "different chunk size gives different rows for the same seed" in text
    for command in ("sanitize", "demo"):
        assert "--force" in _run(command, "--help").output
