"""Rules for a debtor provisioned from a HubSpot company (``[provision]``). Pure.

A deal won on a company that is linked to no debtor makes the company a new ``ARCustomer``
(``sync.provision``). Here: its customer code (from the company's name, or its id, by the
configured rule; unique against the codes Accredo already has), its customer type (by the
company's original source) and its country code. Accredo's rules for a new code: 1 to 16
characters, ``A-Z`` and ``0-9`` only, upper case, unique (accredo-api.md 3.3, 6.3, 10.1).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import count
from typing import Literal

from accredo_hubspot.mapping.transforms import TransformError

#: Accredo's ``CustomerCode`` holds at most 16 characters (reference 10.1).
CUSTOMER_CODE_MAX = 16
#: The shortest code length a rule may ask for: room for a stem and a number.
CUSTOMER_CODE_MIN = 4
#: ``CustomerType`` codes (reference 3.3): Normal, Prospect, Cash, One-time.
CUSTOMER_TYPES = ("N", "P", "C", "O")
#: The stem of a company whose name has no letter or digit at all.
FALLBACK_STEM = "CUST"
#: A company's original source (HubSpot's ``hs_analytics_source``).
SOURCE_PROPERTY = "hs_analytics_source"
#: ``[provision.fields]``' name of the e-mail of the company's first contact (companies have
#: no e-mail property of their own).
CONTACT_EMAIL = "contact.email"

CodeFrom = Literal["name", "hubspot_id"]
CODE_SOURCES: tuple[CodeFrom, ...] = ("name", "hubspot_id")

#: ``[provision.fields]`` when a configuration leaves it out (as the built-in one has it;
#: ``{nzbn_property}`` is the configured NZBN property).
DEFAULT_FIELDS: Mapping[str, str] = {
    "name": "CustomerName",
    "address": "Address1",
    "address2": "Address2",
    "city": "Address3",
    "state": "Address4",
    "zip": "PostCode",
    "country": "CountryCode",
    "phone": "PhoneNo",
    "website": "WebAddress",
    "{nzbn_property}": "BusinessNo",
    CONTACT_EMAIL: "EmailAddress",
}
#: ``[provision.customer_type_by_source]`` when left out: inbound marketing makes a Prospect.
DEFAULT_TYPE_BY_SOURCE: Mapping[str, str] = {
    source: "P"
    for source in (
        "ORGANIC_SEARCH",
        "PAID_SEARCH",
        "EMAIL_MARKETING",
        "SOCIAL_MEDIA",
        "PAID_SOCIAL",
        "REFERRALS",
        "OTHER_CAMPAIGNS",
    )
}
DEFAULT_SKIP_WORDS = frozenset({"THE", "LIMITED", "LTD", "CO", "COMPANY", "NZ"})

_NOT_CODE = re.compile(r"[^A-Z0-9]+")
#: Country names HubSpot users type, as Accredo's two-letter ``CountryCode``.
COUNTRY_CODES: Mapping[str, str] = {
    "NEW ZEALAND": "NZ",
    "AOTEAROA": "NZ",
    "AOTEAROA NEW ZEALAND": "NZ",
    "AUSTRALIA": "AU",
    "UNITED STATES": "US",
    "UNITED STATES OF AMERICA": "US",
    "USA": "US",
    "UNITED KINGDOM": "GB",
    "UK": "GB",
    "FIJI": "FJ",
    "SAMOA": "WS",
    "TONGA": "TO",
    "COOK ISLANDS": "CK",
    "CANADA": "CA",
    "SINGAPORE": "SG",
    "CHINA": "CN",
    "JAPAN": "JP",
}


@dataclass(frozen=True)
class CodeRule:
    """How a new customer code is made: from the company's ``name`` (or its HubSpot id),
    folded to ``A-Z0-9`` and upper case, the ``skip_words`` left out, after ``prefix``, at
    most ``length`` characters."""

    source: CodeFrom = "name"
    length: int = 8
    prefix: str = ""
    skip_words: frozenset[str] = field(default_factory=frozenset)


def _ascii_upper(text: str) -> str:
    """Upper case with accents and macrons folded away (``Ōtāhuhu`` -> ``OTAHUHU``)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


def code_stem(name: str | None, company_id: str, rule: CodeRule) -> str:
    """The code a company would get if no debtor had it yet."""
    if rule.source == "hubspot_id":
        raw = company_id
    else:
        words = _NOT_CODE.split(_ascii_upper(name or ""))
        raw = "".join(w for w in words if w and w not in rule.skip_words)
    stem = (rule.prefix + _NOT_CODE.sub("", raw))[: rule.length]
    return stem or (rule.prefix + FALLBACK_STEM)[: rule.length]


def code_candidates(stem: str, length: int) -> Iterable[str]:
    """``stem``, then numbered variants within ``length`` (``ACMETRAD``, ``ACMETRA2``, ...,
    ``ACMETR10``): the number replaces the stem's last characters when there is no room."""
    yield stem
    for number in count(2):
        suffix = str(number)
        if len(suffix) >= length:
            return
        yield stem[: length - len(suffix)] + suffix


def code_search_prefix(stem: str, length: int) -> str:
    """What every candidate up to the 999th shares: the codes to read from Accredo before
    choosing (``startswith``)."""
    return stem[: max(1, min(len(stem), length - 3))]


def choose_code(stem: str, taken: Collection[str], length: int) -> str | None:
    """The first candidate no debtor has (``taken``: upper-case codes); None if all are."""
    return next((c for c in code_candidates(stem, length) if c not in taken), None)


def customer_type(source: object, by_source: Mapping[str, str], default: str) -> str:
    """The new debtor's ``CustomerType``: the one its original source is mapped to (a
    form-intake prospect: ``ORGANIC_SEARCH`` -> ``P``), else ``default``."""
    key = source.strip().upper() if isinstance(source, str) else ""
    return by_source.get(key, default)


def country_code(value: object, field: str = "CountryCode") -> str:
    """A country as Accredo's two-letter code: a code as it is, a name HubSpot users type
    (``New Zealand``), else ``TransformError`` naming ``field``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    if not isinstance(value, str):
        raise TransformError(field, value, "expected a country name or code")
    folded = " ".join(_ascii_upper(value).replace(".", "").split())
    if re.fullmatch(r"[A-Z]{2}", folded):
        return folded
    code = COUNTRY_CODES.get(folded)
    if code is None:
        raise TransformError(field, value, "not a country this connector knows a code for")
    return code
