"""In-memory artifact store: the member bytes a model file holds, without the zip around them.

The model file (``synthohive.artifacts.modelfile``) writes and reads these members; tests use
the store directly to round-trip a model's state.
"""

from __future__ import annotations

import io
import json
import math
import re
from typing import Any

import numpy as np

from synthohive.errors import ArtifactError, ArtifactIntegrityError

_ALLOWED_KINDS = "biufcSUM"  # bool, ints, floats, complex, fixed bytes/str, datetime64

MAX_JSON_DEPTH = 64
"""Deepest nesting a JSON member may have."""
MAX_JSON_BYTES = 64 * 1024 * 1024
"""Largest JSON member accepted (bytes); larger state belongs in arrays."""
MAX_JSON_COST = 160 * 1024 * 1024
"""Most memory reading one JSON member may take, as estimated by :func:`json_cost` before
parsing: its bytes twice (in the file and as a member), the decoded text, its strings and its
values (a byte of ``[],`` text builds over 20 bytes of objects; one emoji makes every character
of the text and of its string take 4 bytes). ASCII JSON of 40 MiB fits, with few values."""
_ITEM_COST = 72
"""Bytes per value parsing builds at worst (small dicts in a list, measured on CPython 3.11)."""
_WIDE4 = re.compile(rb"[\xf0-\xf4]|\\u[dD][89abAB]")
_WIDE2 = re.compile(rb"[\xc4-\xef]|\\u(?!00)")
MEMBER_EXTENSIONS = (".json", ".npy", ".safetensors")
"""The only kinds of member a model file holds."""
MAX_MEMBER_NAME = 512

# One path segment: letters/digits (any script), ``_ - . = + @ %`` and spaces inside; never
# empty, never starting with ``.`` (no ``..``, no hidden files), never ending in space/dot.
_SEGMENT = re.compile(r"^[\w%+=@-](?:[\w%+=@. -]{0,198}[\w%+=@-])?$")


def valid_segment(segment: str) -> bool:
    """Whether ``segment`` may be one ``/``-separated part of a member name."""
    return bool(_SEGMENT.match(segment)) and segment.isprintable()


def member_segment(name: str) -> str:
    """Encode any string (e.g. a table name) as a valid member-name segment, reversibly.

    Characters outside the allowed set are written as ``%XX`` (UTF-8 bytes), like URLs.
    """
    out = []
    for i, ch in enumerate(name):
        ok = (ch.isalnum() or ch in "_+=@-" or (ch in ". " and 0 < i < len(name) - 1)) and (
            ch.isprintable()
        )
        out.append(ch if ok else "".join(f"%{b:02X}" for b in ch.encode("utf-8")))
    seg = "".join(out) or "%00"
    if not valid_segment(seg):
        raise ArtifactError(f"name {name!r} is too long to be stored in a model file")
    return seg


def valid_member_name(name: str) -> bool:
    """Whether ``name`` is an acceptable member path (relative, safe segments, known kind)."""
    if not name or len(name) > MAX_MEMBER_NAME or not name.endswith(MEMBER_EXTENSIONS):
        return False
    parts = name.split("/")
    if len(parts) > 16:
        return False
    stem = parts[-1].rsplit(".", 1)[0]
    return all(valid_segment(p) for p in parts[:-1]) and valid_segment(stem)


_JSON_SCALARS = frozenset({str, int, bool, float, type(None)})


def _check_json_value(obj: Any, path: str, depth: int = 0) -> None:
    """Depth, finite numbers, string keys and plain types of a decoded JSON value; iterative,
    and the items of an all-scalar container are checked by one pass over their types and
    one ``isfinite`` map (T-A7: 1.6 million numbers in well under 2 s)."""
    stack: list[tuple[Any, int]] = [(obj, depth)]
    while stack:
        value, level = stack.pop()
        if level > MAX_JSON_DEPTH:
            raise _too_deep(path)
        if isinstance(value, dict):
            for k in value:
                if not isinstance(k, str):
                    raise ArtifactError(f"JSON member {path!r} has a non-string key {k!r}")
            items: Any = value.values()
        elif isinstance(value, list | tuple):
            items = value
        else:
            _check_json_scalar(value, path)
            continue
        kinds = set(map(type, items))
        if not kinds:
            continue
        if kinds <= _JSON_SCALARS:
            if level + 1 > MAX_JSON_DEPTH:
                raise _too_deep(path)
            if float in kinds:
                floats = items if len(kinds) == 1 else (v for v in items if type(v) is float)
                if not all(map(math.isfinite, floats)):
                    raise ArtifactError(f"JSON member {path!r} holds a non-finite number")
        else:
            stack.extend((v, level + 1) for v in items)


