"""Model-file safety: atomic save under SIGKILL (T-A9), fuzzing the loader (T-A10), and a lint
that keeps pickle/eval/unsafe loaders out of every package's source (T-A11)."""

from __future__ import annotations

import ast
import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synthohive.artifacts import ArtifactWriter
from synthohive.artifacts.modelfile import read_model_file, save_model_file
from synthohive.errors import ArtifactError

REPO = Path(__file__).resolve().parents[3]


def write_small(writer: ArtifactWriter) -> None:
    writer.write_json("model", {"name": "tiny", "levels": ["a", "b"], "k": 2})
    writer.child("state").write_array("means", np.arange(6, dtype=np.float64))
    writer.child("state").write_tensors("weights", {"w": np.ones((3, 2), dtype=np.float32)})


# --- T-A9: SIGKILL during save leaves the target absent or the previous valid file --------------
SAVER = textwrap.dedent(
    """
    import sys
    import numpy as np
    from synthohive.artifacts.modelfile import save_model_file

    def write_big(writer):
        for i in range(48):
            writer.write_array(f"a{i}", np.full(1_000_000, i, dtype=np.float64))

    save_model_file(sys.argv[1], write_big)
    """
)


def _kill_mid_save(tmp_path: Path, target: Path) -> bool:
    """Start a ~380 MB save in a subprocess and SIGKILL it while the temp file grows.

    Returns True when the kill landed before the save finished (the case under test).
    """
    script = tmp_path / "saver.py"
    script.write_text(SAVER)
    proc = subprocess.Popen([sys.executable, str(script), str(target)])
    killed_mid_write = False
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            sizes = []
            for temp in target.parent.glob(f".{target.name}.*.tmp"):
                with contextlib.suppress(FileNotFoundError):
                    sizes.append(temp.stat().st_size)
            if any(size > 32 * 1024**2 for size in sizes):
                proc.send_signal(signal.SIGKILL)
                killed_mid_write = True
                break
            time.sleep(0.001)
    finally:
        if proc.poll() is None and not killed_mid_write:
            proc.kill()
        proc.wait()
    return killed_mid_write and proc.returncode == -signal.SIGKILL


@pytest.mark.slow
@pytest.mark.parametrize("previous", [False, True])
def test_sigkill_during_save(tmp_path: Path, previous: bool) -> None:
    target = tmp_path / "model.shm"
    old_digest = save_model_file(target, write_small) if previous else None
    old_bytes = target.read_bytes() if previous else None
    for _ in range(3):
        if _kill_mid_save(tmp_path, target):
            break
        # the save finished before we could kill it: restore the starting state and retry
        target.unlink(missing_ok=True)
        if previous:
            assert old_bytes is not None
            target.write_bytes(old_bytes)
    else:
        pytest.fail("could not kill the saver while it was writing")
    if previous:
        assert target.read_bytes() == old_bytes
        assert read_model_file(target, expected_sha256=old_digest).sha256 == old_digest
    else:
        assert not target.exists()
    # whatever was left behind is a hidden temp file, never the target name
    leftovers = [p.name for p in tmp_path.iterdir() if p.name not in ("saver.py", "model.shm")]
    assert all(name.startswith(".model.shm.") and name.endswith(".tmp") for name in leftovers)


