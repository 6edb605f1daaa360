"""Sanitizers: per-column strategies for de-identifying real data (plugins, by ``name``).

Built-ins: ``fake`` (consistent fake values), ``hash`` (keyed HMAC-SHA256), ``mask`` (format
kept, characters hidden), ``drop`` and ``keep``. A sanitizer maps one column; ``sanitize``
(``synthohive.privacy.sanitize``) decides which sanitizer each column gets and keeps columns
joined by foreign keys consistent by giving them the same sanitizer, key and column meta.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import ClassVar

import pandas as pd

from synthohive.errors import PrivacyError
from synthohive.metadata.schema import Column


class Sanitizer:
    """Base class: the public ``apply`` returns the replacement column (or ``None`` to drop it);
    a strategy implements ``_apply``."""

    name: ClassVar[str]
    needs_key: ClassVar[bool] = False

    def __init__(self, *, key: bytes | None = None, seed: int | None = None) -> None:
        if self.needs_key and not key:
            raise PrivacyError(
                f"the {self.name!r} strategy needs a secret key",
                fix="pass key=... or set SYNTHOHIVE_HMAC_KEY (the key is never stored)",
            )
        self._key = key
        self.seed = seed

    def __repr__(self) -> str:  # never show the key
        return f"{type(self).__name__}(key={'set' if self._key else 'unset'})"

    def apply(
        self,
        values: pd.Series,
        column: Column,
        *,
        unique: bool = False,
        name: str = "",
        universe: pd.Series | None = None,
    ) -> pd.Series | None:
        """Sanitised copy of ``values`` (``unique``: distinct inputs stay distinct), or ``None``
        to drop the column.

        ``universe`` holds every value of the column's join group (the referenced key), so that
        mapping a subset (a foreign key) agrees with mapping the whole key column.
        """
        return self._apply(values, column, unique=unique, name=name, universe=universe)

    def _apply(
        self,
        values: pd.Series,
        column: Column,
        *,
        unique: bool,
        name: str,
        universe: pd.Series | None,
    ) -> pd.Series | None:
        """The strategy itself; subclasses implement this."""
        raise NotImplementedError


def normalise(values: pd.Series, kind: str | None) -> pd.Series:
    """Canonical text of PII values, so that formatting variants pseudonymise alike.

    Emails are trimmed and lower-cased; phones keep their digits (a leading US country code
    ``1`` on 11 digits is dropped); SSNs/cards keep digits; IBANs drop spaces and upper-case;
    everything else is trimmed with inner whitespace collapsed.
    """
    s = values.astype("string").str.strip()
    if kind == "email":
        return s.str.lower()
    if kind == "phone":
        digits = s.str.replace(r"\D", "", regex=True)
        return digits.where(
            ~((digits.str.len() == 11) & digits.str.startswith("1")), digits.str[1:]
        )
    if kind in ("ssn", "credit_card"):
        return s.str.replace(r"\D", "", regex=True)
    if kind == "iban":
        return s.str.replace(r"\s", "", regex=True).str.upper()
    return s.str.replace(r"\s+", " ", regex=True)


class FakeSanitizer(Sanitizer):
    """Consistent fakes: the same (normalised) value always maps to the same fake value."""

    name = "fake"

    def _apply(
        self,
        values: pd.Series,
        column: Column,
        *,
        unique: bool,
        name: str,
        universe: pd.Series | None,
    ) -> pd.Series | None:
        from synthohive.privacy.providers import consistent_map

        norm = normalise(values, column.kind).astype(object).where(values.notna(), None)
        uni = None
        if universe is not None:
            uni = pd.Series(normalise(universe, column.kind).astype(object)).dropna()
        return consistent_map(
            pd.Series(norm, index=values.index),
            column,
            key=self._key,
            seed=self.seed,
            unique=unique,
            name=name or str(values.name),
            universe=uni,
        )


class HashSanitizer(Sanitizer):
    """Keyed HMAC-SHA256 of the normalised value (hex, 32 characters); nulls stay null."""

    name = "hash"
    needs_key = True

    def _apply(
        self,
        values: pd.Series,
        column: Column,
        *,
        unique: bool,
        name: str,
        universe: pd.Series | None,
    ) -> pd.Series | None:
        mask = values.isna()
        norm = normalise(values[~mask], column.kind)
        codes, uniques = pd.factorize(norm)
        key = self._key or b""
        digests = [
            hmac.new(key, str(u).encode("utf-8"), hashlib.sha256).hexdigest()[:32] for u in uniques
        ]
        out = pd.Series(pd.NA, index=values.index, dtype="string")
        if len(codes):
            out[~mask] = pd.array(digests, dtype="string")[codes]
        return out


class MaskSanitizer(Sanitizer):
    """Keeps the format and hides characters: letters → ``x``, digits → ``#``.

    Emails keep the first character of the local part and the domain; long digit strings
    (phones, cards) keep their last four digits.
    """

    name = "mask"

    def _apply(
        self,
        values: pd.Series,
        column: Column,
        *,
        unique: bool,
        name: str,
        universe: pd.Series | None,
    ) -> pd.Series | None:
        s = values.astype("string")
        if column.kind == "email":
            out = s.str.replace(r"\w", "*", regex=True)
            ok = s.str.contains("@", regex=False).fillna(False) & (s.str.len() <= 320)
            out[ok] = s[ok].str.replace(r"(?<!^)[^@](?=[^@]*@)", "*", regex=True)
            return out
        letters = s.str.replace(r"[A-Za-z]", "x", regex=True)
        keep_tail = s.str.count(r"\d") >= 8
        tail_kept = letters.str.replace(r"\d(?=(?:\D*\d){4})", "#", regex=True)
        all_hidden = letters.str.replace(r"\d", "#", regex=True)
        return tail_kept.where(keep_tail, all_hidden)


class DropSanitizer(Sanitizer):
    """Removes the column."""

    name = "drop"

    def _apply(
        self,
        values: pd.Series,
        column: Column,
        *,
        unique: bool,
        name: str,
        universe: pd.Series | None,
    ) -> pd.Series | None:
        return None


class KeepSanitizer(Sanitizer):
    """Keeps the real values (an explicit, logged opt-out)."""

    name = "keep"

    def _apply(
        self,
        values: pd.Series,
        column: Column,
        *,
        unique: bool,
        name: str,
        universe: pd.Series | None,
    ) -> pd.Series | None:
        return values


BUILTIN_SANITIZERS: list[type[Sanitizer]] = [
    FakeSanitizer,
    HashSanitizer,
    MaskSanitizer,
    DropSanitizer,
    KeepSanitizer,
]
