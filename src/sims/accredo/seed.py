"""Deterministic seeded demo data with a New Zealand flavour (pure: no I/O, no clock reads).

Cheap on purpose (``random.Random`` and word lists, no Faker) so 50,000 debtors build in a few
seconds. Records are sparse dicts: fields left out read as the spec default.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import Any, TypeVar

from sims.accredo import checkdigits
from sims.accredo.ledger import GST_RATE, due_date, money, period_id

Row = dict[str, Any]
T = TypeVar("T")

PLACES = [
    ("Ōtāhuhu", "Auckland", "1062"),
    ("Whakatāne", "Whakatāne", "3120"),
    ("Ponsonby", "Auckland", "1011"),
    ("Te Awamutu", "Te Awamutu", "3800"),
    ("Taupō", "Taupō", "3330"),
    ("Ōpōtiki", "Ōpōtiki", "3122"),
    ("Petone", "Lower Hutt", "5012"),
    ("Riccarton", "Christchurch", "8011"),
    ("Frankton", "Hamilton", "3204"),
    ("Mount Maunganui", "Tauranga", "3116"),
    ("Onehunga", "Auckland", "1061"),
    ("Kaikōura", "Kaikōura", "7300"),
    ("Te Aro", "Wellington", "6011"),
    ("Ōamaru", "Ōamaru", "9400"),
    ("Whanganui", "Whanganui", "4500"),
    ("Māngere", "Auckland", "2022"),
    ("Dunedin Central", "Dunedin", "9016"),
    ("Hastings", "Hastings", "4122"),
    ("Nelson", "Nelson", "7010"),
    ("Papakura", "Auckland", "2110"),
    ("Rotorua", "Rotorua", "3010"),
    ("Invercargill", "Invercargill", "9810"),
]
AU_PLACES = [
    ("Surry Hills", "Sydney NSW", "2010"),
    ("Fortitude Valley", "Brisbane QLD", "4006"),
    ("Richmond", "Melbourne VIC", "3121"),
]
STREETS = [
    "Great South Road",
    "Queen Street",
    "Lambton Quay",
    "Colombo Street",
    "Victoria Avenue",
    "Devonport Road",
    "Karangahape Road",
    "Tainui Street",
    "Hinemoa Street",
    "Station Road",
    "Kent Terrace",
    "George Street",
    "Marine Parade",
    "Ngā Mahi Lane",
]
TRADES = [
    "Plumbing",
    "Electrical",
    "Building Supplies",
    "Paint & Paper",
    "Engineering",
    "Landscapes",
    "Joinery",
    "Roofing",
    "Hardware",
    "Motors",
    "Cafe",
    "Dairy Farms",
    "Orchards",
    "Freight",
    "Surveyors",
    "Kitchens",
    "Timber",
    "Traders",
]
SURNAMES = [
    "O'Brien",
    "Smith",
    "Ngata",
    "Wilson",
    "Tūhoe",
    "Patel",
    "Walker",
    "Te Whata",
    "Williams",
    "Brown",
    "Taylor",
    "Parata",
    "Chen",
    "Singh",
    "McKenzie",
    "O'Connor",
    "Hēnare",
    "Campbell",
    "Thompson",
    "Kīngi",
]
FIRST_NAMES = [
    "Aroha",
    "Mere",
    "Hēmi",
    "Tama",
    "Sarah",
    "James",
    "Olivia",
    "Wiremu",
    "Ngaio",
    "Liam",
    "Charlotte",
    "Rāwiri",
    "Priya",
    "Jack",
    "Isla",
    "Mōhi",
    "Grace",
    "Noah",
    "Anahera",
    "Sione",
]
ROLES = ["Accounts Payable", "Director", "Owner", "Office Manager", "Purchasing", "Site Manager"]
TRUST_WORDS = ["Ngāti Whātua", "Te Rūnanga o Tūwharetoa", "Ngāi Tahu", "Te Arawa", "Tainui"]
MAORI_WORDS = ["Aroha", "Kōwhai", "Tōtara", "Pōhutukawa", "Kererū", "Tūī", "Mānuka", "Rimu"]
GENERIC_DOMAINS = ["xtra.co.nz", "gmail.com", "outlook.co.nz"]
PRODUCTS = [
    ("PAINT-WB-4L", "Water-based enamel 4L", 89.0),
    ("PAINT-WB-10L", "Water-based enamel 10L", 189.0),
    ("PRIMER-2L", "Undercoat primer 2L", 42.5),
    ("TIMBER-9045", "Radiata H3.2 90x45 per m", 6.8),
    ("TIMBER-14045", "Radiata H3.2 140x45 per m", 10.4),
    ("NAIL-GAL-75", "Galvanised nails 75mm 1kg", 14.9),
    ("SCREW-DECK-65", "Deck screws 65mm box 500", 64.0),
    ("PIPE-PVC-50", "PVC pipe 50mm 6m", 38.0),
    ("TAP-MIX-01", "Kitchen mixer tap", 249.0),
    ("CABLE-TPS-25", "TPS cable 2.5mm 100m", 179.0),
    ("GIB-10-2400", "Plasterboard 10mm 2400", 24.5),
    ("ROOF-IRON-6", "Corrugated iron 6m sheet", 96.0),
    ("GLOVES-NIT", "Nitrile gloves box 100", 19.9),
    ("SEALANT-300", "Silicone sealant 300ml", 12.5),
    ("MESH-665", "Reinforcing mesh 665", 129.0),
]
GROUPS = [
    ("TRADE", "Trade customers", "TRADE", "NZD"),
    ("RETAIL", "Retail account customers", "RETAIL", "NZD"),
    ("WHOLESAL", "Wholesale", "WHOLE", "NZD"),
    ("AUSTRAL", "Australian customers", "TRADE", "AUD"),
]
PRICE_CODES = [
    ("RETAIL", "Retail", "I", 1),
    ("TRADE", "Trade", "E", 2),
    ("WHOLE", "Wholesale", "E", 3),
    ("DIST", "Distributor", "E", 4),
]
SALES_PEOPLE = [
    ("AROHA", "Aroha Ngata", "aroha.ngata@demo-supplies.co.nz"),
    ("JSMITH", "James Smith", "james.smith@demo-supplies.co.nz"),
    ("MOBRIEN", "Mere O'Brien", "mere.obrien@demo-supplies.co.nz"),
    ("PPATEL", "Priya Patel", "priya.patel@demo-supplies.co.nz"),
    ("TWILSON", "Tama Wilson", "tama.wilson@demo-supplies.co.nz"),
    ("HKINGI", "Hemi Kingi", "hemi.kingi@demo-supplies.co.nz"),
]
#: (PaymentUnit, PaymentCount, PaymentDayOfMonth, weight): 20th of the month following,
#: 7 days, 30 days, next period (reference 10.1 "Terms").
TERMS = [("M", 1, 20, 50), ("D", 7, 0, 20), ("D", 30, 0, 25), ("P", 1, 0, 5)]


@cache
def ascii_fold(text: str) -> str:
    """Macrons to plain vowels (for Windows-1252 fields such as e-mail and codes)."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@cache
