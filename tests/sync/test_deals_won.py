"""A won deal on a linked company leaves one memo on the debtor (``DealWonSpec``), against
both simulators: its subject, amount, close date, owner and description; once per deal, also
when the store lost the link (a crash after the POST); nothing for an open deal or a company
linked to no debtor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from accredo_hubspot.hubspot.models import HubSpotObject
from accredo_hubspot.mapping.config import parse_config
from accredo_hubspot.store import StateStore, schema
from accredo_hubspot.sync.deals_won import DealWonSpec
from accredo_hubspot.sync.pipeline import Pipeline
from tests.e2e.world import user_adds_deal, user_creates
from tests.sync.two_sims import CLOCK, Sims, connected

CONFIG = parse_config("", "test")
AROHA = "41629780"  # a default owner of the HubSpot simulator (Aroha, aroha.sales@...)
#: The won deal's properties but its stage.
FORKLIFTS = {
    "dealname": "Forklift fleet – Ōtāhuhu depot",
    "amount": "48250.5",
    "closedate": "2026-11-29T23:30:00Z",
    "pipeline": "default",
    "hubspot_owner_id": AROHA,
    "description": "10% off the first year's servicing, agreed by Aroha.",
}


@dataclass
class Rig:
    sims: Sims
    store: StateStore
    pipeline: Pipeline[HubSpotObject]
    code: str
    company: str

    def user_adds_forklifts_deal(self, stage: str, company: str | None = None) -> str:
        """The forklifts deal at ``stage``, on the linked company unless ``company``."""
        return user_adds_deal(self.sims.hubspot.url, company or self.company, stage, **FORKLIFTS)

    def memos(self) -> list[dict[str, Any]]:
        table = self.sims.accredo_app.state.sim.tables["ARMemo"]
        return [dict(r) for r in table.rows_for("CustomerCode", self.code)]

    def won(self) -> list[dict[str, Any]]:
        return [m for m in self.memos() if str(m.get("Subject", "")).startswith("Deal won")]


@pytest.fixture
async def rig(sims: Sims, tmp_path: Path) -> AsyncIterator[Rig]:
    async with connected(sims, tmp_path) as on:
        company = on.link_company("Harbour Freight")
        spec = DealWonSpec(on.accredo, on.hubspot, on.offloaded, CONFIG)
        yield Rig(sims, on.store, Pipeline(spec, on.offloaded, CLOCK), on.code, company)


async def test_a_won_deal_leaves_one_memo_on_the_debtor(rig: Rig) -> None:
    deal = rig.user_adds_forklifts_deal("closedwon")
    report = await rig.pipeline.sync([deal], reason="hubspot change")
    assert (report.created, report.failed) == (1, 0)
    (memo,) = rig.won()
    assert memo["Subject"] == "Deal won: Forklift fleet – Otahuhu depot"  # cp1252 has the dash
    assert memo["Reference"] == f"HubSpot deal {deal}"
    text = memo["Memo"]["Text"]
    assert "Forklift fleet – Ōtāhuhu depot" in text  # the body keeps the name as it is
    assert "Amount: 48,250.50" in text
    assert "Close date: 2026-11-30" in text  # 23:30 UTC is the next day in Auckland
    assert "aroha.sales@example.co.nz" in text
    assert "10% off the first year's servicing" in text
    again = await rig.pipeline.sync([deal], reason="hubspot change")
    assert (again.created, again.calls) == (0, 0)
    assert len(rig.won()) == 1


async def test_a_memo_written_before_a_crash_is_found_not_written_again(rig: Rig) -> None:
    deal = rig.user_adds_forklifts_deal("closedwon")
    await rig.pipeline.sync([deal], reason="hubspot change")
    with rig.store._engine.begin() as connection:  # the commit that would have linked it: lost
        connection.execute(schema.links.delete().where(schema.links.c.record_type == "deal"))
    report = await rig.pipeline.sync([deal], reason="hubspot change")
    assert (report.created, report.failed) == (0, 0)
    assert len(rig.won()) == 1
    assert rig.store.get_links_by_hubspot_id("deal", [deal]) == {deal: str(rig.won()[0]["MemoID"])}


async def test_an_open_deal_or_an_unlinked_company_writes_nothing(rig: Rig) -> None:
    open_deal = rig.user_adds_forklifts_deal("contractsent")
    unlinked = user_creates(rig.sims.hubspot.url, "companies", {"name": "New Co"})
    elsewhere = rig.user_adds_forklifts_deal("closedwon", company=unlinked)
    report = await rig.pipeline.sync([open_deal, elsewhere], reason="hubspot change")
    assert (report.created, report.calls) == (0, 0)
    assert rig.won() == []
