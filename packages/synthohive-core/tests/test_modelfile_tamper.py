"""Model-file tamper matrix (T-A4) and hostile JSON (T-A7): typed errors naming the member."""

from __future__ import annotations

import hashlib
import json
import struct
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from synthohive.artifacts import ArtifactWriter
from synthohive.artifacts.memory import decode_json
from synthohive.artifacts.modelfile import read_model_file, save_model_file
from synthohive.errors import ArtifactIntegrityError
from synthohive.testing.timing import time_bound

MEMBERS = ["model.json", "state/means.npy", "state/weights.safetensors", "manifest.json"]


def write_state(writer: ArtifactWriter) -> None:
    writer.write_json("model", {"name": "tiny", "params": {"k": 3}, "levels": list("abcdef")})
    state = writer.child("state")
    state.write_array("means", np.linspace(0.0, 1.0, 64))
    state.write_tensors("weights", {"w": np.ones((8, 8), dtype=np.float32)})


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "good.shm"
    save_model_file(path, write_state)
    return path


def _data_span(raw: bytes, member: str) -> tuple[int, int]:
    """Byte range of ``member``'s stored data inside the zip."""
    import io

    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        info = zf.getinfo(member)
    name_len, extra_len = struct.unpack(
        "<HH", raw[info.header_offset + 26 : info.header_offset + 30]
    )
    start = info.header_offset + 30 + name_len + extra_len
    return start, start + info.compress_size


def _write_zip(path: Path, entries: list[tuple[str, bytes]]) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        for name, body in entries:
            zf.writestr(name, body)


