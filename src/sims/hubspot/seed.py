"""Seeded demo data: owners, companies (some with an NZBN, some with only a domain, a couple of
near-duplicates), contacts and deals, associated as a sales team would have them."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from faker import Faker

from sims.hubspot.events import WriteSource
from sims.hubspot.portal import DEAL_STAGES, owner_json
from sims.hubspot.store import Portal, Record

JsonDict = dict[str, Any]
NZBN_PROPERTY: JsonDict = {
    "name": "nzbn",
    "label": "NZBN",
    "type": "string",
    "fieldType": "text",
    "groupName": "companyinformation",
    "description": "New Zealand Business Number (not a HubSpot default property)",
}
SEED_SOURCE = WriteSource("IMPORT", "sim-seed")


@dataclass
class SeedCounts:
    owners: int = 0
    companies: int = 20
    contacts: int = 40
    deals: int = 10

    def to_json(self) -> JsonDict:
        return dict(self.__dict__)


def _nzbn(rng: random.Random) -> str:
    return "94290" + "".join(str(rng.randint(0, 9)) for _ in range(8))


def seed_portal(portal: Portal, seed: int, counts: SeedCounts) -> JsonDict:
    """Fill the portal; the same seed gives the same data. Answers what was made."""
    fake = Faker("en_NZ")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    if portal.prop("0-2", "nzbn") is None:
        portal.create_property("0-2", dict(NZBN_PROPERTY))
    for i in range(counts.owners):
        owner_id = str(51000000 + len(portal.owners) + i)
        portal.owners.append(
            owner_json(
                owner_id,
                fake.unique.email(),
                fake.first_name(),
                fake.last_name(),
                9600000 + int(owner_id) % 100000,
            )
        )
    owner_ids = [o["id"] for o in portal.owners]
    companies = _companies(portal, fake, rng, counts.companies, owner_ids)
    contacts = _contacts(portal, fake, rng, counts.contacts, companies)
    deals = _deals(portal, fake, rng, counts.deals, companies)
    return {
        "seed": seed,
        "owners": len(portal.owners),
        "companies": [str(c.id) for c in companies],
        "contacts": [str(c.id) for c in contacts],
        "deals": [str(d.id) for d in deals],
    }


def _create(portal: Portal, alias: str, props: JsonDict) -> Record:
    otype = portal.resolve_type(alias)
    return portal.create(otype, portal.prepare(otype, props, None), SEED_SOURCE)


def _companies(
    portal: Portal, fake: Faker, rng: random.Random, count: int, owner_ids: list[str]
) -> list[Record]:
    made: list[Record] = []
    for i in range(count):
        name = fake.unique.company()
        domain = fake.unique.domain_name()
        props: JsonDict = {
            "name": name,
            "domain": domain,
            "phone": fake.phone_number(),
            "address": fake.street_address(),
            "city": fake.city(),
            "zip": fake.postcode(),
            "country": "New Zealand",
            "hubspot_owner_id": rng.choice(owner_ids),
            "lifecyclestage": rng.choice(["lead", "opportunity", "customer"]),
        }
        if i % 2 == 0:
            props["nzbn"] = _nzbn(rng)
        if i % 5 == 4:
            props = {"domain": domain}
        made.append(_create(portal, "companies", props))
    for original in made[: min(2, len(made))]:
        twin = {
            "name": (original.props.get("name") or "Company") + " Limited",
            "domain": original.props.get("domain", ""),
        }
        made.append(_create(portal, "companies", twin))
    return made


def _contacts(
    portal: Portal, fake: Faker, rng: random.Random, count: int, companies: list[Record]
) -> list[Record]:
    made: list[Record] = []
    otype = portal.resolve_type("contacts")
    link = portal.associations.find_type("0-1", "0-2", "HUBSPOT_DEFINED", 1)
    for _ in range(count):
        company = rng.choice(companies) if companies else None
        first, last = fake.first_name(), fake.last_name()
        domain = (company.props.get("domain") if company else None) or fake.domain_name()
        props = {
            "firstname": first,
            "lastname": last,
            "email": f"{first}.{last}.{len(made)}@{domain}".lower().replace(" ", ""),
            "phone": fake.phone_number(),
            "jobtitle": fake.job()[:60],
            "company": company.props.get("name", "") if company else "",
        }
        record = portal.create(otype, portal.prepare(otype, props, None), SEED_SOURCE)
        if company is not None and link is not None:
            portal.associations.add(("0-1", record.id), ("0-2", company.id), link)
        made.append(record)
    return made


def _deals(
    portal: Portal, fake: Faker, rng: random.Random, count: int, companies: list[Record]
) -> list[Record]:
    made: list[Record] = []
    link = portal.associations.find_type("0-3", "0-2", "HUBSPOT_DEFINED", 5)
    for _ in range(count):
        company = rng.choice(companies) if companies else None
        props = {
            "dealname": f"{fake.bs().title()}"[:80],
            "amount": str(rng.randint(5, 500) * 100),
            "pipeline": "default",
            "dealstage": rng.choice([s[0] for s in DEAL_STAGES]),
            "closedate": fake.date_time_this_year().strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        }
        record = _create(portal, "deals", props)
        if company is not None and link is not None:
            portal.associations.add(("0-3", record.id), ("0-2", company.id), link)
        made.append(record)
    return made
