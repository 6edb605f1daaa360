"""Model files: round trip, manifest, signatures and trust anchors (T-A2, T-A3, T-A5, T-A6)."""

from __future__ import annotations

import hashlib
import importlib
import io
import json
import os
import pickle
import posix
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from synthohive._io import default_file_mode
from synthohive.artifacts import ArtifactWriter, MemoryStore, member_segment
from synthohive.artifacts.checks import (
    require_finite,
    require_probabilities,
    require_range,
    require_tensors,
    require_timezone,
)
from synthohive.artifacts.modelfile import ModelFile, read_model_file, save_model_file
from synthohive.errors import (
    ArtifactError,
    ArtifactIntegrityError,
    IncompatibleArtifactError,
    UnknownModelPluginError,
    UntrustedModelFileError,
)
from synthohive.hookspecs import hookimpl
from synthohive.models.base import GenerativeModel
from synthohive.plugins import load_plugins
from synthohive.registry import Registry, use_registry

MODEL = "tiny_artifact_model"
DIST = "synthohive-tiny-artifact"


class TinyModel(GenerativeModel):
    name = MODEL

    def _fit(self, *args: Any, **kwargs: Any) -> None: ...

    def _sample(self, *args: Any, **kwargs: Any) -> pd.DataFrame:
        return pd.DataFrame()

    def _save(self, *args: Any, **kwargs: Any) -> None: ...

    def _load(self, *args: Any, **kwargs: Any) -> None: ...


class ModelsPlugin:
    @hookimpl
    def register_models(self) -> list[type]:
        return [TinyModel]


@pytest.fixture
def registry() -> Iterator[Registry]:
    """A hermetic registry where only ``tiny_artifact_model`` (from DIST) is installed."""
    reg = Registry(load_plugins(builtins=False, entry_points=False, extra=[(ModelsPlugin(), DIST)]))
    with use_registry(reg):
        yield reg


WEIGHTS = np.arange(12, dtype=np.float32).reshape(4, 3) / 7


def write_state(writer: ArtifactWriter) -> None:
    """A fake model's state: JSON, arrays and a tensor member, nested prefixes."""
    writer.write_json("model", {"name": MODEL, "params": {"k": 3}, "columns": ["a", "b[1]", "é"]})
    state = writer.child("state")
    state.write_array("means", np.linspace(0.0, 1.0, 5))
    state.write_array("labels", np.array(["x", "yy", "zzz"]))
    state.write_tensors("weights", {"w": WEIGHTS, "b": np.zeros(3, dtype=np.float64)})
    state.child(member_segment("orders/2024")).write_json("counts", [1, 2, 3])


def check_state(mf: ModelFile) -> None:
    head = mf.reader.read_json("model")
    assert head == {"name": MODEL, "params": {"k": 3}, "columns": ["a", "b[1]", "é"]}
    state = mf.reader.child("state")
    np.testing.assert_array_equal(state.read_array("means"), np.linspace(0.0, 1.0, 5))
    labels = state.read_array("labels")
    assert labels.tolist() == ["x", "yy", "zzz"]
    tensors = state.read_tensors("weights")
    np.testing.assert_array_equal(tensors["w"], WEIGHTS)
    assert tensors["w"].dtype == np.float32
    assert state.child(member_segment("orders/2024")).read_json("counts") == [1, 2, 3]


def rebuild(
    source: Path,
    target: Path,
    *,
    members: dict[str, bytes] | None = None,
    manifest: dict[str, Any] | None = None,
    rehash: bool = False,
) -> None:
    """Write a zip like ``source`` with members replaced; optionally recompute the manifest."""
    with zipfile.ZipFile(source) as zf:
        current = {n: zf.read(n) for n in zf.namelist()}
    current.update(members or {})
    man = manifest if manifest is not None else json.loads(current["manifest.json"])
    if rehash:
        man["members"] = {
            n: {"sha256": hashlib.sha256(b).hexdigest(), "size": len(b)}
            for n, b in current.items()
            if n not in ("manifest.json", "signature.json")
        }
    current["manifest.json"] = json.dumps(man).encode()
    with zipfile.ZipFile(target, "w") as zf:
        for name, body in current.items():
            zf.writestr(name, body)