def slug(text: str) -> str:
    return "".join(c for c in ascii_fold(text).lower() if c.isalnum())


def _pick(rng: random.Random, seq: Sequence[T]) -> T:
    """``rng.choice`` without its per-call overhead (seeding builds millions of values)."""
    return seq[int(rng.random() * len(seq))]


def _between(rng: random.Random, low: int, high: int) -> int:
    """An integer in [low, high), like ``rng.randrange(low, high)`` but cheaper."""
    return low + int(rng.random() * (high - low))


@cache
def _code_base(name: str) -> str:
    return "".join(c for c in ascii_fold(name).upper() if c.isalnum())[:6] or "CUST"


@dataclass
class SeedData:
    """Everything the store starts from; integer keys are assigned from 1 upwards."""

    groups: list[Row] = field(default_factory=list)
    sales_people: list[Row] = field(default_factory=list)
    price_codes: list[Row] = field(default_factory=list)
    customers: list[Row] = field(default_factory=list)
    contacts: list[Row] = field(default_factory=list)
    addresses: list[Row] = field(default_factory=list)
    transactions: list[Row] = field(default_factory=list)
    allocations: list[Row] = field(default_factory=list)
    invoices: list[Row] = field(default_factory=list)
    orders: list[Row] = field(default_factory=list)


