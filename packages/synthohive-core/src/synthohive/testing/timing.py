"""Time bounds for tests that must not hang, robust to a busy machine."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def time_bound(
    cpu_s: float, *, wall_s: float | None = None, what: str = "the block"
) -> Iterator[None]:
    """Fail (``AssertionError``) when the block burns more than ``cpu_s`` CPU seconds of this
    process, or takes more than ``wall_s`` (default ``5 * cpu_s + 5``) wall seconds.

    CPU time is what a parsing hang or a catastrophic regex burns; other jobs on a shared
    machine stretch the wall clock but not it. The loose wall bound catches a blocking hang.
    """
    wall_limit = 5 * cpu_s + 5 if wall_s is None else wall_s
    start, cpu = time.perf_counter(), time.process_time()
    yield
    used, wall = time.process_time() - cpu, time.perf_counter() - start
    assert used < cpu_s, f"{what} took {used:.2f} s of CPU (bound {cpu_s} s)"
    assert wall < wall_limit, f"{what} took {wall:.2f} s of wall clock (bound {wall_limit} s)"