def _entries(path: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as zf:
        return [(n, zf.read(n)) for n in zf.namelist()]


def _expect(data: bytes | Path, *needles: str) -> str:
    with pytest.raises(ArtifactIntegrityError) as info:
        read_model_file(data)
    message = str(info.value)
    for needle in needles:
        assert needle in message, message
    return message


@pytest.mark.parametrize("member", MEMBERS)
@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_flip_one_byte_names_the_member(good: Path, member: str, where: str) -> None:
    raw = bytearray(good.read_bytes())
    start, end = _data_span(bytes(raw), member)
    pos = {"first": start, "middle": (start + end) // 2, "last": end - 1}[where]
    raw[pos] ^= 0xFF
    _expect(bytes(raw), repr(member))


@pytest.mark.parametrize("cut", [1, 21, 100, 0.5, 0.9])
def test_truncated_file(good: Path, cut: float) -> None:
    raw = good.read_bytes()
    keep = len(raw) - cut if isinstance(cut, int) else int(len(raw) * cut)
    _expect(raw[:keep], "truncated")


@pytest.mark.parametrize("tail", [b"x", b"\x00" * 1000, b"PK\x05\x06" + b"\x00" * 18])
def test_appended_bytes(good: Path, tail: bytes) -> None:
    _expect(good.read_bytes() + tail, "appended")


def test_prepended_bytes(good: Path) -> None:
    _expect(b"#!/bin/sh\n" + good.read_bytes(), "does not start with a zip entry")


def test_extra_member(good: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.shm"
    _write_zip(bad, [*_entries(good), ("state/extra.npy", _entries(good)[2][1])])
    _expect(bad, "'state/extra.npy' is in the file but not in the manifest")


@pytest.mark.parametrize("member", MEMBERS[:3])
def test_removed_member(good: Path, tmp_path: Path, member: str) -> None:
    bad = tmp_path / "bad.shm"
    _write_zip(bad, [(n, b) for n, b in _entries(good) if n != member])
    _expect(bad, f"{member!r} is listed in the manifest but missing")


def test_removed_manifest(good: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.shm"
    _write_zip(bad, [(n, b) for n, b in _entries(good) if n != "manifest.json"])
    _expect(bad, "has no manifest.json")


@pytest.mark.parametrize(
    "name",
    [
        "../x.json",
        "/etc/x.json",
        "state/../../x.json",
        "a\\..\\x.json",
        "C:x.json",
        "x.pkl",
        "state/x.pt",
        ".hidden.json",
        "state/",
        "a//b.json",
    ],
)
def test_bad_member_names(good: Path, tmp_path: Path, name: str) -> None:
    bad = tmp_path / "bad.shm"
    _write_zip(bad, [*_entries(good), (name, b"{}")])
    _expect(bad, repr(name))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.shm", "good.shm"]


def test_renamed_member(good: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.shm"
    _write_zip(bad, [("../model.json" if n == "model.json" else n, b) for n, b in _entries(good)])
    _expect(bad, "'../model.json'", "escaping path")


def test_duplicate_member(good: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.shm"
    entries = _entries(good)
    with pytest.warns(UserWarning, match="Duplicate name"):
        _write_zip(bad, [*entries, ("model.json", b'{"name": "evil"}')])
    _expect(bad, "'model.json'", "appears twice")


def test_symlink_entry(good: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.shm"
    with zipfile.ZipFile(bad, "w") as zf:
        for name, body in _entries(good):
            zf.writestr(name, body)
        link = zipfile.ZipInfo("state/link.json")
        link.external_attr = 0o120777 << 16
        zf.writestr(link, "/etc/passwd")
    _expect(bad, "'state/link.json'", "symbolic links")


def test_deflate_member_declaring_1gb(good: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bomb.shm"
    with zipfile.ZipFile(bad, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, body in _entries(good):
            zf.writestr(name, body)
        zf.writestr("state/big.npy", b"\x00" * 4096)
    raw = bytearray(bad.read_bytes())
    one_gb = struct.pack("<I", 1 << 30)
    with zipfile.ZipFile(bad) as zf:
        info = zf.getinfo("state/big.npy")
    raw[info.header_offset + 22 : info.header_offset + 26] = one_gb  # local header
    central = raw.rindex(b"PK\x01\x02")  # last central entry is the bomb
    raw[central + 24 : central + 28] = one_gb
    tracemalloc.start()
    try:
        with time_bound(2, what="refusing the zip bomb"):
            _expect(bytes(raw), "'state/big.npy'", "zip bomb")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 * 1024**2


def test_oversize_file(good: Path) -> None:
    assert read_model_file(good).sha256  # the default limit is far above this file
    with pytest.raises(ArtifactIntegrityError, match="over the 100-byte limit"):
        read_model_file(good, max_size=100)


def test_manifest_edits(good: Path, tmp_path: Path) -> None:
    entries = dict(_entries(good))
    man = json.loads(entries["manifest.json"])
    man["members"]["state/means.npy"]["sha256"] = "0" * 64
    bad = tmp_path / "bad.shm"
    _write_zip(
        bad,
        [
            *((n, b) for n, b in entries.items() if n != "manifest.json"),
            ("manifest.json", json.dumps(man).encode()),
        ],
    )
    _expect(bad, "'state/means.npy' does not match its SHA-256")

    man = json.loads(entries["manifest.json"])
    man["members"]["state/means.npy"]["size"] += 1
    _write_zip(
        bad,
        [
            *((n, b) for n, b in entries.items() if n != "manifest.json"),
            ("manifest.json", json.dumps(man).encode()),
        ],
    )
    _expect(bad, "'state/means.npy' is", "the manifest says")

    man = json.loads(entries["manifest.json"])
    man["members"]["../x.json"] = man["members"].pop("model.json")
    _write_zip(
        bad,
        [
            *((n, b) for n, b in entries.items() if n != "manifest.json"),
            ("manifest.json", json.dumps(man).encode()),
        ],
    )
    _expect(bad, "manifest.json does not match the model-file schema", "'../x.json'")


# --- T-A7: hostile JSON --------------------------------------------------------------------------
HOSTILE: dict[str, Any] = {
    "nan": b'{"std": NaN}',
    "infinity": b'{"std": -Infinity}',
    "1e999": b'{"std": 1e999}',
    "deep": b"[" * 100_000 + b"]" * 100_000,
    "deep_objects": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "huge_int": b"9" * 100_000,
    "dup_keys": b'{"a": 1, "a": 2}',
    "bad_utf8": b'{"a": "\xff\xfe"}',
    "many_values": b"[" + b"[]," * 3_000_000 + b"[]]",  # 9 MB building 3 million lists
    "astral_text": b'"' + b"a" * (20 * 2**20) + "\U0001f600".encode() + b'"',  # 4 bytes a char
    "huge_string": None,  # built in the test (100 MB)
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_json_member(good: Path, tmp_path: Path, case: str) -> None:
    body = HOSTILE[case]
    if body is None:
        body = b'"' + b"a" * (100 * 1024**2) + b'"'
    entries = dict(_entries(good))
    entries["model.json"] = body
    man = json.loads(entries["manifest.json"])
    man["members"]["model.json"] = {"sha256": hashlib.sha256(body).hexdigest(), "size": len(body)}
    entries["manifest.json"] = json.dumps(man).encode()
    bad = tmp_path / "hostile.shm"
    with zipfile.ZipFile(bad, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    del body, entries
    tracemalloc.start()
    try:
        with time_bound(2, what=case):
            _expect(bad, "'model.json'")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200 * 1024**2, f"{case} used {peak / 1e6:.0f} MB"


@pytest.mark.parametrize("case", [c for c, b in HOSTILE.items() if b is not None])
def test_hostile_json_decoder(case: str) -> None:
    with time_bound(2, what=case), pytest.raises(ArtifactIntegrityError, match=r"'x\.json'"):
        decode_json(HOSTILE[case], "x.json")


def test_hostile_json_in_manifest(good: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.shm"
    for body in (HOSTILE["deep"], HOSTILE["nan"], b'{"format": 1e999}', b"[]", b"null"):
        _write_zip(bad, [(n, body if n == "manifest.json" else b) for n, b in _entries(good)])
        _expect(bad, "manifest.json")