def _stamp(d: date) -> Row:
    return {"CreatedDate": d.isoformat(), "ModifiedDate": d.isoformat()}


def _company_name(rng: random.Random, place: str) -> str:
    roll = rng.random()
    if roll < 0.04:
        return f"{_pick(rng, TRUST_WORDS)} Trust"
    if roll < 0.12:
        return f"{_pick(rng, SURNAMES)} {_pick(rng, TRADES)} Ltd"
    if roll < 0.30:
        return f"{place} {_pick(rng, TRADES)} Ltd"
    if roll < 0.45:
        return f"{_pick(rng, MAORI_WORDS)} {_pick(rng, TRADES)} Ltd"
    return f"{_pick(rng, SURNAMES)} & {_pick(rng, SURNAMES)} {_pick(rng, TRADES)}"


def _phone(rng: random.Random, mobile: bool = False) -> str:
    if mobile:
        return f"02{_pick(rng, '1279')} {_between(rng, 100, 999)} {_between(rng, 1000, 9999)}"
    return f"0{_pick(rng, '34679')} {_between(rng, 200, 999)} {_between(rng, 1000, 9999)}"


def build(seed: int, customers: int, today: date) -> SeedData:
    """Build the seeded company. Same seed, count and date give the same data."""
    rng = random.Random(seed)
    data = SeedData()
    start = today - timedelta(days=3 * 365)
    for code, name, price, cur in GROUPS:
        data.groups.append(
            {
                "CustomerGroupCode": code,
                "CustomerGroupName": name,
                "DefaultPriceCode": price,
                "CurrencyCode": cur,
                "StatementAgingUnit": "P",
                "StatementAgingCount": 1,
                "PaymentUnit": "M",
                "PaymentCount": 1,
                "PaymentDayOfMonth": 20,
                "RecordRevision": 1,
            }
        )
    for code, name, basis, number in PRICE_CODES:
        data.price_codes.append(
            {
                "PriceCode": code,
                "PriceListName": name,
                "PriceListGstBasis": basis,
                "PriceNumber": number,
                "CurrencyCode": "NZD",
                "RoundingDirection": "N",
                "RoundingUnit": 0.01,
                "LineNo": number,
                "RecordRevision": 1,
            }
        )
    data.price_codes.append(
        {
            "PriceCode": "OLDLIST",
            "PriceListName": "Old list (discontinued)",
            "PriceListGstBasis": "E",
            "PriceNumber": 5,
            "CurrencyCode": "NZD",
            "RoundingDirection": "N",
            "LineNo": 5,
            "Inactive": True,
            "RecordRevision": 1,
        }
    )
    for code, name, email in SALES_PEOPLE:
        data.sales_people.append(
            {
                "SalesPersonCode": code,
                "SalesPersonName": name,
                "EmailAddress": email,
                "PhoneNo": _phone(rng, True),
                "Role": "Account Manager",
                "EditRevision": 1,
                "RecordRevision": 1,
            }
        )
    terms_pool = [t for t in TERMS for _ in range(t[3])]
    used_codes: set[str] = set()
    base_counts: dict[str, int] = {}
    ids = {"contact": 0, "addr": 0, "txn": 0, "alloc": 0, "inv": 0, "order": 0, "line": 0}
    for n in range(customers):
        au = rng.random() < 0.03
        suburb, city, post = _pick(rng, AU_PLACES if au else PLACES)
        name = _company_name(rng, suburb)
        base = _code_base(name)
        k = base_counts.get(base, 0) + 1
        base_counts[base] = k
        code = base if k == 1 else f"{base}{k:02d}"
        while code in used_codes:
            code = f"{base}{n}{k}"
            k += 1
        used_codes.add(code)
        created = start + timedelta(days=_between(rng, 0, 700))
        group = "AUSTRAL" if au else _pick(rng, ("TRADE", "TRADE", "RETAIL", "WHOLESAL"))
        unit, count, day, _w = _pick(rng, terms_pool)
        domain_word = slug(name.replace(" Ltd", "").replace(" Trust", ""))[:24] or "cust"
        domain = f"{domain_word}.{'com.au' if au else 'co.nz'}"
        has_email = rng.random() < 0.9
        generic = rng.random() < 0.08
        email_domain = _pick(rng, GENERIC_DOMAINS) if generic else domain
        cust: Row = {
            "CustomerCode": code,
            "CustomerName": name,
            "CustomerType": "N" if rng.random() < 0.95 else "C",
            "CustomerGroupCode": group,
            "Address1": f"{_between(rng, 1, 400)} {_pick(rng, STREETS)}",
            "Address2": suburb,
            "Address3": city,
            "PostCode": post,
            "CountryCode": "AU" if au else "NZ",
            "PhoneNo": ("+61 2 " if au else "") + _phone(rng),
            "EmailAddress": f"accounts@{email_domain}" if has_email else "",
            "StatementEmail": f"accounts@{email_domain}" if has_email else "",
            "WebAddress": f"https://www.{domain}" if has_email and not generic else "",
            "BusinessNo": ("" if au or rng.random() < 0.12 else checkdigits.make_nzbn(rng)),
            "TaxNo": checkdigits.make_abn(rng) if au else checkdigits.make_ird(rng),
            "CurrencyCode": "AUD" if au else "NZD",
            "RegimeCode": "AU" if au else "NZ",
            "SalesPersonCode": _pick(rng, SALES_PEOPLE)[0],
            "PriceCode": "RETAIL" if group == "RETAIL" else _pick(rng, ("TRADE", "WHOLE")),
            "CreditLimit": _pick(rng, (0, 2000, 5000, 10000, 20000, 50000)),
            "StopCredit": rng.random() < 0.04,
            "StatementStyle": "O",
            "StatementAgingUnit": "P",
            "StatementAgingCount": 1,
            "PaymentUnit": unit,
            "PaymentCount": count,
            "PaymentDayOfMonth": day,
            "AutoAllocate": "A",
            "CreatedUserCode": "ADMIN",
            "CreatedTime": "09:00:00",
            "ModifiedUserCode": "ADMIN",
            "ModifiedTime": "09:00:00",
            "EditRevision": 1,
            "RecordRevision": 1,
            "AccountFile": "ARCUST",
            "AccountCode": code,
            **_stamp(created),
        }
        data.customers.append(cust)
        # contacts
        primary_id = 0
        for c in range(_pick(rng, (1, 1, 2, 2, 3))):
            ids["contact"] += 1
            first, last = _pick(rng, FIRST_NAMES), _pick(rng, SURNAMES)
            data.contacts.append(
                {
                    "ContactID": ids["contact"],
                    "CustomerCode": code,
                    "IsPrimary": c == 0,
                    "PrimaryContact": c == 0,
                    "FirstName": first,
                    "LastName": last,
                    "FullName": f"{first} {last}",
                    "ContactName": f"{first} {last}",
                    "FirstNameLastName": f"{first} {last}",
                    "LastNameFirstName": f"{last}, {first}",
                    "Role": _pick(rng, ROLES),
                    "EmailAddress": (
                        f"{slug(first)}.{slug(last)}@{email_domain}" if has_email else ""
                    ),
                    "PhoneNo": _phone(rng, mobile=True),
                    "LineNo": c + 1,
                    "RecordRevision": 1,
                    "AccountFile": "ARCONTCT",
                    "AccountCode": str(ids["contact"]),
                    **_stamp(created),
                }
            )
            if c == 0:
                primary_id = ids["contact"]
        cust["PrimaryContactID"] = primary_id
        for a in range(_pick(rng, (0, 1, 1, 2))):
            ids["addr"] += 1
            dsub, dcity, dpost = _pick(rng, AU_PLACES if au else PLACES)
            data.addresses.append(
                {
                    "AddressID": ids["addr"],
                    "AddressNo": a + 1,
                    "CustomerCode": code,
                    "DeliveryCode": "MAIN" if a == 0 else f"SITE{a}",
                    "DeliveryAddress1": f"{_between(rng, 1, 400)} {_pick(rng, STREETS)}",
                    "DeliveryAddress2": dsub,
                    "DeliveryAddress3": dcity,
                    "DeliveryPostCode": dpost,
                    "DeliveryCountryCode": "AU" if au else "NZ",
                    "RecordRevision": 1,
                }
            )
        _history(rng, data, ids, cust, today)
    return data