# --- T-A10: fuzzing the loader: only ArtifactError escapes --------------------------------------
@pytest.fixture(scope="module")
def seed_file(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("seed") / "seed.shm"
    save_model_file(path, write_small)
    return path.read_bytes()


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_fuzz_mutated_files(seed_file: bytes, data: st.DataObject) -> None:
    raw = bytearray(seed_file)
    kind = data.draw(st.sampled_from(["flip", "splice", "truncate", "insert", "random"]))
    if kind == "flip":
        for pos in data.draw(st.lists(st.integers(0, len(raw) - 1), min_size=1, max_size=8)):
            raw[pos] = data.draw(st.integers(0, 255))
    elif kind == "splice":
        start = data.draw(st.integers(0, len(raw) - 1))
        raw[start : start + 8] = data.draw(st.binary(min_size=0, max_size=16))
    elif kind == "truncate":
        raw = raw[: data.draw(st.integers(0, len(raw)))]
    elif kind == "insert":
        pos = data.draw(st.integers(0, len(raw)))
        raw[pos:pos] = data.draw(st.binary(min_size=1, max_size=64))
    else:
        raw = bytearray(data.draw(st.binary(max_size=4096)))
    with contextlib.suppress(ArtifactError):
        load_all_members(bytes(raw))


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    members=st.dictionaries(
        st.sampled_from(["manifest.json", "model.json", "state/means.npy", "../x.json", "a/"]),
        st.binary(max_size=512)
        | st.recursive(
            st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=8),
            lambda inner: (
                st.lists(inner, max_size=4)
                | st.dictionaries(st.text(max_size=8), inner, max_size=4)
            ),
            max_leaves=20,
        ).map(lambda v: repr(v).encode()),
        max_size=4,
    )
)
def test_fuzz_structured_zips(members: dict[str, bytes]) -> None:
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, body in members.items():
            zf.writestr(name, body)
    with contextlib.suppress(ArtifactError):
        read_model_file(buf.getvalue())


def rehashed_file(name: str, body: bytes) -> bytes:
    """A well-formed container whose member ``name`` is ``body`` with a correct manifest, so
    fuzzed bytes reach the member decoders (or, for ``manifest.json``, the schema)."""
    import hashlib
    import io
    import json

    members = {} if name == "manifest.json" else {name: body}
    manifest = (
        body
        if name == "manifest.json"
        else json.dumps(
            {
                "format": "synthohive-model",
                "format_version": "1.0",
                "created_at": "2026-01-01T00:00:00+00:00",
                "synthohive_version": "0.1.0",
                "python_version": "3.11.7",
                "models": [],
                "members": {
                    n: {"sha256": hashlib.sha256(b).hexdigest(), "size": len(b)}
                    for n, b in members.items()
                },
                "extra": {},
            }
        ).encode()
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("manifest.json", manifest)
        for n, b in members.items():
            zf.writestr(n, b)
    return buf.getvalue()


def _npy(header: str, body: bytes = b"", version: int = 1) -> bytes:
    raw = header.encode("latin1")
    size = len(raw).to_bytes(2 if version == 1 else 4, "little")
    return b"\x93NUMPY" + bytes([version, 0]) + size + raw + body


# Headers the fuzzer found or that numpy's own parser (a Python tokenizer) chokes on.
HOSTILE_NPY = [
    _npy("{'descr': '<f8', 'fortran_order': False, 'shape': (3,"),  # TokenError in numpy
    _npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }\n(", b"\0" * 8),
    _npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1), }", b"\0" * 8),
    _npy("{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", b"\0" * 8),
    _npy("{'descr': 'O', 'fortran_order': False, 'shape': (1,), }", b"\0" * 8),
    _npy("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }", b"\0" * 8),
    _npy("{'descr': '<f8', 'fortran_order': __import__('os'), 'shape': (1,), }", b"\0" * 8),
    _npy("{'descr': '<U99999999999', 'fortran_order': False, 'shape': (1,), }"),
    _npy("{'descr': '<f8', 'fortran_order': False, 'shape': (9999999999999,), }", b"\0" * 8),
    _npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", b"\0" * 8, version=2),
    _npy("{'descr': '<f8'", version=9),
    b"\x93NUMPY\x01\x00\xff\xff{",
]


@pytest.mark.parametrize("data", HOSTILE_NPY, ids=range(len(HOSTILE_NPY)))
def test_hostile_npy_headers_raise_integrity_errors(data: bytes) -> None:
    from synthohive.artifacts.memory import decode_array

    with pytest.raises(ArtifactError, match="not a valid numpy array"):
        decode_array(data, "state/x.npy")


