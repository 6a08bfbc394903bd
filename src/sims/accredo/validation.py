"""Write validation against the spec's field definitions (reference 6.3), pure functions.

Strict on purpose: over-long strings, text outside Windows-1252 in ``unicode: false`` fields,
wrong JSON types, unknown properties and labels instead of codes are all refused, naming the
field. Read-only properties and ``@odata`` annotations in a body are ignored (reference 6.1).
"""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Any

from sims.accredo.schema import EntityDef, FieldDef

#: Code fields that Accredo's domains flag "Uppercase" (reference 3.3); upper-cased on write.
UPPERCASE_FIELDS = frozenset(
    {
        "CustomerCode",
        "CustomerGroupCode",
        "SalesPersonCode",
        "PriceCode",
        "DefaultPriceCode",
        "PostCode",
        "CountryCode",
        "DeliveryPostCode",
        "DeliveryCountryCode",
        "BillToAccountCode",
        "CurrencyCode",
        "RegimeCode",
        "SalesAreaCode",
    }
)
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: Times are ``HH:MM:SS`` (reference 3.3 [assumed]); ``HH:MM`` alone is refused.
_TIME_RE = re.compile(r"^\d{2}:\d{2}:\d{2}$")
#: [assumed] ``...DateTime`` fields (ARMemo) read and write as ``YYYY-MM-DDTHH:MM:SS``.
_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")


def _real_date_time(text: str) -> bool:
    """A well-formed date/time is also a real one (no 2025-02-30, no 25:00)."""
    try:
        if "T" in text or "-" in text:
            datetime.fromisoformat(text if "T" in text else f"{text}T00:00:00")
        else:
            time.fromisoformat(text)
    except ValueError:
        return False
    return True


class ValidationFailed(ValueError):
    """A write the simulator refuses with 400, naming the property (``target``)."""

    def __init__(self, target: str, message: str) -> None:
        super().__init__(message)
        self.target = target
        self.message = message


def is_windows_1252(text: str) -> bool:
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def check_value(f: FieldDef, value: Any, where: str = "") -> Any:
    """Check one property value; returns the value as stored (codes upper-cased)."""
    label = f"{where}{f.name}"
    if value is None:
        # Only an empty date is null (reference 3.3); text is cleared with "" (wrong type, 6.3).
        if f.is_date:
            return None
        raise ValidationFailed(label, f"Property '{label}' may not be null.")
    if f.type == "string":
        if not isinstance(value, str):
            raise ValidationFailed(label, f"Property '{label}' must be a string.")
        if f.is_date and value:
            pattern = (
                _DATETIME_RE
                if f.name.endswith("DateTime")
                else _TIME_RE
                if f.name.endswith("Time")
                else _DATE_RE
            )
            if not pattern.match(value) or not _real_date_time(value):
                raise ValidationFailed(label, f"Property '{label}' is not a valid date/time.")
        if f.max_length is not None and len(value) > f.max_length:
            raise ValidationFailed(
                label,
                f"Property '{label}' is longer than its maximum length of {f.max_length}.",
            )
        if not f.unicode and not is_windows_1252(value):
            raise ValidationFailed(
                label,
                f"Property '{label}' contains characters outside Windows-1252 "
                "(it is not a unicode field).",
            )
        if f.codes is not None and value not in f.codes:
            raise ValidationFailed(
                label,
                f"Property '{label}' must be one of the codes {', '.join(f.codes)}.",
            )
        if f.name in UPPERCASE_FIELDS:
            return value.upper()
        return value
    if f.type == "boolean":
        if not isinstance(value, bool):
            raise ValidationFailed(label, f"Property '{label}' must be true or false.")
        return value
    if f.type == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationFailed(label, f"Property '{label}' must be an integer.")
        return value
    if f.type == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationFailed(label, f"Property '{label}' must be a number.")
        return value
    if f.type == "object":
        if isinstance(value, dict | list):
            raise ValidationFailed(label, f"Property '{label}' must be a simple value.")
        return value
    raise ValidationFailed(label, f"Property '{label}' cannot be written.")


def clean_body(
    entity: EntityDef,
    body: Any,
    allowed_navs: tuple[str, ...] = (),
    item_fields: dict[str, dict[str, FieldDef]] | None = None,
) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """Validate a POST/PATCH/PUT body. Returns (writable scalar values, nested arrays)."""
    if not isinstance(body, dict):
        raise ValidationFailed("", "The request body must be a JSON object.")
    values: dict[str, Any] = {}
    navs: dict[str, list[dict[str, Any]]] = {}
    for name, value in body.items():
        if "@odata." in name or name.startswith("@"):
            continue
        f = entity.fields.get(name)
        if f is None:
            raise ValidationFailed(name, f"'{name}' is not a property of {entity.name}.")
        if f.type in ("array", "ref"):
            if name not in allowed_navs:
                raise ValidationFailed(
                    name, f"'{name}' cannot be written through {entity.name} here."
                )
            sub = (item_fields or {}).get(name, {})
            if f.type == "ref":  # one object (ARMemo.Memo): kept as a one-item list
                if not isinstance(value, dict):
                    raise ValidationFailed(name, f"Property '{name}' must be an object.")
                navs[name] = [_clean_item(name, value, sub, f"{name}/")]
                continue
            if not isinstance(value, list):
                raise ValidationFailed(name, f"Property '{name}' must be an array.")
            items: list[dict[str, Any]] = []
            for i, item in enumerate(value):
                if not isinstance(item, dict):
                    raise ValidationFailed(name, f"Items of '{name}' must be objects.")
                items.append(_clean_item(name, item, sub, f"{name}[{i}]/"))
            navs[name] = items
            continue
        if f.read_only:
            continue
        values[name] = check_value(f, value)
    return values, navs


def _clean_item(
    nav: str, item: dict[str, Any], sub: dict[str, FieldDef], where: str
) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for iname, ivalue in item.items():
        if "@odata." in iname:
            continue
        sf = sub.get(iname)
        if sf is None:
            raise ValidationFailed(f"{nav}/{iname}", f"'{iname}' is not a property of {nav}.")
        if sf.read_only:
            continue
        clean[iname] = check_value(sf, ivalue, where)
    return clean


def parse_if_match(header: str) -> str:
    """The eTag in an If-Match header, as-is, quoted or weak (reference 6.2)."""
    value = header.strip()
    if value.startswith("W/"):
        value = value[2:]
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return value
