"""The client's batch create of custom-object records with inline associations (reference
4.1), over HTTP to the simulator, and a create resent after a crash landing on the record the
first one made (its unique Accredo id is taken, so it becomes an update)."""

from __future__ import annotations

from accredo_hubspot.hubspot.client import HubSpotClient
from accredo_hubspot.hubspot.models import InlineAssociation, WriteInput
from accredo_hubspot.mapping.config import load_config
from accredo_hubspot.mapping.objects import INVOICE_ID_PROPERTY
from accredo_hubspot.sync.setup import run_setup
from sims.serve import BackgroundServer
from tests.e2e.world import sim_stats


async def _invoice_type(client: HubSpotClient) -> tuple[str, str, int]:
    await run_setup(client, load_config(None))
    (schema,) = [s for s in await client.list_schemas() if s.name == "accredo_invoice"]
    labels = await client.association_labels(schema.object_type_id, "companies")
    return schema.object_type_id, labels[0].category, labels[0].type_id


def _invoice(tid: str, company: str, category: str, type_id: int, number: str) -> WriteInput:
    properties = {"invoice_number": number, INVOICE_ID_PROPERTY: tid}
    return WriteInput(tid, tid, properties, (InlineAssociation(company, type_id, category),))


async def test_created_with_their_company_association_in_one_call(
    sim: BackgroundServer, client: HubSpotClient
) -> None:
    object_type, category, type_id = await _invoice_type(client)
    company = await client.create("companies", {"name": "Acme"})
    before = sim_stats(sim)["writes"]
    inputs = [_invoice(str(i), company.id, category, type_id, f"INV{i}") for i in range(150)]
    outcome = await client.batch_create_unique(object_type, INVOICE_ID_PROPERTY, inputs)
    assert outcome.failed == []
    assert outcome.calls == 2  # 100 + 50, associations included: no association calls
    assert sim_stats(sim)["writes"] - before == 2
    linked = await client.list_associations("companies", company.id, object_type)
    assert sorted(str(a.to_object_id) for a in linked) == sorted(
        r.id for r in outcome.written.values()
    )


async def test_a_resent_create_becomes_an_update_of_the_same_record(
    client: HubSpotClient,
) -> None:
    object_type, category, type_id = await _invoice_type(client)
    company = await client.create("companies", {"name": "Acme"})
    first = await client.batch_create_unique(
        object_type, INVOICE_ID_PROPERTY, [_invoice("42", company.id, category, type_id, "INV42")]
    )
    inputs = [
        _invoice("42", company.id, category, type_id, "INV42-A"),
        _invoice("43", company.id, category, type_id, "INV43"),
    ]
    again = await client.batch_create_unique(object_type, INVOICE_ID_PROPERTY, inputs)
    assert again.failed == []
    assert again.written["42"].id == first.written["42"].id
    assert again.written["42"].properties["invoice_number"] == "INV42-A"
    assert len(await client.list_associations("companies", company.id, object_type)) == 2
