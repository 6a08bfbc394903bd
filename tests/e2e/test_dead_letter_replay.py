"""End to end: dead letters of every record type replay through their own pipeline, over HTTP
to both simulators. A contact HubSpot sent that Accredo refused lands on the debtor's contact
once HubSpot's value is fixed (and ``--set`` of a contact field, never a company's); an invoice
HubSpot refused (its property would not take the value, nor create the invoice without it)
lands once the property takes it, closing the record's letters; a letter of a record type the
configuration does not write is refused, saying why (``--all`` goes on past it); and such a
letter can still be discarded."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from accredo_hubspot.mapping.config import default_config_text, load_config, parse_config
from accredo_hubspot.runtime import Connector
from accredo_hubspot.store import DeadLetter, StateStore
from accredo_hubspot.sync.contacts import CONTACT_RECORD
from accredo_hubspot.sync.drains import build_pipelines
from accredo_hubspot.sync.fixes import FixError, Fixes
from accredo_hubspot.sync.invoice_sync import InvoiceSync
from accredo_hubspot.sync.invoices import INVOICE_RECORD
from tests.e2e.operate import invoke, prepare
from tests.e2e.world import World, backfilled, hubspot_api, running_world, user_creates

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("restore_logging")]

INVOICES = "p_accredo_invoice"
LONG_NAME = "Wharekauhau-Tamatea-Pōkai"  # 25 characters: Accredo's FirstName holds 20
OFF = default_config_text().replace("custom_objects = true", "custom_objects = false")


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with running_world(customers=8) as running:
        yield running


def _user_adds_contact(world: World, company_id: str, properties: dict[str, str]) -> str:
    return user_creates(world.hubspot.url, "contacts", properties, to=company_id, type_id=1)


def _fixes(conn: Connector, documents: list[InvoiceSync] | None = None) -> Fixes:
    return Fixes(conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock, documents or [])


async def test_a_contact_accredo_refused_replays_once_fixed_in_hubspot(
    world: World, tmp_path: Path
) -> None:
    config = load_config(None)
    async with backfilled(world, tmp_path / "state.db", config) as conn:
        company_id = next(iter((await conn.store.get_links("company")).values()))
        hubspot_id = _user_adds_contact(
            world,
            company_id,
            {
                "firstname": LONG_NAME,
                "lastname": "Smith",
                "email": "w.smith@pokai.co.nz",
                "jobtitle": "Pōkai liaison",  # Role holds no macrons
            },
        )
        fixes = _fixes(conn)
        built = build_pipelines(conn.accredo, conn.hubspot, conn.store, config, conn.clock)
        inbound = built.writing("accredo", CONTACT_RECORD)
        assert inbound is not None
        await inbound.sync([hubspot_id], reason="hubspot change")
        letters = {x.field: x for x in await conn.store.list_dead_letters()}
        assert set(letters) == {"FirstName", "Role"}

        with pytest.raises(FixError, match=r"accredo_industry_code.*not a field.*contact"):
            await fixes.replay(letters["Role"].id, {"accredo_industry_code": "7"})
        still = await fixes.replay(letters["FirstName"].id, {})
        assert not still.landed and "FirstName" in still.reason

        hubspot_api(
            world.hubspot,
            "PATCH",
            f"/crm/v3/objects/contacts/{hubspot_id}",
            {"properties": {"firstname": "Wharekauhau"}},
        )
        with_role = await fixes.replay(letters["Role"].id, {"Role": "Pokai liaison"})
        assert with_role.landed, with_role.reason
        assert await conn.store.list_dead_letters() == []
        (contact_id,) = [
            k for k, v in (await conn.store.get_links(CONTACT_RECORD)).items() if v == hubspot_id
        ]
        (contact,) = await conn.accredo.get_contacts([int(contact_id)])
        assert (contact.FirstName, contact.Role) == ("Wharekauhau", "Pokai liaison")


async def test_an_invoice_hubspot_refused_replays_once_its_property_takes_it(
    world: World, tmp_path: Path
) -> None:
    config = load_config(None)
    async with backfilled(world, tmp_path / "state.db", config) as conn:
        prop = f"/crm/v3/properties/{INVOICES}/invoice_number"
        hubspot_api(world.hubspot, "PATCH", prop, {"type": "number", "fieldType": "number"})
        invoices = InvoiceSync(conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock)
        await invoices.run()
        letters = await conn.store.list_dead_letters()
        assert letters and {(x.record_type, x.side, x.field) for x in letters} == {
            (INVOICE_RECORD, "hubspot", "invoice_number")
        }
        letter = letters[0]
        assert not letter.record_key.startswith("customer:")

        hubspot_api(world.hubspot, "PATCH", prop, {"type": "string", "fieldType": "text"})
        result = await _fixes(conn, [invoices]).replay(letter.id, {})

        assert result.landed, result.reason
        remaining = {x.id for x in await conn.store.list_dead_letters()}
        assert remaining == {x.id for x in letters if x.record_key != letter.record_key}
        (invoice,) = await conn.accredo.get_transactions([letter.record_key])
        found = world.documents(INVOICES, "accredo_transaction_id")[letter.record_key]
        assert found["properties"]["invoice_number"] == invoice.Reference


def test_a_letter_of_a_record_type_not_written_here_is_refused_saying_why(
    world: World, tmp_path: Path
) -> None:
    world.reset()
    database = tmp_path / "state.db"
    env = world.env(database)
    site = tmp_path / "site.toml"
    site.write_text(OFF, encoding="utf-8")
    # ``setup`` of a portal without custom objects.
    code = asyncio.run(prepare(world, database, parse_config(OFF, "site.toml")))[0].CustomerCode
    with StateStore.open(f"sqlite:///{database}") as store:
        store.add_dead_letters(
            [
                DeadLetter(INVOICE_RECORD, "4242", "hubspot", "invoice_number", "refused"),
                DeadLetter("company", code, "hubspot", None, "HubSpot was down"),
            ]
        )
        letter, company = store.list_dead_letters()

    status, _, err = invoke(
        ["dead-letters", "replay", str(letter.id), "--config", str(site)], env, tmp_path
    )

    assert status == 1
    assert f"dead letter {letter.id}: no pipeline writes invoice records to hubspot" in err
    assert "custom_objects" in err
    # --all goes on past it: the company's letter lands; the invoice's stays open, saying why.
    status, out, _ = invoke(
        ["dead-letters", "replay", "--all", "--config", str(site)], env, tmp_path
    )
    assert status == 1
    assert f"dead letter {company.id} ({code}): landed" in out
    assert (
        f"dead letter {letter.id} (4242): still open: dead letter {letter.id}: no pipeline" in out
    )
    status, _, _ = invoke(
        ["dead-letters", "discard", str(letter.id), "--reason", "no invoices here"], env, tmp_path
    )
    assert status == 0
    with StateStore.open(f"sqlite:///{database}") as store:
        assert store.list_dead_letters() == []
