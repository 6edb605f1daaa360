"""Same seeds, same output: digests of generated rows pinned before the core redesign (#23).

A refactor must not change any output; these digests (:func:`frame_digest`: values, floats to
9 significant digits, labels and dtypes) say when one does. A change of output on purpose
updates the digests in the same commit and says why in its message.

The digests are computed in a fresh process with portable kernels (:func:`portable_call`): in
process they depended on the CPU's BLAS and SIMD paths (taken on an AVX-512 machine, they
failed on an AVX2 AMD EPYC with the code unchanged).
"""

from __future__ import annotations

import platform

import pytest

from synthohive.testing.data import portable_call, portable_env

MODEL_PINS = {"gaussian_copula": "ac86d91d6703df08", "independent": "7ae2e943d336e5da"}
SCHEMA_PINS = {
    "customers": "0def6fd062f3f6ec",
    "products": "f73366430766a3a3",
    "orders": "a941aee120a38b61",
    "order_items": "e898b451633cf386",
}


@pytest.mark.parametrize("model", sorted(MODEL_PINS))
def test_a_built_in_model_gives_the_pinned_rows(model: str) -> None:
    assert portable_call("synthohive.testing.data:demo_model_digest", model) == MODEL_PINS[model]


def test_the_demo_schema_gives_the_pinned_tables() -> None:
    assert portable_call("synthohive.testing.data:demo_schema_digests") == SCHEMA_PINS


def test_the_portable_process_is_what_the_pins_need() -> None:
    """In process, the copula's rows depend on the BLAS kernels of the CPU (each OpenBLAS
    core type gave another digest on one machine); the portable process fixes them."""
    env = portable_env()
    assert env["OPENBLAS_NUM_THREADS"] == "1" and env["OMP_NUM_THREADS"] == "1"
    if platform.machine().lower() in ("x86_64", "amd64"):
        assert env["OPENBLAS_CORETYPE"] == "Prescott"
        assert "X86_V3" in env["NPY_DISABLE_CPU_FEATURES"].split()
