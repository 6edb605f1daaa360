"""The manifest of a model file: what is inside, who made it, and which plugins it needs.

``manifest.json`` is strict JSON validated against :class:`Manifest` (pydantic, unknown keys
forbidden). Model plugins are resolved against the plugins *installed* in this process through
the registry; nothing named in a file is ever imported.
"""

from __future__ import annotations

import platform
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from synthohive.artifacts.memory import valid_member_name
from synthohive.errors import (
    ArtifactError,
    ArtifactIntegrityError,
    IncompatibleArtifactError,
    PluginConflictError,
    PluginNotFoundError,
    UnknownModelPluginError,
)
from synthohive.log import get_logger

log = get_logger(__name__)

FORMAT_NAME = "synthohive-model"
FORMAT_VERSION = "1.0"
SUPPORTED_MAJORS: tuple[int, ...] = (1,)
"""Format major versions this loader reads."""
MANIFEST_MEMBER = "manifest.json"
SIGNATURE_MEMBER = "signature.json"
RESERVED_MEMBERS = (MANIFEST_MEMBER, SIGNATURE_MEMBER)

# First-party model names -> the distribution that provides them (for pip hints).
FIRST_PARTY_MODELS = {
    "gaussian_copula": "synthohive-core",
    "ctgan": "synthohive-ctgan",
    "tvae": "synthohive-tvae",
    "autoregressive": "synthohive-ar",
}

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_DIST = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,98}[A-Za-z0-9])?$")
_MODEL = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$")
_VERSION = re.compile(r"^[A-Za-z0-9.+!_-]{1,64}$")


class MemberEntry(BaseModel):
    """Digest and size of one member."""

    model_config = ConfigDict(extra="forbid", strict=True)

    sha256: str
    size: int = Field(ge=0)

    @field_validator("sha256")
    @classmethod
    def _hex(cls, v: str) -> str:
        if not _HEX64.match(v):
            raise ValueError("sha256 must be 64 lowercase hex digits")
        return v


class ModelPluginEntry(BaseModel):
    """A model the file needs, and the distribution/version that provided it at save time."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(pattern=_MODEL.pattern)
    distribution: str | None = Field(default=None, pattern=_DIST.pattern)
    version: str | None = Field(default=None, pattern=_VERSION.pattern)


class Manifest(BaseModel):
    """Schema of ``manifest.json``."""

    model_config = ConfigDict(extra="forbid", strict=True)

    format: str = Field(pattern=f"^{FORMAT_NAME}$")
    format_version: str = Field(pattern=r"^[0-9]{1,4}\.[0-9]{1,4}$")
    created_at: str = Field(max_length=64)
    synthohive_version: str = Field(pattern=_VERSION.pattern)
    python_version: str = Field(max_length=64)
    models: list[ModelPluginEntry] = Field(default_factory=list, max_length=10_000)
    members: dict[str, MemberEntry] = Field(max_length=10_000)
    extra: dict[str, Any] = Field(default_factory=dict)

    @field_validator("members")
    @classmethod
    def _names(cls, v: dict[str, MemberEntry]) -> dict[str, MemberEntry]:
        for name in v:
            if name in RESERVED_MEMBERS or not valid_member_name(name):
                raise ValueError(f"member name {name!r} is not allowed")
        return v

    @property
    def major(self) -> int:
        """The format major version."""
        return int(self.format_version.split(".", 1)[0])


def parse_manifest(obj: Any) -> Manifest:
    """Validate a decoded ``manifest.json`` (schema first, then the format version)."""
    if isinstance(obj, dict) and isinstance(obj.get("format_version"), str):
        version = obj["format_version"]
        major = version.split(".", 1)[0]
        if major.isdigit() and int(major) not in SUPPORTED_MAJORS:
            raise _incompatible(version)
    try:
        manifest = Manifest.model_validate(obj)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}"
            for err in exc.errors()[:5]
        )
        raise ArtifactIntegrityError(
            f"manifest.json does not match the model-file schema ({problems})",
            fix="the file is corrupt or not a SynthoHive model file",
        ) from None
    if manifest.major not in SUPPORTED_MAJORS:
        raise _incompatible(manifest.format_version)
    return manifest


def _incompatible(version: str) -> IncompatibleArtifactError:
    supported = ", ".join(f"{m}.x" for m in SUPPORTED_MAJORS)
    return IncompatibleArtifactError(
        f"model file format version {version!r} is not supported; this synthohive reads "
        f"format versions {supported}",
        fix="upgrade synthohive-core (pip install -U synthohive-core) or re-save the model",
    )


@dataclass(frozen=True)
class PluginInfo:
    """An installed model plugin: its name and the distribution that registered it."""

    name: str
    distribution: str | None
    version: str | None


def installed_model_plugin(name: str) -> PluginInfo:
    """Resolve model ``name`` among the installed plugins (registry lookup; never imports
    a path from a file). Raises :class:`PluginNotFoundError` when it is not installed."""
    from synthohive.registry import get_registry

    reg = get_registry().info("models", name)
    return PluginInfo(name=name, distribution=reg.distribution, version=reg.version)


def _dist_version(dist: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def describe_models(models: list[str] | tuple[str, ...]) -> list[dict[str, Any]]:
    """Manifest entries for the models a save uses (name, distribution, version)."""
    entries = []
    for name in dict.fromkeys(models):
        if not isinstance(name, str) or not _MODEL.match(name):
            raise ArtifactError(f"invalid model name {name!r} for the manifest")
        try:
            info = installed_model_plugin(name)
            entries.append(
                {"name": name, "distribution": info.distribution, "version": info.version}
            )
        except (ImportError, PluginNotFoundError, PluginConflictError) as exc:
            log.warning("model_plugin_unresolved", model=name, error=str(exc))
            dist = FIRST_PARTY_MODELS.get(name)
            entries.append(
                {
                    "name": name,
                    "distribution": dist,
                    "version": _dist_version(dist) if dist else None,
                }
            )
    return entries


def check_model_plugins(manifest: Manifest) -> None:
    """Every model the file needs must be installed; versions are compared and logged."""
    for entry in manifest.models:
        try:
            info = installed_model_plugin(entry.name)
        except PluginConflictError as exc:
            raise IncompatibleArtifactError(exc.bare_message, fix=exc.fix) from None
        except (ImportError, PluginNotFoundError):
            dist = entry.distribution or FIRST_PARTY_MODELS.get(entry.name)
            pin = f"{dist}=={entry.version}" if dist and entry.version else dist
            hint = f"pip install {pin}" if pin else "install the plugin that provides it"
            raise UnknownModelPluginError(
                f"the model file needs model plugin {entry.name!r}, which is not installed",
                fix=f"{hint}, then load the file again",
            ) from None
        if entry.version and info.version and entry.version != info.version:
            if _major(entry.version) != _major(info.version):
                raise IncompatibleArtifactError(
                    f"model {entry.name!r} was saved with {entry.distribution} {entry.version}, "
                    f"but {info.distribution} {info.version} is installed (different major "
                    "version)",
                    fix=f"pip install '{entry.distribution}=={entry.version}' or re-train",
                )
            log.warning(
                "model_plugin_version_differs",
                model=entry.name,
                saved=entry.version,
                installed=info.version,
            )


def _major(version: str) -> str:
    return version.split(".", 1)[0]


def now_iso() -> str:
    """Current UTC time, ISO 8601."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def python_version() -> str:
    """``3.11.7`` style interpreter version."""
    return platform.python_version()
