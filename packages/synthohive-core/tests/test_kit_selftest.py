"""T-K2/T-K3: the conformance kit catches broken models, and declared gaps become reasoned skips.

A broken dummy model (mutates its input, pads the row count, pickles in save, raises a bare
``ValueError`` on NaN) and a NaN-refusing model are written as a real module into a temp folder
with a test file subclassing ``ModelContract``; pytest runs there in a subprocess with
``--junitxml`` and we assert exactly which test ids fail (with which message) and which are
skipped (with their reason).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET

import pytest

BROKEN_MODELS = '''
import math
import pickle

import numpy as np

from synthohive.models.copula import GaussianCopulaModel


class BrokenDummy(GaussianCopulaModel):
    """Four defects at once: each must trip its own checks and nothing else."""

    name = "kit_broken_dummy"

    def _fit(self, data, **kwargs):
        if data.isna().to_numpy().any():
            raise ValueError("Input contains NaN")  # defect 1: bare ValueError on NaN
        data.sort_index(ascending=False, inplace=True)  # defect 2: reorders the caller's frame
        super()._fit(data, **kwargs)

    def _sample(self, n, **kwargs):
        rounded = int(math.ceil(n / 50) * 50)  # defect 3: pads to whole batches of 50 rows
        return super()._sample(rounded, **kwargs)

    def _save(self, writer):
        super()._save(writer)
        blob = pickle.dumps(self.params.model_dump())  # defect 4: pickle in the model file
        writer.write_array("params_pickle", np.frombuffer(blob, dtype=np.uint8))

    def _load(self, reader):
        super()._load(reader)
        pickle.loads(reader.read_array("params_pickle").tobytes())


class RefusesNaN(GaussianCopulaModel):
    name = "kit_refuses_nan"

    def _fit(self, data, **kwargs):
        if data.isna().to_numpy().any():
            raise ValueError("Input contains NaN")
        super()._fit(data, **kwargs)
'''

CONTRACT_TESTS = """
from broken_models import BrokenDummy, RefusesNaN

from synthohive.testing import ModelContract, Requirements


class TestBrokenDummy(ModelContract):
    model_class = BrokenDummy


class TestRefusesNaNDeclared(ModelContract):
    model_class = RefusesNaN
    requirements = Requirements(supports_nulls=False)
"""

NULL_CHECKS = {
    "test_b1_nan_in_continuous_keeps_null_rate",
    "test_b2_missing_in_discrete[nan]",
    "test_b2_missing_in_discrete[None]",
    "test_b2_missing_in_discrete[pd.NA]",
    "test_b2_missing_in_discrete[NaT]",
    "test_b3_all_null_column_stays_null[float]",
    "test_b3_all_null_column_stays_null[object]",
    "test_b3_all_null_column_stays_null[datetime]",
    "test_b8_datetime_strings_with_garbage",
    "test_b14_dtype_preserved[Int64_with_NA]",
    "test_b14_dtype_preserved[boolean_with_NA]",
}
ALWAYS_SKIPPED = {"test_b10_batch_size_clamped", "test_context_rejected_when_unsupported"}
# the garbage-dates check feeds strings, not NaN: a NaN-refusing model passes it
NAN_FAILURES = NULL_CHECKS - {"test_b8_datetime_strings_with_garbage"}
EXPECTED_FAILURES = {
    "TestBrokenDummy": NAN_FAILURES
    | {
        "test_b20_input_not_mutated",
        "test_sample_row_count[1]",
        "test_sample_row_count[7]",
        "test_sample_row_count[333]",
        "test_save_load_never_pickles",
    },
    "TestRefusesNaNDeclared": set(),
}
EXPECTED_MESSAGES = {
    "test_b20_input_not_mutated": "are different",
    "test_sample_row_count[7]": "returned 50 rows, expected 7",
    "test_save_load_never_pickles": "pickle was used",
    "test_b1_nan_in_continuous_keeps_null_rate": "Input contains NaN",
}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, tuple[str, str]]]:
    root = tmp_path_factory.mktemp("kit_selftest")
    (root / "broken_models.py").write_text(textwrap.dedent(BROKEN_MODELS), encoding="utf-8")
    (root / "test_broken_contract.py").write_text(CONTRACT_TESTS, encoding="utf-8")
    report = root / "report.xml"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), *filter(None, sys.path)])}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rs",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(root),
            f"--junitxml={report}",
            str(root / "test_broken_contract.py"),
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert report.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    result: dict[str, dict[str, tuple[str, str]]] = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        cls = case.get("classname", "").rsplit(".", 1)[-1]
        status, message = "passed", ""
        for tag in ("failure", "error", "skipped"):
            node = case.find(tag)
            if node is not None:
                status, message = tag, node.get("message", "")
        result.setdefault(cls, {})[case.get("name", "")] = (status, message)
    result["_stdout"] = {"text": ("", proc.stdout)}
    return result


@pytest.mark.slow
@pytest.mark.parametrize("suite", sorted(EXPECTED_FAILURES))
def test_broken_model_fails_exactly_expected_checks(
    outcomes: dict[str, dict[str, tuple[str, str]]], suite: str
) -> None:
    cases = outcomes[suite]
    assert len(cases) > 60, outcomes["_stdout"]["text"][1][-2000:]
    failed = {n: msg for n, (status, msg) in cases.items() if status in ("failure", "error")}
    assert set(failed) == EXPECTED_FAILURES[suite]
    for name, text in EXPECTED_MESSAGES.items():
        if name in failed:
            assert text in failed[name], (name, failed[name][:500])


@pytest.mark.slow
def test_declared_unsupported_nulls_become_reasoned_skips(
    outcomes: dict[str, dict[str, tuple[str, str]]],
) -> None:
    cases = outcomes["TestRefusesNaNDeclared"]
    skipped = {name: msg for name, (status, msg) in cases.items() if status == "skipped"}
    assert set(skipped) == NULL_CHECKS | ALWAYS_SKIPPED
    for name in NULL_CHECKS:
        assert "supports_nulls=False" in skipped[name], skipped[name]
    # undeclared, the same checks fail loudly instead (BrokenDummy also refuses NaN)
    broken = outcomes["TestBrokenDummy"]
    assert {n for n, (s, _) in broken.items() if s == "skipped"} == ALWAYS_SKIPPED


def test_time_bound_fails_on_cpu_burnt_or_a_blocking_wait() -> None:
    import time

    from synthohive.testing.timing import time_bound

    with time_bound(2.0, what="a sleep"):  # waiting costs no CPU: within the CPU bound
        time.sleep(0.3)
    busy = pytest.raises(AssertionError, match=r"busy loop took .* of CPU")
    with busy, time_bound(0.05, what="busy loop"):
        end = time.process_time() + 0.2
        while time.process_time() < end:
            pass
    slow = pytest.raises(AssertionError, match=r"a long sleep took .* of wall clock")
    with slow, time_bound(1.0, wall_s=0.1, what="a long sleep"):
        time.sleep(0.3)
