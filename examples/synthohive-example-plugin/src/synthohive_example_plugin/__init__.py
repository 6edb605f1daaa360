"""Example SynthoHive plugin: the ``example_independent`` model (see ``model.py``)."""

__version__ = "0.1.0"
