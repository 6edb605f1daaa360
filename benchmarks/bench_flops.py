"""The CPU's matmul ceiling, and what it allows for a CTGAN / TVAE epoch and for sampling.

Run: ``.venv/bin/python benchmarks/bench_flops.py [--rows 50000 --threads 2]``. Writes
``benchmarks/results/flops.json``:

* ``gemm_gflops``: measured fp32 and bf16 matmul rates at the shapes a batch-500 step uses
  and at the shapes large-batch sampling uses (best of several repeats);
* ``*_epoch_gflop``: matmul FLOPs of one training epoch on the 50k-row mixed table, counted
  at the dispatcher over a real one-epoch fit (forward, backward and the gradient penalty's
  double backward; calibration off; the one validation pass at the end is included);
* ``*_sample_mflop_per_row``: FLOPs of generating one row;
* the floors they imply: ``epoch_s_floor`` = epoch FLOPs / step-shape rate, and
  ``sample_rows_per_s_ceiling`` = rate / FLOPs per row (matmuls alone, no other op);
* ``normals_per_s``: torch's CPU normal generator at TVAE's latent-draw shape, and TVAE's
  ``sample_rows_per_s_ceiling_with_latents`` (matmuls plus 128 latent normals per row);
* ``cpu``: model name and the extensions (AVX2, AVX-512, AMX) that set the matmul rates.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _neural_bench import RESULTS, mixed_table
from run import cpu_features


def gemm_rate(m: int, k: int, n: int, dtype: Any, repeats: int = 5) -> float:
    """Best-of-``repeats`` GFLOP/s of an ``(m, k) @ (k, n)`` matmul."""
    import torch

    a = torch.randn(m, k).to(dtype)
    b = torch.randn(k, n).to(dtype)
    a @ b
    calls = max(1, int(2e9 / (2 * m * k * n)))  # about 2 GFLOP per timing
    best = 0.0
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(calls):
            a @ b
        best = max(best, 2 * m * k * n * calls / (time.perf_counter() - t0) / 1e9)
    return best


def normal_rate(rows: int = 2048, dim: int = 128, repeats: int = 5) -> float:
    """Best-of-``repeats`` standard normals per second from torch's CPU generator, drawn as
    TVAE draws its latents: ``(rows, dim)`` per generation chunk."""
    import torch

    gen = torch.Generator().manual_seed(0)
    calls = 50
    best = 0.0
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(calls):
            torch.randn(rows, dim, generator=gen)
        best = max(best, rows * dim * calls / (time.perf_counter() - t0))
    return best


class MatmulFlops:
    """Counts the FLOPs of every ``mm``/``addmm``/``bmm`` dispatched inside the block
    (autograd included: backward and double-backward matmuls are counted too)."""

    def __init__(self) -> None:
        self.flops = 0

    def __enter__(self) -> MatmulFlops:
        import torch
        from torch.utils._python_dispatch import TorchDispatchMode

        counter = self
        aten = torch.ops.aten

        class Mode(TorchDispatchMode):
            def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
                if func in (aten.mm.default, aten.addmm.default):
                    a, b = (args[0], args[1]) if func is aten.mm.default else (args[1], args[2])
                    counter.flops += 2 * a.shape[0] * a.shape[1] * b.shape[1]
                elif func is aten.linear.default:  # not decomposed under inference_mode
                    x, w = args[0], args[1]
                    counter.flops += 2 * x.numel() // x.shape[-1] * w.shape[1] * w.shape[0]
                elif func is aten.bmm.default:
                    a, b = args[0], args[1]
                    counter.flops += 2 * a.shape[0] * a.shape[1] * a.shape[2] * b.shape[2]
                return func(*args, **(kwargs or {}))

        self._mode = Mode()
        self._mode.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._mode.__exit__(*exc)


def count_fit(model_cls: type, rows: int, params: dict[str, Any]) -> tuple[float, float, int]:
    """``(epoch GFLOP, sample MFLOP per row, encoded width)`` counted on a real fit."""
    import numpy as np

    df, table = mixed_table(rows)
    model = model_cls(
        {"epochs": 1, "eval_every": 10**6, "calibrate": False, **params}, device="cpu", seed=0
    )
    with MatmulFlops() as counter:
        model.fit(df, table=table, progress=False)
    epoch = counter.flops / 1e9
    n = 10_000
    with MatmulFlops() as counter:
        model._generate(n, np.zeros((n, 0), np.float32), [], 0)
    return epoch, counter.flops / n / 1e6, int(model._enc.width)


def main() -> None:
    import torch

    from synthohive_ctgan.model import CTGANModel
    from synthohive_tvae.model import TVAEModel

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, default=RESULTS / "flops.json")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    rates = {
        "fp32_step_500x512x256": gemm_rate(500, 512, 256, torch.float32),
        "fp32_step_50x2720x256": gemm_rate(50, 2720, 256, torch.float32),
        "fp32_sample_8192x512x256": gemm_rate(8192, 512, 256, torch.float32),
        "bf16_sample_8192x512x256": gemm_rate(8192, 512, 256, torch.bfloat16, repeats=1),
    }
    step_rate = max(rates["fp32_step_500x512x256"], rates["fp32_step_50x2720x256"])
    sample_rate = max(rates["fp32_sample_8192x512x256"], rates["bf16_sample_8192x512x256"])
    result: dict[str, Any] = {
        "rows": args.rows,
        "threads": args.threads,
        "gemm_gflops": {k: round(v, 1) for k, v in rates.items()},
    }
    normals = normal_rate()
    result["normals_per_s"] = round(normals)
    for name, cls in (("ctgan", CTGANModel), ("tvae", TVAEModel)):
        epoch, per_row, width = count_fit(cls, args.rows, {"batch_size": 500})
        result[name] = {
            "encoded_width": width,
            "epoch_gflop": round(epoch, 1),
            "sample_mflop_per_row": round(per_row, 3),
            "epoch_s_floor": round(epoch / step_rate, 2),
            "sample_rows_per_s_ceiling": round(sample_rate * 1e3 / per_row),
        }
    # TVAE draws 128 latent normals per generated row before its decoder runs: together
    # with the matmuls that bounds its sampling rate whatever else is made faster
    latent = TVAEModel.Params().embedding_dim
    per_row_s = result["tvae"]["sample_mflop_per_row"] * 1e6 / (sample_rate * 1e9)
    result["tvae"]["latent_normals_per_row"] = latent
    result["tvae"]["sample_rows_per_s_ceiling_with_latents"] = round(
        1.0 / (per_row_s + latent / normals)
    )
    result.update(
        cpu=cpu_features(),
        torch=torch.__version__,
        load_average=os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
