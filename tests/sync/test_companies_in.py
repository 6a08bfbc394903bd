"""HubSpot-mastered company fields onto the linked debtor (``CompanyToAccredoSpec``), against
both simulators: PATCHed with the debtor's eTag, checked against Accredo's field limits first,
and nothing written for what already agrees or for a company linked to no debtor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from accredo_hubspot.mapping.config import parse_config
from tests.e2e.world import user_creates
from tests.sync.two_sims import CompanyRig, Sims, connected

CONFIG = parse_config(
    '[[company_fields]]\nhubspot = "industry"\naccredo = "Category1"\nmaster = "hubspot"\n'
    'transform = "text"\n',
    "test",
)


class Rig(CompanyRig):
    def user_creates_company(self, industry: str) -> str:
        company = {"name": "Harbour Freight", "industry": industry}
        return user_creates(self.hubspot_sim.url, "companies", company)

    async def category(self) -> object:
        (customer,) = await self.accredo.get_customers([self.code])
        return (customer.model_extra or {}).get("Category1")


@pytest.fixture
async def rig(sims: Sims, tmp_path: Path) -> AsyncIterator[Rig]:
    async with connected(sims, tmp_path) as on:
        yield Rig.of(on, CONFIG)


async def test_a_hubspot_mastered_field_is_patched_onto_the_linked_debtor(rig: Rig) -> None:
    company = rig.user_creates_company("RETAIL")
    rig.store.put_links("company", {rig.code: company})
    report = await rig.pipeline.sync([company], reason="hubspot change")
    assert (report.updated, report.calls) == (1, 1)
    assert await rig.category() == "RETAIL"
    assert rig.store.get_shadows("accredo", "company", [company]) == {
        company: {"Category1": "RETAIL"}
    }
    again = await rig.pipeline.sync([company], reason="hubspot change")
    assert (again.unchanged, again.calls) == (1, 0)


async def test_a_value_too_long_for_the_debtor_field_is_a_dead_letter(rig: Rig) -> None:
    company = rig.user_creates_company("CONSTRUCTION")  # Category1 holds 8 characters
    rig.store.put_links("company", {rig.code: company})
    report = await rig.pipeline.sync([company], reason="hubspot change")
    assert (report.updated, report.failed, report.calls) == (0, 1, 0)
    (letter,) = rig.store.list_dead_letters()
    assert (letter.record_key, letter.side, letter.field) == (company, "accredo", "Category1")
    assert "8 characters" in letter.reason
    assert await rig.category() != "CONSTRUCTION"


async def test_a_company_linked_to_no_debtor_writes_nothing(rig: Rig) -> None:
    company = rig.user_creates_company("RETAIL")
    report = await rig.pipeline.sync([company], reason="hubspot change")
    assert (report.updated, report.failed, report.calls) == (0, 0, 0)
