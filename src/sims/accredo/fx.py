"""Base-currency (``...Bs``) amounts of foreign-currency rows (reference 3.3), pure functions.

Fields ending ``Bs`` are in the company's base currency (NZD), the plain ones in the
customer's currency [spec field pairs; help: ARCustomers_Balances.htm]. The reference gives no
rates, so the simulator keeps one fixed selling rate per currency [assumed], quoted the New
Zealand way as units of the foreign currency per one NZD, carried on each document as
``ExchangeRate``: base amount = amount / rate. NZD rows have rate 1 and ``Bs`` = amount.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from typing import Any

from sims.accredo.company import BASE_CURRENCY

#: [assumed] units of each currency per one NZD (fixed: no revaluation in the simulator).
RATES: dict[str, float] = {BASE_CURRENCY: 1.0, "AUD": 0.92, "USD": 0.6, "GBP": 0.47}
#: [assumed] Accredo's default rate type for foreign sales ("SELL", FX settings help page).
RATE_TYPE = "SELL"

#: Amount fields that have a ``Bs`` twin, per record kind.
TRANSACTION_AMOUNTS = ("TransactionAmount", "NetAmount", "GstIncluded", "UnallocatedAmount")
DOCUMENT_AMOUNTS = (
    "ExclusiveAmount",
    "GstAmount",
    "GrossAmount",
    "ExclusiveAmountOrdered",
    "GstAmountOrdered",
    "GrossAmountOrdered",
)
LINE_AMOUNTS = (
    "SellingPrice",
    "ExclusiveAmount",
    "GstAmount",
    "InclusiveAmount",
    "ExclusiveAmountOrdered",
)


def rate(currency: str | None) -> float:
    """Units of ``currency`` per one NZD; an unknown currency is a set-up error."""
    return RATES[currency or BASE_CURRENCY]


def to_base(amount: Any, fx_rate: float) -> float:
    if fx_rate == 1.0:
        return float(amount or 0)
    return round(float(amount or 0) / fx_rate, 2) + 0.0


def base_values(
    row: MutableMapping[str, Any], fields: Iterable[str], fx_rate: float
) -> dict[str, float]:
    """The ``Bs`` twins of ``fields`` present in ``row``, at ``fx_rate``."""
    return {f"{f}Bs": to_base(row[f], fx_rate) for f in fields if f in row}


def set_base(row: MutableMapping[str, Any], fields: Iterable[str], fx_rate: float) -> None:
    """Write the ``Bs`` twins into ``row`` (NZD rows, most of them, just copy: seeding stays
    cheap for tens of thousands of debtors)."""
    if fx_rate == 1.0:
        for f in fields:
            if f in row:
                row[f"{f}Bs"] = row[f]
        return
    row.update(base_values(row, fields, fx_rate))


def fill(row: MutableMapping[str, Any], fields: Iterable[str], currency: str | None) -> None:
    """Set a new row's rate, rate type, base currency and ``Bs`` amounts."""
    fx_rate = row["ExchangeRate"] = rate(currency)
    row["RateType"] = RATE_TYPE
    row["BaseCurrencyCode"] = BASE_CURRENCY
    set_base(row, fields, fx_rate)
