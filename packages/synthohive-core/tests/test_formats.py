"""One list of datetime formats and one rule for picking a column's format (#23 item 2)."""

from __future__ import annotations

import pandas as pd
import pytest

from synthohive.metadata.detect import detect_table
from synthohive.models.values import guess_format
from synthohive.transform.datetimes import infer_format
from synthohive.values.formats import DATETIME_FORMATS, best_format


def _three_readers(values: list[str]) -> tuple[str | None, str | None, str | None]:
    frame = pd.DataFrame({"day": values})
    detected = detect_table(frame, name="t").columns["day"]
    assert detected.sdtype == "datetime"
    series = frame["day"]
    return detected.format, infer_format(series), guess_format(series)


@pytest.mark.parametrize(
    ("values", "fmt"),
    [
        (["01/02/2020", "03/04/2021", "05/06/2022", "07/08/2023"] * 10, "%m/%d/%Y"),  # a tie
        (["25/02/2020", "03/04/2021", "30/06/2022", "07/08/2023"] * 10, "%d/%m/%Y"),
        (["02/25/2020", "03/04/2021", "12/31/2022", "07/08/2023"] * 10, "%m/%d/%Y"),
        (["2020-02-25", "2021-03-04"] * 20, "%Y-%m-%d"),
        (["25.02.2020 10:30", "03.04.2021 08:00"] * 20, "%d.%m.%Y %H:%M"),
    ],
)
def test_detection_transformer_and_copula_read_a_column_alike(values: list[str], fmt: str) -> None:
    assert _three_readers(values) == (fmt, fmt, fmt)


def test_best_format_takes_the_larger_share_then_the_earlier_format() -> None:
    mixed = pd.Series(["2020-01-02"] * 3 + ["02/01/2020"])
    assert best_format(mixed) == ("%Y-%m-%d", 0.75)
    assert best_format(pd.Series(["not a date"])) is None
    assert best_format(pd.Series([], dtype=object)) is None
    assert len(set(DATETIME_FORMATS)) == len(DATETIME_FORMATS)
    assert DATETIME_FORMATS.index("%m/%d/%Y") < DATETIME_FORMATS.index("%d/%m/%Y")