@pytest.mark.parametrize(
    "array",
    [
        np.arange(5.0),
        np.zeros((3, 4), dtype="i4"),
        np.array(3.5),
        np.array(["ab", "c"]),
        np.array(["2020-01-01"], dtype="M8[ns]"),
        np.asfortranarray(np.ones((2, 3))),
        np.zeros((0, 3)),
    ],
)
@pytest.mark.parametrize("version", [(1, 0), (2, 0), (3, 0)])
def test_npy_headers_numpy_writes_still_load(array: np.ndarray, version: tuple[int, int]) -> None:
    import io

    from synthohive.artifacts.memory import decode_array

    buf = io.BytesIO()
    np.lib.format.write_array(buf, array, version=version)
    back = decode_array(buf.getvalue(), "state/x.npy")
    assert back.dtype == array.dtype and back.shape == array.shape
    assert np.array_equal(back, array)


FUZZ_MEMBERS = ["model.json", "state/means.npy", "state/weights.safetensors", "manifest.json"]


def load_all_members(data: bytes) -> None:
    """Load ``data`` and decode every member it has (the fuzz target)."""
    mf = read_model_file(data)
    for name in mf.members:
        stem, kind = name.rsplit(".", 1)
        if kind == "json":
            mf.reader.read_json(stem)
        elif kind == "npy":
            mf.reader.read_array(stem)
        else:
            mf.reader.read_tensors(stem)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(member=st.sampled_from(FUZZ_MEMBERS), body=st.binary(max_size=2048))
def test_fuzz_member_decoders(member: str, body: bytes) -> None:
    with contextlib.suppress(ArtifactError):
        load_all_members(rehashed_file(member, body))


ATHERIS_HARNESS = textwrap.dedent(
    """
    import sys
    import zipfile

    import atheris
    import numpy
    import pydantic
    import safetensors.numpy
    import structlog

    sys.path.insert(0, sys.argv.pop(1))
    with atheris.instrument_imports(include=["synthohive"]):
        from synthohive.errors import ArtifactError
        from test_modelfile_safety import FUZZ_MEMBERS, load_all_members, rehashed_file

    def one_input(data: bytes) -> None:
        if not data:
            return
        mode, body = data[0] % 5, data[1:]
        blob = body if mode == 4 else rehashed_file(FUZZ_MEMBERS[mode], body)
        try:
            load_all_members(blob)
        except ArtifactError:
            pass

    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
    """
)


