"""Shadows and audit entries packed with the preset dictionary, and rows packed before it."""

from __future__ import annotations

import json
import zlib
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from accredo_hubspot.mapping import invoices, objects, orders, properties
from accredo_hubspot.mapping.config import load_config
from accredo_hubspot.store import AuditEntry, StateStore, StoreError, schema
from accredo_hubspot.store.packing import DICTIONARIES, DICTIONARY_1, pack, unpack

T0 = datetime(2026, 11, 30, 12, tzinfo=UTC)

#: A backfilled company as the default mapping writes it (made up, macrons and all).
COMPANY = {
    "accredo_customer_code": "TUIBAKE",
    "nzbn": "9429047654321",
    "accredo_credit_limit": "12000.00",
    "accredo_balance_total": "2310.50",
    "accredo_balance_current": "1200.00",
    "accredo_balance_1": "1110.50",
    "accredo_balance_2": "0.00",
    "accredo_balance_3_plus": "0.00",
    "accredo_balance_future": "0.00",
    "accredo_overdue_total": "1110.50",
    "accredo_days_overdue": "17",
    "accredo_credit_status": "overdue",
    "accredo_credit_utilisation_pct": "19.3",
    "accredo_stop_credit": "false",
    "accredo_last_invoice_date": "2026-11-12",
    "accredo_last_payment_date": "2026-10-30",
    "accredo_last_payment_amount": "845.00",
    "accredo_average_days_to_pay": "24.6",
    "accredo_sales_ytd": "18402.77",
    "accredo_sales_last_year": "16210.04",
    "name": "Tūī Bakery Limited",
    "address": "3 Ōrākei Road",
    "address2": "Remuera",
    "city": "Auckland",
    "zip": "1050",
    "country": "NZ",
    "phone": "09 524 7781",
    "website": "https://tuibakery.nz",
    "domain": "tuibakery.nz",
    "accredo_price_tier": "TRADE",
    "accredo_orders_12m_count": "14",
    "accredo_average_order_value": "612.40",
    "accredo_last_order_date": "2026-11-20",
    "accredo_top_skus": "FLOUR-25KG, YEAST-500G, SUGAR-20KG",
    "accredo_last_orders": "10911  2026-11-20  $704.26 incl. GST  Open  ref 5521",
    "accredo_open_invoice_count": "3",
    "accredo_last_synced_at": "2026-11-30T12:00:00.000Z",
}


def _plain(value: object) -> bytes:
    """A JSON object packed as revisions 0002 and 0004 packed it (zlib's defaults)."""
    return zlib.compress(json.dumps(value, ensure_ascii=False).encode())


def _other_dictionary(value: object) -> bytes:
    """A JSON object packed with a dictionary this release does not know."""
    packer = zlib.compressobj(zdict=b'{"some_later_property":"a value"}')
    return packer.compress(json.dumps(value).encode()) + packer.flush()


def _put_rows(store: StateStore, shadow: bytes, changes: bytes) -> None:
    """A company's shadow and one audit entry, as stored bytes (TUIBAKE's)."""
    with store.engine.begin() as conn:
        conn.execute(
            schema.shadows.insert(),
            {"side": "hubspot", "record_type": "company", "record_key": "TUIBAKE",
             "shadow": shadow, "synced_at": T0},
        )  # fmt: skip
        conn.execute(
            schema.audit_log.insert(),
            {"at": T0, "side": "hubspot", "record_type": "company", "record_key": "TUIBAKE",
             "remote_id": "101", "changes": changes, "reason": "backfill"},
        )  # fmt: skip


