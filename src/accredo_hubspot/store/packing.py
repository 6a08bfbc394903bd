"""How the store packs a JSON object (a shadow, an audit entry's changes) into a column: compact
JSON, zlib-compressed with a preset dictionary.

Every record repeats the same property names, which zlib alone cannot share between rows; a
dictionary of them (RFC 1950's FDICT) lets each row refer to the names instead of spelling
them. The stream names its dictionary by Adler-32, so ``unpack`` reads rows packed with any
dictionary in ``DICTIONARIES`` and rows packed without one (every database before this module:
revisions 0004 and 0005 packed plainly), with no migration.

A dictionary is never edited once released: rows packed with it name it by its checksum. A
better one is added beside it (the old one kept, for reading) and ``PACK_DICTIONARY`` moved.
A migration that reads packed values reads them through ``unpack``.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import Any

import orjson

from accredo_hubspot.store.errors import StoreError

#: Synthetic records (no customer's data) shaped like what the default mapping stores: an
#: invoice and an order (custom objects), a contact on each side, a company's audit entry and
#: its shadow. zlib finds a nearer match cheaper, so the commonest (the company's shadow and
#: audit entry, one each a debtor) come last.
DICTIONARY_1 = (
    b'{"invoice_number":"INV100482","accredo_transaction_id":"100482",'
    b'"invoice_date":"2026-10-08","due_date":"2026-11-20","amount":"1265.98",'
    b'"amount_outstanding":"274.05","amount_base":"1265.98","amount_outstanding_base":"274.05",'
    b'"days_overdue":"10","status":"overdue","currency":"NZD","reference":"PO38231"}'
    b'{"order_number":"10234","accredo_document_id":"10234","customer_order_number":"PO4411",'
    b'"order_date":"2026-11-02","order_status":"Open","total_excl_gst":"1073.48",'
    b'"total_incl_gst":"1234.50","line_count":"3",'
    b'"top_lines":"PAINT-WB-10L  20 x Paint 10L  $3,780.00\\nand 2 more lines"}'
    b'{"FirstName":"Mere","LastName":"Parata","EmailAddress":"accounts@kowhaiplumbing.co.nz",'
    b'"PhoneNo":"09 555 0142","PhoneNo2":"021 555 0187","Role":"Accounts","SalesPersonCode":"JS"}'
    b'{"firstname":"Mere","lastname":"Parata","email":"accounts@kowhaiplumbing.co.nz",'
    b'"mobilephone":"021 555 0187","jobtitle":"Accounts","hubspot_owner_id":"81234567"}'
    b'{"accredo_customer_code":[null,"KOWHAIP"],"nzbn":[null,"9429041234567"],'
    b'"accredo_credit_limit":[null,"5000.00"],"accredo_balance_total":[null,"1540.03"],'
    b'"accredo_balance_current":[null,"0.00"],"accredo_balance_1":[null,"0.00"],'
    b'"accredo_balance_2":[null,"0.00"],"accredo_balance_3_plus":[null,"0.00"],'
    b'"accredo_balance_future":[null,"0.00"],"accredo_overdue_total":[null,"0.00"],'
    b'"accredo_days_overdue":[null,"0"],"accredo_credit_status":[null,"ok"],'
    b'"accredo_credit_utilisation_pct":[null,"30.8"],"accredo_stop_credit":[null,"false"],'
    b'"accredo_last_invoice_date":[null,"2026-10-24"],'
    b'"accredo_last_payment_date":[null,"2026-10-21"],'
    b'"accredo_last_payment_amount":[null,"152.59"],"accredo_average_days_to_pay":[null,"32.0"],'
    b'"accredo_sales_ytd":[null,"4142.15"],"accredo_sales_last_year":[null,"0.00"],'
    b'"name":[null,"Kowhai Plumbing Ltd"],"address":[null,"14 Station Road"],'
    b'"address2":[null,"Onehunga"],"city":[null,"Auckland"],"zip":[null,"1061"],'
    b'"country":[null,"NZ"],"phone":[null,"09 555 0142"],'
    b'"website":[null,"https://www.kowhaiplumbing.co.nz"],"domain":[null,"kowhaiplumbing.co.nz"],'
    b'"accredo_price_tier":[null,"WHOLE"],"accredo_orders_12m_count":[null,"0"],'
    b'"accredo_average_order_value":[null,"129.00"],'
    b'"accredo_last_order_date":[null,"2026-11-16"],"accredo_top_skus":[null,"MESH-665"],'
    b'"accredo_last_orders":[null,"234  2026-11-16  $148.35 incl. GST  Open  ref PO38231"],'
    b'"accredo_open_invoice_count":[null,"1"],'
    b'"accredo_oldest_open_invoice_number":[null,"INV100536"],'
    b'"accredo_oldest_open_invoice_date":[null,"2026-10-08"],'
    b'"accredo_overdue_invoices":[null,"INV100536  $274.05  10 days overdue"]}'
    b'{"accredo_customer_code":"KOWHAIP","nzbn":"9429041234567","accredo_credit_limit":"5000.00",'
    b'"accredo_balance_total":"1540.03","accredo_balance_current":"0.00",'
    b'"accredo_balance_1":"0.00","accredo_balance_2":"0.00","accredo_balance_3_plus":"0.00",'
    b'"accredo_balance_future":"0.00","accredo_overdue_total":"0.00","accredo_days_overdue":"0",'
    b'"accredo_credit_status":"ok","accredo_credit_utilisation_pct":"30.8",'
    b'"accredo_stop_credit":"false","accredo_last_invoice_date":"2026-10-24",'
    b'"accredo_last_payment_date":"2026-10-21","accredo_last_payment_amount":"152.59",'
    b'"accredo_average_days_to_pay":"32.0","accredo_sales_ytd":"4142.15",'
    b'"accredo_sales_last_year":"0.00","name":"Kowhai Plumbing Ltd",'
    b'"address":"14 Station Road","address2":"Onehunga","city":"Auckland","zip":"1061",'
    b'"country":"NZ","phone":"09 555 0142","website":"https://www.kowhaiplumbing.co.nz",'
    b'"domain":"kowhaiplumbing.co.nz","accredo_price_tier":"WHOLE",'
    b'"accredo_orders_12m_count":"0","accredo_average_order_value":"129.00",'
    b'"accredo_last_order_date":"2026-11-16","accredo_top_skus":"MESH-665",'
    b'"accredo_last_orders":"234  2026-11-16  $148.35 incl. GST  Open  ref PO38231",'
    b'"accredo_open_invoice_count":"1","accredo_oldest_open_invoice_number":"INV100536",'
    b'"accredo_oldest_open_invoice_date":"2026-10-08",'
    b'"accredo_overdue_invoices":"INV100536  $274.05  10 days overdue",'
    b'"accredo_last_synced_at":"2026-11-30T11:59:09.112Z"}'
)

#: Every dictionary a stored row may name, by its Adler-32 (the id its stream carries).
DICTIONARIES: dict[int, bytes] = {zlib.adler32(DICTIONARY_1): DICTIONARY_1}

#: The dictionary new rows are packed with.
PACK_DICTIONARY = DICTIONARY_1

#: zlib settings, chosen by measuring 5,000 simulated debtors' company rows (1.2 KB of JSON a
#: shadow): bytes a row, and time to pack one shadow, JSON encoding included, best of 9 runs on
#: the shared 2-core development machine (50,000 in brackets).
#:   no dictionary, level 1, 1 KB window, memLevel 2 (before): shadow 613, audit 594, 41 us (2.1 s)
#:   dictionary, level 1, 8 KB window, memLevel 8:            shadow 313, audit 363, 27 us (1.4 s)
#:   dictionary, level 6, same:                               shadow 274, audit 267, 31 us (1.6 s)
#:   dictionary, level 9, same (chosen):                      shadow 260, audit 255, 35 us (1.8 s)
#: The window holds the dictionary and the record (4 KB packs 1 byte bigger, 32 KB no smaller).
#: memLevel 2 made the old settings slow: its 256-symbol buffer ends a deflate block, each with
#: its own Huffman tables, every 256 symbols. On records of 1-3 KB level 9's search costs little.
_LEVEL, _WBITS, _MEMLEVEL = 9, 13, 8

_FDICT = 0x20  # RFC 1950: the header's FLG byte has a preset dictionary's id after it


def pack(value: Mapping[str, Any]) -> bytes:
    """A JSON object as stored: compact JSON, zlib-compressed with ``PACK_DICTIONARY``."""
    packer = zlib.compressobj(_LEVEL, zlib.DEFLATED, _WBITS, _MEMLEVEL, zdict=PACK_DICTIONARY)
    return packer.compress(orjson.dumps(value)) + packer.flush()


def unpack(packed: bytes, table: str, *record: str) -> Any:
    """A stored JSON object, packed with a known dictionary or none; ``table`` and ``record``
    (its type and key) name the row in the error if it cannot be read."""
    try:
        if len(packed) < 6 or not packed[1] & _FDICT:
            return orjson.loads(zlib.decompress(packed))
        dictionary_id = int.from_bytes(packed[2:6], "big")
        dictionary = DICTIONARIES.get(dictionary_id)
        if dictionary is None:
            raise StoreError(
                f"{table} row of {' '.join(record)} is packed with an unknown zlib dictionary "
                f"{dictionary_id:#010x} (written by a newer release?)"
            )
        unpacker = zlib.decompressobj(zdict=dictionary)
        text = unpacker.decompress(packed)
        if not unpacker.eof:
            raise zlib.error("incomplete or truncated stream")
        return orjson.loads(text)
    except (zlib.error, orjson.JSONDecodeError) as exc:
        raise StoreError(f"{table} row of {' '.join(record)} cannot be unpacked: {exc}") from exc
