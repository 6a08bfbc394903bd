"""ARMemo field rules (reference 10.8a), as pure functions over a validated body.

A memo belongs to a debtor: ``CustomerCode`` must exist, ``AccountFile``/``AccountCode`` are
``ARCUST`` and the customer code (filled when absent, refused when they name anything else
[assumed]). ``MemoDateTime``/``ActionOnDateTime`` are kept in step with their date and time
parts [assumed]. The body text is the ``Memo`` object's ``Text`` (unicode).
"""

from __future__ import annotations

from typing import Any

from sims.accredo.validation import ValidationFailed

ACCOUNT_FILE = "ARCUST"
#: Audit stamps the server keeps itself (the spec does not mark them read-only on ARMemo).
STAMPS = frozenset(
    {
        "CreatedUserCode",
        "CreatedDate",
        "CreatedTime",
        "ModifiedUserCode",
        "ModifiedDate",
        "ModifiedTime",
        "RecNo",
    }
)


def memo_values(
    row: dict[str, Any],
    values: dict[str, Any],
    navs: dict[str, list[dict[str, Any]]],
) -> dict[str, Any]:
    """The values a memo write sets, given the current ``row`` (empty for a POST)."""
    out = {k: v for k, v in values.items() if k not in STAMPS}
    if "Memo" in navs:
        out["Memo"] = {"Text": navs["Memo"][0].get("Text", "")}
    merged = {**row, **out}
    code = merged.get("CustomerCode") or ""
    if not code:
        raise ValidationFailed("CustomerCode", "CustomerCode is required.")
    if merged.get("AccountFile", ACCOUNT_FILE) not in ("", ACCOUNT_FILE):
        raise ValidationFailed("AccountFile", f"An AR memo's AccountFile is {ACCOUNT_FILE}.")
    if "AccountCode" in out and out["AccountCode"] not in ("", code):
        raise ValidationFailed("AccountCode", "AccountCode must be the memo's CustomerCode.")
    out["AccountFile"], out["AccountCode"] = ACCOUNT_FILE, code
    for prefix in ("Memo", "ActionOn"):
        out.update(_date_time(prefix, merged, out))
    return out


def _date_time(prefix: str, merged: dict[str, Any], written: dict[str, Any]) -> dict[str, Any]:
    """Keep ``{prefix}DateTime`` and its ``{prefix}Date``/``{prefix}Time`` parts in step."""
    both = f"{prefix}DateTime"
    if written.get(both):
        day, _, time = str(written[both]).partition("T")
        return {f"{prefix}Date": day, f"{prefix}Time": time, both: written[both]}
    on_date, at_time = merged.get(f"{prefix}Date"), merged.get(f"{prefix}Time")
    if not on_date:
        return {both: None}
    return {both: f"{on_date}T{at_time or '00:00:00'}"}
