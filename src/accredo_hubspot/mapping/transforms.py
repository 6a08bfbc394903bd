"""Pure value transforms from Accredo values to HubSpot property strings, and match normalisers.

HubSpot property values are strings (hubspot-api.md section 6 and pitfalls 11-13): numbers as
plain decimals with no thousands separators, ``date`` as ``YYYY-MM-DD`` (midnight UTC),
``datetime`` as ISO 8601 UTC with milliseconds, booleans ``"true"``/``"false"``, enumerations as
the option *value*. An empty string clears a property. Money is ``Decimal`` throughout: a float
is refused rather than silently carrying binary rounding error.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from accredo_hubspot.errors import ConnectorError

#: The business's calendar: an Accredo timestamp's date is its date in New Zealand.
DEFAULT_TIMEZONE = ZoneInfo("Pacific/Auckland")

#: HubSpot's limit for a string property value (hubspot-api.md section 6).
HUBSPOT_TEXT_MAX_CHARS = 65_536

_CENT = Decimal("0.01")
_TENTH = Decimal("0.1")
_ONE = Decimal(1)


class TransformError(ConnectorError):
    """A value cannot become a valid HubSpot value; names the field, the value and why."""

    def __init__(self, field: str, value: object, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{field}: {reason} (value {value!r})")


def _decimal(value: object, field: str) -> Decimal:
    if type(value) is Decimal and value.is_finite():  # the common case, checked first
        return value
    if isinstance(value, float):
        raise TransformError(field, value, "expected a Decimal, int or numeric string, not a float")
    if isinstance(value, bool):
        raise TransformError(field, value, "expected a number, not true/false")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation as exc:
            raise TransformError(field, value, "not a number") from exc
    else:
        raise TransformError(field, value, "expected a number")
    if not result.is_finite():
        raise TransformError(field, value, "not a finite number")
    return result


def _plain(number: Decimal) -> str:
    """Fixed-point text with no exponent, and no negative zero."""
    if not number:
        number = abs(number)
    return format(number, "f")


def money(value: object, field: str = "money") -> str:
    """Round to cents, half up: ``Decimal("1234.5")`` -> ``"1234.50"``; ``None`` -> ``""``."""
    if value is None:
        return ""
    return _plain(_decimal(value, field).quantize(_CENT, rounding=ROUND_HALF_UP))


def number(value: object, field: str = "number", decimals: int | None = None) -> str:
    """A plain decimal; rounded half up to ``decimals`` places when given."""
    if value is None:
        return ""
    result = _decimal(value, field)
    if decimals is not None:
        result = result.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    elif result == result.to_integral_value():
        result = result.quantize(_ONE)
    else:
        result = result.normalize()
    return _plain(result)


def integer(value: object, field: str = "integer") -> str:
    """A whole number, rounded half up."""
    if value is None:
        return ""
    return _plain(_decimal(value, field).quantize(_ONE, rounding=ROUND_HALF_UP))


def percent(value: object, field: str = "percent") -> str:
    """A percentage to one decimal place: ``Decimal("87.25")`` -> ``"87.3"``."""
    if value is None:
        return ""
    return _plain(_decimal(value, field).quantize(_TENTH, rounding=ROUND_HALF_UP))


def to_local_date(value: date | datetime, tz: ZoneInfo = DEFAULT_TIMEZONE) -> date:
    """The calendar date of ``value`` in ``tz``; naive datetimes are already local time."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.date()
        return value.astimezone(tz).date()
    return value


def date_value(value: object, field: str = "date", tz: ZoneInfo = DEFAULT_TIMEZONE) -> str:
    """A HubSpot ``date``: ``YYYY-MM-DD``, which HubSpot reads as midnight UTC that day.

    An aware datetime is first taken to its calendar date in ``tz`` (New Zealand, so an
    invoice stamped 00:30 NZ time stays on its NZ date, whatever the daylight-saving offset).
    Sending NZ-midnight as epoch ms would land on the previous UTC day (pitfall 11).
    """
    if value is None:
        return ""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return ""
        try:
            return date.fromisoformat(text[:10]).isoformat()
        except ValueError as exc:
            raise TransformError(field, value, "expected a date YYYY-MM-DD") from exc
    if isinstance(value, date):
        return to_local_date(value, tz).isoformat()
    raise TransformError(field, value, "expected a date")


def date_epoch_ms(day: date) -> int:
    """Midnight UTC of ``day`` in epoch milliseconds, HubSpot's other ``date`` form."""
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) * 1000


