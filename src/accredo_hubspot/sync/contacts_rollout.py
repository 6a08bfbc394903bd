"""Contacts at rollout: those each side already holds, queued once the debtors are linked.

Live sync brings a contact across when it changes. At rollout both sides already hold
contacts that will not change soon: HubSpot's contacts of the companies the backfill linked
(HubSpot masters contacts, so they are written to Accredo) and the contacts of the linked
debtors that exist only in Accredo (created once in HubSpot, or linked to the HubSpot contact
with their e-mail). ``queue_existing_contacts`` queues both, after the backfill, for ``run`` to
bring across with the contact specs (``sync.contacts``) as if each had just changed; records
already linked are left out, so a second run queues nothing new.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import structlog

from accredo_hubspot.accredo.models import ARContact
from accredo_hubspot.hubspot.models import AssociatedObject
from accredo_hubspot.store import TO_ACCREDO, TO_HUBSPOT, AsyncStateStore
from accredo_hubspot.sync.companies import COMPANIES, COMPANY_RECORD
from accredo_hubspot.sync.contacts import CONTACT_RECORD, CONTACTS
from accredo_hubspot.sync.matcher import normalise_code

log = structlog.get_logger(__name__)

#: The queue's reason for the contacts queued here.
ROLLOUT_REASON = "rollout"
#: Accredo contacts queued per store transaction.
QUEUE_CHUNK = 1000


class ContactLister(Protocol):
    def iter_contacts(self) -> AsyncIterator[ARContact]:
        """Every ``ARContact`` (its id and customer code at least), streamed page by page."""
        ...


class AssociationReader(Protocol):
    async def batch_read_associations(
        self, from_type: str, to_type: str, ids: Sequence[str]
    ) -> dict[str, list[AssociatedObject]]: ...


@dataclass(frozen=True)
class ContactsQueued:
    """How many contacts were queued each way."""

    to_accredo: int = 0
    to_hubspot: int = 0


def hubspot_contacts(
    associated: Mapping[str, Sequence[AssociatedObject]], linked: Collection[str]
) -> list[str]:
    """The ids of the contacts associated to the companies, each once, the linked ones left
    out. Pure."""
    ids = (a.to_object_id for found in associated.values() for a in found)
    return [i for i in dict.fromkeys(ids) if i not in linked]


def accredo_contacts(
    contacts: Iterable[ARContact], codes: Collection[str], linked: Collection[str]
) -> list[str]:
    """The ids of the contacts of the debtors ``codes`` (normalised), linked ones left out.
    Pure."""
    return [
        key
        for c in contacts
        if c.CustomerCode
        and normalise_code(c.CustomerCode) in codes
        and (key := str(c.ContactID)) not in linked
    ]


async def queue_existing_contacts(
    accredo: ContactLister, hubspot: AssociationReader, store: AsyncStateStore
) -> ContactsQueued:
    """Queue the contacts of the linked companies (towards Accredo) and of the linked debtors
    (towards HubSpot) that are not linked yet."""
    companies = await store.get_links(COMPANY_RECORD)
    if not companies:
        return ContactsQueued()
    contact_links = await store.get_links(CONTACT_RECORD)
    associated = await hubspot.batch_read_associations(
        COMPANIES, CONTACTS, sorted(set(companies.values()))
    )
    inbound = hubspot_contacts(associated, set(contact_links.values()))
    await store.enqueue(TO_ACCREDO, CONTACT_RECORD, inbound, ROLLOUT_REASON)
    codes = {normalise_code(code) for code in companies}
    outbound = 0
    chunk: list[ARContact] = []
    async for contact in accredo.iter_contacts():
        chunk.append(contact)
        if len(chunk) >= QUEUE_CHUNK:
            outbound += await _queue_outbound(store, chunk, codes, contact_links)
            chunk = []
    outbound += await _queue_outbound(store, chunk, codes, contact_links)
    log.info("contacts queued", to_accredo=len(inbound), to_hubspot=outbound)
    return ContactsQueued(len(inbound), outbound)


async def _queue_outbound(
    store: AsyncStateStore,
    contacts: Sequence[ARContact],
    codes: Collection[str],
    linked: Collection[str],
) -> int:
    keys = accredo_contacts(contacts, codes, linked)
    if keys:
        await store.enqueue(TO_HUBSPOT, CONTACT_RECORD, keys, ROLLOUT_REASON)
    return len(keys)
