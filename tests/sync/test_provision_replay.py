"""A won deal's company that Accredo refused as a new debtor leaves a letter (accredo, company,
company id) that ``dead-letters replay`` provisions again (``Fixes``, ``Provisioner``), against
both simulators: before the cause is fixed it stays open with the new reason; after, one
debtor is made, the company linked, its follow-ups queued (the deal too: its memo was left)
and the letter closed. ``--set``
stands in for a mapped debtor field (never the company id it carries); with provisioning off
the replay is refused, saying so, while a linked company's letter still writes its fields."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from accredo_hubspot.mapping.config import MappingConfig, default_config_text, parse_config
from accredo_hubspot.store import TO_ACCREDO, TO_HUBSPOT, DeadLetter, DeadLetterRow
from accredo_hubspot.sync.companies import COMPANY_RECORD
from accredo_hubspot.sync.contacts import CONTACT_RECORD
from accredo_hubspot.sync.deals_won import DEAL_RECORD
from accredo_hubspot.sync.drains import build_pipelines
from accredo_hubspot.sync.fixes import FixError, Fixes
from tests.e2e.world import user_adds_deal, user_creates
from tests.sync.test_deals_won import FORKLIFTS
from tests.sync.two_sims import CLOCK, Connected, Sims, connected


def _site(old: str, new: str) -> MappingConfig:
    """The default configuration (HubSpot masters a company field) with ``[provision]``'s
    ``old`` setting made ``new``."""
    text = default_config_text()
    start = text.index("[provision]")
    assert old in text[start:]
    return parse_config(text[:start] + text[start:].replace(old, new, 1), "site.toml")


#: A typo in the site's configuration: Accredo has WHOLESAL, not WHOLSAL.
TYPO = _site('customer_group = ""', 'customer_group = "WHOLSAL"')
FIXED = _site('customer_group = ""', 'customer_group = "WHOLESAL"')
OFF = _site("enabled = true", "enabled = false")


@dataclass
class Rig:
    on: Connected

    def fixes(self, config: MappingConfig) -> Fixes:
        on = self.on
        return Fixes(on.accredo, on.hubspot, on.offloaded, config, CLOCK)

    def user_adds(
        self, kind: str, properties: dict[str, str], to: str = "", type_id: int = 0
    ) -> str:
        return user_creates(self.on.sims.hubspot.url, kind, properties, to=to, type_id=type_id)

    async def deal_won(self, company: str, config: MappingConfig) -> str:
        """A deal won on ``company``, synced towards Accredo as the live sync would; its id."""
        on = self.on
        deal = user_adds_deal(on.sims.hubspot.url, company, "closedwon", **FORKLIFTS)
        await self.deal_synced(deal, config)
        return deal

    async def deal_synced(self, deal: str, config: MappingConfig) -> None:
        on = self.on
        built = build_pipelines(on.accredo, on.hubspot, on.offloaded, config, CLOCK)
        pipeline = built.writing("accredo", DEAL_RECORD)
        assert pipeline is not None
        await pipeline.sync([deal], reason="hubspot change")

    def debtors_of(self, company: str) -> list[dict[str, Any]]:
        table = self.on.sims.accredo_app.state.sim.tables["ARCustomer"]
        return [dict(row) for row in table.rows.values() if row.get("Z_HubSpotID") == company]

    def letters(self) -> list[DeadLetterRow]:
        return self.on.store.list_dead_letters()

    def queued(self) -> set[tuple[str, str, str]]:
        entries = self.on.store.claim("test", 100, 60)
        return {(e.direction, e.record_type, e.key) for e in entries}


@pytest.fixture
async def rig(sims: Sims, tmp_path: Path) -> AsyncIterator[Rig]:
    async with connected(sims, tmp_path) as on:
        yield Rig(on)


async def test_a_debtor_accredo_refused_is_provisioned_by_the_replay_once_fixed(rig: Rig) -> None:
    company = rig.user_adds("companies", {"name": "Kōtare Kitchens", "city": "Whanganui"})
    contact = rig.user_adds(
        "contacts",
        {"firstname": "Mere", "lastname": "Tipene", "email": "mere@kotare.nz"},
        company,
        1,
    )
    deal = await rig.deal_won(company, TYPO)
    (letter,) = rig.letters()
    assert (letter.side, letter.record_type, letter.record_key) == ("accredo", "company", company)
    assert "WHOLSAL" in letter.reason
    assert rig.debtors_of(company) == []

    again = await rig.fixes(TYPO).replay(letter.id, {})
    assert not again.landed
    assert "WHOLSAL" in again.reason
    (still,) = rig.letters()
    assert (still.id, still.reason) == (letter.id, again.reason)
    assert rig.debtors_of(company) == []
    rig.queued()  # what the deal's sync queued is of no interest here

    result = await rig.fixes(FIXED).replay(letter.id, {})  # the site's typo corrected

    assert result.landed, result.reason
    assert rig.letters() == []
    (debtor,) = rig.debtors_of(company)
    code = debtor["CustomerCode"]
    assert (code, debtor["CustomerGroupCode"]) == ("KOTAREKI", "WHOLESAL")
    assert rig.on.store.get_links_by_hubspot_id(COMPANY_RECORD, [company]) == {company: code}
    assert {
        (TO_HUBSPOT, COMPANY_RECORD, code),
        (TO_ACCREDO, COMPANY_RECORD, company),
        (TO_ACCREDO, CONTACT_RECORD, contact),
        (TO_ACCREDO, DEAL_RECORD, deal),  # its memo, left when it had no debtor
    } <= rig.queued()
    await rig.deal_synced(deal, FIXED)
    memos = rig.on.sims.accredo_app.state.sim.tables["ARMemo"].rows_for("CustomerCode", code)
    assert [m["Reference"] for m in memos] == [f"HubSpot deal {deal}"]
    audit = rig.on.store.list_audit(record_key=company)
    actions = [e.reason for e in audit if e.source == "operator"]  # newest first
    assert actions[0] == f"dead letter {letter.id} replayed: landed"
    assert actions[1].startswith(f"dead letter {letter.id} replayed: failed again: ")
    assert any(e.reason == f"dead letter {letter.id} replayed" and e.changes for e in audit)
    assert (await rig.fixes(FIXED).replay_open({})) == []  # nothing left, nothing made twice
    assert len(rig.debtors_of(company)) == 1


async def test_set_stands_in_for_a_debtor_field_but_never_the_company_id(rig: Rig) -> None:
    company = rig.user_adds("companies", {"city": "Napier"})  # no name: Accredo requires one
    await rig.deal_won(company, FIXED)
    (letter,) = rig.letters()
    assert (letter.record_key, letter.field) == (company, "CustomerName")
    fixes = rig.fixes(FIXED)

    with pytest.raises(FixError, match=r"--set Z_HubSpotID: written as mapped, never set by hand"):
        await fixes.replay(letter.id, {"Z_HubSpotID": "42"})
    with pytest.raises(FixError, match=r"--set Role: not a field .* \(company\)"):
        await fixes.replay(letter.id, {"Role": "Owner"})
    result = await fixes.replay(letter.id, {"CustomerName": "Kākā Café"})

    assert result.landed, result.reason
    (debtor,) = rig.debtors_of(company)
    assert (debtor["CustomerName"], debtor["Address3"]) == ("Kākā Café", "Napier")
    assert rig.letters() == []


async def test_with_provisioning_off_the_replay_says_so(rig: Rig) -> None:
    unlinked = rig.user_adds("companies", {"name": "Ruru Roofing"})
    linked = rig.on.link_company("Harbour Freight")
    rig.on.store.add_dead_letters(
        [
            DeadLetter(COMPANY_RECORD, unlinked, "accredo", "CustomerGroupCode", "refused"),
            DeadLetter(COMPANY_RECORD, linked, "accredo", None, "Accredo was down"),
        ]
    )
    provisioning, fields = sorted(rig.letters(), key=lambda x: x.id)
    fixes = rig.fixes(OFF)

    with pytest.raises(FixError, match=rf"company {unlinked} has no debtor.*provisioning is off"):
        await fixes.replay(provisioning.id, {})
    landed = await fixes.replay(fields.id, {})  # linked: its fields, as before

    assert landed.landed, landed.reason
    assert [x.id for x in rig.letters()] == [provisioning.id]
    assert rig.debtors_of(unlinked) == []