def datetime_value(value: object, field: str = "datetime") -> str:
    """A HubSpot ``datetime``: ISO 8601 in UTC with milliseconds, ``2026-04-05T01:02:03.000Z``."""
    if value is None:
        return ""
    if not isinstance(value, datetime):
        raise TransformError(field, value, "expected a datetime")
    if value.tzinfo is None:
        raise TransformError(field, value, "expected a timezone-aware datetime")
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def bool_value(value: object, field: str = "bool") -> str:
    """``"true"`` / ``"false"``; ``None`` clears."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    raise TransformError(field, value, "expected true or false")


def text(value: object, field: str = "text", max_length: int | None = None) -> str:
    """Text in NFC form with surrounding whitespace trimmed; over ``max_length`` is an error.

    NFC keeps a macron as one character (``ā``, not ``a`` + combining macron), so the same
    name always produces the same value and the shadow comparison stays exact.
    """
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TransformError(field, value, "expected text")
    result = unicodedata.normalize("NFC", value).strip()
    limit = HUBSPOT_TEXT_MAX_CHARS if max_length is None else max_length
    if len(result) > limit:
        raise TransformError(field, value, f"longer than {limit} characters ({len(result)})")
    return result


def enum_value(value: object, options: Collection[str], field: str = "enum") -> str:
    """An enumeration option value, which must be one of ``options`` exactly (pitfall 13)."""
    if value is None:
        return ""
    result = str(value)
    if result not in options:
        allowed = ", ".join(sorted(options))
        raise TransformError(field, value, f"not one of the property's options ({allowed})")
    return result


def domain_value(value: object, field: str = "domain") -> str:
    """A company ``domain`` from a web address: ``https://www.Example.co.nz/x`` -> host."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TransformError(field, value, "expected a web address")
    return web_domain(value) or ""


# -- normalisers for matching -------------------------------------------------------------------
# Pure functions of one string, called for every debtor by the matcher and again by the
# planner (and for every company listed): cached.

_NON_DIGITS = re.compile(r"[\s\-.]")
_ABN_WEIGHTS = (10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19)


def _digits(raw: str | None, length: int) -> str | None:
    if raw is None:
        return None
    digits = _NON_DIGITS.sub("", raw)
    if len(digits) != length or not digits.isascii() or not digits.isdigit():
        return None
    return digits


def gs1_check_digit(body: str) -> int:
    """The GS1 check digit of ``body`` (weights 3 and 1 alternating from the right)."""
    total = 3 * sum(map(int, body[::-1][::2])) + sum(map(int, body[::-1][1::2]))
    return (10 - total % 10) % 10


@functools.lru_cache(maxsize=65_536)
def normalise_nzbn(raw: str | None) -> str | None:
    """13 digits with a valid GS1 check digit (spaces and dashes ignored), else ``None``."""
    digits = _digits(raw, 13)
    if digits is None or gs1_check_digit(digits[:12]) != int(digits[12]):
        return None
    return digits


def abn_is_valid(digits: str) -> bool:
    """The ABN checksum: subtract 1 from the first digit, weight, sum, divisible by 89."""
    values = [int(d) for d in digits]
    values[0] -= 1
    return sum(w * v for w, v in zip(_ABN_WEIGHTS, values, strict=True)) % 89 == 0


@functools.lru_cache(maxsize=65_536)
def normalise_abn(raw: str | None) -> str | None:
    """11 digits passing the ABN checksum (spaces ignored), else ``None``."""
    digits = _digits(raw, 11)
    if digits is None or not abn_is_valid(digits):
        return None
    return digits


@functools.lru_cache(maxsize=65_536)
def _idna_host(host: str) -> str | None:
    """Pure, and called for every debtor's e-mail and web domain: cached."""
    host = unicodedata.normalize("NFC", host).strip().strip(".").lower()
    if host.startswith("www."):
        host = host[4:]
    if not host or "." not in host or any(c.isspace() for c in host):
        return None
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    return ascii_host.lower()


@functools.lru_cache(maxsize=65_536)
def email_domain(email: str | None) -> str | None:
    """The lower-case (IDNA ASCII) domain of an e-mail address, or ``None``."""
    if not email:
        return None
    address = email.strip()
    if "@" not in address:
        return None
    local, _, host = address.rpartition("@")
    if not local:
        return None
    return _idna_host(host)


@functools.lru_cache(maxsize=65_536)
def web_domain(url: str | None) -> str | None:
    """The host of a web address: scheme, user, port, path and ``www.`` stripped, lower case."""
    if not url or not url.strip():
        return None
    candidate = url.strip()
    if "://" not in candidate:
        candidate = "//" + candidate
    try:
        host = urlsplit(candidate).hostname
    except ValueError:
        return None
    if host is None:
        return None
    return _idna_host(host)


@dataclass(frozen=True, slots=True)
class NoSalesPerson:
    """A HubSpot owner that is no Accredo sales person (no ``ARSalesPerson.EmailAddress`` and
    no ``[owners.sales_persons]`` entry): reported, never guessed."""

    owner_id: str
    email: str | None


def sales_person(value: object, field: str = "SalesPersonCode", max_length: int = 8) -> str:
    """A sales person code the spec resolved from the owner; an owner with none is an error
    naming the owner (a dead letter: listed once, while the problem stays open)."""
    if isinstance(value, NoSalesPerson):
        who = value.email or f"owner {value.owner_id}"
        raise TransformError(
            field,
            value.owner_id,
            f"HubSpot owner {who} is no Accredo sales person (no ARSalesPerson with that "
            "EmailAddress); add one, or map the owner in [owners.sales_persons]",
        )
    return text(value, field, max_length)
