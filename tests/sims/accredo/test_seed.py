"""Seeded data: deterministic, New Zealand flavoured, consistent with the ledger."""

from __future__ import annotations

from datetime import date

from sims.accredo import checkdigits, seed
from sims.accredo.config import SimConfig
from sims.accredo.schema import build_entities
from sims.accredo.validation import is_windows_1252

TODAY = date(2025, 6, 30)


def test_same_seed_same_data_other_seed_other_data() -> None:
    a, b = seed.build(3, 300, TODAY), seed.build(3, 300, TODAY)
    c = seed.build(4, 300, TODAY)
    assert a.customers == b.customers and a.transactions == b.transactions
    assert a.customers != c.customers


def test_new_zealand_flavour() -> None:
    data = seed.build(1, 1000, TODAY)
    custs = data.customers
    nz = [c for c in custs if c["CountryCode"] == "NZ"]
    au = [c for c in custs if c["CountryCode"] == "AU"]
    with_nzbn = [c for c in nz if c["BusinessNo"]]
    assert 0.7 < len(with_nzbn) / len(nz) < 0.99  # most, not all
    assert all(checkdigits.is_valid_nzbn(c["BusinessNo"]) for c in with_nzbn)
    assert au and all(checkdigits.is_valid_abn(c["TaxNo"]) for c in au)
    assert all(c["RegimeCode"] == "AU" and not c["BusinessNo"] for c in au)
    assert all(checkdigits.is_valid_ird(c["TaxNo"]) for c in nz)
    names = " ".join(c["CustomerName"] for c in custs)
    assert any(m in names for m in ("Ōtāhuhu", "Whakatāne", "Ngāti", "Rūnanga"))
    assert "O'Brien" in names or "O'Connor" in names
    assert sum(1 for c in custs if c["EmailAddress"]) / len(custs) > 0.8
    assert sum(1 for c in custs if c["WebAddress"]) / len(custs) > 0.6
    assert len({c["CustomerCode"] for c in custs}) == len(custs)
    assert data.orders and all(o["Line"] for o in data.orders)
    assert {t["TransactionType"] for t in data.transactions} >= {"I", "R"}


def test_non_unicode_fields_hold_windows_1252_only() -> None:
    ents = build_entities(SimConfig().custom_fields)
    data = seed.build(1, 500, TODAY)
    for entity, rows in (
        ("ARCustomer", data.customers),
        ("ARContact", data.contacts),
        ("ARTransaction", data.transactions),
    ):
        fields = ents[entity].fields
        for row in rows:
            for name, value in row.items():
                f = fields[name]
                if isinstance(value, str) and f.max_length:
                    assert len(value) <= f.max_length, (entity, name, value)
                if isinstance(value, str) and not f.unicode:
                    assert is_windows_1252(value), (entity, name, value)
                    assert value.upper() == value or name not in ("CustomerCode",)


def test_codes_are_a_to_z_0_to_9() -> None:
    data = seed.build(9, 2000, TODAY)
    assert all(c["CustomerCode"].isalnum() and c["CustomerCode"].isascii() for c in data.customers)
