"""``ConstraintContract``: the conformance suite a constraint plugin runs in its own tests.

Subclass it, set ``constraint_class`` and ``params``, and implement ``real_rows()`` returning
rows that satisfy the rule (with nulls where the rule allows them); optionally
``broken_rows()`` returning rows that break it. The checks: parameters survive JSON and unknown
ones are refused, real rows round-trip through ``transform``/``reverse``, rows a model could
generate (the learned columns shuffled and jittered) map back to rows that all satisfy the rule
(rejecting rules: the rows ``keep`` refuses are exactly the invalid ones), fitted state is JSON
and a constraint rebuilt from it maps rows back the same way, ``model_columns`` names what
``transform`` makes, and real rows that break the rule are refused with
:class:`~synthohive.errors.ConstraintError`.

Rules between tables (:class:`~synthohive.constraints.crosstable.RelatedConstraint`) need a
schema; test them through a :class:`~synthohive.Synthesizer` instead.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest

from synthohive.constraints.base import Constraint
from synthohive.errors import ConstraintError

TABLE = "t"


class ConstraintContract:
    """Subclass; set ``constraint_class`` and ``params``; implement :meth:`real_rows`."""

    constraint_class: ClassVar[type[Constraint]]
    params: ClassVar[dict[str, Any]] = {}

    def real_rows(self) -> pd.DataFrame:
        """Rows that satisfy the rule (a few hundred, nulls included where allowed)."""
        raise NotImplementedError

    def broken_rows(self) -> pd.DataFrame | None:
        """Rows that break the rule, or ``None`` when none can be written."""
        return None

    # --- helpers ------------------------------------------------------------------------------
    def fitted(self) -> tuple[Constraint, pd.DataFrame]:
        from synthohive.metadata.schema import Metadata

        real = self.real_rows()
        rule = self.constraint_class(TABLE, dict(self.params))
        rule.bind_columns(Metadata.detect({TABLE: real}).tables[TABLE].columns)
        rule.fit(real)
        return rule, real

    @staticmethod
    def model_like(learned: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
        """What a model could generate from ``learned``: each column shuffled on its own
        (dependence between columns broken) and numbers jittered, nulls kept where seen."""
        rng = np.random.default_rng(seed)
        out = {}
        for col in learned.columns:
            values = learned[col].sample(frac=1.0, random_state=int(rng.integers(1 << 31)))
            values = values.reset_index(drop=True)
            if pd.api.types.is_float_dtype(values.dtype):
                scale = float(np.nanstd(values.to_numpy(dtype="float64", na_value=np.nan)))
                noise = rng.normal(0.0, (scale or 1.0) * 0.3, len(values))
                values = values + noise
            out[col] = values
        return pd.DataFrame(out)

    # --- the checks ---------------------------------------------------------------------------
    def test_params_survive_json_and_unknown_ones_are_refused(self) -> None:
        rule = self.constraint_class(TABLE, dict(self.params))
        again = self.constraint_class(TABLE, json.loads(json.dumps(rule.params.model_dump())))
        assert again.params == rule.params
        assert again.describe().startswith(f"{self.constraint_class.name}(")
        with pytest.raises(ConstraintError, match="valid parameters"):
            self.constraint_class(TABLE, {**self.params, "no_such_parameter": 1})

    def test_real_rows_round_trip(self) -> None:
        rule, real = self.fitted()
        assert rule.is_valid(real).all(), "real_rows() must satisfy the rule"
        back = rule.reverse(rule.transform(real))
        assert list(back.columns) == list(real.columns)
        for col in rule.columns():
            a, b = real[col], back[col]
            if pd.api.types.is_numeric_dtype(a.dtype) and not pd.api.types.is_bool_dtype(a.dtype):
                np.testing.assert_allclose(
                    b.to_numpy(dtype="float64", na_value=np.nan),
                    a.to_numpy(dtype="float64", na_value=np.nan),
                    rtol=1e-6,
                    atol=1e-6,
                    err_msg=f"column {col!r} changed in a round trip",
                )
            else:
                assert a.astype(str).tolist() == b.astype(str).tolist(), col
            assert str(a.dtype) == str(b.dtype), col

    def test_generated_rows_map_back_to_valid_rows(self) -> None:
        rule, real = self.fitted()
        learned = rule.transform(real)
        for seed in range(3):
            made = rule.reverse(self.model_like(learned, seed))
            valid = rule.is_valid(made)
            if rule.rejects:
                assert (rule.keep(made) == valid).all()
            else:
                assert valid.all(), f"{int((~valid).sum())} rows break {rule.describe()}"
            assert list(made.dtypes.astype(str)) == list(real.dtypes.astype(str))

    def test_state_is_json_and_restores_the_mapping(self) -> None:
        rule, real = self.fitted()
        state = json.loads(json.dumps(rule.state()))
        again = self.constraint_class(TABLE, dict(self.params))
        again.load_state(state)
        made = self.model_like(rule.transform(real), seed=7)
        pd.testing.assert_frame_equal(again.reverse(made), rule.reverse(made))

    def test_model_columns_name_what_transform_makes(self) -> None:
        from synthohive.metadata.schema import Metadata

        rule, real = self.fitted()
        columns = Metadata.detect({TABLE: real}).tables[TABLE].columns
        assert set(rule.model_columns(dict(columns))) == set(rule.transform(real).columns)

    def test_real_rows_breaking_the_rule_are_refused(self) -> None:
        from synthohive.metadata.schema import Metadata

        broken = self.broken_rows()
        if broken is None:
            pytest.skip("the subclass gives no broken_rows()")
        rule = self.constraint_class(TABLE, dict(self.params))
        rule.bind_columns(Metadata.detect({TABLE: broken}).tables[TABLE].columns)
        with pytest.raises(ConstraintError, match="real rows break constraint"):
            rule.fit(broken)
