"""Checking and normalising one property value as HubSpot does (reference 2.1 and 6). Pure."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from functools import cache, lru_cache
from importlib import resources

from sims.hubspot.errors import (
    INVALID_BOOL_MESSAGE,
    INVALID_DATE_MESSAGE,
    INVALID_DATETIME_MESSAGE,
    INVALID_EMAIL_MESSAGE,
    INVALID_NUMBER_MESSAGE,
    PropertyProblem,
)
from sims.hubspot.portal import PropertyDef
from sims.hubspot.timeutil import iso_ms, parse_iso_ms

NUMBER_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
EMAIL_RE = re.compile(r"^[^@\s]+@([^@\s.]+\.)+([^@\s.]+)$")
TLD_FILE = "tlds.json"
MAX_STRING_CHARS = 65_536
DAY_MS = 86_400_000
DATE_OUTPUT_FORMAT = "%Y-%m-%d"
"""[assumed] reference 14: date values are answered as ``YYYY-MM-DD``."""


def as_text(raw: object) -> str | None:
    """Input values may be JSON strings, numbers or booleans; HubSpot reads them as text."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)


def _options_text(prop: PropertyDef) -> str:
    parts = [f'label: "{o["label"]}"\nvalue: "{o["value"]}"\n' for o in prop.options]
    return "[" + ", ".join(parts) + "]"


def normalise(
    prop: PropertyDef, raw: object, current: str | None, owner_ids: set[str]
) -> tuple[str | None, PropertyProblem | None]:
    """The value to store (None clears) or the problem HubSpot reports for it."""
    text = as_text(raw)
    if text is None or text == "":
        return None, None
    if prop.type == "number":
        if not NUMBER_RE.match(text.strip()):
            return None, PropertyProblem(
                prop.name, "INVALID_LONG", INVALID_NUMBER_MESSAGE.format(value=text)
            )
        return text.strip(), None
    if prop.type == "bool":
        if text.lower() not in ("true", "false"):
            return None, PropertyProblem(
                prop.name, "INVALID_BOOLEAN", INVALID_BOOL_MESSAGE.format(value=text)
            )
        return text.lower(), None
    if prop.type == "date":
        return _date(prop, text)
    if prop.type == "datetime":
        return _datetime(prop, text)
    if prop.type == "enumeration":
        return _enumeration(prop, text, current, owner_ids)
    if len(text) > MAX_STRING_CHARS:
        return None, PropertyProblem(
            prop.name, "INVALID_STRING", f"Value is longer than {MAX_STRING_CHARS} characters."
        )
    if prop.name == "email" and not valid_email(text):
        return None, PropertyProblem(
            prop.name, "INVALID_EMAIL", INVALID_EMAIL_MESSAGE.format(value=text)
        )
    return text, None


@cache
def top_level_domains() -> frozenset[str]:
    """The top-level domains an address may end in, from the data file beside this module."""
    raw = json.loads(resources.files("sims.hubspot").joinpath(TLD_FILE).read_text("utf-8"))
    return frozenset(str(t).lower() for key in ("country", "generic") for t in raw[key])


def valid_email(text: str) -> bool:
    """``a@b.c`` whose domain ends in a real top-level domain (reference 2.1:
    ``x@example.comtttt`` is refused)."""
    found = EMAIL_RE.match(text)
    return found is not None and found.group(2).lower() in top_level_domains()


def _date(prop: PropertyDef, text: str) -> tuple[str | None, PropertyProblem | None]:
    problem = PropertyProblem(prop.name, "INVALID_DATE", INVALID_DATE_MESSAGE.format(value=text))
    if DATE_RE.match(text):
        try:
            datetime.strptime(text, DATE_OUTPUT_FORMAT)
        except ValueError:
            return None, problem
        return text, None
    if text.isdigit():
        epoch_ms = int(text)
        if epoch_ms % DAY_MS != 0:
            return None, problem
        day = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
        return day.strftime(DATE_OUTPUT_FORMAT), None
    return None, problem


def _datetime(prop: PropertyDef, text: str) -> tuple[str | None, PropertyProblem | None]:
    if text.lstrip("-").isdigit():
        return iso_ms(int(text)), None
    parsed = parse_iso_ms(text) if "T" in text or DATE_RE.match(text) else None
    if parsed is None:
        return None, PropertyProblem(
            prop.name, "INVALID_DATE", INVALID_DATETIME_MESSAGE.format(value=text)
        )
    return iso_ms(parsed), None


def _enumeration(
    prop: PropertyDef, text: str, current: str | None, owner_ids: set[str]
) -> tuple[str | None, PropertyProblem | None]:
    allowed = owner_ids if prop.referenced_object_type == "OWNER" else prop.option_values()
    multi = prop.field_type == "checkbox"
    appending = multi and text.startswith(";")
    values = [v for v in text.split(";") if v != ""] if multi else [text]
    if not prop.external_options or prop.referenced_object_type == "OWNER":
        bad = [v for v in values if v not in allowed]
        if bad and not (prop.read_only_value and not prop.options):
            return None, PropertyProblem(
                prop.name,
                "INVALID_OPTION",
                f"{bad[0]} was not one of the allowed options: {_options_text(prop)}",
            )
    if appending and current:
        existing = current.split(";")
        values = existing + [v for v in values if v not in existing]
    return ";".join(values), None


#: Distinct date values remembered by ``comparable_day_ms``: a search compares every record's
#: value (and sorts by it) on every page, and parsing them again was most of its time.
DAY_MS_CACHE = 65_536


@lru_cache(maxsize=DAY_MS_CACHE)
def comparable_day_ms(value: str) -> int | None:
    """Epoch ms of a stored date/datetime value, for search comparisons."""
    if DATE_RE.match(value):
        return (
            int(datetime.strptime(value, DATE_OUTPUT_FORMAT).replace(tzinfo=UTC).timestamp()) * 1000
        )
    return parse_iso_ms(value)