def _history(
    rng: random.Random, data: SeedData, ids: dict[str, int], cust: Row, today: date
) -> None:
    """Invoices over the last ~5 months, most older ones paid by receipts, a few credits."""
    code = cust["CustomerCode"]
    unit, count, day = cust["PaymentUnit"], cust["PaymentCount"], cust["PaymentDayOfMonth"]
    for _ in range(_pick(rng, (0, 1, 2, 3, 3, 4, 5))):
        tdate = today - timedelta(days=_between(rng, 0, 150))
        net = money(_pick(rng, (1, 1, 2, 5, 10)) * rng.uniform(20, 400))
        gross = money(net * (1 + GST_RATE))
        ids["txn"] += 1
        ids["inv"] += 1
        inv_id = ids["txn"]
        due = due_date(tdate, unit, count, day)
        pay = due + timedelta(days=_between(rng, -10, 40))
        paid = pay < today and rng.random() < 0.85
        txn: Row = {
            "TransactionID": inv_id,
            "CustomerCode": code,
            "TransactionType": "I",
            "TransactionDate": tdate.isoformat(),
            "PeriodID": period_id(tdate),
            "Reference": f"INV{100000 + ids['inv']}",
            "TransactionAmount": gross,
            "NetAmount": net,
            "GstIncluded": money(gross - net),
            "UnallocatedAmount": 0.0 if paid else gross,
            "DueDate": due.isoformat(),
            "SourceModule": "IN",
            "SourceID": ids["inv"],
            "SalesPersonCode": cust["SalesPersonCode"],
            "CurrencyCode": cust["CurrencyCode"],
            "AutoAllocate": "A",
            "RecordRevision": 2 if paid else 1,
            **_stamp(tdate),
        }
        data.transactions.append(txn)
        data.invoices.append(_invoice(cust, txn))
        if paid:
            ids["txn"] += 1
            txn["DateFullyPaid"] = pay.isoformat()
            txn["PeriodFullyAllocated"] = period_id(pay)
            data.transactions.append(
                {
                    "TransactionID": ids["txn"],
                    "CustomerCode": code,
                    "TransactionType": "R",
                    "TransactionDate": pay.isoformat(),
                    "PeriodID": period_id(pay),
                    "Reference": f"DC {code[:10]}",
                    "TransactionAmount": gross,
                    "NetAmount": gross,
                    "UnallocatedAmount": 0.0,
                    "DateFullyPaid": pay.isoformat(),
                    "PeriodFullyAllocated": period_id(pay),
                    "CurrencyCode": cust["CurrencyCode"],
                    "AutoAllocate": "A",
                    "RecordRevision": 2,
                    **_stamp(pay),
                }
            )
            ids["alloc"] += 1
            data.allocations.append(
                {
                    "AllocationID": ids["alloc"],
                    "CustomerCode": code,
                    "DebitTransactionID": inv_id,
                    "CreditTransactionID": ids["txn"],
                    "Date": pay.isoformat(),
                    "PeriodID": period_id(pay),
                    "Amount": gross,
                    "Discount": 0.0,
                    "RecordRevision": 1,
                }
            )
    if rng.random() < 0.05:  # an unallocated credit note
        ids["txn"] += 1
        ids["inv"] += 1
        tdate = today - timedelta(days=_between(rng, 0, 60))
        net = money(rng.uniform(10, 80))
        gross = money(net * (1 + GST_RATE))
        txn = {
            "TransactionID": ids["txn"],
            "CustomerCode": code,
            "TransactionType": "C",
            "TransactionDate": tdate.isoformat(),
            "PeriodID": period_id(tdate),
            "Reference": f"CN{100000 + ids['inv']}",
            "TransactionAmount": gross,
            "NetAmount": net,
            "GstIncluded": money(gross - net),
            "UnallocatedAmount": gross,
            "SourceModule": "IN",
            "SourceID": ids["inv"],
            "CurrencyCode": cust["CurrencyCode"],
            "AutoAllocate": "N",
            "RecordRevision": 1,
            **_stamp(tdate),
        }
        data.transactions.append(txn)
        data.invoices.append(_invoice(cust, txn))
    for _ in range(_pick(rng, (0, 0, 1, 1, 2, 3))):
        _order(rng, data, ids, cust, today)


