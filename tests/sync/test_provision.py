"""Provisioning a won deal's company as a debtor (``ProvisionSpec``, ``Provisioner``), against
both simulators: a debtor made before a crash is found by its ``Z_HubSpotID`` and linked, never
made twice; one whose code the company already holds is linked by it; two companies of one name
get two codes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from accredo_hubspot.store import AsyncStateStore, StateStore, schema
from accredo_hubspot.sync.pipeline import Pipeline
from accredo_hubspot.sync.provision import Provisioner, ProvisionSpec
from sims.hubspot.config import DEMO_TOKEN
from tests.e2e.world import user_creates
from tests.sync.test_deals_won import CONFIG
from tests.sync.two_sims import CLOCK, Sims, connected


@dataclass
class Rig:
    sims: Sims
    store: StateStore
    offloaded: AsyncStateStore
    provisioner: Provisioner

    def company(self, name: str, **properties: str) -> str:
        return user_creates(self.sims.hubspot.url, "companies", {"name": name, **properties})

    def accredo_user_adds(self, body: dict[str, Any]) -> None:
        self.sims.accredo_app.state.sim.create("ARCustomer", body, "ADMIN")

    def debtors(self) -> dict[str, dict[str, Any]]:
        return dict(self.sims.accredo_app.state.sim.tables["ARCustomer"].rows)

    def via(self, code: str) -> str | None:
        with self.store._engine.connect() as connection:
            links = schema.links.c
            row = connection.execute(
                schema.links.select().where(
                    links.record_type == "company", links.accredo_key == code
                )
            ).first()
        return None if row is None else str(row.via)


@pytest.fixture
async def rig(sims: Sims, tmp_path: Path) -> AsyncIterator[Rig]:
    async with connected(sims, tmp_path) as both:
        spec = ProvisionSpec(both.accredo, both.hubspot, both.offloaded, CONFIG)
        yield Rig(sims, both.store, both.offloaded, Provisioner(spec, both.offloaded, CLOCK))


async def test_a_debtor_made_before_a_crash_is_linked_not_made_again(rig: Rig) -> None:
    company = rig.company("Pūkeko Plumbing")
    rig.accredo_user_adds(
        {"CustomerCode": "PUKEKOPL", "CustomerName": "Pūkeko Plumbing", "Z_HubSpotID": company}
    )
    before = set(rig.debtors())
    assert (await rig.provisioner.provision([company])).linked == {company: "PUKEKOPL"}
    assert set(rig.debtors()) == before
    assert rig.via("PUKEKOPL") == "hubspot_id"
    assert (await rig.provisioner.provision([company])).linked == {
        company: "PUKEKOPL"
    }  # linked: idle
    assert set(rig.debtors()) == before


async def test_the_code_a_company_holds_links_its_debtor(rig: Rig) -> None:
    rig.accredo_user_adds({"CustomerCode": "TUI42", "CustomerName": "Tūī Tiles"})
    httpx.post(
        f"{rig.sims.hubspot.url}/crm/v3/properties/companies",
        headers={"Authorization": f"Bearer {DEMO_TOKEN}"},
        json={
            "name": "accredo_customer_code",
            "label": "Accredo customer code",
            "type": "string",
            "fieldType": "text",
            "groupName": "companyinformation",
            "hasUniqueValue": True,
        },
    ).raise_for_status()
    company = rig.company("Tui Tiles Ltd", accredo_customer_code="tui42")
    assert (await rig.provisioner.provision([company])).linked == {company: "TUI42"}
    assert rig.via("TUI42") == "code"


async def test_two_companies_of_one_name_get_two_codes(rig: Rig) -> None:
    rig.accredo_user_adds({"CustomerCode": "KEAKAYAK", "CustomerName": "Kea Kayaks (Nelson)"})
    first, second = rig.company("Kea Kayaks"), rig.company("Kea Kayaks Limited")
    made = (await rig.provisioner.provision([first, second])).linked
    assert made == {first: "KEAKAYA2", second: "KEAKAYA3"}
    debtors = rig.debtors()
    assert debtors["KEAKAYA2"]["Z_HubSpotID"] == first
    assert debtors["KEAKAYA3"]["CustomerName"] == "Kea Kayaks Limited"
    assert debtors["KEAKAYA2"]["CustomerType"] == "N"  # no original source: the default


async def test_a_code_taken_after_it_was_chosen_is_chosen_again(rig: Rig) -> None:
    company = rig.company("Weka Wines")
    spec = rig.provisioner.spec
    records = await spec.fetch([company])
    (target,) = await spec.match(records)
    (chosen,) = [a.to_id for a in target.associations]
    assert chosen == "WEKAWINE"
    rig.accredo_user_adds({"CustomerCode": chosen, "CustomerName": "Weka Wine Bar"})  # meanwhile
    report = await Pipeline(spec, rig.offloaded, CLOCK).write(records, [target], reason="test")
    assert (report.created, report.failed) == (1, 0)  # the 409 chose again
    assert rig.debtors()["WEKAWIN2"]["Z_HubSpotID"] == company
    assert rig.debtors()[chosen]["CustomerName"] == "Weka Wine Bar"
    assert rig.store.get_links("company", ["WEKAWIN2"]) == {"WEKAWIN2": company}
