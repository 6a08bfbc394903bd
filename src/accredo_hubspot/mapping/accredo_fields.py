"""What Accredo accepts in the string fields the sync writes (accredo-api.md 3.3, 6.3, 10.1,
10.3), checked before sending. Pure.

Accredo's documentation does not say whether it truncates an over-long value or refuses it, and
a ``unicode: false`` field is stored in a Windows single-byte code page where a macron does not
exist. So the connector never lets Accredo decide: a value that does not fit is an error naming
the field (a dead letter), unless the mapping says to truncate, and a character the field
cannot hold is always an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from accredo_hubspot.mapping.transforms import TransformError

#: The code page of Accredo's non-unicode fields [assumed, reference 3.3].
ANSI_CODEPAGE = "cp1252"


@dataclass(frozen=True, slots=True)
class AccredoField:
    """A string field's limits: ``max_length`` characters; ``unicode`` false means only
    Windows-1252 characters."""

    max_length: int
    unicode: bool


def _f(max_length: int, unicode: bool = False) -> AccredoField:
    return AccredoField(max_length, unicode)


#: ``ARContact``'s writable string fields (reference 10.3).
CONTACT_FIELDS: Mapping[str, AccredoField] = {
    "Title": _f(10),
    "FirstName": _f(20, unicode=True),
    "MiddleName": _f(20, unicode=True),
    "LastName": _f(20, unicode=True),
    "Suffix": _f(10),
    "FullName": _f(84, unicode=True),
    "Role": _f(35),
    "EmailAddress": _f(120),
    "PhoneNo": _f(20),
    "PhoneNo2": _f(20),
    "PhoneNo3": _f(20),
    "Comment": _f(60),
    "Custom1": _f(30),
    "Custom2": _f(30),
    "Category1": _f(8),
    "Category2": _f(8),
}

#: ``ARCustomer``'s writable string fields a HubSpot-mastered rule may name (reference 10.1).
CUSTOMER_FIELDS: Mapping[str, AccredoField] = {
    "CustomerName": _f(60, unicode=True),
    "Address1": _f(40, unicode=True),
    "Address2": _f(40, unicode=True),
    "Address3": _f(40, unicode=True),
    "Address4": _f(40, unicode=True),
    "Address5": _f(40, unicode=True),
    "PostCode": _f(10),
    "CountryCode": _f(2),
    "PhoneNo": _f(20),
    "PhoneNo2": _f(20),
    "PhoneNo3": _f(20),
    "EmailAddress": _f(120),
    "StatementEmail": _f(120),
    "InvoiceEmail": _f(120),
    "WebAddress": _f(255),
    "BusinessNo": _f(20),
    "TaxNo": _f(20),
    "SalesPersonCode": _f(8),
    "SalesAreaCode": _f(8),
    "Category1": _f(8),
    "Category2": _f(8),
    "Comment": _f(30),
}


def fit_accredo(
    value: str, field: str, limits: AccredoField, *, max_length: int | None, truncate: bool
) -> str:
    """``value`` as Accredo will store it, or ``TransformError`` naming ``field``.

    The length allowed is the field's, or the mapping's ``max_length`` when smaller; a longer
    value is cut (trailing blanks dropped) only when ``truncate``. A character a non-unicode
    field cannot hold is never replaced.
    """
    if not limits.unicode:
        bad = _first_unencodable(value)
        if bad is not None:
            raise TransformError(
                field,
                value,
                f"Accredo stores {field} without unicode: {bad!r} cannot be stored "
                "(only Windows-1252 characters)",
            )
    limit = limits.max_length if max_length is None else min(max_length, limits.max_length)
    if len(value) <= limit:
        return value
    if truncate:
        return value[:limit].rstrip()
    raise TransformError(
        field, value, f"longer than Accredo's {limit} characters for {field} ({len(value)})"
    )


def _first_unencodable(value: str) -> str | None:
    try:
        value.encode(ANSI_CODEPAGE)
    except UnicodeEncodeError as exc:
        return value[exc.start]
    return None