MEMO_NOTES = [
    ("Credit check done", "Trade references checked; limit approved by Aroha."),
    ("Payment plan agreed", "Agreed to clear the balance over three months. Ka pai."),
    ("Statement queried", "Customer queried a credit on last month's statement."),
    ("Discount promised", "Sales promised 5% off the next order over $2,000."),
    ("Call before delivery", "Ring the site manager before any delivery to Tōtara Street."),
]


def memos(seed: int, customers: Sequence[Row], today: date) -> list[Row]:
    """Notes the accounts team keeps on some debtors (ARMemo, reference 10.8a).

    Drawn from their own random stream so adding them left the rest of the seed unchanged.
    """
    rng = random.Random(seed * 7_919 + 11)
    out: list[Row] = []
    for cust in customers:
        if rng.random() >= 0.08:
            continue
        subject, text = _pick(rng, MEMO_NOTES)
        day = (today - timedelta(days=_between(rng, 1, 200))).isoformat()
        out.append(
            {
                "MemoID": len(out) + 1,
                "CustomerCode": cust["CustomerCode"],
                "AccountFile": "ARCUST",
                "AccountCode": cust["CustomerCode"],
                "MemoType": "M",
                "MemoDate": day,
                "MemoTime": "10:30:00",
                "MemoDateTime": f"{day}T10:30:00",
                "Subject": subject,
                "Memo": {"Text": text},
                "CreatedUserCode": "ADMIN",
                "CreatedDate": day,
                "CreatedTime": "10:30:00",
                "ModifiedUserCode": "ADMIN",
                "ModifiedDate": day,
                "ModifiedTime": "10:30:00",
                "RecordRevision": 1,
            }
        )
    return out


