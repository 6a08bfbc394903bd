"""A company's owner as the debtor's sales person, and HubSpot's lifecycle stage on a ``Z_``
field (``CompanyToAccredoSpec`` with ``sync.owners``), against both simulators: the owner's
e-mail finds the ``ARSalesPerson``, an override in the configuration wins, an owner with no
sales person is one dead letter naming the owner (not a guess, not one per sync), and a
company with no owner leaves the sales person as it is."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from accredo_hubspot.mapping.config import MappingConfigError, parse_config
from accredo_hubspot.sync.owners import SalesPersons
from tests.e2e.world import user_creates
from tests.sync.two_sims import CompanyRig, Sims, connected

OWNER_RULE = (
    '[[company_fields]]\nhubspot = "hubspot_owner_id"\naccredo = "SalesPersonCode"\n'
    'master = "hubspot"\ntransform = "owner"\n'
)
CONFIG = parse_config(
    OWNER_RULE + '[[company_fields]]\nhubspot = "lifecyclestage"\naccredo = "Z_LifecycleStage"\n'
    'master = "hubspot"\ntransform = "text"\n'
    '[owners.sales_persons]\n"Aroha.Sales@example.co.nz" = "hkingi"\n',
    "test",
)
#: Sales persons of the Accredo simulator's seed (``sims.accredo.seed.SALES_PEOPLE``).
PRIYA = "priya.patel@demo-supplies.co.nz"


class Rig(CompanyRig):
    def user_adds_owner(self, email: str) -> str:
        answer = httpx.post(
            f"{self.hubspot_sim.url}/_sim/owners",
            json={"email": email, "firstName": "Pat", "lastName": "Owner"},
        )
        answer.raise_for_status()
        owner_id: str = answer.json()["id"]
        return owner_id

    def user_creates_company(self, properties: dict[str, str]) -> str:
        company = {"name": "Harbour Freight", **properties}
        company_id = user_creates(self.hubspot_sim.url, "companies", company)
        self.store.put_links("company", {self.code: company_id})
        return company_id

    async def debtor(self) -> dict[str, object]:
        (customer,) = await self.accredo.get_customers([self.code])
        return {
            "SalesPersonCode": customer.SalesPersonCode,
            **(customer.model_extra or {}),
        }


@pytest.fixture
async def rig(sims: Sims, tmp_path: Path) -> AsyncIterator[Rig]:
    async with connected(sims, tmp_path) as on:
        owners = SalesPersons(on.hubspot, on.accredo, CONFIG.sales_person_overrides)
        yield Rig.of(on, CONFIG, owners)


async def test_the_owner_becomes_the_sales_person_with_that_email(rig: Rig) -> None:
    owner = rig.user_adds_owner(PRIYA)
    company = rig.user_creates_company({"hubspot_owner_id": owner, "lifecyclestage": "customer"})
    report = await rig.pipeline.sync([company], reason="hubspot change")
    assert (report.updated, report.failed) == (1, 0)
    debtor = await rig.debtor()
    assert (debtor["SalesPersonCode"], debtor["Z_LifecycleStage"]) == ("PPATEL", "customer")
    again = await rig.pipeline.sync([company], reason="hubspot change")
    assert (again.unchanged, again.calls) == (1, 0)


async def test_an_override_in_the_configuration_wins(rig: Rig) -> None:
    company = rig.user_creates_company({"hubspot_owner_id": rig.user_adds_owner(PRIYA)})
    await rig.pipeline.sync([company], reason="hubspot change")
    aroha = "41629780"  # aroha.sales@example.co.nz, a default owner of the HubSpot simulator
    httpx.patch(
        f"{rig.hubspot_sim.url}/_sim/objects/companies/{company}",
        json={"properties": {"hubspot_owner_id": aroha}},
    ).raise_for_status()
    await rig.pipeline.sync([company], reason="hubspot change")
    assert (await rig.debtor())["SalesPersonCode"] == "HKINGI"


async def test_an_owner_with_no_sales_person_is_reported_once_and_not_guessed(rig: Rig) -> None:
    before = (await rig.debtor())["SalesPersonCode"]
    sam = "41629779"  # sam.admin@example.co.nz: no ARSalesPerson has that e-mail
    company = rig.user_creates_company({"hubspot_owner_id": sam, "lifecyclestage": "opportunity"})
    for _ in range(2):
        await rig.pipeline.sync([company], reason="hubspot change")
    (letter,) = rig.store.list_dead_letters()
    assert (letter.record_key, letter.side, letter.field) == (company, "accredo", "SalesPersonCode")
    assert "sam.admin@example.co.nz" in letter.reason
    debtor = await rig.debtor()
    assert (debtor["SalesPersonCode"], debtor["Z_LifecycleStage"]) == (before, "opportunity")


async def test_a_company_with_no_owner_leaves_the_sales_person(rig: Rig) -> None:
    before = (await rig.debtor())["SalesPersonCode"]
    assert before
    company = rig.user_creates_company({"lifecyclestage": "lead"})
    report = await rig.pipeline.sync([company], reason="hubspot change")
    assert report.failed == 0
    debtor = await rig.debtor()
    assert (debtor["SalesPersonCode"], debtor["Z_LifecycleStage"]) == (before, "lead")


def test_the_owner_transform_writes_only_the_sales_person() -> None:
    text = OWNER_RULE.replace("SalesPersonCode", "Category1")
    with pytest.raises(MappingConfigError, match='transform "owner"'):
        parse_config(text, "test")


def test_an_override_names_an_email_and_a_code() -> None:
    with pytest.raises(MappingConfigError, match="e-mail"):
        parse_config('[owners.sales_persons]\nPAT = "PAT"\n', "test")
    with pytest.raises(MappingConfigError, match="1 to 8"):
        parse_config('[owners.sales_persons]\n"pat@x.co.nz" = "TOOLONGCODE"\n', "test")
