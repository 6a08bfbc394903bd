"""The credit status values a HubSpot workflow can branch on, with their salesperson labels.

The values are the HubSpot enumeration option *values* (lower case, stable, what workflows and
the API use; reference hubspot-api.md pitfall 13); the labels are what people see.
"""

from __future__ import annotations

from enum import StrEnum


class CreditStatus(StrEnum):
    """One customer's credit standing, most severe first (see ``financials.credit_status``)."""

    ON_STOP = "on_stop"
    OVERDUE_90_PLUS = "overdue_90_plus"
    OVERDUE_60 = "overdue_60"
    OVERDUE_30 = "overdue_30"
    OVER_LIMIT = "over_limit"
    NEAR_LIMIT = "near_limit"
    OK = "ok"


CREDIT_STATUS_LABELS: dict[CreditStatus, str] = {
    CreditStatus.OK: "OK",
    CreditStatus.NEAR_LIMIT: "Near credit limit",
    CreditStatus.OVER_LIMIT: "Over credit limit",
    CreditStatus.OVERDUE_30: "Overdue 30+ days",
    CreditStatus.OVERDUE_60: "Overdue 60+ days",
    CreditStatus.OVERDUE_90_PLUS: "Overdue 90+ days",
    CreditStatus.ON_STOP: "On stop (no new sales)",
}

CREDIT_STATUS_DESCRIPTIONS: dict[CreditStatus, str] = {
    CreditStatus.OK: "Within terms and within the credit limit.",
    CreditStatus.NEAR_LIMIT: "Balance is close to the credit limit.",
    CreditStatus.OVER_LIMIT: "Balance is above the credit limit.",
    CreditStatus.OVERDUE_30: "The oldest unpaid invoice is more than 30 days past its due date.",
    CreditStatus.OVERDUE_60: "The oldest unpaid invoice is more than 60 days past its due date.",
    CreditStatus.OVERDUE_90_PLUS: (
        "The oldest unpaid invoice is more than 90 days past its due date."
    ),
    CreditStatus.ON_STOP: "Accounts have stopped credit: invoices and orders cannot be entered.",
}

#: Display order in HubSpot: from good to bad, so a sorted list reads naturally.
CREDIT_STATUS_ORDER: tuple[CreditStatus, ...] = (
    CreditStatus.OK,
    CreditStatus.NEAR_LIMIT,
    CreditStatus.OVER_LIMIT,
    CreditStatus.OVERDUE_30,
    CreditStatus.OVERDUE_60,
    CreditStatus.OVERDUE_90_PLUS,
    CreditStatus.ON_STOP,
)
