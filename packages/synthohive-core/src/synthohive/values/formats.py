"""The one list of datetime string formats, and the one rule that picks a column's format.

Detection (``metadata/detect.py``), the neural transformer (``transform/datetimes.py``) and
the copula's marginals (``models/values.py``) all choose from :data:`DATETIME_FORMATS` with
:func:`best_format`, so a column of ambiguous dates (``01/02/2020``) is read the same way
everywhere: the format that parses the most values, the earlier one in the list on a tie
(month first before day first, as in ISO-8601's neighbours and US exports).
"""

from __future__ import annotations

import pandas as pd

#: Every datetime string format SynthoHive recognises, in order of preference on ties.
DATETIME_FORMATS: tuple[str, ...] = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%d %H:%M:%S%z",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d",
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d.%m.%Y",
    "%d.%m.%Y %H:%M",
    "%d-%b-%Y",
    "%b %d, %Y",
    "%d %b %Y",
    "%B %d, %Y",
    "%Y%m%d",
)


def parse_with(values: pd.Series, fmt: str) -> pd.Series:
    """``values`` parsed with ``fmt`` (unparseable ones NaT; UTC when ``fmt`` has a zone)."""
    return pd.to_datetime(values, format=fmt, errors="coerce", utc="%z" in fmt or "%Z" in fmt)


def best_format(values: pd.Series) -> tuple[str, float] | None:
    """The format of :data:`DATETIME_FORMATS` parsing the largest share of ``values`` (text,
    no nulls) and that share; the earlier format wins a tie. ``None`` when none parses any."""
    best: tuple[str, float] | None = None
    if len(values) == 0:
        return None
    for fmt in DATETIME_FORMATS:
        rate = float(parse_with(values, fmt).notna().mean())
        if rate > 0 and (best is None or rate > best[1]):
            best = (fmt, rate)
        if rate == 1.0:
            break
    return best
