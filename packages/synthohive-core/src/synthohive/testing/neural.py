"""``NeuralModelChecks``: the behaviour tests every torch model (``NeuralModel``) shares.

Usage in a plugin's ``tests/test_<model>.py``::

    from synthohive.testing.neural import NeuralModelChecks

    class TestMyNet(NeuralModelChecks):
        model_class = MyNetModel
        params = {"epochs": 2, "batch_size": 100, "hidden": (32, 32)}  # a tiny network
        resized_params = {"hidden": [64, 32]}
        resized_tensor = r"net\\.0\\.weight"
        diverging_params = {"lr": 1e30}
        modules = ("my_net.model", "my_net.plugin")

and in its ``tests/conftest.py`` ``from synthohive.testing.neural import one_thread as
one_thread`` (tiny networks run fastest on one thread). The checks: columns, dtypes and
categories kept, best-epoch selection, same seed -> same model file and rows, save/load and
a refused architecture change, conditions, divergence and device errors, a torch-free model
module, a constant table. ``check_follows_parent`` and ``check_condition_moves_value``
serve the model's own longer training tests, ``check_nan_reported`` its divergence test.
Torch is reached only through :mod:`synthohive.nn` when a check runs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest

from synthohive.artifacts.memory import MemoryStore
from synthohive.errors import (
    DeviceError,
    IncompatibleArtifactError,
    TrainingDivergedError,
    UnknownConditionValueError,
)
from synthohive.metadata.schema import Column, Table
from synthohive.models.base import GenerativeModel
from synthohive.testing.data import mixed_table, segment_child

__all__ = ["NeuralModelChecks", "one_thread"]


@pytest.fixture(autouse=True, scope="session")
def one_thread() -> Iterator[None]:
    """Run torch on one thread for the session (import it into a ``conftest.py``)."""
    from synthohive.nn.device import torch_threads

    with torch_threads(1):
        yield


class NeuralModelChecks:
    """Subclass, set ``model_class``, ``params`` (a tiny network) and the class attributes
    below naming the model's own parameters, tensors and modules."""

    model_class: ClassVar[type[GenerativeModel]]
    params: ClassVar[dict[str, Any]]
    resized_params: ClassVar[dict[str, Any]]
    """Parameters whose architecture the saved weights do not fit."""
    resized_tensor: ClassVar[str]
    """Regex of the first tensor a load with ``resized_params`` refuses."""
    diverging_params: ClassVar[dict[str, Any]]
    """Parameters (learning rates) that make training diverge within 5 epochs."""
    modules: ClassVar[tuple[str, ...]]
    """Modules that must import without importing torch (the model and its plugin module)."""

    # --- helpers (usable from subclasses' own tests) ----------------------------------------
    def fit(
        self, data: pd.DataFrame, table: Table, params: dict[str, Any] | None = None, **kw: Any
    ) -> Any:
        """A model with ``params`` (default: the tiny ``params``), on the CPU with seed 0,
        fitted on ``data``; ``kw`` go to the constructor (``callbacks``)."""
        model = self.model_class(
            self.params if params is None else params, device="cpu", seed=0, **kw
        )
        return model.fit(data, table=table)

    def check_follows_parent(self, params: dict[str, Any]) -> None:
        """Fitted with ``params`` on :func:`~synthohive.testing.data.segment_child`, the
        model gives each parent's rows that parent's distribution, also in a mixed frame."""
        child, child_table, ctx, ctx_table = segment_child()
        model = self.model_class(params, device="cpu", seed=0).fit(
            child, table=child_table, context=ctx, context_table=ctx_table
        )
        n = 400
        a = model.sample(n, context=pd.DataFrame({"segment": ["A"] * n}), seed=1)
        b = model.sample(n, context=pd.DataFrame({"segment": ["B"] * n}), seed=1)
        assert abs(a["value"].mean() - 0.0) < 2.5, a["value"].mean()
        assert abs(b["value"].mean() - 10.0) < 2.5, b["value"].mean()
        # P(kind=p | A) = 0.9 and P(kind=p | B) = 0.1 in the data; the marginal would give ~0
        assert (a["kind"] == "p").mean() - (b["kind"] == "p").mean() > 0.3
        # one frame mixing both parents: each row follows its own parent
        mixed_ctx = pd.DataFrame({"segment": ["A", "B"] * (n // 2)})
        out = model.sample(n, context=mixed_ctx, seed=2)
        is_b = mixed_ctx["segment"] == "B"
        assert out["value"][is_b].mean() - out["value"][~is_b].mean() > 6

    def check_condition_moves_value(self, params: dict[str, Any]) -> None:
        """Fitted with ``params`` on the child rows of ``segment_child``, conditioning on
        ``kind`` also moves ``value`` (the correlation survives the condition)."""
        child, child_table, _, _ = segment_child()
        model = self.model_class(params, device="cpu", seed=0).fit(child, table=child_table)
        real = child.groupby("kind")["value"].mean()  # about 1.1 for p and 9.1 for q
        p = model.sample(400, conditions={"kind": "p"}, seed=1)
        q = model.sample(400, conditions={"kind": "q"}, seed=1)
        assert (p["kind"] == "p").all() and (q["kind"] == "q").all()
        assert abs(p["value"].mean() - real["p"]) < 2.0, p["value"].mean()
        assert abs(q["value"].mean() - real["q"]) < 2.0, q["value"].mean()

    def check_nan_reported(
        self,
        monkeypatch: pytest.MonkeyPatch,
        network: type,
        from_call: int,
        params: dict[str, Any],
        match: str,
    ) -> None:
        """Fitted with ``params`` while ``network.forward`` returns NaN from its
        ``from_call``-th call on, the fit raises ``TrainingDivergedError`` matching ``match``
        (the epoch and step of that call)."""
        df, table = mixed_table()
        real_forward = getattr(network, "forward")  # noqa: B009 - any module class
        calls = {"n": 0}

        def poisoned(net: Any, x: Any) -> Any:
            calls["n"] += 1
            out = real_forward(net, x)
            return out * float("nan") if calls["n"] >= from_call else out

        monkeypatch.setattr(network, "forward", poisoned)
        with pytest.raises(TrainingDivergedError, match=match):
            self.fit(df, table, params)

    # --- checks --------------------------------------------------------------------------------
    def test_fit_sample_keeps_columns_dtypes_and_categories(self) -> None:
        df, table = mixed_table()
        model = self.fit(df, table)
        out = model.sample(250, seed=3)
        assert list(out.columns) == list(df.columns)
        assert len(out) == 250
        assert (out.dtypes == df.dtypes).all()
        assert set(out["colour"]) <= {"red", "green", "blue"}
        assert out["amount"].between(df["amount"].min() - 1e-9, df["amount"].max() + 1e-9).all()
        # every epoch was evaluated (eval_every=1); an earlier epoch's weights are kept only
        # when its score beats the last epoch's by more than the restore margin
        scores = [h["val_score"] for h in model.history]
        best = int(np.argmax(scores))
        margin = model.selection_margin
        assert margin is not None and margin >= model.params.restore_margin
        assert model.best_epoch == (best if scores[best] - scores[-1] > margin else len(scores) - 1)

    def test_same_seed_gives_identical_model_files_and_samples(self) -> None:
        df, table = mixed_table()
        a, b = self.fit(df, table), self.fit(df, table)
        files_a, files_b = MemoryStore(), MemoryStore()
        a.save(files_a.writer())
        b.save(files_b.writer())
        assert files_a.members == files_b.members
        pd.testing.assert_frame_equal(a.sample(200, seed=5), b.sample(200, seed=5))
        assert not a.sample(200, seed=5).equals(a.sample(200, seed=6))

    def test_save_load_samples_identically_and_checks_shapes(self) -> None:
        df, table = mixed_table()
        model = self.fit(df, table)
        store = MemoryStore()
        model.save(store.writer())
        loaded = self.model_class.load(store.reader())
        pd.testing.assert_frame_equal(loaded.sample(300, seed=9), model.sample(300, seed=9))
        # the same weights under a bigger architecture are refused, naming the tensor
        head = store.reader().read_json("model")
        head["params"].update(self.resized_params)
        store.members["model.json"] = json.dumps(head).encode()
        with pytest.raises(IncompatibleArtifactError, match=self.resized_tensor):
            self.model_class.load(store.reader())

    def test_conditions_fix_the_category_and_reject_unknown_values(self) -> None:
        df, table = mixed_table()
        model = self.fit(df, table)
        out = model.sample(200, conditions={"colour": "blue"}, seed=1)
        assert (out["colour"] == "blue").all()
        both = model.sample(50, conditions={"colour": "green", "flag": True}, seed=1)
        assert (both["colour"] == "green").all() and both["flag"].all()
        with pytest.raises(UnknownConditionValueError, match="red") as err:
            model.sample(10, conditions={"colour": "purple"})
        assert err.value.column == "colour"
        with pytest.raises(UnknownConditionValueError, match="categorical"):
            model.sample(10, conditions={"amount": 1.0})

    def test_huge_learning_rate_diverges_with_typed_error(self) -> None:
        df, table = mixed_table()
        with pytest.raises(TrainingDivergedError, match="epoch"):
            self.fit(df, table, {**self.params, **self.diverging_params, "epochs": 5})

    def test_cuda_on_a_machine_without_it_names_the_device(self) -> None:
        from synthohive.nn.device import resolve_device

        df, table = mixed_table()
        device = "cuda:99" if resolve_device("auto").type == "cuda" else "cuda"
        with pytest.raises(DeviceError, match=device):
            self.model_class(self.params, device=device, seed=0).fit(df, table=table)
        with pytest.raises(DeviceError, match="tpu"):
            self.model_class(self.params, device="tpu", seed=0).fit(df, table=table)

    def test_model_module_imports_without_torch(self) -> None:
        code = (
            f"import sys; import {', '.join(self.modules)}; "
            "sys.exit(1 if 'torch' in sys.modules else 0)"
        )
        subprocess.run([sys.executable, "-c", code], check=True, timeout=60)

    def test_constant_table_needs_no_network(self) -> None:
        df = pd.DataFrame({"c": ["same"] * 20, "k": [3] * 20})
        table = Table(
            name="const",
            columns={"c": Column(sdtype="categorical"), "k": Column(sdtype="numerical")},
        )
        out = self.fit(df, table).sample(15, seed=0)
        assert (out["c"] == "same").all() and (out["k"] == 3).all()
