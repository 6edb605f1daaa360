"""Device resolution and deterministic seeding for torch models."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

import torch

from synthohive.errors import DeviceError

_CUDA_RE = re.compile(r"^cuda(?::(\d+))?$")


def resolve_device(spec: str | torch.device | None = "auto") -> torch.device:
    """Turn ``"auto" | "cpu" | "cuda" | "cuda:N"`` into a usable :class:`torch.device`.

    ``"auto"`` picks CUDA when available, else CPU. Asking for CUDA on a machine without it
    (or for a GPU index that does not exist) raises :class:`DeviceError` naming the device.
    """
    if isinstance(spec, torch.device):
        spec = str(spec)
    text = (spec or "auto").strip().lower()
    if text == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if text == "cpu":
        return torch.device("cpu")
    match = _CUDA_RE.match(text)
    if match is None:
        raise DeviceError(
            f"unknown device {spec!r}",
            fix='use "auto", "cpu", "cuda" or "cuda:N"',
        )
    if not torch.cuda.is_available():
        raise DeviceError(
            f"device {spec!r} was requested but CUDA is not available on this machine",
            fix='use device="cpu" (or "auto"), or install a CUDA build of torch on a GPU host',
        )
    index = int(match.group(1)) if match.group(1) is not None else 0
    count = torch.cuda.device_count()
    if index >= count:
        raise DeviceError(
            f"device {spec!r} was requested but only {count} CUDA device(s) exist",
            fix=f"use an index below {count}",
        )
    return torch.device(f"cuda:{index}")


@contextlib.contextmanager
def seeded(seed: int, device: torch.device) -> Iterator[torch.Generator]:
    """Run a block with torch's global RNG seeded by ``seed`` and restored afterwards.

    Weight initialisation and dropout use the global RNG; this forks it so fitting a model
    never changes the caller's random state, and two runs with the same seed are identical.
    Yields an explicit :class:`torch.Generator` on ``device`` for noise drawn by the model.
    """
    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed % (2**63))
        gen = torch.Generator(device=device)
        gen.manual_seed((seed * 6364136223846793005 + 1442695040888963407) % (2**63))
        yield gen


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run a block with torch on ``n`` CPU threads and restore the count afterwards (tiny
    networks run fastest on one, and leave the other cores to other work)."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def make_generator(seed: int, device: torch.device) -> torch.Generator:
    """A :class:`torch.Generator` on ``device`` seeded with ``seed``."""
    gen = torch.Generator(device=device)
    gen.manual_seed(seed % (2**63))
    return gen