# --- round trip --------------------------------------------------------------------------------
def test_round_trip_manifest_lists_every_member(tmp_path: Path, registry: Registry) -> None:
    path = tmp_path / "model.shm"
    digest = save_model_file(path, write_state, models=[MODEL], extra={"tables": ["t"]})
    raw = path.read_bytes()
    assert digest == hashlib.sha256(raw).hexdigest()
    assert path.stat().st_mode & 0o777 == default_file_mode()  # not mkstemp's 0o600

    mf = read_model_file(path, expected_sha256=digest)
    assert mf.sha256 == digest
    check_state(mf)
    man = mf.manifest
    assert man["format_version"] == "1.0"
    assert man["python_version"].startswith(f"{sys.version_info.major}.{sys.version_info.minor}")
    assert man["synthohive_version"]
    assert man["created_at"].endswith("+00:00")
    assert man["extra"] == {"tables": ["t"]}
    assert man["models"] == [{"name": MODEL, "distribution": DIST, "version": None}]
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist()) - {"manifest.json"}
        assert names == set(man["members"])
        for name in names:
            body = zf.read(name)
            assert man["members"][name] == {
                "sha256": hashlib.sha256(body).hexdigest(),
                "size": len(body),
            }
    # the same bytes load from memory too
    assert read_model_file(raw).manifest == man


def test_member_segment_encodes_hostile_table_names() -> None:
    store = MemoryStore()
    names = ["../etc", "a/b", ".hidden", "名前", "x y", "", "a\nb"]
    for i, name in enumerate(names):
        store.writer().child(member_segment(name)).write_json("v", i)
    assert len(store.members) == len(names)
    for i, name in enumerate(names):
        assert store.reader().child(member_segment(name)).read_json("v") == i


def test_failed_write_fn_leaves_nothing(tmp_path: Path) -> None:
    def boom(writer: ArtifactWriter) -> None:
        writer.write_json("model", {"a": 1})
        raise RuntimeError("training state broken")

    with pytest.raises(RuntimeError, match="training state broken"):
        save_model_file(tmp_path / "m.shm", boom)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        (lambda w: w.write_json("manifest", {}), "reserved"),
        (lambda w: w.write_json("../x", {}), "invalid member name"),
        (lambda w: w.write_json("v", {"x": float("nan")}), "non-finite"),
        (lambda w: w.write_array("v", np.array([{"a": 1}], dtype=object)), "object arrays"),
    ],
)
def test_save_refuses_unsafe_members(tmp_path: Path, bad: Any, match: str) -> None:
    with pytest.raises(ArtifactError, match=match):
        save_model_file(tmp_path / "m.shm", bad)
    assert not (tmp_path / "m.shm").exists()


def test_save_to_unwritable_path_names_it(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ArtifactError, match="cannot write the model file") as info:
        save_model_file(blocker / "sub" / "m.shm", write_state)
    assert str(blocker / "sub" / "m.shm") in str(info.value)
    assert "Fix:" in str(info.value)


def test_missing_file_is_typed(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="no model file at"):
        read_model_file(tmp_path / "nope.shm")


# --- T-A2: pickle payloads are refused and never run ----------------------------------------------
def _pickle_payload(sentinel: Path) -> bytes:
    """Protocol-2 pickle bytes whose loading would call os.system('touch SENTINEL')."""
    cmd = f"touch {sentinel}".encode()
    return (
        b"\x80\x02cposix\nsystem\nq\x00X"
        + len(cmd).to_bytes(4, "little")
        + cmd
        + b"q\x01\x85q\x02Rq\x03."
    )