def _too_deep(path: str) -> ArtifactError:
    msg = f"JSON member {path!r} is nested deeper than {MAX_JSON_DEPTH} levels"
    return ArtifactError(msg, fix="store large or deep state as arrays instead")


def _check_json_scalar(value: Any, path: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise ArtifactError(f"JSON member {path!r} holds a non-finite number")
    if not isinstance(value, str | int | float | bool | type(None)):
        raise ArtifactError(
            f"JSON member {path!r} holds a {type(value).__name__}; only plain JSON values are "
            "allowed"
        )


def json_cost(data: bytes) -> tuple[int, int, int]:
    """``(values, bytes per character, estimated bytes)`` reading ``data`` may take.

    Values are counted from separators and openers (strings included: an upper bound); the
    text and its strings take 1, 2 or 4 bytes per character by the widest character present;
    the raw bytes count twice (the file and the member).
    """
    items = data.count(b",") + data.count(b":") + data.count(b"[") + data.count(b"{") + 1
    plain = data.isascii() and b"\\u" not in data  # fast; such bytes match neither pattern
    width = 1 if plain else 4 if _WIDE4.search(data) else 2 if _WIDE2.search(data) else 1
    return items, width, (2 + 2 * width) * len(data) + _ITEM_COST * items


def _over_budget(data: bytes, name: str) -> str | None:
    """Why JSON member ``name`` is too large to parse (None when it is not)."""
    if len(data) > MAX_JSON_BYTES:
        return f"JSON member {name!r} is {len(data)} bytes, over the {MAX_JSON_BYTES}-byte limit"
    items, width, cost = json_cost(data)
    if cost > MAX_JSON_COST:
        return (
            f"JSON member {name!r} would take about {cost // 2**20} MiB to read ({len(data)} "
            f"bytes, up to {items} values, {width}-byte characters), over the "
            f"{MAX_JSON_COST // 2**20} MiB budget"
        )
    return None


def encode_json(obj: Any, name: str) -> bytes:
    """Strict JSON bytes (finite numbers, string keys, plain containers)."""
    _check_json_value(obj, name)
    data = json.dumps(obj, allow_nan=False, ensure_ascii=False, sort_keys=True).encode("utf-8")
    problem = _over_budget(data, name)
    if problem:
        raise ArtifactError(
            f"{problem}; a model file would refuse it",
            fix="store large state with write_array/write_tensors instead of JSON",
        )
    return data


def encode_array(array: np.ndarray, name: str) -> bytes:
    """``.npy`` bytes of a non-object array."""
    array = np.asarray(array)
    if array.dtype.kind not in _ALLOWED_KINDS:
        raise ArtifactError(
            f"array member {name!r} has dtype {array.dtype}; object arrays cannot be stored",
            fix="convert to a numeric or fixed-width string dtype",
        )
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


_NPY_MAGIC = b"\x93NUMPY"
_NPY_ENTRY = re.compile(
    r"\s*'(descr|fortran_order|shape)'\s*:\s*"
    r"('[<>|=]?[a-zA-Z]\d{0,9}(?:\[\w{1,8}\])?'|True|False|\((?:\s*\d{1,19}\s*,)*(?:\s*\d{1,19})?\s*\))"
    r"\s*,?"
)


def _parse_npy_header(text: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    """(shape, fortran, dtype) from a ``.npy`` header dict, by a strict grammar (no eval)."""
    text = text.strip()
    if not (text.startswith("{") and text.endswith("}")):
        raise ValueError("header is not a dict literal")
    body, pos, found = text[1:-1], 0, {}
    while pos < len(body.rstrip()):
        match = _NPY_ENTRY.match(body, pos)
        if match is None or match.group(1) in found:
            raise ValueError("header is not descr/fortran_order/shape in numpy's format")
        found[match.group(1)] = match.group(2)
        pos = match.end()
    if set(found) != {"descr", "fortran_order", "shape"}:
        raise ValueError("header must hold exactly descr, fortran_order and shape")
    descr, fortran, shape = found["descr"], found["fortran_order"], found["shape"]
    if not descr.startswith("'") or fortran not in ("True", "False") or not shape.startswith("("):
        raise ValueError("header values have the wrong types")
    dims = tuple(int(d) for d in re.findall(r"\d+", shape))
    if shape.count(",") == 0 and dims:
        raise ValueError("a one-dimensional shape needs a trailing comma")
    return dims, fortran == "True", np.dtype(descr[1:-1])


def _npy_layout(data: bytes, name: str) -> tuple[tuple[int, ...], bool, np.dtype, int, int]:
    """(shape, fortran, dtype, count, offset) of ``.npy`` bytes, checked against their size.

    The header is parsed by our own strict grammar rather than numpy's, which tokenizes it as
    Python and lets hostile headers escape as tokenizer and syntax errors.
    """
    try:
        if data[:6] != _NPY_MAGIC or len(data) < 10:
            raise ValueError("missing the .npy magic string")
        version = (data[6], data[7])
        if version == (1, 0):
            size, offset = int.from_bytes(data[8:10], "little"), 10
        elif version in ((2, 0), (3, 0)):
            size, offset = int.from_bytes(data[8:12], "little"), 12
        else:
            raise ValueError(f"unsupported .npy version {version}")
        raw = data[offset : offset + size]
        if len(raw) != size:
            raise ValueError("the header is cut short")
        shape, fortran, dtype = _parse_npy_header(
            raw.decode("utf-8" if version == (3, 0) else "latin1")
        )
        if dtype.hasobject or dtype.kind not in _ALLOWED_KINDS:
            raise ValueError(f"dtype {dtype} is not allowed (no object arrays)")
        count = 1
        for dim in shape:
            count *= dim
        expected = count * dtype.itemsize
        offset += size
        if len(data) - offset != expected:
            raise ValueError(
                f"header declares shape {shape} ({expected} bytes) but {len(data) - offset} "
                "bytes follow"
            )
    except (ValueError, TypeError, OverflowError, MemoryError) as exc:
        raise ArtifactIntegrityError(f"member {name!r} is not a valid numpy array: {exc}") from None
    return shape, fortran, dtype, count, offset


def decode_array(data: bytes, name: str) -> np.ndarray:
    """Parse ``.npy`` bytes without pickle and without trusting the header's size.

    The header is read with numpy's safe literal parser; the declared shape and dtype must
    account for exactly the bytes present before any memory is allocated.
    """
    shape, fortran, dtype, count, offset = _npy_layout(data, name)
    flat = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
    return flat.reshape(shape, order="F" if fortran else "C").copy()


def encode_tensors(tensors: dict[str, np.ndarray], name: str) -> bytes:
    """safetensors bytes of a dict of numeric arrays."""
    from safetensors.numpy import save

    clean: dict[str, np.ndarray] = {}
    for key, arr in tensors.items():
        arr = np.ascontiguousarray(arr)
        if arr.dtype.kind not in "biuf":
            raise ArtifactError(f"tensor {key!r} in {name!r} has unsupported dtype {arr.dtype}")
        clean[key] = arr
    return bytes(save(clean))


_ST_DTYPES = {
    "BOOL": 1, "U8": 1, "I8": 1, "U16": 2, "I16": 2, "F16": 2, "U32": 4, "I32": 4, "F32": 4,
    "U64": 8, "I64": 8, "F64": 8,
}  # fmt: skip
MAX_TENSOR_HEADER = 16 * 1024 * 1024


def check_tensors_header(data: bytes, name: str) -> dict[str, Any]:
    """Validate a safetensors member's layout without decoding tensors.

    The 8-byte header length, the strict-JSON header, each tensor's dtype, shape and byte range
    must agree with each other and cover the buffer exactly (no gaps, no overlaps).
    """

    def bad(why: str) -> ArtifactIntegrityError:
        return ArtifactIntegrityError(f"member {name!r} is not a valid safetensors file: {why}")

    if len(data) < 8:
        raise bad("shorter than its 8-byte header length")
    size = int.from_bytes(data[:8], "little")
    if size > min(MAX_TENSOR_HEADER, len(data) - 8):
        raise bad(f"header length {size} exceeds the member")
    try:
        header = decode_json(data[8 : 8 + size], f"{name} header")
    except ArtifactIntegrityError as exc:
        raise bad(exc.bare_message) from None
    if not isinstance(header, dict):
        raise bad("header is not a JSON object")
    body = len(data) - 8 - size
    spans = []
    for key, spec in header.items():
        if key == "__metadata__":
            if not isinstance(spec, dict) or not all(isinstance(v, str) for v in spec.values()):
                raise bad("__metadata__ must map strings to strings")
            continue
        if not isinstance(spec, dict) or set(spec) != {"dtype", "shape", "data_offsets"}:
            raise bad(f"tensor {key!r} has a malformed entry")
        dtype, shape, offsets = spec["dtype"], spec["shape"], spec["data_offsets"]
        if dtype not in _ST_DTYPES:
            raise bad(f"tensor {key!r} has unsupported dtype {dtype!r}")
        if not isinstance(shape, list) or not all(
            isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
        ):
            raise bad(f"tensor {key!r} has an invalid shape")
        if (
            not isinstance(offsets, list)
            or len(offsets) != 2
            or not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)
        ):
            raise bad(f"tensor {key!r} has invalid data offsets")
        count = 1
        for d in shape:
            count *= d
        start, end = offsets
        if not 0 <= start <= end <= body or end - start != count * _ST_DTYPES[dtype]:
            raise bad(f"tensor {key!r}: shape {shape} {dtype} does not match offsets {offsets}")
        spans.append((start, end))
    spans.sort()
    pos = 0
    for start, end in spans:
        if start != pos:
            raise bad("tensor data has gaps or overlaps")
        pos = end
    if pos != body:
        raise bad("tensor data does not cover the member")
    return header


def decode_tensors(data: bytes, name: str) -> dict[str, np.ndarray]:
    """Parse safetensors bytes (layout checked first; the format cannot carry code)."""
    check_tensors_header(data, name)
    from safetensors.numpy import load

    try:
        return dict(load(data))
    except Exception as exc:  # safetensors raises its own SafetensorError / various
        raise ArtifactIntegrityError(
            f"member {name!r} is not a valid safetensors file: {exc}"
        ) from None


def check_array_header(data: bytes, name: str) -> None:
    """Validate a ``.npy`` member's header and size without building the array."""
    _npy_layout(data, name)


def decode_json(data: bytes, name: str, *, max_bytes: int = MAX_JSON_BYTES) -> Any:
    """Parse strict JSON: no NaN/Infinity, no duplicate keys, bounded size and depth.

    Hostile input (huge strings, deep nesting, millions of tiny values, ``1e999``, giant
    integers) raises :class:`ArtifactIntegrityError` quickly: :data:`MAX_JSON_COST` is checked
    on the bytes before parsing, the C parser stops deep nesting at the interpreter's recursion
    limit, then the value walk enforces :data:`MAX_JSON_DEPTH`.
    """
    if len(data) > max_bytes:
        raise ArtifactIntegrityError(
            f"JSON member {name!r} is {len(data)} bytes, over the {max_bytes}-byte limit"
        )
    problem = _over_budget(data, name)
    if problem:
        raise ArtifactIntegrityError(
            problem, fix="the file is corrupt or hostile; large state belongs in arrays"
        )

    def _no_constants(token: str) -> Any:
        raise ArtifactIntegrityError(f"member {name!r} holds the non-finite JSON value {token}")

    def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(pairs)
        if len(out) != len(pairs):
            seen: set[str] = set()
            dup = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
            raise ArtifactIntegrityError(f"JSON member {name!r} repeats the key {dup!r}")
        return out

    try:
        text = data.decode("utf-8")
        obj = json.loads(text, parse_constant=_no_constants, object_pairs_hook=_pairs)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        # ValueError covers JSONDecodeError and integers over the int-digits limit.
        raise ArtifactIntegrityError(f"member {name!r} is not valid JSON: {exc}") from None
    try:
        _check_json_value(obj, name)
    except ArtifactError as exc:
        raise ArtifactIntegrityError(exc.bare_message) from None
    return obj


class MemoryStore:
    """Member name -> bytes. The single source both writer and reader views work on."""

    def __init__(self, members: dict[str, bytes] | None = None) -> None:
        self.members: dict[str, bytes] = dict(members or {})

    def writer(self, prefix: str = "") -> MemoryWriter:
        """A writer rooted at ``prefix``."""
        return MemoryWriter(self, prefix)

    def reader(self, prefix: str = "") -> MemoryReader:
        """A reader rooted at ``prefix``."""
        return MemoryReader(self, prefix)


def _join(prefix: str, name: str) -> str:
    if not name or not all(valid_segment(p) for p in name.split("/")):
        raise ArtifactError(
            f"invalid member name {name!r}",
            fix="use letters, digits, '_', '-', '.' (or encode with "
            "synthohive.artifacts.member_segment(name))",
        )
    return f"{prefix}/{name}" if prefix else name


class MemoryWriter:
    """``ArtifactWriter`` over a :class:`MemoryStore`."""

    def __init__(self, store: MemoryStore, prefix: str = "") -> None:
        self.store = store
        self.prefix = prefix

    def _put(self, member: str, data: bytes) -> None:
        if member in self.store.members:
            raise ArtifactError(f"member {member!r} written twice")
        self.store.members[member] = data

    def write_json(self, name: str, obj: Any) -> None:
        member = _join(self.prefix, name) + ".json"
        self._put(member, encode_json(obj, member))

    def write_array(self, name: str, array: np.ndarray) -> None:
        member = _join(self.prefix, name) + ".npy"
        self._put(member, encode_array(array, member))

    def write_tensors(self, name: str, tensors: dict[str, np.ndarray]) -> None:
        member = _join(self.prefix, name) + ".safetensors"
        self._put(member, encode_tensors(tensors, member))

    def child(self, prefix: str) -> MemoryWriter:
        return MemoryWriter(self.store, _join(self.prefix, prefix))


class MemoryReader:
    """``ArtifactReader`` over a :class:`MemoryStore`."""

    def __init__(self, store: MemoryStore, prefix: str = "") -> None:
        self.store = store
        self.prefix = prefix

    def _get(self, member: str) -> bytes:
        try:
            return self.store.members[member]
        except KeyError:
            raise ArtifactIntegrityError(
                f"model file has no member {member!r}",
                fix="the file is incomplete or from another model; re-save it",
            ) from None

    def read_json(self, name: str) -> Any:
        member = _join(self.prefix, name) + ".json"
        return decode_json(self._get(member), member)

    def read_array(self, name: str) -> np.ndarray:
        member = _join(self.prefix, name) + ".npy"
        return decode_array(self._get(member), member)

    def read_tensors(self, name: str) -> dict[str, np.ndarray]:
        member = _join(self.prefix, name) + ".safetensors"
        return decode_tensors(self._get(member), member)

    def has(self, name: str) -> bool:
        base = _join(self.prefix, name)
        return any(base + ext in self.store.members for ext in (".json", ".npy", ".safetensors"))

    def child(self, prefix: str) -> MemoryReader:
        return MemoryReader(self.store, _join(self.prefix, prefix))


def check_member(name: str, data: bytes) -> None:
    """Validate a member's encoding by its kind (JSON fully; array/tensor headers and sizes)."""
    if name.endswith(".json"):
        decode_json(data, name)
    elif name.endswith(".npy"):
        check_array_header(data, name)
    elif name.endswith(".safetensors"):
        check_tensors_header(data, name)
    else:
        raise ArtifactIntegrityError(f"member {name!r} is not a known kind of member")