def _lines(rng: random.Random, ids: dict[str, int], n: int) -> list[Row]:
    lines: list[Row] = []
    for i in range(n):
        code, desc, price = _pick(rng, PRODUCTS)
        qty = float(_pick(rng, (1, 1, 2, 3, 5, 10, 20)))
        excl = money(qty * price)
        ids["line"] += 1
        lines.append(
            {
                "LineID": ids["line"],
                "LineNo": i + 1,
                "LineType": "P",
                "ProductCode": code,
                "Description": desc,
                "Unit": "EA",
                "SellingPrice": price,
                "DiscountPercentage": 0.0,
                "ExclusiveAmount": excl,
                "GstAmount": money(excl * GST_RATE),
                "InclusiveAmount": money(excl * (1 + GST_RATE)),
                "_qty": qty,
            }
        )
    return lines


def invoice_lines(seed: int, doc: Row) -> list[Row]:
    """An invoice's lines, made on demand from the seed and the document (cheap seeding).

    [assumed] LineIDs of seeded invoice lines are ``DocumentID * 100 + LineNo``.
    """
    rng = random.Random(seed * 1_000_003 + doc["DocumentID"])
    lines: list[Row] = []
    n = _pick(rng, (1, 1, 2, 3))
    weights = [rng.uniform(1, 5) for _ in range(n)]
    total_w = sum(weights)
    net = float(doc["ExclusiveAmount"])
    for i in range(n):
        code, desc, _price = _pick(rng, PRODUCTS)
        qty = float(_pick(rng, (1, 1, 2, 3, 5, 10)))
        excl = money(net * weights[i] / total_w)
        lines.append(
            {
                "LineID": doc["DocumentID"] * 100 + i + 1,
                "LineNo": i + 1,
                "LineType": "P",
                "ProductCode": code,
                "Description": desc,
                "Unit": "EA",
                "QuantitySupplied": qty,
                "SellingPrice": money(excl / qty),
                "DiscountPercentage": 0.0,
                "ExclusiveAmount": excl,
                "GstAmount": money(excl * GST_RATE),
                "InclusiveAmount": money(excl * (1 + GST_RATE)),
            }
        )
    return lines


