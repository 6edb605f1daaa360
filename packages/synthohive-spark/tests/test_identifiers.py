"""Identifier validation and quoting (T-S8, the part that needs no Spark)."""

from __future__ import annotations

import pytest

from synthohive.errors import ConnectorError, InvalidIdentifierError
from synthohive_spark.identifiers import check_identifier, qualified, quote
from synthohive_spark.session import require_delta, require_hive


@pytest.mark.parametrize("name", ["my-table", "has space", "a`b", "select", "1abc", "naïve"])
def test_strict_mode_refuses_non_plain_names(name: str) -> None:
    with pytest.raises(InvalidIdentifierError, match="not a plain identifier"):
        check_identifier(name, strict=True)
    assert check_identifier(name) == name  # permissive mode accepts and quotes


def test_quoting_doubles_backticks() -> None:
    assert quote("a`b") == "`a``b`"
    assert qualified("db-1", "select") == "`db-1`.`select`"
    assert quote("x`; DROP TABLE t; --") == "`x``; DROP TABLE t; --`"


@pytest.mark.parametrize("name", ["", "a\x00b", "x" * 300])
def test_unusable_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidIdentifierError):
        check_identifier(name)


class _Conf:
    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.values.get(key, default)


class _Session:
    def __init__(self, **values: str) -> None:
        self.conf = _Conf(values)


def test_missing_hive_or_delta_says_how_to_configure() -> None:
    with pytest.raises(ConnectorError, match="enableHiveSupport"):
        require_hive(_Session(**{"spark.sql.catalogImplementation": "in-memory"}))  # type: ignore[arg-type]
    with pytest.raises(ConnectorError, match="DeltaSparkSessionExtension"):
        require_delta(_Session())  # type: ignore[arg-type]
    require_hive(_Session(**{"spark.sql.catalogImplementation": "hive"}))  # type: ignore[arg-type]
