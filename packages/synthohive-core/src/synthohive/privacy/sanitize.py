"""``sanitize(data, metadata)``: a de-identified copy of real data, FK-consistent.

Each PII column gets a strategy (from a :class:`PrivacyConfig`, else the column's
``strategy`` in metadata, else ``default_strategy``). Columns joined by foreign keys form one
group and are all treated like the group's primary-key column, with one key, so joins survive.
The output is returned, and written atomically to ``output`` (a URL or connector) when given.
"""

from __future__ import annotations

import os
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, SecretBytes

from synthohive.connectors.base import WriteMode
from synthohive.errors import PluginNotFoundError, PrivacyError
from synthohive.log import get_logger
from synthohive.metadata.schema import Column, Metadata
from synthohive.privacy.dp import DPConfig
from synthohive.privacy.sanitizers import Sanitizer

log = get_logger(__name__)

KEY_ENV = "SYNTHOHIVE_HMAC_KEY"
STRATEGIES = ("fake", "hash", "mask", "drop", "keep")


class PrivacyConfig(BaseModel):
    """How PII is handled: per-column strategies, the default, the secret key and the locale.

    ``strategies`` maps ``"table.column"`` (or ``"column"`` for single tables) to a sanitizer
    name. The key is a secret: it is never written to a file, log, ``repr`` or error.
    """

    model_config = ConfigDict(extra="forbid")

    strategies: dict[str, str] = Field(default_factory=dict)
    default_strategy: str = "fake"
    key: SecretBytes | None = None
    seed: int | None = None
    locale: str | None = None
    dp: DPConfig | None = None
    """Differential privacy for every table's model (opt-in; see :mod:`synthohive.privacy.dp`)."""

    def resolved_key(self) -> bytes | None:
        """The key from the config, else from ``SYNTHOHIVE_HMAC_KEY``."""
        if self.key is not None:
            return self.key.get_secret_value()
        env = os.environ.get(KEY_ENV)
        return env.encode("utf-8") if env else None


def _groups(metadata: Metadata) -> dict[tuple[str, str], tuple[str, str]]:
    """Map every FK/PK column to the representative (parent-most) column of its join group."""
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def find(x: tuple[str, str]) -> tuple[str, str]:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for fk in metadata.relations:
        for cc, pc in zip(fk.child_columns, fk.parent_columns):
            a, b = find((fk.child, cc)), find((fk.parent, pc))
            if a != b:
                parent[a] = b
    return {x: find(x) for x in list(parent)}


def _strategy_for(
    config: PrivacyConfig, table: str, col: str, meta_col: Column, single: bool
) -> str | None:
    for key in (f"{table}.{col}", col if single else None):
        if key is not None and key in config.strategies:
            return config.strategies[key]
    if meta_col.sdtype == "pii":
        return meta_col.strategy or config.default_strategy
    return None


def _sanitizer(name: str, key: bytes | None, seed: int | None, where: tuple[str, str]) -> Sanitizer:
    from synthohive.registry import get_registry

    try:
        cls = get_registry().get_sanitizer(name)
    except PluginNotFoundError:
        raise PrivacyError(
            f"unknown strategy {name!r}; installed: {get_registry().list_sanitizers()}",
            table=where[0],
            column=where[1],
            fix=f"use one of {list(STRATEGIES)}",
        ) from None
    try:
        instance: Sanitizer = cls(key=key, seed=seed)
        return instance
    except PrivacyError as exc:
        raise PrivacyError(exc.bare_message, table=where[0], column=where[1], fix=exc.fix) from None


def sanitize(
    data: pd.DataFrame | dict[str, pd.DataFrame],
    metadata: Metadata | None = None,
    *,
    config: PrivacyConfig | None = None,
    output: Any = None,
    mode: WriteMode = "error",
    **config_fields: Any,
) -> pd.DataFrame | dict[str, pd.DataFrame]:
    """De-identify ``data``; returns the copy (and writes it atomically to ``output``)."""
    config = config or PrivacyConfig(**config_fields)
    single = isinstance(data, pd.DataFrame)
    if metadata is None:
        metadata = Metadata.detect(data)
    frames: dict[str, pd.DataFrame] = (
        {next(iter(metadata.tables)): data} if isinstance(data, pd.DataFrame) else dict(data)
    )
    for ref in config.strategies:
        table, _, col = ref.rpartition(".")
        if not table and single:
            table = next(iter(frames))
        if table not in frames or col not in frames[table].columns:
            raise PrivacyError(
                f"a strategy is set for column {ref!r}, which does not exist",
                table=table or None,
                column=col,
                fix="use 'table.column' names from the data",
            )
        if config.strategies[ref] not in STRATEGIES:
            from synthohive.registry import get_registry

            if config.strategies[ref] not in get_registry().list_sanitizers():
                raise PrivacyError(
                    f"unknown strategy {config.strategies[ref]!r}",
                    table=table,
                    column=col,
                    fix=f"use one of {list(STRATEGIES)}",
                )
    key = config.resolved_key()
    groups = _groups(metadata)
    out: dict[str, pd.DataFrame] = {}
    for table, df in frames.items():
        tmeta = metadata.table(table)
        result = df.copy()
        for col in df.columns:
            name = str(col)
            if name not in tmeta.columns:
                continue
            rep = groups.get((table, name), (table, name))
            rep_meta = metadata.tables[rep[0]].columns[rep[1]]
            strategy = _strategy_for(config, rep[0], rep[1], rep_meta, single)
            if strategy is None:
                continue
            if config.locale and rep_meta.locale is None:
                rep_meta = rep_meta.model_copy(update={"locale": config.locale})
            sanitizer = _sanitizer(strategy, key, config.seed, (table, name))
            pk = metadata.tables[rep[0]].primary_key or []
            unique = rep[1] in pk or rep != (table, name)
            if strategy == "keep":
                log.warning("sanitize.keep", table=table, column=name)
            try:
                universe = None
                if rep != (table, name) and rep[0] in frames and rep[1] in frames[rep[0]]:
                    universe = pd.Series(frames[rep[0]][rep[1]])
                elif unique:
                    universe = pd.Series(df[col])
                new = sanitizer.apply(
                    pd.Series(df[col]), rep_meta, unique=unique, name=name, universe=universe
                )
            except PrivacyError as exc:
                raise PrivacyError(
                    exc.bare_message, table=table, column=name, fix=exc.fix
                ) from None
            if new is None:
                result = result.drop(columns=[col])
            else:
                result[col] = new.set_axis(result.index)
            log.info("sanitize.column", table=table, column=name, strategy=strategy)
        out[table] = result
    if output is not None:
        from synthohive.connectors import connect

        sink = connect(output) if isinstance(output, str) else output
        with sink.begin_write(metadata, mode) as session:
            for table in metadata.tables:
                if table in out:
                    session.append(table, out[table])
    return next(iter(out.values())) if single else out
