"""synthohive-ar: the autoregressive per-column model for SynthoHive."""

__version__ = "0.1.0"