def _torch_save_bytes(payload: bytes) -> bytes:
    """What ``torch.save`` writes: a zip holding ``archive/data.pkl``."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", payload)
        zf.writestr("archive/version", b"3\n")
    return buf.getvalue()


@pytest.fixture
def no_exec(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: Any, **kwargs: Any) -> Any:
        pytest.fail(f"code execution attempted: {args!r}")

    monkeypatch.setattr(os, "system", fail)
    monkeypatch.setattr(posix, "system", fail)
    monkeypatch.setattr(subprocess, "Popen", fail)
    monkeypatch.setattr(pickle, "loads", fail)
    monkeypatch.setattr(pickle, "load", fail)
    monkeypatch.setattr(pickle, "Unpickler", fail)


def test_payload_is_really_a_pickle_payload(tmp_path: Path) -> None:
    """Guard: the crafted bytes would run the command if unpickled (proves the test can fail)."""
    sentinel = tmp_path / "proof"
    pickle.loads(_pickle_payload(sentinel))
    assert sentinel.exists()


@pytest.mark.parametrize("where", ["weights", "manifest", "json_member", "npy_member"])
def test_pickle_payload_refused(
    tmp_path: Path, registry: Registry, no_exec: None, where: str
) -> None:
    sentinel = tmp_path / "pwned"
    payload = _pickle_payload(sentinel)
    good = tmp_path / "good.shm"
    save_model_file(good, write_state, models=[MODEL])
    bad = tmp_path / "bad.shm"
    if where == "weights":
        rebuild(
            good,
            bad,
            members={"state/weights.safetensors": _torch_save_bytes(payload)},
            rehash=True,
        )
        match = "'state/weights.safetensors' is not a valid safetensors file"
    elif where == "json_member":
        rebuild(good, bad, members={"model.json": payload}, rehash=True)
        match = "'model.json' is not valid JSON"
    elif where == "npy_member":
        rebuild(good, bad, members={"state/means.npy": payload}, rehash=True)
        match = "'state/means.npy' is not a valid numpy array"
    else:
        with zipfile.ZipFile(good) as zf, zipfile.ZipFile(bad, "w") as out:
            for name in zf.namelist():
                out.writestr(name, payload if name == "manifest.json" else zf.read(name))
        match = "'manifest.json' is not valid JSON"
    with pytest.raises(ArtifactIntegrityError, match=match):
        read_model_file(bad)
    assert not sentinel.exists()


# --- T-A3: no unpickling and no imports of foreign names during load ------------------------------
def test_load_never_unpickles_or_imports(
    tmp_path: Path, registry: Registry, monkeypatch: pytest.MonkeyPatch, no_exec: None
) -> None:
    path = tmp_path / "model.shm"
    digest = save_model_file(path, write_state, models=[MODEL], signing_key=b"k")
    import safetensors.numpy  # noqa: F401 - imported before the guard below

    real_import = importlib.import_module
    real_np_load = np.load
    imported: list[str] = []

    def guarded_import(name: str, package: str | None = None) -> Any:
        imported.append(name)
        if name not in sys.modules:
            pytest.fail(f"load imported a module that was not already installed+loaded: {name}")
        return real_import(name, package)

    def guarded_np_load(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("allow_pickle", False):
            pytest.fail("numpy.load called with allow_pickle=True")
        return real_np_load(*args, **kwargs)

    monkeypatch.setattr(importlib, "import_module", guarded_import)
    monkeypatch.setattr(np, "load", guarded_np_load)
    mf = read_model_file(path, expected_sha256=digest, signing_key=b"k")
    check_state(mf)
    assert mf.signed


def test_builtin_copula_round_trip_without_pickle_or_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_exec: None
) -> None:
    """The built-in model through a real model file, loaded under the T-A3 guards."""
    from synthohive.metadata.schema import Column, Table
    from synthohive.registry import get_registry

    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "x": rng.normal(size=200),
            "c": pd.array(rng.choice(["a", "b", "c"], 200), dtype="str"),
            "n": rng.integers(0, 9, 200),
        }
    )
    table = Table(
        name="t",
        columns={
            "x": Column(sdtype="numerical", dtype="float64"),
            "c": Column(sdtype="categorical", dtype="str"),
            "n": Column(sdtype="numerical", dtype="int64", integer=True),
        },
    )
    cls = get_registry().get_model("gaussian_copula")
    model = cls().fit(df, table=table)
    expected = model.sample(30, seed=3)
    path = tmp_path / "copula.shm"
    digest = save_model_file(path, model.save, models=["gaussian_copula"])

    real_import = importlib.import_module

    def guarded_import(name: str, package: str | None = None) -> Any:
        if name not in sys.modules:
            pytest.fail(f"load imported {name}")
        return real_import(name, package)

    monkeypatch.setattr(importlib, "import_module", guarded_import)
    mf = read_model_file(path, expected_sha256=digest)
    assert mf.manifest["models"][0]["name"] == "gaussian_copula"
    assert mf.manifest["models"][0]["distribution"] == "synthohive-core"
    loaded = cls.load(mf.reader)
    pd.testing.assert_frame_equal(loaded.sample(30, seed=3), expected)


# --- T-A5: trust anchors --------------------------------------------------------------------------
def test_rehashed_tamper_needs_an_outside_anchor(tmp_path: Path, registry: Registry) -> None:
    good = tmp_path / "good.shm"
    original = save_model_file(good, write_state, models=[MODEL])
    with zipfile.ZipFile(good) as zf:
        body = bytearray(zf.read("state/weights.safetensors"))
    body[-1] ^= 0x01  # change one weight
    bad = tmp_path / "bad.shm"
    rebuild(good, bad, members={"state/weights.safetensors": bytes(body)}, rehash=True)

    # Documented limitation: a hash inside the file only detects corruption.
    mf = read_model_file(bad)
    assert not np.array_equal(mf.reader.child("state").read_tensors("weights")["w"], WEIGHTS)
    with pytest.raises(UntrustedModelFileError, match=f"not the expected {original}"):
        read_model_file(bad, expected_sha256=original)
    # the digest as `sha256sum` prints it, upper case, prefixed
    read_model_file(good, expected_sha256=f"sha256:{original.upper()}")


def test_hmac_signature(
    tmp_path: Path, registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "correct horse battery staple"
    path = tmp_path / "signed.shm"
    save_model_file(path, write_state, models=[MODEL], signing_key=key)
    assert key.encode() not in path.read_bytes()
    assert read_model_file(path, signing_key=key).signed

    with pytest.raises(UntrustedModelFileError, match="signature does not match") as info:
        read_model_file(path, signing_key="wrong key")
    assert key not in str(info.value) and "wrong key" not in str(info.value)

    # key from the environment, for saving and loading
    monkeypatch.setenv("SYNTHOHIVE_SIGNING_KEY", "env-key")
    env_path = tmp_path / "env.shm"
    save_model_file(env_path, write_state, models=[MODEL])
    assert read_model_file(env_path).signed
    with pytest.raises(UntrustedModelFileError):
        read_model_file(path)  # signed with another key
    monkeypatch.delenv("SYNTHOHIVE_SIGNING_KEY")

    # an unsigned file when a key is expected
    plain = tmp_path / "plain.shm"
    save_model_file(plain, write_state, models=[MODEL])
    with pytest.raises(UntrustedModelFileError, match="not signed"):
        read_model_file(plain, signing_key=key)

    # the manifest edited and re-hashed, signature kept: detected by the key
    forged = tmp_path / "forged.shm"
    with zipfile.ZipFile(path) as zf:
        man = json.loads(zf.read("manifest.json"))
    man["extra"] = {"note": "edited"}
    rebuild(path, forged, manifest=man)
    read_model_file(forged)  # fine without a key
    with pytest.raises(UntrustedModelFileError):
        read_model_file(forged, signing_key=key)


# --- T-A6: incompatibility ------------------------------------------------------------------------
def test_future_format_version(tmp_path: Path, registry: Registry) -> None:
    good = tmp_path / "good.shm"
    save_model_file(good, write_state, models=[MODEL])
    with zipfile.ZipFile(good) as zf:
        man = json.loads(zf.read("manifest.json"))
    man["format_version"] = "9.0"
    man["new_field_of_format_9"] = True
    bad = tmp_path / "v9.shm"
    rebuild(good, bad, manifest=man)
    with pytest.raises(IncompatibleArtifactError, match=r"'9\.0' is not supported.*1\.x"):
        read_model_file(bad)


def test_missing_model_plugin_gives_pip_hint(tmp_path: Path, registry: Registry) -> None:
    path = tmp_path / "m.shm"
    save_model_file(path, write_state, models=[MODEL])
    empty = Registry(load_plugins(builtins=False, entry_points=False))
    with use_registry(empty), pytest.raises(UnknownModelPluginError) as info:
        read_model_file(path)
    assert f"model plugin {MODEL!r}" in str(info.value)
    assert f"pip install {DIST}" in str(info.value)


def test_first_party_plugin_hint_and_version_pin(tmp_path: Path, registry: Registry) -> None:
    good = tmp_path / "good.shm"
    save_model_file(good, write_state, models=[MODEL])
    with zipfile.ZipFile(good) as zf:
        man = json.loads(zf.read("manifest.json"))
    man["models"] = [{"name": "ctgan", "distribution": "synthohive-ctgan", "version": "0.1.0"}]
    bad = tmp_path / "ctgan.shm"
    rebuild(good, bad, manifest=man)
    with pytest.raises(UnknownModelPluginError, match=r"pip install synthohive-ctgan==0\.1\.0"):
        read_model_file(bad)


def test_manifest_never_names_code_to_import(tmp_path: Path, registry: Registry) -> None:
    good = tmp_path / "good.shm"
    save_model_file(good, write_state, models=[MODEL])
    with zipfile.ZipFile(good) as zf:
        man = json.loads(zf.read("manifest.json"))
    man["models"] = [{"name": "os.system", "distribution": None, "version": None}]
    bad = tmp_path / "dotted.shm"
    rebuild(good, bad, manifest=man)
    with pytest.raises(UnknownModelPluginError, match=r"'os\.system'"):
        read_model_file(bad)


# --- model-side checks on loaded state (T-A6 tensor shapes, T-A7 values out of range) -------------
def test_require_tensors_names_the_tensor() -> None:
    tensors: dict[str, np.ndarray] = {"w": np.zeros((4, 3), np.float32), "b": np.zeros(3)}
    spec: dict[str, tuple[tuple[int, ...], Any]] = {
        "w": ((4, 3), np.float32),
        "b": ((3,), np.float64),
    }
    require_tensors(tensors, spec, member="state/weights.safetensors")
    with pytest.raises(IncompatibleArtifactError, match=r"tensor 'w'.*\(5, 3\) float32"):
        require_tensors({**tensors, "w": np.zeros((5, 3), np.float32)}, spec, member="m")
    with pytest.raises(IncompatibleArtifactError, match=r"unexpected tensors \['x'\]"):
        require_tensors({**tensors, "x": np.zeros(1)}, spec, member="m")
    with pytest.raises(IncompatibleArtifactError, match=r"missing tensors \['b'\]"):
        require_tensors({"w": tensors["w"]}, spec, member="m")


def test_value_checks() -> None:
    std = np.array([1.0, 0.5])
    require_range(std, member="s.npy", what="std", low=0.0, low_inclusive=False)
    with pytest.raises(ArtifactIntegrityError, match=r"std in 's.npy' must be > 0.0; found -1"):
        require_range(
            np.array([1.0, -1.0]), member="s.npy", what="std", low=0.0, low_inclusive=False
        )
    with pytest.raises(ArtifactIntegrityError, match="1 non-finite"):
        require_finite(np.array([1.0, np.inf]), member="s.npy")
    require_probabilities(np.array([[0.25, 0.75], [1.0, 0.0]]), member="p.npy")
    with pytest.raises(ArtifactIntegrityError, match="must sum to 1; they sum to 3"):
        require_probabilities(np.array([1.0, 1.0, 1.0]), member="p.npy")
    require_timezone("Europe/Berlin", member="m.json")
    for tz in ("Mars/Base", "../../etc/passwd", ""):
        with pytest.raises(ArtifactIntegrityError, match="not a known IANA timezone"):
            require_timezone(tz, member="m.json")
