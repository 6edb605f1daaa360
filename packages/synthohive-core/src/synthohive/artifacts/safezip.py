"""Reading a model file's zip container defensively.

Never ``extractall``, never touch the filesystem: the whole file is already in memory and each
member is read into bytes with a size cap. Before any member is decompressed the central
directory is checked: no data before the first entry or after the end record, a member-name
allowlist (relative ``/`` paths, safe segments, ``.json``/``.npy``/``.safetensors`` only), no
duplicates, directories, symlinks or encrypted entries, only STORED/DEFLATED, non-overlapping
entries, bounded declared sizes and compression ratios (zip bombs).
"""

from __future__ import annotations

import io
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass

from synthohive.artifacts.manifest import RESERVED_MEMBERS
from synthohive.artifacts.memory import MAX_JSON_BYTES, valid_member_name
from synthohive.errors import ArtifactIntegrityError

_EOCD = b"PK\x05\x06"
_LOCAL = b"PK\x03\x04"
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
    RuntimeError,
    struct.error,
    KeyError,
    UnicodeDecodeError,
    OverflowError,
)


@dataclass(frozen=True)
class ZipLimits:
    """Bounds applied to the container before members are read."""

    max_members: int = 10_000
    max_member_size: int = 2 * 1024**3
    max_total_size: int = 4 * 1024**3
    max_ratio: int = 200
    """Largest uncompressed/compressed ratio for members over ``ratio_floor`` bytes."""
    ratio_floor: int = 1024**2


def _corrupt(message: str, member: str | None = None) -> ArtifactIntegrityError:
    where = f"member {member!r}: " if member else ""
    return ArtifactIntegrityError(
        f"{where}{message}", fix="the model file is corrupt or was altered; use a trusted copy"
    )


def _check_envelope(data: bytes) -> None:
    if len(data) < 22:
        raise _corrupt(f"the file is {len(data)} bytes: truncated or not a model file")
    if not data.startswith(_LOCAL):
        raise _corrupt(
            "the file does not start with a zip entry (not a model file, or data was prepended)"
        )
    tail = data[-22:]
    if not (tail.startswith(_EOCD) and tail[-2:] == b"\x00\x00"):
        pos = data.rfind(_EOCD, max(0, len(data) - 65_557))
        if pos >= 0 and pos + 22 <= len(data):
            extra = len(data) - (pos + 22)
            raise _corrupt(f"{extra} unexpected bytes follow the end of the zip (appended data)")
        raise _corrupt("the zip end record is missing: the file is truncated")
    _, disk, disk_cd, n_disk, n_total, size_cd, offset_cd, _ = struct.unpack("<4s4H2LH", tail)
    end = len(data) - 22
    if 0xFFFFFFFF in (size_cd, offset_cd) or 0xFFFF in (n_disk, n_total):
        # zip64: a locator (20 bytes) before the end record points at the zip64 end record
        loc = data[end - 20 : end]
        if len(loc) != 20 or not loc.startswith(b"PK\x06\x07"):
            raise _corrupt("the zip64 end locator is missing: the file is truncated or altered")
        _, _, eocd64, _ = struct.unpack("<4sLQL", loc)
        rec = data[eocd64 : eocd64 + 56]
        if len(rec) != 56 or not rec.startswith(b"PK\x06\x06") or eocd64 + 56 != end - 20:
            raise _corrupt("the zip64 end record is misplaced (appended or altered data)")
        fields = struct.unpack("<4sQ2H2L4Q", rec)
        disk, disk_cd, size_cd, offset_cd, end = fields[4], fields[5], fields[8], fields[9], eocd64
    if disk or disk_cd:
        raise _corrupt("multi-disk zips are not model files")
    if offset_cd + size_cd != end:
        raise _corrupt(
            "the zip directory does not end at the end record: data was appended or altered"
        )


def _check_entry(info: zipfile.ZipInfo, limits: ZipLimits) -> None:
    name = info.filename
    if not name:
        raise _corrupt("an entry has an empty name")
    if name.endswith("/"):
        raise _corrupt("directory entries are not allowed", name)
    if stat.S_ISLNK(info.external_attr >> 16):
        raise _corrupt("symbolic links are not allowed", name)
    if name.startswith("/") or "\\" in name or ".." in name.split("/") or ":" in name:
        raise _corrupt("the name is an absolute or escaping path", name)
    if name not in RESERVED_MEMBERS and not valid_member_name(name):
        raise _corrupt("the name is not an allowed member name (.json/.npy/.safetensors)", name)
    if info.flag_bits & 0x1:
        raise _corrupt("encrypted entries are not allowed", name)
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _corrupt(f"compression method {info.compress_type} is not allowed", name)
    size, packed = info.file_size, info.compress_size
    if info.compress_type == zipfile.ZIP_STORED and size != packed:
        raise _corrupt(f"stored entry declares {size} bytes but holds {packed}", name)
    if size > limits.max_member_size:
        raise _corrupt(f"declares {size} bytes, over the {limits.max_member_size} limit", name)
    if name.endswith(".json") and size > MAX_JSON_BYTES:
        raise _corrupt(f"JSON member declares {size} bytes, over the {MAX_JSON_BYTES} limit", name)
    if size > limits.ratio_floor and size > limits.max_ratio * max(packed, 1):
        raise _corrupt(
            f"declares {size} bytes from {packed} compressed (ratio over {limits.max_ratio}): "
            "a zip bomb",
            name,
        )


def _check_layout(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], size: int) -> None:
    """Entries must not overlap each other or the central directory (overlap bombs)."""
    end_of_data = getattr(zf, "start_dir", size)
    ordered = sorted(infos, key=lambda i: i.header_offset)
    for cur, nxt in zip(ordered, [*ordered[1:], None]):
        limit = nxt.header_offset if nxt is not None else end_of_data
        minimal = cur.header_offset + 30 + len(cur.orig_filename.encode("utf-8"))
        if cur.header_offset < 0 or minimal + cur.compress_size > limit:
            raise _corrupt("the entry overlaps another entry or the zip directory", cur.filename)


def read_zip_members(data: bytes, limits: ZipLimits | None = None) -> dict[str, bytes]:
    """Check the container and return ``{member name: bytes}`` in directory order."""
    limits = limits or ZipLimits()
    _check_envelope(data)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_ERRORS as exc:
        raise _corrupt(f"the zip directory is unreadable ({exc})") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_members:
            raise _corrupt(f"{len(infos)} entries, over the {limits.max_members} limit")
        seen: set[str] = set()
        total = 0
        for info in infos:
            if info.filename in seen:
                raise _corrupt("the name appears twice in the zip directory", info.filename)
            seen.add(info.filename)
            _check_entry(info, limits)
            total += info.file_size
        if total > limits.max_total_size:
            raise _corrupt(f"members declare {total} bytes in all, over {limits.max_total_size}")
        _check_layout(zf, infos, len(data))
        members: dict[str, bytes] = {}
        for info in infos:
            try:
                with zf.open(info) as fh:
                    body = fh.read(info.file_size + 1)
            except _ZIP_ERRORS as exc:
                raise _corrupt(f"cannot be read ({exc})", info.filename) from None
            if len(body) != info.file_size:
                raise _corrupt(
                    f"holds {len(body)} bytes, not the {info.file_size} declared", info.filename
                )
            members[info.filename] = body
    return members
