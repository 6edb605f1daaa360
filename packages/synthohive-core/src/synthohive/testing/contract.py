"""``ModelContract``: the pytest suite every model plugin subclasses.

Usage in a plugin's ``tests/test_contract.py``::

    from synthohive.testing import ModelContract, Requirements

    class TestMyModelContract(ModelContract):
        model_class = MyModel
        params = {"epochs": 2}
        requirements = Requirements(supports_nulls=True)

Checks (test ids name them): fit/sample shapes and dtypes, row counts, seeded determinism,
``NotFittedError``/``DataError`` guards, context and conditions when declared, save → cold load
in a fresh process → identical samples, no pickle during save/load, the caller's frame is never
mutated, and the bad-input catalogue T-B1…T-B17 (:mod:`synthohive.testing.badinput`). Features a
model declares unsupported in ``requirements`` become explicit skips with the reason.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from synthohive.artifacts.memory import MemoryStore
from synthohive.errors import DataError, NotFittedError, UnknownConditionValueError
from synthohive.testing.badinput import BadInputChecks
from synthohive.testing.base import Requirements

__all__ = ["ModelContract", "Requirements"]
from synthohive.testing.coldload import canonical, dump_members, registered
from synthohive.testing.data import parent_child, six_dtype_frame, table_for


class ModelContract(BadInputChecks):
    """Subclass, set ``model_class`` (and optionally ``params``, ``requirements``)."""

    # --- fit / sample -------------------------------------------------------------------------
    def test_fit_returns_self(self) -> None:
        model = self.make_model()
        data = six_dtype_frame()
        assert model.fit(data, table=table_for(data), progress=False) is model

    def test_sample_shape_and_dtypes(self) -> None:
        data = six_dtype_frame()
        out = self.fit(data).sample(self.requirements.sample_size, seed=1)
        assert isinstance(out, pd.DataFrame)
        assert len(out) == self.requirements.sample_size
        self._check_dtypes(out, data)
        assert set(out["city"].dropna()) <= set(data["city"])
        assert set(out["band"].dropna()) <= set(data["band"])
        assert isinstance(out.index, pd.RangeIndex)

    @pytest.mark.parametrize("n", [1, 7, 333])
    def test_sample_row_count(self, n: int) -> None:
        out = self.fit(six_dtype_frame()).sample(n, seed=3)
        assert len(out) == n

    def test_seeded_determinism(self) -> None:
        if not self.requirements.deterministic:
            pytest.skip(f"{self.model_class.__name__} declares deterministic=False")
        a = self.fit(six_dtype_frame(), seed=5)
        b = self.fit(six_dtype_frame(), seed=5)
        n = self.requirements.sample_size
        pd.testing.assert_frame_equal(a.sample(n, seed=9), b.sample(n, seed=9))
        pd.testing.assert_frame_equal(a.sample(n, seed=9), a.sample(n, seed=9))
        assert not a.sample(n, seed=9).equals(a.sample(n, seed=10))

    def test_sample_before_fit_raises_not_fitted(self) -> None:
        with pytest.raises(NotFittedError, match="fit"):
            self.make_model().sample(10)

    def test_save_before_fit_raises_not_fitted(self) -> None:
        with pytest.raises(NotFittedError):
            self.make_model().save(MemoryStore().writer())

    @pytest.mark.parametrize("n", [0, -5])
    def test_sample_n_not_positive_raises(self, n: int) -> None:
        model = self.fit(six_dtype_frame())
        with pytest.raises(DataError, match="positive"):
            model.sample(n)

    # --- context ------------------------------------------------------------------------------
    def test_context_fit_and_sample(self) -> None:
        self._require("supports_context")
        child, ctx = parent_child(400)
        model = self.fit(child, context=ctx, context_table=table_for(ctx, "parent"))
        new_ctx = parent_child(200, seed=1)[1]
        out = model.sample(200, context=new_ctx, seed=2)
        assert len(out) == 200
        self._check_dtypes(out, child)

    def test_context_length_mismatch_raises(self) -> None:
        self._require("supports_context")
        child, ctx = parent_child(400)
        with pytest.raises(DataError, match="rows"):
            self.fit(child, context=ctx.iloc[:100], context_table=table_for(ctx, "parent"))
        model = self.fit(child, context=ctx, context_table=table_for(ctx, "parent"))
        with pytest.raises(DataError, match="rows"):
            model.sample(50, context=ctx.iloc[:10])
        with pytest.raises(DataError, match="context"):
            model.sample(50)

    def test_context_rejected_when_unsupported(self) -> None:
        if self._supports("supports_context"):
            pytest.skip(f"{self.model_class.__name__} supports context")
        child, ctx = parent_child(100)
        with pytest.raises(DataError, match="context"):
            self.fit(child, context=ctx, context_table=table_for(ctx, "parent"))

    # --- conditions ---------------------------------------------------------------------------
    def test_conditions_fix_categorical_value(self) -> None:
        self._require("supports_conditions")
        model = self.fit(six_dtype_frame())
        out = model.sample(100, conditions={"city": "rome"}, seed=4)
        assert len(out) == 100
        assert (out["city"] == "rome").all()

    def test_conditions_unknown_value_lists_valid_values(self) -> None:
        self._require("supports_conditions")
        model = self.fit(six_dtype_frame())
        with pytest.raises(UnknownConditionValueError, match="oslo") as info:
            model.sample(100, conditions={"city": "atlantis"})
        assert info.value.column == "city"
        with pytest.raises(UnknownConditionValueError):
            model.sample(100, conditions={"no_such_column": "x"})

    # --- persistence --------------------------------------------------------------------------
    def test_save_cold_load_fresh_process_identical(self, tmp_path: Path) -> None:
        data = six_dtype_frame()
        model = self.fit(data)
        n = self.requirements.sample_size
        expected = canonical(model.sample(n, seed=123))
        if registered(self.model_class.name, self.model_class):
            # a registered model goes through a real model file (zip, manifest, hashes)
            from synthohive.artifacts.modelfile import save_model_file

            source = tmp_path / "model.shm"
            save_model_file(source, model.save, models=[self.model_class.name])
        else:  # an unregistered model (e.g. a test double): its members as separate files
            store = MemoryStore()
            model.save(store.writer())
            source = tmp_path / "model"
            dump_members(store, source)
        out = tmp_path / "sample.json"
        path = self.import_path or f"{self.model_class.__module__}:{self.model_class.__qualname__}"
        env_path = [p for p in sys.path if p]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(env_path)}
        cmd = [sys.executable, "-m", "synthohive.testing.coldload"]
        args = [str(source), self.model_class.name, path, str(n), "123", str(out)]
        proc = subprocess.run(
            cmd + args,
            capture_output=True,
            text=True,
            env=env,
            timeout=self.requirements.cold_load_timeout,
            check=False,
        )
        assert proc.returncode == 0, f"cold load failed:\n{proc.stderr[-3000:]}"
        assert json.loads(out.read_text(encoding="utf-8")) == expected

    def test_save_load_never_pickles(self, monkeypatch: pytest.MonkeyPatch) -> None:
        model = self.fit(six_dtype_frame())
        expected = model.sample(50, seed=8)

        def refuse(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError("pickle was used while saving or loading a model")

        for attr in ("dump", "dumps", "load", "loads", "Pickler", "Unpickler"):
            monkeypatch.setattr(pickle, attr, refuse)
        store = MemoryStore()
        model.save(store.writer())
        loaded = type(model).load(store.reader())
        monkeypatch.undo()
        pd.testing.assert_frame_equal(loaded.sample(50, seed=8), expected)

    # --- caller's data ------------------------------------------------------------------------
    def test_b20_input_not_mutated(self) -> None:
        data = six_dtype_frame()
        data.index = pd.Index([f"r{i}" for i in range(len(data))][::-1])
        before = data.copy(deep=True)
        if self._supports("supports_context"):
            child, ctx = parent_child(200)
            child.index = ctx.index = pd.RangeIndex(1000, 1200)
            ctx_before, child_before = ctx.copy(deep=True), child.copy(deep=True)
            model = self.fit(child, context=ctx, context_table=table_for(ctx, "parent"))
            pd.testing.assert_frame_equal(ctx, ctx_before)
            pd.testing.assert_frame_equal(child, child_before)
            model.sample(len(ctx), context=ctx, seed=1)
            pd.testing.assert_frame_equal(ctx, ctx_before)
        self.fit(data)
        pd.testing.assert_frame_equal(data, before, check_exact=True)
        assert data.index.equals(before.index)

    @pytest.mark.parametrize("kind", ["strings", "duplicates", "multiindex"])
    def test_b20_non_default_index(self, kind: str) -> None:
        data = six_dtype_frame()
        n = len(data)
        if kind == "strings":
            data.index = pd.Index([f"id-{i}" for i in range(n)])
        elif kind == "duplicates":
            data.index = pd.Index(np.arange(n) % 7)
        else:
            data.index = pd.MultiIndex.from_arrays([np.arange(n) % 3, np.arange(n)])
        out = self.fit(data).sample(self.requirements.sample_size, seed=1)
        assert len(out) == self.requirements.sample_size
        self._check_dtypes(out, data)
