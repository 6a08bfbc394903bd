"""What a won deal's memo on the debtor says (reference 10.8a). Pure.

The accounts team reads memos on the debtor: the seed's example is accounts chasing an invoice
without knowing sales just promised a discount. So the memo carries the deal's name, amount,
close date, owner and description. ``Subject`` holds 60 characters outside Unicode
(Windows-1252): it is folded and cut, as it only titles the memo; the body (``Memo.Text``,
Unicode) keeps everything as HubSpot has it. ``Reference`` names the deal, which is how the
memo is found again (once per deal, also after a crash).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from accredo_hubspot.mapping.accredo_fields import ANSI_CODEPAGE

SUBJECT_MAX_CHARS = 60
SUBJECT_PREFIX = "Deal won: "
#: The deal properties a memo is made of.
DEAL_PROPERTIES = (
    "dealname",
    "amount",
    "deal_currency_code",
    "closedate",
    "hubspot_owner_id",
    "description",
    "dealstage",
    "pipeline",
)


def memo_reference(deal_id: str) -> str:
    """The memo's ``Reference`` (30 characters): the deal it is about."""
    return f"HubSpot deal {deal_id}"[:30]


def subject(name: str) -> str:
    """``Deal won: <name>``, in what ``Subject`` can hold."""
    folded = "".join(
        c
        for c in unicodedata.normalize("NFKD", SUBJECT_PREFIX + name.strip())
        if not unicodedata.combining(c)
    )
    fitted = folded.encode(ANSI_CODEPAGE, errors="replace").decode(ANSI_CODEPAGE)
    return fitted[:SUBJECT_MAX_CHARS]


def close_day(value: str | None, tz: ZoneInfo) -> date | None:
    """The close date on the site's calendar (HubSpot sends an instant, or a bare date)."""
    if not value:
        return None
    text = value.strip()
    try:
        if len(text) <= 10:
            return date.fromisoformat(text)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(tz).date() if moment.tzinfo else moment.date()


def amount_text(amount: str | None, currency: str | None) -> str:
    if not amount:
        return "(none)"
    try:
        value = f"{Decimal(amount):,.2f}"
    except InvalidOperation:
        value = amount
    return f"{value} {currency}" if currency else value


def memo_values(
    deal_id: str, props: Mapping[str, str | None], owner: str | None, tz: ZoneInfo
) -> dict[str, str]:
    """The memo's fields (``Memo`` is its body text)."""
    name = (props.get("dealname") or "").strip() or f"deal {deal_id}"
    day = close_day(props.get("closedate"), tz)
    lines = [
        f"Deal won in HubSpot: {name}",
        f"Amount: {amount_text(props.get('amount'), props.get('deal_currency_code'))}",
        f"Close date: {day.isoformat() if day else '(none)'}",
        f"Owner: {owner or '(none)'}",
    ]
    description = (props.get("description") or "").strip()
    if description:
        lines += ["", description]
    return {
        "MemoType": "M",
        "MemoDate": day.isoformat() if day else "",
        "Subject": subject(name),
        "Reference": memo_reference(deal_id),
        "Memo": "\n".join(lines),
    }
