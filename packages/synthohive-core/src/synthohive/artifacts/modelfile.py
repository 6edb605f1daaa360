"""Model files: one zip holding a manifest and the members a model wrote.

``save_model_file(path, write_fn, models=[...])`` runs ``write_fn`` against an in-memory
:class:`ArtifactWriter`, then writes one zip atomically (temp file, fsync, rename):

- ``manifest.json``: format name and version, creation time, synthohive and Python versions,
  the model plugins used (name, distribution, version) and the SHA-256 and size of every member;
- the members (``.json`` strict JSON, ``.npy`` without pickle, ``.safetensors`` weights);
- optionally ``signature.json``: HMAC-SHA256 of the manifest bytes with a key from the caller
  or ``SYNTHOHIVE_SIGNING_KEY`` (the key itself is never written).

``read_model_file(path_or_bytes)`` checks, in this order and before any object is built: that
a path names a regular file (never a FIFO or device) and its size; the whole-file SHA-256
against ``expected_sha256`` (when given); the zip directory (:mod:`synthohive.artifacts.safezip`:
names, counts, declared sizes and compression ratios, nothing decompressed yet);
``manifest.json`` (read first, size-capped) as strict JSON against its schema and the format
major version; the directory against the manifest (same member set, same declared sizes,
bounded total); the signature (when a key is given); every model plugin among the installed
plugins; then each member, streamed in bounded chunks and hashed as it is decompressed (never
past its declared size) and well-formed for its kind (strict JSON; ``.npy`` and safetensors
headers agree with their sizes). Nothing in a file can execute code.

A hash inside the file only detects corruption: someone who edits a member can recompute the
manifest. To detect tampering, keep the SHA-256 that ``save_model_file`` returns and pass it as
``expected_sha256``, or sign with a key held outside the file.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synthohive._io import atomic_path
from synthohive.artifacts import signing
from synthohive.artifacts.api import ArtifactReader, ArtifactWriter
from synthohive.artifacts.manifest import (
    FORMAT_NAME,
    FORMAT_VERSION,
    MANIFEST_MEMBER,
    RESERVED_MEMBERS,
    SIGNATURE_MEMBER,
    Manifest,
    check_model_plugins,
    describe_models,
    now_iso,
    parse_manifest,
    python_version,
)
from synthohive.artifacts.memory import (
    MemoryStore,
    check_member,
    decode_json,
    encode_json,
    valid_member_name,
)
from synthohive.artifacts.safezip import ZipLimits, open_zip
from synthohive.errors import ArtifactError, ArtifactIntegrityError, UntrustedModelFileError
from synthohive.log import get_logger

log = get_logger(__name__)

DEFAULT_MAX_SIZE = 2 * 1024**3
"""Largest model file ``read_model_file`` accepts unless told otherwise (bytes)."""
MAX_MANIFEST_BYTES = 8 * 1024**2
"""Largest ``manifest.json`` read (10 000 members take about 1.5 MB)."""
MAX_SIGNATURE_BYTES = 4096
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_HEX64 = re.compile(r"^[0-9a-f]{64}$")

Source = str | os.PathLike[str] | bytes | bytearray | memoryview


@dataclass
class ModelFile:
    """A verified model file: its manifest, a reader over its members, and its SHA-256."""

    reader: ArtifactReader
    manifest: dict[str, Any]
    sha256: str
    signed: bool = False
    members: dict[str, int] = field(default_factory=dict)
    """Member name -> size in bytes."""

    @property
    def models(self) -> list[str]:
        """Names of the model plugins the file needs."""
        return [m["name"] for m in self.manifest.get("models", [])]


def _synthohive_version() -> str:
    from synthohive import __version__

    return __version__


def save_model_file(
    path: str | os.PathLike[str],
    write_fn: Callable[[ArtifactWriter], None],
    *,
    models: Iterable[str] = (),
    extra: dict[str, Any] | None = None,
    signing_key: bytes | str | None = None,
) -> str:
    """Write a model file atomically and return its SHA-256 (hex).

    ``write_fn`` receives an :class:`ArtifactWriter` and stores the state; ``models`` names the
    model plugins the state needs (recorded with their distribution and version); ``extra`` is
    small strict-JSON information kept in the manifest. With ``signing_key`` (or
    ``SYNTHOHIVE_SIGNING_KEY``) the manifest is HMAC-signed.
    """
    target = Path(os.fspath(path)).expanduser()
    key = signing.resolve_key(signing_key)
    store = MemoryStore()
    write_fn(store.writer())
    for name in store.members:
        if name in RESERVED_MEMBERS or not valid_member_name(name):
            raise ArtifactError(
                f"member name {name!r} is reserved or not allowed in a model file",
                fix="choose another name for this member",
            )
    manifest = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "created_at": now_iso(),
        "synthohive_version": _synthohive_version(),
        "python_version": python_version(),
        "models": describe_models(tuple(models)),
        "members": {
            name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            for name, data in sorted(store.members.items())
        },
        "extra": dict(extra or {}),
    }
    manifest_bytes = encode_json(manifest, MANIFEST_MEMBER)
    parse_manifest(json.loads(manifest_bytes))  # what we write must be what we accept
    if target.is_dir():
        raise ArtifactError(
            f"cannot write the model file {str(target)!r}: it is a directory",
            fix="give a file path such as model.shm",
        )
    try:
        with atomic_path(target) as tmp:
            with zipfile.ZipFile(tmp, "w", allowZip64=True) as zf:
                _put(zf, MANIFEST_MEMBER, manifest_bytes)
                for name in sorted(store.members):
                    _put(zf, name, store.members[name])
                if key is not None:
                    _put(zf, SIGNATURE_MEMBER, signing.sign(manifest_bytes, key))
            digest = _file_sha256(tmp)
    except OSError as exc:
        raise ArtifactError(
            f"cannot write the model file {str(target)!r}: {exc.strerror or exc}",
            fix="choose a writable folder with free space (check permissions)",
        ) from None
    log.info(
        "model_file_saved",
        path=str(target),
        members=len(store.members),
        signed=key is not None,
        sha256=digest,
    )
    return digest


def _put(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
    # Stored, not deflated: every byte of the file then matters (a flipped bit in a deflate
    # stream's padding would change the file but not the content), and reads need no inflater.
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    zf.writestr(info, data)


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _read_source(source: Source, max_size: int) -> tuple[bytes, str]:
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        label = "<bytes>"
        if len(data) > max_size:
            raise _too_big(label, len(data), max_size)
        return data, label
    if not isinstance(source, str | os.PathLike):
        raise ArtifactError(
            f"a model file is given as a path or its bytes, not a {type(source).__name__}",
            fix="pass a str or pathlib.Path (or the file's bytes)",
        )
    try:
        raw = os.fspath(source)
    except TypeError:
        raw = None
    if not isinstance(raw, str) or not raw or "\x00" in raw:
        raise ArtifactError(
            f"{source!r} is not a usable model-file path",
            fix="pass a str or pathlib.Path naming a file",
        )
    path = Path(raw).expanduser()
    label = str(path)
    try:
        _check_regular(path.stat().st_mode, label)
        # O_NONBLOCK: a FIFO swapped in after the stat must not block the open.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with open(fd, "rb", closefd=True) as fh:
            st = os.fstat(fh.fileno())
            _check_regular(st.st_mode, label)
            if st.st_size > max_size:
                raise _too_big(label, st.st_size, max_size)
            # read(n) allocates n bytes up front: ask only for what stat saw (+1 to notice a
            # file that grew since), never for max_size.
            data = fh.read(st.st_size + 1)
    except FileNotFoundError:
        raise ArtifactError(
            f"no model file at {label!r}", fix="check the path (save with Synthesizer.save)"
        ) from None
    except (OSError, ValueError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ArtifactError(f"cannot read the model file {label!r}: {why}") from None
    if len(data) > max_size:
        raise _too_big(label, len(data), max_size)
    return data, label


def _check_regular(mode: int, label: str) -> None:
    """Only regular files are model files (not FIFOs, devices, sockets or directories)."""
    if stat.S_ISREG(mode):
        return
    kind = (
        "a directory"
        if stat.S_ISDIR(mode)
        else "a FIFO (named pipe)"
        if stat.S_ISFIFO(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "not a regular file"
    )
    raise ArtifactError(
        f"{label!r} is {kind}, not a model file", fix="give the path of a saved model file"
    )


def _too_big(label: str, size: int, max_size: int) -> ArtifactIntegrityError:
    return ArtifactIntegrityError(
        f"model file {label!r} is {size} bytes, over the {max_size}-byte limit",
        fix="pass max_size=... to read_model_file if you trust this file",
    )


def _normalise_digest(value: str) -> str:
    digest = value.strip().lower().removeprefix("sha256:")
    if not _HEX64.match(digest):
        raise ArtifactError(
            "expected_sha256 must be 64 hexadecimal digits",
            fix="pass the value returned by save_model_file (or `sha256sum` output)",
        )
    return digest


def read_model_file(
    source: Source,
    *,
    expected_sha256: str | None = None,
    signing_key: bytes | str | None = None,
    max_size: int = DEFAULT_MAX_SIZE,
) -> ModelFile:
    """Verify a model file (path or bytes) and return its manifest and a member reader.

    Raises :class:`~synthohive.errors.ArtifactIntegrityError` (corrupt, malformed, altered),
    :class:`~synthohive.errors.UntrustedModelFileError` (digest or signature mismatch),
    :class:`~synthohive.errors.IncompatibleArtifactError` (format version), or
    :class:`~synthohive.errors.UnknownModelPluginError` (model plugin not installed).
    """
    expected = _normalise_digest(expected_sha256) if expected_sha256 is not None else None
    key = signing.resolve_key(signing_key)
    # 1. size
    data, label = _read_source(source, max_size)
    # 2. whole-file digest against the caller's trust anchor
    digest = hashlib.sha256(data).hexdigest()
    if expected is not None and digest != expected:
        raise UntrustedModelFileError(
            f"model file {label!r} has SHA-256 {digest}, not the expected {expected}",
            fix="the file was altered or replaced; use the copy you saved",
        )
    # 3. container: envelope and directory, nothing decompressed yet
    limits = ZipLimits(max_total_size=max(max_size * 2, ZipLimits().max_total_size))
    with open_zip(data, limits) as container:
        if MANIFEST_MEMBER not in container.sizes:
            raise ArtifactIntegrityError(
                f"model file {label!r} has no manifest.json",
                fix="it is not a SynthoHive model file",
            )
        # 4-5. manifest first (bounded), its schema and format version
        manifest_bytes = container.read(MANIFEST_MEMBER, max_size=MAX_MANIFEST_BYTES)
        manifest = parse_manifest(
            decode_json(manifest_bytes, MANIFEST_MEMBER, max_bytes=MAX_MANIFEST_BYTES)
        )
        # 6. the directory against the manifest: names, declared sizes, totals
        _check_members(manifest, container.sizes, limits)
        # 7. signature (before any member is decompressed)
        if key is not None:
            doc = None
            if SIGNATURE_MEMBER in container.sizes:
                sig = container.read(SIGNATURE_MEMBER, max_size=MAX_SIGNATURE_BYTES)
                doc = decode_json(sig, SIGNATURE_MEMBER, max_bytes=MAX_SIGNATURE_BYTES)
            signing.verify(manifest_bytes, doc, key)
        elif SIGNATURE_MEMBER in container.sizes:
            log.info("model_file_signature_not_checked", path=label, reason="no signing key given")
        # 8. model plugins among the installed ones
        check_model_plugins(manifest)
        # 9. members streamed and hashed against the manifest, then checked by kind
        raw: dict[str, bytes] = {}
        for name, entry in manifest.members.items():
            body = container.read(name, max_size=entry.size, sha256=entry.sha256)
            check_member(name, body)
            raw[name] = body
    del data
    log.info("model_file_verified", path=label, members=len(raw), sha256=digest)
    return ModelFile(
        reader=MemoryStore(raw).reader(),
        manifest=manifest.model_dump(mode="json"),
        sha256=digest,
        signed=key is not None,
        members={name: len(body) for name, body in raw.items()},
    )


def _check_members(manifest: Manifest, sizes: dict[str, int], limits: ZipLimits) -> None:
    """The zip directory must hold exactly the manifest's members with the sizes it declares."""
    declared = manifest.members
    for name in sizes:
        if name not in declared and name not in RESERVED_MEMBERS:
            raise ArtifactIntegrityError(
                f"member {name!r} is in the file but not in the manifest",
                fix="the file was altered; use a trusted copy",
            )
    total = 0
    for name, entry in declared.items():
        if name not in sizes:
            raise ArtifactIntegrityError(
                f"member {name!r} is listed in the manifest but missing from the file",
                fix="the file is incomplete; re-save it",
            )
        if sizes[name] != entry.size:
            raise ArtifactIntegrityError(
                f"member {name!r} is {sizes[name]} bytes, the manifest says {entry.size}",
                fix="the file was altered or corrupted; use a trusted copy",
            )
        total += entry.size
    if total > limits.max_total_size:
        raise ArtifactIntegrityError(
            f"the manifest declares {total} bytes of members, over the "
            f"{limits.max_total_size}-byte limit",
            fix="the file is corrupt or hostile; use a trusted copy",
        )
