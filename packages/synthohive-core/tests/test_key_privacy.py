"""Key patterns keep structure only (issue #18 item 9): a learned key style never stores a real
substring of a value. Shared codes (``INV-``, ``ORD``, ``customer_``) are kept; personal-looking
prefixes and suffixes (usernames used as keys) become character classes, and the model file's
bytes hold none of the usernames, whether the metadata is given or detected."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synthohive.metadata.schema import Column, ForeignKey, Metadata, Table
from synthohive.synthesizer import Synthesizer
from synthohive.synthesizer.keys import KeySpec, affix_shape, is_code_affix, learn_key_spec

FIRST = ["pamela", "john", "msmith", "karen", "oliver", "ravi", "annika", "jdoe", "wei", "lucia"]


def _usernames(n: int, seed: int = 0) -> list[str]:
    """Unique usernames: a first name or handle plus digits (``pamela1987``, ``jdoe7``)."""
    rng = np.random.default_rng(seed)
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        name = f"{rng.choice(FIRST)}{rng.integers(1, 3000)}"
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out


@pytest.mark.parametrize(
    ("values", "prefix", "suffix", "start", "width"),
    [
        ([f"INV-{i:06d}" for i in range(120, 140)], "INV-", "", 120, 6),
        ([f"ORD{i}" for i in range(5, 25)], "ORD", "", 5, 0),
        ([f"customer_{i:04d}" for i in range(1, 30)], "customer_", "", 1, 4),
        ([f"#{i}" for i in range(3, 6)], "#", "", 3, 1),  # no letters: kept however few
        ([f"{i}-EU" for i in range(10, 40)], "", "-EU", 10, 2),
        ([f"pamela{i}" for i in range(1987, 2000)], "xxxxxx", "", 1, 4),  # one person's prefix
        ([f"INV-{i}" for i in range(1, 4)], "XXX-", "", 1, 1),  # too few keys to be a code
        ([f"{i}pamela" for i in range(10, 30)], "", "xxxxxx", 1, 2),
        ([f"JSMITH{i:02d}" for i in range(1, 40)], "XXXXXX", "", 1, 2),
    ],
)
def test_key_affixes(values: list[str], prefix: str, suffix: str, start: int, width: int) -> None:
    spec = learn_key_spec(pd.Series(values))
    assert spec.kind == "pattern"
    assert (spec.prefix, spec.suffix, spec.start, spec.width) == (prefix, suffix, start, width)


def test_usernames_keep_only_character_classes() -> None:
    names = _usernames(300)
    spec = learn_key_spec(pd.Series(names))
    assert spec.kind == "pattern"
    assert set(spec.prefix) <= {"x"} and spec.start == 1
    stored = repr(spec.to_dict())
    assert not [n for n in FIRST if n in stored]
    keys = spec.generate(np.arange(1000), np.random.default_rng(0))
    assert len(set(keys)) == 1000
    assert all(str(k).startswith(spec.prefix) for k in keys)


def test_affix_rules() -> None:
    assert is_code_affix("INV-", 5) and is_code_affix("cust_", 5)
    assert is_code_affix("customer-", 50) and not is_code_affix("customer-", 4)
    assert is_code_affix("", 1) and is_code_affix("#-", 1)
    assert not is_code_affix("pamela", 1000) and not is_code_affix("x" * 17, 1000)
    assert affix_shape("Pamela.J-") == "Xxxxxx.X-"
    assert affix_shape("Ölçü_") == "Xxxx_"


def test_stored_key_spec_round_trips_and_is_bounded() -> None:
    spec = learn_key_spec(pd.Series([f"INV-{i:06d}" for i in range(1, 50)]))
    assert KeySpec.from_dict(spec.to_dict()) == spec
    from pydantic import ValidationError

    for field, value in [
        ("width", 10**8),
        ("prefix", "x" * 17),
        ("prefix", "a1"),
        ("start", 2**70),
    ]:
        with pytest.raises(ValidationError):
            KeySpec.from_dict({**spec.to_dict(), field: value})


# --- byte scan of the model file: usernames as keys --------------------------------------------
def _user_schema(
    n_users: int = 240, n_posts: int = 900
) -> tuple[Metadata, dict[str, pd.DataFrame]]:
    rng = np.random.default_rng(1)
    users = _usernames(n_users)
    handles = [f"{u.rstrip('0123456789')}.{i}" for i, u in enumerate(users)]
    frames = {
        "users": pd.DataFrame(
            {
                "username": users,
                "handle": handles,  # an ``id`` column that is not the key, personal-looking
                "karma": rng.integers(0, 500, n_users),
                "plan": rng.choice(["free", "pro"], n_users),
            }
        ),
        "posts": pd.DataFrame(
            {
                "post_id": np.arange(1, n_posts + 1),
                "author": rng.choice(users, n_posts),
                "score": rng.normal(10, 3, n_posts).round(1),
            }
        ),
    }
    meta = Metadata(
        tables={
            "users": Table(
                name="users",
                primary_key=["username"],
                columns={
                    "username": Column(sdtype="id"),
                    "handle": Column(sdtype="id"),
                    "karma": Column(sdtype="numerical", integer=True),
                    "plan": Column(sdtype="categorical"),
                },
            ),
            "posts": Table(
                name="posts",
                primary_key=["post_id"],
                columns={
                    "post_id": Column(sdtype="id"),
                    "author": Column(sdtype="id"),
                    "score": Column(sdtype="numerical"),
                },
            ),
        },
        relations=[
            ForeignKey(
                child="posts", child_columns=["author"], parent="users", parent_columns=["username"]
            )
        ],
    )
    return meta, frames


def _model_bytes(path: Path) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return b"\n".join(zf.read(name) for name in zf.namelist())


@pytest.mark.parametrize("metadata", ["given", "detected"])
def test_usernames_as_keys_never_reach_the_model_file(tmp_path: Path, metadata: str) -> None:
    meta, frames = _user_schema()
    synth = Synthesizer(meta if metadata == "given" else None, seed=0, progress=False)
    synth.fit(frames)
    path = tmp_path / "users.shm"
    synth.save(path)
    blob = path.read_bytes() + _model_bytes(path)
    values = {*frames["users"]["username"], *frames["users"]["handle"]}
    for value in values:
        assert value.encode() not in blob, value
        assert value.encode("utf-16-le") not in blob, value
    for name in FIRST:  # not even the name part of a username
        assert name.encode() not in blob, name
    out = synth.sample(seed=3)
    assert out["users"]["username"].is_unique
    assert set(out["posts"]["author"]) <= set(out["users"]["username"])
    assert not set(out["users"]["username"]) & set(frames["users"]["username"])
