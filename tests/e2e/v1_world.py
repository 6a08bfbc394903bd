"""The small seeded world ``tests/fixtures/state-v1.sqlite`` was made in (see its README).

A test that upgrades the fixture starts the same world: the Accredo simulator's seed and
business date make the same debtors, ``accredo_changes`` repeats the changes made before the
backfill (so the delta tables reach the fixture's cursors), and ``recreate_companies`` gives
HubSpot the companies the fixture links to, with the same ids (the simulator numbers records in
order).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from accredo_hubspot.sync.pipeline import Clock
from tests.e2e.world import World

CUSTOMERS = 12
BUSINESS_DATE = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
#: Companies a HubSpot user created before the backfill: one carrying a debtor's NZBN (linked
#: ``via`` nzbn), one its customer code (``via`` code).
USER_COMPANIES: tuple[dict[str, str], ...] = (
    {"name": "Kaikōura Joinery", "nzbn": "9429197740802"},
    {"name": "Whanganui Motors (sales)", "accredo_customer_code": "WHANGA"},
)


def accredo_config() -> dict[str, Any]:
    return {"start_date": BUSINESS_DATE}


def clock() -> Clock:
    """The connector's clock in this world: the simulator's business date, a fixed time."""
    return Clock(now=lambda: NOW, today=lambda: BUSINESS_DATE)


def user_companies(world: World) -> None:
    """Before the backfill, a HubSpot user creates ``USER_COMPANIES``."""
    for properties in USER_COMPANIES:
        world.user_creates_company(properties)


def accredo_changes(world: World) -> None:
    """Before the backfill, the accounts team posts an invoice and edits a debtor."""
    world.post_transaction("invoices", "AROHAP", 123.45)
    world.edit_customer("CHENCH", {"Comment": "moved to monthly statements"})


def recreate_companies(world: World, companies: Mapping[str, Mapping[str, str]]) -> list[str]:
    """Create ``companies`` (id -> properties) in id order, as a HubSpot user; their new ids."""
    return [
        world.user_creates_company(dict(companies[company_id]))
        for company_id in sorted(companies, key=int)
    ]
