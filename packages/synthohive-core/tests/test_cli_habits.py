"""CLI habits (#19): evaluate gate and --compat, progress lines, --quiet, --log-format, -v
rounding, --param, and one-line errors for bad files."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner, Result

from synthohive.cli import _prescan, build_cli
from synthohive.cli import _progress as progress_mod
from synthohive.cli._params import parse_param
from synthohive.cli._progress import ProgressHandler
from synthohive.cli.evaluate import _rounded, _score
from synthohive.demo import load_demo
from synthohive.errors import DataError, end_sentence
from synthohive.log import get_logger, round_float, round_floats
from synthohive.synthesizer import Synthesizer


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(build_cli(), list(args), env=env)


def run_process(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "synthohive.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def one_error_line(result: Result) -> str:
    """The single ``Error: ...`` line of a failed command (exit 1, nothing else printed)."""
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: ") and "Traceback" not in result.output
    return line


def _people(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.integers(18, 90, n),
            "income": rng.lognormal(10, 0.4, n).round(2),
            "city": rng.choice(["Berlin", "Paris", "Rome"], n),
        }
    )


@pytest.fixture
def real_and_broken(tmp_path: Path) -> tuple[Path, Path]:
    real, syn = tmp_path / "real.csv", tmp_path / "syn.csv"
    _people(400, 0).to_csv(real, index=False)
    _people(400, 1).assign(city="Berlin", age=20).to_csv(syn, index=False)
    return real, syn


@pytest.fixture
def schema_folder(tmp_path: Path) -> Path:
    frames = load_demo(["customers", "orders"])
    frames["customers"] = frames["customers"].head(200)
    keep = frames["orders"]["customer_id"].isin(frames["customers"]["customer_id"])
    frames["orders"] = frames["orders"][keep]
    folder = tmp_path / "src"
    folder.mkdir()
    for name, frame in frames.items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    return folder


@pytest.fixture
def no_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    """Progress lines from the first second (the CLI waits 2 s by default)."""
    monkeypatch.setattr(progress_mod, "DELAY", 0.0)


# --- errors: the sentence ends before "Fix:" --------------------------------------------------
def test_message_ends_its_sentence_before_fix() -> None:
    assert str(DataError("x does not exist", fix="create it")) == (
        "x does not exist. Fix: create it"
    )
    assert str(DataError("installed: a, b.", fix="use a")) == "installed: a, b. Fix: use a"
    assert str(DataError("did you mean 'a'?", fix="use a")) == "did you mean 'a'? Fix: use a"
    assert str(DataError("bad", table="t", fix="f")) == "table 't': bad. Fix: f"
    assert str(DataError("no fix here")) == "no fix here"
    assert end_sentence("") == "" and end_sentence("done! ") == "done!"


# --- 4. evaluate: report first, then summary, then exit 1 -------------------------------------
@pytest.mark.parametrize("suffix", [".json", ".html"])
def test_failed_gate_keeps_the_report(real_and_broken: tuple[Path, Path], suffix: str) -> None:
    real, syn = real_and_broken
    report = real.parent / f"report{suffix}"
    result = run("evaluate", str(real), str(syn), "--min-score", "0.95", "-o", str(report))
    line = one_error_line(result)
    assert report.is_file()
    if suffix == ".json":
        doc = json.loads(report.read_text())
        assert doc["gate"]["passed"] is False and doc["compat"] == "synthohive"
        overall = doc["overall"]
    else:
        assert report.read_text().lstrip().startswith("<!DOCTYPE html>")
        overall = float(result.stdout.split("overall quality: ")[1].split()[0])
    # summary (with the gate's outcome) on stdout before the error
    assert result.stdout.startswith("overall quality: ")
    assert "gate: FAILED" in result.stdout and f"report written to {report}" in result.stdout
    assert f"overall quality {overall:.3f} is below --min-score 0.95." in line
    assert f"Fix: lower --min-score or improve the model: {report} lists" in line
    assert result.output.index("gate: FAILED") < result.output.index("Error: ")


def test_gate_line_without_report_and_rounded_summary(
    real_and_broken: tuple[Path, Path],
) -> None:
    real, syn = real_and_broken
    result = run("evaluate", str(real), str(syn), "--min-score", "0.9")
    line = one_error_line(result)
    assert "a report (-o report.html) shows the weakest columns" in line
    [gate_line] = [x for x in result.stdout.splitlines() if x.startswith("  - overall")]
    assert len(gate_line.split()[3]) == 5  # "0.xyz": 3 decimals in the summary too


def test_passing_gate_and_sdmetrics_compat(tmp_path: Path) -> None:
    real, syn = tmp_path / "real.csv", tmp_path / "syn.csv"
    _people(400, 0).to_csv(real, index=False)
    _people(400, 1).to_csv(syn, index=False)
    out = tmp_path / "r.json"
    result = run("evaluate", str(real), str(syn), "--min-score", "0.5", "--compat", "sdmetrics")
    assert result.exit_code == 0, result.output
    assert "(sdmetrics aggregates)" in result.stdout and "gate: passed" in result.stdout
    result = run("evaluate", str(real), str(syn), "--compat", "sdmetrics", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["compat"] == "sdmetrics"
    assert "(synthohive aggregates)" in run("evaluate", str(real), str(syn)).stdout
    bad = run("evaluate", str(real), str(syn), "--compat", "sdv")
    assert bad.exit_code == 2 and "'synthohive', 'sdmetrics'" in bad.output
    percent = run("evaluate", str(real), str(syn), "--min-score", "95")
    assert percent.exit_code == 2 and "0<=x<=1" in percent.output


def test_scores_are_rounded_but_never_hide_the_failure() -> None:
    assert _score(0.81234, 0.9) == "0.812"
    assert _score(0.94996, 0.95) == "0.94996"  # 0.950 would look like a pass
    assert _score(None, 0.9) == "n/a"
    assert _rounded("referential integrity of t['k'] is 0.98765432") == (
        "referential integrity of t['k'] is 0.988"
    )
    assert _rounded("overall quality 0.5 < 0.95") == "overall quality 0.5 < 0.95"


# --- 7. progress lines, --quiet, --log-format, -v ---------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def lines(capsys: pytest.CaptureFixture[str]) -> Iterator[Any]:
    logger = logging.getLogger("synthohive")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    clock = Clock()
    handler = ProgressHandler(delay=0.0, clock=clock)
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False

    def read() -> list[str]:
        return capsys.readouterr().err.splitlines()

    yield handler, clock, read
    logger.handlers[:], logger.level, logger.propagate = saved[0], saved[1], saved[2]


def test_epoch_lines_every_tenth_or_ten_seconds(lines: Any) -> None:
    handler, clock, read = lines
    log = get_logger("synthohive.test")
    handler.expect(epochs=50)
    log.info("fit.start", model="ctgan", table="t", rows=10, columns=2)
    for epoch in range(50):
        clock.now += 0.01
        log.info("fit.epoch", model="ctgan", table="t", epoch=epoch, loss_g=1.23456789)
    out = read()
    assert len(out) == 10
    assert out[0] == "fit: t (ctgan) epoch 5/50 (10%) loss_g=1.235"
    assert out[-1].startswith("fit: t (ctgan) epoch 50/50 (100%)")
    # slow epochs: a line 10 s after the previous one, even below 10% more
    handler.expect(epochs=1000)
    log.info("fit.start", model="ctgan", table="u", rows=10, columns=2)
    for epoch in range(7):
        clock.now += 4.0  # 4 s per epoch: lines at 12 s and 24 s
        log.info("fit.epoch", model="ctgan", table="u", epoch=epoch)
    assert [x.split(" (0%)")[0] for x in read()] == [
        "fit: u (ctgan) epoch 3/1000",
        "fit: u (ctgan) epoch 6/1000",
    ]


def test_table_lines_count_learned_tables(lines: Any) -> None:
    _, clock, read = lines
    log = get_logger("synthohive.test")
    for table, strategy in [("a", "model"), ("b", "copy"), ("c", "model")]:
        log.info("synthesizer.table_strategy", table=table, strategy=strategy, reason="")
    log.info("synthesizer.fit.start", tables=3, relations=1)
    for table in ("a", "c"):
        clock.now += 1.5
        log.info("fit.end", model="gaussian_copula", table=table, seconds=1.5)
    log.info("synthesizer.fit.end", tables=3, models=2)
    assert read() == [
        "fit: learning 2 table(s), 1 copied as they are",
        "fit: 1/2 tables, a done (gaussian_copula, 1.5s)",
        "fit: 2/2 tables, c done (gaussian_copula, 1.5s)",
        "fit: done: 3 table(s) in 3.0s",
    ]


def test_no_lines_in_the_first_seconds(capsys: pytest.CaptureFixture[str]) -> None:
    clock = Clock()
    handler = ProgressHandler(clock=clock)  # the default delay
    record = logging.LogRecord("synthohive.x", logging.INFO, "", 0, None, None, None)
    record.msg = {"event": "sample.table", "table": "a", "rows": 5}
    handler.expect(sample_tables=2)
    handler.emit(record)
    clock.now = progress_mod.DELAY + 0.1
    record.msg = {"event": "sample.table", "table": "b", "rows": 7}
    handler.emit(record)
    assert capsys.readouterr().err == "sample: 2/2 tables, b: 7 rows\n"


def test_progress_lines_of_fit_and_sample(
    schema_folder: Path, tmp_path: Path, no_delay: None
) -> None:
    model = tmp_path / "m.shm"
    result = run("fit", str(schema_folder), "--seed", "0", "-o", str(model))
    assert result.exit_code == 0, result.output
    err = result.stderr.splitlines()
    assert err[0] == "fit: learning 2 table(s)"
    assert err[1].startswith("fit: 1/2 tables, customers done (gaussian_copula, ")
    assert err[2].startswith("fit: 2/2 tables, orders done (gaussian_copula, ")
    assert err[3].startswith("fit: done: 2 table(s) in ")
    assert result.stdout.startswith("Fitted gaussian_copula on 2 table(s)")
    result = run(
        "--log-format", "json", "sample", str(model), "--scale", "0.5", "-o", str(tmp_path / "o")
    )
    assert result.exit_code == 0, result.output
    docs = [json.loads(x) for x in result.stderr.splitlines()]
    assert [(d["stage"], d["done"], d["total"], d["table"]) for d in docs] == [
        ("sample", 1, 2, "customers"),
        ("sample", 2, 2, "orders"),
    ]
    assert all(d["event"] == "progress" and d["level"] == "info" for d in docs)


def test_epoch_progress_of_a_neural_model(tmp_path: Path, no_delay: None) -> None:
    pytest.importorskip("synthohive_ctgan")
    data = tmp_path / "tiny.csv"
    _people(60, 0).to_csv(data, index=False)
    result = run(
        "fit",
        str(data),
        "--model",
        "ctgan",
        "--epochs",
        "10",
        "--param",
        "batch_size=20",
        "--param",
        "pac=2",
        "-o",
        str(tmp_path / "m.shm"),
    )
    assert result.exit_code == 0, result.output
    epochs = [x for x in result.stderr.splitlines() if " epoch " in x]
    assert [x.split(" epoch ")[1].split()[0] for x in epochs] == [f"{i}/10" for i in range(1, 11)]
    assert "fit: 1/1 tables, tiny done (ctgan, " in result.stderr


def test_quiet_prints_only_errors(schema_folder: Path, tmp_path: Path, no_delay: None) -> None:
    model = tmp_path / "m.shm"
    result = run("-q", "fit", str(schema_folder), "--seed", "0", "-o", str(model))
    assert result.exit_code == 0 and result.output == ""
    assert (
        run("--quiet", "sample", str(model), "--scale", "0.2", "-o", str(tmp_path / "o")).output
        == ""
    )
    missing = run("-q", "sample", str(model), "--scale", "0.2", "-o", str(tmp_path / "o"))
    assert one_error_line(missing).endswith("or --mode append to add rows")
    both = run("-q", "-v", "plugins")
    assert both.exit_code == 2 and "--quiet and --verbose contradict" in both.output
    assert "Options:" in run("-q", "fit", "--help").output


def test_errors_as_json_lines(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.csv")
    result = run("--log-format", "json", "fit", missing, "-o", str(tmp_path / "m.shm"))
    assert result.exit_code == 1
    [doc] = [json.loads(x) for x in result.stderr.splitlines()]
    assert doc["event"] == "error" and doc["error"] == "DataError"
    assert doc["detail"] == f"{missing!r} does not exist"
    assert doc["fix"].startswith("give an existing file")
    assert doc["message"] == f"{doc['detail']}. Fix: {doc['fix']}"


def test_verbose_rounds_floats(real_and_broken: tuple[Path, Path]) -> None:
    real, _ = real_and_broken
    result = run("-v", "evaluate", str(real), str(real))
    assert result.exit_code == 0, result.output
    [done] = [x for x in result.stderr.splitlines() if "evaluate.done" in x]
    overall = done.split("overall=")[1].split()[0]
    assert len(overall.split(".")[1]) <= 3, done
    json_run = run("-v", "--log-format", "json", "evaluate", str(real), str(real))
    [doc] = [json.loads(x) for x in json_run.stderr.splitlines() if '"evaluate.done"' in x]
    assert doc["level"] == "info" and isinstance(doc["overall"], float)


def test_round_float() -> None:
    assert round_float(6.54321) == 6.543
    assert round_float(1234.56789) == 1234.568
    assert round_float(0.000123456) == 0.000123
    assert round_float(0.0) == 0.0 and round_float(float("inf")) == float("inf")
    event = {"a": 0.123456, "b": [1.23456, "x"], "c": True, "d": np.float32(2.34567), "e": 3}
    assert round_floats(None, "info", event) == {
        "a": 0.123,
        "b": [1.235, "x"],
        "c": True,
        "d": 2.346,
        "e": 3,
    }


def test_logging_set_up_is_restored_after_a_command(tmp_path: Path) -> None:
    logger = logging.getLogger("synthohive")
    before = (list(logger.handlers), logger.level, logger.propagate)
    run("-v", "fit", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "m.shm"))
    run("fit", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "m.shm"))
    assert (list(logger.handlers), logger.level, logger.propagate) == before


def test_prescan_reads_root_options_only() -> None:
    assert _prescan(["-vv", "fit", "-v"]) == (2, False, False)
    assert _prescan(["-q", "--log-format", "json", "fit"]) == (0, True, True)
    assert _prescan(["--log-format=json", "--verbose", "plugins"]) == (1, False, True)
    assert _prescan(["--log-format", "text", "-qv"]) == (1, True, False)


def test_help_documents_the_new_options() -> None:
    root = run("--help").output
    for text in ("-q, --quiet", "--log-format [text|json]", "go before the command"):
        assert text in root
    assert "--param KEY=VALUE" in run("fit", "--help").output
    assert "--param KEY=VALUE" in run("demo", "--help").output
    evaluate = run("evaluate", "--help").output
    assert "--compat [synthohive|sdmetrics]" in evaluate and "--min-score" in evaluate


# --- 8. --param -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("epochs=50", ("epochs", 50)),
        ("shrinkage=0.5", ("shrinkage", 0.5)),
        ("log_frequency=false", ("log_frequency", False)),
        ("generator_dim=[128, 128]", ("generator_dim", [128, 128])),
        ("patience=null", ("patience", None)),
        ("optimizer=adam", ("optimizer", "adam")),
        (" name = a=b", ("name", " a=b")),
        ("empty=", ("empty", "")),
    ],
)
def test_param_values_are_json_when_they_parse(item: str, expected: tuple[str, Any]) -> None:
    assert parse_param(item) == expected


def test_params_reach_the_model(tmp_path: Path) -> None:
    data = tmp_path / "people.csv"
    _people(200, 0).to_csv(data, index=False)
    model = tmp_path / "m.shm"
    result = run(
        "fit", str(data), "--param", "shrinkage=0.2", "--param", "max_knots=100", "-o", str(model)
    )
    assert result.exit_code == 0, result.output
    assert Synthesizer.load(model).model_params == {"shrinkage": 0.2, "max_knots": 100}


def test_unknown_param_is_one_line_with_the_valid_names(tmp_path: Path) -> None:
    data = tmp_path / "people.csv"
    _people(50, 0).to_csv(data, index=False)
    line = one_error_line(run("fit", str(data), "--param", "shrinkag=0.1", "-o", "m.shm"))
    assert "unknown parameter 'shrinkag' (did you mean 'shrinkage'?). Fix: valid parameters:" in (
        line
    )
    assert "max_knots" in line
    line = one_error_line(run("fit", str(data), "--param", "shrinkage=2", "-o", "m.shm"))
    assert "shrinkage: Input should be less than or equal to 1 (got 2)" in line
    usage = run("fit", str(data), "--param", "shrinkage", "-o", "m.shm")
    assert usage.exit_code == 2 and "'shrinkage' is not KEY=VALUE" in usage.output
    proc = run_process("fit", str(data), "--param", "shrinkag=0.1", "-o", str(tmp_path / "m.shm"))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "did you mean 'shrinkage'" in proc.stderr


def test_misspelled_model_fails_before_reading_data(tmp_path: Path) -> None:
    missing = str(tmp_path / "not-there.csv")  # the model is checked first
    line = one_error_line(run("fit", missing, "--model", "gausian_copula", "-o", "m.shm"))
    assert "no model named 'gausian_copula' is installed. Did you mean 'gaussian_copula'?" in line
    line = one_error_line(run("demo", "--out", str(tmp_path / "d"), "--model", "gausian_copula"))
    assert "Did you mean 'gaussian_copula'?" in line
    assert not (tmp_path / "d").exists()


def test_epochs_and_param_epochs_must_agree(tmp_path: Path) -> None:
    pytest.importorskip("synthohive_ctgan")
    result = run(
        "fit", "x.csv", "--model", "ctgan", "--epochs", "3", "--param", "epochs=4", "-o", "m.shm"
    )
    assert result.exit_code == 2 and "--epochs 3 contradicts --param epochs=4" in result.output
    line = one_error_line(run("fit", "x.csv", "--model", "ctgn", "-o", "m.shm"))
    assert "Did you mean 'ctgan'?" in line


def test_demo_param_is_checked_before_any_output(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    line = one_error_line(run("demo", "--out", str(out), "--param", "max_knot=100"))
    assert "did you mean 'max_knots'?" in line
    assert not out.exists()


# --- 9. file paths give one-line errors, like URLs ----------------------------------------------
def _bad_files(folder: Path) -> dict[str, tuple[Path, str]]:
    ragged = folder / "ragged.csv"
    ragged.write_text("a,b\n1,2\n3,4,5\n")
    binary = folder / "binary.csv"
    binary.write_bytes(b"a,b\n\xd0\xcf\x11\xe0\xff\x00\x01")
    not_parquet = folder / "fake.parquet"
    not_parquet.write_text("a,b\n1,2\n")
    empty = folder / "empty.csv"
    empty.write_text("")
    dir_csv = folder / "dir.csv"
    dir_csv.mkdir()
    odd = folder / "notes.txt"
    odd.write_text("hello")
    return {
        "missing": (folder / "missing.csv", "does not exist. Fix: give an existing file"),
        "ragged": (ragged, "Expected 2 fields in line 3, saw 3. Fix: check that"),
        "binary": (binary, "it is not UTF-8 text (it holds byte 0xd0). Fix:"),
        "parquet": (not_parquet, "Parquet magic bytes not found"),
        "empty": (empty, "the file is empty. Fix: give a file with a header line and rows"),
        "dir": (dir_csv, "folder"),
        "odd": (odd, "unknown file type '.txt'. Fix: use a .csv or .parquet file"),
    }


@pytest.mark.parametrize("case", ["missing", "ragged", "binary", "parquet", "empty", "dir", "odd"])
@pytest.mark.parametrize("command", ["fit", "detect", "evaluate", "sanitize"])
def test_bad_data_files_give_one_line(tmp_path: Path, case: str, command: str) -> None:
    path, expected = _bad_files(tmp_path)[case]
    args = {
        "fit": ["fit", str(path), "-o", str(tmp_path / "m.shm")],
        "detect": ["detect", str(path), "-o", str(tmp_path / "m.json")],
        "evaluate": ["evaluate", str(path), str(path)],
        "sanitize": ["sanitize", str(path), "-o", str(tmp_path / "clean.csv")],
    }[command]
    line = one_error_line(run(*args))
    assert expected in line
    assert ". Fix: " in line
    if case == "dir":
        assert line == (
            f"Error: folder {str(path)!r} holds no .csv or .parquet files. Fix: give a folder "
            "with one .csv or .parquet file per table, a file, or a connector URL"
        )


def test_file_and_url_errors_read_alike(tmp_path: Path) -> None:
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "ragged.csv").write_text("a,b\n1,2\n3,4,5\n")
    as_file = one_error_line(run("detect", str(folder / "ragged.csv"), "-o", "m.json"))
    as_url = one_error_line(run("detect", f"csv://{folder}", "-o", "m.json"))
    for line in (as_file, as_url):
        assert line.startswith("Error: table 'ragged': cannot read ")
        assert "Expected 2 fields in line 3, saw 3. Fix: check" in line
    proc = run_process("detect", str(folder / "ragged.csv"), "-o", str(tmp_path / "m.json"))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == as_file


def test_unreadable_file_and_os_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "locked.csv"
    data.write_text("a,b\n1,2\n")

    def denied(*_a: Any, **_k: Any) -> Any:
        raise PermissionError(13, "Permission denied", str(data))

    with monkeypatch.context() as m:
        m.setattr(pd, "read_csv", denied)
        line = one_error_line(run("fit", str(data), "-o", str(tmp_path / "m.shm")))
    assert line == (
        f"Error: table 'locked': cannot read {str(data)!r}: Permission denied. "
        "Fix: check the path and its permissions"
    )
    out = tmp_path / "meta.json"

    def cannot_write(*_a: Any, **_k: Any) -> Any:
        raise PermissionError(13, "Permission denied", str(out))

    monkeypatch.setattr("synthohive.metadata.schema.Metadata.to_json", cannot_write)
    line = one_error_line(run("detect", str(data), "-o", str(out)))
    assert line == (
        f"Error: cannot use {str(out)!r}: Permission denied. Fix: check the path and its "
        "permissions (--debug shows the traceback)"
    )
    debug = run("--debug", "detect", str(data), "-o", str(out))
    assert isinstance(debug.exception, PermissionError)


def test_bad_metadata_and_model_files(tmp_path: Path) -> None:
    data = tmp_path / "people.csv"
    _people(50, 0).to_csv(data, index=False)
    binary = tmp_path / "meta.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    line = one_error_line(run("fit", str(data), "--metadata", str(binary), "-o", "m.shm"))
    assert f"cannot read metadata {str(binary)!r}: it is not UTF-8 text" in line
    listing = tmp_path / "list.json"
    listing.write_text("[1, 2]")
    line = one_error_line(run("sanitize", str(data), "--metadata", str(listing), "-o", "x.csv"))
    assert f"metadata {str(listing)!r} is not a JSON object. Fix: give a metadata JSON" in line
    weird = tmp_path / "weird.json"
    weird.write_text('{"schema_version": "one", "tables": {}}')
    line = one_error_line(run("evaluate", str(data), str(data), "--metadata", str(weird)))
    assert f"metadata {str(weird)!r} is invalid" in line
    fake_model = tmp_path / "model.shm"
    fake_model.write_text("a,b\n1,2\n")
    line = one_error_line(run("sample", str(fake_model), "-n", "5", "-o", str(tmp_path / "o.csv")))
    assert line.startswith(f"Error: cannot load model file {str(fake_model)!r}: ")
    assert not (tmp_path / "o.csv").exists()


def test_subprocess_entry_point_respects_quiet_and_json(tmp_path: Path) -> None:
    proc = run_process("-q", "--log-format", "json", "fit", str(tmp_path / "x.csv"), "-o", "m.shm")
    assert proc.returncode == 1 and proc.stdout == ""
    doc = json.loads(proc.stderr)
    assert doc["error"] == "DataError" and "does not exist" in doc["message"]
