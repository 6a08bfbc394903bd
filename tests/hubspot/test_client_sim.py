"""HubSpotClient against the HubSpot simulator over real loopback HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Set

import pytest

from accredo_hubspot.hubspot import (
    AssociationInput,
    AssociationSpec,
    HubSpotClient,
    HubSpotConflict,
    HubSpotNotFound,
    HubSpotRateLimited,
    HubSpotValidationError,
    ObjectLabels,
    ObjectSchemaCreate,
    PropertyCreate,
    PropertyOption,
    SchemaProperty,
    SearchFilter,
    SearchFilterGroup,
    SearchRequest,
    WriteInput,
)
from accredo_hubspot.hubspot.ratelimit import Bucket
from tests.e2e.world import sim_stats
from tests.hubspot.conftest import FAST_RETRY, hubspot_sim, sim_token

CODE = PropertyCreate(
    name="accredo_code",
    label="Accredo code",
    type="string",
    field_type="text",
    group_name="companyinformation",
    has_unique_value=True,
)
CREDIT = PropertyCreate(
    name="credit_limit",
    label="Credit limit",
    type="number",
    field_type="number",
    group_name="companyinformation",
)


def companies(n: int, *, start: int = 0, bad: Set[int] = frozenset()) -> list[WriteInput]:
    return [
        WriteInput(
            key=f"C{i:05d}",
            id=f"C{i:05d}",
            properties={
                "name": f"Company {i}",
                "credit_limit": "not-a-number" if i in bad else str(1000 + i),
            },
        )
        for i in range(start, start + n)
    ]


async def codes_in_hubspot(hs: HubSpotClient) -> list[str]:
    return [
        str(r.properties.get("accredo_code"))
        async for r in hs.iter_objects("companies", ["accredo_code", "name"])
    ]


async def test_429_storm_every_write_applied_exactly_once() -> None:
    """With half the requests refused by 429 the client backs off; every upsert lands once."""
    with hubspot_sim(storm_429_rate=0.5) as server:
        async with HubSpotClient(sim_token(), base_url=server.url, retry_policy=FAST_RETRY) as hs:
            await hs.ensure_property("companies", CODE)
            await hs.ensure_property("companies", CREDIT)
            before = sim_stats(server)
            outcome = await hs.batch_upsert("companies", "accredo_code", companies(250))
            after = sim_stats(server)
            codes = await codes_in_hubspot(hs)
            final = sim_stats(server)

    assert outcome.failed == []
    assert len(outcome.written) == 250
    assert outcome.calls == 3
    assert final["rate_limited"] >= 1  # the storm hit (P(no 429 in ~10 requests) < 0.1 %)
    assert after["writes"] - before["writes"] == 3  # three accepted upserts, nothing twice
    assert sorted(codes) == [f"C{i:05d}" for i in range(250)]


async def test_burst_over_the_window_backs_off_and_finishes() -> None:
    """A portal limit far below ours: the headers shrink our budget; 429s are retried."""
    with hubspot_sim(rate_limit=20, rate_window_s=1.0) as server:
        async with HubSpotClient(
            sim_token(), base_url=server.url, retry_policy=FAST_RETRY, max_concurrency=8
        ) as hs:
            created = await asyncio.gather(
                *(hs.create("companies", {"name": f"Burst {i}"}) for i in range(45))
            )
            names = [
                str(r.properties.get("name")) async for r in hs.iter_objects("companies", ["name"])
            ]
            stats = sim_stats(server)

    assert len({r.id for r in created}) == 45
    assert sorted(names) == sorted(f"Burst {i}" for i in range(45))
    assert hs.rate_limiter.budget(Bucket.GENERAL).max_calls == 18  # 0.9 of the portal's 20
    assert stats["writes"] == 45


async def test_upsert_twice_keeps_100_companies(client: HubSpotClient) -> None:
    """Upserting the same 100 companies again updates them: still 100, none new."""
    await client.ensure_property("companies", CODE)
    await client.ensure_property("companies", CREDIT)
    first = await client.batch_upsert("companies", "accredo_code", companies(100))
    second = await client.batch_upsert("companies", "accredo_code", companies(100))

    assert len(await codes_in_hubspot(client)) == 100
    assert all(r.new is True for r in first.written.values())
    assert all(r.new is False for r in second.written.values())
    assert {k: r.id for k, r in first.written.items()} == {
        k: r.id for k, r in second.written.items()
    }


async def test_207_good_inputs_land_bad_ones_name_the_property(client: HubSpotClient) -> None:
    """Per-input errors fail only their inputs, each naming the property at fault."""
    await client.ensure_property("companies", CODE)
    await client.ensure_property("companies", CREDIT)
    items = companies(10, bad=frozenset({2, 7}))
    items.append(WriteInput("ghost", "GHOST", {"no_such_property": "x"}))
    outcome = await client.batch_upsert("companies", "accredo_code", items)

    failed = {f.key: f for f in outcome.failed}
    assert sorted(failed) == ["C00002", "C00007", "ghost"]
    assert failed["C00002"].property_name == "credit_limit"
    assert failed["ghost"].property_name == "no_such_property"
    assert {f.category for f in outcome.failed} == {"VALIDATION_ERROR"}
    assert len(outcome.written) == 8
    assert outcome.calls == 1
    assert sorted(await codes_in_hubspot(client)) == sorted(outcome.written)


async def test_plain_400_is_bisected(sim: object) -> None:
    """Without trace ids a bad input fails its call; bisection writes the other 99."""
    from sims.serve import BackgroundServer

    assert isinstance(sim, BackgroundServer)
    async with HubSpotClient(
        sim_token(), base_url=sim.url, retry_policy=FAST_RETRY, write_trace_ids=False
    ) as hs:
        await hs.ensure_property("companies", CODE)
        await hs.ensure_property("companies", CREDIT)
        outcome = await hs.batch_upsert("companies", "accredo_code", companies(100, bad={41}))
        codes = await codes_in_hubspot(hs)

    assert [(f.key, f.property_name, f.status) for f in outcome.failed] == [
        ("C00041", "credit_limit", 400)
    ]
    assert len(outcome.written) == 99
    assert 2 < outcome.calls <= 15
    assert len(codes) == 99


async def test_batch_create_maps_records_to_keys(client: HubSpotClient) -> None:
    """Created records come back under the key of the input that made them."""
    items = [WriteInput(f"k{i}", None, {"name": f"New {i}"}) for i in range(150)]
    outcome = await client.batch_create("companies", items)

    assert outcome.failed == []
    assert {k: r.properties["name"] for k, r in outcome.written.items()} == {
        f"k{i}": f"New {i}" for i in range(150)
    }


async def test_batch_update_reports_missing_ids(client: HubSpotClient) -> None:
    """An update of a missing id is a per-input OBJECT_NOT_FOUND; the rest are applied."""
    record = await client.create("companies", {"name": "Before"})
    outcome = await client.batch_update(
        "companies",
        [WriteInput("real", record.id, {"name": "After"}), WriteInput("gone", "1", {"name": "x"})],
    )

    assert outcome.written["real"].properties["name"] == "After"
    assert [(f.key, f.category) for f in outcome.failed] == [("gone", "OBJECT_NOT_FOUND")]


async def test_search_pages_past_its_page_size(client: HubSpotClient) -> None:
    """A search with more matches than one page returns every match once."""
    await client.ensure_property("companies", CODE)
    await client.batch_upsert(
        "companies", "accredo_code", [WriteInput(f"S{i}", f"S{i}", {}) for i in range(230)]
    )
    await client.create("companies", {"name": "no code"})
    request = SearchRequest(
        filter_groups=[
            SearchFilterGroup(
                filters=[SearchFilter(property_name="accredo_code", operator="HAS_PROPERTY")]
            )
        ],
        properties=["accredo_code"],
        limit=100,
    )
    found = [r async for r in client.search_all("companies", request)]
    first_page = await client.search("companies", request)

    assert first_page.total == 230
    assert first_page.next_after is not None
    assert sorted(r.properties["accredo_code"] or "" for r in found) == sorted(
        f"S{i}" for i in range(230)
    )


@pytest.mark.slow
async def test_search_cap_is_sliced_by_object_id() -> None:
    """Past 10,000 matches, search_all restarts above the last id instead of paging into a 400."""
    with hubspot_sim(rate_limit=0, search_rate_limit=0) as server:
        async with HubSpotClient(
            sim_token(),
            base_url=server.url,
            retry_policy=FAST_RETRY,
            rate_limit_per_10s=100_000,
            search_per_s=1_000,
            max_concurrency=8,
        ) as hs:
            items = [WriteInput(f"n{i}", None, {"name": f"N{i}"}) for i in range(10_120)]
            created = await hs.batch_create("companies", items)
            request = SearchRequest(properties=["name"], limit=200)
            found = [r.id async for r in hs.search_all("companies", request)]
            with pytest.raises(HubSpotValidationError):  # the cap is real: paging past it fails
                await hs.search("companies", request.model_copy(update={"after": "10000"}))

    assert created.failed == []
    assert len(found) == 10_120
    assert len(set(found)) == 10_120


async def test_ensure_property_is_idempotent(sim: object, client: HubSpotClient) -> None:
    """A second ensure makes no write; a changed label or options is updated in place."""
    from sims.serve import BackgroundServer

    assert isinstance(sim, BackgroundServer)
    tier = PropertyCreate(
        name="price_tier",
        label="Price tier",
        type="enumeration",
        field_type="select",
        group_name="accredo",
        options=[PropertyOption(label="Retail", value="retail")],
    )
    group = await client.ensure_property_group("companies", "accredo", "Accredo")
    again_group = await client.ensure_property_group("companies", "accredo", "Accredo")
    created = await client.ensure_property("companies", tier)
    writes = sim_stats(sim)["writes"]
    same = await client.ensure_property("companies", tier)
    unchanged_writes = sim_stats(sim)["writes"]
    wider = tier.model_copy(
        update={
            "label": "Accredo price tier",
            "options": [
                PropertyOption(label="Retail", value="retail"),
                PropertyOption(label="Trade", value="trade"),
            ],
        }
    )
    updated = await client.ensure_property("companies", wider)

    assert (group.name, again_group.label) == ("accredo", "Accredo")
    assert created.name == same.name == "price_tier"
    assert unchanged_writes == writes
    assert updated.label == "Accredo price tier"
    assert [o.value for o in updated.options] == ["retail", "trade"]
    fetched = await client.get_property("companies", "price_tier")
    assert fetched.label == "Accredo price tier"


async def test_ensure_property_refuses_to_change_uniqueness(client: HubSpotClient) -> None:
    """An existing non-unique property cannot become the unique key."""
    await client.ensure_property("companies", CODE.model_copy(update={"has_unique_value": False}))

    with pytest.raises(HubSpotConflict):
        await client.ensure_property("companies", CODE)


async def test_single_record_lifecycle_and_errors(client: HubSpotClient) -> None:
    """Create, read, update, archive; a missing record is HubSpotNotFound."""
    made = await client.create("contacts", {"email": "aroha@example.co.nz", "firstname": "Aroha"})
    got = await client.get("contacts", made.id, properties=["email", "firstname"])
    changed = await client.update("contacts", made.id, {"firstname": "Āroha"})
    await client.archive("contacts", made.id)

    assert got.properties["email"] == "aroha@example.co.nz"
    assert changed.properties["firstname"] == "Āroha"
    with pytest.raises(HubSpotNotFound):
        await client.get("contacts", made.id)


async def test_contact_email_conflict_carries_existing_id(client: HubSpotClient) -> None:
    """Creating a second contact with a used email raises HubSpotConflict with its id."""
    first = await client.create("contacts", {"email": "dup@example.co.nz"})

    with pytest.raises(HubSpotConflict) as caught:
        await client.create("contacts", {"email": "DUP@example.co.nz"})
    assert caught.value.existing_id == first.id


async def test_batch_read_by_unique_property(client: HubSpotClient) -> None:
    """batch_read by idProperty returns the records in input order, missing ones left out."""
    await client.ensure_property("companies", CODE)
    await client.batch_upsert(
        "companies", "accredo_code", [WriteInput(c, c, {"name": c}) for c in ("A", "B", "C")]
    )
    found = await client.batch_read(
        "companies", ["C", "missing", "A"], properties=["name"], id_property="accredo_code"
    )

    assert [r.properties["name"] for r in found] == ["C", "A"]


async def test_custom_object_schema_and_associations(client: HubSpotClient) -> None:
    """A custom object type is created, written, and associated to a company both ways."""
    schema = await client.ensure_schema(
        ObjectSchemaCreate(
            name="accredo_invoice",
            labels=ObjectLabels(singular="Invoice", plural="Invoices"),
            primary_display_property="invoice_number",
            required_properties=["invoice_number"],
            properties=[
                SchemaProperty(
                    name="invoice_number", label="Invoice number", has_unique_value=True
                ),
                SchemaProperty(
                    name="amount_due", label="Amount due", type="number", field_type="number"
                ),
            ],
            associated_objects=["COMPANY"],
        )
    )
    again = await client.ensure_schema(
        ObjectSchemaCreate(name="accredo_invoice", labels=ObjectLabels(), properties=[])
    )
    invoice = await client.create(
        schema.object_type_id, {"invoice_number": "INV-1", "amount_due": "12.50"}
    )
    company = await client.create("companies", {"name": "Kiwi Ltd"})
    await client.associate_default(schema.object_type_id, invoice.id, "companies", company.id)
    from_company = await client.list_associations("companies", company.id, schema.object_type_id)
    listed = {s.object_type_id for s in await client.list_schemas()}

    assert again.id == schema.id
    assert schema.object_type_id.startswith("2-")
    assert schema.object_type_id in listed
    assert [a.to_object_id for a in from_company] == [invoice.id]


async def test_labelled_and_batch_associations(client: HubSpotClient) -> None:
    """Primary (labelled) and batch default associations between contacts and companies."""
    company = await client.create("companies", {"name": "Tui Traders"})
    contacts = [await client.create("contacts", {"email": f"c{i}@tui.nz"}) for i in range(3)]
    primary = AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=1)
    pair = await client.associate("contacts", contacts[0].id, "companies", company.id, [primary])
    errors = await client.batch_associate(
        "contacts",
        "companies",
        [AssociationInput(c.id, company.id) for c in contacts[1:]],
    )
    linked = await client.list_associations("companies", company.id, "contacts")

    assert errors == []
    assert pair.to_object_id == company.id
    assert sorted(a.to_object_id for a in linked) == sorted(c.id for c in contacts)
    first = next(a for a in linked if a.to_object_id == contacts[0].id)
    assert 2 in {t.type_id for t in first.association_types}  # company->contact primary


async def test_batch_read_of_associations_answers_every_id(client: HubSpotClient) -> None:
    """One call for several records; a record with none (HubSpot's 207 error) maps to []."""
    companies = [await client.create("companies", {"name": f"Kea {i}"}) for i in range(2)]
    lonely = await client.create("companies", {"name": "Kea alone"})
    contacts = [await client.create("contacts", {"email": f"k{i}@kea.nz"}) for i in range(3)]
    errors = await client.batch_associate(
        "companies",
        "contacts",
        [
            AssociationInput(companies[0].id, contacts[0].id),
            AssociationInput(companies[0].id, contacts[1].id),
            AssociationInput(companies[1].id, contacts[2].id),
        ],
    )
    assert errors == []

    found = await client.batch_read_associations(
        "companies", "contacts", [c.id for c in (*companies, lonely)]
    )

    assert {key: sorted(a.to_object_id for a in items) for key, items in found.items()} == {
        companies[0].id: sorted([contacts[0].id, contacts[1].id]),
        companies[1].id: [contacts[2].id],
        lonely.id: [],
    }


async def test_batch_read_of_associations_follows_each_records_pages(
    client: HubSpotClient,
) -> None:
    """More than a page (500) of associations on one record: the rest is read with ``after``."""
    company = await client.create("companies", {"name": "Huia Wholesale"})
    made = await client.batch_create(
        "contacts", [WriteInput(str(i), None, {"email": f"h{i}@huia.nz"}) for i in range(501)]
    )
    ids = sorted(record.id for record in made.written.values())
    await client.batch_associate(
        "companies", "contacts", [AssociationInput(company.id, i) for i in ids]
    )

    found = await client.batch_read_associations("companies", "contacts", [company.id])

    assert sorted(a.to_object_id for a in found[company.id]) == ids


async def test_owners_pipelines_and_merge(client: HubSpotClient) -> None:
    """Owners list, the default deal pipeline has closedwon, merging gives a survivor."""
    owners = await client.list_owners()
    pipelines = await client.get_pipelines("deals")
    a = await client.create("companies", {"name": "Merge A"})
    b = await client.create("companies", {"name": "Merge B"})
    survivor = await client.merge("companies", a.id, b.id)
    old = await client.get("companies", b.id, properties=["hs_merged_object_ids"])

    assert owners and all(o.id for o in owners)
    assert "closedwon" in {s.id for p in pipelines for s in p.stages}
    assert old.id == survivor.id


async def test_daily_limit_is_raised_not_retried() -> None:
    """Once the daily budget is spent the client raises at once with policy DAILY."""
    with hubspot_sim(daily_limit=3) as server:
        async with HubSpotClient(sim_token(), base_url=server.url, retry_policy=FAST_RETRY) as hs:
            for _ in range(3):
                await hs.get_page("companies")
            before = sim_stats(server)["requests"]
            with pytest.raises(HubSpotRateLimited) as caught:
                await hs.get_page("companies")
            after = sim_stats(server)["requests"]

    assert caught.value.policy == "DAILY"
    assert after - before == 1


async def test_server_errors_and_dropped_connections_are_retried() -> None:
    """5xx answers and dropped connections on idempotent writes end in success."""
    with hubspot_sim(error_rate=0.2, drop_rate=0.1) as server:
        async with HubSpotClient(sim_token(), base_url=server.url, retry_policy=FAST_RETRY) as hs:
            await hs.ensure_property("companies", CODE)
            outcome = await hs.batch_upsert(
                "companies", "accredo_code", [WriteInput(f"E{i}", f"E{i}", {}) for i in range(300)]
            )
            codes = await codes_in_hubspot(hs)

    assert outcome.failed == []
    assert sorted(codes) == sorted(f"E{i}" for i in range(300))


async def test_long_property_lists_fall_back_to_batch_read(client: HubSpotClient) -> None:
    """A property list too long for a URL is read through batch/read with the same result."""
    await client.create("companies", {"name": "Long"})
    names = ["name", *[f"x_property_{i:04d}_with_a_long_name" for i in range(120)]]
    records = [r async for r in client.iter_objects("companies", names)]

    assert [r.properties.get("name") for r in records] == ["Long"]


async def test_a_414_for_a_long_property_list_falls_back_to_batch_read() -> None:
    """HubSpot's URL limit is not documented (reference 2.5: a 414 for too many
    ``properties=``): a list under the client's own threshold that the portal still finds too
    long is read again through batch/read, and every record comes back with its properties."""
    names = ["name", *[f"x_property_{i:04d}_with_a_long_name" for i in range(20)]]
    with hubspot_sim(max_uri_chars=600) as server:
        async with HubSpotClient(sim_token(), base_url=server.url) as hs:
            for i in range(3):
                await hs.create("companies", {"name": f"Long {i}"})
            records = [r async for r in hs.iter_objects("companies", names)]
            stats = sim_stats(server)

    assert [r.properties.get("name") for r in records] == ["Long 0", "Long 1", "Long 2"]
    assert stats["by_route"]["POST /crm/v3/objects/{type}/batch/read"] == 1


async def test_search_limiter_keeps_under_the_per_second_limit(sim: object) -> None:
    """Back-to-back searches are paced by the client: the simulator refuses none."""
    from sims.serve import BackgroundServer

    assert isinstance(sim, BackgroundServer)
    async with HubSpotClient(sim_token(), base_url=sim.url) as hs:
        pages = await asyncio.gather(*(hs.search("companies", SearchRequest()) for _ in range(7)))

    assert len(pages) == 7
    assert sim_stats(sim)["rate_limited"] == 0


async def test_oauth_with_a_current_access_token_works(sim: object) -> None:
    """OAuth credentials with an unexpired access token call the API with it."""
    import time

    from accredo_hubspot.hubspot import OAuthCredentials
    from sims.serve import BackgroundServer

    assert isinstance(sim, BackgroundServer)
    creds = OAuthCredentials(
        "client-id",
        "client-secret",
        "refresh",
        access_token=sim_token(),
        expires_at_s=time.time() + 3600,
    )
    async with HubSpotClient(oauth=creds, base_url=sim.url) as hs:
        page = await hs.get_page("companies")

    assert page.results == []


async def test_oauth_refresh_failure_is_an_auth_error(sim: object) -> None:
    """An expired token whose refresh is refused raises HubSpotAuthError (no API call made).

    The simulator has no OAuth token endpoint, so the refresh is refused as HubSpot would
    refuse an unknown route.
    """
    from accredo_hubspot.hubspot import HubSpotAuthError, OAuthCredentials
    from sims.serve import BackgroundServer

    assert isinstance(sim, BackgroundServer)
    creds = OAuthCredentials("client-id", "client-secret", "refresh", access_token=None)
    async with HubSpotClient(oauth=creds, base_url=sim.url) as hs:
        with pytest.raises(HubSpotAuthError):
            await hs.get_page("companies")

    assert sim_stats(sim)["by_route"].get("GET /crm/v3/objects/{type}", 0) == 0


async def test_a_create_whose_answer_is_lost_is_not_resent() -> None:
    """A dropped answer to a create raises instead of risking a duplicate record."""
    from accredo_hubspot.hubspot import HubSpotTransientError

    with hubspot_sim(drop_rate=1.0) as server:
        async with HubSpotClient(sim_token(), base_url=server.url, retry_policy=FAST_RETRY) as hs:
            with pytest.raises(HubSpotTransientError):
                await hs.create("companies", {"name": "Once"})
        stats = sim_stats(server)

    assert stats["by_route"]["POST /crm/v3/objects/{type}"] == 1


async def test_a_unique_create_whose_answer_is_lost_is_resent_without_copies() -> None:
    """Creates carrying a unique value are safe to send again: dropped connections end in
    every record created once."""
    with hubspot_sim(drop_rate=0.5, seed=3) as server:  # seeded: the same drops each run
        async with HubSpotClient(sim_token(), base_url=server.url, retry_policy=FAST_RETRY) as hs:
            await hs.ensure_property("companies", CODE)
            items = [WriteInput(f"U{i}", f"U{i}", {CODE.name: f"U{i}"}) for i in range(300)]
            outcome = await hs.batch_create_unique("companies", CODE.name, items)
            codes = await codes_in_hubspot(hs)
        stats = sim_stats(server)

    assert outcome.failed == []
    ours = [code for code in codes if code != "None"]  # a seeded portal has companies already
    assert sorted(ours) == sorted(f"U{i}" for i in range(300))  # each once
    assert stats["by_route"]["POST /crm/v3/objects/{type}/batch/create"] > 3  # some resent


async def test_batch_create_contact_conflict_names_the_existing_id(client: HubSpotClient) -> None:
    """A contact whose email is taken fails alone, carrying the existing record's id."""
    taken = await client.create("contacts", {"email": "taken@example.co.nz"})
    items = [
        WriteInput("new", None, {"email": "fresh@example.co.nz"}),
        WriteInput("dup", None, {"email": "taken@example.co.nz"}),
    ]
    outcome = await client.batch_create("contacts", items)

    assert list(outcome.written) == ["new"]
    assert [(f.key, f.existing_id) for f in outcome.failed] == [("dup", taken.id)]
