"""Reversible, vectorised table <-> float32 matrix encoding shared by the neural models.

Usage::

    from synthohive.transform import DataTransformer, SpanInfo

    dt = DataTransformer(max_modes=10, gmm_sample_rows=50_000, max_categories=100, seed=0,
                         inf_policy="error", gmm_max_iter=100, gmm_backend="fast",
                         max_tail=10_000, numeric_encoding="modes")
    dt.fit(df, table)                      # table: synthohive.metadata.Table
    m = dt.transform(df, seed=None)        # np.ndarray float32, shape (len(df), dt.output_dim)
    back = dt.inverse_transform(m, seed=1)  # DataFrame: same columns, order and exact dtypes
    dt.save(writer); dt2 = DataTransformer.load(reader)   # JSON only, nothing pickled

Layout of the matrix: columns in the order of ``df`` at fit time; each column owns one or more
consecutive *spans* listed in ``output_info`` (``SpanInfo(column, kind, start, dim, activation,
role)``):

* continuous column (numerical sdtype, datetimes, timedeltas): ``role="value"`` tanh span of
  dim 1 holding ``(x - mu_k) / (4 sigma_k)`` clipped to [-0.99, 0.99], then ``role="mode"``
  softmax span (one-hot of the GMM mode k), then -- only when the column had nulls at fit --
  ``role="null"`` softmax span of dim 2 (``[present, null]``). All have ``kind="continuous"``.
  Point masses (a value on >= 5% of the rows; every value of a column with <= 20 distinct
  ones) are exact modes: scalar 0, decoded to the stored value. With
  ``numeric_encoding="quantile"`` a column that is not all point masses has instead the normal
  score of its quantile, ``Phi^-1(F(x)) / 4``, in the value span and a single mode
  (:class:`~synthohive.transform.modes.QuantileModel`); ``quantile_columns()`` lists those
  value spans.
* discrete column (categorical, boolean, string, ``category``, object, very large ints):
  one ``role="category"`` softmax span, ``kind="discrete"``: the kept categories (most frequent
  first), then an "other" slot when the tail was cut (categories + other <= ``max_categories``),
  then a null slot when the column had nulls.
* all-null columns, and constant continuous columns, take no width (the value is kept in the
  state); a constant continuous column with nulls keeps only its ``role="null"`` span. A constant
  discrete column keeps a one-hot span of dim 1 (so it can still be conditioned on).

``discrete_spans`` / ``continuous_spans`` (properties) filter ``output_info`` by ``kind``;
``columns`` lists the fitted column names (``str`` of the labels); ``notes`` the fit decisions
worth reporting (unparseable datetime strings, capped categories, huge ints kept exact);
``value_tolerance(column)`` the declared round-trip error bound of a column;
``column_spans(name)`` gives one column's spans; ``category_span(column, value)`` returns
``(span.start, index_within_span)`` for conditional vectors (tail values map to the "other"
slot, ``None``/NaN to the null slot) and raises ``UnknownConditionValueError`` listing the valid
values otherwise.

Decoding (``inverse_transform``): argmax of each softmax span, tanh value inverted with the chosen
mode, clip to the [min, max] seen at fit, round (integers; ``rounding`` decimals from metadata or
learned from the data, e.g. 2 for currency), restore the exact dtype (numpy and pandas nullable
ints/floats/booleans, ``category`` with its categories, ``str``/``string``, object, tz-aware
datetimes, timedeltas, string datetimes in their ``format``). The "other" slot is decoded by
sampling the tail categories by observed frequency (seeded).

Decisions worth knowing:

* GMM fitting: each continuous column's Dirichlet-process Bayesian GMM is fitted on a random
  subsample of at most ``gmm_sample_rows`` (default 50k; the min and max always included) by
  :func:`synthohive.transform.vbgmm.fit_dp_gmm` -- the model and variational updates of
  scikit-learn's ``BayesianGaussianMixture(weight_concentration_prior_type="dirichlet_process")``,
  vectorised for one feature on at most 2048 weighted points (exact distinct values, or
  equal-count quantile bins with their within-bin variance). A 54k x 7 numeric table fits in
  ~0.2 s of CPU instead of ~80 s. ``gmm_backend="sklearn"`` runs scikit-learn itself. Modes with
  weight <= ``weight_threshold`` are dropped unless they are the only home of some values
  (rare outliers), which would otherwise be clamped.

* Round-trip tolerance: discrete, boolean and null masks are exact. Continuous values inside a
  mode's band (|x - mu_k| <= 3.96 sigma_k) come back within ``value_tolerance(column)`` (float32
  resolution of the scaled value, about 5e-7 * sigma_k, before rounding); integers and learned
  decimal rounding usually make them exact. Outliers beyond every kept mode's band are clamped.
* Integer columns whose values exceed 2**53 are encoded relative to their minimum when their
  range is below 2**53 (exact); otherwise they are treated as discrete (exact values, top-k plus
  sampled tail) -- never silently rounded through float64.
* Datetimes/timedeltas are encoded as int64 counts of the coarsest step that divides every value
  (day, hour, minute, second, ms, us, ns) relative to their minimum, so output keeps the data's
  granularity.
* ``fit`` raises ``InvalidDataError`` for +-inf (unless ``inf_policy="as_null"``), object columns
  mixing numbers and strings or holding dicts/lists, too many unparseable datetime strings;
  ``MetadataError`` for a column missing from the metadata; ``EmptyTableError`` for no rows.
"""

from __future__ import annotations

from synthohive.transform.spans import SpanInfo
from synthohive.transform.transformer import DataTransformer

__all__ = ["DataTransformer", "SpanInfo"]
