"""Shared fixture of the autoregressive tests: torch on one thread (tiny nets run fastest so)."""

from synthohive.testing.neural import one_thread as one_thread
