"""Reading a model file's zip container defensively.

Never ``extractall``, never touch the filesystem: the whole file is already in memory. Before any
member is decompressed the central directory is checked: no data before the first entry or after
the end record, a member-name allowlist (relative ``/`` paths, safe segments,
``.json``/``.npy``/``.safetensors`` only), no duplicates, directories, symlinks or encrypted
entries, only STORED/DEFLATED, non-overlapping entries, bounded member count, declared sizes and
compression ratios, per member and in all (zip bombs: many small members each under the
per-member ratio floor still add up).

Members are then read one at a time by :meth:`ZipContainer.read`, which streams the
decompression in bounded chunks, hashes as it goes and stops at the declared size, so a member
never costs more memory than the size the caller accepted for it.
"""

from __future__ import annotations

import hashlib
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
    inflate_floor: int = 16 * 1024**2
    """Bytes all DEFLATED members may inflate to beyond ``inflate_ratio`` x their packed size."""
    inflate_ratio: int = 4
    """Largest overall expansion of DEFLATED members (beyond ``inflate_floor``). The saver
    writes STORED members only; a re-zipped file that expands more must be re-saved."""
    chunk_size: int = 256 * 1024
    """Bytes decompressed and hashed per step when a member is read."""


def _corrupt(message: str, member: str | None = None) -> ArtifactIntegrityError:
    where = f"member {member!r}: " if member else ""
    return ArtifactIntegrityError(
        f"{where}{message}", fix="the model file is corrupt or was altered; use a trusted copy"
    )


def _hash_mismatch(member: str) -> ArtifactIntegrityError:
    return ArtifactIntegrityError(
        f"member {member!r} does not match its SHA-256 in the manifest",
        fix="the file was altered or corrupted; use a trusted copy",
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


def _check_layout(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], size: int) -> dict[str, int]:
    """Entries must not overlap each other or the central directory (overlap bombs).

    Returns where each entry's span ends (the next entry's header, or the directory).
    """
    end_of_data = getattr(zf, "start_dir", size)
    ordered = sorted(infos, key=lambda i: i.header_offset)
    limits: dict[str, int] = {}
    for cur, nxt in zip(ordered, [*ordered[1:], None], strict=True):
        limit = nxt.header_offset if nxt is not None else end_of_data
        minimal = cur.header_offset + 30 + len(cur.orig_filename.encode("utf-8"))
        if cur.header_offset < 0 or minimal + cur.compress_size > limit:
            raise _corrupt("the entry overlaps another entry or the zip directory", cur.filename)
        limits[cur.filename] = int(limit)
    return limits


