"""The one error tree of SynthoHive.

Every error a user can see derives from :class:`SynthoHiveError`. Messages name what is wrong
(table, column, plugin, file member) and how to fix it; the structured fields are kept on the
exception for programs that want them.
"""

from __future__ import annotations

from typing import Any


class SynthoHiveError(Exception):
    """Base class of every SynthoHive error.

    ``message`` says what is wrong; ``table``/``column`` say where; ``fix`` says what to do.
    """

    def __init__(
        self,
        message: str,
        *,
        table: str | None = None,
        column: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.table = table
        self.column = column
        self.fix = fix
        self.bare_message = message
        super().__init__(self._compose(message))

    def _compose(self, message: str) -> str:
        where = []
        if self.table is not None:
            where.append(f"table {self.table!r}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        text = f"{', '.join(where)}: {message}" if where else message
        if self.fix:
            text = f"{end_sentence(text)} Fix: {self.fix}"
        return text


def end_sentence(text: str) -> str:
    """``text`` ending its sentence: a full stop is added unless it ends with ``.``/``!``/``?``."""
    stripped = text.rstrip()
    return stripped if not stripped or stripped.endswith((".", "!", "?")) else f"{stripped}."


# --- metadata ---------------------------------------------------------------------------------
class MetadataError(SynthoHiveError):
    """Metadata is invalid or does not match the data (cycles, dangling keys, bad types)."""


# --- data -------------------------------------------------------------------------------------
class DataError(SynthoHiveError):
    """The data given to fit/sample/evaluate cannot be used as it is."""


class InvalidDataError(DataError):
    """Values or column layout that cannot be modelled (inf, duplicates, mixed types...)."""


class EmptyTableError(DataError):
    """A table with no rows or no columns."""


class TooFewRowsError(DataError):
    """A table with too few rows to learn from."""


class ResourceLimitError(DataError):
    """Modelling a column as asked would exceed a memory/size limit."""


class UnknownConditionValueError(DataError):
    """A condition names a column or value the model never saw."""


class ConstraintError(DataError):
    """A constraint is invalid, does not fit the table, or the real rows break it."""


# --- plugins ----------------------------------------------------------------------------------
class PluginError(SynthoHiveError):
    """Base class of plugin discovery/registration problems."""


class PluginNotFoundError(PluginError):
    """No installed plugin provides the requested name."""


class PluginConflictError(PluginError):
    """Two plugins claim the same name."""


class PluginLoadError(PluginError):
    """A plugin failed to import or register (raised only in strict mode)."""


# --- model files ------------------------------------------------------------------------------
class ArtifactError(SynthoHiveError):
    """A model file cannot be written or read."""


class ArtifactIntegrityError(ArtifactError):
    """The model file is corrupt, truncated, malformed or tampered with."""


CorruptModelFileError = ArtifactIntegrityError


class UntrustedModelFileError(ArtifactIntegrityError):
    """The model file does not match the digest or signature the caller trusts."""


class IncompatibleArtifactError(ArtifactError):
    """The model file is valid but made by an unsupported format or plugin version."""


IncompatibleModelFileError = IncompatibleArtifactError


class UnknownModelPluginError(IncompatibleArtifactError, PluginNotFoundError):
    """The model file needs a model plugin that is not installed."""


# --- connectors -------------------------------------------------------------------------------
class ConnectorError(SynthoHiveError):
    """A source or sink failed (connection, missing table, failed write)."""


class TableNotFoundError(ConnectorError):
    """The named table does not exist in the source."""


class InvalidIdentifierError(ConnectorError):
    """A table/column/schema name is not acceptable for the target system."""


class DriverNotInstalledError(ConnectorError):
    """A database driver or optional dependency is missing."""


# --- privacy, quality, lifecycle ----------------------------------------------------------------
class PrivacyError(SynthoHiveError):
    """A privacy rule is violated or a privacy setting is invalid (e.g. hashing without a key)."""


class PrivacyGateError(PrivacyError):
    """Synthetic data failed the privacy gate; ``report`` holds the evidence."""

    def __init__(self, message: str, *, report: Any = None, **kwargs: Any) -> None:
        self.report = report
        super().__init__(message, **kwargs)


class PrivacyBudgetError(PrivacyError):
    """A differential-privacy budget is too small for what a model must learn from the rows
    (a column's range is lost in the noise); the fix says how much more to give."""


class QualityGateError(SynthoHiveError):
    """Synthetic data failed the quality gate; ``report`` holds the evidence."""

    def __init__(self, message: str, *, report: Any = None, **kwargs: Any) -> None:
        self.report = report
        super().__init__(message, **kwargs)


class NotFittedError(SynthoHiveError):
    """A model or synthesizer was used before ``fit``."""


class TrainingError(SynthoHiveError):
    """Training failed."""


class TrainingDivergedError(TrainingError):
    """A loss became non-finite during training."""


class DeviceError(SynthoHiveError):
    """The requested compute device (e.g. CUDA) is not available."""


__all__ = [
    "ArtifactError",
    "ArtifactIntegrityError",
    "ConnectorError",
    "ConstraintError",
    "CorruptModelFileError",
    "DataError",
    "DeviceError",
    "DriverNotInstalledError",
    "EmptyTableError",
    "IncompatibleArtifactError",
    "IncompatibleModelFileError",
    "InvalidDataError",
    "InvalidIdentifierError",
    "MetadataError",
    "NotFittedError",
    "PluginConflictError",
    "PluginError",
    "PluginLoadError",
    "PluginNotFoundError",
    "PrivacyBudgetError",
    "PrivacyError",
    "PrivacyGateError",
    "QualityGateError",
    "ResourceLimitError",
    "SynthoHiveError",
    "TableNotFoundError",
    "TooFewRowsError",
    "TrainingDivergedError",
    "TrainingError",
    "UnknownConditionValueError",
    "UnknownModelPluginError",
    "UntrustedModelFileError",
    "end_sentence",
]