@pytest.mark.slow
def test_atheris_fuzz_loader(tmp_path: Path, seed_file: bytes) -> None:
    pytest.importorskip("atheris")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "seed.shm").write_bytes(b"\x04" + seed_file)
    harness = tmp_path / "fuzz_loader.py"
    harness.write_text(ATHERIS_HARNESS)
    (corpus / "json").write_bytes(b"\x00" + b'{"a": [1, 2.5, "x", null]}')
    proc = subprocess.run(
        [
            sys.executable,
            str(harness),
            str(Path(__file__).parent),
            "-max_total_time=6",
            "-seed=20261205",
            "-rss_limit_mb=2048",
            "-max_len=8192",
            f"-artifact_prefix={tmp_path}/",
            str(corpus),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "SYNTHOHIVE_PLUGINS": ""},
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "Done" in proc.stderr, proc.stderr[-2000:]


# --- T-A11: lint: no pickle, eval/exec or unsafe loaders in any package's source ----------------
BANNED_MODULES = {"pickle", "cPickle", "_pickle", "cloudpickle", "dill", "shelve", "marshal"}


def _call_name(node: ast.Call) -> str:
    parts = []
    func = node.func
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    # a chain on a call result (``net.to(d).eval()``) is a method, never the builtin
    parts.append(func.id if isinstance(func, ast.Name) else "<expr>")
    return ".".join(reversed(parts))


def _kwarg_is(node: ast.Call, name: str, value: object) -> bool:
    return any(
        kw.arg == name and isinstance(kw.value, ast.Constant) and kw.value.value is value
        for kw in node.keywords
    )


def lint_source(source: str, filename: str = "<src>") -> list[str]:
    """Findings (``file:line: why``) of unsafe deserialisation or code execution."""
    tree = ast.parse(source, filename=filename)
    found: list[str] = []

    def hit(node: ast.AST, why: str) -> None:
        found.append(f"{filename}:{getattr(node, 'lineno', 0)}: {why}")

    attribute_bases = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in BANNED_MODULES:
                    hit(node, f"imports {alias.name}")
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if module.split(".")[0] in BANNED_MODULES:
                hit(node, f"imports from {module}")
            if module == "joblib" and any(a.name == "load" for a in node.names):
                hit(node, "imports joblib.load")
        elif isinstance(node, ast.Name) and "pickle" in node.id.lower():
            if id(node) not in attribute_bases:
                hit(node, f"uses {node.id}")
        elif isinstance(node, ast.Attribute) and (
            "pickle" in node.attr.lower()
            or (isinstance(node.value, ast.Name) and "pickle" in node.value.id.lower())
        ):
            hit(node, f"uses {ast.unparse(node)}")
        elif isinstance(node, ast.Call):
            name = _call_name(node)
            if name in ("eval", "exec", "compile", "builtins.eval", "builtins.exec"):
                hit(node, f"calls {name}()")
            elif name.endswith("joblib.load"):
                hit(node, "calls joblib.load()")
            elif name.endswith("torch.load") and not _kwarg_is(node, "weights_only", True):
                hit(node, "calls torch.load() without weights_only=True")
            elif (name in ("np.load", "numpy.load") or name.endswith(".np.load")) and not (
                _kwarg_is(node, "allow_pickle", False)
            ):
                hit(node, f"calls {name}() without allow_pickle=False")
            elif name.rsplit(".", 1)[-1] == "import_module" and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and str(arg.value).split(".")[0] in BANNED_MODULES:
                    hit(node, f"imports {arg.value!r} dynamically")
    return found


@pytest.mark.parametrize(
    "snippet",
    [
        "import pickle",
        "import cloudpickle as cp",
        "from pickle import loads",
        "from joblib import load",
        "import joblib\njoblib.load('m')",
        "x = df.to_pickle('p')",
        "eval('1+1')",
        "exec(code)",
        "torch.load(path)",
        "torch.load(path, weights_only=False)",
        "np.load(path)",
        "numpy.load(path, allow_pickle=True)",
        "importlib.import_module('pickle')",
        "pd.read_pickle(path)",
        "import pickle as p\np.loads(b)",
        "monkeypatch.setattr(pickle, 'loads', f)",
        "pickle.loads(b)",
    ],
)
def test_lint_catches(snippet: str) -> None:
    assert lint_source(snippet), snippet


@pytest.mark.parametrize(
    "snippet",
    [
        "np.load(buf, allow_pickle=False)",
        "torch.load(buf, weights_only=True, map_location='cpu')",
        "'''never pickle'''",
        "# eval( in a comment\nx = 1",
        "model.evaluate(x)",
        "net.to(device).eval()",
        "encoder.eval()",
        "np.save(buf, a, allow_pickle=False)",
    ],
)
def test_lint_allows(snippet: str) -> None:
    assert lint_source(snippet) == []


# Reviewed exceptions, by file and finding (no line numbers, so they cannot drift onto new code):
# the conformance kit imports ``pickle`` only to monkeypatch its functions to raise, proving
# that a plugin's save/load never unpickles; any call such as ``pickle.loads`` is still flagged.
ALLOWED = {
    "packages/synthohive-core/src/synthohive/testing/contract.py": {
        "imports pickle",
        "uses pickle",
    },
}


def test_no_unsafe_code_in_package_sources() -> None:
    files = sorted(REPO.glob("packages/*/src/**/*.py"))
    assert len(files) > 10, "package sources not found"
    findings: list[str] = []
    for path in files:
        rel = path.relative_to(REPO).as_posix()
        allowed = ALLOWED.get(rel, set())
        for finding in lint_source(path.read_text(encoding="utf-8"), rel):
            if finding.split(": ", 1)[1] not in allowed:
                findings.append(finding)
    assert findings == [], "\n".join(findings)
