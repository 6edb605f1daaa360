"""PII detection: labelled detection matrix (T-P1), ReDoS timing (T-P2), validators."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthohive.metadata.detect import detect_table
from synthohive.metadata.pii import detect_pii
from synthohive.metadata.recognisers import is_credit_card, is_iban, is_ssn, mod97_ok
from synthohive.testing.timing import time_bound

N = 200


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _digits(rng: np.random.Generator, n: int, k: int) -> list[str]:
    return ["".join(map(str, row)) for row in rng.integers(0, 10, size=(n, k))]


def _luhn_check(body: str) -> int:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return (10 - total % 10) % 10


def _cards(rng: np.random.Generator, prefix: str, length: int, valid: bool = True) -> list[str]:
    out = []
    for body in _digits(rng, N, length - 1 - len(prefix)):
        b = prefix + body
        check = _luhn_check(b)
        out.append(b + str(check if valid else (check + 1 + int(body[-1]) % 9) % 10))
    return out


def _iban(country: str, bban: str, valid: bool = True) -> str:
    raw = bban + country + "00"
    num = int("".join(str(int(c, 36)) for c in raw))
    check = 98 - num % 97
    if not valid:
        check = (check + 1 + int(bban[-1]) % 50) % 97 + 2
        if check == 98 - num % 97:
            check = (check + 1) % 97 + 2
    return f"{country}{check:02d}{bban}"


def _ssns(rng: np.random.Generator, areas: np.ndarray) -> list[str]:
    g = rng.integers(1, 100, N)
    s = rng.integers(1, 10000, N)
    return [f"{a:03d}-{b:02d}-{c:04d}" for a, b, c in zip(areas, g, s)]


FIRST = ["James", "Mary", "Robert", "Linda", "Michael", "Susan", "David", "Karen", "Daniel"]
LAST = ["Smith", "Johnson", "Brown", "Garcia", "Miller", "Davis", "Lopez", "Wilson", "Moore"]
STREETS = ["Main St", "Oak Avenue", "Pine Road", "Maple Dr", "Cedar Lane", "Elm Street"]


def positives() -> list[tuple[str, str, pd.Series]]:
    r = _rng(1)
    names = [f"{r.choice(FIRST)} {r.choice(LAST)}" for _ in range(N)]
    de = [_iban("DE", "".join(map(str, r.integers(0, 10, 18)))) for _ in range(N)]
    gb = [
        _iban(
            "GB",
            "".join(r.choice(list("ABCDEFGHIJ"), 4)) + "".join(map(str, r.integers(0, 10, 14))),
        )
        for _ in range(N)
    ]
    gb_spaced = [" ".join(x[i : i + 4] for i in range(0, len(x), 4)) for x in gb]
    emails = [f"user{i}.{r.choice(LAST).lower()}@example{i % 7}.com" for i in range(N)]
    messy = emails[:140] + [f"n/a {i}" for i in range(60)]
    area = r.integers(200, 999, N)
    exch = r.integers(200, 999, N)
    line = r.integers(0, 10000, N)
    return [
        ("email", "value", pd.Series(emails)),
        ("email", "email", pd.Series(emails)),
        ("email", "customer_email", pd.Series(messy)),
        ("email", "email", pd.Series([None] * 20, dtype=object)),
        ("phone", "value", pd.Series([f"+1{a}{e}{x:04d}" for a, e, x in zip(area, exch, line)])),
        (
            "phone",
            "contact_no",
            pd.Series([f"({a}) {e}-{x:04d}" for a, e, x in zip(area, exch, line)]),
        ),
        ("phone", "field", pd.Series([f"{a}.{e}.{x:04d}" for a, e, x in zip(area, exch, line)])),
        (
            "phone",
            "phone_number",
            pd.Series([f"{a}{e}{x:04d}" for a, e, x in zip(area, exch, line)]),
        ),
        ("phone", "value", pd.Series([f"020 {x:04d} {y:04d}" for x, y in zip(line, line[::-1])])),
        (
            "phone",
            "value",
            pd.Series([f"+44 20 {x:04d} {y:04d}" for x, y in zip(line, line[::-1])]),
        ),
        ("ssn", "value", pd.Series(_ssns(r, r.integers(1, 666, N)))),
        ("ssn", "ssn", pd.Series([s.replace("-", "") for s in _ssns(r, r.integers(1, 600, N))])),
        ("credit_card", "value", pd.Series(_cards(r, "4", 16))),
        (
            "credit_card",
            "value",
            pd.Series(
                [" ".join(c[i : i + 4] for i in range(0, 16, 4)) for c in _cards(r, "5", 16)]
            ),
        ),
        ("credit_card", "value", pd.Series(_cards(r, "37", 15))),
        ("credit_card", "card_number", pd.Series(_cards(r, "6011", 16)).astype("int64")),
        ("iban", "value", pd.Series(de)),
        ("iban", "value", pd.Series(gb_spaced)),
        ("iban", "iban", pd.Series(gb)),
        ("ip", "value", pd.Series([".".join(map(str, r.integers(1, 255, 4))) for _ in range(N)])),
        (
            "ip",
            "value",
            pd.Series(
                [
                    f"2001:db8::{i:x}:{j:x}"
                    for i, j in zip(r.integers(1, 65535, N), r.integers(1, 65535, N))
                ]
            ),
        ),
        ("ip", "client_ip", pd.Series([f"10.0.{i % 250}.{i % 200 + 1}" for i in range(N)])),
        ("name", "value", pd.Series(names)),
        ("name", "customer_name", pd.Series(names)),
        ("first_name", "first_name", pd.Series([str(r.choice(FIRST)) for _ in range(N)])),
        ("last_name", "surname", pd.Series([str(r.choice(LAST)) for _ in range(N)])),
        (
            "address",
            "value",
            pd.Series([f"{r.integers(1, 9999)} {r.choice(STREETS)}" for _ in range(N)]),
        ),
        ("address", "street", pd.Series([f"Block {i} Unit {i % 7}" for i in range(N)])),
        ("date_of_birth", "dob", pd.Series(pd.date_range("1950-01-01", periods=N, freq="57D"))),
        (
            "date_of_birth",
            "birth_date",
            pd.Series(pd.date_range("1960-01-01", periods=N, freq="33D").strftime("%Y-%m-%d")),
        ),
    ]


def negatives() -> list[tuple[str, pd.Series]]:
    r = _rng(2)
    rand16 = [d for d in _digits(r, 3 * N, 16) if _luhn_check(d[:-1]) != int(d[-1])][:N]
    bad_ibans = [
        _iban("DE", "".join(map(str, r.integers(0, 10, 18))), valid=False) for _ in range(N)
    ]
    return [
        ("value", pd.Series([f"user{i}@" if i % 2 else f"@host{i}.com" for i in range(N)])),
        ("value", pd.Series([f"ORD-2024-{i:06d}" for i in range(N)])),
        ("order_number", pd.Series([f"{20240000 + i}" for i in range(N)])),
        ("zip", pd.Series([f"{z:05d}" for z in r.integers(1000, 99999, N)])),
        (
            "postal",
            pd.Series(
                [
                    f"{z:05d}-{p:04d}"
                    for z, p in zip(r.integers(1000, 99999, N), r.integers(0, 9999, N))
                ]
            ),
        ),
        ("product_code", pd.Series([f"PRD-{i:05d}-X" for i in range(N)])),
        ("value", pd.Series(rand16)),
        ("value", pd.Series(_cards(r, "4", 16, valid=False))),
        ("value", pd.Series(rand16).astype("int64")),
        ("value", pd.Series(bad_ibans)),
        ("value", pd.Series(_ssns(r, np.zeros(N, dtype=int)))),
        ("value", pd.Series(_ssns(r, np.full(N, 666)))),
        ("value", pd.Series(_ssns(r, r.integers(900, 1000, N)))),
        ("customer_id", pd.Series(r.integers(2_000_000_000, 9_999_999_999, N))),
        ("reference", pd.Series([str(x) for x in r.integers(2_000_000_000, 9_999_999_999, N)])),
        ("quantity", pd.Series(r.integers(1, 10, N))),
        ("price", pd.Series(np.round(r.uniform(1, 100, N), 2))),
        ("order_date", pd.Series(pd.date_range("2024-01-01", periods=N).strftime("%Y-%m-%d"))),
        ("colour", pd.Series(r.choice(["red", "green", "blue"], N))),
        ("product_name", pd.Series([f"Blue Widget {i}" for i in range(N)])),
        ("name", pd.Series([f"Deluxe Gadget Mk{i}" for i in range(N)])),
        ("version", pd.Series([f"{i % 3}.{i % 7}.{i % 11}" for i in range(N)])),
        (
            "created",
            pd.Series(
                pd.date_range("2024-01-01", periods=N, freq="h").strftime("%Y-%m-%dT%H:%M:%S")
            ),
        ),
        ("ref", pd.Series([f"{i:08x}-1234-4abc-8def-{i:012x}" for i in range(N)])),
        ("city", pd.Series(r.choice(["Springfield", "Riverside", "Franklin"], N))),
        ("description", pd.Series([f"great product number {i} would buy again" for i in range(N)])),
        ("hash", pd.Series([f"{i * 7919:032x}" for i in range(N)])),
        ("flag", pd.Series(r.integers(0, 2, N).astype(bool))),
    ]


def test_detection_matrix_precision_and_recall() -> None:
    pos, neg = positives(), negatives()
    assert len(pos) + len(neg) >= 30
    hits, wrong = [], []
    for kind, name, s in pos:
        m = detect_pii(s, name)
        ok = m is not None and m.kind == kind
        hits.append(ok)
        if not ok:
            wrong.append((kind, name, m))
    recall = sum(hits) / len(hits)
    assert recall >= 0.95, wrong
    flagged = [(name, m) for name, s in neg if (m := detect_pii(s, name)) is not None]
    assert flagged == []  # precision 1.0 on look-alikes


def test_name_only_and_value_only_cases() -> None:
    only_name = detect_pii(pd.Series([None, None], dtype=object), "email")
    assert only_name is not None and only_name.kind == "email"
    assert "column name" in only_name.evidence
    digits = pd.Series(["2025550143", "4155552671", "3125550199"])
    assert detect_pii(digits, "value") is None  # digits alone are not a phone
    hinted = detect_pii(digits, "mobile")
    assert hinted is not None and hinted.kind == "phone"
    by_value = detect_pii(pd.Series(["a.b@example.com", "c@d.org"]), "x")
    assert by_value is not None and by_value.kind == "email" and by_value.match_rate == 1.0
    assert "valid email" in by_value.evidence


def test_validators_checksums() -> None:
    cards = pd.Series(["4111111111111111", "4111111111111112", "5500 0055 5555 5559"])
    assert is_credit_card(cards).tolist() == [True, False, True]
    ibans = pd.Series(
        ["DE89370400440532013000", "DE89370400440532013001", "GB82WEST12345698765432"]
    )
    assert is_iban(ibans).tolist() == [True, False, True]
    assert mod97_ok(pd.Series(["GB82WEST12345698765432"])).tolist() == [True]
    ssn = pd.Series(
        ["123-45-6789", "000-12-3456", "666-12-3456", "912-12-3456", "123-00-4567", "123-45-0000"]
    )
    assert is_ssn(ssn).tolist() == [True, False, False, False, False, False]


def test_threshold_and_row_order_independence() -> None:
    good = [f"user{i}@example.com" for i in range(70)]
    bad = [f"nope {i}" for i in range(30)]
    s = pd.Series(good + bad)
    assert detect_pii(s, "x") is None  # 70% < value threshold 80%
    m1 = detect_pii(s, "email")
    m2 = detect_pii(s.sample(frac=1, random_state=3).reset_index(drop=True), "email")
    assert m1 == m2 and m1 is not None and m1.match_rate == pytest.approx(0.7)


ADVERSARIAL = [
    "a" * 10**5 + "!",
    "1" * 10**5,
    "+" + "1" * 10**5,
    "a@" * 50_000,
    "1-" * 50_000,
    "(" * 10**5,
    "1 " * 50_000,
    "A" * 10**5 + "1",
    "1." * 50_000,
    "12 " + "Street " * 14_000,
]


@pytest.mark.parametrize(
    "name",
    [
        "value",
        "email",
        "phone",
        "ssn",
        "credit_card",
        "iban",
        "ip",
        "name",
        "address",
        "dob",
        "first_name",
    ],
)
def test_redos_adversarial_strings_under_one_second(name: str) -> None:
    s = pd.Series(ADVERSARIAL * 3)
    with time_bound(1.0, what=f"detect_pii on {name}"):
        detect_pii(s, name)


def test_redos_through_table_detection() -> None:
    df = pd.DataFrame({f"c{i}": [v] * 5 + ["x"] for i, v in enumerate(ADVERSARIAL)})
    with time_bound(1.0 * len(ADVERSARIAL), what="detect_table"):
        table = detect_table(df, name="evil")
    assert set(table.columns) == set(df.columns)


# --- PII consistent across tables (issue #17) ----------------------------------------------
def _addresses(n: int, seed: int = 0) -> list[str]:
    """European-style addresses: valid only under the relaxed rules a name hint enables."""
    r = _rng(seed)
    streets = ["Theodor-Heuss-Straße", "Ullevålsveien", "Grétrystraat", "Rilská", "Klanova"]
    return [f"{r.choice(streets)} {int(r.integers(1, 999))}" for _ in range(n)]


def test_overlapping_column_in_another_table_becomes_pii_of_the_same_kind() -> None:
    from synthohive.metadata.detect import detect_metadata

    addr = sorted(set(_addresses(80)))
    customers = pd.DataFrame({"customer_id": np.arange(len(addr)), "address": addr})
    r = _rng(2)
    picks = r.choice(np.arange(len(addr)), 300)
    orders = pd.DataFrame(
        {
            "order_id": np.arange(300),
            "customer_id": picks,
            "ship_to": [addr[i] if i % 9 else f"Depot {i}" for i in picks],  # no name hint
            "shipper": r.choice(["DHL", "UPS", "FedEx", "Main St"], 300),  # one shared value
        }
    )
    meta = detect_metadata({"customers": customers, "orders": orders})
    ship = meta.tables["orders"].columns["ship_to"]
    assert (ship.sdtype, ship.kind) == ("pii", "address")
    assert ship.reason and ship.reason.startswith("PII (address) like customers.address")
    assert "also occur in customers.address" in ship.reason
    assert meta.tables["orders"].columns["shipper"].sdtype == "categorical"
    own = meta.tables["customers"].columns["address"].reason or ""
    assert "also occur in orders.ship_to" not in own  # only detected PII serves as reference


def test_overlap_guards_same_table_numbers_and_small_overlaps() -> None:
    from synthohive.metadata.detect import detect_metadata

    names = [f"{a} {b}" for a in FIRST for b in LAST]
    people = pd.DataFrame(
        {"person_id": np.arange(len(names)), "full_name": names, "alias": names[::-1]}
    )
    teams = pd.DataFrame(
        {
            "team_id": np.arange(40),
            "label": [names[0], names[1]] + [f"Team {i}" for i in range(38)],  # 2 shared
            "code": np.arange(40) + 1000,
        }
    )
    meta = detect_metadata({"people": people, "teams": teams})
    assert meta.tables["people"].columns["full_name"].kind == "name"
    assert meta.tables["teams"].columns["label"].sdtype != "pii"
    assert meta.tables["teams"].columns["code"].sdtype != "pii"
    alias = meta.tables["people"].columns["alias"]
    assert "also occur" not in (alias.reason or "")  # same table: no cross-table evidence
