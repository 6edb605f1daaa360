"""synthohive-tvae: the TVAE model for SynthoHive."""

__version__ = "0.1.0"
