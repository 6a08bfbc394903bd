"""End to end, sales context for the accounts team: a HubSpot user gives a linked company an
owner and a lifecycle stage, and the debtor's sales person (the ``ARSalesPerson`` with the
owner's e-mail) and its ``Z_LifecycleStage`` follow, over real HTTP, with webhooks on and with
HubSpot polled; nothing is written back to HubSpot (HubSpot masters both)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from accredo_hubspot.store import StateStore
from tests.conftest import wait_until
from tests.e2e.test_contacts import Site, running_site, settle
from tests.e2e.world import risk_of, user_adds_deal

pytestmark = pytest.mark.slow

LIFECYCLE = """
[[company_fields]]
hubspot = "lifecyclestage"
accredo = "Z_LifecycleStage"
master = "hubspot"
transform = "text"
"""
#: A sales person of the Accredo simulator's seed (``sims.accredo.seed.SALES_PEOPLE``).
PRIYA = ("priya.patel@demo-supplies.co.nz", "PPATEL")


@pytest.fixture(scope="module", params=["webhooks", "polling"])
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """One site for the module's tests (each its own change on the debtor, its write counts
    taken after the writes before it settled)."""
    webhooks = request.param == "webhooks"
    tmp_path = tmp_path_factory.mktemp(f"site-{request.param}")
    with running_site(tmp_path, webhooks=webhooks, extra_config=LIFECYCLE) as running:
        yield running


def debtor(site: Site) -> dict[str, Any]:
    row = site.world.accredo_app.state.sim.tables["ARCustomer"].get(site.code)
    assert row is not None
    return dict(row)


def test_an_owner_change_reaches_the_sales_person_code(
    site: Site, request: pytest.FixtureRequest
) -> None:
    email, code = PRIYA
    answer = httpx.post(
        f"{site.world.hubspot.url}/_sim/owners",
        json={"email": email, "firstName": "Priya", "lastName": "Patel"},
    )
    answer.raise_for_status()
    owner_id = answer.json()["id"]
    if debtor(site)["SalesPersonCode"] == code:  # the seed gave it Priya already
        site.world.edit_customer(site.code, {"SalesPersonCode": "AROHA"})
    before = settle(site)
    httpx.patch(
        f"{site.world.hubspot.url}/_sim/objects/companies/{site.company_id}",
        json={"properties": {"hubspot_owner_id": owner_id, "lifecyclestage": "customer"}},
    ).raise_for_status()
    wait_until(lambda: debtor(site)["SalesPersonCode"] == code, "the sales person in Accredo")
    assert debtor(site)["Z_LifecycleStage"] == "customer"
    hubspot_after, accredo_after = settle(site)
    # One PATCH of the debtor; nothing written back to HubSpot.
    assert (hubspot_after, accredo_after) == (before[0], before[1] + 1)
    # Provenance: the write names the webhook event that carried the change (explain shows it).
    with StateStore.open(f"sqlite:///{site.database}") as store:
        entries = store.list_audit("company", site.company_id)
    (write,) = [e for e in entries if "SalesPersonCode" in e.changes]
    if request.node.callspec.params["site"] == "webhooks":
        assert re.fullmatch(r"webhook event \d+ \(company\.propertyChange\)", write.source or "")
    else:
        assert write.source is None and write.reason  # a poll names no event


def memos(site: Site, reference: str) -> list[dict[str, Any]]:
    table = site.world.accredo_app.state.sim.tables["ARMemo"]
    rows = table.rows_for("CustomerCode", site.code)
    return [dict(row) for row in rows if row.get("Reference") == reference]


def test_a_deal_won_leaves_one_memo_on_the_debtor(site: Site) -> None:
    deal = user_adds_deal(
        site.world.hubspot.url,
        site.company_id,
        "contractsent",
        dealname="Racking for the new Ōtāhuhu depot",
        amount="18400",
        pipeline="default",
        description="Sales promised 5% off if paid within 7 days.",
    )
    reference = f"HubSpot deal {deal}"
    before = settle(site)
    assert memos(site, reference) == []  # an open deal leaves none

    def deal_changes(properties: dict[str, str]) -> None:
        httpx.patch(
            f"{site.world.hubspot.url}/_sim/objects/deals/{deal}",
            json={"properties": properties},
        ).raise_for_status()

    deal_changes({"dealstage": "closedwon", "closedate": "2026-11-30T02:00:00Z"})
    wait_until(lambda: memos(site, reference), "the memo in Accredo")
    (memo,) = memos(site, reference)
    assert memo["Subject"] == "Deal won: Racking for the new Otahuhu depot"
    assert "Sales promised 5% off" in memo["Memo"]["Text"]
    deal_changes({"description": "Sales promised 5% off if paid within 7 days. Signed."})
    hubspot_after, accredo_after = settle(site)
    assert len(memos(site, reference)) == 1  # once per deal, whatever changes after
    assert (hubspot_after, accredo_after) == (before[0], before[1] + 1)


def risk(site: Site, object_type: str, record_id: str) -> tuple[str | None, str | None]:
    return risk_of(site.world.hubspot.url, object_type, record_id)


def test_a_companys_credit_status_reaches_its_open_deals(site: Site) -> None:
    open_deal = user_adds_deal(site.world.hubspot.url, site.company_id, "qualifiedtobuy")
    lost = user_adds_deal(site.world.hubspot.url, site.company_id, "closedlost")
    company = risk(site, "companies", site.company_id)
    assert company[0]
    wait_until(lambda: risk(site, "deals", open_deal) == company, "the company's risk on the deal")
    site.world.edit_customer(site.code, {"StopCredit": True})
    wait_until(
        lambda: risk(site, "deals", open_deal)[0] == "on_stop", "the new credit status on the deal"
    )
    assert risk(site, "companies", site.company_id)[0] == "on_stop"
    assert risk(site, "deals", lost) == (None, None)  # a closed deal is left as it was
    settle(site)