class ZipContainer:
    """A checked zip directory over in-memory bytes; members are read one by one.

    Use :func:`open_zip` to build one. :attr:`sizes` maps each member name to its declared
    uncompressed size (directory order); :meth:`read` streams one member.
    """

    def __init__(
        self,
        data: bytes,
        zf: zipfile.ZipFile,
        infos: list[zipfile.ZipInfo],
        limits: ZipLimits,
        spans: dict[str, int],
    ) -> None:
        self._data = data
        self._zf = zf
        self._span_end = spans
        self._infos = {info.filename: info for info in infos}
        self._limits = limits
        self.sizes: dict[str, int] = {info.filename: info.file_size for info in infos}

    def __enter__(self) -> ZipContainer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the zip reader."""
        self._zf.close()

    def read(self, name: str, *, max_size: int | None = None, sha256: str | None = None) -> bytes:
        """Decompress member ``name`` in bounded chunks; check its size and digest as it streams.

        ``max_size`` refuses a larger declared size before anything is decompressed; the stream
        stops at the declared size whatever the data says, and a member that holds fewer bytes,
        fails its CRC or (with ``sha256``) hashes differently raises
        :class:`ArtifactIntegrityError` naming it.
        """
        info = self._infos.get(name)
        if info is None:
            raise _corrupt("is not in the zip directory", name)
        size = info.file_size
        if max_size is not None and size > max_size:
            raise _corrupt(f"declares {size} bytes, over the {max_size}-byte limit", name)
        if info.compress_type == zipfile.ZIP_STORED:
            return self._read_stored(info, sha256)
        digest = hashlib.sha256()
        parts: list[bytes] = []
        got = 0
        step = self._limits.chunk_size
        try:
            with self._zf.open(info) as fh:
                while got < size:
                    chunk = fh.read(min(step, size - got))
                    if not chunk:
                        break
                    got += len(chunk)
                    digest.update(chunk)
                    parts.append(chunk)
                if got == size:
                    fh.read(1)  # reach the end of the stream: zipfile checks the CRC there
        except _ZIP_ERRORS as exc:
            raise _corrupt(f"cannot be read ({exc})", name) from None
        if got != size:
            raise _corrupt(f"holds {got} bytes, not the {size} declared", name)
        if sha256 is not None and digest.hexdigest() != sha256:
            raise _hash_mismatch(name)
        return b"".join(parts)

    def _read_stored(self, info: zipfile.ZipInfo, sha256: str | None) -> bytes:
        """A STORED member sliced from the file's bytes: hashed in place, copied once."""
        name, data = info.filename, self._data
        start = info.header_offset
        header = data[start : start + 30]
        if len(header) != 30 or not header.startswith(_LOCAL):
            raise _corrupt("its local header is missing or damaged", name)
        flags, method = struct.unpack("<HH", header[6:10])
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        raw_name = data[start + 30 : start + 30 + name_len]
        if (
            method != zipfile.ZIP_STORED
            or flags & 0x1
            or raw_name != info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437")
        ):
            raise _corrupt("its local header does not match the zip directory", name)
        begin = start + 30 + name_len + extra_len
        end = begin + info.compress_size
        if end > self._span_end[name]:
            raise _corrupt("its data runs into the next entry or the zip directory", name)
        view = memoryview(data)[begin:end]
        try:
            if sha256 is not None:
                digest = hashlib.sha256()
                step = self._limits.chunk_size
                for pos in range(0, len(view), step):
                    digest.update(view[pos : pos + step])
                if digest.hexdigest() != sha256:
                    raise _hash_mismatch(name)
            elif zlib.crc32(view) != info.CRC:
                raise _corrupt("fails its CRC check", name)
            return view.tobytes()
        finally:
            view.release()


def open_zip(data: bytes, limits: ZipLimits | None = None) -> ZipContainer:
    """Check the container's envelope and directory (nothing is decompressed yet)."""
    limits = limits or ZipLimits()
    _check_envelope(data)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_ERRORS as exc:
        raise _corrupt(f"the zip directory is unreadable ({exc})") from None
    try:
        infos = zf.infolist()
        if len(infos) > limits.max_members:
            raise _corrupt(f"{len(infos)} entries, over the {limits.max_members} limit")
        seen: set[str] = set()
        total = inflated = packed = 0
        for info in infos:
            if info.filename in seen:
                raise _corrupt("the name appears twice in the zip directory", info.filename)
            seen.add(info.filename)
            _check_entry(info, limits)
            total += info.file_size
            if info.compress_type == zipfile.ZIP_DEFLATED:
                inflated += info.file_size
                packed += info.compress_size
        if total > limits.max_total_size:
            raise _corrupt(f"members declare {total} bytes in all, over {limits.max_total_size}")
        budget = limits.inflate_floor + limits.inflate_ratio * packed
        if inflated > budget:
            raise _corrupt(
                f"compressed members declare {inflated} bytes from {packed} compressed, over "
                f"the {budget}-byte budget: a zip bomb (re-save the model to store it "
                "uncompressed)"
            )
        spans = _check_layout(zf, infos, len(data))
    except BaseException:
        zf.close()
        raise
    return ZipContainer(data, zf, infos, limits, spans)
