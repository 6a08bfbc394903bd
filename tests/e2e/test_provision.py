"""End to end, closed deals provision debtors: a deal won on a company linked to no debtor makes
the company a new Accredo debtor, over real HTTP (both simulators, ``accredo-hubspot run`` in
a process of its own, SQLite on disk), with webhooks on and with HubSpot polled.

- exactly one debtor, carrying the company id in ``Z_HubSpotID``, its code written back to the
  company's ``accredo_customer_code``, its contact following as an ``ARContact``, its type by
  the company's original source (a form intake: ``P``), the deal's memo on it; then quiet;
- ``run`` killed (SIGKILL) after Accredo made the debtor but before the connector heard back,
  so before anything was recorded or written back: restarted, it finds the debtor by its
  ``Z_HubSpotID`` and still makes exactly one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import wait_until
from tests.e2e.test_contacts import Site, running_site, settle
from tests.e2e.world import TOKEN, links_with_via, user_creates

pytestmark = pytest.mark.slow

#: How long Accredo holds back its answer to a POST in the crash test: the kill lands inside.
HELD_BACK_MS = 10_000


@pytest.fixture(params=["webhooks", "polling"])
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Site]:
    with running_site(tmp_path, webhooks=request.param == "webhooks") as running:
        yield running


def debtors_of(site: Site, company_id: str) -> list[dict[str, Any]]:
    """The Accredo simulator's debtors that carry this company id."""
    table = site.world.accredo_app.state.sim.tables["ARCustomer"]
    return [dict(row) for row in table.rows.values() if row.get("Z_HubSpotID") == company_id]


def company_code(site: Site, company_id: str) -> str | None:
    answer = httpx.get(
        f"{site.world.hubspot.url}/crm/v3/objects/companies/{company_id}",
        params={"properties": "accredo_customer_code"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    answer.raise_for_status()
    code: str | None = answer.json()["properties"].get("accredo_customer_code")
    return code


def a_form_intake_wins_a_deal(site: Site, name: str, email: str) -> tuple[str, str]:
    """A company from the web form (original source organic search) with a contact, and a
    deal on it that sales then wins; answers (company id, deal id)."""
    hubspot = site.world.hubspot.url
    company = user_creates(
        hubspot,
        "companies",
        {
            "name": name,
            "address": "12 Kōwhai Street",
            "city": "Whakatāne",
            "zip": "3120",
            "country": "New Zealand",
            "phone": "07 555 0142",
        },
        analyticsSource="ORGANIC_SEARCH",
    )
    contact = {"firstname": "Aroha", "lastname": "Ngata", "email": email}
    user_creates(hubspot, "contacts", contact, to=company, type_id=1)
    deal = user_creates(
        hubspot,
        "deals",
        {"dealname": "First order", "dealstage": "contractsent"},
        to=company,
        type_id=5,
    )
    httpx.patch(
        f"{site.world.hubspot.url}/_sim/objects/deals/{deal}",
        json={"properties": {"dealstage": "closedwon", "amount": "4200"}},
    ).raise_for_status()
    return company, deal


def test_closed_won_deals_make_exactly_one_debtor_each_also_across_a_kill(site: Site) -> None:
    a_closed_won_deal_makes_exactly_one_debtor(site)
    a_kill_between_the_create_and_the_write_back_still_makes_one_debtor(site)


def a_closed_won_deal_makes_exactly_one_debtor(site: Site) -> None:
    company, deal = a_form_intake_wins_a_deal(site, "Kōwhai Landscapes Limited", "aroha@kowhai.nz")
    wait_until(lambda: company_code(site, company), "the new code on the company")
    (debtor,) = debtors_of(site, company)
    assert company_code(site, company) == debtor["CustomerCode"] == "KOWHAILA"
    assert debtor["CustomerName"] == "Kōwhai Landscapes Limited"
    assert (debtor["Address1"], debtor["Address3"], debtor["PostCode"]) == (
        "12 Kōwhai Street",
        "Whakatāne",
        "3120",
    )
    assert (debtor["CountryCode"], debtor["PhoneNo"]) == ("NZ", "07 555 0142")
    assert debtor["EmailAddress"] == "aroha@kowhai.nz"
    assert debtor["CustomerType"] == "P"  # the form intake: a prospect for accounts to vet
    assert links_with_via(site.database)[debtor["CustomerCode"]] == (company, "new")
    contacts = site.world.accredo_app.state.sim.tables["ARContact"]
    wait_until(
        lambda: list(contacts.rows_for("CustomerCode", debtor["CustomerCode"])), "its contact"
    )
    memos = site.world.accredo_app.state.sim.tables["ARMemo"]
    wait_until(
        lambda: [
            m
            for m in memos.rows_for("CustomerCode", debtor["CustomerCode"])
            if m.get("Reference") == f"HubSpot deal {deal}"
        ],
        "the deal's memo",
    )
    settle(site)  # the writes stop: nothing bounces between the two
    assert len(debtors_of(site, company)) == 1
    (contact,) = contacts.rows_for("CustomerCode", debtor["CustomerCode"])
    assert contact["EmailAddress"] == "aroha@kowhai.nz"


def a_kill_between_the_create_and_the_write_back_still_makes_one_debtor(site: Site) -> None:
    faults = f"{site.world.accredo.url}/_sim/faults"
    httpx.put(faults, json={"post_answer_delay_ms": HELD_BACK_MS}).raise_for_status()
    company, _deal = a_form_intake_wins_a_deal(site, "Harbour Crane Hire", "aroha@cranes.nz")
    wait_until(lambda: debtors_of(site, company), "the debtor in Accredo")
    site.kill_run()  # Accredo made the debtor; the connector has not heard back
    httpx.put(faults, json={"post_answer_delay_ms": 0}).raise_for_status()
    assert company_code(site, company) is None  # nothing written back yet
    assert company not in {c for c, _ in links_with_via(site.database).values()}

    site.restart_run()
    wait_until(lambda: company_code(site, company), "the code on the company after a restart")
    settle(site)
    (debtor,) = debtors_of(site, company)
    assert company_code(site, company) == debtor["CustomerCode"] == "HARBOURC"
    # found by the id it carries, not made again
    assert links_with_via(site.database)[debtor["CustomerCode"]] == (company, "hubspot_id")