def test_shadows_and_audit_entries_round_trip_packed_with_the_dictionary(
    store: StateStore,
) -> None:
    store.put_shadows("hubspot", "company", {"TUIBAKE": COMPANY})
    store.put_shadows("hubspot", "company", {"TUIBAKE": {"accredo_balance_2": "12.00"}})
    changes = {name: (None, value) for name, value in COMPANY.items()}
    entry = AuditEntry(T0, "hubspot", "company", "TUIBAKE", "101", changes, "backfill")
    store.add_audit([entry])

    assert store.get_shadows("hubspot", "company") == {
        "TUIBAKE": {**COMPANY, "accredo_balance_2": "12.00"}
    }
    assert store.list_audit() == [entry]
    with store.engine.connect() as conn:
        shadow = conn.execute(select(schema.shadows.c.shadow)).scalar_one()
        packed = conn.execute(select(schema.audit_log.c.changes)).scalar_one()
    for stored in (shadow, packed):  # RFC 1950: FDICT set, then the dictionary's Adler-32
        assert stored[1] & 0x20
        assert int.from_bytes(stored[2:6], "big") == zlib.adler32(DICTIONARY_1)


def test_rows_packed_plainly_by_earlier_revisions_still_read(store: StateStore) -> None:
    old_changes = {"accredo_balance_total": [None, "2310.50"], "name": [None, "Tūī Bakery"]}
    _put_rows(store, _plain(COMPANY), _plain(old_changes))

    assert store.get_shadows("hubspot", "company") == {"TUIBAKE": COMPANY}
    assert store.list_audit()[0].changes == {
        "accredo_balance_total": (None, "2310.50"),
        "name": (None, "Tūī Bakery"),
    }
    store.put_shadows("hubspot", "company", {"TUIBAKE": {"city": "Tāmaki Makaurau"}})
    assert store.get_shadows("hubspot", "company")["TUIBAKE"] == {
        **COMPANY,
        "city": "Tāmaki Makaurau",
    }  # merged over the plain row, which is now packed with the dictionary


def test_a_row_packed_with_an_unknown_dictionary_is_a_store_error_naming_it(
    store: StateStore,
) -> None:
    _put_rows(store, _other_dictionary(COMPANY), _other_dictionary({}))

    with pytest.raises(StoreError, match=r"shadows row of hubspot company TUIBAKE .*unknown"):
        store.get_shadows("hubspot", "company")
    with pytest.raises(StoreError, match=r"audit_log row of company TUIBAKE .*unknown"):
        store.list_audit()


def test_a_damaged_row_is_a_store_error() -> None:
    whole = pack(COMPANY)
    with pytest.raises(StoreError, match="shadows row of hubspot company TUIBAKE cannot"):
        unpack(whole[:-9], "shadows", "hubspot", "company", "TUIBAKE")
    with pytest.raises(StoreError, match="cannot"):
        unpack(_plain(COMPANY)[:-9], "shadows")


def test_the_dictionary_packs_a_company_shadow_much_smaller() -> None:
    text = json.dumps(COMPANY, ensure_ascii=False, separators=(",", ":")).encode()
    plainly = zlib.compressobj(9, zlib.DEFLATED, 13, 8)
    without = len(plainly.compress(text) + plainly.flush())
    assert len(pack(COMPANY)) < 0.6 * without


def test_the_dictionary_is_frozen_and_known_by_its_id() -> None:
    # Rows name it by this checksum: an edited dictionary would leave them unreadable. Add a
    # new one beside it instead.
    assert zlib.adler32(DICTIONARY_1) == 0x8C94EAC7
    assert DICTIONARIES[zlib.adler32(DICTIONARY_1)] is DICTIONARY_1


def test_the_dictionary_names_every_property_the_default_mapping_writes() -> None:
    config = load_config()
    names = {rule.hubspot for rule in (*config.company_fields, *config.contact_fields)}
    names |= {p.name for p in properties.company_properties()}
    names |= {p.name for p in (*objects.SUMMARY_PROPERTIES, *objects.ORDER_ROLLUP_PROPERTIES)}
    names |= {objects.PRICE_TIER_PROPERTY, orders.LAST_ORDERS_PROPERTY}
    names |= {*objects.INVOICE_SCHEMA.property_names(), *objects.ORDER_SCHEMA.property_names()}
    names |= {rule.hubspot for rule in (*invoices.INVOICE_RULES, *orders.ORDER_RULES)}
    missing = sorted(name for name in names if f'"{name}":'.encode() not in DICTIONARY_1)
    assert missing == []