def _invoice(cust: Row, txn: Row) -> Row:
    return {
        "DocumentID": txn["SourceID"],
        "DocumentNo": txn["Reference"],
        "DocumentType": "N",
        "DocumentClass": "I" if txn["TransactionType"] == "I" else "C",
        "PostStatus": "P",
        "PrintStatus": "P",
        "CustomerCode": cust["CustomerCode"],
        "ContactID": cust.get("PrimaryContactID", 0),
        "DocumentDate": txn["TransactionDate"],
        "DueDate": txn.get("DueDate"),
        "PeriodID": txn["PeriodID"],
        "PriceCode": cust["PriceCode"],
        "SellPriceBasis": "E",
        "SalesPersonCode": cust["SalesPersonCode"],
        "ExclusiveAmount": txn["NetAmount"],
        "GstAmount": txn["GstIncluded"],
        "GrossAmount": txn["TransactionAmount"],
        "CurrencyCode": cust["CurrencyCode"],
        "ARTransactionID": txn["TransactionID"],
        "RecordRevision": 1,
        "AccountFile": "INHEAD",
        "AccountCode": str(txn["SourceID"]),
    }


def _order(rng: random.Random, data: SeedData, ids: dict[str, int], cust: Row, today: date) -> None:
    ids["order"] += 1
    odate = today - timedelta(days=_between(rng, 0, 120))
    lines = _lines(rng, ids, _between(rng, 1, 6))
    processed = odate < today - timedelta(days=14)
    for ln in lines:
        qty = ln.pop("_qty")
        ln.update(
            LineStatus="P" if processed else "U",
            QuantityOrdered=qty,
            QuantitySupplied=qty if processed else 0.0,
            QuantityBackOrdered=0.0,
            QuantityInvoiced=qty if processed else 0.0,
            ExclusiveAmountOrdered=ln["ExclusiveAmount"],
        )
        if not processed:
            ln.update(ExclusiveAmount=0.0, GstAmount=0.0, InclusiveAmount=0.0)
    excl_ordered = money(sum(ln["ExclusiveAmountOrdered"] for ln in lines))
    excl = money(sum(ln["ExclusiveAmount"] for ln in lines))
    data.orders.append(
        {
            "DocumentID": ids["order"],
            "DocumentType": "N",
            "DocumentClass": "O",
            "PostStatus": "P" if processed else "O",
            "PrintStatus": "C" if processed else "U",
            "CustomerCode": cust["CustomerCode"],
            "ContactID": cust.get("PrimaryContactID", 0),
            "DocumentDate": odate.isoformat(),
            "DeliveryDate": (odate + timedelta(days=_between(rng, 1, 14))).isoformat(),
            "OrderNo": f"PO{_between(rng, 1000, 99999)}",
            "PeriodID": period_id(odate),
            "PriceCode": cust["PriceCode"],
            "SellPriceBasis": "E",
            "SalesPersonCode": cust["SalesPersonCode"],
            "ExclusiveAmount": excl,
            "GstAmount": money(excl * GST_RATE),
            "GrossAmount": money(excl * (1 + GST_RATE)),
            "ExclusiveAmountOrdered": excl_ordered,
            "GstAmountOrdered": money(excl_ordered * GST_RATE),
            "GrossAmountOrdered": money(excl_ordered * (1 + GST_RATE)),
            "CurrencyCode": cust["CurrencyCode"],
            "RecordRevision": 1,
            "AccountFile": "OEHEAD",
            "AccountCode": str(ids["order"]),
            "Line": lines,
        }
    )
