"""The contact record type, both directions, against both simulators.

HubSpot masters contacts: one on a linked company's page becomes an ``ARContact`` of the
debtor (matched by e-mail, else created) and its edits follow; a value Accredo cannot store is
a dead letter naming the field while the others are written. A contact that exists only in
Accredo is created once in HubSpot, associated to the company; after that nothing flows that
way. What already agrees is never written.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from accredo_hubspot.accredo import AccredoClient
from accredo_hubspot.accredo.models import ARContact
from accredo_hubspot.hubspot.models import HubSpotObject
from accredo_hubspot.mapping.config import load_config
from accredo_hubspot.store import StateStore
from accredo_hubspot.sync.contacts import (
    CONTACT_RECORD,
    ContactToAccredoSpec,
    ContactToHubSpotSpec,
)
from accredo_hubspot.sync.pipeline import Clock, Pipeline
from sims.hubspot.config import DEMO_TOKEN
from sims.serve import BackgroundServer
from tests.e2e.world import sim_stats, user_creates
from tests.sync.two_sims import Sims, both_sims, connected

NOW = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
CLOCK = Clock(now=lambda: NOW, today=lambda: date(2026, 11, 30))
CONFIG = load_config(None)


@pytest.fixture(scope="module")
def sims() -> Iterator[Sims]:
    with both_sims(seed=3) as running:
        yield running


@dataclass
class Rig:
    accredo_sim: BackgroundServer
    hubspot_sim: BackgroundServer
    accredo: AccredoClient
    store: StateStore
    inbound: Pipeline[HubSpotObject]
    outbound: Pipeline[ARContact]
    code: str
    company_id: str

    def user_adds_hubspot_contact(self, properties: dict[str, str], company: str = "") -> str:
        to = company or self.company_id
        return user_creates(self.hubspot_sim.url, "contacts", properties, to=to, type_id=1)

    def user_adds_accredo_contact(self, fields: dict[str, str]) -> str:
        answer = httpx.post(
            f"{self.accredo_sim.url}/_sim/contacts", json={"CustomerCode": self.code, **fields}
        )
        answer.raise_for_status()
        return str(answer.json()["ContactID"])

    async def accredo_contact(self, contact_id: str) -> ARContact:
        (contact,) = await self.accredo.get_contacts([int(contact_id)])
        return contact

    def hubspot_contact(self, contact_id: str) -> dict[str, Any]:
        answer = httpx.get(
            f"{self.hubspot_sim.url}/crm/v3/objects/contacts/{contact_id}",
            params={"properties": "firstname,lastname,email,associatedcompanyid"},
            headers={"Authorization": f"Bearer {DEMO_TOKEN}"},
        )
        answer.raise_for_status()
        props: dict[str, Any] = answer.json()["properties"]
        return props

    def accredo_writes(self) -> dict[str, int]:
        routes: dict[str, int] = sim_stats(self.accredo_sim)["by_route"]
        return {r: n for r, n in routes.items() if r.startswith(("POST ARContact", "PATCH"))}


@pytest.fixture
async def rig(sims: Sims, tmp_path: Path) -> AsyncIterator[Rig]:
    async with connected(sims, tmp_path) as on:
        company = on.link_company(on.code)
        inbound = ContactToAccredoSpec(on.accredo, on.accredo, on.hubspot, on.offloaded, CONFIG)
        outbound = ContactToHubSpotSpec(on.accredo, on.hubspot, on.offloaded, CONFIG)
        yield Rig(
            sims.accredo,
            sims.hubspot,
            on.accredo,
            on.store,
            Pipeline(inbound, on.offloaded, CLOCK),
            Pipeline(outbound, on.offloaded, CLOCK),
            on.code,
            company,
        )


async def test_a_hubspot_contact_of_a_linked_company_becomes_its_debtors_contact(rig: Rig) -> None:
    hubspot_id = rig.user_adds_hubspot_contact(
        {"firstname": "Aroha", "lastname": "Ngata", "email": "aroha@ngata.co.nz"}
    )
    report = await rig.inbound.sync([hubspot_id], reason="hubspot change")
    assert (report.created, report.failed) == (1, 0)
    (contact_id,) = [k for k, v in rig.store.get_links(CONTACT_RECORD).items() if v == hubspot_id]
    contact = await rig.accredo_contact(contact_id)
    assert (contact.CustomerCode, contact.FirstName, contact.LastName, contact.EmailAddress) == (
        rig.code,
        "Aroha",
        "Ngata",
        "aroha@ngata.co.nz",
    )
    again = await rig.inbound.sync([hubspot_id], reason="hubspot change")  # an echo, say
    assert (again.created, again.updated, again.unchanged, again.calls) == (0, 0, 1, 0)


async def test_an_edit_patches_only_what_changed_with_the_contacts_etag(rig: Rig) -> None:
    hubspot_id = rig.user_adds_hubspot_contact({"firstname": "Hemi", "email": "hemi@kora.co.nz"})
    await rig.inbound.sync([hubspot_id], reason="test")
    httpx.patch(
        f"{rig.hubspot_sim.url}/_sim/objects/contacts/{hubspot_id}",
        json={"properties": {"jobtitle": "Buyer"}},
    ).raise_for_status()
    report = await rig.inbound.sync([hubspot_id], reason="test")
    assert (report.updated, report.calls) == (1, 1)
    (entry, _created) = rig.store.list_audit(CONTACT_RECORD, hubspot_id)
    assert dict(entry.changes) == {"Role": (None, "Buyer")}


async def test_a_value_accredo_cannot_store_is_a_dead_letter_and_the_rest_is_written(
    rig: Rig,
) -> None:
    hubspot_id = rig.user_adds_hubspot_contact(
        {
            "firstname": "Wharekauhau-Tamatea-Pōkai",  # 25 characters: Accredo holds 20
            "lastname": "Smith",
            "email": "w.smith@pokai.co.nz",
            "jobtitle": "Pōkai liaison",  # Role holds no macrons
        }
    )
    report = await rig.inbound.sync([hubspot_id], reason="test")
    assert (report.created, report.failed) == (1, 2)
    letters = {(d.record_key, d.side, d.field) for d in rig.store.list_dead_letters()}
    assert letters == {(hubspot_id, "accredo", "FirstName"), (hubspot_id, "accredo", "Role")}
    (contact_id,) = rig.store.get_links(CONTACT_RECORD)
    contact = await rig.accredo_contact(contact_id)
    assert contact.LastName == "Smith"
    assert not contact.FirstName and not contact.Role


async def test_an_accredo_contact_with_the_same_email_is_linked_not_duplicated(rig: Rig) -> None:
    contact_id = rig.user_adds_accredo_contact(
        {"FirstName": "Tama", "LastName": "Rewi", "EmailAddress": "Tama@Rewi.co.nz"}
    )
    hubspot_id = rig.user_adds_hubspot_contact(
        {
            "firstname": "Tama",
            "lastname": "Rewi",
            "email": "tama@rewi.co.nz",
            "phone": "09 555 0102",
        }
    )
    before = rig.accredo_writes()
    report = await rig.inbound.sync([hubspot_id], reason="test")
    assert (report.created, report.updated, report.linked) == (0, 1, 1)
    assert rig.store.get_links(CONTACT_RECORD) == {contact_id: hubspot_id}
    contact = await rig.accredo_contact(contact_id)
    assert (contact.PhoneNo, contact.EmailAddress) == ("09 555 0102", "tama@rewi.co.nz")
    after = rig.accredo_writes()
    assert sum(after.values()) - sum(before.values()) == 1  # one PATCH, no POST


async def test_a_contact_of_a_company_linked_to_no_debtor_is_not_synced(rig: Rig) -> None:
    other = user_creates(rig.hubspot_sim.url, "companies", {"name": "Prospect"})
    hubspot_id = rig.user_adds_hubspot_contact({"email": "lead@prospect.co.nz"}, company=other)
    report = await rig.inbound.sync([hubspot_id], reason="test")
    assert (report.created, report.updated, report.failed, report.calls) == (0, 0, 0, 0)
    assert rig.store.get_links(CONTACT_RECORD) == {}


async def test_an_accredo_only_contact_is_created_once_in_hubspot_with_its_company(
    rig: Rig,
) -> None:
    contact_id = rig.user_adds_accredo_contact(
        {"FirstName": "Mihi", "LastName": "Parata", "EmailAddress": "mihi@parata.co.nz"}
    )
    report = await rig.outbound.sync([contact_id], reason="accredo change")
    assert (report.created, report.failed) == (1, 0)
    hubspot_id = rig.store.get_links(CONTACT_RECORD)[contact_id]
    created = rig.hubspot_contact(hubspot_id)
    assert (created["firstname"], created["email"], created["associatedcompanyid"]) == (
        "Mihi",
        "mihi@parata.co.nz",
        rig.company_id,
    )
    # Read back from HubSpot (its webhook or the poll), it plans nothing: its values came
    # from Accredo.
    writes = sim_stats(rig.hubspot_sim)["writes"], rig.accredo_writes()
    echoed = await rig.inbound.sync([hubspot_id], reason="hubspot change")
    assert (echoed.unchanged, echoed.calls) == (1, 0)
    # From now on HubSpot wins: an Accredo edit sends nothing to HubSpot, and the next time
    # the contact comes from HubSpot its value is put back.
    httpx.patch(
        f"{rig.accredo_sim.url}/_sim/contacts/{contact_id}", json={"FirstName": "Mihiata"}
    ).raise_for_status()
    edited = await rig.outbound.sync([contact_id], reason="accredo change")
    assert (edited.calls, sim_stats(rig.hubspot_sim)["writes"], rig.accredo_writes()) == (
        0,
        *writes,
    )
    restored = await rig.inbound.sync([hubspot_id], reason="hubspot change")
    assert (restored.updated, (await rig.accredo_contact(contact_id)).FirstName) == (1, "Mihi")


async def test_an_accredo_contact_whose_email_hubspot_has_is_linked_to_it(rig: Rig) -> None:
    hubspot_id = rig.user_adds_hubspot_contact({"email": "kiri@tawhai.co.nz"})
    contact_id = rig.user_adds_accredo_contact({"EmailAddress": "kiri@tawhai.co.nz"})
    writes = sim_stats(rig.hubspot_sim)["writes"]
    report = await rig.outbound.sync([contact_id], reason="accredo change")
    assert (report.created, report.linked) == (0, 1)
    assert rig.store.get_links(CONTACT_RECORD) == {contact_id: hubspot_id}
    assert sim_stats(rig.hubspot_sim)["writes"] == writes


async def test_the_change_feed_names_contacts_others_changed_not_the_connectors(
    rig: Rig,
) -> None:
    cursors = await rig.accredo.latest_delta_ids()
    theirs = rig.user_adds_accredo_contact({"EmailAddress": "user@made.co.nz"})
    ours = await rig.accredo.create_contact({"CustomerCode": rig.code, "LastName": "Ours"})
    batch = await rig.accredo.poll_changes(cursors)
    assert batch.contact_ids == [theirs]
    assert str(ours.ContactID) not in batch.contact_ids
    assert rig.code in batch.customer_codes


async def test_an_email_held_by_a_contact_linked_to_another_is_reported_not_duplicated(
    rig: Rig,
) -> None:
    """A second HubSpot contact with the e-mail of a linked one (say, after a merge the sync
    has not followed yet) is an ambiguity to decide, never a second ARContact."""
    first = rig.user_adds_hubspot_contact({"email": "rangi@moana.co.nz"})
    await rig.inbound.sync([first], reason="test")
    (contact_id,) = rig.store.get_links(CONTACT_RECORD)
    other = rig.user_adds_hubspot_contact({"email": "r.moana@moana.co.nz", "firstname": "Rangi"})
    merged = httpx.post(
        f"{rig.hubspot_sim.url}/crm/v3/objects/contacts/merge",
        json={"primaryObjectId": first, "objectIdToMerge": other},
        headers={"Authorization": f"Bearer {DEMO_TOKEN}"},
    )
    merged.raise_for_status()
    second = merged.json()["id"]  # a merge makes a record with a new id (reference 4.5)
    assert second not in (first, other)
    before = rig.accredo_writes()
    report = await rig.inbound.sync([second], reason="test")
    assert (report.created, report.updated, report.failed) == (0, 0, 1)
    assert rig.accredo_writes() == before
    (letter,) = rig.store.list_dead_letters()
    assert (letter.record_key, letter.field) == (second, "match")
    assert contact_id in letter.reason
