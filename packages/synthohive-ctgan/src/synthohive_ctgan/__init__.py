"""synthohive-ctgan: the CTGAN model for SynthoHive."""

__version__ = "0.1.0"
